#!/bin/bash
# Road warriors and conns chosen by identity, pluto to pluto on one LAN
# (a bridge in gw's namespace). gw serves one right=%any conn, "rw": three
# road-warrior plutos with their own IDs and PSKs come up on it at once,
# each pings gw through its own tunnel, and gw's --trafficstatus and
# --status list three instances, "rw"[N] ADDRESS; an instance goes with
# its tunnel. road3 finds its own address as %defaultroute and gw's by a
# name. road1 has three more conns to gw: one with an ID gw has no conn or
# PSK for, refused; two with different IDs, PSKs and subnets, both up and
# carrying traffic beside its road-warrior tunnel.
. "$(dirname "$0")/lib.sh"

d=$SW_LOGDIR
roads="road1 road2 road3"
ns_add gw $roads
# gw: the bridge, and the subnets behind its end of road1's two more conns
must ip -n "$(ns_name gw)" -batch - <<'IP'
link add br0 type bridge
addr add 192.0.2.1/24 dev br0
link set br0 up
addr add 10.1.1.1/24 dev lo
addr add 10.1.2.1/24 dev lo
IP
i=11
for r in $roads; do
	must ip link add veth0 netns "$(ns_name "$r")" type veth peer name "p-$r" netns "$(ns_name gw)"
	must ip -n "$(ns_name "$r")" -batch - <<<"addr add 192.0.2.$i/24 dev veth0
link set veth0 up"
	must ip -n "$(ns_name gw)" link set "p-$r" master br0 up
	i=$((i + 1))
done
must ip -n "$(ns_name road1)" -batch - <<'IP'
addr add 10.20.1.1/24 dev lo
addr add 10.20.2.1/24 dev lo
route add 10.1.0.0/16 via 192.0.2.1
IP
must ns gw ip route add 10.20.0.0/16 via 192.0.2.11

# conn NAME LEFT LEFTID RIGHT [RIGHTID [LEFTSUBNET RIGHTSUBNET]]: a PSK conn.
conn() {
	printf 'conn %s\n\tleft=%s\n\tleftid=%s\n\tright=%s\n' "$1" "$2" "$3" "$4"
	[ -z "${5:-}" ] || printf '\trightid=%s\n' "$5"
	[ -z "${6:-}" ] || printf '\tleftsubnet=%s\n\trightsubnet=%s\n' "$6" "$7"
	printf '\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n'
}
# psk ID1 ID2: the secrets line of the pair, the same key at both ends.
psk() { echo "$1 $2 : PSK \"the key of $(printf '%s\n' "$1" "$2" | sort | tr '\n' ' ')- not a real one\""; }
{
	conn rw 192.0.2.1 @gw %any
	conn road1-x 192.0.2.1 @gw 192.0.2.11 @road1-x 10.1.1.0/24 10.20.1.0/24
	conn road1-y 192.0.2.1 @gw 192.0.2.11 @road1-y 10.1.2.0/24 10.20.2.0/24
} >"$d/gw.conf"
for id in @road1 @road2 @road3 @road1-x @road1-y; do psk @gw $id; done >"$d/gw.secrets"
i=11
for r in $roads; do
	conn t "192.0.2.$i" "@$r" 192.0.2.1 @gw >"$d/$r.conf"
	psk "@$r" @gw >"$d/$r.secrets"
	i=$((i + 1))
done
# road3 knows neither address: its own is its default route's, gw's is a
# name in its /etc/hosts; a name nothing resolves (its resolver is at a
# closed port: refused at once) leaves a conn that cannot be initiated.
must ns road3 ip route add default via 192.0.2.1
must ns_etc road3 hosts "192.0.2.1 gw.example"
must ns_etc road3 resolv.conf "nameserver 127.0.0.1"
{
	conn t %defaultroute @road3 gw.example @gw
	conn lost %defaultroute @road3 nowhere.invalid @gw
} >"$d/road3.conf"
# road1's other IDs: two that gw has conns for, one it has not
{
	conn x 192.0.2.11 @road1-x 192.0.2.1 @gw 10.20.1.0/24 10.1.1.0/24
	conn y 192.0.2.11 @road1-y 192.0.2.1 @gw 10.20.2.0/24 10.1.2.0/24
	conn z 192.0.2.11 @road1-z 192.0.2.1 @gw
} >>"$d/road1.conf"
for id in @road1-x @road1-y @road1-z; do psk $id @gw; done >>"$d/road1.secrets"

pluto_start gw gw "$d/gw.conf" "$d/gw.secrets"
for r in $roads; do
	pluto_start "$r" "$r" "$d/$r.conf" "$d/$r.secrets"
done
gwlog=$d/gw/pluto.log

# 1. Three road warriors at once, each on its own instance of "rw".
pids=()
for r in road1 road2 road3; do
	whack "$r" --name t --up >"$d/$r.up" 2>&1 &
	pids+=("$!")
done
i=0
for r in road1 road2 road3; do
	wait "${pids[$i]}"
	check "$r: --up exits 0" test $? -eq 0
	i=$((i + 1))
done
cat "$d"/road?.up | _sw_comment
for n in 1 2 3; do
	check "road$n: ping gw through its tunnel" sw_ping "road$n" -c 1 -W 5 192.0.2.1
done
tstat=$(whack gw --trafficstatus)
echo "$tstat" | _sw_comment
status=$(whack gw --status)
echo "$status" | _sw_comment
for n in 1 2 3; do
	check "gw: trafficstatus lists road$n's instance with its ID and traffic" \
		grep -E "^#[0-9]+: \"rw\"\[[1-3]\] 192\.0\.2\.1$n, type=ESP, add_time=[0-9]+, inBytes=[1-9][0-9]*, outBytes=[1-9][0-9]*, maxBytes=2\^63B, id='@road$n'" <<<"$tstat"
	check "gw: status lists road$n's instance, up" \
		grep -E "^\"rw\"\[[1-3]\] 192\.0\.2\.1$n: 192\.0\.2\.1\[@gw\]\.\.\.192\.0\.2\.1$n\[@road$n\]; instance of \"rw\"; IKE SA #[0-9]+ established; IPsec SA #[0-9]+ installed" <<<"$status"
done
st3=$(whack road3 --status)
echo "$st3" | grep '^"t"' | _sw_comment
check "road3: %defaultroute and gw.example are the addresses found" \
	grep -E '^"t": 192\.0\.2\.13\[@road3\]\.\.\.192\.0\.2\.1\[@gw\]; .*IKE SA #[0-9]+ established' <<<"$st3"
check "road3: the name that does not resolve is said at start" \
	grep "conn \"lost\": right=nowhere.invalid cannot be resolved (.*); it is looked up again when the conn is initiated" "$d/road3/pluto.log"
out=$(whack road3 --name lost --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "road3: initiating it fails, saying why" \
	bash -c '[ "$1" -ne 0 ] && grep -q "cannot initiate: right=nowhere.invalid cannot be resolved" <<<"$2"' _ "$rc" "$out"
check "gw: the three instances are numbered 1 to 3" \
	test "$(grep -oE '^#[0-9]+: "rw"\[[0-9]+\]' <<<"$tstat" | sed 's/.*\[//' | sort | tr -d '\n]')" = 123
check "gw: the template itself has no SA" grep -E '^"rw": 192\.0\.2\.1\[@gw\]\.\.\.%any; .*IKE SA: none' <<<"$status"
check "gw: six ESP SAs, two for each peer" esp_is gw 6

# 2. An ID gw has no conn (and no PSK) for.
mark=$(log_mark "$gwlog")
out=$(whack road1 --name z --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "road1 as @road1-z (an ID gw does not know): --up fails with AUTHENTICATION_FAILED" \
	bash -c '[ "$1" -ne 0 ] && grep -q AUTHENTICATION_FAILED <<<"$2"' _ "$rc" "$out"
check "gw says in one line that the ID fits no conn" \
	test "$(log_since "$gwlog" "$mark" | grep -c "authentication failed: no conn from 192.0.2.11 to 192.0.2.1 fits the peer's ID '@road1-z'")" -eq 1
check "road1 still holds only its two ESP SAs" esp_is road1 2
check "gw still holds six" esp_is gw 6

# 3. An instance goes with its tunnel; the others stay.
must whack road2 --name t --down
check "road2 down: gw drops its SAs" wait_for 10 "gw's SAs of road2 to go" esp_is gw 4
status=$(whack gw --status)
check "road2 down: its instance is gone from gw's status" bash -c '! grep -q "^\"rw\"\[[0-9]*\] 192.0.2.12:" <<<"$1"' _ "$status"
check "road2 down: road1 and road3 still up" sw_ping road1 -c 1 -W 5 192.0.2.1
check "road2 down: road3 still pings" sw_ping road3 -c 1 -W 5 192.0.2.1

# 4. Two more conns between gw and road1, with different IDs and PSKs:
# both up beside road1's road-warrior tunnel.
for c in x y; do
	out=$(whack road1 --name "$c" --up 2>&1); rc=$?
	echo "$out" | _sw_comment
	check "road1: conn $c comes up" test "$rc" -eq 0
done
check "road1: ping through conn x" sw_ping road1 -c 1 -W 5 -I 10.20.1.1 10.1.1.1
check "road1: ping through conn y" sw_ping road1 -c 1 -W 5 -I 10.20.2.1 10.1.2.1
tstat=$(whack gw --trafficstatus)
echo "$tstat" | _sw_comment
check "gw: trafficstatus shows road1-x with @road1-x and traffic" \
	grep -E "^#[0-9]+: \"road1-x\", type=ESP, .*inBytes=[1-9][0-9]*, outBytes=[1-9][0-9]*, .*id='@road1-x'" <<<"$tstat"
check "gw: trafficstatus shows road1-y with @road1-y and traffic" \
	grep -E "^#[0-9]+: \"road1-y\", type=ESP, .*inBytes=[1-9][0-9]*, outBytes=[1-9][0-9]*, .*id='@road1-y'" <<<"$tstat"
check "gw: road1's road-warrior instance is still up" \
	grep -E "^#[0-9]+: \"rw\"\[[0-9]+\] 192\.0\.2\.11, type=ESP, .*id='@road1'" <<<"$tstat"
