#!/bin/bash
# This pluto (west) against Debian's libreswan (east) with RSA certificates
# of the test CA (testing/certs), each end's NSS database holding the CA
# and only its own certificate: each side initiates in turn; each logs
# that it authenticated the other's certificate, both kernels hold the SA
# pair and a ping passes. libreswan writes a DN in the DER's order
# (O=..., CN=...); pluto in RFC 4514's (CN=..., O=...). libreswan 4.10
# initiating sends no CERTREQ, so pluto's leftsendcert=sendifasked would
# answer it without a certificate ("no certificate matched"): this pluto
# says leftsendcert=always.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth-w 192.0.2.1/24 east veth-e 192.0.2.2/24
d=$SW_LOGDIR
pluto_cert_conf west 192.0.2.1 192.0.2.2 west "CN=east, O=Swan Test" "leftsendcert=always"
libreswan_psk_conf 192.0.2.2 192.0.2.1 "" "$(printf '%s\n' authby=rsasig leftcert=east leftid=%fromcert \
	'rightid="O=Swan Test, CN=west"' ike=aes_gcm128-sha2_256-dh19 esp=aes_gcm128-null)" >"$d/east.conf"
: >"$d/east.secrets"
must nss_db "$SW_RUNDIR/west/nss" west
pluto_start west west "$d/west.conf" "$d/west.secrets" "$SW_RUNDIR/west/nss"
libreswan_start east east "$d/east.conf" "$d/east.secrets" east
ok "this pluto and libreswan $LIBRESWAN_VERSION are running"
wlog=$d/west/pluto.log elog=$d/east/pluto.log
# libreswan's line, e.g. "t" #1: responder established IKE SA; authenticated
# peer '2048-bit RSASSA-PSS with SHA2_256' digital signature using peer
# certificate 'O=Swan Test, CN=west' issued by CA 'O=Swan Test, CN=Swan Test CA'
ere="established IKE SA; authenticated peer .* certificate 'O=Swan Test, CN=west' issued by CA 'O=Swan Test, CN=Swan Test CA'"

# 1. This pluto initiates.
mw=$(log_mark "$wlog") me=$(log_mark "$elog")
out=$(whack west --name t --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "pluto initiating: --up exits 0" test "$rc" -eq 0
cert_up_checks "pluto initiating" libreswan "$mw" "$elog" "$me" "$ere"
must whack west --name t --down
check "and libreswan removed its SAs on our Delete" wait_for 20 "east's SAs to go" esp_is east 0

# 2. libreswan initiates, this pluto answers.
mw=$(log_mark "$wlog") me=$(log_mark "$elog")
must libreswan_whack east --name t --initiate --asynchronous
cert_up_checks "libreswan initiating" libreswan "$mw" "$elog" "$me" "$ere"
must libreswan_whack east --name t --terminate
check "after libreswan's --terminate west holds no ESP SA" wait_for 20 "west's SAs to go" esp_is west 0
