#!/bin/bash
# Offload end to end over IKEv2 (the offload rig, testing/vm/README.md):
# west's IPsec endpoint 192.0.2.1 sits on a netdevsim port, IKE and ESP go
# over veth to east (10.0.0.2). AES-GCM-128 offloads to the port; AES-CBC
# with fallback=yes comes up in software with the diagnostic; with
# fallback=no --up fails with the diagnostic and neither side keeps an SA,
# whether west initiates or answers.
. "$(dirname "$0")/lib.sh"

offload_rig

cat >"$SW_LOGDIR/west.conf" <<CONF
conn %default
	left=192.0.2.1
	right=10.0.0.2
	authby=secret
	hw_offload=yes

conn gcm
	esp=aes_gcm128-null
	hw_offload_fallback=no

conn cbc-soft
	esp=aes128-sha1
	hw_offload_fallback=yes

conn cbc-hard
	esp=aes128-sha1
	hw_offload_fallback=no
CONF
cat >"$SW_LOGDIR/east.conf" <<CONF
conn t
	left=10.0.0.2
	right=192.0.2.1
	authby=secret
	esp=aes_gcm128-null,aes128-sha1
	auto=add
CONF
echo '192.0.2.1 10.0.0.2 : PSK "offload scenario secret, not a real one"' >"$SW_LOGDIR/west.secrets"
cp "$SW_LOGDIR/west.secrets" "$SW_LOGDIR/east.secrets"
pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
pluto_start east east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"
for c in gcm cbc-soft cbc-hard; do must whack west --name $c --add --config "$SW_LOGDIR/west.conf"; done
nsas() { ip -n "$(ns_name "$1")" xfrm state | grep -c '^src'; }

# 1. AES-GCM-128: both SAs offloaded to the port.
out=$(whack west --name gcm --up 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
check "gcm: --up exits 0" test "$rc" -eq 0
check "gcm: the established line says crypto offload to the port" \
	grep -qE "IPsec SA established tunnel mode .*xfrm=AES_GCM_16_128 esn=no offload=crypto\\($NSIM_DEV\\)\\}" <<<"$out"
ipsec=$(nsim_ipsec "$NSIM_ID")
echo "$ipsec" | sed 's/^/# /'
check "gcm: netdevsim holds both SAs" grep -q "^SA count=2 " <<<"$ipsec"
check "gcm: ping through the tunnel" sw_ping west -c 2 -W 5 -I 192.0.2.1 10.0.0.2
out=$(whack west --trafficstatus)
echo "$out" | sed 's/^/# /'
check "gcm: trafficstatus shows offload=crypto($NSIM_DEV) and traffic" \
	grep -qE "^#[0-9]+: \"gcm\", type=ESP, .*inBytes=[1-9][0-9]*, outBytes=[1-9][0-9]*, .*offload=crypto\\($NSIM_DEV\\)$" <<<"$out"
check "gcm: trafficstatus --json has both directions' offload" \
	grep -q "\"offload_in\": \"crypto($NSIM_DEV)\", \"offload_out\": \"crypto($NSIM_DEV)\"" <<<"$(whack west --trafficstatus --json)"
must whack west --name gcm --down
wait_for 10 "east to drop its SAs" bash -c "test \$(ip -n $(ns_name east) xfrm state | grep -c '^src') -eq 0"
check "gcm: netdevsim's table is empty after --down" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"

# 2. AES-CBC, fallback=yes: up in software, with the diagnostic.
out=$(whack west --name cbc-soft --up 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
check "cbc-soft: --up exits 0" test "$rc" -eq 0
check "cbc-soft: --up shows the refusal with algorithm, device, errno and extack" \
	grep -qE "\"cbc-soft\" #[0-9]+: hw_offload: $NSIM_DEV refused (inbound|outbound) SA esp\\.[0-9a-f]{8}@[0-9.]+ \\(AES_CBC_128-HMAC_SHA1_96\\): ${KX_REFUSED_ALG} \\(EINVAL\\); hint: .*; running this SA in software \\(hw_offload_fallback=yes\\)" <<<"$out"
check "cbc-soft: the established line says software and why" \
	grep -q "offload=software($NSIM_DEV refused: EINVAL)}" <<<"$out"
check "cbc-soft: ping through the tunnel" sw_ping west -c 2 -W 5 -I 192.0.2.1 10.0.0.2
check "cbc-soft: netdevsim holds nothing" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"
must whack west --name cbc-soft --down
wait_for 10 "east to drop its SAs" bash -c "test \$(ip -n $(ns_name east) xfrm state | grep -c '^src') -eq 0"

# 3. AES-CBC, fallback=no, west initiating: --up fails, no SA anywhere.
out=$(whack west --name cbc-hard --up 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
check "cbc-hard: --up fails" test "$rc" -ne 0
check "cbc-hard: --up shows the diagnostic and that nothing is installed" \
	grep -q "${KX_REFUSED_ALG} (EINVAL); hint: .*; not installing this SA (hw_offload_fallback=no)" <<<"$out"
wait_for 10 "east to drop the SAs it made" bash -c "test \$(ip -n $(ns_name east) xfrm state | grep -c '^src') -eq 0" &&
	ok "cbc-hard: east keeps no SA (it was told)" || not_ok "cbc-hard: east keeps no SA (it was told)"
check "cbc-hard: west keeps no SA" test "$(nsas west)" -eq 0

# 4. The same with west answering: it refuses before its IKE_AUTH answer.
for c in gcm cbc-soft; do must whack west --name $c --delete; done
out=$(whack east --name t --up 2>&1); rc=$?
echo "$out" | sed 's/^/# /'
check "responder refusal: east's --up fails" test "$rc" -ne 0
check "responder refusal: east hears NO_PROPOSAL_CHOSEN for the child" grep -q "refused the child SA: NO_PROPOSAL_CHOSEN" <<<"$out"
check "responder refusal: west logged the diagnostic" \
	grep -q "hw_offload: $NSIM_DEV refused inbound SA .*(AES_CBC_128-HMAC_SHA1_96): ${KX_REFUSED_ALG} (EINVAL)" "$SW_LOGDIR/west/pluto.log"
wait_for 10 "both sides to hold no SA" bash -c "test \$(ip -n $(ns_name east) xfrm state | grep -c '^src') -eq 0" || true
check "responder refusal: no SA on either side" test "$(nsas west)$(nsas east)" = 00
