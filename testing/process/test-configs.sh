#!/usr/bin/env bash
# The realistic configs of testing/configs load: `ipsec checkconfig` finds
# no error in any, and names the libreswan keywords that have no effect
# here. BINDIR names the built programs (make check-process sets it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
BINDIR=${BINDIR:-$here/../../build/bin}
configs=$here/../configs

for f in "$configs"/*.conf; do
	name=$(basename "$f")
	out=$("$BINDIR/ipsec" checkconfig --config "$f" 2>&1); rc=$?
	if [ $rc -eq 0 ]; then
		ok "$name loads without an error"
	else
		not_ok "$name loads without an error" "exit $rc" "$out"
	fi
	printf '%s\n' "$out" | sed 's/^/# /'
done

out=$("$BINDIR/ipsec" checkconfig --config "$configs/road-warrior-gateway.conf" 2>&1)
expect_match "a keyword without effect is named with its line and why" \
	"road-warrior-gateway\.conf:9: keyword 'virtual-private' has no effect here: " "$out"
out=$("$BINDIR/ipsec" checkconfig --config "$configs/libreswan5.conf" 2>&1)
expect_no_match "x- keywords are the user's: no notice" "x-site" "$out"
tap_exit
