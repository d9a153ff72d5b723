#!/bin/bash
# The NIC's SA table goes to the tunnels that carry the traffic (issue 16),
# pluto to pluto on the offload rig: 24 tunnels t1 to t24, each between
# its own pair of addresses, 192.0.2.N on west's netdevsim port (whose
# table holds 33 SAs) and 10.0.0.N+1 on east (no offload), so that no IKE
# SA's INITIAL_CONTACT is about another's peer.
# West samples the SAs' bytes every 2 s (offload-interval=2) and rekeys
# each child 20 to 40 s after it came up (salifetime=60s, rekeymargin=20s);
# east's lifetimes are longer, so the rekeys are west's, and many: a
# tunnel the table holds is rekeyed in it, one beyond its room moves out.
# Throughout, the table's use is read every 0.2 s: never above its 33
# (netdevsim refuses a 34th SA); and once pluto knows the size, it never
# asks for more than that: no SA meets a full table again.
# 1. t1 (hw_offload_priority=10) comes up first, then t2-t20, then t21-t24:
#    first come, first served fills the table (16 tunnels and one SA), the
#    refusal teaches pluto the table's size (33: room for 15 tunnels, one
#    pair kept free for rekeys), the tunnels beyond that room move out,
#    and t21-t24 come up in software.
# 2. A ping flood on t21-t24: within one rekey interval pluto moves the
#    least busy offloaded tunnels out and the four busy ones in; netdevsim
#    then holds their SPIs, t1 keeps its slot without traffic, and pluto's
#    count of the SAs it holds there is netdevsim's.
# 3. The flood moves to t17-t20 (in software then): the table follows.
. "$(dirname "$0")/lib.sh"

offload_budget_rig 24
d=$SW_LOGDIR
# A long first retransmit: two dozen IKE_AUTHs at once take a while
# under TCG.
offload_budget_confs "$d" 24 '\toffload-interval=2\n' \
	'\tsalifetime=60s\n\trekeymargin=20s\n\trekeyfuzz=100%%\n\tpfs=no\n\tretransmit-interval=4000\n' \
	'\tsalifetime=1200s\n\tpfs=no\n\tretransmit-interval=4000\n'
xfrm_warm_up west
xfrm_warm_up east
pluto_start west west "$d/west.conf" "$d/west.secrets"
pluto_start east east "$d/east.conf" "$d/east.secrets"
wlog=$d/west/pluto.log

nsim_count() { nsim_ipsec "$NSIM_ID" | sed -n 's/^SA count=\([0-9]*\) .*/\1/p'; }
# all_held K...: netdevsim holds each of west's SAs of tunnels tK (both
# ways; two a way while a rekey replaces them): one read of each table,
# since under TCG beside a flood every process costs.
all_held() {
	local pairs="" n
	for n; do pairs+="$(budget_west_of "$n") $(budget_east_of "$n") "; done
	{ nsim_ipsec "$NSIM_ID"; echo "--xfrm--"; ip -n "$(ns_name west)" xfrm state list proto esp; } | awk -v pairs="$pairs" '
		BEGIN { n = split(pairs, p, " "); for (i = 1; i < n; i += 2) { want[p[i] " " p[i + 1]]; want[p[i + 1] " " p[i]] } }
		$0 == "--xfrm--" { x = 1; next }
		!x { for (i = 1; i <= NF; i++) if ($i ~ /^spi=/) nsim[substr($i, 5)]; next }
		/^src / { k = $2 " " $4; next }
		$1 == "proto" && (k in want) { seen[k]; if (!($4 in nsim)) bad = 1 }
		END { for (k in want) if (!(k in seen)) bad = 1; exit bad }'
}
ts_line() { whack west --trafficstatus | grep "\"t$1\", "; }

# The table's use, read every 0.2 s into $d/nsim-counts until
# $d/watch.stop is there (by bash itself: one process a read, the sleep).
watch_table() {
	local f=/sys/kernel/debug/netdevsim/netdevsim$NSIM_ID/ports/0/ipsec
	rm -f "$d/watch.stop" "$d/nsim-counts"
	nsim_ipsec "$NSIM_ID" >/dev/null	# debugfs mounted
	(until [ -e "$d/watch.stop" ]; do
		IFS= read -r line <"$f" && line=${line#SA count=} && echo "${line%% *}"
		sleep 0.2
	done >"$d/nsim-counts") &
	watcher=$!
}
stop_watch() { touch "$d/watch.stop"; [ -z "$watcher" ] || wait "$watcher"; watcher=; }
# The flood: 1000-byte pings every 50 ms (busybox's ping, the guest's),
# some 20 kB/s each way, far above the budget's 1000 B/s threshold and
# light on the guest's two vCPUs; in a loop so that a send refused while
# an SA is replaced does not end it; the loops end once $d/flood.stop is
# there.
flood() {
	local n
	rm -f "$d/flood.stop"
	for n in "$@"; do
		ip netns exec "$(ns_name west)" bash -c 'until [ -e "$1" ]; do
			busybox ping -i 0.05 -q -s 1000 -w 4 -I "$2" "$3" >/dev/null 2>&1; sleep 0.1; done' \
			_ "$d/flood.stop" "$(budget_west_of "$n")" "$(budget_east_of "$n")" &
		pings+=($!)
	done
}
stop_flood() { local p; touch "$d/flood.stop"; for p in "${pings[@]}"; do wait "$p"; done; pings=(); }
pings=() watcher=
# however the scenario ends, the loops end before lib.sh's clean-up
trap 'rc=$?; stop_flood; stop_watch; (exit $rc); _sw_exit' EXIT

check "t1 comes up" budget_up west 1
check "t1 holds its slot" all_held 1
watch_table
check "t2-t20 come up" budget_up west $(seq 2 20)
check "t21-t24 come up last" budget_up west 21 22 23 24
check "the first refusal taught pluto the table's size" grep -q \
	"offload: $NSIM_DEV said its SA table is full holding 33 SAs: that is its size, room for 15 tunnels" "$wlog"
# (a rekey since, 20 s or more after it came up, ranks it out)
for n in 21 22 23 24; do
	check "t$n runs in software, both SAs: no room in the table" grep -qE \
		"offload=software\(($NSIM_DEV refused: table full|table full, not ranked yet|table full, rank (1[6-9]|2[0-4]) of 15)\)\$" \
		<<<"$(ts_line $n)"
done

# 2. The traffic: on the four that came up last.
mark=$(log_mark "$wlog")
flood 21 22 23 24
started=$(date +%s)
check "within one rekey interval (60 s) the four busy tunnels get the table" \
	wait_for 60 "t21-t24 in netdevsim" all_held 21 22 23 24
echo "# t21-t24 held $(($(date +%s) - started)) s after the flood began"
log_since "$wlog" "$mark" | grep "offload:" | _sw_comment
check "t1, with hw_offload_priority=10 and no traffic, keeps its slot" wait_for 20 "t1 in netdevsim" all_held 1
moved_in() { log_since "$wlog" "$mark" | grep -c "\"t$1\" #[0-9]*: offload: rekeying now to move this tunnel's SAs to $NSIM_DEV: rank [0-9]* of the 15 tunnels it holds" || true; }
check "the busy tunnels' moves in are logged" test $(($(moved_in 21) + $(moved_in 22) + $(moved_in 23) + $(moved_in 24))) -ge 2
check "the tunnels moved out say so, one line each" test "$(log_since "$wlog" "$mark" |
	grep -c "offload: rekeying now to move this tunnel's SAs from $NSIM_DEV to software: rank")" -ge 4
check "no busy tunnel was moved out" bash -c '! grep -E "\"t2[1-4]\" #[0-9]*: offload: rekeying now to move this tunnel.s SAs from" <<<"$1"' _ \
	"$(log_since "$wlog" "$mark")"
# trafficstatus, read while no rekey of t22 is under way
t22_shown() {
	grep -qE "\"t22\", .*, rate=[1-9][0-9]*B/s, rank=([1-9]|1[0-5])/15, offload=crypto\\($NSIM_DEV\\)\$" <<<"$(ts_line 22)"
}
check "trafficstatus: t22 offloaded, with its rate and a rank inside the table" wait_for 20 "t22's line" t22_shown
moved_out_shown() {
	whack west --trafficstatus | grep -E \
		", rank=(1[6-9]|2[0-4])/15, offload=software\\(table full, rank (1[6-9]|2[0-4]) of 15\\)\$" >/dev/null
}
check "trafficstatus: a tunnel moved out says why, with its rank" wait_for 20 "such a line" moved_out_shown
whack west --trafficstatus | _sw_comment
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
started=$(date +%s)
check "the table follows the traffic to t17-t20" wait_for 60 "t17-t20 in netdevsim" all_held 17 18 19 20
echo "# t17-t20 held $(($(date +%s) - started)) s after the flood moved"
log_since "$wlog" "$mark" | grep "offload:" | _sw_comment
check "t1 still holds its slot" wait_for 20 "t1 in netdevsim" all_held 1
stop_flood
stop_watch
echo "# netdevsim's SA count, $(wc -l <"$d/nsim-counts") reads: $(sort -n "$d/nsim-counts" | uniq -c | tr -s ' \n' ' ')"
check "netdevsim never held more than its 33" test "$(sort -n "$d/nsim-counts" | tail -1)" -le 33
grep "ENOSPC" "$wlog" | _sw_comment
check "after the first refusal, no SA met a full table: rekeys, moves and newcomers kept to the room" \
	test "$(grep -c "refused .* (ENOSPC)" "$wlog")" -eq 1
