#!/bin/bash
# On demand, pluto to pluto: west auto=ondemand, east auto=add.
# 1. Before any traffic: no SA, west's --status says routed, its trap is
#    in the kernel.
# 2. A ping from west to east starts the negotiation (that first packet
#    may be dropped); both kernels come to hold 2 ESP SAs and a later
#    ping goes through the tunnel, with no acquire state left behind.
# 3. --down on west removes the SAs but not the trap; the next ping
#    brings the tunnel back.
# 4. --unroute removes the trap; a ping then starts nothing.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 192.0.2.1/24 east veth1 192.0.2.2/24
pluto_psk_conf west 192.0.2.1 192.0.2.2 'auto=ondemand'
pluto_psk_conf east 192.0.2.2 192.0.2.1
wlog=$SW_LOGDIR/west/pluto.log
both_up() { esp_is west 2 && esp_is east 2; }
# The trap: west's outbound policy for the tunnel, with its ESP template.
trap_policy() { ip -n "$(ns_name west)" xfrm policy list dir out src 192.0.2.1/32 dst 192.0.2.2/32; }
has_trap() { trap_policy | grep -q 'proto esp reqid [0-9]* mode tunnel'; }
no_trap() { [ -z "$(trap_policy)" ]; }
# The kernel's larval (acquire) states: SPI 0.
no_larval() { ! ip -n "$(ns_name west)" xfrm state | grep -q 'spi 0x00000000'; }
# ping_until SECONDS: pings (one packet, 2 s each) until one comes back.
ping_until() { wait_for "$1" "a ping through the tunnel" sw_ping west -c 1 -W 2 -I 192.0.2.1 192.0.2.2; }
initiations() { grep -c 'initiating on demand for packet 192.0.2.1 -> 192.0.2.2' "$wlog"; }

pluto_start east east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"
pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"

# 1. Routed, nothing negotiated.
check "west's auto=ondemand conn is routed: its trap is in the kernel" wait_for 10 "west's trap" has_trap
trap_policy | _sw_comment
st=$(whack west --status)
echo "$st" | grep '^"t": ' | _sw_comment
check "west's status says routed, with no SA" \
	grep -qE '^"t": .*; auto=ondemand; routed; IKE SA: none; IPsec SA: none$' <<<"$st"
check "no ESP SA in west before any traffic" esp_is west 0
check "no ESP SA in east either" esp_is east 0

# 2. Traffic brings it up.
m=$(log_mark "$wlog")
sw_ping west -c 1 -W 2 -I 192.0.2.1 192.0.2.2 >/dev/null 2>&1
check "a ping starts the negotiation (the kernel's acquire)" \
	wait_for 30 "west's log" bash -c "log() { tail -n +$((m + 1)) '$wlog'; }; log | grep -q '\"t\": initiating on demand for packet 192.0.2.1 -> 192.0.2.2'"
check "both kernels come to hold the two ESP SAs" wait_for 60 "the tunnel" both_up
check "a later ping goes through" ping_until 30
check "west's outbound SA carried it" test "$(sa_packets west "$(esp_spi west 192.0.2.1 192.0.2.2)")" -ge 1
check "no larval acquire state is left in west's kernel" wait_for 10 "the acquire state to go" no_larval
check "the tunnel's outbound policy stands in the trap's place" has_trap
check "the acquires of the first packets started one negotiation" test "$(initiations)" -eq 1

# 3. Down, and back with the next packet.
must whack west --name t --down
check "--down removes west's SAs" wait_for 20 "west's SAs to go" esp_is west 0
check "and east's" wait_for 20 "east's SAs to go" esp_is east 0
check "but keeps the trap" has_trap
trap_policy | _sw_comment
st=$(whack west --status)
check "west's status says routed after --down" grep -qE '^"t": .*; auto=ondemand; routed; IKE SA: none; IPsec SA: none$' <<<"$st"
check "the next pings bring the tunnel back" ping_until 60
check "both kernels hold the two ESP SAs again" wait_for 30 "the tunnel again" both_up
check "a second negotiation was started on demand" test "$(initiations)" -eq 2

# 4. Unrouted: the trap goes with the tunnel, and traffic starts nothing.
must whack west --name t --down
check "--down again removes the SAs" wait_for 20 "west's SAs to go" esp_is west 0
must whack west --name t --unroute
check "--unroute removes the trap" no_trap
st=$(whack west --status)
check "west's status says unrouted" grep -qE '^"t": .*; auto=ondemand; unrouted; IKE SA: none' <<<"$st"
sw_ping west -c 2 -W 2 -I 192.0.2.1 192.0.2.2 >/dev/null 2>&1
check_fails "a ping then starts nothing" wait_unscaled 5 "a third negotiation" bash -c "[ \$(grep -c 'initiating on demand' '$wlog') -gt 2 ]"
check "and no SA appears" esp_is west 0
