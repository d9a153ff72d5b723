#!/bin/bash
# Two conns between the same two hosts, one per pair of subnets: west has
# 10.1.1.0/24 and 10.1.2.0/24, east 10.2.1.0/24 and 10.2.2.0/24; conn a
# joins the first of each, conn b the second.
# 1. Two plutos: west brings up a and then b; a and b have the same hosts
#    and IDs, so b's child is made over a's IKE SA (CREATE_CHILD_SA), as
#    libreswan does, and east, as responder, finds b by the IKE SA's IDs
#    and the request's traffic selectors. Both tunnels carry their
#    traffic through ESP.
#    A reload at west with b gone from its ipsec.conf takes b's SAs and
#    policies out of both kernels (Delete sent) and leaves a's alone; a
#    second, with a changed, replaces a's tunnel with a new one; a third
#    adds b again.
# 2. strongSwan as east initiates both (two connections), by default
#    (reuse_ikesa = yes) b's child over a's IKE SA: this pluto answers it
#    with b, the conn the selectors name, over that IKE SA.
. "$(dirname "$0")/lib.sh"

two_sites_rig
d=$SW_LOGDIR
# conns SIDE HERE THERE LOCAL REMOTE: conns a and b of SIDE, LOCAL and
# REMOTE being the first two octets of its and the other side's subnets.
conns() {
	local n
	for n in 1 2; do
		printf 'conn %s\n\tleft=%s\n\tright=%s\n\tleftsubnet=%s.%s.0/24\n\trightsubnet=%s.%s.0/24\n' \
			"$([ "$n" = 1 ] && echo a || echo b)" "$2" "$3" "$4" "$n" "$5" "$n"
		printf '\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n\n'
	done >"$d/$1.conf"
}
conns west 192.0.2.1 192.0.2.2 10.1 10.2
conns east 192.0.2.2 192.0.2.1 10.2 10.1
psk="two conns test secret, not a real one"
echo "192.0.2.1 192.0.2.2 : PSK \"$psk\"" >"$d/west.secrets"
cp "$d/west.secrets" "$d/east.secrets"
pluto_start west west "$d/west.conf" "$d/west.secrets"
pluto_start east east "$d/east.conf" "$d/east.secrets"
elog=$d/east/pluto.log

esp_packets() { ip -n "$(ns_name "$1")" -s xfrm state | awk '/lifetime current:/ { getline; sub(/.*, */, ""); sub(/\(packets\).*/, ""); n += $0 } END { print n + 0 }'; }
pair_pings() { sw_ping west -c 2 -W 5 -I "10.1.$1.1" "10.2.$1.1" >/dev/null; }
conn_up() { whack "$1" --status 2>&1 | grep "^\"$2\": .*IKE SA #[0-9]* established; IPsec SA #[0-9]* installed" >/dev/null; }

# 1. Two plutos.
must whack west --name a --up
must whack west --name b --up
check "1: four ESP SAs in each kernel" wait_for 30 "the SAs" esp_is west 4
check "1: ... in east too" wait_for 30 "east's SAs" esp_is east 4
check "1: west shows a up" conn_up west a
check "1: west shows b up" conn_up west b
check "1: east shows a up" conn_up east a
check "1: east shows b up" conn_up east b
check "1: east took b by its traffic selectors, over a's IKE SA" \
	grep -q "the peer's traffic selectors are those of conn \"b\": its tunnel joins this IKE SA" "$elog"
over_a() { whack "$1" --status 2>&1 | grep "^\"b\": .*; over the IKE SA of \"a\"" >/dev/null; }
check "1: west shows b over a's IKE SA" over_a west
check "1: ... and so does east" over_a east
before=$(esp_packets west)
check "1: a's subnets ping" pair_pings 1
check "1: b's subnets ping" pair_pings 2
check "1: ... through ESP" test "$(esp_packets west)" -ge $((before + 8))

# A reload: b removed from west's file, a unchanged.
sa_nums() { whack west --status 2>&1 | sed -n 's/^"a": .*\(IKE SA #[0-9]* established; IPsec SA #[0-9]*\) installed.*/\1/p'; }
a_sas=$(sa_nums)
sed -i '/^conn b$/,$d' "$d/west.conf"
b_policy() { ip -n "$(ns_name "$1")" xfrm policy | grep -E "src 10\.[12]\.2\.0/24 dst 10\.[12]\.2\.0/24" >/dev/null; }
check "1: reload without b succeeds, saying b is deleted" eval 'whack west --rereadall | grep "^\"b\": whack --reload: no longer in .*: deleted" >/dev/null'
check "1: b's SAs leave west's kernel, a's stay" wait_for 20 "west's SAs" esp_is west 2
check_fails "1: ... and b's policies" b_policy west
check "1: east, told by a Delete, removes b's SAs" wait_for 20 "east's SAs" esp_is east 2
check_fails "1: ... and b's policies" b_policy east
check "1: a's tunnel was not touched (same IKE and IPsec SAs)" test "$(sa_nums)" = "$a_sas"
check "1: ... and carries traffic" pair_pings 1
# A reload with a changed: its tunnel is replaced, up again on the new config.
sed -i 's/^\tesp=aes_gcm128-null$/\tesp=aes_gcm128-null\n\tsalifetime=2h/' "$d/west.conf"
check "1: reload with a changed replaces it" eval 'whack west --rereadall | grep "^\"a\": whack --reload: salifetime= changed: replaced, and brought up again" >/dev/null'
a_replaced() { conn_up west a && [ "$(sa_nums)" != "$a_sas" ]; }
check "1: a comes up again on new SAs" wait_for 30 "a's new SAs" a_replaced
check "1: ... with the new salifetime" eval 'whack west --status | grep -E "^\"a\": .*salifetime=7200" >/dev/null'
check "1: ... and carries traffic" pair_pings 1
check "1: west holds a's two SAs, no more" wait_for 20 "west's SAs" esp_is west 2
must whack west --name a --down
check "1: both go down on both sides" wait_for 20 "west's SAs" esp_is west 0
check "1: ... at east too" wait_for 20 "east's SAs" esp_is east 0
# b back in west's file, for part 2.
conns west 192.0.2.1 192.0.2.2 10.1 10.2
check "1: a reload adds b again" eval 'whack west --rereadall | grep "^\"b\": whack --reload: new in .*: added$" >/dev/null'
pluto_stop east

# 2. strongSwan initiates both.
swanctl_ts_conf 192.0.2.2 192.0.2.1 "$psk" a:a:10.2.1.0/24:10.1.1.0/24 b:b:10.2.2.0/24:10.1.2.0/24 >"$d/east.swanctl.conf"
strongswan_start east east "$d/east.swanctl.conf"
must swanctl_run east --initiate --child a
must swanctl_run east --initiate --child b
check "2: four ESP SAs in west" wait_for 60 "west's SAs" esp_is west 4
check "2: ... and in east" wait_for 30 "east's SAs" esp_is east 4
check "2: west shows a up" conn_up west a
check "2: west shows b up" conn_up west b
check "2: ... over a's IKE SA" over_a west
sw_sas() { swanctl_run east --list-sas 2>&1; }
check "2: strongSwan holds one IKE SA ..." eval '[ "$(sw_sas | grep -cE "^[^ ].*: #[0-9]+, ESTABLISHED, IKEv2")" -eq 1 ]'
check "2: ... with both children" eval '[ "$(sw_sas | grep -cE "^  [^ ].*: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL")" -eq 2 ]'
check "2: a's subnets ping" pair_pings 1
check "2: b's subnets ping" pair_pings 2
