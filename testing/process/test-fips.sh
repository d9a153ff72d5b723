#!/usr/bin/env bash
# fips=yes as a process: pluto puts NSS in FIPS mode at start, on its
# database and without one, and says so in one line; ipsec fipsstatus asks
# the running pluto which mode NSS is in (and says disabled without
# fips=yes); a database locked by a password is unlocked by the NSS
# password file's line for the FIPS token; whack --status keeps fips=yes on its first line; a conn whose
# ike= or esp= names an algorithm outside FIPS is refused at --add, naming
# file, line, conn and algorithm. Needs certutil (libnss3-tools) for the
# database case; no kernel ESP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../lib/netns.sh"
own_netns "$@" || echo "# in this host's network namespace: a network namespace of its own needs root, ip and unshare -n"
BINDIR=${BINDIR:-$here/../../build/bin}
ipsec=$BINDIR/ipsec
tmp=$(mktemp -d /tmp/pluto-fips.XXXXXX)
run=$tmp/run
trap 'pkill -F "$run/pluto.pid" 2>/dev/null; rm -rf "$tmp"' EXIT
ctl=(--rundir "$run")

cat > "$tmp/ipsec.conf" <<'CONF'
config setup
	fips=yes

conn %default
	left=192.0.2.1
	right=192.0.2.2
	authby=secret

conn good
	ike=aes_gcm256-sha2_256;dh19
	esp=aes_gcm128-null
	auto=add

conn x25519
	ike=aes_gcm256-sha2_256;dh31
	auto=ignore

conn chacha
	esp=chacha20_poly1305-null
	auto=ignore
CONF
printf '192.0.2.1 192.0.2.2 : PSK "test-only fips process secret"\n' > "$tmp/ipsec.secrets"
chmod 600 "$tmp/ipsec.secrets"

# start LOG CONF [PLUTO OPTIONS]: pluto up and answering, its log in LOG.
start() {
	local log=$1 conf=$2; shift 2
	"$ipsec" start --config "$conf" --secretsfile "$tmp/ipsec.secrets" --rundir "$run" --logfile "$log" "$@" \
		>/dev/null 2>&1 && wait_until 10 test -S "$run/pluto.ctl"
}
stop() {
	"$ipsec" stop --rundir "$run" >/dev/null 2>&1
	wait_until 10 bash -c "! test -e '$run/pluto.pid'"
}

# ---- without a database: the internal module ----
expect_ok "pluto starts with fips=yes and no NSS database" start "$tmp/nodb.log" "$tmp/ipsec.conf" --nssdir "$tmp/none"
expect_match "... and says in one line NSS is in FIPS mode" '^.*fips=yes: NSS is in FIPS mode \(its internal module\)$' "$(cat "$tmp/nodb.log")"
expect_rc "ipsec fipsstatus asks the running pluto: enabled" 0 '^FIPS mode enabled \(NSS runs in FIPS mode; fips=yes\)$' \
	"$ipsec" fipsstatus "${ctl[@]}"
expect_rc "whack --fipsstatus says the same" 0 '^FIPS mode enabled' "$BINDIR/whack" --fipsstatus "${ctl[@]}"
expect_match "whack --status keeps fips=yes on its first line" 'fips=yes$' \
	"$("$BINDIR/whack" --status "${ctl[@]}" 2>&1 | head -1)"
expect_match "the conn of FIPS algorithms is added" '^"good":' "$("$ipsec" status "${ctl[@]}" 2>&1)"
expect_rc "ike= with X25519 is refused at --add, naming file, conn and algorithm" 1 \
	"^$tmp/ipsec.conf:[0-9]+: conn \"x25519\" cannot be added: fips=yes: ike=aes_gcm256-sha2_256;dh31 uses DH31, which FIPS mode does not allow$" \
	"$ipsec" auto --config "$tmp/ipsec.conf" --add x25519 "${ctl[@]}"
expect_rc "esp= with ChaCha20-Poly1305 is refused at --add, likewise" 1 \
	"conn \"chacha\" cannot be added: fips=yes: esp=chacha20_poly1305-null uses CHACHA20_POLY1305, which FIPS mode does not allow$" \
	"$ipsec" auto --config "$tmp/ipsec.conf" --add chacha "${ctl[@]}"
stop

# ---- on a database ----
if command -v certutil >/dev/null; then
	mkdir -p "$tmp/db" && certutil -N -d "sql:$tmp/db" --empty-password >/dev/null 2>&1
	cp "$tmp/db/pkcs11.txt" "$tmp/pkcs11.before"
	expect_ok "pluto starts with fips=yes on an NSS database" start "$tmp/db.log" "$tmp/ipsec.conf" --nssdir "$tmp/db"
	expect_match "... NSS in FIPS mode on its database" 'fips=yes: NSS is in FIPS mode \(on its database\)$' "$(cat "$tmp/db.log")"
	expect_rc "... fipsstatus: enabled" 0 '^FIPS mode enabled' "$ipsec" fipsstatus "${ctl[@]}"
	stop
	expect_ok "the database's module list is left as it was (FIPS mode is pluto's, not the file's)" \
		cmp -s "$tmp/db/pkcs11.txt" "$tmp/pkcs11.before"
	# A database locked by a password: in FIPS mode its keys are in the
	# FIPS token, whose line of the NSS password file pluto takes.
	mkdir -p "$tmp/locked"
	printf 'NSS Certificate DB:test-only fips db pw\n' >"$tmp/db.pw"; chmod 600 "$tmp/db.pw"
	certutil -N -d "sql:$tmp/locked" -f "$tmp/db.pw" >/dev/null 2>&1
	# start_locked LOG: pluto started on the locked database and stopped
	start_locked() { start "$1" "$tmp/ipsec.conf" --nssdir "$tmp/locked" --nsspassword "$tmp/db.pw" && stop; }
	expect_ok "pluto starts with fips=yes on a locked database" start_locked "$tmp/locked.log"
	expect_match "... and asks for the FIPS token's password, not the database's line" \
		"NSS database $tmp/locked needs a password for token 'NSS FIPS 140-2 Certificate DB', but $tmp/db.pw has no line for it" \
		"$(cat "$tmp/locked.log")"
	printf 'NSS FIPS 140-2 Certificate DB:test-only fips db pw\n' >>"$tmp/db.pw"
	expect_ok "pluto starts with the FIPS token's line" start_locked "$tmp/unlocked.log"
	expect_match "... which unlocks the database in FIPS mode" \
		"NSS database $tmp/locked opened: 0 certificates; the password for token 'NSS FIPS 140-2 Certificate DB' from $tmp/db.pw was accepted$" \
		"$(cat "$tmp/unlocked.log")"
	expect_match "... on its database" 'fips=yes: NSS is in FIPS mode \(on its database\)$' "$(cat "$tmp/unlocked.log")"
else
	skip "fips=yes on an NSS database" "no certutil (make deps installs libnss3-tools)"
fi

# ---- without fips=yes ----
sed '/fips=yes/d' "$tmp/ipsec.conf" > "$tmp/plain.conf"
expect_ok "pluto starts without fips=yes" start "$tmp/plain.log" "$tmp/plain.conf" --nssdir "$tmp/none"
expect_rc "ipsec fipsstatus: disabled" 0 '^FIPS mode disabled \(NSS is not in FIPS mode; fips=no\)$' \
	"$ipsec" fipsstatus "${ctl[@]}"
expect_no_match "no FIPS line in the log" 'FIPS mode' "$(cat "$tmp/plain.log")"
expect_rc "X25519 is added without fips=yes" 0 '' "$ipsec" auto --config "$tmp/plain.conf" --add x25519 "${ctl[@]}"
stop
tap_exit
