#!/usr/bin/env bash
# Process-level tests of pluto, whack and ipsec: a real daemon in a
# temporary rundir, driven the way a user drives it. Needs no kernel ESP.
# BINDIR names the built programs (make check-process sets it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/pluto_test.sh"
pluto_test test "$@"

cat > "$tmp/ipsec.conf" <<'CONF'
config setup
	logfile=/dev/null

conn %default
	authby=secret
	esp=aes_gcm256-null

conn offloaded
	left=192.168.7.1
	right=192.168.7.11
	hw_offload=yes
	hw_offload_fallback=no
	auto=add

conn plain
	left=10.0.0.1
	leftsubnet=192.0.2.0/24
	right=10.0.0.2
	rightsubnet=198.51.100.0/24
	nic-offload=auto
	auto=add

conn later
	left=10.1.0.1
	right=10.1.0.2
	esp=aes128-sha1
	auto=ignore

# auto=start conns pluto cannot bring up: neither end is on this host (an
# address may yet come: tried again later), or the other end is %any (for
# good: not tried again).
conn keepup
	left=10.9.0.1
	right=10.9.0.2
	auto=start

conn respondonly
	left=127.0.0.1
	right=%any
	auto=start
CONF
echo '192.168.7.1 192.168.7.11 : PSK "not-a-real-secret-0xdeadbeef"' > "$tmp/ipsec.secrets"
cat > "$tmp/broken.conf" <<'CONF'
conn bad
	left=10.1.0.1
	right=10.1.0.2
	hw_offload=maybe
	auto=add

conn good
	left=10.1.0.1
	right=10.1.0.3
	compress=no
	auto=add
CONF

ctl=(--rundir "$run")
start() {
	"$ipsec" start --config "$tmp/ipsec.conf" --secretsfile "$tmp/ipsec.secrets" \
		--rundir "$run" --logfile "$tmp/pluto.log" "$@"
}

expect_ok "ipsec start returns once pluto listens" start
expect_ok "the pid file names a live pluto" kill -0 "$(cat "$run/pluto.pid" 2>/dev/null)"
mode=$(stat -c %a "$run/pluto.ctl" 2>/dev/null)
if [ "$mode" = 600 ]; then ok "control socket is mode 0600"; else not_ok "control socket is mode 0600" "mode is '$mode'"; fi

status=$("$ipsec" "${ctl[@]}" status 2>&1)
expect_match "status lists a conn loaded with auto=add" '^"offloaded": 192\.168\.7\.1\.\.\.192\.168\.7\.11' "$status"
expect_match "status shows hw_offload and its fallback" '^"offloaded":   hw_offload=yes; hw_offload_fallback=no' "$status"
expect_match "status shows nic-offload=auto as hw_offload=auto" '^"plain":   hw_offload=auto; hw_offload_fallback=yes' "$status"
expect_match "status shows subnets" '^"plain": 192\.0\.2\.0/24===10\.0\.0\.1\.\.\.10\.0\.0\.2===198\.51\.100\.0/24' "$status"
expect_match "status shows esp= with canonical names" '^"offloaded":   esp=aes_gcm256-null: AES_GCM_16_256' "$status"
expect_match "status shows the default ike= as the combinations it offers" \
	'^"plain":   ike=\(default\): any combination of aes_gcm256\+aes_gcm128-sha2_512\+sha2_384\+sha2_256,' "$status"
expect_no_match "auto=ignore conns are not loaded at start" '^"later":' "$status"

out=$("$ipsec" "${ctl[@]}" auto --add later --config "$tmp/ipsec.conf" 2>&1); rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q '"later": added IKEv2 connection'; then
	ok "auto --add loads a conn and says so"
else
	not_ok "auto --add loads a conn and says so" "exit $rc" "$out"
fi
expect_match "the added conn appears in status" '^"later":   esp=aes128-sha1: AES_CBC_128-HMAC_SHA1_96' "$("$ipsec" "${ctl[@]}" status)"
expect_match "adding again replaces" 'replaced IKEv2 connection' \
	"$("$ipsec" "${ctl[@]}" auto --add later --config "$tmp/ipsec.conf" 2>&1)"
expect_match "auto --replace deletes the conn and adds it again" '"later": deleting connection.*"later": added IKEv2 connection' \
	"$("$ipsec" "${ctl[@]}" auto --replace later --config "$tmp/ipsec.conf" 2>&1 | tr '\n' ' ')"

out=$("$ipsec" "${ctl[@]}" auto --add bad --config "$tmp/broken.conf" 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -qE 'broken\.conf:4: .*hw_offload.*maybe'; then
	ok "auto --add of a bad config fails naming file, line and keyword"
else
	not_ok "auto --add of a bad config fails naming file, line and keyword" "exit $rc" "$out"
fi
expect_no_match "the bad conn is not loaded" '^"bad":' "$("$ipsec" "${ctl[@]}" status)"
expect_match "auto --add of a good conn beside a bad one in its file loads it" '"good": added IKEv2 connection' \
	"$("$ipsec" "${ctl[@]}" auto --add good --config "$tmp/broken.conf" 2>&1)"
printf 'conn fragment\n\thw_offload=yes\n' > "$tmp/fragment.conf"
expect_match "auto --add of an also= fragment without left= fails naming it" 'fragment.conf:1: conn "fragment" cannot be added: it has no left=' \
	"$("$ipsec" "${ctl[@]}" auto --add fragment --config "$tmp/fragment.conf" 2>&1)"
expect_fail "auto --add of a missing conn fails" "$ipsec" "${ctl[@]}" auto --add nosuch --config "$tmp/ipsec.conf"

expect_ok "auto --delete unloads a conn" "$ipsec" "${ctl[@]}" auto --delete later
expect_no_match "the deleted conn is gone from status" '^"later":' "$("$ipsec" "${ctl[@]}" status)"
expect_fail "auto --delete of an unknown conn fails" "$ipsec" "${ctl[@]}" auto --delete later

status=$("$ipsec" "${ctl[@]}" status)
expect_match "status keeps a failed auto=start attempt and when the next one comes" \
	'^"keepup":   1 failed attempt in a row, the last [0-9]+ s ago: cannot initiate: neither left=10\.9\.0\.1 nor right=10\.9\.0\.2 is an address of this host; next attempt in [0-9]+ s$' "$status"
expect_match "an attempt that cannot succeed (%any) is not planned again" \
	'^"respondonly":   1 failed attempt in a row, .*the other end is %any: this end can only respond; not retried until the conn is replaced \(ipsec auto --add\)$' "$status"
expect_match "auto --down calls off the planned attempt" 'the planned attempt to bring it up is called off' \
	"$("$ipsec" "${ctl[@]}" auto --down keepup 2>&1)"
expect_no_match "after --down, status shows no failure for it" '^"keepup":   1 failed' "$("$ipsec" "${ctl[@]}" status)"

out=$("$ipsec" "${ctl[@]}" auto --up offloaded 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'cannot initiate: neither left=192.168.7.1 nor right=192.168.7.11 is an address of this host'; then
	ok "auto --up of a conn with no end on this host fails, saying why"
else
	not_ok "auto --up of a conn with no end on this host fails, saying why" "exit $rc" "$out"
fi

out=$("$ipsec" "${ctl[@]}" trafficstatus 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then ok "trafficstatus is empty with no tunnels"; else not_ok "trafficstatus is empty with no tunnels" "exit $rc" "$out"; fi
expect_match "trafficstatus --json is an empty array" '^\[\]$' "$("$ipsec" "${ctl[@]}" trafficstatus --json 2>&1)"

# Malformed whack messages: garbage, a truncated frame, a lying length.
# send_raw HEX: sends raw bytes to the control socket, prints the text
# of each reply frame and the status of the final one.
send_raw() {
	python3 - "$run/pluto.ctl" "$1" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(bytes.fromhex(sys.argv[2]))
s.shutdown(socket.SHUT_WR)
s.settimeout(15)
data = b""
while True:
    try:
        chunk = s.recv(4096)
    except socket.timeout:
        break
    if not chunk:
        break
    data += chunk
while len(data) >= 12:
    magic, version, ftype, length = struct.unpack(">IHHI", data[:12])
    body, data = data[12:length], data[length:]
    while len(body) >= 4:
        atype, alen = struct.unpack(">HH", body[:4])
        value, body = body[4:4 + alen], body[4 + alen:]
        if atype == 6:
            print(value.decode("utf-8", "replace"))
        elif atype == 7:
            print("rc=%d" % struct.unpack(">i", value)[0])
PY
}
out=$(send_raw "deadbeef000100010000000c")
expect_match "pluto answers a frame with a bad magic with an error" 'bad magic' "$out"
out=$(send_raw "57484b310001000100000100000100")
expect_match "pluto answers a frame cut short with an error" 'truncated.*15 bytes' "$out"
out=$(send_raw "57484b31000100010000001000010002")
expect_match "pluto answers an attribute longer than its frame with an error" 'claims 2 bytes' "$out"
expect_match "pluto's answer to a malformed frame ends in a failure status" '^rc=1$' "$out"
expect_ok "pluto still answers after malformed messages" "$ipsec" "${ctl[@]}" status
expect_match "the malformed message is logged" 'rejected a malformed request' "$(cat "$tmp/pluto.log")"

if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$BINDIR/whack" --rundir "$run" --status 2>&1); rc=$?
	if [ $rc -ne 0 ] && ! printf '%s' "$out" | grep -q '^"offloaded"'; then
		ok "a non-root user cannot use the control socket"
	else
		not_ok "a non-root user cannot use the control socket" "exit $rc" "$out"
	fi
	# Open every door the file system has, so only pluto's own check is left.
	chmod 755 "$tmp" "$run"; chmod 666 "$run/pluto.ctl"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$BINDIR/whack" --rundir "$run" --status 2>&1); rc=$?
	chmod 600 "$run/pluto.ctl"; chmod 700 "$tmp" "$run"
	if [ $rc -ne 0 ] && ! printf '%s' "$out" | grep -q '^"offloaded"' &&
	   grep -q 'refused a client with uid' "$tmp/pluto.log"; then
		ok "pluto refuses a non-root peer even when the socket mode would let it in"
	else
		not_ok "pluto refuses a non-root peer even when the socket mode would let it in" "exit $rc" "$out"
	fi
else
	skip "a non-root user cannot use the control socket" "needs root, the user nobody and setpriv to switch to it"
	skip "pluto refuses a non-root peer even when the socket mode would let it in" "needs root, the user nobody and setpriv"
fi

out=$(start 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'already running'; then
	ok "a second pluto on the same rundir is refused"
else
	not_ok "a second pluto on the same rundir is refused" "exit $rc" "$out"
fi

grep -q 'not-a-real-secret' "$tmp/pluto.log" && not_ok "the PSK never reaches the log" "found in $tmp/pluto.log" || ok "the PSK never reaches the log"

pid=$(cat "$run/pluto.pid")
expect_ok "ipsec stop shuts pluto down" "$ipsec" "${ctl[@]}" stop
if wait_until 5 bash -c "! kill -0 $pid"; then ok "pluto exits after stop"; else not_ok "pluto exits after stop" "pid $pid still alive"; fi
if [ ! -e "$run/pluto.ctl" ] && [ ! -e "$run/pluto.pid" ]; then
	ok "socket and pid file are removed on exit"
else
	not_ok "socket and pid file are removed on exit" "$(ls -l "$run")"
fi
expect_fail "whack fails clearly when pluto is not running" "$ipsec" "${ctl[@]}" status

"$BINDIR/pluto" --config "$tmp/ipsec.conf" --secretsfile "$tmp/ipsec.secrets" --rundir "$run" \
	--nofork --stderrlog 2> "$tmp/nofork.log" &
pid=$!
if wait_until 5 test -S "$run/pluto.ctl"; then ok "pluto --nofork listens"; else not_ok "pluto --nofork listens" "$(cat "$tmp/nofork.log")"; fi
kill -TERM "$pid"
wait "$pid"; rc=$?
if [ $rc -eq 0 ] && [ ! -e "$run/pluto.ctl" ] && grep -q 'SIGTERM' "$tmp/nofork.log"; then
	ok "SIGTERM shuts pluto down cleanly"
else
	not_ok "SIGTERM shuts pluto down cleanly" "exit $rc" "$(cat "$tmp/nofork.log")"
fi

# A bad conn does not keep pluto or the good conns down (as in libreswan);
# an error in config setup does.
"$BINDIR/pluto" --config "$tmp/broken.conf" --secretsfile "$tmp/ipsec.secrets" --rundir "$run" \
	--nofork --stderrlog 2> "$tmp/broken.log" &
pid=$!
if wait_until 5 test -S "$run/pluto.ctl"; then
	ok "pluto starts on a config with a bad conn"
	expect_match "the bad conn's error is logged with file, line and keyword" \
		"broken\.conf:4: keyword 'hw_offload': invalid value 'maybe'" "$(cat "$tmp/broken.log")"
	expect_match "and that it is not loaded" '"bad": not loaded: .*broken\.conf has errors in it' "$(cat "$tmp/broken.log")"
	expect_match "a libreswan keyword without effect gets its notice" \
		"broken\.conf:10: keyword 'compress' has no effect here: IPComp is not supported" "$(cat "$tmp/broken.log")"
	status=$("$ipsec" "${ctl[@]}" status 2>&1)
	expect_match "the good conn is loaded" '^"good": 10\.1\.0\.1\.\.\.10\.1\.0\.3' "$status"
	expect_no_match "the bad one is not" '^"bad":' "$status"
else
	not_ok "pluto starts on a config with a bad conn" "$(cat "$tmp/broken.log")"
fi
kill -TERM "$pid"
wait "$pid"
printf 'config setup\n\tfips=maybe\nconn good\n\tleft=10.1.0.1\n\tright=10.1.0.3\n' > "$tmp/badsetup.conf"
out=$("$BINDIR/pluto" --config "$tmp/badsetup.conf" --rundir "$run" --nofork --stderrlog 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -qE "badsetup\.conf:2: keyword 'fips'"; then
	ok "pluto refuses to start on an error in config setup, naming it"
else
	not_ok "pluto refuses to start on an error in config setup, naming it" "exit $rc" "$out"
fi

expect_ok "addconn --checkconfig accepts a good config" "$ipsec" addconn --config "$tmp/ipsec.conf" --checkconfig
out=$("$ipsec" addconn --config "$tmp/broken.conf" --checkconfig 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -qE 'broken\.conf:4: .*hw_offload'; then
	ok "addconn --checkconfig rejects a bad config naming file, line and keyword"
else
	not_ok "addconn --checkconfig rejects a bad config naming file, line and keyword" "exit $rc" "$out"
fi
tap_exit
