#!/bin/bash
# Routes and the updown hook, this pluto to this pluto. Subnets 10.1.x.0/24
# behind west and 10.2.x.0/24 behind east, and no route between them but
# what pluto installs: conn "lan" (leftsourceip= on each side) comes up,
# each pluto routes the other's subnet towards its peer with its sourceip
# as source, a plain ping between the subnets goes through the tunnel, a
# rekey leaves the routes alone, and --down removes them on both sides;
# routed (--route), the conn has its route until --unroute.
# Conn "scr" has leftupdown= on west: a script that records what it is
# told; up-client and then down-client arrive, and pluto routes nothing
# for it there; on east a route the admin made for it stays beside
# pluto's (another metric), and only pluto's is removed.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 192.0.2.1/24 east veth1 192.0.2.2/24
must ip -n "$(ns_name west)" link add lanw type dummy
must ip -n "$(ns_name east)" link add lane type dummy
for x in 0 1; do
	must ip -n "$(ns_name west)" addr add 10.1.$x.1/24 dev lanw
	must ip -n "$(ns_name east)" addr add 10.2.$x.1/24 dev lane
done
must ip -n "$(ns_name west)" link set lanw up
must ip -n "$(ns_name east)" link set lane up

# The script for conn scr: one line per call, what it was told.
mkdir -p "$SW_RUNDIR"
record=$SW_LOGDIR/updown.record
cat >"$SW_RUNDIR/updown.sh" <<EOF
#!/bin/sh
echo "\$PLUTO_VERB conn=\$PLUTO_CONNECTION me=\$PLUTO_ME peer=\$PLUTO_PEER peer_client=\$PLUTO_PEER_CLIENT peer_net=\$PLUTO_PEER_CLIENT_NET/\$PLUTO_PEER_CLIENT_MASK sourceip=\$PLUTO_MY_SOURCEIP dev=\$PLUTO_INTERFACE peer_id=\$PLUTO_PEER_ID arg=\$1" >>"$record"
echo "updown script ran: \$PLUTO_VERB"
EOF
chmod 700 "$SW_RUNDIR/updown.sh"

# conf HERE THERE ME PEER UPDOWN_LINE: conns lan and scr as seen from HERE,
# whose subnets are 10.ME.x.0/24 (the peer's 10.PEER.x.0/24).
conf() {
	local here=$1 there=$2 me=$3 peer=$4 updown=$5
	printf 'conn lan\n\tleft=%s\n\tright=%s\n\tleftsubnet=10.%s.0.0/24\n\trightsubnet=10.%s.0.0/24\n' "$here" "$there" "$me" "$peer"
	printf '\tleftsourceip=10.%s.0.1\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n' "$me"
	printf 'conn scr\n\tleft=%s\n\tright=%s\n\tleftsubnet=10.%s.1.0/24\n\trightsubnet=10.%s.1.0/24\n' "$here" "$there" "$me" "$peer"
	printf '\tleftsourceip=10.%s.1.1\n%s\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n' "$me" "$updown"
}
conf 192.0.2.1 192.0.2.2 1 2 "	leftupdown=\"$SW_RUNDIR/updown.sh first-arg\""$'\n' >"$SW_LOGDIR/west.conf"
conf 192.0.2.2 192.0.2.1 2 1 "" >"$SW_LOGDIR/east.conf"
echo '192.0.2.1 192.0.2.2 : PSK "routes test secret, not a real one"' >"$SW_LOGDIR/west.secrets"
cp "$SW_LOGDIR/west.secrets" "$SW_LOGDIR/east.secrets"
pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
pluto_start east east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"
wlog=$SW_LOGDIR/west/pluto.log elog=$SW_LOGDIR/east/pluto.log

# route NS NET: the main table's route for NET, as ip shows it ("" for none).
route() { ip -n "$(ns_name "$1")" route show table main | grep "^$2 " || true; }
has_route() { [ -n "$(route "$1" "$2")" ]; }
no_route() { [ -z "$(route "$1" "$2")" ]; }

check "before: west has no route to east's subnet" no_route west 10.2.0.0/24
out=$(whack west --name lan --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "lan: --up exits 0" test "$rc" -eq 0
route west 10.2.0.0/24 | _sw_comment
route east 10.1.0.0/24 | _sw_comment
check "west routes east's subnet via east, from its leftsourceip" \
	grep -qx '10.2.0.0/24 via 192.0.2.2 dev veth0 proto 57 src 10.1.0.1 metric 50 *' <<<"$(route west 10.2.0.0/24)"
check "east (the responder) routes west's subnet the same way" \
	wait_for 10 "east's route" bash -c "ip -n $(ns_name east) route show 10.1.0.0/24 | grep -q 'via 192.0.2.1 dev veth1 proto 57 src 10.2.0.1 metric 50'"
check "west logs the route it added" grep -q '"lan" #[0-9]*: route 10.2.0.0/24 via 192.0.2.2 dev veth0 src 10.1.0.1 added' "$wlog"
spi=$(esp_spi east 192.0.2.1 192.0.2.2)
check "a plain ping from west to east's subnet (source from the route) passes" sw_ping west -c 2 -W 5 10.2.0.1
pkts=$(sa_packets east "${spi:-0}")
check "east's inbound SA decrypted it (${pkts:-0} packets): it went through the tunnel" test "${pkts:-0}" -ge 2

mark=$(log_mark "$wlog")
must whack west --name lan --rekey-ipsec
check "the IPsec SA is rekeyed" wait_for 20 "the rekey" _sw_logged_since "$wlog" "$mark" "IPsec SA established tunnel mode, rekeying"
check "the rekey removed no route" bash -c "! tail -n +$((mark + 1)) '$wlog' | grep -q 'route 10.2.0.0/24'"
check "west's route is still there after the rekey" has_route west 10.2.0.0/24
check "a ping passes after the rekey" sw_ping west -c 1 -W 5 10.2.0.1

check "lan: --down exits 0" whack west --name lan --down
check "west's route is gone after --down" no_route west 10.2.0.0/24
check "east's route goes when west's Delete arrives" wait_for 10 "east's route to go" no_route east 10.1.0.0/24
check "west logs the removal" grep -q '"lan" #[0-9]*: route 10.2.0.0/24 removed' "$wlog"

# Routed (on demand), lan needs its route before any tunnel: its traffic
# must reach the trap. It stands from --route to --unroute.
must whack west --name lan --route
check "--route: west routes east's subnet with no tunnel up" \
	grep -qx '10.2.0.0/24 via 192.0.2.2 dev veth0 proto 57 src 10.1.0.1 metric 50 *' <<<"$(route west 10.2.0.0/24)"
must whack west --name lan --unroute
check "--unroute: the route is gone" no_route west 10.2.0.0/24

# The script: up-client, then down-client; the routes are the script's.
# On east, which routes scr's subnet itself, a route the admin made first
# (metric 0): pluto adds its own beside it (metric 50), and removes only
# its own when the tunnel goes (the kernel removes the first route that
# matches what the request names).
must ip -n "$(ns_name east)" route add 10.1.1.0/24 via 192.0.2.1 dev veth1
out=$(whack west --name scr --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "scr: --up exits 0" test "$rc" -eq 0
check "the script records up-client" wait_for 10 "up-client" grep -q '^up-client conn=scr' "$record"
cat "$record" 2>/dev/null | _sw_comment
check "with libreswan's variables" grep -qx 'up-client conn=scr me=192.0.2.1 peer=192.0.2.2 peer_client=10.2.1.0/24 peer_net=10.2.1.0/255.255.255.0 sourceip=10.1.1.1 dev=veth0 peer_id=192.0.2.2 arg=first-arg' "$record"
check "its output is in pluto's log" wait_for 10 "the script's line" grep -q '"scr" #[0-9]*: updown up-client: updown script ran: up-client' "$wlog"
check "pluto added no route for scr on west (the script's job)" no_route west 10.2.1.0/24
check "east adds its own route for scr's subnet beside the admin's" wait_for 10 "east's line" \
	grep -q '"scr" #[0-9]*: route 10.1.1.0/24 via 192.0.2.1 dev veth1 src 10.2.1.1 added' "$elog"
route east 10.1.1.0/24 | _sw_comment
check "east has both routes" test "$(route east 10.1.1.0/24 | wc -l)" -eq 2
check "scr: --down exits 0" whack west --name scr --down
check "the script records down-client after up-client" wait_for 10 "down-client" \
	bash -c "grep -c . '$record' | grep -qx 2 && tail -n 1 '$record' | grep -q '^down-client conn=scr'"
check "east drops scr's SAs" wait_for 10 "east's SAs to go" bash -c "! ip -n $(ns_name east) xfrm state | grep -q ."
check "east removed its own route" wait_for 10 "east's removal" grep -q '"scr" #[0-9]*: route 10.1.1.0/24 removed' "$elog"
check "and kept the admin's route, alone" grep -qx '10.1.1.0/24 via 192.0.2.1 dev veth1 *' <<<"$(route east 10.1.1.0/24)"
