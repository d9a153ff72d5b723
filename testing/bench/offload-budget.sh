#!/bin/bash
# offload-budget.sh: the share of the bytes that went through the NIC when
# pluto gives its SA table to the traffic (offload-budget=yes) against first
# come, first served (offload-budget=no, libreswan's and strongSwan's way).
# Prints figures ("# " lines, also saved as figures.txt in the logs) and one
# "ok" saying the benchmark ran; it does not pass or fail on the figures.
# Runs in the test VM (kernel ESP, netdevsim):
#
#   make bench BENCH=offload-budget
#
# The rig of the ike-offload-budget scenario: BENCH_TUNNELS (24) tunnels
# between two plutos, west's ends on a netdevsim port whose table holds 33
# SAs (16 tunnels, one pair kept free by the budget: 15). For each mode, the
# same run: the tunnels come up in order (t1 first), then a mixed traffic
# pattern for two phases of BENCH_PHASE (90) seconds each. In each phase
# every tunnel gets one of four kinds of traffic, drawn with a fixed seed
# (BENCH_SEED, 16) so that both modes see the same pattern; the second
# phase draws again, so that the traffic moves:
#
#   heavy    4 tunnels  1200-byte pings every 20 ms   (~60 kB/s each way)
#   medium   6 tunnels   600-byte pings every 200 ms  (~3 kB/s)
#   light    8 tunnels   100-byte pings every second
#   idle     the rest
#
# West's SAs (both directions) are read once a second (ip -s xfrm state):
# each SA's bytes and whether it is offloaded to the port, which an SA keeps
# for its life. A phase's bytes are each SA's growth over the phase; the
# figure is the share of them carried by offloaded SAs. The budget's moves
# take samples and rekeys, so its figure includes the time it takes to
# follow the traffic. Settings: BENCH_TUNNELS, BENCH_PHASE, BENCH_SEED,
# BENCH_INTERVAL (offload-interval=, 5 s), BENCH_LIFETIME (salifetime=,
# 120 s; rekeymargin= a quarter of it).
. "$(dirname "$0")/../scenarios/lib.sh"

tunnels=${BENCH_TUNNELS:-24}
phase_secs=${BENCH_PHASE:-90}
seed=${BENCH_SEED:-16}
interval=${BENCH_INTERVAL:-5}
lifetime=${BENCH_LIFETIME:-120}
d=$SW_LOGDIR
figures=$d/figures.txt

cannot_run() {
	echo "# offload-budget: BENCHMARK NOT RUN: $*"
	not_ok "offload-budget benchmark: not run: $*"
	exit 1
}
[ "$tunnels" -ge 17 ] && [ "$tunnels" -le 200 ] || cannot_run "BENCH_TUNNELS must be 17 to 200 (more than the table holds)"

offload_budget_rig "$tunnels"

# kind_of PHASE: one line per tunnel (t1 first): heavy, medium, light or
# idle, a shuffle drawn from the seed and the phase.
kinds() {
	awk -v n="$tunnels" -v s="$((seed + $1))" 'BEGIN {
		srand(s)
		for (i = 1; i <= n; i++) k[i] = i <= 4 ? "heavy" : i <= 10 ? "medium" : i <= 18 ? "light" : "idle"
		for (i = n; i > 1; i--) { j = int(rand() * i) + 1; x = k[i]; k[i] = k[j]; k[j] = x }
		for (i = 1; i <= n; i++) print k[i]
	}'
}
ping_args() {
	case $1 in
	heavy) echo "-i 0.02 -s 1200" ;;
	medium) echo "-i 0.2 -s 600" ;;
	light) echo "-i 1 -s 100" ;;
	esac
}
# traffic PHASE: the pings of the phase, until $d/traffic.stop is there
# (in a loop, so that a send refused while an SA is replaced does not end
# one).
traffic() {
	local n=0 kind args
	rm -f "$d/traffic.stop"
	while read -r kind; do
		n=$((n + 1))
		args=$(ping_args "$kind")
		[ -n "$args" ] || continue
		# shellcheck disable=SC2086
		ip netns exec "$(ns_name west)" bash -c 'until [ -e "$1" ]; do
			busybox ping '"$args"' -q -w 10 -I "$2" "$3" >/dev/null 2>&1; sleep 0.1; done' \
			_ "$d/traffic.stop" "$(budget_west_of "$n")" "$(budget_east_of "$n")" &
		pings+=($!)
	done < <(kinds "$1")
}
stop_traffic() { local p; touch "$d/traffic.stop"; for p in "${pings[@]}"; do wait "$p"; done; pings=(); }
# sampler FILE: "time spi dst bytes offloaded" for each of west's ESP SAs,
# once a second, until $d/sampler.stop is there.
sampler() {
	rm -f "$d/sampler.stop"
	(until [ -e "$d/sampler.stop" ]; do
		ip -n "$(ns_name west)" -s xfrm state | awk -v t="$EPOCHREALTIME" -v dev="$NSIM_DEV" '
			function flush() { if (spi != "") print t, spi, dst, bytes + 0, off }
			/^src / { flush(); dst = $4; spi = ""; bytes = 0; off = 0 }
			$1 == "proto" && $2 == "esp" { spi = $4 }
			/crypto offload parameters: dev / { off = ($5 == dev) }
			/lifetime current:/ { cur = 1; next }
			cur { sub(/\(bytes\).*/, ""); bytes = $1; cur = 0 }
			END { flush() }'
		sleep 1
	done >"$1") &
	sampler_pid=$!
}
stop_sampler() { touch "$d/sampler.stop"; [ -z "$sampler_pid" ] || wait "$sampler_pid"; sampler_pid=; }
pings=() sampler_pid=
trap 'rc=$?; stop_traffic; stop_sampler; (exit $rc); _sw_exit' EXIT

# share FILE FROM TO: "offloaded total share%" of the bytes west's SAs
# carried between the times FROM and TO.
share() {
	awk -v a="$2" -v b="$3" '
		$1 < a || $1 > b { next }
		{ k = $2 " " $3; if (!(k in first)) first[k] = $4; last[k] = $4; off[k] = $5 }
		END {
			for (k in last) { g = last[k] - first[k]; tot += g; if (off[k]) o += g }
			printf "%d %d %.1f\n", o, tot, (tot > 0 ? 100 * o / tot : 0)
		}' "$1"
}

# run MODE (yes or no): one run; its figures into $d/MODE.figures.
run() {
	local mode=$1 w=west-$1 e=east-$1 t0 t1 t2 n
	offload_budget_confs "$d/$mode" "$tunnels" \
		"\\toffload-interval=$interval\\n\\toffload-budget=$mode\\n" \
		"\\tsalifetime=${lifetime}s\\n\\trekeymargin=$((lifetime / 4))s\\n\\tpfs=no\\n\\tretransmit-interval=4000\\n" \
		"\\tsalifetime=$((lifetime * 10))s\\n\\tpfs=no\\n\\tretransmit-interval=4000\\n"
	pluto_start "$w" west "$d/$mode/west.conf" "$d/$mode/west.secrets"
	pluto_start "$e" east "$d/$mode/east.conf" "$d/$mode/east.secrets"
	# in order: the first come are the first served under FCFS
	budget_up "$w" 1 || cannot_run "offload-budget=$mode: t1 did not come up"
	budget_up "$w" $(seq 2 16) || cannot_run "offload-budget=$mode: t2-t16 did not come up"
	budget_up "$w" $(seq 17 "$tunnels") || cannot_run "offload-budget=$mode: t17-t$tunnels did not come up"
	sampler "$d/$mode.samples"
	t0=$EPOCHREALTIME
	# (the phases are measuring periods: they last what they last)
	traffic 1
	sleep "$phase_secs"
	t1=$EPOCHREALTIME
	stop_traffic
	traffic 2
	sleep "$phase_secs"
	t2=$EPOCHREALTIME
	stop_traffic
	stop_sampler
	n=$(grep -c "offload: rekeying now to move" "$SW_LOGDIR/$w/pluto.log" || true)
	{
		echo "$mode 1 $(share "$d/$mode.samples" "$t0" "$t1")"
		echo "$mode 2 $(share "$d/$mode.samples" "$t1" "$t2")"
		echo "$mode all $(share "$d/$mode.samples" "$t0" "$t2")"
		echo "$mode moves $n"
	} >"$d/$mode.figures"
	pluto_stop "$w"
	pluto_stop "$e"
	wait_for 30 "west's SAs to go" esp_is west 0 || cannot_run "offload-budget=$mode: SAs left behind"
}

xfrm_warm_up west
xfrm_warm_up east
for k in 1 2; do echo "# phase $k: $(kinds $k | awk '{ printf "t%d:%s ", NR, $1 }')"; done
run yes
run no
{
	printf '%-28s %22s %22s\n' "" "offload-budget=yes" "offload-budget=no"
	printf '%-28s %22s %22s\n' "" "(traffic, priority)" "(first come, first served)"
	for p in 1 2 all; do
		y=$(awk -v p="$p" '$2 == p { print $5 "% of " $4 " B" }' "$d/yes.figures")
		f=$(awk -v p="$p" '$2 == p { print $5 "% of " $4 " B" }' "$d/no.figures")
		printf '%-28s %22s %22s\n' "bytes via NIC, phase $p" "$y" "$f"
	done
	printf '%-28s %22s %22s\n' "budget moves (rekeys)" "$(awk '$2 == "moves" { print $3 }' "$d/yes.figures")" \
		"$(awk '$2 == "moves" { print $3 }' "$d/no.figures")"
	echo "($tunnels tunnels, table of 33 SAs, phases of $phase_secs s, seed $seed, offload-interval=$interval, salifetime=${lifetime}s)"
} >"$figures"
sed 's/^/# /' "$figures"
ok "offload-budget benchmark ran ($tunnels tunnels, two phases of $phase_secs s in each mode)"
