# tap.sh: TAP output for shell tests. Source it, then call the checks;
# each prints "ok - name" or "not ok - name" with the evidence on failure.
# testing/run-suite collects the lines; testing/tally counts them.

tap_failed=0

ok() { echo "ok - $1"; }

not_ok() {
	echo "not ok - $1"
	tap_failed=$((tap_failed + 1))
	shift
	local line
	for line in "$@"; do printf '#   %s\n' "$line"; done
}

# skip NAME WHY: not run, and why. Where nothing may be skipped
# (SWAN_NO_SKIP=1: CI, after make deps installed every tool), a skip fails.
skip() {
	if [ "${SWAN_NO_SKIP:-}" = 1 ]; then
		not_ok "$1" "skipped where nothing may be: $2"
	else
		echo "ok - $1 # SKIP $2"
	fi
}

# expect_ok NAME CMD...: the command must exit 0.
expect_ok() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1); rc=$?
	if [ $rc -eq 0 ]; then ok "$name"; else not_ok "$name" "exit $rc from: $*" "$out"; fi
}

# expect_fail NAME CMD...: the command must exit non-zero.
expect_fail() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1); rc=$?
	if [ $rc -ne 0 ]; then ok "$name"; else not_ok "$name" "expected failure, got exit 0 from: $*" "$out"; fi
}

# expect_rc NAME RC REGEX CMD...: exit status RC and output matching REGEX.
expect_rc() {
	local name=$1 want=$2 re=$3 out rc
	shift 3
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" -eq "$want" ] && printf '%s\n' "$out" | grep -qE -- "$re"; then
		ok "$name"
	else
		not_ok "$name" "exit $rc (wanted $want) from: $*" "$out"
	fi
}

# expect_match NAME REGEX TEXT: TEXT must match the extended regex.
expect_match() {
	if printf '%s\n' "$3" | grep -qE -- "$2"; then ok "$1"; else not_ok "$1" "no match for /$2/ in:" "$3"; fi
}

# expect_no_match NAME REGEX TEXT
expect_no_match() {
	if printf '%s\n' "$3" | grep -qE -- "$2"; then not_ok "$1" "unexpected match for /$2/ in:" "$3"; else ok "$1"; fi
}

# wait_until SECONDS CMD...: true once CMD succeeds, false at the deadline.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

tap_exit() { [ "$tap_failed" -eq 0 ]; }
