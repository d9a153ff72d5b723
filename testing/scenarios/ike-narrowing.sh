#!/bin/bash
# Traffic selectors on a real kernel: narrowing= (RFC 7296 2.9) and
# leftprotoport=, between two plutos and against Debian's strongSwan.
# west asks for 10.1.0.0/16 <=> 10.2.0.0/16; east's conn is the /24s that
# hold its and west's test addresses.
# 1. east has narrowing=no (the default): the child is refused with
#    TS_UNACCEPTABLE and no SA or policy is left on either end.
# 2. east has narrowing=yes: the child is the /24s in both kernels, and a
#    ping between the subnets goes through it.
# 3. west has narrowing=no: it refuses east's narrowed answer, and east's
#    SAs go too.
# 4. leftprotoport=icmp on both: the kernel's policies carry the protocol,
#    pings go through the SA and UDP leaves in the clear.
# 5. strongSwan as east narrows west's proposal to its /24s (strongSwan
#    always may); west, with narrowing=yes, takes it and pings pass.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth-w 192.0.2.1/24 east veth-e 192.0.2.2/24
must ip -n "$(ns_name west)" addr add 10.1.1.1/24 dev lo
must ip -n "$(ns_name east)" addr add 10.2.1.1/24 dev lo
must ip -n "$(ns_name west)" route add 10.2.0.0/16 via 192.0.2.2 src 10.1.1.1
must ip -n "$(ns_name east)" route add 10.1.0.0/16 via 192.0.2.1 src 10.2.1.1
d=$SW_LOGDIR
psk="narrowing test secret, not a real one"
# conf FILE LOCAL REMOTE LINES...: conn t between the two hosts.
conf() {
	local f=$1 here=$2 there=$3 line; shift 3
	{
		printf 'conn t\n\tleft=%s\n\tright=%s\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n' "$here" "$there"
		for line in "$@"; do printf '\t%s\n' "$line"; done
	} >"$f"
}
conf "$d/west-wide.conf" 192.0.2.1 192.0.2.2 leftsubnet=10.1.0.0/16 rightsubnet=10.2.0.0/16 narrowing=yes
conf "$d/west-strict.conf" 192.0.2.1 192.0.2.2 leftsubnet=10.1.0.0/16 rightsubnet=10.2.0.0/16
conf "$d/west-icmp.conf" 192.0.2.1 192.0.2.2 leftsubnet=10.1.1.0/24 rightsubnet=10.2.1.0/24 \
	leftprotoport=icmp rightprotoport=icmp
conf "$d/east-strict.conf" 192.0.2.2 192.0.2.1 leftsubnet=10.2.1.0/24 rightsubnet=10.1.1.0/24
conf "$d/east-narrow.conf" 192.0.2.2 192.0.2.1 leftsubnet=10.2.1.0/24 rightsubnet=10.1.1.0/24 narrowing=yes
conf "$d/east-icmp.conf" 192.0.2.2 192.0.2.1 leftsubnet=10.2.1.0/24 rightsubnet=10.1.1.0/24 \
	leftprotoport=1 rightprotoport=1/%any
for side in west east; do echo "192.0.2.1 192.0.2.2 : PSK \"$psk\"" >"$d/$side.secrets"; done
pluto_start west west "$d/west-wide.conf" "$d/west.secrets"
pluto_start east east "$d/east-strict.conf" "$d/east.secrets"
wlog=$d/west/pluto.log elog=$d/east/pluto.log

no_sa_or_policy() {
	test -z "$(ip -n "$(ns_name "$1")" xfrm state)" &&
		test -z "$(ip -n "$(ns_name "$1")" xfrm policy | grep -E 'dir (in|out|fwd)')"
}
# load SIDE FILE: conn t of SIDE replaced by the one in FILE.
load() { must whack "$1" --name t --add --config "$2"; }

# 1. narrowing=no at east: refused.
m=$(log_mark "$elog")
out=$(whack west --name t --up 2>&1)
rc=$?
echo "$out" | _sw_comment
check "1: --up fails" test "$rc" -ne 0
check "1: west is told TS_UNACCEPTABLE" grep -q 'TS_UNACCEPTABLE' <<<"$out"
check "1: east says the selectors are not exactly its own" _sw_logged_since "$elog" "$m" \
	"the peer's traffic selectors are not exactly 10.2.1.0/24 <=> 10.1.1.0/24 (narrowing=no)"
check "1: no SA or policy in west" wait_for 20 "west to clean up" no_sa_or_policy west
check "1: no SA or policy in east" wait_for 20 "east to clean up" no_sa_or_policy east

# 2. narrowing=yes at east: the /24s.
load east "$d/east-narrow.conf"
out=$(whack west --name t --up 2>&1)
rc=$?
echo "$out" | _sw_comment
check "2: --up succeeds" test "$rc" -eq 0
check "2: the SAs are in both kernels" esp_one_pair west 192.0.2.1 east 192.0.2.2
ip -n "$(ns_name west)" xfrm policy | _sw_comment
check "2: west's outbound policy is the narrowed one" \
	bash -c "ip -n $(ns_name west) xfrm policy list dir out | grep -q '^src 10.1.1.0/24 dst 10.2.1.0/24'"
check "2: west has no policy for what it asked for" \
	bash -c "! ip -n $(ns_name west) xfrm policy | grep -q '10.1.0.0/16'"
spi=$(esp_spi west 192.0.2.1 192.0.2.2)
check "2: pings between the subnets pass" sw_ping west -c 3 -W 5 -I 10.1.1.1 10.2.1.1
check "2: ... through the SA" test "$(sa_packets east "$spi")" -ge 3
check "2: --down" whack west --name t --down
check "2: east's SAs go" wait_for 20 "east to clean up" no_sa_or_policy east

# 3. narrowing=no at west: it refuses the narrowed answer.
load west "$d/west-strict.conf"
m=$(log_mark "$wlog")
out=$(whack west --name t --up 2>&1)
rc=$?
echo "$out" | _sw_comment
check "3: --up fails" test "$rc" -ne 0
check "3: west says east narrowed its proposal" _sw_logged_since "$wlog" "$m" \
	"the peer narrowed TSi from 10.1.0.0/16 to 10.1.1.0/24, and this conn has narrowing=no"
check "3: no SA or policy in west" wait_for 20 "west to clean up" no_sa_or_policy west
check "3: no SA or policy in east" wait_for 20 "east to clean up" no_sa_or_policy east

# 4. ICMP only.
load west "$d/west-icmp.conf"
load east "$d/east-icmp.conf"
check "4: --up succeeds" whack west --name t --up
ip -n "$(ns_name west)" xfrm policy | _sw_comment
check "4: west's outbound policy is for ICMP" \
	bash -c "ip -n $(ns_name west) xfrm policy list dir out | grep -A1 '^src 10.1.1.0/24 dst 10.2.1.0/24' | grep -q 'proto icmp'"
spi=$(esp_spi west 192.0.2.1 192.0.2.2)
check "4: pings between the subnets pass" sw_ping west -c 3 -W 5 -I 10.1.1.1 10.2.1.1
before=$(sa_packets west "$spi")
check "4: ... through the SA ($before packets)" test "${before:-0}" -ge 3
tx() { ns west cat /sys/class/net/veth-w/statistics/tx_packets; }
tx0=$(tx)
for _ in 1 2 3; do ns west bash -c 'echo x >/dev/udp/10.2.1.1/9'; done
check "4: UDP leaves west in the clear ($(($(tx) - tx0)) packets on the wire)" test "$(tx)" -ge $((tx0 + 3))
check "4: ... and not through the SA" test "$(sa_packets west "$spi")" -eq "$before"
check "4: --down" whack west --name t --down
check "4: east's SAs go" wait_for 20 "east to clean up" no_sa_or_policy east

# 5. strongSwan narrows.
pluto_stop east
swanctl_psk_conf 192.0.2.2 192.0.2.1 "$psk" aes128gcm16 |
	sed 's|^\(\s*\)mode = tunnel$|&\n\1local_ts = 10.2.1.0/24\n\1remote_ts = 10.1.1.0/24|' >"$d/east.swanctl.conf"
strongswan_start east east "$d/east.swanctl.conf"
load west "$d/west-wide.conf"
out=$(whack west --name t --up 2>&1)
rc=$?
echo "$out" | _sw_comment
check "5: --up succeeds with strongSwan $STRONGSWAN_VERSION" test "$rc" -eq 0
check "5: the SAs are in both kernels" esp_one_pair west 192.0.2.1 east 192.0.2.2
check "5: west's outbound policy is strongSwan's narrowing" \
	bash -c "ip -n $(ns_name west) xfrm policy list dir out | grep -q '^src 10.1.1.0/24 dst 10.2.1.0/24'"
check "5: pings between the subnets pass" sw_ping west -c 3 -W 5 -I 10.1.1.1 10.2.1.1
