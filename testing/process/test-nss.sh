#!/usr/bin/env bash
# The NSS database, libreswan's way: ipsec initnss, checknss, import and
# listcerts on a database in a temporary directory (--nssdir), and pluto
# starting with one (opened, its certificates counted), without one
# (missing: one line saying to run ipsec initnss), and with config setup
# nssdir=; one locked by a password, with the NSS password file
# (--nsspassword): accepted, missing, without the token's line, wrong, with
# errors, and never shown; then conns of certificates added to a running
# pluto: leftcert= found with its key, refused with the nickname named, and
# on the locked database found or refused by the password. Needs certutil and pk12util
# (libnss3-tools) and openssl (a certificate to import); no kernel ESP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/pluto_test.sh"
pluto_test nss "$@"
db=$tmp/var/lib/ipsec/nss

for tool in certutil pk12util openssl; do
	if ! command -v "$tool" >/dev/null; then
		skip "the NSS database commands" "no $tool (make deps installs it)"
		tap_exit; exit
	fi
done

# ---- the commands ----
out=$("$ipsec" initnss --nssdir "$db" 2>&1); rc=$?
expect_match "ipsec initnss makes the database, parents too, and says so" "^made the NSS database $db \\(no password\\)" "$out rc=$rc"
expect_ok "... in libreswan's sql: format (cert9.db, key4.db)" test -f "$db/cert9.db" -a -f "$db/key4.db"
expect_match "... in a directory only root may enter" '^drwx------' "$(ls -ld "$db")"
out=$("$ipsec" initnss --nssdir "$db" 2>&1); rc=$?
expect_match "ipsec initnss again refuses, naming the database" "^ipsec initnss: $db already holds an NSS database .* rc=1$" "$out rc=$rc"
out=$("$ipsec" checknss --nssdir "$db" 2>&1); rc=$?
expect_match "ipsec checknss: the database opens" "^the NSS database $db opens rc=0$" "$out rc=$rc"
out=$("$ipsec" --checknss --nssdir "$tmp/fresh" 2>&1); rc=$?
expect_match "ipsec --checknss makes a missing database" "^made the NSS database $tmp/fresh .*rc=0$" "$out rc=$rc"
mkdir -p "$tmp/broken" && : > "$tmp/broken/cert9.db"	# not a database NSS can open
out=$("$ipsec" checknss --nssdir "$tmp/broken" 2>&1); rc=$?
expect_match "ipsec checknss on a database NSS cannot open says so" "^ipsec checknss: NSS cannot open the database in $tmp/broken.* rc=1$" "$out rc=$rc"
out=$("$ipsec" listcerts --nssdir "$db" 2>&1); rc=$?
expect_match "ipsec listcerts on the new database: certutil's header, no certificate" '^Certificate Nickname +Trust Attributes' "$out"
expect_no_match "... and nothing under it" '(u,u,u|CT,)' "$out"
out=$("$ipsec" listcerts --nssdir "$tmp/none" 2>&1); rc=$?
expect_match "ipsec listcerts without a database says to run initnss" "^ipsec listcerts: there is no NSS database in $tmp/none: run ipsec initnss first rc=1$" "$out rc=$rc"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 \
	-subj "/CN=west.example.test" >/dev/null 2>&1
openssl pkcs12 -export -in "$tmp/cert.pem" -inkey "$tmp/key.pem" -name west -passout pass:test-only-p12 \
	-out "$tmp/west.p12" >/dev/null 2>&1
out=$("$ipsec" import "$tmp/west.p12" --nssdir "$db" -- -W test-only-p12 2>&1); rc=$?
expect_match "ipsec import FILE.p12 (pk12util's password after --)" "PKCS12 IMPORT SUCCESSFUL.* rc=0$" "$(echo $out) rc=$rc"
out=$("$ipsec" listcerts --nssdir "$db" 2>&1)
expect_match "ipsec listcerts shows it by its nickname, with its key (u,u,u)" '^west +u,u,u$' "$out"
out=$("$ipsec" import "$tmp/missing.p12" --nssdir "$db" 2>&1); rc=$?
expect_match "ipsec import of a missing file names it" "^ipsec import: cannot read $tmp/missing.p12: .* rc=1$" "$out rc=$rc"
out=$("$ipsec" import "$tmp/west.p12" --nssdir "$tmp/none" 2>&1); rc=$?
expect_match "ipsec import without a database says to run initnss" "there is no NSS database in $tmp/none: run ipsec initnss first rc=1$" "$out rc=$rc"
out=$("$ipsec" import --nssdir "$db" 2>&1); rc=$?
expect_match "ipsec import without a file is a usage error" "^ipsec import: name the PKCS #12 file.*rc=2$" "$(echo $out) rc=$rc"
expect_rc "an option initnss does not take is refused" 2 'ipsec initnss: option --json is not one it takes' "$ipsec" initnss --json
expect_rc "ipsec --help lists the four commands" 0 '^  listcerts \[--nssdir DIR\]' "$ipsec" --help

# ---- pluto at start ----
cat > "$tmp/ipsec.conf" <<CONF
config setup
	logfile=/dev/null
CONF
: > "$tmp/ipsec.secrets"; chmod 600 "$tmp/ipsec.secrets"
# start_pluto LOG [PLUTO OPTIONS]: pluto up, listening, then stopped; its log in LOG.
start_pluto() {
	local log=$1; shift
	"$ipsec" start --config "$tmp/ipsec.conf" --secretsfile "$tmp/ipsec.secrets" --rundir "$run" \
		--logfile "$log" "$@" >/dev/null 2>&1 &&
	wait_until 10 test -S "$run/pluto.ctl" &&
	"$ipsec" stop --rundir "$run" >/dev/null 2>&1 &&
	wait_until 10 bash -c "! test -e '$run/pluto.pid'"
}
expect_ok "pluto starts with the database" start_pluto "$tmp/with.log" --nssdir "$db"
expect_match "and says in one line it opened it, with its certificate" "NSS database $db opened: 1 certificate$" "$(cat "$tmp/with.log")"
expect_ok "pluto starts without a database" start_pluto "$tmp/without.log" --nssdir "$tmp/none"
expect_match "and says in one line it is missing and what to run" "NSS database $tmp/none is missing \\(no cert9.db; run ipsec initnss\\): no certificates, pre-shared keys only$" "$(cat "$tmp/without.log")"
printf 'config setup\n\tlogfile=/dev/null\n\tnssdir=%s\n' "$db" > "$tmp/ipsec.conf"
expect_ok "pluto starts with config setup nssdir=" start_pluto "$tmp/setup.log"
expect_match "and opens the database it names" "NSS database $db opened: 1 certificate$" "$(cat "$tmp/setup.log")"
expect_ok "--nssdir wins over nssdir=" start_pluto "$tmp/both.log" --nssdir "$tmp/none"
expect_match "... as --secretsfile does over secretsfile=" "NSS database $tmp/none is missing" "$(cat "$tmp/both.log")"

# ---- a database locked by a password: the NSS password file ----
# The password is the one thing no log may show.
pw="test-only db-pw#with blanks"
locked=$tmp/locked pwfile=$tmp/ipsec.d/nsspassword
mkdir -p "$tmp/ipsec.d"
printf '# the NSS database\nNSS Certificate DB:%s\n' "$pw" >"$pwfile"; chmod 600 "$pwfile"
out=$("$ipsec" initnss --nssdir "$locked" --nsspassword "$pwfile" 2>&1); rc=$?
expect_match "ipsec initnss --nsspassword FILE makes a database with that password" \
	"^made the NSS database $locked \(its password from $pwfile\) rc=0$" "$out rc=$rc"
out=$("$ipsec" import "$tmp/west.p12" --nssdir "$locked" --nsspassword "$pwfile" -- -W test-only-p12 2>&1); rc=$?
expect_match "ipsec import --nsspassword FILE: into a locked database (pk12util -k FILE)" "PKCS12 IMPORT SUCCESSFUL.* rc=0$" "$(echo $out) rc=$rc"
out=$("$ipsec" listcerts --nssdir "$locked" 2>&1)
expect_match "... with its key" '^west +u,u,u$' "$out"
printf '%s\n' "$pw" >"$tmp/dbpw"
expect_ok "initnss gave the database the password of the file's line (certutil -f with it bare)" \
	certutil -K -d "sql:$locked" -f "$tmp/dbpw"
# no_password_in LOG: the password appears nowhere in it
no_password_in() { ! grep -F -- "$pw" "$1" >/dev/null; }
expect_ok "pluto starts with the password file" start_pluto "$tmp/pw.log" --nssdir "$locked" --nsspassword "$pwfile"
expect_match "and says in one line the password was accepted" \
	"NSS database $locked opened: 1 certificate; the password for token 'NSS Certificate DB' from $pwfile was accepted$" "$(cat "$tmp/pw.log")"
expect_ok "... and the password is in no log line" no_password_in "$tmp/pw.log"
expect_ok "pluto starts without the file" start_pluto "$tmp/nofile.log" --nssdir "$locked" --nsspassword "$tmp/none.pw"
expect_match "and says the password is needed, naming the token and the file" \
	"NSS database $locked needs a password for token 'NSS Certificate DB', but there is no $tmp/none.pw \(one line NSS Certificate DB:PASSWORD\): its 1 certificate can be listed but its keys not used; pre-shared keys only$" "$(cat "$tmp/nofile.log")"
printf 'NSS FIPS 140-2 Certificate DB:%s\n' "$pw" >"$tmp/other.pw"; chmod 600 "$tmp/other.pw"
expect_ok "pluto starts with a file without the token's line" start_pluto "$tmp/notoken.log" --nssdir "$locked" --nsspassword "$tmp/other.pw"
expect_match "and says the file has no line for the token" \
	"NSS database $locked needs a password for token 'NSS Certificate DB', but $tmp/other.pw has no line for it \(NSS Certificate DB:PASSWORD\)" "$(cat "$tmp/notoken.log")"
printf 'NSS Certificate DB:wrong-%s\n' "$pw" >"$tmp/wrong.pw"; chmod 600 "$tmp/wrong.pw"
expect_ok "pluto starts with a wrong password" start_pluto "$tmp/wrong.log" --nssdir "$locked" --nsspassword "$tmp/wrong.pw"
expect_match "and says it is wrong, naming the file" \
	"NSS database $locked needs a password for token 'NSS Certificate DB', and the one in $tmp/wrong.pw is wrong \(SEC_ERROR_BAD_PASSWORD\): its 1 certificate can be listed but its keys not used; pre-shared keys only$" "$(cat "$tmp/wrong.log")"
expect_ok "... without showing it" no_password_in "$tmp/wrong.log"
printf 'NSS Certificate DB:%s\n%s\n' "$pw" "$pw" >"$tmp/bad.pw"; chmod 644 "$tmp/bad.pw"
expect_ok "pluto starts with a password file that has errors" start_pluto "$tmp/bad.log" --nssdir "$locked" --nsspassword "$tmp/bad.pw"
expect_match "the error names file and line" \
	"$tmp/bad.pw:2: expected TOKEN:PASSWORD \(no ':' found; the line is not shown: it may hold a password\)$" "$(cat "$tmp/bad.log")"
expect_match "the file's mode is checked as ipsec.secrets' is" \
	"warning: $tmp/bad.pw has mode 0644: group or others may read or change the secrets in it" "$(cat "$tmp/bad.log")"
expect_match "no password is taken from it" \
	"NSS database $locked needs a password for token 'NSS Certificate DB', but $tmp/bad.pw cannot be used \(the errors above\)" "$(cat "$tmp/bad.log")"
expect_ok "... and none is shown" no_password_in "$tmp/bad.log"

# ---- conns of certificates, added to a running pluto ----
cat > "$tmp/certs.conf" <<CONF
config setup
	logfile=/dev/null
conn c
	left=127.0.0.1
	right=127.0.0.2
	authby=rsasig
	leftcert=west
	rightid="CN=east, O=Example"
	auto=add
conn missing
	also=c
	leftcert=nosuch
	auto=ignore
conn ec
	also=c
	authby=ecdsa
	auto=ignore
CONF
"$ipsec" start --config "$tmp/certs.conf" --secretsfile "$tmp/ipsec.secrets" --rundir "$run" --nssdir "$db" \
	--logfile "$tmp/certs.log" >/dev/null 2>&1 && wait_until 10 test -S "$run/pluto.ctl"
ctl=(--rundir "$run")
st=$("$ipsec" status "${ctl[@]}" 2>&1)
expect_match "a conn with leftcert= of a certificate in the database is added" '^"c":   authby=rsasig;' "$st"
expect_match "... its rightid= a DN as written" '^"c": 127\.0\.0\.1\.\.\.127\.0\.0\.2\[CN=east, O=Example\]' "$st"
expect_rc "a leftcert= not in the database is refused, naming it" 1 \
	"leftcert=: no certificate 'nosuch' in the NSS database" "$ipsec" auto --config "$tmp/certs.conf" --add missing "${ctl[@]}"
expect_rc "authby=ecdsa with an RSA certificate is refused" 1 \
	"certificate 'west' has an RSA key, but leftauth is ecdsa" "$ipsec" auto --config "$tmp/certs.conf" --add ec "${ctl[@]}"
"$ipsec" stop --rundir "$run" >/dev/null 2>&1
wait_until 10 bash -c "! test -e '$run/pluto.pid'"

# The same conn on the locked database: its key is found once the
# password is given, and refused, saying why, when it is wrong.
# add_c LOG PLUTO_OPTIONS...: starts pluto on the locked database; adds conn c
add_c() {
	local log=$1; shift
	"$ipsec" start --config "$tmp/certs.conf" --secretsfile "$tmp/ipsec.secrets" --rundir "$run" --nssdir "$locked" \
		--logfile "$log" "$@" >/dev/null 2>&1 && wait_until 10 test -S "$run/pluto.ctl" || return 1
	"$ipsec" auto --config "$tmp/certs.conf" --add c "${ctl[@]}" 2>&1
	echo "rc=$?"
	"$ipsec" stop --rundir "$run" >/dev/null 2>&1
	wait_until 10 bash -c "! test -e '$run/pluto.pid'"
}
out=$(add_c "$tmp/add-pw.log" --nsspassword "$pwfile")
expect_match "with the password: --add of a leftcert= conn finds its private key" '^"c": replaced IKEv2 connection rc=0$' "$(echo $out)"
expect_match "... as it did at start (auto=add)" '"c": added IKEv2 connection' "$(cat "$tmp/add-pw.log")"
out=$(add_c "$tmp/add-wrong.log" --nsspassword "$tmp/wrong.pw")
expect_match "with a wrong password: --add says the key is locked" \
	"the private key of certificate 'west' cannot be used: the NSS database is locked by a password pluto was not given" "$out"
tap_exit
