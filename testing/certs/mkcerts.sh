#!/bin/sh
# mkcerts.sh DIR: a small test CA and its certificates, made afresh with
# NSS's certutil (libnss3-tools), for the unit tests and the VM scenarios.
#
# DIR/db is an NSS database (sql:, no password) holding every one of them:
#   ca        "CN=Swan Test CA,O=Swan Test", RSA 2048, trusted as a CA
#   west      "CN=west,O=Swan Test", RSA 2048, issued by ca
#   east      "CN=east,O=Swan Test", RSA 2048
#   west-ec   "CN=west-ec,O=Swan Test", ECDSA P-256
#   east-ec   "CN=east-ec,O=Swan Test", ECDSA P-384
#   expired   "CN=expired,O=Swan Test", RSA, valid for 12 months ending a month ago
#   rogue     "CN=rogue,O=Swan Test", RSA, issued by a CA that is then
#             deleted from the database: an unknown CA
# with their private keys. Each end certificate names NAME.example (DNS)
# and NAME@example (email) as subjectAltNames. DIR also gets ca.pem and,
# for each end certificate, NAME.p12 (certificate and key, empty
# password, made by openssl), NAME.pem and NAME.key.pem (PKCS#8,
# unencrypted), as a peer
# that is not NSS-based (strongSwan) wants them; with MKCERTS_DB_ONLY=1,
# only the database is made (the unit tests need no more).
set -eu
dir=$1
db=sql:$dir/db
rm -rf "$dir/db"
mkdir -p "$dir/db"
head -c 64 /dev/urandom > "$dir/noise"
certutil -N -d "$db" --empty-password
serial=1

# ca NICK SUBJECT TRUST: a self-signed CA (basicConstraints cA, asked by -2)
ca() {
	printf 'y\n\ny\n' | certutil -S -d "$db" -n "$1" -s "$2" -x -t "$3" -k rsa -g 2048 \
		-z "$dir/noise" -m $serial -v 120 -2 > /dev/null 2>&1
	serial=$((serial + 1))
}

# cert NICK ISSUER KEYOPTS [CERTUTIL OPTIONS]
cert() {
	nick=$1 issuer=$2 keyopts=$3
	shift 3
	certutil -S -d "$db" -n "$nick" -s "CN=$nick,O=Swan Test" -c "$issuer" -t ",," $keyopts \
		-z "$dir/noise" -m $serial --extSAN "dns:$nick.example,email:$nick@example" "$@" > /dev/null 2>&1
	serial=$((serial + 1))
}

ca ca "CN=Swan Test CA,O=Swan Test" "CT,C,C"
ca rogueca "CN=Rogue CA,O=Swan Test" "CT,C,C"
cert west ca "-k rsa -g 2048" -v 120
cert east ca "-k rsa -g 2048" -v 120
cert west-ec ca "-k ec -q nistp256" -v 120
cert east-ec ca "-k ec -q nistp384" -v 120
cert expired ca "-k rsa -g 2048" -w -13 -v 12
cert rogue rogueca "-k rsa -g 2048" -v 120
certutil -D -d "$db" -n rogueca

rm -f "$dir/noise"
[ "${MKCERTS_DB_ONLY:-0}" = 1 ] && exit 0
certutil -L -d "$db" -n ca -a > "$dir/ca.pem"
# pk12util's own export protects the key with many PBKDF2 rounds, which
# take half a minute per import in the TCG test VM: the NAME.p12 kept is
# remade by openssl with one round (its password is empty anyway).
for nick in west east west-ec east-ec expired rogue; do
	pk12util -o "$dir/$nick.nss.p12" -n "$nick" -d "$db" -W "" > /dev/null
	certutil -L -d "$db" -n "$nick" -a > "$dir/$nick.pem"
	openssl pkcs12 -in "$dir/$nick.nss.p12" -passin pass: -nocerts -nodes 2> /dev/null |
		openssl pkey -out "$dir/$nick.key.pem"
	openssl pkcs12 -export -in "$dir/$nick.pem" -inkey "$dir/$nick.key.pem" -name "$nick" \
		-passout pass: -iter 1 -macalg sha256 -out "$dir/$nick.p12"
	rm -f "$dir/$nick.nss.p12"
done
