#!/bin/bash
# Two plutos with fips=yes: NSS in FIPS mode at start (said in one line;
# ipsec whack --fipsstatus says enabled), where IKE keys never leave NSS
# but the ESP keys for the kernel. A PSK tunnel (192.0.2.1 <-> .2) and a
# certificate tunnel (RSA, the test CA; 192.0.2.11 <-> .12) come up and
# carry a ping; a conn asking for X25519, outside FIPS, is refused at
# --add with its reason in one line.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 192.0.2.1/24 east veth1 192.0.2.2/24
ip -n "$(ns_name west)" addr add 192.0.2.11/24 dev veth0
ip -n "$(ns_name east)" addr add 192.0.2.12/24 dev veth1
# conf HERE THERE HERE_C THERE_C CERT PEER_DN: one side's ipsec.conf
conf() {
	printf 'config setup\n\tfips=yes\n'
	printf 'conn p\n\tleft=%s\n\tright=%s\n\tauthby=secret\n\tike=aes_gcm256-sha2_256;dh19\n\tesp=aes_gcm128-null\n\tauto=add\n' "$1" "$2"
	printf 'conn c\n\tleft=%s\n\tright=%s\n\tauthby=rsasig\n\tleftcert=%s\n\tleftid=%%fromcert\n\trightid="%s"\n' "$3" "$4" "$5" "$6"
	printf '\tike=aes_cbc256-sha2_384;dh20\n\tesp=aes256-sha2_256\n\tauto=add\n'
	printf 'conn x\n\tleft=%s\n\tright=%s\n\tauthby=secret\n\tike=aes_gcm256-sha2_256;dh31\n\tauto=ignore\n' "$1" "$2"
}
conf 192.0.2.1 192.0.2.2 192.0.2.11 192.0.2.12 west "CN=east, O=Swan Test" >"$SW_LOGDIR/west.conf"
conf 192.0.2.2 192.0.2.1 192.0.2.12 192.0.2.11 east "CN=west, O=Swan Test" >"$SW_LOGDIR/east.conf"
for side in west east; do
	echo '192.0.2.1 192.0.2.2 : PSK "ike-fips test secret, not a real one"' >"$SW_LOGDIR/$side.secrets"
	chmod 600 "$SW_LOGDIR/$side.secrets"
	must nss_db "$SW_RUNDIR/$side/nss" $side
	pluto_start $side $side "$SW_LOGDIR/$side.conf" "$SW_LOGDIR/$side.secrets" "$SW_RUNDIR/$side/nss"
	check "$side: NSS is in FIPS mode on its database, said in one line" \
		grep -q 'fips=yes: NSS is in FIPS mode (on its database)$' "$SW_LOGDIR/$side/pluto.log"
	check "$side: whack --fipsstatus says enabled" grep -q '^FIPS mode enabled' <<<"$(whack $side --fipsstatus)"
	check "$side: whack --status keeps fips=yes" grep -q 'fips=yes$' <<<"$(whack $side --status | head -1)"
done

esp_both() { esp_is west "$1" && esp_is east "$1"; }
# up CONN FROM TO ESP_ALG: west brings CONN up, a ping passes, it goes down.
up() {
	local c=$1 from=$2 to=$3 alg=$4 out rc
	out=$(whack west --name "$c" --up 2>&1); rc=$?
	echo "$out" | _sw_comment
	check "$c: --up exits 0 with the established line" test "$rc" -eq 0
	check "$c: the ESP algorithm is $alg" grep -q "xfrm=$alg" <<<"$out"
	check "$c: two ESP SAs in each kernel" wait_for 10 "the SAs" esp_both 2
	check "$c: a ping passes" sw_ping west -c 1 -W 5 -I "$from" "$to"
	check "$c: --down exits 0" whack west --name "$c" --down
	wait_for 10 "east to delete its SAs" esp_is east 0
}
up p 192.0.2.1 192.0.2.2 AES_GCM_16_128
check "p: east authenticated west with the PSK" grep -q '"p" #[0-9]*: established IKE SA with 192.0.2.1; authenticated peer .* with a pre-shared key' "$SW_LOGDIR/east/pluto.log"
up c 192.0.2.11 192.0.2.12 AES_CBC_256-HMAC_SHA2_256_128
check "c: west authenticated east by its RSA certificate" grep -q \
	"\"c\" #[0-9]*: established IKE SA with 192.0.2.12; authenticated peer 'CN=east,O=Swan Test' with an RSA signature" "$SW_LOGDIR/west/pluto.log"

out=$(whack west --name x --add --config "$SW_LOGDIR/west.conf" 2>&1); rc=$?
echo "$out" | _sw_comment
check "x: --add of X25519 fails" test "$rc" -ne 0
check "x: the reason in one line: file, conn, algorithm" grep -qE \
	"west\\.conf:[0-9]+: conn \"x\" cannot be added: fips=yes: ike=aes_gcm256-sha2_256;dh31 uses DH31, which FIPS mode does not allow" <<<"$out"
check "x: not loaded" bash -c "! grep -q '^\"x\"' <<<\"\$1\"" _ "$(whack west --status)"
