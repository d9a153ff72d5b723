#!/bin/bash
# Rekeying by traffic, pluto to pluto: ipsec-max-packets= and
# ipsec-max-bytes= give each ESP SA hard limits in the kernel and soft ones
# at a share of them (west, the initiator, at 25-37%); the kernel's soft
# expiry by count starts the rekey, long before salifetime (1 h here).
# 1. ipsec-max-packets=100: the SAs carry the limits; 150 pings 0.1 s apart
#    make west rekey the child three times or more, each said to be by
#    ipsec-max-packets, without losing a ping, and no SA ever reaches its
#    hard limit.
# 2. ipsec-max-bytes=60KiB: pings of 1000 bytes do the same by bytes.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 192.0.2.1/24 east veth1 192.0.2.2/24
d=$SW_LOGDIR
wlog=$d/west/pluto.log elog=$d/east/pluto.log
count_since() { log_since "$1" "$2" | grep -c "$3"; }
both_up() { esp_is west 2 && esp_is east 2; }

# run PART LIMIT_LINE STATE_RE PING_ARGS...: the tunnel with LIMIT_LINE on
# both ends, its SAs' limits as `ip -s xfrm state` shows them (STATE_RE),
# then 150 pings and the rekeys they caused.
run() {
	local part=$1 limit=$2 state_re=$3 kind=${2%%=*} mw me; shift 3
	pluto_psk_conf west 192.0.2.1 192.0.2.2 $'salifetime=1h\n'"$limit"
	pluto_psk_conf east 192.0.2.2 192.0.2.1 $'salifetime=1h\n'"$limit"
	must whack west --name t --add --config "$d/west.conf"
	must whack east --name t --add --config "$d/east.conf"
	check "$part: the tunnel comes up" whack west --name t --up
	ip -n "$(ns_name west)" -s xfrm state | grep -A1 'limit: soft' | _sw_comment
	check "$part: west's SAs carry the hard limit and a soft one below it" \
		bash -c "ip -n $(ns_name west) -s xfrm state | grep -Ec '$state_re' | grep -qx 2"
	mw=$(log_mark "$wlog") me=$(log_mark "$elog")
	sw_ping west -i 0.1 -c 150 -W 2 "$@" -I 192.0.2.1 192.0.2.2 >"$d/ping.out" 2>&1
	tail -n 3 "$d/ping.out" | _sw_comment
	log_since "$wlog" "$mw" | grep -E "soft expire|rekeying|expired" | _sw_comment
	check "$part: west's kernel said the soft limit was reached ($kind)" \
		grep -q "kernel: soft expire of esp\.[0-9a-f]*@.* ($kind)" <(log_since "$wlog" "$mw")
	check "$part: west rekeyed the child three times or more" \
		test "$(count_since "$wlog" "$mw" 'IPsec SA established tunnel mode, rekeying #[0-9]* (we started it)')" -ge 3
	check "$part: and east took them" \
		test "$(count_since "$elog" "$me" 'IPsec SA established tunnel mode, rekeying #[0-9]* (the peer started it)')" -ge 3
	check "$part: no SA reached its hard limit" \
		bash -c "! grep -q 'hard expire' <(tail -n +$((mw + 1)) '$wlog') <(tail -n +$((me + 1)) '$elog')"
	check "$part: no ping of 150 was lost" grep -q "150 packets transmitted, 150 packets received" "$d/ping.out"
	check "$part: each kernel holds one pair again" wait_for 10 "the old SAs to go" esp_one_pair west 192.0.2.1 east 192.0.2.2
	check "$part: --down" whack west --name t --down
	check "$part: east's SAs go" wait_for 20 "east's SAs to go" esp_is east 0
}

pluto_psk_conf west 192.0.2.1 192.0.2.2
pluto_psk_conf east 192.0.2.2 192.0.2.1
pluto_start west west "$d/west.conf" "$d/west.secrets"
pluto_start east east "$d/east.conf" "$d/east.secrets"

run 1 ipsec-max-packets=100 'soft (2[5-9]|3[0-7])\(packets\), hard 100\(packets\)'
run 2 ipsec-max-bytes=60KiB 'soft (1[5-9][0-9]{3}|2[0-2][0-9]{3})\(bytes\), hard 61440\(bytes\)' -s 1000
