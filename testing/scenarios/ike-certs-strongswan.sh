#!/bin/bash
# This pluto (west) against Debian's strongSwan (east: charon driven by
# swanctl) with RSA certificates of the test CA (testing/certs): swanctl
# loads east's from x509/, its key from private/ and the CA from x509ca/
# beside its swanctl.conf; west's NSS database holds the CA and only its
# own certificates. Each side initiates in turn an RSA tunnel (t); each
# says it authenticated the other's certificate, both kernels hold the SA
# pair and a ping passes; then pluto initiates an ECDSA one (e: P-256 and
# P-384).
# strongSwan writes a DN in the DER's order (O=..., CN=...); pluto in RFC
# 4514's (CN=..., O=...).
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth-w 192.0.2.1/24 east veth-e 192.0.2.2/24
d=$SW_LOGDIR
pluto_cert_conf west 192.0.2.1 192.0.2.2 west "CN=east, O=Swan Test"
s=$d/east-swanctl
mkdir -p "$s/x509" "$s/x509ca" "$s/private"
cp "$SW_CERTS/east.pem" "$s/x509/"
cp "$SW_CERTS/ca.pem" "$s/x509ca/"
cp "$SW_CERTS/east.key.pem" "$s/private/"
# swanctl_conn NAME CERT EAST_CN WEST_CN: a swanctl connection and child NAME
swanctl_conn() {
	cat <<-CONF
	$1 {
	version = 2
	local_addrs = 192.0.2.2
	remote_addrs = 192.0.2.1
	proposals = aes128gcm16-prfsha256-ecp256
	local {
	auth = pubkey
	certs = $2
	id = "O=Swan Test, CN=$3"
	}
	remote {
	auth = pubkey
	id = "O=Swan Test, CN=$4"
	}
	children {
	$1 {
	mode = tunnel
	esp_proposals = aes128gcm16
	}
	}
	}
	CONF
}
cp "$SW_CERTS/east-ec.pem" "$s/x509/"
cp "$SW_CERTS/east-ec.key.pem" "$s/private/"
{ echo "connections {"; swanctl_conn t east.pem east west; swanctl_conn e east-ec.pem east-ec west-ec; echo "}"; } >"$s/swanctl.conf"
# conn e: ECDSA, west's P-256 and east's P-384
printf 'conn e\n\talso=t\n\tauthby=ecdsa\n\tleftcert=west-ec\n\trightid="CN=east-ec, O=Swan Test"\n\tauto=add\n' >>"$d/west.conf"
must nss_db "$SW_RUNDIR/west/nss" west west-ec
pluto_start west west "$d/west.conf" "$d/west.secrets" "$SW_RUNDIR/west/nss"
STRONGSWAN_PLUGINS="pem pkcs1 pkcs8 x509 constraints pubkey" strongswan_start east east "$s/swanctl.conf"
ok "this pluto and strongSwan $STRONGSWAN_VERSION are running"
wlog=$d/west/pluto.log elog=$d/east/charon.log

ere="authentication of 'O=Swan Test, CN=west' with .* successful"
# up_checks WHO MARK_W MARK_E: cert_up_checks, and swanctl lists the child.
up_checks() {
	local o
	cert_up_checks "$1" strongSwan "$2" "$elog" "$3" "$ere"
	o=$(swanctl_run east --list-sas 2>&1)
	echo "$o" | _sw_comment
	check "$1: swanctl --list-sas shows the child SA installed" grep -qE 't: #[0-9]+, reqid [0-9]+, INSTALLED' <<<"$o"
}

# 1. This pluto initiates.
mw=$(log_mark "$wlog") me=$(log_mark "$elog")
out=$(whack west --name t --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "pluto initiating: --up exits 0" test "$rc" -eq 0
up_checks "pluto initiating" "$mw" "$me"
must whack west --name t --down
check "and strongSwan removed its SAs on our Delete" wait_for 20 "east's SAs to go" esp_is east 0

# 2. strongSwan initiates, this pluto answers.
mw=$(log_mark "$wlog") me=$(log_mark "$elog")
must swanctl_run east --initiate --child t --timeout 30
up_checks "strongSwan initiating" "$mw" "$me"
must swanctl_run east --terminate --ike t
check "after strongSwan's --terminate west holds no ESP SA" wait_for 20 "west's SAs to go" esp_is west 0

# 3. ECDSA, this pluto initiating.
mw=$(log_mark "$wlog") me=$(log_mark "$elog")
out=$(whack west --name e --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "ECDSA: --up exits 0" test "$rc" -eq 0
check "ECDSA: pluto authenticated strongSwan by its ECDSA certificate" _sw_logged_since "$wlog" "$mw" \
	"established IKE SA with 192.0.2.2; authenticated peer 'CN=east-ec,O=Swan Test' with an ECDSA signature and certificate 'CN=east-ec,O=Swan Test'"
check "ECDSA: strongSwan authenticated pluto's" wait_for 20 "strongSwan's line" \
	bash -c 'tail -n +$(($2 + 1)) "$1" | grep -E "authentication of .O=Swan Test, CN=west-ec. with ECDSA.* successful" >/dev/null' _ "$elog" "$me"
log_since "$elog" "$me" | grep -E "authentication of" | _sw_comment
check "ECDSA: a ping from west to east passes" sw_ping west -c 1 -W 5 -I 192.0.2.1 192.0.2.2
