#!/bin/bash
# Rekeying, pluto to pluto (west initiates, east responds).
# 1. The kernel's lifetimes drive it: salifetime=12, rekeymargin=4 and no
#    fuzz make west's kernel ask for a rekey every 8 s (east, the
#    responder, would at 10 s); ikelifetime=28 rekeys the IKE SA at 24 s.
#    A ping every 0.2 s for 30 s crosses three child rekeys and the IKE
#    rekey without losing a packet, and each kernel holds two ESP SAs
#    after each rekey.
# 2. The responder rekeys: east --rekey-ipsec and --rekey-ike.
# Rekeys from both ends at once, and rekey=no: ike-rekey-collide.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 192.0.2.1/24 east veth1 192.0.2.2/24
xfrm_warm_up west
lifetimes=$'salifetime=12\nikelifetime=28\nrekeymargin=4\nrekeyfuzz=0'
pluto_psk_conf west 192.0.2.1 192.0.2.2 "$lifetimes"
pluto_psk_conf east 192.0.2.2 192.0.2.1 "$lifetimes"
pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
pluto_start east east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"
wlog=$SW_LOGDIR/west/pluto.log elog=$SW_LOGDIR/east/pluto.log
both_up() { esp_is west 2 && esp_is east 2; }
one_ike_sa_each() { whack "$1" --status | grep 'Total IKE SAs: 1;' >/dev/null && whack "$2" --status | grep 'Total IKE SAs: 1;' >/dev/null; }
count_since() { log_since "$1" "$2" | grep -c "$3"; }
west_rx_spi() { esp_spi west 192.0.2.2 192.0.2.1; }

must whack west --name t --up
check "the tunnel comes up" wait_for 30 "the tunnel" both_up

# 1. Three child rekeys and one IKE rekey under a steady ping.
mw=$(log_mark "$wlog") me=$(log_mark "$elog")
sw_ping west -i 0.2 -c 150 -W 2 -I 192.0.2.1 192.0.2.2 >"$SW_LOGDIR/ping.out" 2>&1
tail -n 3 "$SW_LOGDIR/ping.out" | _sw_comment
log_since "$wlog" "$mw" | grep -E "rekeying|established IKE SA|deleted" | _sw_comment
check "in 30 s the kernel's soft expiries made west rekey the child three times or more" \
	test "$(count_since "$wlog" "$mw" 'IPsec SA established tunnel mode, rekeying #[0-9]* (we started it)')" -ge 3
check "east installed each of them as the responder" \
	test "$(count_since "$elog" "$me" 'IPsec SA established tunnel mode, rekeying #[0-9]* (the peer started it)')" -ge 3
check "west rekeyed the IKE SA once ikelifetime less the margin had passed" \
	grep -q "established IKE SA, rekeying #[0-9]* (we started it)" <(log_since "$wlog" "$mw")
check "and east took it" grep -q "established IKE SA, rekeying #[0-9]* (the peer started it)" <(log_since "$elog" "$me")
check "no ping of 150, one every 0.2 s, was lost across the rekeys" \
	grep -q "150 packets transmitted, 150 packets received" "$SW_LOGDIR/ping.out"
check "each kernel holds two ESP SAs" wait_for 10 "the old SAs to go" both_up
check "both ends use the same pair" wait_for 10 "the same pair" esp_one_pair west 192.0.2.1 east 192.0.2.2
check "one IKE SA each (the rekeyed ones are gone)" wait_for 10 "the old IKE SAs to go" one_ike_sa_each west east
st=$(whack west --status | grep '"t":   up')
echo "$st" | _sw_comment
# (while the IKE SA's own rekey runs, its expiry is what is due)
check "--status says the tunnel is up and when its next rekeys are due" \
	grep -qE '^"t":   up(, rekeying the (IPsec|IKE) SA)?; IPsec SA rekey (in [0-9]+ s|now); IKE SA (rekey|expires) (in [0-9]+ s|now)$' <<<"$st"

# 2. The responder rekeys.
spi=$(west_rx_spi)
me=$(log_mark "$elog")
must whack east --name t --rekey-ipsec
check "east rekeys the child" wait_for 10 "the rekey" \
	grep -q 'IPsec SA established tunnel mode, rekeying #[0-9]* (we started it)' <(log_since "$elog" "$me")
spi_changed() { esp_is west 2 && [ "$(west_rx_spi)" != "$spi" ]; }
check "under new SPIs" wait_for 10 "the old SAs to go" spi_changed
check "two ESP SAs each" wait_for 10 "the old SAs to go" both_up
check "a ping goes through" sw_ping west -c 2 -W 5 -I 192.0.2.1 192.0.2.2
me=$(log_mark "$elog")
must whack east --name t --rekey-ike
east_rekeyed_ike() { log_since "$elog" "$me" | grep 'established IKE SA, rekeying #[0-9]* (we started it)' >/dev/null; }
check "east rekeys the IKE SA" wait_for 10 "the new IKE SA" east_rekeyed_ike
check "a ping goes through" sw_ping west -c 2 -W 5 -I 192.0.2.1 192.0.2.2
