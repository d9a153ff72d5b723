#!/bin/bash
# This pluto to this pluto, IKEv2 with a pre-shared key: each side
# initiates in turn; the SAs are in both kernels, a ping goes through them,
# trafficstatus counts it, and --down removes the SAs on both sides.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 192.0.2.1/24 east veth1 192.0.2.2/24
pluto_psk_conf west 192.0.2.1 192.0.2.2
pluto_psk_conf east 192.0.2.2 192.0.2.1
for side in west east; do
	pluto_start $side $side "$SW_LOGDIR/$side.conf" "$SW_LOGDIR/$side.secrets"
done

# up_from SIDE PEER PEER_ADDR
up_from() {
	local side=$1 peer=$2 peer_addr=$3 out rc
	out=$(whack $side --name t --up 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	check "$side: --up exits 0" test "$rc" -eq 0
	check "$side: --up ends with the established line" \
		grep -qE '^"t" #[0-9]+: IPsec SA established tunnel mode \{ESP=>0x[0-9a-f]{8} <0x[0-9a-f]{8} xfrm=AES_GCM_16_128 esn=(yes|no) offload=none\}$' <<<"$out"
	check "$side: two SAs in its kernel" test "$(ip -n "$(ns_name $side)" xfrm state | grep -c '^src')" -eq 2
	check "$peer: two SAs in its kernel" test "$(ip -n "$(ns_name $peer)" xfrm state | grep -c '^src')" -eq 2
	check "$side: ping through the tunnel" sw_ping $side -c 2 -W 5 "$peer_addr"
	out=$(whack $side --trafficstatus)
	echo "$out" | sed 's/^/# /'
	check "$side: trafficstatus counts the ping both ways" \
		grep -qE "^#[0-9]+: \"t\", type=ESP, add_time=[0-9]+, inBytes=[1-9][0-9]*, outBytes=[1-9][0-9]*, maxBytes=2\^63B, id='$peer_addr', offload=none$" <<<"$out"
	check "$side: status shows both SAs" grep -qE '^"t": .*IKE SA #[0-9]+ established; IPsec SA #[0-9]+ installed' <<<"$(whack $side --status)"
	check "$side: --down exits 0" whack $side --name t --down
	wait_for 10 "$peer to delete its SAs" bash -c "! ip -n $(ns_name $peer) xfrm state | grep -q ." &&
		ok "$peer: the peer's SAs are gone after --down" || not_ok "$peer: the peer's SAs are gone after --down"
	check "$side: its SAs are gone" test -z "$(ip -n "$(ns_name $side)" xfrm state)"
	# (pluto's own IKE sockets keep their bypass policies: "socket in/out")
	check "$side: its policies are gone" test -z "$(ip -n "$(ns_name $side)" xfrm policy | grep -E 'dir (in|out|fwd)')"
}

up_from west east 192.0.2.2
up_from east west 192.0.2.1

# A wrong PSK: authentication fails, --up says so and exits non-zero, no SA anywhere.
echo '192.0.2.1 192.0.2.2 : PSK "not the same secret"' >"$SW_LOGDIR/west.secrets"
pluto_stop west
pluto_start west2 west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
out=$(whack west2 --name t --up 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "a wrong PSK: --up fails" test "$rc" -ne 0
check "a wrong PSK: the reason is named" grep -q 'AUTHENTICATION_FAILED' <<<"$out"
check "a wrong PSK: no SA in either kernel" \
	test -z "$(ip -n "$(ns_name west)" xfrm state)$(ip -n "$(ns_name east)" xfrm state)"
