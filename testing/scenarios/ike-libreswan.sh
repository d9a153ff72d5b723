#!/bin/bash
# This pluto (west) against Debian's libreswan (east), IKEv2 with a
# pre-shared key, AES-GCM-128 ESP: each side initiates in turn; both
# kernels hold the same SA pair, pings pass through it (its counters say
# so), and each daemon's trafficstatus shows the tunnel.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth-w 192.0.2.1/24 east veth-e 192.0.2.2/24
psk=interop-test-psk-not-a-real-one
d=$SW_LOGDIR
cat >"$d/west.conf" <<CONF
conn t
	left=192.0.2.1
	right=192.0.2.2
	authby=secret
	ike=aes_gcm128-sha2_256;dh19
	esp=aes_gcm128-null
	auto=add
CONF
cat >"$d/east.conf" <<CONF
config setup
	dnssec-enable=no

conn t
	ikev2=insist
	authby=secret
	left=192.0.2.2
	right=192.0.2.1
	type=tunnel
	ike=aes_gcm128-sha2_256-dh19
	esp=aes_gcm128-null
	auto=add
CONF
echo "192.0.2.1 192.0.2.2 : PSK \"$psk\"" >"$d/west.secrets"
cp "$d/west.secrets" "$d/east.secrets"
pluto_start west west "$d/west.conf" "$d/west.secrets"
libreswan_start east east "$d/east.conf" "$d/east.secrets"
ok "this pluto and libreswan $LIBRESWAN_VERSION are running"

tunnel_up() {
	local who=$1 o
	tunnel_checks "$who" 192.0.2.1 192.0.2.2
	o=$(libreswan_whack east --trafficstatus 2>&1)
	echo "$o" | _sw_comment
	check "$who: libreswan's trafficstatus shows it too" grep -qE '"t".*type=ESP, .*inBytes=[1-9][0-9]*' <<<"$o"
}

# 1. This pluto initiates.
out=$(whack west --name t --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "pluto initiating: --up exits 0 with the established line" \
	bash -c '[ "$1" -eq 0 ] && grep -q "IPsec SA established tunnel mode .*xfrm=AES_GCM_16_128" <<<"$2"' _ "$rc" "$out"
tunnel_up "pluto initiating"
must whack west --name t --down
check "after --down west holds no ESP SA" wait_for 10 "west's SAs to go" esp_is west 0
check "and libreswan removed its SAs on our Delete" wait_for 20 "east's SAs to go" esp_is east 0

# 2. libreswan initiates, this pluto answers.
must libreswan_whack east --name t --initiate --asynchronous
tunnel_up "libreswan initiating"
must libreswan_whack east --name t --terminate
check "after libreswan's --terminate east holds no ESP SA" wait_for 20 "east's SAs to go" esp_is east 0
check "and this pluto removed its SAs on libreswan's Delete" wait_for 20 "west's SAs to go" esp_is west 0
