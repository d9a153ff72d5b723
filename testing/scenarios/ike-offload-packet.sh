#!/bin/bash
# hw_offload=packet and auto end to end over IKEv2, on the offload rig
# (west's endpoint on a netdevsim port, IKE and ESP over veth to east),
# whatever the kernel (docs/kernels.md):
#   6.1   no packet offload: packet is refused when the conn is added
#         (software with fallback=yes, not added with fallback=no); auto
#         asks for crypto offload alone.
#   6.12  the kernel has packet offload, netdevsim's driver has not: each SA
#         is refused by the device ("netdevsim: Unsupported ipsec offload
#         type") with the one-line diagnostic; fallback=yes runs it in
#         software, fallback=no fails --up and leaves no SA on either side;
#         auto steps down to crypto offload.
. "$(dirname "$0")/lib.sh"

offload_rig

cat >"$SW_LOGDIR/west.conf" <<CONF
conn %default
	left=192.0.2.1
	right=10.0.0.2
	authby=secret
	esp=aes_gcm128-null

conn packet-soft
	hw_offload=packet
	hw_offload_fallback=yes

conn packet-hard
	hw_offload=packet
	hw_offload_fallback=no

conn auto
	hw_offload=auto
CONF
cat >"$SW_LOGDIR/east.conf" <<CONF
conn t
	left=10.0.0.2
	right=192.0.2.1
	authby=secret
	esp=aes_gcm128-null
	auto=add
CONF
echo '192.0.2.1 10.0.0.2 : PSK "packet offload scenario secret, not a real one"' >"$SW_LOGDIR/west.secrets"
cp "$SW_LOGDIR/west.secrets" "$SW_LOGDIR/east.secrets"
pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
pluto_start east east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"
nsas() { ip -n "$(ns_name "$1")" xfrm state | grep -c '^src'; }
east_empty() { wait_for 10 "east to drop its SAs" bash -c "test \$(ip -n $(ns_name east) xfrm state | grep -c '^src') -eq 0"; }
echo "# kernel $(uname -r): measured as $KX_SERIES, packet offload $KX_PACKET"

if [ "$KX_PACKET" = yes ]; then
	check "pluto's start-up probe found packet offload in the kernel" \
		grep -q "kernel: packet offload: yes" "$SW_LOGDIR/west/pluto.log"
else
	check "pluto's start-up probe found no packet offload, with the kernel's words" \
		grep -q "kernel: packet offload: no (it needs Linux 6.2 or later): Unrecognized flags in offload request (EINVAL)" "$SW_LOGDIR/west/pluto.log"
fi

# 1. packet, fallback=yes: up, in software, saying why.
out=$(whack west --name packet-soft --add --config "$SW_LOGDIR/west.conf" 2>&1)
echo "$out" | sed 's/^/# /'
out=$(whack west --name packet-soft --up 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
check "packet-soft: --up exits 0" test "$rc" -eq 0
if [ "$KX_PACKET" = yes ]; then
	check "packet-soft: --up shows the device's refusal of packet offload, with the hint" \
		grep -qE "\"packet-soft\" #[0-9]+: hw_offload: $NSIM_DEV refused (inbound|outbound) SA esp\\.[0-9a-f]{8}@[0-9.]+ \\(AES_GCM_16_128\\) for packet offload: netdevsim: Unsupported ipsec offload type \\(EINVAL\\); hint: $NSIM_DEV has no packet offload \\(this kernel has, the device's driver has not\\) - try hw_offload=crypto; running this SA in software \\(hw_offload_fallback=yes\\)" <<<"$out"
	check "packet-soft: the established line says software and why" \
		grep -q "offload=software($NSIM_DEV refused: EINVAL)}" <<<"$out"
else
	check "packet-soft: the established line says the kernel has no packet offload" \
		grep -q "offload=software(no packet offload in kernel)}" <<<"$out"
fi
check "packet-soft: ping through the tunnel" sw_ping west -c 2 -W 5 -I 192.0.2.1 10.0.0.2
check "packet-soft: netdevsim holds nothing" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"
check "packet-soft: no policy is offloaded" bash -c '! ip -n "$1" xfrm policy | grep -q offload' _ "$(ns_name west)"
must whack west --name packet-soft --delete
east_empty || true

# 2. packet, fallback=no.
out=$(whack west --name packet-hard --add --config "$SW_LOGDIR/west.conf" 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
if [ "$KX_PACKET" = yes ]; then
	check "packet-hard: added" test "$rc" -eq 0
	out=$(whack west --name packet-hard --up 2>&1); rc=$?
	echo "$out" | sed 's/^/# /'
	check "packet-hard: --up fails" test "$rc" -ne 0
	check "packet-hard: --up shows the diagnostic and that nothing is installed" \
		grep -q "for packet offload: netdevsim: Unsupported ipsec offload type (EINVAL); hint: .*; not installing this SA (hw_offload_fallback=no)" <<<"$out"
	east_empty && ok "packet-hard: east keeps no SA (it was told)" || not_ok "packet-hard: east keeps no SA (it was told)"
else
	check "packet-hard: refused when added, saying why" \
		grep -q "hw_offload=packet refused: this kernel has no packet offload .*not adding this conn (hw_offload_fallback=no)" <<<"$out"
fi
check "packet-hard: west keeps no SA" test "$(nsas west)" -eq 0

# 3. auto: crypto offload in the end.
must whack west --name auto --add --config "$SW_LOGDIR/west.conf"
out=$(whack west --name auto --up 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
check "auto: --up exits 0" test "$rc" -eq 0
check "auto: the established line says crypto offload to the port" \
	grep -q "offload=crypto($NSIM_DEV)}" <<<"$out"
if [ "$KX_PACKET" = yes ]; then
	check "auto: packet offload was asked first, and refused with a notice" \
		grep -q "for packet offload: netdevsim: Unsupported ipsec offload type (EINVAL); .*; trying crypto offload (hw_offload=auto)" <<<"$out"
else
	check "auto: no packet offload is asked on this kernel" bash -c '! grep -q "packet offload" <<<"$1"' _ "$out"
fi
check "auto: netdevsim holds both SAs" grep -q "^SA count=2 " <<<"$(nsim_ipsec "$NSIM_ID")"
check "auto: ping through the tunnel" sw_ping west -c 2 -W 5 -I 192.0.2.1 10.0.0.2
