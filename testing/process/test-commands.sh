#!/usr/bin/env bash
# Process tests of the ipsec front command's verbs (libreswan 4's and 5's),
# its options in any position, the version everywhere, the status shapes
# scripts parse (showstates, briefstatus, globalstatus), rereading the
# secrets and the config (whack, ipsec, SIGHUP), listen, replace, and the
# sd_notify READY=1 a systemd unit of Type=notify waits for.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/pluto_test.sh"
pluto_test cmds "$@"
version=$(cat "$here/../../VERSION")

# --- no pluto needed ---
expect_rc "ipsec version prints VERSION" 0 "^swan-offload $version " "$ipsec" version
expect_rc "ipsec --version prints VERSION" 0 "^swan-offload $version " "$ipsec" --version
expect_rc "pluto --version prints VERSION" 0 "^swan-offload $version\$" "$BINDIR/pluto" --version
expect_rc "whack --version prints VERSION" 0 "^swan-offload $version\$" "$BINDIR/whack" --version
help=$("$ipsec" --help 2>&1); rc=$?
missing=""
for verb in start stop restart status connectionstatus trafficstatus showstates briefstatus globalstatus \
	add delete up down replace route ondemand unroute auto rereadsecrets rereadall listen checkconfig \
	addconn offload whack pluto version help; do
	printf '%s\n' "$help" | grep -qE "^  $verb( |\$)" || missing="$missing $verb"
done
if [ $rc -eq 0 ] && [ -z "$missing" ]; then ok "ipsec --help lists every verb"; else not_ok "ipsec --help lists every verb" "exit $rc; missing:$missing" "$help"; fi
# Every command --help lists takes --help itself; every one it lists as not
# supported says so, with why, and exit status 3 (never "unknown command").
bad=""
for verb in $(printf '%s\n' "$help" | sed -n 's/^  \([a-z]\+\)\( .*\)\?$/\1/p'); do
	[ "$verb" = start ] || [ "$verb" = restart ] || [ "$verb" = pluto ] || [ "$verb" = whack ] && continue
	"$ipsec" "$verb" --help 2>&1 | grep -q "^usage: ipsec $verb" || bad="$bad $verb"
done
if [ -z "$bad" ]; then ok "each listed command answers --help with its usage"; else not_ok "each listed command answers --help with its usage" "not:$bad"; fi
unsupported=$(printf '%s\n' "$help" | sed -n 's/^libreswan.s, not supported here (each says why)://p')
bad=""
for verb in $unsupported; do
	out=$("$ipsec" "$verb" 2>&1); rc=$?
	[ $rc -eq 3 ] && printf '%s' "$out" | grep -qE "^ipsec $verb: not supported: .{10,}" || bad="$bad $verb($rc)"
done
if [ -n "$unsupported" ] && [ -z "$bad" ]; then ok "each command --help lists as not supported says why, exit 3"
else not_ok "each command --help lists as not supported says why, exit 3" "list: $unsupported" "not:$bad"; fi
expect_rc "ipsec -h is --help" 0 '^  showstates ' "$ipsec" -h
expect_rc "ipsec help is --help" 0 '^  briefstatus ' "$ipsec" help
expect_rc "ipsec up --help shows its usage" 0 '^usage: ipsec up NAME' "$ipsec" up --help
expect_rc "ipsec fetchcrls: not supported, with why" 3 '^ipsec fetchcrls: not supported: .*certificates' "$ipsec" fetchcrls
expect_rc "whack --fipsstatus: not supported, with why" 3 '^whack: --fipsstatus: not supported: ' "$BINDIR/whack" --fipsstatus
expect_rc "an unknown verb is a usage error naming it" 2 "unknown command 'frobnicate'" "$ipsec" frobnicate
expect_rc "ipsec up without a name prints its usage" 2 '^usage: ipsec up NAME' "$ipsec" up
expect_rc "an option a verb does not take is refused" 2 'ipsec status: option --json is not one it takes' "$ipsec" status --json

cat > "$tmp/ipsec.conf" <<'CONF'
config setup
	logfile=/dev/null

conn %default
	authby=secret

conn t
	left=127.0.0.1
	right=127.0.0.2
	esp=aes_gcm256-null
	auto=add

conn away
	left=10.9.0.1
	right=10.9.0.2
	auto=add

conn later
	left=10.1.0.1
	right=10.1.0.2
	auto=ignore
CONF
echo '127.0.0.1 127.0.0.2 : PSK "commands-test-secret"' > "$tmp/ipsec.secrets"
chmod 600 "$tmp/ipsec.secrets"

expect_ok "ipsec checkconfig checks a good config" "$ipsec" checkconfig --config "$tmp/ipsec.conf"
printf 'conn bad\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\thw_offload=maybe\n' > "$tmp/bad.conf"
expect_rc "ipsec checkconfig names file and line of an error" 1 "bad.conf:4" "$ipsec" --config "$tmp/bad.conf" checkconfig

expect_ok "ipsec start (options after the verb)" "$ipsec" start --config "$tmp/ipsec.conf" \
	--secretsfile "$tmp/ipsec.secrets" --rundir "$run" --logfile "$tmp/pluto.log"
expect_rc "the start line of the log carries the version" 0 "pluto $version started" cat "$tmp/pluto.log"

# --json in any position, --rundir before or after the verb
expect_rc "ipsec trafficstatus --json --rundir D honours --json" 0 '^\[\]$' "$ipsec" trafficstatus --json --rundir "$run"
expect_rc "ipsec --rundir D trafficstatus --json" 0 '^\[\]$' "$ipsec" --rundir "$run" trafficstatus --json
expect_rc "ipsec --json --rundir=D trafficstatus" 0 '^\[\]$' "$ipsec" --json --rundir="$run" trafficstatus
expect_rc "ipsec traffic is trafficstatus" 0 '^\[\]$' "$ipsec" traffic --rundir "$run" --json

ctl=(--rundir "$run")
expect_rc "briefstatus: libreswan's totals line" 0 '^Total IPsec connections: loaded 2, active 0$' "$ipsec" briefstatus "${ctl[@]}"
expect_rc "briefstatus: libreswan's IKE SAs line" 0 '^IKE SAs: total\(0\), half-open\(0\), open\(0\), authenticated\(0\), anonymous\(0\)$' "$ipsec" "${ctl[@]}" briefstatus
expect_rc "globalstatus: key=value lines" 0 '^current\.states\.all=0$' "$ipsec" globalstatus "${ctl[@]}"
expect_rc "globalstatus: config setup's threshold" 0 '^config\.setup\.ike\.ddos_threshold=50$' "$ipsec" globalstatus "${ctl[@]}"
cs=$("$ipsec" connectionstatus "${ctl[@]}" 2>&1)
expect_match "connectionstatus lists the conns" '^"t": 127\.0\.0\.1\.\.\.127\.0\.0\.2' "$cs"
expect_no_match "connectionstatus leaves out the global lines" '^Total IKE SAs' "$cs"
expect_rc "ipsec auto --status is status" 0 '^Total IKE SAs: 0' "$ipsec" auto --status "${ctl[@]}"

# a half-open IKE SA (an IKE_SA_INIT from 127.0.0.2) for showstates
python3 "$here/../lib/ike_sa_init.py" 127.0.0.2 127.0.0.1
expect_rc "showstates: a half-open IKE SA in libreswan's shape" 0 \
	'^#1: "t":[0-9]+ STATE_V2_PARENT_R1 \(sent IKE_SA_INIT reply\)' "$ipsec" showstates "${ctl[@]}"
expect_rc "briefstatus counts it half-open" 0 '^IKE SAs: total\(1\), half-open\(1\), open\(0\)' "$ipsec" briefstatus "${ctl[@]}"

# libreswan 5's short verbs and libreswan 4's auto
expect_rc "ipsec add NAME --config F (options after the name)" 0 '"later": added IKEv2 connection' \
	"$ipsec" add later --config "$tmp/ipsec.conf" "${ctl[@]}"
expect_rc "ipsec delete NAME" 0 '"later": deleting connection' "$ipsec" "${ctl[@]}" delete later
expect_rc "ipsec up NAME reaches pluto" 1 '"away"' "$ipsec" up away "${ctl[@]}"
expect_rc "ipsec down NAME" 0 '"away": no IKE or IPsec SA to take down' "$ipsec" down away "${ctl[@]}"
expect_rc "ipsec up of a conn not loaded" 1 'no connection named "nosuch"' "$ipsec" up nosuch "${ctl[@]}"

# replace: deleted and added again from the file as it is now
sed -i 's/esp=aes_gcm256-null/esp=aes_gcm128-null/' "$tmp/ipsec.conf"
expect_rc "ipsec replace NAME deletes and adds it again" 0 '"t": added IKEv2 connection' \
	"$ipsec" replace t --config "$tmp/ipsec.conf" "${ctl[@]}"
expect_rc "the replaced conn has the new config" 0 '^"t":   esp=aes_gcm128-null' "$ipsec" status "${ctl[@]}"
expect_rc "ipsec auto --replace NAME" 0 '"t": added IKEv2 connection' \
	"$ipsec" auto --config "$tmp/ipsec.conf" --replace t "${ctl[@]}"

# a replace the new config would refuse keeps the loaded conn
printf 'conn t\n\tleft=127.0.0.1\n\tauto=ignore\n' > "$tmp/fragment.conf"
expect_rc "replace with a conn that cannot load fails, says why, keeps the old" 1 \
	'fragment\.conf:1: conn "t" cannot be added: it has no right=.*|"t": not replaced: the loaded conn stays as it was' \
	"$BINDIR/whack" --name t --replace --config "$tmp/fragment.conf" "${ctl[@]}"
expect_rc "the conn is still loaded, as it was" 0 '^"t":   esp=aes_gcm128-null' "$ipsec" status "${ctl[@]}"

# a relative --config means the file in the caller's directory, not pluto's
expect_rc "whack --replace --config RELATIVE reads the caller's file" 0 '"t": added IKEv2 connection' \
	bash -c 'cd "$1" && shift && "$@"' - "$tmp" "$BINDIR/whack" --name t --replace --config ipsec.conf "${ctl[@]}"
expect_rc "pluto works from /" 0 '^/$' readlink "/proc/$(cat "$run/pluto.pid")/cwd"

# secrets and config read again
echo '127.0.0.1 127.0.0.3 : PSK "another-secret"' >> "$tmp/ipsec.secrets"
expect_rc "ipsec rereadsecrets loads the new file" 0 'loaded 2 PSK entries' "$ipsec" rereadsecrets "${ctl[@]}"
expect_rc "whack --rereadsecrets" 0 'whack --rereadsecrets: loaded 2 PSK entries' "$BINDIR/whack" --rereadsecrets "${ctl[@]}"
cp "$tmp/ipsec.secrets" "$tmp/ipsec.secrets.good"
echo '127.0.0.1 127.0.0.4 : PSK "unterminated' >> "$tmp/ipsec.secrets"
expect_rc "rereadsecrets with an error fails, names file and line, keeps the old" 1 \
	'ipsec\.secrets:3.*|keeping the 2 PSK entries' "$ipsec" rereadsecrets "${ctl[@]}"
cp "$tmp/ipsec.secrets.good" "$tmp/ipsec.secrets"

printf '\nconn fresh\n\tleft=10.2.0.1\n\tright=10.2.0.2\n\tauto=add\n' >> "$tmp/ipsec.conf"
expect_rc "ipsec rereadall adds a new conn of ipsec.conf" 0 'read again: 1 added, 0 replaced, 0 deleted' "$ipsec" rereadall "${ctl[@]}"
expect_rc "... and it is loaded" 0 '^"fresh": 10\.2\.0\.1' "$ipsec" status "${ctl[@]}"
expect_rc "ipsec reload again changes nothing" 0 'read again: 0 added, 0 replaced, 0 deleted, 3 unchanged' "$ipsec" reload "${ctl[@]}"

printf '\nconn byhup\n\tleft=10.3.0.1\n\tright=10.3.0.2\n\tauto=add\n' >> "$tmp/ipsec.conf"
echo '127.0.0.1 127.0.0.5 : PSK "third-secret"' >> "$tmp/ipsec.secrets"
kill -HUP "$(cat "$run/pluto.pid")"
if wait_until 20 grep -q 'SIGHUP: .* read again: 1 added' "$tmp/pluto.log"; then
	ok "SIGHUP reloads ipsec.conf: the new conn is added"
else
	not_ok "SIGHUP reloads ipsec.conf: the new conn is added" "$(tail -5 "$tmp/pluto.log")"
fi
expect_rc "SIGHUP rereads the secrets too" 0 'SIGHUP: loaded 3 PSK entries' cat "$tmp/pluto.log"
expect_rc "the conn SIGHUP added is loaded" 0 '^"byhup": ' "$ipsec" status "${ctl[@]}"

expect_rc "ipsec listen" 0 'the host.s addresses looked at again' "$ipsec" listen "${ctl[@]}"
expect_rc "ipsec auto --listen" 0 'the host.s addresses looked at again' "$ipsec" auto --listen "${ctl[@]}"

# restart: stops the running pluto, starts one with the options given
old=$(cat "$run/pluto.pid")
expect_ok "ipsec restart" "$ipsec" restart --config "$tmp/ipsec.conf" --secretsfile "$tmp/ipsec.secrets" \
	--rundir "$run" --logfile "$tmp/pluto2.log"
new=$(cat "$run/pluto.pid" 2>/dev/null)
# gone PID: exited (a zombie its reaper has not collected yet counts).
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
if [ -n "$new" ] && [ "$new" != "$old" ] && kill -0 "$new" && wait_until 10 gone "$old"; then
	ok "restart: a new pluto runs, the old one is gone"
else
	not_ok "restart: a new pluto runs, the old one is gone" "old $old new $new"
fi
# restart --rundir=DIR (one word): the stop goes to that rundir too
old=$new
expect_ok "ipsec restart --rundir=DIR" "$ipsec" restart --config "$tmp/ipsec.conf" --secretsfile "$tmp/ipsec.secrets" \
	--rundir="$run" --logfile "$tmp/pluto2.log"
new=$(cat "$run/pluto.pid" 2>/dev/null)
if [ -n "$new" ] && [ "$new" != "$old" ] && kill -0 "$new" && wait_until 10 gone "$old"; then
	ok "restart --rundir=DIR: the old pluto in DIR was stopped, a new one runs"
else
	not_ok "restart --rundir=DIR: the old pluto in DIR was stopped, a new one runs" "old $old new $new"
fi
expect_ok "ipsec stop" "$ipsec" stop "${ctl[@]}"

# restart after a crash: pluto.ctl is there, but nothing listens on it
wait_until 10 gone "$new"
rm -f "$run/pluto.ctl"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$run/pluto.ctl"
expect_ok "ipsec restart with a stale pluto.ctl starts pluto" "$ipsec" restart --config "$tmp/ipsec.conf" \
	--secretsfile "$tmp/ipsec.secrets" --rundir "$run" --logfile "$tmp/pluto2.log"
expect_rc "and it answers" 0 '' "$ipsec" status "${ctl[@]}"
expect_ok "ipsec stop" "$ipsec" stop "${ctl[@]}"

# sd_notify: READY=1 once the control socket is up, STOPPING=1 at the end
if ldd "$BINDIR/pluto" | grep -q libsystemd; then
	out=$(python3 - "$BINDIR/pluto" "$tmp" <<'PY' 2>&1
import os, socket, subprocess, sys, time
pluto, tmp = sys.argv[1], sys.argv[2]
path = tmp + "/notify"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(path); s.settimeout(30)
env = dict(os.environ, NOTIFY_SOCKET=path)
p = subprocess.Popen([pluto, "--nofork", "--config", tmp + "/ipsec.conf", "--secretsfile", tmp + "/ipsec.secrets",
                      "--rundir", tmp + "/run3", "--logfile", tmp + "/pluto3.log"], env=env)
try:
    msg = s.recv(4096).decode()
    print("first:", msg.replace("\n", " "), "ctl-present:", os.path.exists(tmp + "/run3/pluto.ctl"))
    os.kill(p.pid, 15)
    print("then:", s.recv(4096).decode().replace("\n", " "))
finally:
    p.kill() if p.poll() is None and time.sleep(5) is None and p.poll() is None else None
    p.wait()
PY
)
	expect_match "sd_notify READY=1 with the control socket up" "first: READY=1 MAINPID=[0-9]+ ctl-present: True" "$out"
	expect_match "sd_notify STOPPING=1 on SIGTERM" "then: STOPPING=1" "$out"
else
	skip "sd_notify READY=1" "pluto built without libsystemd"
fi

tap_exit
