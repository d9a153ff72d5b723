#!/bin/bash
# This pluto to this pluto with certificates (testing/certs), each end's
# NSS database holding the test CA and only its own certificates: RSA
# (conn t, DNs as IDs, the peer's certificate sent because it asked with a
# CERTREQ), then ECDSA (conn e: P-256 west, P-384 east), each up with a
# ping through it; then east answers with a certificate of an unknown CA (conn
# r) and with an expired one (conn x), and west refuses each with its
# reason in one line, which also ends `ipsec auto --up`.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 192.0.2.1/24 east veth1 192.0.2.2/24
# conn NAME AUTHBY LEFTCERT LEFTID RIGHTID: a conn of west.conf or east.conf
conn() {
	printf 'conn %s\n\tauthby=%s\n\tleftcert=%s\n\tleftid=%s\n\trightid=%s\n\tesp=aes_gcm128-null\n\tauto=add\n' "$@"
	printf '\talso=hosts\n'
}
{
	printf 'conn hosts\n\tleft=192.0.2.1\n\tright=192.0.2.2\n\tauto=ignore\n'
	conn t rsasig west %fromcert '"CN=east, O=Swan Test"'
	conn e ecdsa west-ec %fromcert '"CN=east-ec, O=Swan Test"'
	conn r rsasig west @west.example %fromcert
	conn x rsasig west west@example %fromcert
} >"$SW_LOGDIR/west.conf"
{
	printf 'conn hosts\n\tleft=192.0.2.2\n\tright=192.0.2.1\n\tauto=ignore\n'
	conn t rsasig east %fromcert '"CN=west,O=Swan Test"'
	conn e ecdsa east-ec %fromcert '"CN=west-ec,O=Swan Test"'
	conn r rsasig rogue %fromcert @west.example
	conn x rsasig expired %fromcert west@example
} >"$SW_LOGDIR/east.conf"
: >"$SW_LOGDIR/west.secrets"
: >"$SW_LOGDIR/east.secrets"
must nss_db "$SW_RUNDIR/west/nss" west west-ec
must nss_db "$SW_RUNDIR/east/nss" east east-ec rogue expired
for side in west east; do
	pluto_start $side $side "$SW_LOGDIR/$side.conf" "$SW_LOGDIR/$side.secrets" "$SW_RUNDIR/$side/nss"
done
wlog=$SW_LOGDIR/west/pluto.log elog=$SW_LOGDIR/east/pluto.log
check "west opened its NSS database" grep -qE "NSS database $SW_RUNDIR/west/nss opened: [0-9]+ certificates" "$wlog"

# up CONN KEY EAST_DN WEST_DN: west brings CONN up; both ends logged how
# the other authenticated; pings pass; then it goes down.
up() {
	local c=$1 key=$2 edn=$3 wdn=$4 out rc
	out=$(whack west --name "$c" --up 2>&1); rc=$?
	echo "$out" | _sw_comment
	check "$c: --up exits 0" test "$rc" -eq 0
	check "$c: west authenticated east by its $key certificate" grep -q \
		"\"$c\" #[0-9]*: established IKE SA with 192.0.2.2; authenticated peer '$edn' with an $key signature and certificate '$edn'" "$wlog"
	check "$c: east authenticated west by its $key certificate" grep -q \
		"\"$c\" #[0-9]*: established IKE SA with 192.0.2.1; authenticated peer '$wdn' with an $key signature and certificate '$wdn'" "$elog"
	check "$c: two ESP SAs in west" wait_for 10 "two SAs in west" esp_is west 2
	check "$c: pings pass" sw_ping west -c 1 -W 5 -I 192.0.2.1 192.0.2.2
	check "$c: --down exits 0" whack west --name "$c" --down
}
up t RSA "CN=east,O=Swan Test" "CN=west,O=Swan Test"
up e ECDSA "CN=east-ec,O=Swan Test" "CN=west-ec,O=Swan Test"

# refused CONN REASON: west brings CONN up and refuses east's certificate.
refused() {
	local c=$1 reason=$2 out rc m
	m=$(log_mark "$wlog")
	out=$(whack west --name "$c" --up 2>&1); rc=$?
	echo "$out" | _sw_comment
	check "$c: --up fails" test "$rc" -ne 0
	check "$c: west says why in one line" _sw_logged_since "$wlog" "$m" "\"$c\" #[0-9]*: authentication failed: $reason"
	check "$c: --up's output says it too" grep -q "authentication failed: $reason" <<<"$out"
	check "$c: no ESP SA in west" esp_is west 0
}
refused r "certificate 'CN=rogue,O=Swan Test' is issued by 'CN=Rogue CA,O=Swan Test', a CA this host does not trust (unknown CA)"
refused x "certificate 'CN=expired,O=Swan Test' has expired or is not yet valid"
