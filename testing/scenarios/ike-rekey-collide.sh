#!/bin/bash
# Rekeys from both ends at once, and rekey=no, pluto to pluto.
# 1. Both ends rekey the child at once, the wire slowed (netem, 3 s each
#    way, more than the two whack commands lie apart even on a loaded
#    machine under TCG, where 1.5 s was once too little) so
#    that the requests cross: both exchanges complete, the child
#    of the one with the lowest nonce is deleted by the end that started
#    it, and one child is left (RFC 7296 2.8.1).
# 2. Both ends rekey the IKE SA at once, the same way: the new IKE SA of
#    the exchange with the lowest nonce goes, the other takes the tunnel,
#    and one IKE SA is left on each end (2.8.2).
# 3. rekey=no: the SAs expire at salifetime and nothing rekeys them.
# (The lifetimes are long in 1 and 2, so only the rekeys asked for run.)
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 192.0.2.1/24 east veth1 192.0.2.2/24
# (no retransmit while a request is slowed on the wire)
pluto_psk_conf west 192.0.2.1 192.0.2.2 'retransmit-interval=10000'
pluto_psk_conf east 192.0.2.2 192.0.2.1 'retransmit-interval=10000'
pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
pluto_start east east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"
wlog=$SW_LOGDIR/west/pluto.log elog=$SW_LOGDIR/east/pluto.log
both_up() { esp_is west 2 && esp_is east 2; }
one_ike_sa_each() { whack west --status | grep 'Total IKE SAs: 1;' >/dev/null && whack east --status | grep 'Total IKE SAs: 1;' >/dev/null; }
# (grep reads all of it: with pipefail, a grep -q that stops early fails the pipe)
in_logs_since() { { log_since "$wlog" "$mw"; log_since "$elog" "$me"; } | grep "$1" >/dev/null; }
# whack on both ends at once (a background whack is waited for alone: the
# plutos are this shell's background jobs too).
whack_both() {
	local pid
	whack west "$@" >/dev/null &
	pid=$!
	whack east "$@" >/dev/null
	wait "$pid"
}

must whack west --name t --up
check "the tunnel comes up" wait_for 30 "the tunnel" both_up

# 1. The child, from both ends at once, the requests crossing on a slow wire.
must modprobe sch_netem
must ns west tc qdisc add dev veth0 root netem delay 3000ms
must ns east tc qdisc add dev veth1 root netem delay 3000ms
mw=$(log_mark "$wlog") me=$(log_mark "$elog")
whack_both --name t --rekey-ipsec
check "the crossed child rekeys collide: the one with the lower nonce is deleted" wait_for 20 "the collision" \
	in_logs_since "collided with the peer.s and had the lower nonce"
check "one child is left" wait_for 10 "two SAs each" both_up
check "both ends use it" wait_for 10 "the same pair" esp_one_pair west 192.0.2.1 east 192.0.2.2
# Each end's own Delete answered, so that no request of its own holds
# back the next rekey and the two cross again.
own_delete_answered() { log_since "$1" "$2" | grep -E ' is deleted$| is deleted at the peer$' >/dev/null; }
settled() { own_delete_answered "$wlog" "$mw" && own_delete_answered "$elog" "$me"; }
check "each end's Delete of its part is answered" wait_for 20 "the Deletes" settled
# 2. The IKE SA, the same way.
mw=$(log_mark "$wlog") me=$(log_mark "$elog")
whack_both --name t --rekey-ike
check "the crossed IKE SA rekeys collide: the new IKE SA with the lower nonce is deleted" \
	wait_for 30 "the IKE collision" in_logs_since "our IKE SA rekey collided with the peer.s and had the lower nonce"
check "and the other end's takes the tunnel" \
	wait_for 10 "the other" in_logs_since "the peer.s IKE SA rekey collided with ours and had the lower nonce"
check "one IKE SA each" wait_for 20 "one IKE SA each" one_ike_sa_each
must ns west tc qdisc del dev veth0 root
must ns east tc qdisc del dev veth1 root
check "a ping goes through" sw_ping west -c 2 -W 5 -I 192.0.2.1 192.0.2.2
check "two ESP SAs each" wait_for 10 "the SAs" both_up

# 3. rekey=no: the SAs live their salifetime, then go.
pluto_stop west
pluto_stop east
norekey=$'salifetime=6\nrekey=no'
pluto_psk_conf west 192.0.2.1 192.0.2.2 "$norekey"
pluto_psk_conf east 192.0.2.2 192.0.2.1 "$norekey"
pluto_start west2 west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
pluto_start east2 east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"
must whack west2 --name t --up
check "rekey=no: the tunnel comes up" wait_for 30 "the tunnel" both_up
none_left() { esp_is west 0 && esp_is east 0; }
check "and its SAs expire after salifetime, on both ends" wait_for 30 "the SAs to expire" none_left
check "the end whose kernel expired it first says so" \
	grep -q "the IPsec SA expired (salifetime) without being rekeyed" "$SW_LOGDIR/west2/pluto.log" "$SW_LOGDIR/east2/pluto.log"
check_fails "and nothing rekeyed it" grep -q "rekeying" "$SW_LOGDIR/west2/pluto.log" "$SW_LOGDIR/east2/pluto.log"
