#!/bin/bash
# peers.sh: this pluto against libreswan 4.10 and strongSwan 5.9.8, each
# daemon paired with itself (west initiates, east answers), in one table:
# one tunnel's setup, N tunnels at once, memory, the status command, and the
# same with offload to netdevsim. Prints figures (a table of "# " lines, also
# saved as figures.txt in the logs) and one "ok" per daemon pair that
# brought every tunnel up; it is not a pass/fail test of the figures, but a
# daemon that did not bring its tunnels up is a failure, and its figure
# reads "did not finish" with the reason. Runs in the test VM:
#
#   make bench-peers                          # N = 10 100 1000
#   make bench-peers BENCH_PEERS_N="10"       # while developing
#
# Every tunnel has an address pair of its own: west's 10.1.x.y/32 on its
# veth (or, for offload, on a netdevsim port), east's 10.2.x.y/32 on its
# veth; each side routes the other's 10.x.0.0/16 over the veth (10.0.0.1,
# 10.0.0.2). Same algorithms for all: IKE AES-GCM-256, PRF SHA2-256, ECP-256;
# ESP AES-GCM-128. PSK, one secret line per tunnel.
#
# When things happen is read by sa_watch.py in each namespace: the first
# IKE_SA_INIT request on the wire, and each ESP SA the kernel installs (its
# XFRM events); it exits when the namespace holds the SAs waited for.
#
# Settings: BENCH_PEERS_N ("10 100 1000"), BENCH_PEERS_DAEMONS ("pluto
# libreswan strongswan"), BENCH_PEERS_ROUNDS (5, one-tunnel rounds),
# BENCH_PEERS_OFFLOAD_N (16: netdevsim holds 33 SAs a port),
# BENCH_PEERS_DEADLINE (seconds an N-tunnel run may take: 60 + N unless set),
# BENCH_PEERS_STATUS_ROUNDS (3), BENCH_PEERS_ONLY_N (yes: the N-tunnel
# runs alone). BENCH_PEERS_BASELINE=DIR adds a column
# "before": the pluto of DIR (another build's bin/, e.g. of main), for
# every figure but those of N above BENCH_PEERS_BASELINE_MAX_N (100).
. "$(dirname "$0")/../scenarios/lib.sh"

sizes=${BENCH_PEERS_N:-10 100 1000}
daemons=${BENCH_PEERS_DAEMONS:-pluto libreswan strongswan}
baseline=${BENCH_PEERS_BASELINE:-}
baseline_max_n=${BENCH_PEERS_BASELINE_MAX_N:-100}
if [ -n "$baseline" ]; then
	[ -x "$baseline/pluto" ] || { not_ok "setup: BENCH_PEERS_BASELINE=$baseline holds no pluto"; exit 1; }
	daemons="pluto baseline ${daemons/pluto/}"
fi
rounds=${BENCH_PEERS_ROUNDS:-5}
offload_n=${BENCH_PEERS_OFFLOAD_N:-16}
status_rounds=${BENCH_PEERS_STATUS_ROUNDS:-3}
watch=$(cd "$(dirname "$0")" && pwd)/sa_watch.py
python=$(command -v python3) || { not_ok "setup: peers.sh needs python3 (for sa_watch.py)"; exit 1; }
figures=$SW_LOGDIR/figures.txt
# libreswan loads its conns after its control socket is there; with 1000 of
# them under TCG that takes longer than the scenarios' 30 s.
export SW_PEER_LOAD_TIMEOUT=${SW_PEER_LOAD_TIMEOUT:-1200}
# Every daemon may open as many files as the hard limit allows, as a
# service manager would let it: with 1000 tunnels on 1000 addresses,
# libreswan (sockets per address) otherwise runs out at the soft 1024.
ulimit -n "$(ulimit -Hn)"
# charon at its default log level, as the others log: not the scenarios' 2
# (a line for every message and kernel request).
export SW_STRONGSWAN_LOG=${SW_STRONGSWAN_LOG:-1}
psk='peer benchmark secret, not a real one'
IKE_PLUTO='aes_gcm256-sha2_256;dh19' IKE_LIBRESWAN='aes_gcm256-sha2_256-dh19'
IKE_SWAN='aes256gcm16-prfsha256-ecp256'

say() { echo "# $*"; }
since() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A V	# V[row,daemon]: the table's cells
declare -A WHY	# WHY[row,daemon]: why a cell says "did not finish"

# --- the rig ----------------------------------------------------------------------
# Tunnel I (1..): west 10.1.A.B, east 10.2.A.B.
tun_addr() { echo "10.$1.$(($2 / 250)).$(($2 % 250 + 1))"; }
run=0 W='' E='' NSIM=''
# rig_up N OFFLOAD: fresh namespaces W (west) and E (east) for N tunnels;
# with OFFLOAD=yes west's tunnel addresses sit on a netdevsim port.
rig_up() {
	local n=$1 offload=$2 dev=veth-w i
	run=$((run + 1)) W=w$run E=e$run NSIM=
	ns_add "$W" "$E"
	veth_add "$W" veth-w 10.0.0.1/24 "$E" veth-e 10.0.0.2/24
	if [ "$offload" = yes ]; then
		nsim_add "$W" "$(tun_addr 1 1)/32"
		dev=$NSIM_DEV NSIM=$NSIM_ID
	else
		must ip -n "$(ns_name "$W")" addr add "$(tun_addr 1 1)/32" dev veth-w
	fi
	for ((i = 2; i <= n; i++)); do echo "addr add $(tun_addr 1 $i)/32 dev $dev"; done >"$SW_LOGDIR/addrs-w$run"
	for ((i = 1; i <= n; i++)); do echo "addr add $(tun_addr 2 $i)/32 dev veth-e"; done >"$SW_LOGDIR/addrs-e$run"
	[ ! -s "$SW_LOGDIR/addrs-w$run" ] || must ip -n "$(ns_name "$W")" -batch "$SW_LOGDIR/addrs-w$run"
	must ip -n "$(ns_name "$E")" -batch "$SW_LOGDIR/addrs-e$run"
	must ip -n "$(ns_name "$W")" route add 10.2.0.0/16 via 10.0.0.2
	must ip -n "$(ns_name "$E")" route add 10.1.0.0/16 via 10.0.0.1
	xfrm_warm_up "$W"
	xfrm_warm_up "$E"
}
# rig_down: the daemons of this rig are stopped; its namespaces and netdevsim go.
rig_down() {
	local keep=() n
	if [ -n "$NSIM" ]; then
		echo "$NSIM" >/sys/bus/netdevsim/del_device
		_sw_nsim=()
	fi
	for n in "${_sw_ns[@]}"; do
		if [ "$n" = "$W" ] || [ "$n" = "$E" ]; then ip netns delete "$(ns_name "$n")"; else keep+=("$n"); fi
	done
	_sw_ns=("${keep[@]}")
}

# --- the daemons' configs --------------------------------------------------------
# conf KIND SIDE N AUTO OFFLOAD: KIND's config for SIDE (w or e) with
# tunnels t1..tN; AUTO start (west) or add (east); OFFLOAD yes (west's
# on netdevsim) or no. Writes $SW_LOGDIR/KIND-SIDE-RUN.conf
# (and .secrets for pluto and libreswan); prints its path.
conf() {
	local kind=$1 side=$2 n=$3 auto=$4 offload=$5 f=$SW_LOGDIR/$1-$2-$run i here there
	for ((i = 1; i <= n; i++)); do
		if [ "$side" = w ]; then here=$(tun_addr 1 $i) there=$(tun_addr 2 $i); else here=$(tun_addr 2 $i) there=$(tun_addr 1 $i); fi
		echo "$i $here $there"
	done >"$f.tunnels"
	case $kind in
	pluto|baseline)
		awk -v auto="$auto" -v ike="$IKE_PLUTO" -v off="$offload" '{
			printf "conn t%s\n\tleft=%s\n\tright=%s\n\tauthby=secret\n\tike=%s\n\tesp=aes_gcm128-null\n", $1, $2, $3, ike
			if (off == "yes") printf "\thw_offload=yes\n"
			printf "\tauto=%s\n", auto }' "$f.tunnels" >"$f.conf"
		awk -v psk="$psk" '{ printf "%s %s : PSK \"%s\"\n", $2, $3, psk }' "$f.tunnels" >"$f.secrets" ;;
	libreswan)
		# No updown script: the others run none either.
		{
			printf 'config setup\n\tdnssec-enable=no\n\n'
			awk -v auto="$auto" -v ike="$IKE_LIBRESWAN" -v off="$offload" '{
				printf "conn t%s\n\tikev2=insist\n\tauthby=secret\n\tleft=%s\n\tright=%s\n\ttype=tunnel\n", $1, $2, $3
				printf "\tike=%s\n\tesp=aes_gcm128-null\n\tleftupdown=%%disabled\n", ike
				printf "\tnic-offload=%s\n", off == "yes" ? "yes\n\tesn=no" : "no"
				printf "\tauto=%s\n", auto }' "$f.tunnels"
		} >"$f.conf"
		awk -v psk="$psk" '{ printf "%s %s : PSK \"%s\"\n", $2, $3, psk }' "$f.tunnels" >"$f.secrets" ;;
	strongswan)
		awk -v auto="$auto" -v ike="$IKE_SWAN" -v off="$offload" -v psk="$psk" '
			BEGIN { print "connections {" }
			{
				printf "t%s {\nversion = 2\nlocal_addrs = %s\nremote_addrs = %s\nproposals = %s\n", $1, $2, $3, ike
				printf "local {\nauth = psk\nid = %s\n}\nremote {\nauth = psk\nid = %s\n}\n", $2, $3
				printf "children {\nt%s {\nmode = tunnel\nesp_proposals = aes128gcm16\n", $1
				if (off == "yes") print "hw_offload = yes"
				if (auto == "start") print "start_action = start"
				print "}\n}\n}"
			}
			END { printf "}\nsecrets {\nike-all {\nsecret = \"%s\"\n}\n}\n", psk }' "$f.tunnels" >"$f.conf" ;;
	esac
	[ ! -e "$f.secrets" ] || chmod 600 "$f.secrets"
	echo "$f"
}

# start KIND NAME NS CONFBASE: the daemon, ready (its conns loaded).
start() {
	local kind=$1 name=$2 nsn=$3 f=$4 n
	n=$(wc -l <"$f.tunnels")
	case $kind in
	pluto|baseline)
		BINDIR=$(bin_of "$kind") pluto_start "$name" "$nsn" "$f.conf" "$f.secrets"
		BINDIR=$(bin_of "$kind") wait_for 120 "pluto $name to load its $n conns" pluto_loaded "$name" "$n" ;;
	libreswan) libreswan_start "$name" "$nsn" "$f.conf" "$f.secrets" ;;
	strongswan) strongswan_start "$name" "$nsn" "$f.conf" ;;
	esac
}
pluto_loaded() { whack "$1" --briefstatus | grep "^Total IPsec connections: loaded $2," >/dev/null; }
# bin_of KIND: where KIND's pluto and whack are.
bin_of() { if [ "$1" = baseline ]; then echo "$baseline"; else echo "$BINDIR"; fi; }
stop() {
	case $1 in
	pluto|baseline) pluto_stop "$2" ;;
	libreswan) libreswan_stop "$2" ;;
	strongswan) strongswan_stop "$2" ;;
	esac
}
# daemon_pid KIND NAME: the daemon's own process (the peers run below wrappers).
daemon_pid() {
	local p
	case $1 in
	pluto|baseline) _sw_pluto_field "$2" 3 ;;
	*)
		for p in $(_sw_tree "$(_sw_peer_field "$2" 4)"); do
			case $(cat "/proc/$p/comm" 2>/dev/null) in pluto|charon) echo "$p"; return ;; esac
		done ;;
	esac
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$(daemon_pid "$1" "$2")/status" 2>/dev/null || echo '?'; }

# timed FILE CMD...: CMD (its output in FILE.out); "START END RC" in FILE.
# It runs inside the daemons' wrappers (namespace, mount namespace), so that
# what is timed is the command itself.
TIMED=(bash -c 'f=$1; shift; s=$EPOCHREALTIME; "$@" >"$f.out" 2>&1; rc=$?; echo "$s $EPOCHREALTIME $rc" >"$f"; exit $rc' timed)
# cli KIND NAME NS FILE WHAT [CONN]: the daemon's own command for WHAT (up,
# down, status), timed into FILE.
cli() {
	local kind=$1 name=$2 nsn=$3 file=$4 what=$5 conn=${6:-} r=$SW_RUNDIR/$2 bin
	bin=$(bin_of "$kind")
	case $kind:$what in
	pluto:up|baseline:up) ns "$nsn" "${TIMED[@]}" "$file" "$bin/ipsec" auto --up "$conn" --ctlsocket "$r/pluto.ctl" ;;
	pluto:down|baseline:down) ns "$nsn" "${TIMED[@]}" "$file" "$bin/ipsec" auto --down "$conn" --ctlsocket "$r/pluto.ctl" ;;
	pluto:status|baseline:status) ns "$nsn" "${TIMED[@]}" "$file" "$bin/whack" --rundir "$r" --trafficstatus ;;
	libreswan:*)
		local args=(--trafficstatus)
		[ "$what" = up ] && args=(--name "$conn" --initiate)
		[ "$what" = down ] && args=(--name "$conn" --terminate)
		ns "$nsn" env LD_LIBRARY_PATH="$LIBRESWAN_LD_LIBRARY_PATH" "${TIMED[@]}" "$file" \
			"$LIBRESWAN_ROOT/usr/libexec/ipsec/whack" --rundir "$r" "${args[@]}" ;;
	strongswan:*)
		local args=(--list-sas)
		[ "$what" = up ] && args=(--initiate --child "$conn" --timeout 60)
		[ "$what" = down ] && args=(--terminate --ike "$conn" --timeout 30)
		_sw_strongswan_run "$name" "$nsn" "${TIMED[@]}" "$file" "$STRONGSWAN_ROOT/usr/sbin/swanctl" "${args[@]}" ;;
	esac
}
# status_lines KIND FILE: how many tunnels the status output in FILE.out shows.
status_lines() {
	case $1 in
	pluto|baseline|libreswan) grep -c 'type=ESP' "$2.out" ;;
	strongswan) grep -c 'INSTALLED, TUNNEL' "$2.out" ;;
	esac
}

# watch_start NS TARGET DEADLINE TAG: sa_watch.py in NS until it sees TARGET
# ESP SAs (at most DEADLINE s); sets WPID; its lines go to $SW_LOGDIR/watch-TAG.
watch_start() {
	local out=$SW_LOGDIR/watch-$4
	: >"$out"
	ns "$1" timeout "$3" "$python" "$watch" --target "$2" >"$out" 2>&1 &
	WPID=$!
	wait_for 60 "sa_watch in $1" grep '^ready' "$out"
}
watch_done() { awk '$1 == "done" { print $2 }' "$SW_LOGDIR/watch-$1"; }
watch_init() { awk '$2 == "ike_sa_init" { print $1; exit }' "$SW_LOGDIR/watch-$1"; }
esp_count() { ip -n "$(ns_name "$1")" xfrm state | grep -c '^[[:space:]]*proto esp ' || true; }
offloaded_count() { ip -n "$(ns_name "$1")" xfrm state | grep -c 'crypto offload parameters' || true; }

# --- one tunnel -------------------------------------------------------------------
# one_tunnel KIND OFFLOAD TAG: ROUNDS times --up then --down of t1; the
# medians into V[up-TAG], V[setup-TAG]; the idle RSS into V[rss0].
one_tunnel() {
	local kind=$1 offload=$2 tag=$3 f_w f_e k wp ep t file rc ups=() setups=() init done_w done_e
	rig_up 1 "$offload"
	f_w=$(conf "$kind" w 1 add "$offload") f_e=$(conf "$kind" e 1 add no)
	start "$kind" "$kind-e$run" "$E" "$f_e"
	start "$kind" "$kind-w$run" "$W" "$f_w"
	[ "$tag" != 1 ] || V[rss0,$kind]="$(rss_kb "$kind" "$kind-w$run")/$(rss_kb "$kind" "$kind-e$run")"
	for ((k = 1; k <= rounds; k++)); do
		watch_start "$W" 2 90 "$tag-$kind-w$k"; wp=$WPID
		watch_start "$E" 2 90 "$tag-$kind-e$k"; ep=$WPID
		file=$SW_LOGDIR/up-$tag-$kind-$k
		cli "$kind" "$kind-w$run" "$W" "$file" up t1; rc=$?
		wait "$wp"; local wrc=$?
		wait "$ep"; local erc=$?
		if [ "$rc" -ne 0 ] || [ "$wrc" -ne 0 ] || [ "$erc" -ne 0 ]; then
			WHY[up-$tag,$kind]="round $k: --up exit $rc, west's SAs $(esp_count "$W")/2, east's $(esp_count "$E")/2 after 90 s (see $file.out)"
			sed 's/^/#   /' "$file.out" | tail -n 5
			break
		fi
		if [ "$offload" = yes ] && [ "$(offloaded_count "$W")" -ne 2 ]; then
			WHY[up-$tag,$kind]="round $k: only $(offloaded_count "$W") of west's 2 SAs are offloaded"
			break
		fi
		read -r t _ <"$file"
		ups+=("$(since "$t" "$(cut -d' ' -f2 "$file")")")
		init=$(watch_init "$tag-$kind-w$k") done_w=$(watch_done "$tag-$kind-w$k") done_e=$(watch_done "$tag-$kind-e$k")
		setups+=("$(awk -v i="$init" -v a="$done_w" -v b="$done_e" 'BEGIN { printf "%.3f", (a > b ? a : b) - i }')")
		cli "$kind" "$kind-w$run" "$W" "$SW_LOGDIR/down-$tag-$kind-$k" down t1
		wait_for 60 "west's SAs to go" esp_is "$W" 0 && wait_for 60 "east's SAs to go" esp_is "$E" 0 ||
			{ WHY[up-$tag,$kind]="round $k: the SAs did not go after --down"; break; }
	done
	if [ ${#ups[@]} -eq "$rounds" ]; then
		V[up-$tag,$kind]=$(printf '%s\n' "${ups[@]}" | median)
		V[setup-$tag,$kind]=$(printf '%s\n' "${setups[@]}" | median)
		say "$kind, one tunnel$([ "$offload" = yes ] && echo ", offload"): --up s: ${ups[*]}; IKE_SA_INIT to both kernels' SAs s: ${setups[*]}"
	else
		V[up-$tag,$kind]="did not finish" V[setup-$tag,$kind]="did not finish"
		WHY[setup-$tag,$kind]=${WHY[up-$tag,$kind]}
	fi
	stop "$kind" "$kind-w$run"; stop "$kind" "$kind-e$run"
	rig_down
	[ ${#ups[@]} -eq "$rounds" ]
}

# --- N tunnels --------------------------------------------------------------------
# many KIND N OFFLOAD TAG: east loads N conns (auto=add), then west starts
# with N conns auto=start; the time from starting west until both kernels
# hold 2N ESP SAs; RSS; the status command.
many() {
	local kind=$1 n=$2 offload=$3 tag=$4 deadline=${BENCH_PEERS_DEADLINE:-$((60 + $2))} f_w f_e
	local wp ep wrc erc t0 dw de secs k file st=() lines e0
	rig_up "$n" "$offload"
	f_w=$(conf "$kind" w "$n" start "$offload") f_e=$(conf "$kind" e "$n" add no)
	start "$kind" "$kind-e$run" "$E" "$f_e"
	e0=$(rss_kb "$kind" "$kind-e$run")
	[ "$kind" != libreswan ] || libreswan_initnss "$kind-w$run"
	watch_start "$W" $((2 * n)) "$deadline" "$tag-$kind-w"; wp=$WPID
	watch_start "$E" $((2 * n)) "$deadline" "$tag-$kind-e"; ep=$WPID
	t0=$EPOCHREALTIME
	start "$kind" "$kind-w$run" "$W" "$f_w"
	wait "$wp"; wrc=$?
	wait "$ep"; erc=$?
	if [ "$wrc" -ne 0 ] || [ "$erc" -ne 0 ]; then
		V[secs-$tag,$kind]="did not finish"
		WHY[secs-$tag,$kind]="in $deadline s west installed $(esp_count "$W") and east $(esp_count "$E") of $((2 * n)) ESP SAs each (watchers: $wrc/$erc)"
	else
		dw=$(watch_done "$tag-$kind-w") de=$(watch_done "$tag-$kind-e")
		secs=$(awk -v t="$t0" -v a="$dw" -v b="$de" 'BEGIN { printf "%.2f", (a > b ? a : b) - t }')
		V[secs-$tag,$kind]=$secs
		V[rate-$tag,$kind]=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')
		V[per-$tag,$kind]=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", 1000 * s / n }')
		V[first-$tag,$kind]=$(since "$t0" "$(watch_init "$tag-$kind-w")")
		V[neg-$tag,$kind]=$(awk -v i="$(watch_init "$tag-$kind-w")" -v a="$dw" -v b="$de" 'BEGIN { printf "%.2f", (a > b ? a : b) - i }')
		if [ "$offload" = yes ] && [ "$(offloaded_count "$W")" -ne $((2 * n)) ]; then
			V[secs-$tag,$kind]="not offloaded"
			WHY[secs-$tag,$kind]="only $(offloaded_count "$W") of west's $((2 * n)) SAs are offloaded"
		fi
		local wn en
		wn=$(rss_kb "$kind" "$kind-w$run") en=$(rss_kb "$kind" "$kind-e$run")
		V[rss-$tag,$kind]="$wn/$en"
		V[rssper-$tag,$kind]=$(awk -v a="$e0" -v b="$en" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / n }')
		for ((k = 1; k <= status_rounds; k++)); do
			file=$SW_LOGDIR/status-$tag-$kind-$k
			cli "$kind" "$kind-w$run" "$W" "$file" status
			st+=("$(since "$(cut -d' ' -f1 "$file")" "$(cut -d' ' -f2 "$file")")")
		done
		lines=$(status_lines "$kind" "$file")
		V[status-$tag,$kind]=$(printf '%s\n' "${st[@]}" | median)
		[ "$lines" -eq "$n" ] || WHY[status-$tag,$kind]="its output shows $lines tunnels, not $n"
		say "$kind, $n tunnels$([ "$offload" = yes ] && echo ", offload"): ${secs} s (first IKE_SA_INIT after ${V[first-$tag,$kind]} s); RSS west/east kB $wn/$en (east $e0 before); status s: ${st[*]} ($lines tunnels shown)"
	fi
	stop "$kind" "$kind-w$run"; stop "$kind" "$kind-e$run"
	rig_down
	[ "$wrc" -eq 0 ] && [ "$erc" -eq 0 ]
}

# --- the run ----------------------------------------------------------------------
esp_err=$(ip netns add "${SW_PREFIX}probe" 2>&1 && ip -n "${SW_PREFIX}probe" xfrm state add src 10.0.0.1 dst 10.0.0.2 \
	proto esp spi 0x100 mode tunnel aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128 2>&1)
ip netns delete "${SW_PREFIX}probe" 2>/dev/null
[ -z "$esp_err" ] || { not_ok "peers benchmark not run: this kernel ($(uname -r)) cannot add an ESP SA: $esp_err"; exit 1; }
_sw_peers_load
say "kernel $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ); libreswan $LIBRESWAN_VERSION, strongSwan $STRONGSWAN_VERSION"
say "N = $sizes; offload N = $offload_n; one-tunnel rounds $rounds; deadline per N run ${BENCH_PEERS_DEADLINE:-60 + N} s"

# Each figure for every daemon before the next figure: should the largest
# N take too long, what came before it is complete.
if [ "${BENCH_PEERS_ONLY_N:-no}" != yes ]; then
	for kind in $daemons; do one_tunnel "$kind" no 1 || true; done
	for kind in $daemons; do one_tunnel "$kind" yes 1o || true; done
	for kind in $daemons; do many "$kind" "$offload_n" yes "${offload_n}o" || true; done
fi
for n in $sizes; do
	for kind in $daemons; do
		[ "$kind" != baseline ] || [ "$n" -le "$baseline_max_n" ] || continue
		many "$kind" "$n" no "$n" || true
	done
done

# --- the table --------------------------------------------------------------------
# A ratio says how many times better pluto is than the peer (above 1: pluto
# ahead): the peer's time / ours, our rate / the peer's, the peer's memory / ours.
ratio() { # ROW DAEMON KIND(t|r|m)
	local a=${V[$1,pluto]:-} b=${V[$1,$2]:-}
	[[ $a =~ ^[0-9.]+$ && $b =~ ^[0-9.]+$ ]] || { echo -; return; }
	case $3 in
	r) awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }' ;;
	*) awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }' ;;
	esac
}
rows=()
row() { rows+=("$1|$2|$3"); }	# KEY LABEL RATIO-KIND (t, r, m, -)
row up-1 "one tunnel: --up until the CLI returns, s (median of $rounds)" t
row setup-1 "one tunnel: first IKE_SA_INIT until both kernels hold the SAs, s" t
row rss0 "RSS kB, idle with one conn (west/east)" -
for n in $sizes; do
	row secs-$n "$n tunnels: s from starting west until both kernels hold $((2 * n)) SAs" t
	row rate-$n "$n tunnels: tunnels/s" r
	row per-$n "$n tunnels: ms per tunnel" t
	row first-$n "$n tunnels: s from starting west to its first IKE_SA_INIT" t
	row neg-$n "$n tunnels: s from the first IKE_SA_INIT until both hold $((2 * n)) SAs" t
	row rss-$n "$n tunnels: RSS kB west/east" -
	row rssper-$n "$n tunnels: east's RSS kB per tunnel (over east with $n conns idle)" m
	row status-$n "$n tunnels: status command, s (median of $status_rounds)" t
done
first=${sizes%% *} last=${sizes##* }
if [ "$first" != "$last" ]; then
	for kind in $daemons; do
		V[growth,$kind]=$(awk -v a="${V[per-$first,$kind]:-}" -v b="${V[per-$last,$kind]:-}" \
			'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", b / a; else print "-" }')
	done
	row growth "time per tunnel at N=$last / at N=$first" t
fi
row up-1o "offload: one tunnel, --up until the CLI returns, s" t
row setup-1o "offload: one tunnel, first IKE_SA_INIT until both kernels hold the SAs, s" t
row secs-${offload_n}o "offload: $offload_n tunnels, s until both kernels hold $((2 * offload_n)) SAs" t
row rate-${offload_n}o "offload: $offload_n tunnels, tunnels/s" r
{
	echo "peers: this pluto against libreswan $LIBRESWAN_VERSION and strongSwan $STRONGSWAN_VERSION, each paired with itself"
	echo "($(date -u +%Y-%m-%d), $(nproc) CPUs, kernel $(uname -r); ratio: how many times better pluto is, above 1: pluto ahead)"
	cols=(pluto libreswan strongswan) vs=(libreswan strongswan) head=(pluto libreswan strongSwan) vshead=("vs libre" "vs strong")
	if [ -n "$baseline" ]; then
		cols=(pluto baseline libreswan strongswan) vs+=(baseline) head=(pluto before libreswan strongSwan)
		vshead+=("vs before")
	fi
	printf '%-78s' ""; printf ' %-14s' "${head[@]}"; printf ' %-9s' "${vshead[@]}"; printf '\n'
	for r in "${rows[@]}"; do
		IFS='|' read -r key label how <<<"$r"
		printf '%-78s' "$label"
		for kind in "${cols[@]}"; do printf ' %-14s' "${V[$key,$kind]:--}"; done
		for kind in "${vs[@]}"; do
			if [ "$how" = - ]; then printf ' %-9s' -; else printf ' %-9s' "$(ratio "$key" "$kind" "$how")"; fi
		done
		printf '\n'
	done
	for k in "${!WHY[@]}"; do echo "note: ${k#*,}, ${k%%,*}: ${WHY[$k]}"; done | sort
} >"$figures"
echo "#"
sed 's/^/# /' "$figures"
echo "# (also in $figures)"
for kind in $daemons; do
	bad=
	for k in "${!V[@]}"; do
		[ "${k#*,}" = "$kind" ] && [[ ${V[$k]} == "did not finish" || ${V[$k]} == "not offloaded" ]] && bad+=" ${k%%,*}"
	done
	if [ -z "$bad" ]; then ok "$kind brought up every tunnel of the benchmark"; else not_ok "$kind did not finish:$bad"; fi
done
