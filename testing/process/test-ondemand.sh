#!/usr/bin/env bash
# Process tests of routing (auto=ondemand, ipsec auto --route/--unroute):
# the commands' arguments, --status, and the trap policies pluto leaves in
# the kernel (ip xfrm policy). Installing a policy needs no kernel ESP, but
# it needs a network namespace of our own: without one, only the argument
# checks run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../lib/netns.sh"
own_netns "$@"; netns=$?
BINDIR=${BINDIR:-$here/../../build/bin}
ipsec=$BINDIR/ipsec
whack=$BINDIR/whack

# --- arguments (no pluto needed: they are refused before it is asked) ---
out=$("$whack" --rundir /nonexistent --route 2>&1); rc=$?
if [ $rc -eq 2 ] && printf '%s' "$out" | grep -q 'whack: --route needs --name NAME'; then
	ok "whack --route without --name is a usage error"
else
	not_ok "whack --route without --name is a usage error" "exit $rc" "$out"
fi
out=$("$whack" --rundir /nonexistent --name t --route --unroute 2>&1); rc=$?
if [ $rc -eq 2 ] && printf '%s' "$out" | grep -q 'give one command at a time (--route and --unroute)'; then
	ok "whack --route --unroute is refused: one command at a time"
else
	not_ok "whack --route --unroute is refused: one command at a time" "exit $rc" "$out"
fi
out=$("$ipsec" auto --route 2>&1); rc=$?
if [ $rc -eq 2 ] && printf '%s' "$out" | grep -q 'usage: ipsec auto .*--route|--unroute NAME'; then
	ok "ipsec auto --route without a name prints the usage"
else
	not_ok "ipsec auto --route without a name prints the usage" "exit $rc" "$out"
fi
out=$("$ipsec" auto --route t --unroute 2>&1); rc=$?
if [ $rc -eq 2 ] && printf '%s' "$out" | grep -q 'give one of .*--route, --unroute'; then
	ok "ipsec auto --route NAME --unroute is refused"
else
	not_ok "ipsec auto --route NAME --unroute is refused" "exit $rc" "$out"
fi
expect_match "whack --help lists --route and --unroute" '--name NAME --unroute' "$("$whack" --help 2>&1)"

if [ $netns -ne 0 ]; then
	skip "routing in the kernel" "needs root, ip and unshare -n for a network namespace of its own"
	tap_exit
	exit
fi

tmp=$(mktemp -d /tmp/pluto-ondemand.XXXXXX)
run=$tmp/run
trap 'pkill -F "$run/pluto.pid" 2>/dev/null; rm -rf "$tmp"' EXIT
ctl=(--rundir "$run")
cat > "$tmp/ipsec.conf" <<'CONF'
config setup
	logfile=/dev/null

conn %default
	authby=secret
	esp=aes_gcm128-null
	left=127.0.0.1
	right=127.0.0.2

conn od
	leftsubnet=10.1.0.0/24
	rightsubnet=10.2.0.0/24
	auto=ondemand

conn manual
	leftsubnet=10.3.0.0/24
	rightsubnet=10.4.0.0/24
	auto=add

conn elsewhere
	left=192.0.2.77
	right=192.0.2.78
	auto=add
CONF
echo '127.0.0.1 127.0.0.2 : PSK "not-a-real-secret-ondemand"' > "$tmp/ipsec.secrets"

# trap SRC DST: the kernel's outbound policy from SRC to DST, if any.
trap_of() { ip xfrm policy list dir out src "$1" dst "$2" 2>/dev/null; }

# What a killed pluto leaves: a route of pluto's protocol (57), beside an
# admin's for another subnet.
ip route add 10.9.0.0/24 dev lo proto 57 metric 50
ip route add 10.8.0.0/24 dev lo
expect_ok "pluto starts with an auto=ondemand conn" "$ipsec" start --config "$tmp/ipsec.conf" \
	--secretsfile "$tmp/ipsec.secrets" --rundir "$run" --logfile "$tmp/pluto.log"
status=$("$ipsec" "${ctl[@]}" status 2>&1)
expect_match "status says the auto=ondemand conn is routed" '^"od": .*; tunnel; auto=ondemand; routed; IKE SA: none; IPsec SA: none$' "$status"
expect_match "and the auto=add conn unrouted" '^"manual": .*; auto=add; unrouted; ' "$status"
policy=$(trap_of 10.1.0.0/24 10.2.0.0/24)
expect_match "its trap is in the kernel: a tunnel template to the peer with a reqid of pluto's" \
	'proto esp reqid (1[6-9][0-9]{3}|2[0-9]{4}|3[0-2][0-9]{3}) mode tunnel' "$policy"
expect_match "from this end to the other" 'tmpl src 127\.0\.0\.1 dst 127\.0\.0\.2' "$policy"
expect_match "at start, the route an earlier pluto left is gone" '^$' "$(ip route show 10.9.0.0/24)"
expect_match "and its removal logged" 'at start: removed route 10\.9\.0\.0/24 dev lo, left by pluto \(its protocol 57\)' \
	"$(cat "$tmp/pluto.log")"
expect_match "the admin's route stays" '^10\.8\.0\.0/24 dev lo' "$(ip route show 10.8.0.0/24)"
expect_match "the start was logged as routed" '"od": routed: a packet for 10\.1\.0\.0/24 -> 10\.2\.0\.0/24 starts a negotiation' \
	"$(cat "$tmp/pluto.log")"

out=$("$ipsec" "${ctl[@]}" auto --route manual 2>&1); rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q '"manual": routed: a packet for 10.3.0.0/24 -> 10.4.0.0/24'; then
	ok "auto --route routes an auto=add conn and says so"
else
	not_ok "auto --route routes an auto=add conn and says so" "exit $rc" "$out"
fi
expect_match "its trap is in the kernel" 'mode tunnel' "$(trap_of 10.3.0.0/24 10.4.0.0/24)"
expect_match "status says so" '^"manual": .*; auto=add; routed; ' "$("$ipsec" "${ctl[@]}" status)"
expect_match "routing it again says it already is" '"manual": already routed' "$("$ipsec" "${ctl[@]}" auto --route manual 2>&1)"

out=$("$ipsec" "${ctl[@]}" auto --route elsewhere 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'cannot route: neither left=192.0.2.77 nor right=192.0.2.78 is an address of this host'; then
	ok "auto --route of a conn not on this host fails, saying why"
else
	not_ok "auto --route of a conn not on this host fails, saying why" "exit $rc" "$out"
fi
expect_fail "auto --route of an unknown conn fails" "$ipsec" "${ctl[@]}" auto --route nosuch

expect_ok "whack --unroute unroutes" "$whack" "${ctl[@]}" --name manual --unroute
expect_match "status says unrouted" '^"manual": .*; auto=add; unrouted; ' "$("$ipsec" "${ctl[@]}" status)"
expect_match "and its trap is gone from the kernel" '^$' "$(trap_of 10.3.0.0/24 10.4.0.0/24)"
expect_match "unrouting again says it is not routed" '"manual": not routed' "$("$ipsec" "${ctl[@]}" auto --unroute manual 2>&1)"

expect_ok "auto --unroute of the auto=ondemand conn" "$ipsec" "${ctl[@]}" auto --unroute od
expect_match "takes its trap away" '^$' "$(trap_of 10.1.0.0/24 10.2.0.0/24)"
expect_ok "auto --route brings it back" "$ipsec" "${ctl[@]}" auto --route od
expect_match "the trap is back" 'mode tunnel' "$(trap_of 10.1.0.0/24 10.2.0.0/24)"

expect_match "auto --add that replaces it routes the new one (auto=ondemand)" '"od": routed: ' \
	"$("$ipsec" "${ctl[@]}" auto --add od --config "$tmp/ipsec.conf" 2>&1)"
expect_match "with one trap in the kernel" '^1$' "$(ip xfrm policy list dir out | grep -c '^src 10\.1\.0\.0/24 dst 10\.2\.0\.0/24')"

expect_ok "auto --delete of a routed conn" "$ipsec" "${ctl[@]}" auto --delete od
expect_match "takes its trap with it" '^$' "$(trap_of 10.1.0.0/24 10.2.0.0/24)"

"$ipsec" "${ctl[@]}" auto --route manual >/dev/null 2>&1
expect_ok "ipsec stop" "$ipsec" "${ctl[@]}" stop
wait_until 10 test ! -e "$run/pluto.pid"
expect_match "leaves no trap behind" '^$' "$(ip xfrm policy list dir out)"
expect_match "nor a route of pluto's" '^$' "$(ip route show proto 57)"
expect_match "and the admin's stays" '^10\.8\.0\.0/24 dev lo' "$(ip route show 10.8.0.0/24)"
tap_exit
