#!/bin/bash
# The NIC's SA table goes to the tunnels that carry the traffic (issue 16),
# pluto to pluto on the offload rig: 24 tunnels t1 to t24, each between
# its own pair of addresses, 192.0.2.N on west's netdevsim port (whose
# table holds 33 SAs) and 10.0.0.N+1 on east (no offload), so that no IKE
# SA's INITIAL_CONTACT is about another's peer.
# West samples the SAs' bytes every 2 s (offload-interval=2).
# 1. t1 (hw_offload_priority=10) comes up first, then t2-t20, then t21-t24:
#    first come, first served fills the table (16 tunnels and one SA), the
#    refusal teaches pluto the table's size (33: room for 15 tunnels, one
#    pair kept free for rekeys), the tunnels beyond that room move out,
#    and t21-t24 come up in software.
# 2. A ping flood on t21-t24: pluto moves the least busy offloaded tunnels
#    out (each a rekey now, one log line), then the four busy ones in;
#    netdevsim then holds their SPIs, t1 keeps its slot without traffic,
#    and pluto's count of the SAs it holds there is netdevsim's.
# 3. The flood moves to t17-t20 (in software then): the table follows.
. "$(dirname "$0")/lib.sh"

offload_rig
for n in $(seq 2 24); do must ip -n "$(ns_name west)" addr add 192.0.2.$n/32 dev "$NSIM_DEV"; done
must ip -n "$(ns_name east)" route add 192.0.2.0/24 via 10.0.0.1
for n in $(seq 3 25); do must ip -n "$(ns_name east)" addr add 10.0.0.$n/24 dev veth1; done
d=$SW_LOGDIR
# Lifetimes longer than the test: the rekeys here are the budget's own.
# (Two dozen tunnels' rekeys at once under TCG collided and timed out, a
# matter for the rekey scenarios.) A long first retransmit: two dozen
# IKE_AUTHs at once take a while under TCG.
lifetimes='\tsalifetime=1200s\n\tpfs=no\n\tretransmit-interval=4000\n'
west_of() { echo "192.0.2.$1"; }
east_of() { echo "10.0.0.$(($1 + 1))"; }
{
	printf 'config setup\n\toffload-interval=2\n\n'
	for n in $(seq 1 24); do
		printf 'conn t%s\n\tleft=%s\n\tright=%s\n\tauthby=secret\n\tesp=aes_gcm128-null\n' "$n" "$(west_of "$n")" "$(east_of "$n")"
		printf "\\thw_offload=yes\\n$lifetimes\\tauto=add\\n"
		[ "$n" -ne 1 ] || printf '\thw_offload_priority=10\n'
		echo
	done
} >"$d/west.conf"
for n in $(seq 1 24); do
	printf 'conn t%s\n\tleft=%s\n\tright=%s\n\tauthby=secret\n\tesp=aes_gcm128-null\n' "$n" "$(east_of "$n")" "$(west_of "$n")"
	printf "$lifetimes\\tauto=add\\n\\n"
done >"$d/east.conf"
for n in $(seq 1 24); do echo "$(west_of "$n") $(east_of "$n") : PSK \"offload budget secret, not a real one\""; done >"$d/west.secrets"
cp "$d/west.secrets" "$d/east.secrets"
xfrm_warm_up west
xfrm_warm_up east
pluto_start west west "$d/west.conf" "$d/west.secrets"
pluto_start east east "$d/east.conf" "$d/east.secrets"
wlog=$d/west/pluto.log
crypto="crypto($NSIM_DEV)"

nsim_count() { nsim_ipsec "$NSIM_ID" | sed -n 's/^SA count=\([0-9]*\) .*/\1/p'; }
# netdevsim holds both of west's SAs of tunnel tN.
nsim_has() {
	local w e out in; w=$(west_of "$1") e=$(east_of "$1")
	out=$(esp_spi west "$w" "$e") in=$(esp_spi west "$e" "$w")
	[ -n "$out" ] && [ -n "$in" ] && nsim_ipsec "$NSIM_ID" | grep "spi=$out " >/dev/null &&
		nsim_ipsec "$NSIM_ID" | grep "spi=$in " >/dev/null
}
all_held() { local n; for n in "$@"; do nsim_has "$n" || return 1; done; }
# Brings tunnels up, all at once, and waits for each.
up() {
	local n pids=() rc=0
	for n in "$@"; do whack west --name "t$n" --up >"$d/up-t$n.out" 2>&1 & pids+=($!); done
	for n in "${pids[@]}"; do wait "$n" || rc=1; done
	return $rc
}
ts_line() { whack west --trafficstatus | grep "\"t$1\", "; }

check "t1 comes up" up 1
check "t1 holds its slot" nsim_has 1
check "t2-t20 come up" up $(seq 2 20)
check "t21-t24 come up last" up 21 22 23 24
check "the first refusal taught pluto the table's size" grep -q \
	"offload: $NSIM_DEV said its SA table is full holding 33 SAs: that is its size, room for 15 tunnels" "$wlog"
for n in 21 22 23 24; do
	check "t$n runs in software: no room in the table" grep -qE \
		"offload=software\(($NSIM_DEV refused: table full|table full, not ranked yet)\)\$" <<<"$(ts_line $n)"
done

# The flood: 1000-byte pings every 10 ms (busybox's ping, the guest's), in
# a loop so that a send refused while an SA is replaced does not end it;
# the loops end once $d/flood.stop is there.
flood() {
	local n
	rm -f "$d/flood.stop"
	for n in "$@"; do
		ip netns exec "$(ns_name west)" bash -c 'until [ -e "$1" ]; do
			busybox ping -i 0.01 -q -s 1000 -w 4 -I "$2" "$3" >/dev/null 2>&1; sleep 0.1; done' \
			_ "$d/flood.stop" "$(west_of "$n")" "$(east_of "$n")" &
		pings+=($!)
	done
}
stop_flood() { local p; touch "$d/flood.stop"; for p in "${pings[@]}"; do wait "$p"; done; pings=(); }
pings=()
mark=$(log_mark "$wlog")
flood 21 22 23 24
check "the four busy tunnels get the table" wait_for 60 "t21-t24 in netdevsim" all_held 21 22 23 24
log_since "$wlog" "$mark" | grep "offload:" | _sw_comment
check "t1, with hw_offload_priority=10 and no traffic, keeps its slot" nsim_has 1
moved_in() { log_since "$wlog" "$mark" | grep -c "\"t$1\" #[0-9]*: offload: rekeying now to move this tunnel's SAs to $NSIM_DEV: rank [0-9]* of the 15 tunnels it holds"; }
check "the busy tunnels' moves in are logged" test $(($(moved_in 21) + $(moved_in 22) + $(moved_in 23) + $(moved_in 24))) -ge 2
check "the tunnels moved out say so, one line each" test "$(log_since "$wlog" "$mark" |
	grep -c "offload: rekeying now to move this tunnel's SAs from $NSIM_DEV to software: rank")" -ge 4
check "no busy tunnel was moved out" bash -c '! grep -E "\"t2[1-4]\" #[0-9]*: offload: rekeying now to move this tunnel.s SAs from" <<<"$1"' _ \
	"$(log_since "$wlog" "$mark")"
ts=$(whack west --trafficstatus)
echo "$ts" | _sw_comment
check "trafficstatus: t22 offloaded, with its rate and a rank inside the table" grep -qE \
	"\"t22\", .*, rate=[1-9][0-9]*B/s, rank=([1-9]|1[0-5])/15, offload=crypto\\($NSIM_DEV\\)\$" <<<"$ts"
check "trafficstatus: a tunnel moved out says why, with its rank" grep -qE \
	", rank=(1[6-9]|2[0-4])/15, offload=software\\(table full, rank (1[6-9]|2[0-4]) of 15\\)\$" <<<"$ts"
held_is_nsims() {
	local held; held=$(whack west --offload --device "$NSIM_DEV" | sed -n 's/.*; held \([0-9]*\), free .*/\1/p')
	[ -n "$held" ] && [ "$held" -le 33 ] && [ "$held" = "$(nsim_count)" ]
}
check "pluto's count of the table's use is netdevsim's, at most 33" wait_for 20 "a quiet sample" held_is_nsims
off=$(whack west --offload --device "$NSIM_DEV")
echo "$off" | _sw_comment
check "ipsec offload $NSIM_DEV: capacity and room" grep -qE \
	"^$NSIM_DEV: offload budget: capacity 33 SAs \\(learned at table full\\), room for 15 tunnels; held [0-9]+, free [0-9]+ " <<<"$off"
check "ipsec offload $NSIM_DEV: the tunnels waiting in software, by rank" grep -qE \
	"^$NSIM_DEV:   waiting: \"t[0-9]+\" #[0-9]+ rank 1[6-9]" <<<"$off"

# 3. The traffic moves.
stop_flood
mark=$(log_mark "$wlog")
flood 17 18 19 20
check "the table follows the traffic to t17-t20" wait_for 60 "t17-t20 in netdevsim" all_held 17 18 19 20
log_since "$wlog" "$mark" | grep "offload:" | _sw_comment
check "t1 still holds its slot" nsim_has 1
check "netdevsim never held more than its 33" test "$(nsim_count)" -le 33
stop_flood
