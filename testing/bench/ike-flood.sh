#!/bin/bash
# ike-flood.sh: a responder under an IKE_SA_INIT flood. Prints figures (a
# table of "# " lines, also saved as figures.txt in the logs), plus one "ok"
# saying the benchmark ran; it is not a pass/fail test of the figures. Runs
# in the test VM, since the legitimate tunnel's child SA needs kernel ESP:
#
#   make bench                    # with sa-install.sh, one boot
#   make bench BENCH=ike-flood    # this one alone
#
# Three namespaces: east (the responder, 192.0.2.2), west (a legitimate
# initiator, 192.0.2.1, on veth to east) and atk (the attacker, 198.51.100.1,
# on a second veth to east; it also holds 10.9.0.0/16 as local addresses, the
# spoofed sources, and east routes that range back to it). East has conn "t"
# for west and conn "any" with right=%any, so that anyone's IKE_SA_INIT
# finds a conn and, without defences, costs east a DH and a half-open SA.
#
# Periods, each reported in a column:
#   before   BENCH_BASE_ATTEMPTS --up/--down rounds of west, no flood
#   phase 1  FLOOD_COUNT/2 requests from ONE address that answers COOKIE
#            (the per-peer cap must stop it), while west goes up and down
#   phase 2  FLOOD_COUNT/2 requests from FLOOD_SOURCES, COOKIEs not answered
#            (the cookies must stop it), while west goes up and down
#   after    BENCH_AFTER_ATTEMPTS rounds once the half-open SAs are gone
# After each phase, east's half-open count is read once a second until it
# is 0 (halfopen-ike-timeout is set short, FLOOD_HALFOPEN_TIMEOUT, for that).
#
# Settings: FLOOD_COUNT (50000, both phases), FLOOD_RATE (1000 a second),
# FLOOD_SOURCES (10.9.0.0/16), FLOOD_HALFOPEN_TIMEOUT (10 s),
# BENCH_UP_DEADLINE (20 s per --up), BENCH_BASE_ATTEMPTS (5),
# BENCH_AFTER_ATTEMPTS (3).
. "$(dirname "$0")/../scenarios/lib.sh"

count=${FLOOD_COUNT:-50000}
rate=${FLOOD_RATE:-1000}
sources=${FLOOD_SOURCES:-10.9.0.0/16}
halfopen_timeout=${FLOOD_HALFOPEN_TIMEOUT:-10}
up_deadline=${BENCH_UP_DEADLINE:-20}
base_attempts=${BENCH_BASE_ATTEMPTS:-5}
after_attempts=${BENCH_AFTER_ATTEMPTS:-3}
per_phase=$((count / 2))
# Twice the planned time, and more: the rate is a target, the bound is not.
phase_max_s=$((2 * per_phase / rate + 10))
figures=$SW_LOGDIR/figures.txt
flood=$BINDIR/ike-flood
E=192.0.2.2 W=192.0.2.1 A=198.51.100.1

say() { echo "# $*"; }
# A run that yields no figures must not look like one that did.
cannot_run() {
	echo "#"
	echo "# ################################################################"
	echo "# ike-flood: BENCHMARK NOT RUN: $*"
	echo "# ################################################################"
	not_ok "ike-flood benchmark: not run: $*"
	exit 1
}
since() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'; }

[ -x "$flood" ] || cannot_run "no flooder at $flood (make bench builds it: make $flood)"

ns_add east west atk
veth_add west veth0 $W/24 east veth1 $E/24
veth_add atk veth2 $A/24 east veth3 198.51.100.2/24
must ip -n "$(ns_name atk)" route add $E/32 via 198.51.100.2
# The spoofed sources are local in atk (AnyIP), so east's answers to them
# come back to the flooder, which counts them.
must ip -n "$(ns_name atk)" route add local "$sources" dev lo
must ip -n "$(ns_name east)" route add "$sources" via $A

# The child SA needs kernel ESP: without it there is nothing to measure.
esp_err=$(ip -n "$(ns_name east)" xfrm state add src $E dst $W proto esp spi 0x100 mode tunnel \
	aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128 2>&1) ||
	cannot_run "this kernel ($(uname -r)) cannot add an ESP SA: $esp_err (run it through make bench, in the VM)"
ip -n "$(ns_name east)" xfrm state flush

cat >"$SW_LOGDIR/east.conf" <<CONF
config setup
	halfopen-ike-timeout=$halfopen_timeout
conn t
	left=$E
	right=$W
	authby=secret
	esp=aes_gcm128-null
	auto=add
conn any
	left=$E
	right=%any
	authby=secret
	esp=aes_gcm128-null
	auto=add
CONF
cat >"$SW_LOGDIR/west.conf" <<CONF
conn t
	left=$W
	right=$E
	authby=secret
	esp=aes_gcm128-null
	auto=add
CONF
psk='"flood benchmark secret, not a real one"'
echo "$E $W : PSK $psk" >"$SW_LOGDIR/west.secrets"
{ echo "$E $W : PSK $psk"; echo "$E %any : PSK $psk"; } >"$SW_LOGDIR/east.secrets"
pluto_start east east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"
pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
epid=$(cat "$SW_RUNDIR/east/pluto.pid" 2>/dev/null)
[ -n "$epid" ] && [ -r "/proc/$epid/stat" ] ||
	cannot_run "east's pluto has no pid file in $SW_RUNDIR/east"
elog=$SW_LOGDIR/east/pluto.log

# --- reading east ----------------------------------------------------------
# east_sas: "HALFOPEN TOTAL" from east's status ("Half-open IKE SAs: N; ..."
# and "Total IKE SAs: N; ..."); "? ?" if east does not answer within 10 s.
east_sas() {
	local s
	s=$(timeout 10 ip netns exec "$(ns_name east)" "$BINDIR/whack" --rundir "$SW_RUNDIR/east" --status 2>/dev/null) ||
		{ echo "? ?"; return; }
	awk '/^Half-open IKE SAs:/ { h = $4 + 0 }
		/^Total IKE SAs:/ { t = $4 + 0 }
		END { print h + 0, t + 0 }' <<<"$s"
}
# The readers below use no subprocess (builtins into a variable): under TCG a
# fork costs a good part of a second on a loaded machine, and the moment a
# phase ends must be read when it ends. mapfile, not a read loop: read goes
# back to each line's end with lseek, and procfs makes the text anew on
# every read, so a line that changed meanwhile comes out torn.
east_rss() { # RSS=kB
	local -a lines
	local l
	RSS='?'
	mapfile -t lines <"/proc/$epid/status"
	for l in "${lines[@]}"; do
		[[ $l == VmRSS:* ]] && { read -r _ RSS _ <<<"$l"; return; }
	done
}
east_ticks() { # TICKS=utime+stime
	local -a lines s
	mapfile -t lines <"/proc/$epid/stat"
	read -ra s <<<"${lines[0]##*) }"
	TICKS=$((s[11] + s[12]))
}
# DROPS=UDP datagrams the kernel dropped in east because pluto's socket
# buffer was full (RcvbufErrors of east's namespace).
east_rcvbuf_drops() {
	local -a lines names vals
	local l i
	mapfile -t lines <"/proc/$epid/net/snmp"
	for l in "${lines[@]}"; do
		case $l in
		Udp:\ InDatagrams*) read -ra names <<<"$l" ;;
		Udp:\ [0-9]*) read -ra vals <<<"$l" ;;
		esac
	done
	for i in "${!names[@]}"; do [ "${names[i]}" = RcvbufErrors ] && DROPS=${vals[i]}; done
}
hz=$(getconf CLK_TCK)

# --- the legitimate peer --------------------------------------------------------
legit=$SW_LOGDIR/legit.tsv	# TAG START SECONDS RC COOKIE_ROUNDS, one line per --up
: >"$legit"
stop=$SW_RUNDIR/stop	# tmpfs: seen at once
# legit_loop TAG MAX: west's --up (under the deadline) then --down, until
# MAX attempts or until $stop exists.
legit_loop() {
	local tag=$1 max=$2 n=0 t0 t1 rc out wns
	wns=$(ns_name west)
	while [ $n -lt "$max" ] && [ ! -e "$stop" ]; do
		n=$((n + 1))
		t0=$EPOCHREALTIME
		out=$(timeout "$up_deadline" ip netns exec "$wns" "$BINDIR/ipsec" auto --up t \
			--ctlsocket "$SW_RUNDIR/west/pluto.ctl" 2>&1)
		rc=$? t1=$EPOCHREALTIME
		echo "$tag $t0 $(since "$t0" "$t1") $rc $(grep -c 'sent a cookie' <<<"$out")" >>"$legit"
		{ echo "--- $tag attempt $n: rc $rc"; echo "$out"; } >>"$SW_LOGDIR/legit.log"
		timeout 20 ip netns exec "$wns" "$BINDIR/ipsec" auto --down t \
			--ctlsocket "$SW_RUNDIR/west/pluto.ctl" >>"$SW_LOGDIR/legit.log" 2>&1
	done
}
# sampler FILE: once a second (the sampling interval) until $stop exists:
# SECONDS HALFOPEN TOTAL RSS_KB.
sampler() {
	local t0=$EPOCHREALTIME t sas
	while [ ! -e "$stop" ]; do
		t=$EPOCHREALTIME
		sas=$(east_sas)
		east_rss
		echo "$(since "$t0" "$t") $sas $RSS" >>"$1"
		sleep 1
	done
}

declare -A V	# V[row,column]: the table's cells
# period TAG CMD...: runs CMD (the flooder, or legit_loop alone) while the
# sampler runs, and west's rounds beside a flooder; records east's figures.
period() {
	local tag=$1 mark ticks0 drops0 t0 t1 fpid lpid=; shift
	mark=$(log_mark "$elog")
	rm -f "$stop"
	sampler "$SW_LOGDIR/samples-$tag" &
	local spid=$!
	east_ticks; east_rcvbuf_drops
	ticks0=$TICKS drops0=$DROPS t0=$EPOCHREALTIME
	if [ "$1" = legit_loop ]; then
		"$@"
	else
		"$@" >"$SW_LOGDIR/flood-$tag.out" 2>&1 &
		fpid=$!
		legit_loop "$tag" 100000 &
		lpid=$!
		wait "$fpid"
	fi
	# The phase ends here: read east and tell the loops at once.
	east_ticks; east_rcvbuf_drops
	t1=$EPOCHREALTIME
	: >"$stop"
	V[seconds,$tag]=$(since "$t0" "$t1")
	V[cpu,$tag]=$(awk -v a="$ticks0" -v b="$TICKS" -v hz="$hz" -v s="${V[seconds,$tag]}" \
		'BEGIN { printf "%.1f s (%.0f%%)", (b - a) / hz, 100 * (b - a) / hz / s }')
	V[rcvbuf,$tag]=$((DROPS - drops0))
	V[flood_end,$tag]=$t1
	[ -z "$lpid" ] || wait "$lpid"	# its round in progress ends first
	wait "$spid"
	V[dh,$tag]=$(log_since "$elog" "$mark" | grep -c '"any" #[0-9]*: responding to IKE_SA_INIT')
	V[dh_t,$tag]=$(log_since "$elog" "$mark" | grep -c '"t" #[0-9]*: responding to IKE_SA_INIT')
	awk '$2 != "?" { if ($2 + 0 > h) h = $2 + 0; if ($3 + 0 > t) t = $3 + 0 }
		$4 != "?" { if ($4 + 0 > r) r = $4 + 0 } { last = $0 }
		END { split(last, l, " "); printf "%d/%s %d %d/%s\n", h, l[2], t, r, l[4] }' \
		"$SW_LOGDIR/samples-$tag" >"$SW_LOGDIR/summary-$tag"
	read -r "V[halfopen,$tag]" "V[ikesas,$tag]" "V[rss,$tag]" <"$SW_LOGDIR/summary-$tag"
	[ "$1" = legit_loop ] || flood_figures "$tag"
}
# flood_figures TAG: the flooder's line, into the table.
flood_figures() {
	local tag=$1 line k v
	line=$(grep -E '^sent=' "$SW_LOGDIR/flood-$tag.out")
	[ -n "$line" ] || { say "the flooder said: $(cat "$SW_LOGDIR/flood-$tag.out")"; return; }
	declare -A F=()
	for kv in $line; do k=${kv%%=*} v=${kv#*=}; F[$k]=$v; done
	V[sent,$tag]="${F[sent]} in ${F[seconds]} s"
	V[linger,$tag]=${F[last_answer]}
	# "After the flood" counts from its last request, not from the wait
	# for late answers.
	V[flood_end,$tag]=$(awk -v e="${V[flood_end,$tag]}" -v l="${F[linger]}" 'BEGIN { printf "%.6f", e - l }')
	V[rate,$tag]=${F[rate]}
	V[sources,$tag]=${F[sources]}
	V[echoes,$tag]=${F[echoes]}
	V[r_sa,$tag]=${F[sa]}
	V[r_cookie,$tag]=${F[cookie]}
	V[r_other,$tag]=$((F[no_proposal] + F[invalid_ke] + F[other_notify] + F[malformed]))
	V[r_none,$tag]=$((F[sent] + F[echoes] - F[replies]))
	V[send_errors,$tag]=${F[send_errors]}
	V[flood_cpu,$tag]=${F[cpu]}
}
# drain TAG: east's half-open count once a second from now until it is 0
# (at most the timeout + 30 s); the seconds since the flood ended.
drain() {
	local tag=$1 h t limit series=
	limit=$((halfopen_timeout + 30))
	while :; do
		t=$EPOCHREALTIME
		read -r h _ <<<"$(east_sas)"
		series+=" $h"
		if [ "$h" = 0 ]; then
			V[drain,$tag]=$(since "${V[flood_end,$tag]}" "$t")
			break
		fi
		if [ "$(since "${V[flood_end,$tag]}" | cut -d. -f1)" -ge "$limit" ]; then
			V[drain,$tag]="not in $limit ($h left)"
			break
		fi
		sleep 1
	done
	V[series,$tag]=${series# }
}
# legit_figures TAG: west's rounds in the period.
legit_figures() {
	local tag=$1
	read -r "V[up,$tag]" "V[setup,$tag]" "V[cookies,$tag]" < <(awk -v tag="$tag" '$1 == tag {
			n++; c += $5; if ($4 == 0) { ok++; t[ok] = $3 } }
		END {
			if (ok > 0) {
				for (i = 1; i <= ok; i++) for (j = i + 1; j <= ok; j++) if (t[j] < t[i]) { x = t[i]; t[i] = t[j]; t[j] = x }
				med = ok % 2 ? t[(ok + 1) / 2] : (t[ok / 2] + t[ok / 2 + 1]) / 2
				s = sprintf("%.1f/%.1f", med, t[ok])
			} else s = "-"
			printf "%d/%d %s %d\n", ok, n, s, c
		}' "$legit")
}

# --- the run ---------------------------------------------------------------------
# What east says it runs with: halfopen-ike-timeout is set short here so the
# drain is quick (the default is 30 s); the rest are the defaults.
settings=$(timeout 10 ip netns exec "$(ns_name east)" "$BINDIR/whack" --rundir "$SW_RUNDIR/east" --status 2>/dev/null |
	sed -n 's/^Half-open IKE SAs: .*(\(.*\))$/\1 (halfopen-ike-timeout set here; the rest are the defaults)/p')
say "kernel $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
say "east's config setup: $settings"
say "flood: $count IKE_SA_INIT requests at $rate a second, $per_phase per phase (at most $phase_max_s s each);"
say "  each: fresh SPI, AES_GCM_16_256-PRF_HMAC_SHA2_512-DH19 (east's first default), a valid P-256 KE"
say "west: ipsec auto --up t (deadline $up_deadline s) then --down, over and over"
# What one IKE socket can queue while pluto is busy elsewhere (rb: bytes).
rcvbuf=$(ip netns exec "$(ns_name east)" ss -uamnH "sport = :500" | grep -o 'rb[0-9]*' | head -n1)
say "east's IKE socket: receive buffer ${rcvbuf#rb} bytes (ss -uam rb)"

period before legit_loop before "$base_attempts"
legit_figures before
[ "${V[up,before]%%/*}" -gt 0 ] ||
	cannot_run "west's tunnel does not come up even without a flood (see $SW_LOGDIR/legit.log and east/pluto.log)"

say "phase 1: $per_phase requests from $A alone, COOKIEs answered ..."
period one ip netns exec "$(ns_name atk)" "$flood" --dst $E --src $A --count "$per_phase" --rate "$rate" \
	--max-seconds "$phase_max_s" --linger-ms 3000 --answer-cookies
legit_figures one
drain one
say "phase 2: $per_phase requests from $sources, COOKIEs not answered ..."
period many ip netns exec "$(ns_name atk)" "$flood" --dst $E --src "$sources" --count "$per_phase" \
	--rate "$rate" --max-seconds "$phase_max_s" --linger-ms 3000
legit_figures many
drain many
period after legit_loop after "$after_attempts"
legit_figures after

# --- the table --------------------------------------------------------------------
for c in before one many after; do V[dh,$c]="${V[dh,$c]:-0}/${V[dh_t,$c]:-0}"; done
row() { # LABEL KEY
	local c
	printf '%-44s' "$1"
	for c in before one many after; do printf ' %-16s' "${V[$2,$c]:--}"; done
	printf '\n'
}
{
	echo "ike-flood: a responder under an IKE_SA_INIT flood ($(date -u +%Y-%m-%d), $(nproc) CPUs, kernel $(uname -r))"
	echo "east's config setup: $settings"
	printf '%-44s' ""; printf ' %-16s' before "phase 1" "phase 2" after; printf '\n'
	printf '%-44s' ""; printf ' %-16s' "" "one source," "$sources," ""; printf '\n'
	printf '%-44s' ""; printf ' %-16s' "" "echoes cookies" "no echo" ""; printf '\n'
	row "period (s)" seconds
	row "attacker: requests sent" sent
	row "attacker: rate (/s)" rate
	row "attacker: source addresses" sources
	row "attacker: cookies echoed" echoes
	row "attacker: send errors" send_errors
	row "east answered SA,KE,Nonce (a DH each)" r_sa
	row "east answered COOKIE" r_cookie
	row "east answered something else" r_other
	row "east did not answer" r_none
	row "east: last answer, s after the last request" linger
	row "east: UDP receive-buffer drops (kernel)" rcvbuf
	row "east: DHs for conn any/for west (its log)" dh
	row "east: half-open IKE SAs max/last sample" halfopen
	row "east: IKE SAs max" ikesas
	row "east: VmRSS kB max/last sample" rss
	row "east: CPU s (% of one CPU)" cpu
	row "east: half-open 0 again, s after the flood" drain
	row "west: tunnels up/attempts" up
	row "west: setup s median/max (those up)" setup
	row "west: COOKIE rounds" cookies
	row "flooder: CPU s" flood_cpu
	echo "east's half-open IKE SAs after phase 1, once a second from the end of the phase: ${V[series,one]}"
	echo "east's half-open IKE SAs after phase 2, once a second from the end of the phase: ${V[series,many]}"
} >"$figures"
echo "#"
sed 's/^/# /' "$figures"
echo "# (also in $figures)"
ok "ike-flood benchmark ran ($per_phase + $per_phase requests)"
