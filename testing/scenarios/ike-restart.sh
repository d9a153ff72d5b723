#!/bin/bash
# Our own pluto crashes with three tunnels up and starts again. west and
# east (both this pluto) share three conns t1 t2 t3, one per subnet pair
# (10.1.N.0/24 behind west, 10.2.N.0/24 behind east), so three IKE SAs with
# the same peer; west starts them (auto=start), east answers (auto=add).
# After kill -9 of west and a new start: the new pluto removed what its
# predecessor left in the kernel, all three tunnels are back, east dropped
# its stale SAs on west's INITIAL_CONTACT and kept every new one (exactly
# two ESP SAs per tunnel on each side), and pings pass through each.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 192.0.2.1/24 east veth1 192.0.2.2/24
# The subnets live on dummy interfaces. The hosts route the /16s to each
# other themselves (pluto adds each tunnel's /24 beside them, and a pluto
# killed with -9 leaves its routes, so the admin's keep the test about the
# SAs); the policies make that traffic ESP.
must ip -n "$(ns_name west)" link add lanw type dummy
must ip -n "$(ns_name east)" link add lane type dummy
for n in 1 2 3; do
	must ip -n "$(ns_name west)" addr add 10.1.$n.1/24 dev lanw
	must ip -n "$(ns_name east)" addr add 10.2.$n.1/24 dev lane
done
must ip -n "$(ns_name west)" link set lanw up
must ip -n "$(ns_name east)" link set lane up
must ip -n "$(ns_name west)" route add 10.2.0.0/16 via 192.0.2.2
must ip -n "$(ns_name east)" route add 10.1.0.0/16 via 192.0.2.1

# three_conns AUTO: t1 t2 t3 between west and east (each pluto finds its end).
three_conns() {
	local n
	for n in 1 2 3; do
		printf 'conn t%s\n\tleft=192.0.2.1\n\tright=192.0.2.2\n\tleftsubnet=10.1.%s.0/24\n' "$n" "$n"
		printf '\trightsubnet=10.2.%s.0/24\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=%s\n' "$n" "$1"
	done
}
three_conns start >"$SW_LOGDIR/west.conf"
three_conns add >"$SW_LOGDIR/east.conf"
echo '192.0.2.1 192.0.2.2 : PSK "restart test secret, not a real one"' >"$SW_LOGDIR/west.secrets"
cp "$SW_LOGDIR/west.secrets" "$SW_LOGDIR/east.secrets"
all_up() { esp_is west 6 && esp_is east 6; }
# spis NS: the SPIs of NS's ESP SAs, one a line.
spis() { ip -n "$(ns_name "$1")" xfrm state | awk '$1 == "proto" && $2 == "esp" { print $4 }' | sort; }
none_of() { [ -z "$(comm -12 <(echo "$1") <(echo "$2"))" ]; } # OLD NOW: no line of OLD in NOW
# out_packets: what west's outbound ESP SAs have carried, all together.
out_packets() {
	ip -n "$(ns_name west)" -s xfrm state list src 192.0.2.1 dst 192.0.2.2 proto esp |
		awk '/lifetime current:/ { getline; sub(/.*, */, ""); sub(/\(packets\).*/, ""); n += $0 } END { print n + 0 }'
}
pings() { # WHO: a ping through each tunnel, which ESP carried (not in clear)
	local n before
	for n in 1 2 3; do
		before=$(out_packets)
		check "$1: a ping passes through t$n (10.1.$n.1 -> 10.2.$n.1)" sw_ping west -c 2 -W 5 -I 10.1.$n.1 10.2.$n.1
		check "$1: ESP carried it" test "$(out_packets)" -ge $((before + 2))
	done
}

pluto_start east east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"
pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
check "west's three auto=start conns come up by themselves" wait_for 60 "three tunnels" all_up
pings "before the crash"
old=$(spis west)
echo "$old" | _sw_comment

elog=$SW_LOGDIR/east/pluto.log
m=$(log_mark "$elog")
pluto_crash west
check "west's kernel keeps the crashed pluto's six SAs" esp_is west 6
pluto_start west2 west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
check "after a new start all three tunnels are back" wait_for 60 "three tunnels again" all_up
wlog=$SW_LOGDIR/west2/pluto.log
for n in 1 2 3; do
	check "west2 established t$n" grep -q "^.*\"t$n\" #[0-9]*: IPsec SA established tunnel mode" "$wlog"
done
check "west's kernel holds none of the SAs of the pluto that crashed" none_of "$old" "$(spis west)"
check "east holds none of them either" none_of "$old" "$(spis east)"
dropped=$(log_since "$elog" "$m" | grep -c "the peer started afresh (INITIAL_CONTACT in IKE SA #")
log_since "$elog" "$m" | grep "INITIAL_CONTACT" | _sw_comment
check "west's INITIAL_CONTACT made east drop its three stale IKE SAs ($dropped dropped)" test "$dropped" -eq 3
pings "after the restart"
# Every tunnel's SAs on each side, the same pairs: none lost to another's
# INITIAL_CONTACT, none stale.
check "west holds exactly six ESP SAs" esp_is west 6
check "east holds exactly six ESP SAs" esp_is east 6
check "both kernels hold the same SPIs" test "$(spis west)" = "$(spis east)"
st=$(whack east --status)
echo "$st" | _sw_comment
for n in 1 2 3; do
	check "east's status shows t$n's IKE SA established and its IPsec SA installed" \
		grep -qE "^\"t$n\": .*; IKE SA #[0-9]+ established; IPsec SA #[0-9]+ installed\$" <<<"$st"
done
