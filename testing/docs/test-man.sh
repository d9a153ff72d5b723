#!/usr/bin/env bash
# The man pages of docs/man: each passes mandoc's lint with no warning,
# and ipsec.conf(5) has an entry for every keyword of the keyword table
# (lib/libswan/keywords.c), so a new keyword cannot go undocumented.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
. "$here/../lib/tap.sh"

if ! command -v mandoc >/dev/null; then
	skip "man pages lint clean" "mandoc is not installed (make deps installs it)"
	exit 0
fi
for page in "$top"/docs/man/*.[58]; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1); rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then ok "$(basename "$page") lints clean"; else not_ok "$(basename "$page") lints clean" "$out"; fi
done
for page in ipsec.8 pluto.8 whack.8 ipsec.conf.5 ipsec.secrets.5; do
	if [ -f "$top/docs/man/$page" ]; then ok "docs/man has $page"; else not_ok "docs/man has $page"; fi
done

# Every keyword (and alias) of the table: the rows start { "name", KW_.
conf5=$(mandoc -Tascii "$top/docs/man/ipsec.conf.5" 2>/dev/null | col -b)
missing=""
for kw in $(grep -oE '^\s*\{ "[a-z0-9_-]+", KW_' "$top/lib/libswan/keywords.c" | grep -oE '"[^"]+"' | tr -d '"'); do
	printf '%s\n' "$conf5" | grep -qE "(^|[ ,])$kw=" || missing="$missing $kw"
done
if [ -z "$missing" ]; then ok "ipsec.conf(5) documents every keyword of the keyword table"
else not_ok "ipsec.conf(5) documents every keyword of the keyword table" "missing:$missing"; fi
tap_exit
