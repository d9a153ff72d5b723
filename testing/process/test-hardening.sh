#!/usr/bin/env bash
# pluto at the edges of its process: shutdown with a negotiation pending;
# whack clients that leave early, stall or crowd in; a low limit on file
# descriptors; one pluto per network namespace; the rundir, pid file and
# secrets file rules; a pluto that is not dumpable; SIGHUP; a start that
# cannot bind its IKE port. No kernel ESP needed.
#
# It runs in a network namespace of its own (netns.sh). Parts that need a
# pluto of their own run in further namespaces, in the background, while
# the main part waits out pluto's 10 s request deadline; a part is this
# file run again with its name: `test-hardening.sh --part NAME`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../lib/netns.sh"
BINDIR=${BINDIR:-$here/../../build/bin}
ipsec=$BINDIR/ipsec
clients=$here/../lib/whack_clients.py

if ! own_netns "$@"; then
	skip "pluto's process hardening tests" "they need root, ip and unshare -n to run pluto in a network namespace of their own"
	exit 0
fi

# --- helpers -----------------------------------------------------------------
gone() { ! kill -0 "$1" 2>/dev/null; }
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
fd_count_is() { [ "$(fd_count "$1")" -eq "$2" ]; }
# cpu_ticks PID: user + system time in clock ticks (fields 14 and 15 of
# /proc/PID/stat, counted after the command name, which may hold blanks).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# cpu_share PID SECONDS: per cent of one CPU PID used over the next SECONDS.
cpu_share() {
	local t0 t1 s0 s1 hz
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$1"); s0=$(date +%s%N)
	sleep "$2"
	t1=$(cpu_ticks "$1"); s1=$(date +%s%N)
	echo $(( (t1 - t0) * 100 * 1000000000 / hz / (s1 - s0) ))
}
# no_sanitizer_report NAME FILE: an ASan/UBSan/LSan build writes its
# reports to stderr, which FILE holds.
no_sanitizer_report() {
	if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$2"; then
		not_ok "$1" "$(grep -A20 -E 'Sanitizer|runtime error:' "$2" | head -40)"
	else
		ok "$1"
	fi
}
# kill_plutos DIR: ends every pluto whose pid file is in a rundir below DIR
# (one that a failed check left running).
kill_plutos() {
	local f
	for f in "$1"/*/pluto.pid "$1"/*/*/pluto.pid; do
		[ -e "$f" ] && pkill -F "$f" 2>/dev/null
	done
	return 0
}
# no_pluto_on RUNDIR: no process runs pluto with this rundir (a function,
# so that no shell's command line holds the pattern).
no_pluto_on() { ! pgrep -f -- "pluto .*--rundir $1( |\$)" >/dev/null; }
# has_line FILE REGEX
has_line() { grep -qE -- "$2" "$1"; }

write_conf() {
	cat >"$1" <<'CONF'
conn t
	left=127.0.0.1
	right=127.0.0.2
	authby=secret
	auto=add
CONF
}
write_secrets() {
	echo '127.0.0.1 127.0.0.2 : PSK "hardening-test-secret"' >"$1"
	chmod 600 "$1"
}

# shutdown_with_up_pending NAME PID LOG RUNDIR STOP...: brings conn t up
# (nothing answers on 127.0.0.2, so pluto retransmits), then runs STOP;
# pluto must exit cleanly and the waiting client must fail, not hang.
shutdown_with_up_pending() {
	local name=$1 pid=$2 log=$3 run=$4 up rc
	shift 4
	"$ipsec" --rundir "$run" auto --up t >"$log.up" 2>&1 &
	up=$!
	wait_until 30 grep -q 'initiating IKEv2 connection to 127.0.0.2' "$log.up" ||
		not_ok "$name: setup: the --up client sees the initiation" "$(cat "$log.up")"
	"$@" >/dev/null 2>&1
	if wait_until 30 gone "$pid"; then ok "$name: pluto exits"; else not_ok "$name: pluto exits" "pid $pid still there"; fi
	if has_line "$log" '^pluto stopped$|: pluto stopped$'; then ok "$name: pluto logs that it stopped"
	else not_ok "$name: pluto logs that it stopped" "$(tail -20 "$log")"; fi
	no_sanitizer_report "$name: no sanitizer report" "$log"
	if wait_until 30 gone "$up"; then
		wait "$up"; rc=$?
		if [ $rc -ne 0 ]; then ok "$name: the waiting auto --up client exits non-zero"
		else not_ok "$name: the waiting auto --up client exits non-zero" "exit 0" "$(cat "$log.up")"; fi
	else
		not_ok "$name: the waiting auto --up client exits non-zero" "it still waits" "$(cat "$log.up")"
		kill "$up" 2>/dev/null
	fi
	[ ! -e "$run/pluto.ctl" ] && ok "$name: the control socket is gone" ||
		not_ok "$name: the control socket is gone" "$(ls -l "$run")"
}

# --- parts, each in a network namespace of its own ----------------------------------

# SIGTERM while an --up waits; pluto --nofork, its stderr kept.
part_sigterm() {
	local d=$1
	write_conf "$d/ipsec.conf"
	write_secrets "$d/ipsec.secrets"
	"$BINDIR/pluto" --config "$d/ipsec.conf" --secretsfile "$d/ipsec.secrets" --rundir "$d/run" \
		--nofork --stderrlog 2>"$d/pluto.log" &
	local pid=$!
	wait_until 30 test -S "$d/run/pluto.ctl" || { not_ok "SIGTERM: setup: pluto starts" "$(cat "$d/pluto.log")"; return; }
	shutdown_with_up_pending "SIGTERM with an --up pending" "$pid" "$d/pluto.log" "$d/run" kill -TERM "$pid"
	wait "$pid"
}

# A low limit on descriptors and more clients than it allows: pluto pauses
# accepting instead of spinning, and answers once the clients have gone.
part_lowfd() {
	local d=$1 pid share out
	write_conf "$d/ipsec.conf"
	write_secrets "$d/ipsec.secrets"
	(ulimit -n 40 && exec "$BINDIR/pluto" --config "$d/ipsec.conf" --secretsfile "$d/ipsec.secrets" \
		--rundir "$d/run" --nofork --stderrlog 2>"$d/pluto.log") &
	pid=$!
	wait_until 30 test -S "$d/run/pluto.ctl" || { not_ok "low fd limit: setup: pluto starts" "$(cat "$d/pluto.log")"; return; }
	python3 "$clients" crowd "$d/run/pluto.ctl" 60 "$d/release" >"$d/crowd.out" 2>&1 &
	local crowd=$!
	wait_until 60 grep -q ready "$d/crowd.out" || not_ok "low fd limit: setup: the clients connect" "$(cat "$d/crowd.out")"
	# Measured at once: the clients are dropped at pluto's 10 s deadline.
	# A loop retrying accept() would take a whole CPU; pausing takes none.
	share=$(cpu_share "$pid" 3)
	if [ "$share" -lt 20 ]; then ok "low fd limit: pluto does not spin (${share}% of a CPU)"
	else not_ok "low fd limit: pluto does not spin" "it used ${share}% of a CPU over 3 s"; fi
	if grep -q 'cannot accept a client' "$d/pluto.log"; then
		ok "low fd limit: pluto ran out of descriptors and said so"
	else
		not_ok "low fd limit: pluto ran out of descriptors and said so" "$(cat "$d/crowd.out")" "$(fd_count "$pid") fds"
	fi
	touch "$d/release"
	wait "$crowd"
	sed 's/^/# /' "$d/crowd.out"
	if wait_until 30 "$ipsec" --rundir "$d/run" status; then ok "low fd limit: pluto answers status once the clients have gone"
	else not_ok "low fd limit: pluto answers status once the clients have gone" "$("$ipsec" --rundir "$d/run" status 2>&1)"; fi
	kill -TERM "$pid"
	wait_until 30 gone "$pid"
	wait "$pid"
	no_sanitizer_report "low fd limit: no sanitizer report" "$d/pluto.log"
}

# Starting: a port 500 taken by another process fails the start, through
# `ipsec start`; once it is free pluto starts, with a conn whose address
# is not on this host loaded too, and a rundir it creates 0700.
part_start() {
	local d=$1 out rc mode holder
	write_conf "$d/ipsec.conf"
	printf 'conn far\n\tleft=192.0.2.1\n\tright=192.0.2.2\n\tauto=add\n' >>"$d/ipsec.conf"
	write_secrets "$d/ipsec.secrets"
	python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 500))
print("bound", flush=True)
time.sleep(120)' >"$d/holder.out" 2>&1 &
	holder=$!
	wait_until 30 grep -q bound "$d/holder.out" || not_ok "start: setup: a process holds 127.0.0.1:500" "$(cat "$d/holder.out")"
	out=$("$ipsec" start --config "$d/ipsec.conf" --secretsfile "$d/ipsec.secrets" \
		--rundir "$d/run" --logfile "$d/pluto.log" 2>&1); rc=$?
	if [ $rc -ne 0 ] && grep -q '"t": cannot listen for IKE on 127.0.0.1 port 500: Address already in use; not starting' <<<"$out"; then
		ok "ipsec start fails when a conn's IKE port is taken, naming the conn, the address and why"
	else
		not_ok "ipsec start fails when a conn's IKE port is taken, naming the conn, the address and why" "exit $rc" "$out"
	fi
	if wait_until 30 no_pluto_on "$d/run"; then ok "start: no pluto is left running"
	else not_ok "start: no pluto is left running" "$(pgrep -af -- "--rundir $d/run")"; fi
	if [ ! -e "$d/run/pluto.ctl" ] && [ ! -e "$d/run/pluto.pid" ]; then ok "start: no pluto.ctl or pluto.pid is left behind"
	else not_ok "start: no pluto.ctl or pluto.pid is left behind" "$(ls -l "$d/run")"; fi
	expect_no_match "start: no control socket was opened" 'pluto started' "$(cat "$d/pluto.log")"
	kill "$holder"
	wait "$holder" 2>/dev/null

	rm -rf "$d/run"
	out=$(umask 000 && "$ipsec" start --config "$d/ipsec.conf" --secretsfile "$d/ipsec.secrets" \
		--rundir "$d/run" --logfile "$d/pluto.log" 2>&1); rc=$?
	if [ $rc -eq 0 ]; then ok "start: with the port free, pluto starts"; else not_ok "start: with the port free, pluto starts" "$out"; fi
	out=$("$ipsec" --rundir "$d/run" status 2>&1)
	expect_match "start: a conn whose address is not on this host is loaded all the same" '^"far": 192\.0\.2\.1\.\.\.192\.0\.2\.2' "$out"
	mode=$(stat -c %a "$d/run")
	if [ "$mode" = 700 ]; then ok "pluto creates a missing rundir mode 0700, whatever the umask"
	else not_ok "pluto creates a missing rundir mode 0700, whatever the umask" "mode $mode"; fi
	expect_no_match "a secrets file of mode 0600 gives no warning" 'chmod 600' "$(cat "$d/pluto.log")"
	"$ipsec" --rundir "$d/run" stop >/dev/null 2>&1
}

# pluto is not dumpable: run as nobody, it cannot be read by nobody
# through /proc, while another process of nobody's can.
part_dumpable() {
	local d=$1 nb pid other out rc
	nb=$(id -u nobody 2>/dev/null)
	if [ -z "$nb" ] || ! command -v setpriv >/dev/null; then
		skip "pluto is not dumpable: another process of its user cannot read its /proc/PID/environ" \
			"needs the user nobody and setpriv to run pluto unprivileged"
		return
	fi
	local as_nobody=(setpriv --reuid="$nb" --regid="$(id -g nobody)" --clear-groups)
	chmod 755 "$d"
	mkdir -m 0700 "$d/nb"
	: >"$d/nb/ipsec.conf"	# no conn: unprivileged, pluto cannot open IKE sockets
	: >"$d/nb/ipsec.secrets"
	chmod 600 "$d/nb/ipsec.conf" "$d/nb/ipsec.secrets"
	chown -R "$nb" "$d/nb"
	"${as_nobody[@]}" env SWAN_TEST_MARK=1 "$BINDIR/pluto" --config "$d/nb/ipsec.conf" \
		--secretsfile "$d/nb/ipsec.secrets" --rundir "$d/nb/run" --nofork --stderrlog 2>"$d/pluto.log" &
	pid=$!
	wait_until 30 test -S "$d/nb/run/pluto.ctl" || { not_ok "dumpable: setup: pluto starts as nobody" "$(cat "$d/pluto.log")"; return; }
	"${as_nobody[@]}" env SWAN_TEST_MARK=1 sleep 120 &
	other=$!
	wait_until 30 grep -q 'SWAN_TEST_MARK' "/proc/$other/environ"
	out=$("${as_nobody[@]}" cat "/proc/$other/environ" 2>&1 | tr '\0' '\n')
	expect_match "setup: nobody can read the environment of its own process" '^SWAN_TEST_MARK=1$' "$out"
	"${as_nobody[@]}" cat "/proc/$pid/environ" >"$d/environ" 2>"$d/environ.err"; rc=$?
	if [ $rc -ne 0 ] && grep -q 'Permission denied' "$d/environ.err"; then
		ok "pluto is not dumpable: another process of its user cannot read its /proc/PID/environ"
	else
		not_ok "pluto is not dumpable: another process of its user cannot read its /proc/PID/environ" \
			"exit $rc, $(wc -c <"$d/environ") bytes read" "$(cat "$d/environ.err")"
	fi
	kill "$other"
	wait "$other" 2>/dev/null
	kill -TERM "$pid"
	wait_until 30 gone "$pid"
	wait "$pid"
	no_sanitizer_report "dumpable: no sanitizer report" "$d/pluto.log"
}

if [ "${1:-}" = --part ]; then
	d=$(mktemp -d "/tmp/pluto-hardening-$2.XXXXXX")
	trap 'kill_plutos "$d"; rm -rf "$d"' EXIT
	"part_$2" "$d"
	tap_exit
	exit
fi

# --- the main part -----------------------------------------------------------
tmp=$(mktemp -d /tmp/pluto-hardening.XXXXXX)
run=$tmp/run
parts=()
trap 'kill_plutos "$tmp"; for p in "${parts[@]}"; do kill "${p%%:*}" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# start_part NAME: runs part NAME in the background, in a namespace of its own.
start_part() {
	unshare -n env SWAN_OWN_NETNS=1 bash "$0" --part "$1" >"$tmp/part-$1.tap" 2>&1 &
	parts+=("$!:$1")
}
# finish_parts: waits for every part and reports what it found.
finish_parts() {
	local p pid name
	for p in "${parts[@]}"; do
		pid=${p%%:*} name=${p#*:}
		wait_until 120 gone "$pid" || { not_ok "part $name finishes" "still running after 120 s"; kill "$pid"; }
		wait "$pid"
		cat "$tmp/part-$name.tap"
		grep -q '^not ok' "$tmp/part-$name.tap" && tap_failed=$((tap_failed + 1))
		grep -qE '^(not )?ok ' "$tmp/part-$name.tap" || not_ok "part $name reports its checks" "$(cat "$tmp/part-$name.tap")"
	done
	parts=()
}

start_part sigterm
start_part lowfd
start_part start
start_part dumpable

write_conf "$tmp/ipsec.conf"
write_secrets "$tmp/ipsec.secrets"
chmod 640 "$tmp/ipsec.secrets"
log=$tmp/pluto.log
# start_pluto RUNDIR ARGS...: ipsec start with this test's files.
start_pluto() {
	local r=$1
	shift
	"$ipsec" start --config "$tmp/ipsec.conf" --secretsfile "$tmp/ipsec.secrets" --rundir "$r" "$@"
}
start_pluto "$run" --stderrlog 2>"$log" || { not_ok "pluto starts" "$(cat "$log")"; exit 1; }
pid=$(cat "$run/pluto.pid")
ctl=$run/pluto.ctl
expect_match "a secrets file its group can read is loaded, with a warning naming it, its mode and chmod 600" \
	"warning: $tmp/ipsec.secrets has mode 0640: group or others may read or change the secrets in it; it is loaded all the same, but run chmod 600 $tmp/ipsec.secrets" \
	"$(cat "$log")"

# The bytes of a status request, as the real whack client builds them.
python3 "$clients" capture "$tmp/capture.sock" >"$tmp/capture.out" &
capture=$!
wait_until 30 test -S "$tmp/capture.sock"
"$BINDIR/whack" --ctlsocket "$tmp/capture.sock" --status >/dev/null 2>&1
wait "$capture"
status_frame=$(tail -n1 "$tmp/capture.out")
expect_match "setup: whack's status request is captured" '^57484b31' "$status_frame"

base=$(fd_count "$pid")
out=$(python3 "$clients" burst "$ctl" "$status_frame" 200 2>&1)
expect_match "200 clients send a status request and close at once" '^sent 200$' "$out"
if wait_until 30 fd_count_is "$pid" "$base"; then
	ok "pluto is back to its $base descriptors after they have gone"
else
	not_ok "pluto is back to its $base descriptors after they have gone" "it has $(fd_count "$pid")" "$(ls -l "/proc/$pid/fd" | tail -5)"
fi
expect_ok "pluto answers status after them" "$ipsec" --rundir "$run" status

# Silent and trickling clients, and more idle clients than pluto serves:
# all of them wait for pluto's request deadline, together.
python3 "$clients" slow "$ctl" "$status_frame" 3 2 >"$tmp/slow.out" 2>&1 &
slow=$!
wait_until 30 grep -q ready "$tmp/slow.out" || not_ok "setup: the slow clients connect" "$(cat "$tmp/slow.out")"
python3 "$clients" crowd "$ctl" 70 "$tmp/never" >"$tmp/crowd.out" 2>&1 &
crowd=$!
wait_until 30 grep -q ready "$tmp/crowd.out" || not_ok "setup: the crowd connects" "$(cat "$tmp/crowd.out")"
share=$(cpu_share "$pid" 3)
if [ "$share" -lt 20 ]; then ok "with every session taken pluto does not spin (${share}% of a CPU)"
else not_ok "with every session taken pluto does not spin" "it used ${share}% of a CPU over 3 s"; fi

# A second pluto in this network namespace, on a rundir of its own, with
# a policy of the first's reqid range in the kernel (no ESP needed for it).
if ip xfrm policy add src 10.9.1.0/24 dst 10.9.2.0/24 dir out \
	tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 0x4001 mode tunnel 2>"$tmp/xfrm.err"; then
	have_policy=1
else
	have_policy=
fi
out=$(start_pluto "$tmp/run2" --logfile "$tmp/pluto2.log" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q "another pluto (pid $pid) runs in this network namespace" <<<"$out"; then
	ok "a second pluto in the same network namespace is refused, naming the first one's pid"
else
	not_ok "a second pluto in the same network namespace is refused, naming the first one's pid" "exit $rc" "$out"
fi
expect_no_match "the refused pluto does not flush the kernel's reqid range" 'removed any SAs and policies' \
	"$(cat "$tmp/pluto2.log" 2>/dev/null)"
if [ -n "$have_policy" ]; then
	expect_match "the first pluto's policy is still in the kernel" 'reqid 16385 ' "$(ip xfrm policy)"
else
	skip "the first pluto's policy is still in the kernel" "ip xfrm policy add failed: $(cat "$tmp/xfrm.err")"
fi
expect_ok "the first pluto still runs" kill -0 "$pid"
if [ ! -e "$tmp/run2/pluto.pid" ] && [ ! -e "$tmp/run2/pluto.ctl" ]; then
	ok "the refused pluto leaves no pid file or control socket"
else
	not_ok "the refused pluto leaves no pid file or control socket" "$(ls -l "$tmp/run2")"
fi

# The rundir: a directory of root's or pluto's own, written by no one else.
# refused NAME RUNDIR REGEX: pluto does not start on RUNDIR, saying REGEX.
refused() {
	local out rc
	out=$("$BINDIR/pluto" --config "$tmp/ipsec.conf" --secretsfile "$tmp/ipsec.secrets" --rundir "$2" \
		--nofork --stderrlog 2>&1); rc=$?
	if [ $rc -ne 0 ] && grep -qE -- "$3" <<<"$out"; then ok "$1"; else not_ok "$1" "exit $rc" "$out"; fi
}
mkdir -m 0700 "$tmp/real"
ln -s "$tmp/real" "$tmp/link"
refused "a rundir that is a symbolic link is refused, naming it" "$tmp/link" "rundir '$tmp/link' is a symbolic link"
mkdir -m 0777 "$tmp/open"
refused "a rundir writable by others is refused, naming it and its mode" "$tmp/open" \
	"rundir '$tmp/open' is writable by group or others \(mode 0777\)"
mkdir -m 0770 "$tmp/group"
refused "a rundir writable by its group is refused too" "$tmp/group" "rundir '$tmp/group' is writable by group or others \(mode 0770\)"
if [ ! -e "$tmp/open/pluto.pid" ] && [ ! -e "$tmp/group/pluto.pid" ] && [ ! -e "$tmp/real/pluto.pid" ]; then
	ok "a refused rundir is left untouched"
else
	not_ok "a refused rundir is left untouched" "$(ls -l "$tmp/open" "$tmp/group" "$tmp/real")"
fi
mkdir -m 0700 "$tmp/theirs"
chown 65534 "$tmp/theirs"
refused "a rundir owned by another user is refused, naming the owner" "$tmp/theirs" \
	"rundir '$tmp/theirs' is owned by uid 65534, neither root nor pluto's own uid 0"
: >"$tmp/plain"
refused "a rundir that is a file is refused" "$tmp/plain" "rundir '$tmp/plain' is not a directory"

# A pid file planted as a link to another file: pluto must not write
# through it.
mkdir -m 0700 "$tmp/planted"
echo "precious, not a pid" >"$tmp/victim"
ln -s "$tmp/victim" "$tmp/planted/pluto.pid"
refused "a pid file that is a symbolic link is refused, naming it" "$tmp/planted" \
	"pid file '$tmp/planted/pluto.pid' is a symbolic link"
expect_match "the file it points to is left as it was" '^precious, not a pid$' "$(cat "$tmp/victim")"

wait_until 120 gone "$slow"; wait "$slow"
out=$(cat "$tmp/slow.out")
echo "$out" | sed 's/^/# /'
bad=$(awk '$1 == "silent" { if ($2 == "open" || $2 < 9 || $2 > 60 || $4 != "got=0") print }' <<<"$out")
n=$(grep -c '^silent ' <<<"$out")
if [ "$n" -eq 3 ] && [ -z "$bad" ]; then ok "clients that send nothing are dropped at the 10 s request deadline, unanswered"
else not_ok "clients that send nothing are dropped at the 10 s request deadline, unanswered" "$out"; fi
# 2 s a byte, the request would be whole after 36 s: the deadline is absolute.
bad=$(awk '$1 == "trickle" { split($3, s, "[=/]"); if ($2 == "open" || $2 < 9 || $2 > 60 || s[2] >= s[3] || $4 != "got=0") print }' <<<"$out")
n=$(grep -c '^trickle ' <<<"$out")
if [ "$n" -eq 2 ] && [ -z "$bad" ]; then ok "clients that trickle a byte every 2 s are dropped at the deadline before their request is whole"
else not_ok "clients that trickle a byte every 2 s are dropped at the deadline before their request is whole" "$out"; fi
expect_match "dropping them is logged" 'dropped a client that sent no complete request in 10 seconds' "$(cat "$log")"

wait_until 120 gone "$crowd"; wait "$crowd"
out=$(cat "$tmp/crowd.out")
echo "$out" | sed 's/^/# /'
if [[ $out =~ connected=70\ unconnected=0\ early=([0-9]+)\ later=([0-9]+)\ open=0 ]] &&
   [ "${BASH_REMATCH[1]}" -ge 6 ] && [ "${BASH_REMATCH[2]}" -ge 1 ]; then
	ok "of 70 idle clients, those beyond the 64 served are refused at once, the rest dropped later"
else
	not_ok "of 70 idle clients, those beyond the 64 served are refused at once, the rest dropped later" "$out"
fi
expect_match "refusing them is logged" 'refused a client: 64 are being served already' "$(cat "$log")"
if wait_until 30 "$ipsec" --rundir "$run" status; then ok "pluto answers status once the idle clients are dropped"
else not_ok "pluto answers status once the idle clients are dropped" "$("$ipsec" --rundir "$run" status 2>&1)"; fi

# SIGHUP rereads ipsec.secrets (still mode 0640: warned about again).
warnings() { grep -c "warning: $tmp/ipsec.secrets has mode 0640" "$log"; }
cat >"$tmp/ipsec.secrets" <<'SECRETS'
127.0.0.1 127.0.0.2 : PSK "hardening-test-secret, changed"
@east @west : PSK "another one"
SECRETS
kill -HUP "$pid"
if wait_until 30 has_line "$log" "SIGHUP: loaded 2 PSK entries from $tmp/ipsec.secrets"; then
	ok "SIGHUP rereads the secrets and logs how many entries it loaded"
else
	not_ok "SIGHUP rereads the secrets and logs how many entries it loaded" "$(tail -5 "$log")"
fi
if kill -0 "$pid" 2>/dev/null && [ -S "$ctl" ] && [ -e "$run/pluto.pid" ] && "$ipsec" --rundir "$run" status >/dev/null; then
	ok "pluto runs on after SIGHUP and answers status"
else
	not_ok "pluto runs on after SIGHUP and answers status" "$(ls -l "$run")" "$(tail -5 "$log")"
fi
expect_match "the reread warns about the file's mode again" '^2$' "$(warnings)"
printf '127.0.0.1 127.0.0.2 : PSK "fine"\n@east @west : RSA "not supported"\n' >"$tmp/ipsec.secrets"
kill -HUP "$pid"
if wait_until 30 has_line "$log" "SIGHUP: $tmp/ipsec.secrets has errors; keeping the 2 PSK entries loaded before"; then
	ok "SIGHUP with a broken secrets file keeps the PSKs loaded before, saying so"
else
	not_ok "SIGHUP with a broken secrets file keeps the PSKs loaded before, saying so" "$(tail -5 "$log")"
fi
expect_match "and logs the error with file and line" "$tmp/ipsec.secrets:2: RSA secrets are not supported" "$(cat "$log")"
expect_ok "pluto runs on after a failed reread" "$ipsec" --rundir "$run" status
write_secrets "$tmp/ipsec.secrets"
kill -HUP "$pid"
wait_until 30 has_line "$log" "SIGHUP: loaded 1 PSK entry from $tmp/ipsec.secrets" ||
	not_ok "setup: the fixed file is reread" "$(tail -5 "$log")"
expect_match "once the file is mode 0600 a reread does not warn" '^3$' "$(warnings)"

finish_parts

shutdown_with_up_pending "ipsec stop with an --up pending" "$pid" "$log" "$run" "$ipsec" --rundir "$run" stop

# ipsec stop returns once pluto has let go of its rundir and of the
# network namespace: a new pluto, on any rundir, can start at once.
fails=()
start_pluto "$tmp/r0" --logfile "$tmp/r.log" || fails+=("start r0")
for i in 1 2 3; do
	"$ipsec" --rundir "$tmp/r$((i - 1))" stop >/dev/null 2>&1 || fails+=("stop r$((i - 1))")
	[ -e "$tmp/r$((i - 1))/pluto.pid" ] && fails+=("r$((i - 1))/pluto.pid is still there after ipsec stop")
	out=$(start_pluto "$tmp/r$i" --logfile "$tmp/r.log" 2>&1) || fails+=("start r$i: $out")
done
"$ipsec" --rundir "$tmp/r3" stop >/dev/null 2>&1
if [ ${#fails[@]} -eq 0 ]; then ok "after ipsec stop returns, its pid file is gone and a new pluto starts at once (3 times)"
else not_ok "after ipsec stop returns, its pid file is gone and a new pluto starts at once (3 times)" "${fails[@]}"; fi
tap_exit
