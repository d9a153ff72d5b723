#!/bin/bash
# A tunnel to everywhere: rightsubnet=0.0.0.0/0, between two plutos with a
# router between them. west (192.0.2.1, default route via the router) has
# the LAN 10.1.1.0/24; east (198.51.100.2) is the concentrator, with
# 203.0.113.1 standing for the rest of the world. West's default route
# stays as it is (pluto's route for 0.0.0.0/0 goes beside it, behind it
# by its metric, and away with the tunnel); east routes the LAN back
# towards west.
# The LAN's traffic to anywhere goes through ESP; the hosts' own traffic,
# IKE included, does not, so the child is rekeyed and the tunnel goes down
# as usual.
. "$(dirname "$0")/lib.sh"

ns_add west router east
veth_add west veth-w 192.0.2.1/24 router r-w 192.0.2.254/24
veth_add router r-e 198.51.100.254/24 east veth-e 198.51.100.2/24
must ns router sysctl -qw net.ipv4.ip_forward=1
must ip -n "$(ns_name west)" route add default via 192.0.2.254
must ip -n "$(ns_name east)" route add default via 198.51.100.254
must ip -n "$(ns_name west)" addr add 10.1.1.1/24 dev lo
must ip -n "$(ns_name east)" addr add 203.0.113.1/32 dev lo
xfrm_warm_up west
xfrm_warm_up east
d=$SW_LOGDIR
pluto_psk_conf west 192.0.2.1 198.51.100.2 $'leftsubnet=10.1.1.0/24\nrightsubnet=0.0.0.0/0'
pluto_psk_conf east 198.51.100.2 192.0.2.1 $'leftsubnet=0.0.0.0/0\nrightsubnet=10.1.1.0/24'
cp "$d/west.secrets" "$d/east.secrets"
pluto_start west west "$d/west.conf" "$d/west.secrets"
pluto_start east east "$d/east.conf" "$d/east.secrets"
wlog=$d/west/pluto.log

esp_packets() { ip -n "$(ns_name "$1")" -s xfrm state | awk '/lifetime current:/ { getline; sub(/.*, */, ""); sub(/\(packets\).*/, ""); n += $0 } END { print n + 0 }'; }
default_via_router() { ip -n "$(ns_name west)" route show default | grep '^default via 192.0.2.254 dev veth-w' >/dev/null; }
lan_pings_anywhere() { sw_ping west -c 2 -W 5 -I 10.1.1.1 203.0.113.1 >/dev/null; }

must whack west --name t --up
check "the tunnel comes up" wait_for 30 "the SAs" esp_one_pair west 192.0.2.1 east 198.51.100.2
ip -n "$(ns_name west)" xfrm policy list dir out | _sw_comment
check "west's outbound policy takes the LAN to anywhere" \
	test "$(ip -n "$(ns_name west)" xfrm policy list dir out | grep -c '^src 10\.1\.1\.0/24 dst 0\.0\.0\.0/0')" -eq 1
check "west leaves its default route as it was" default_via_router
ip -n "$(ns_name west)" route show | _sw_comment
check "east routes the LAN towards west" \
	wait_for 10 "east's route" bash -c "ip -n $(ns_name east) route show 10.1.1.0/24 | grep -q 'via 198.51.100.254'"
before=$(esp_packets west)
check "the LAN reaches the world behind east" lan_pings_anywhere
check "... through ESP" test "$(esp_packets west)" -ge $((before + 4))
before=$(esp_packets west)
check "the hosts' own traffic is not in the tunnel" sw_ping west -c 2 -W 5 198.51.100.2
check "... (no ESP for it)" test "$(esp_packets west)" -eq "$before"
m=$(log_mark "$wlog")
must whack west --name t --rekey-ipsec
check "the child is rekeyed over IKE outside the tunnel" wait_for 30 "the rekey" \
	_sw_logged_since "$wlog" "$m" "IPsec SA established tunnel mode, rekeying #"
check "one pair of SAs after the rekey" wait_for 15 "the old SAs to go" esp_one_pair west 192.0.2.1 east 198.51.100.2
check "the LAN still reaches the world" lan_pings_anywhere
must whack west --name t --down
check "west holds no ESP SA" wait_for 20 "west's SAs" esp_is west 0
check "east holds no ESP SA" wait_for 20 "east's SAs" esp_is east 0
check "west's default route is still there" default_via_router
check "and no route of pluto's is left (proto 57)" test -z "$(ip -n "$(ns_name west)" route show proto 57)"
