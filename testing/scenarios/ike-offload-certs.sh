#!/bin/bash
# A tunnel authenticated by certificates, offloaded: over the offload rig
# (west's endpoint on a netdevsim port, hw_offload=yes), two plutos
# authenticate each other with RSA certificates of the test CA
# (testing/certs, DNs as IDs) and west's AES-GCM-128 SAs go to the port.
# West's NSS database is locked by a password, which pluto takes from its
# NSS password file (--nsspassword) to use its private key.
. "$(dirname "$0")/lib.sh"

offload_rig
d=$SW_LOGDIR
cat >"$d/west.conf" <<CONF
conn t
	left=192.0.2.1
	right=10.0.0.2
	authby=rsasig
	leftcert=west
	rightid="CN=east, O=Swan Test"
	esp=aes_gcm128-null
	hw_offload=yes
	hw_offload_fallback=no
	auto=add
CONF
cat >"$d/east.conf" <<CONF
conn t
	left=10.0.0.2
	right=192.0.2.1
	authby=rsasig
	leftcert=east
	rightid="CN=west, O=Swan Test"
	esp=aes_gcm128-null
	auto=add
CONF
: >"$d/west.secrets"
: >"$d/east.secrets"
NSS_DB_PASSWORD="offload scenario password, not a real one" must nss_db "$SW_RUNDIR/west/nss" west
must nss_db "$SW_RUNDIR/east/nss" east
pluto_start west west "$d/west.conf" "$d/west.secrets"
pluto_start east east "$d/east.conf" "$d/east.secrets"
wlog=$d/west/pluto.log elog=$d/east/pluto.log
check "west unlocked its database with the password from its NSS password file" grep -qE \
	"NSS database $SW_RUNDIR/west/nss opened: [0-9]+ certificates; the password for token 'NSS Certificate DB' from $SW_RUNDIR/west/nss.nsspassword was accepted" "$wlog"
check "west logged no password" bash -c "! grep -q 'not a real one' '$wlog'"

out=$(whack west --name t --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "--up exits 0" test "$rc" -eq 0
check "the established line says crypto offload to the port" \
	grep -qE "IPsec SA established tunnel mode .*xfrm=AES_GCM_16_128 esn=no offload=crypto\\($NSIM_DEV\\)\\}" <<<"$out"
ipsec=$(nsim_ipsec "$NSIM_ID")
echo "$ipsec" | _sw_comment
check "netdevsim holds both SAs" grep -q "^SA count=2 " <<<"$ipsec"
check "ping through the tunnel" sw_ping west -c 2 -W 5 -I 192.0.2.1 10.0.0.2
check "west authenticated east by its RSA certificate" grep -q \
	"\"t\" #[0-9]*: established IKE SA with 10.0.0.2; authenticated peer 'CN=east,O=Swan Test' with an RSA signature and certificate 'CN=east,O=Swan Test'" "$wlog"
check "east authenticated west by its RSA certificate" grep -q \
	"\"t\" #[0-9]*: established IKE SA with 192.0.2.1; authenticated peer 'CN=west,O=Swan Test' with an RSA signature and certificate 'CN=west,O=Swan Test'" "$elog"
