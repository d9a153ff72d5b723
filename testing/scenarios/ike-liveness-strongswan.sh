#!/bin/bash
# Liveness against Debian's strongSwan (east), both ways.
# 1. This pluto (west: auto=start, dpddelay=2, retransmit-timeout=4,
#    dpdaction=restart) starts the tunnel; charon dies (kill -9) and is
#    started again: west notices within dpddelay + retransmit-timeout,
#    removes its SAs and brings the tunnel back by itself, saying why.
# 2. The same with dpdaction=clear: the SAs go and the conn stays down.
# 3. strongSwan (dpd_delay=2s, dpd_action=restart, retransmits given up in
#    seconds) starts the tunnel; our pluto dies (kill -9): charon declares
#    it dead, and re-establishes the tunnel once pluto runs again (auto=add);
#    then pluto answers charon's liveness checks: the tunnel stays up.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth-w 192.0.2.1/24 east veth-e 192.0.2.2/24
psk=liveness-interop-psk-not-a-real-one
d=$SW_LOGDIR
# west_conf FILE CONN_LINES...: conn t to east with the lines given.
west_conf() {
	local f=$1 line; shift
	{
		printf 'conn t\n\tleft=192.0.2.1\n\tright=192.0.2.2\n\tauthby=secret\n'
		printf '\tike=aes_gcm128-sha2_256;dh19\n\tesp=aes_gcm128-null\n'
		for line in "$@"; do printf '\t%s\n' "$line"; done
	} >"$f"
}
west_conf "$d/restart.conf" auto=start dpddelay=2 retransmit-timeout=4 dpdaction=restart
west_conf "$d/clear.conf" auto=start dpddelay=2 retransmit-timeout=4 dpdaction=clear
west_conf "$d/add.conf" auto=add
echo "192.0.2.1 192.0.2.2 : PSK \"$psk\"" >"$d/west.secrets"
swanctl_psk_conf 192.0.2.2 192.0.2.1 "$psk" aes128gcm16 aes128gcm16-prfsha256-ecp256 >"$d/east.swanctl.conf"
wlog=$d/west/pluto.log
both_up() { esp_is west 2 && esp_is east 2; }
# charon_crash NAME: kill -9 of charon NAME. Its kernel SAs would outlive it,
# as they would not a reboot: they go too, so the counts below are the new
# charon's alone.
charon_crash() {
	peer_crash "$1"
	ip -n "$(ns_name east)" xfrm state flush
	ip -n "$(ns_name east)" xfrm policy flush
}
# dead_within LOG MARK ACTION: pluto's line that the peer is dead, within
# dpddelay + retransmit-timeout (6 s) and slack for a slow VM.
dead_within() {
	wait_for 40 "pluto to declare east dead" \
		bash -c "tail -n +$(($2 + 1)) '$1' | grep -q 'is dead: no answer in 4 s (retransmit-timeout); dpdaction=$3'"
}

# charon first: pluto's auto=start tries at once, and after a try that
# fails it waits 30 s.
strongswan_start east east "$d/east.swanctl.conf"
pluto_start west west "$d/restart.conf" "$d/west.secrets"
ok "this pluto and strongSwan $STRONGSWAN_VERSION are running"

# 1. charon dies; pluto keeps the conn up (dpdaction=restart).
check "pluto's auto=start conn comes up with strongSwan" wait_for 30 "the tunnel" both_up
check "a ping goes through it" sw_ping west -c 2 -W 5 -I 192.0.2.1 192.0.2.2
m=$(log_mark "$wlog")
old_spi=$(esp_spi west 192.0.2.1 192.0.2.2)
charon_crash east
t0=$(date +%s)
# charon is started again at once (as a supervisor would): it takes up to
# 10 s in a busy VM, longer than pluto's 5 s before its first try, and a
# failed try would put the next one 60 s away. The new charon knows
# nothing of the old IKE SA, so pluto's checks still go unanswered.
strongswan_start east2 east "$d/east.swanctl.conf"
check "pluto declares charon dead (dpdaction=restart)" dead_within "$wlog" "$m" restart
echo "# noticed $(($(date +%s) - t0)) s after the crash"
# (charon is back already, and pluto may have brought the tunnel back by
# now: what shows that it removed the dead peer's SAs is that they are
# gone, and its plan is in its log; the status line is the unit tests')
old_sa_gone() { ! ip -n "$(ns_name west)" xfrm state | grep "spi $old_spi" >/dev/null; }
check "and removes the dead peer's SAs" wait_for 10 "west's old SAs to go" old_sa_gone
brought_back() { log_since "$wlog" "$m" | grep "bringing the tunnel back (the peer stopped answering)" >/dev/null; }
check "with charon back, pluto brings the tunnel back by itself, saying why" wait_for 90 "the revival" brought_back
check "both kernels hold it again" wait_for 30 "the tunnel again" both_up
check "and a ping goes through" sw_ping west -c 2 -W 5 -I 192.0.2.1 192.0.2.2

# 2. dpdaction=clear: the tunnel goes and stays down.
must whack west --name t --down
must whack west --name t --add --config "$d/clear.conf"
must whack west --name t --up
check "dpdaction=clear: the tunnel is up" wait_for 30 "the tunnel" both_up
m=$(log_mark "$wlog")
charon_crash east2
check "pluto declares charon dead (dpdaction=clear)" dead_within "$wlog" "$m" clear
check "and removes its SAs" wait_for 10 "west's SAs to go" esp_is west 0
st=$(whack west --status)
echo "$st" | grep '^"t":' | _sw_comment
check "pluto's status says the tunnel was lost, with no attempt planned" \
	grep -qE '^"t":   the tunnel was lost [0-9]+ s ago: the peer stopped answering; not brought back \(dpdaction=clear\)$' <<<"$st"
check "the status shows no IKE SA for it" grep -qE '^"t": .*; IKE SA: none; IPsec SA: none$' <<<"$st"
# A revival would start 5 s after the loss: give it 8 s to show up.
check_fails "pluto makes no attempt to bring it back" wait_unscaled 8 "an attempt" \
	bash -c "tail -n +$((m + 1)) '$wlog' | grep -q 'initiating IKEv2 connection'"

# 3. strongSwan keeps the tunnel up and our pluto dies. It retransmits a
# request 1 s, then 1.8 s after, gives up 3.2 s later (retransmit_tries=2):
# a dead peer within dpd_delay + 6 s. keyingtries=0: it keeps trying.
swanctl_psk_conf 192.0.2.2 192.0.2.1 "$psk" aes128gcm16 aes128gcm16-prfsha256-ecp256 |
	sed -e 's/^version = 2$/&\ndpd_delay = 2s\nkeyingtries = 0/' \
		-e 's/^esp_proposals = .*$/&\ndpd_action = restart/' >"$d/east-dpd.swanctl.conf"
must grep -q "dpd_action = restart" "$d/east-dpd.swanctl.conf"
must whack west --name t --add --config "$d/add.conf"
strongswan_start east3 east "$d/east-dpd.swanctl.conf" \
	$'retransmit_timeout = 1\nretransmit_base = 1.8\nretransmit_tries = 2'
clog=$d/east3/charon.log
must swanctl_run east3 --initiate --child t --timeout 30
check "strongSwan initiating: the tunnel is up" wait_for 30 "the tunnel" both_up
m=$(log_mark "$clog")
pluto_crash west
check "charon declares this pluto dead" wait_for 40 "charon to give up" \
	bash -c "tail -n +$((m + 1)) '$clog' | grep -q 'giving up after 2 retransmits'"
log_since "$clog" "$m" | grep -iE "retransmit|restart|giving up|DPD" | head -n 20 | _sw_comment
pluto_start west2 west "$d/add.conf" "$d/west.secrets"
check "with pluto back (auto=add), strongSwan re-establishes the tunnel" wait_for 60 "the tunnel again" both_up
check "and a ping goes through" sw_ping west -c 2 -W 5 -I 192.0.2.1 192.0.2.2
# Now only liveness checks cross: pluto must answer each. Three of charon's
# (an empty INFORMATIONAL every dpd_delay of silence), none retransmitted.
spi=$(esp_spi east 192.0.2.2 192.0.2.1)
m=$(log_mark "$clog")
answered() { [ "$(log_since "$clog" "$m" | grep -cE 'parsed INFORMATIONAL response [0-9]+ \[ \]')" -ge 3 ]; }
check "pluto answers three of charon's liveness checks in a row" wait_for 40 "three answered checks" answered
log_since "$clog" "$m" | grep -E "INFORMATIONAL|retransmit|DPD" | head -n 20 | _sw_comment
check "charon retransmitted none of them" bash -c "! tail -n +$((m + 1)) '$clog' | grep -qi retransmit"
check "and the tunnel is the same one (SPI $spi)" test "$(esp_spi east 192.0.2.2 192.0.2.1)" = "$spi" -a -n "$spi"
check "both ends still hold it" both_up
