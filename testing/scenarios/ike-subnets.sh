#!/bin/bash
# Several pairs of subnets in one conn (leftsubnets=), a child SA each over
# one IKE SA, against Debian's libreswan and strongSwan. west (this pluto)
# has 10.1.1.0/24 and 10.1.2.0/24, east 10.2.1.0/24 and 10.2.2.0/24: four
# pairs.
# 1. pluto initiates to libreswan (leftsubnets= too, which libreswan makes
#    into four conns "t/1x1".. sharing an IKE SA): four children come up,
#    eight ESP SAs in each kernel, pings pass between every pair; pluto's
#    --status counts them; a rekey of the four leaves four.
# 2. libreswan initiates: pluto answers IKE_AUTH and each CREATE_CHILD_SA
#    with the pair the selectors fit.
# 3. strongSwan initiates two of the pairs, as two children of one
#    connection: pluto answers both over one IKE SA.
. "$(dirname "$0")/lib.sh"

two_sites_rig
d=$SW_LOGDIR
pluto_psk_conf west 192.0.2.1 192.0.2.2 \
	$'leftsubnets={10.1.1.0/24 10.1.2.0/24}\nrightsubnet=10.2.1.0/24,10.2.2.0/24\nike=aes_gcm128-sha2_256;dh19'
psk=$(sed -n 's/.*PSK "\(.*\)"$/\1/p' "$d/west.secrets")
libreswan_psk_conf 192.0.2.2 192.0.2.1 "" $'leftsubnets={10.2.1.0/24 10.2.2.0/24}\nrightsubnets={10.1.1.0/24 10.1.2.0/24}\nike=aes_gcm128-sha2_256-dh19\nesp=aes_gcm128-null' >"$d/east.conf"
cp "$d/west.secrets" "$d/east.secrets"
pluto_start west west "$d/west.conf" "$d/west.secrets"
libreswan_start east east "$d/east.conf" "$d/east.secrets"
wlog=$d/west/pluto.log

# every_pair_pings: a ping from each of west's subnets to each of east's.
every_pair_pings() {
	local a b
	for a in 1 2; do
		for b in 1 2; do
			sw_ping west -c 1 -W 5 -I "10.1.$a.1" "10.2.$b.1" >/dev/null || return 1
		done
	done
}
esp_packets() { ip -n "$(ns_name "$1")" -s xfrm state | awk '/lifetime current:/ { getline; sub(/.*, */, ""); sub(/\(packets\).*/, ""); n += $0 } END { print n + 0 }'; }
libreswan_children() { libreswan_whack east --trafficstatus 2>&1 | grep -c '"t/[12]x[12]".*type=ESP'; }
pluto_children() { whack west --trafficstatus 2>&1 | grep -c '"t", type=ESP'; }
pluto_status_says() { whack west --status 2>&1 | grep "$1" >/dev/null; }
one_ike_sa_each() {
	[ "$(libreswan_whack east --showstates 2>&1 | grep -c 'ESTABLISHED_IKE_SA')" -eq 1 ] &&
		[ "$(whack west --status 2>&1 | grep -c 'IKE SA #[0-9]* established')" -eq 1 ]
}
four_up() {
	wait_for 60 "eight ESP SAs in west" esp_is west 8 && wait_for 30 "eight in east" esp_is east 8 &&
		[ "$(pluto_children)" -eq 4 ] && [ "$(libreswan_children)" -eq 4 ]
}
rekeyed_since() { [ "$(log_since "$wlog" "$1" | grep -c 'IPsec SA established tunnel mode, rekeying #')" -ge 4 ]; }

# 1. pluto initiates.
out=$(whack west --name t --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "1: --up exits 0 once the first pair is up" test "$rc" -eq 0
check "1: four children, eight ESP SAs in each kernel, each daemon shows four" four_up
check "1: over one IKE SA on each side" one_ike_sa_each
whack west --status 2>&1 | grep '"t"' | _sw_comment
check "1: --status counts the pairs" \
	pluto_status_says 'IPsec SA #[0-9]*, #[0-9]*, #[0-9]*, #[0-9]* installed (4 of 4 subnet pairs)'
before=$(esp_packets west)
check "1: every pair pings" every_pair_pings
check "1: ... through ESP" test "$(esp_packets west)" -ge $((before + 8))
check "1: four policies out in west, one per pair" \
	test "$(ip -n "$(ns_name west)" xfrm policy list dir out | grep -c '^src 10\.1\.[12]\.0/24 dst 10\.2\.[12]\.0/24')" -eq 4
m=$(log_mark "$wlog")
must whack west --name t --rekey-ipsec
check "1: each pair's child is rekeyed" wait_for 60 "four rekeys" rekeyed_since "$m"
check "1: four children again after the rekeys" four_up
check "1: every pair pings after the rekeys" every_pair_pings
must whack west --name t --down
check "1: --down takes all four" wait_for 20 "west's SAs to go" esp_is west 0
check "1: libreswan removed its SAs on our Deletes" wait_for 30 "east's SAs to go" esp_is east 0

# 2. libreswan initiates: its alias t brings up the four conns it made.
must libreswan_whack east --name t --initiate --asynchronous
check "2: four children, eight ESP SAs in each kernel, each daemon shows four" four_up
check "2: over one IKE SA on each side" one_ike_sa_each
check "2: every pair pings" every_pair_pings
# (libreswan brings up again a tunnel it initiated that the peer takes
# down, so it takes its alias down itself)
must libreswan_whack east --name t --terminate
check "2: libreswan's --down takes all four at pluto" wait_for 30 "west's SAs to go" esp_is west 0
check "2: ... and at libreswan" wait_for 30 "east's SAs to go" esp_is east 0
libreswan_stop east

# 3. strongSwan initiates two pairs (1x1 and 2x2) as children of one connection.
swanctl_ts_conf 192.0.2.2 192.0.2.1 "$psk" t:a:10.2.1.0/24:10.1.1.0/24 t:b:10.2.2.0/24:10.1.2.0/24 >"$d/east.swanctl.conf"
strongswan_start east east "$d/east.swanctl.conf"
must swanctl_run east --initiate --child a
must swanctl_run east --initiate --child b
strongswan_ike_sas() { swanctl_run east --list-sas 2>&1 | grep -cE '^t: #[0-9]+, ESTABLISHED'; }
two_pairs_ping() { sw_ping west -c 1 -W 5 -I 10.1.1.1 10.2.1.1 && sw_ping west -c 1 -W 5 -I 10.1.2.1 10.2.2.1; }
check "3: two children, four ESP SAs in west" wait_for 60 "four in west" esp_is west 4
check "3: ... and in east" wait_for 30 "four in east" esp_is east 4
check "3: over one IKE SA" test "$(strongswan_ike_sas)" -eq 1
check "3: pluto shows two of the four pairs" pluto_status_says '(2 of 4 subnet pairs)'
check "3: the two pairs ping" two_pairs_ping
