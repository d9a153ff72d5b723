#!/bin/bash
# ESN forced onto a device that cannot offload it: west (this pluto) asks for
# hw_offload=yes with esp=aes_gcm128-null and esn=yes; its endpoint sits on a
# netdevsim port, which refuses ESN SAs ("Device doesn't support offload
# with ESN"). East is this pluto too, at its defaults on a plain veth, so it
# takes the ESN west insists on. The refusal is told in one line with the
# hint "try esn=no", in the log and in --up's output, and then:
#   A. hw_offload_fallback=yes: --up succeeds, both SAs run in software with
#      ESN, traffic flows, trafficstatus says offload=software(...);
#   B. hw_offload_fallback=no: --up fails, the peer is told (its IKE SA is
#      deleted), no ESP SA is left on either side, and west does not retry.
# --add already warns of it (the probe made when the first of these conns
# was added showed the port refuses ESN). For contrast, conn "plain" leaves
# esn= at its default: it comes up offloaded, without ESN.
. "$(dirname "$0")/lib.sh"

offload_rig
d=$SW_LOGDIR
cat >"$d/west.conf" <<CONF
conn %default
	left=192.0.2.1
	right=10.0.0.2
	authby=secret
	esp=aes_gcm128-null
	hw_offload=yes

conn soft
	esn=yes
	hw_offload_fallback=yes

conn hard
	esn=yes
	hw_offload_fallback=no

conn plain
CONF
cat >"$d/east.conf" <<CONF
conn t
	left=10.0.0.2
	right=192.0.2.1
	authby=secret
	esp=aes_gcm128-null
	auto=add
CONF
echo '192.0.2.1 10.0.0.2 : PSK "esn forced scenario secret, not a real one"' >"$d/west.secrets"
cp "$d/west.secrets" "$d/east.secrets"
pluto_start west west "$d/west.conf" "$d/west.secrets"
pluto_start east east "$d/east.conf" "$d/east.secrets"
for c in soft hard plain; do
	out=$(whack west --name $c --add --config "$d/west.conf" 2>&1) || not_ok "setup: --add $c: $out"
	echo "$out" | _sw_comment
	case $c in
	plain) check "plain: --add gives no warning" bash -c '! grep -q warning <<<"$1"' _ "$out" ;;
	*) check "$c: --add warns that the port cannot offload the ESN esn=yes forces" grep -q \
		"\"$c\": warning: hw_offload=yes with esn=yes: $NSIM_DEV cannot offload SAs with extended sequence numbers, as its probe found - try esn=no" <<<"$out" ;;
	esac
done
# The refusal of one SA, as the daemon words it; $1 is the conn, $2 the action.
refusal() {
	echo "\"$1\" #[0-9]+: hw_offload: $NSIM_DEV refused (inbound|outbound) SA esp\\.[0-9a-f]{8}@[0-9.]+ \\(AES_GCM_16_128\\): Device doesn't support offload with ESN \\(EINVAL\\); hint: this device cannot offload SAs with extended sequence numbers - try esn=no; $2"
}
no_sa_anywhere() { esp_is west 0 && esp_is east 0; }

# A. fallback=yes: up in software, with ESN.
out=$(whack west --name soft --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "soft: --up exits 0" test "$rc" -eq 0
check "soft: --up shows the refusal of both SAs with the hint 'try esn=no'" \
	test "$(grep -cE "$(refusal soft "running this SA in software \\(hw_offload_fallback=yes\\)")" <<<"$out")" -eq 2
check "soft: the log has the same refusal" \
	grep -qE "$(refusal soft "running this SA in software \\(hw_offload_fallback=yes\\)")" "$d/west/pluto.log"
check "soft: the established line says ESN and software, and why" \
	grep -q "esn=yes offload=software($NSIM_DEV refused: EINVAL)}" <<<"$out"
check "soft: west holds two ESP SAs" esp_is west 2
check "soft: east holds two ESP SAs" wait_for 20 "east's SAs" esp_is east 2
o=$(ip -n "$(ns_name west)" xfrm state)
echo "$o" | _sw_comment
check "soft: both of west's SAs have ESN" test "$(grep -c "flag.*esn" <<<"$o")" -eq 2
check "soft: both of east's SAs have ESN" test "$(ip -n "$(ns_name east)" xfrm state | grep -c "flag.*esn")" -eq 2
check "soft: neither of west's SAs is offloaded" bash -c '! grep -q "offload" <<<"$1"' _ "$o"
check "soft: netdevsim holds nothing" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"
check "soft: ping through the tunnel" sw_ping west -c 2 -W 5 -I 192.0.2.1 10.0.0.2
spi=$(esp_spi east 192.0.2.1 10.0.0.2)
e_in=$(sa_packets east "$spi")
check "soft: east's inbound SA $spi decrypted the pings ($e_in packets)" test "${e_in:-0}" -ge 2
o=$(whack west --trafficstatus)
echo "$o" | _sw_comment
check "soft: trafficstatus says offload=software(...), with traffic" \
	grep -qE "^#[0-9]+: \"soft\", type=ESP, .*inBytes=[1-9][0-9]*, outBytes=[1-9][0-9]*, .*offload=software\\($NSIM_DEV refused: EINVAL\\)$" <<<"$o"
must whack west --name soft --down
check "soft: after --down no SA on either side" wait_for 20 "the SAs to go" no_sa_anywhere

# B. fallback=no: --up fails, and nothing is left anywhere.
mark=$(log_mark "$d/east/pluto.log")
out=$(whack west --name hard --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "hard: --up exits non-zero" test "$rc" -ne 0
check "hard: --up shows the refusal with the hint 'try esn=no'" \
	grep -qE "$(refusal hard "not installing this SA \\(hw_offload_fallback=no\\)")" <<<"$out"
check "hard: --up says the IKE SA is deleted so the peer keeps no SA" \
	grep -q "\"hard\" #[0-9]*: IPsec SA not installed; deleting the IKE SA so 10.0.0.2 keeps no SA either" <<<"$out"
check "hard: east drops the SAs it had installed" wait_for 20 "east's SAs to go" esp_is east 0
check "hard: west holds no ESP SA" esp_is west 0
check "hard: netdevsim holds nothing" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"
east_deleted() { log_since "$d/east/pluto.log" "$mark" | grep -q "\"t\" #[0-9]*: 192.0.2.1 deleted the IKE SA"; }
check "hard: east's log says the peer deleted the IKE SA" wait_for 10 "east to log the Delete" east_deleted
log_since "$d/east/pluto.log" "$mark" | _sw_comment
# No retry: libreswan 4.10 revives such a conn every 5 s; wait longer than that.
sleep 6
check "hard: west did not try again (one IKE_SA_INIT at east in 6 s)" \
	test "$(log_since "$d/east/pluto.log" "$mark" | grep -c "responding to IKE_SA_INIT")" -eq 1
check "hard: and still no SA on either side" no_sa_anywhere

# C. esn= left at its default: no ESN, offloaded.
out=$(whack west --name plain --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "plain: --up exits 0, offloaded, no ESN" \
	bash -c '[ "$1" -eq 0 ] && grep -q "esn=no offload=crypto($2)}" <<<"$3"' _ "$rc" "$NSIM_DEV" "$out"
check "plain: netdevsim holds both SAs" grep -q "^SA count=2 " <<<"$(nsim_ipsec "$NSIM_ID")"
check "plain: ping through the tunnel" sw_ping west -c 2 -W 5 -I 192.0.2.1 10.0.0.2
