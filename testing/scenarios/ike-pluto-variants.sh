#!/bin/bash
# This pluto to this pluto across the algorithms, identities and modes
# issue 5 names: MODP2048, ECP384 and Curve25519; AES-CBC with SHA1 and
# SHA2 integrity for IKE and ESP; @fqdn and user@fqdn IDs; subnets behind
# each end; transport mode. Each variant comes up, carries a ping, and
# goes down again on both sides.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 192.0.2.1/24 east veth1 192.0.2.2/24
# Subnets behind each end, on dummy interfaces.
must ip -n "$(ns_name west)" link add lanw type dummy
must ip -n "$(ns_name west)" addr add 10.1.0.1/24 dev lanw
must ip -n "$(ns_name west)" link set lanw up
must ip -n "$(ns_name east)" link add lane type dummy
must ip -n "$(ns_name east)" addr add 10.2.0.1/24 dev lane
must ip -n "$(ns_name east)" link set lane up
# IPv6 beside IPv4 on the same link (nodad: usable at once).
must ip -n "$(ns_name west)" -6 addr add 2001:db8::1/64 dev veth0 nodad
must ip -n "$(ns_name east)" -6 addr add 2001:db8::2/64 dev veth1 nodad
# No routes between the subnets: pluto installs them with the tunnel
# (updown.h), and the policies make that traffic ESP.
: >"$SW_LOGDIR/west.conf"; : >"$SW_LOGDIR/east.conf"
cat >"$SW_LOGDIR/west.secrets" <<'S'
192.0.2.1 192.0.2.2 : PSK "variants secret for addresses"
2001:db8::1 2001:db8::2 : PSK "variants secret for IPv6 addresses"
@west @east : PSK "variants secret for fqdn ids"
west@example.org east@example.org : PSK "variants secret for user ids"
S
cp "$SW_LOGDIR/west.secrets" "$SW_LOGDIR/east.secrets"
pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
pluto_start east east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"

# variant NAME PING_FROM PING_TO EXPECT KEYWORDS... (LEFT=, RIGHT= for other
# hosts than 192.0.2.1 and 192.0.2.2)
# variant NAME PING_FROM PING_TO EXPECT KEYWORDS...: the same conn loaded
# on both ends (each pluto finds which end is its own), brought up from west.
variant() {
	local name=$1 from=$2 to=$3 expect=$4 out rc kw spi pkts
	local left=${LEFT:-192.0.2.1} right=${RIGHT:-192.0.2.2}
	shift 4
	{ echo "conn $name"; echo "	left=$left"; echo "	right=$right"; echo "	authby=secret"
	  for kw in "$@"; do echo "	$kw"; done; } >"$SW_LOGDIR/$name.conf"
	must whack west --name "$name" --add --config "$SW_LOGDIR/$name.conf"
	must whack east --name "$name" --add --config "$SW_LOGDIR/$name.conf"
	out=$(whack west --name "$name" --up 2>&1); rc=$?
	echo "$out" | _sw_comment
	check "$name: --up exits 0" test "$rc" -eq 0
	check "$name: established as expected ($expect)" grep -qE "$expect" <<<"$out"
	check "$name: ping $from -> $to through the tunnel" sw_ping west -c 2 -W 5 -I "$from" "$to"
	spi=$(ip -n "$(ns_name east)" xfrm state list src "$left" dst "$right" proto esp | awk '$1 == "proto" { print $4; exit }')
	pkts=$(sa_packets east "${spi:-0}")
	check "$name: east's inbound SA decrypted the pings (${pkts:-0} packets)" test "${pkts:-0}" -ge 2
	must whack west --name "$name" --down
	wait_for 10 "east to drop $name's SAs" bash -c "! ip -n $(ns_name east) xfrm state | grep -q ." &&
		ok "$name: both sides drop their SAs" || not_ok "$name: both sides drop their SAs"
	must whack west --name "$name" --delete
	must whack east --name "$name" --delete
}

variant modp2048-cbc 192.0.2.1 192.0.2.2 'xfrm=AES_CBC_128-HMAC_SHA2_256_128 ' \
	'ike=aes256-sha2_256;modp2048' 'esp=aes128-sha2_256'
variant ecp384-sha1 192.0.2.1 192.0.2.2 'xfrm=AES_CBC_256-HMAC_SHA1_96 ' \
	'ike=aes128-sha1;dh20' 'esp=aes256-sha1'
variant x25519-gcm256 192.0.2.1 192.0.2.2 'xfrm=AES_GCM_16_256 ' \
	'ike=aes_gcm256-sha2_512;dh31' 'esp=aes_gcm256-null'
variant sha512 192.0.2.1 192.0.2.2 'xfrm=AES_CBC_256-HMAC_SHA2_512_256 ' \
	'ike=aes256-sha2_512;dh19' 'esp=aes256-sha2_512'
variant fqdn-ids 192.0.2.1 192.0.2.2 "authenticated peer '@east'" \
	'leftid=@west' 'rightid=@east' 'esp=aes_gcm128-null'
variant user-ids 192.0.2.1 192.0.2.2 "authenticated peer 'east@example.org'" \
	'leftid=west@example.org' 'rightid=east@example.org'
variant subnets 10.1.0.1 10.2.0.1 'IPsec SA established tunnel mode' \
	'leftsubnet=10.1.0.0/24' 'rightsubnet=10.2.0.0/24' 'esp=aes_gcm128-null'
variant transport 192.0.2.1 192.0.2.2 'IPsec SA established transport mode' \
	'type=transport' 'esp=aes_gcm128-null'
LEFT=2001:db8::1 RIGHT=2001:db8::2 variant ipv6 2001:db8::1 2001:db8::2 "authenticated peer '2001:db8::2'" \
	'esp=aes_gcm128-null'
