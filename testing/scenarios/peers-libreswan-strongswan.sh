#!/bin/bash
# The peer daemons alone, to prove the harness that later scenarios use
# against this project's pluto: Debian's libreswan (west) and strongSwan
# (east), unpacked by testing/vm/peers, bring up an IKEv2 PSK host-to-host
# tunnel with AES-GCM-128 ESP over veth, first with libreswan initiating, then,
# after a teardown, with strongSwan initiating. Each time both kernels hold
# the two ESP SAs, pings pass through them (their counters say so), and
# libreswan's --trafficstatus and swanctl --list-sas show the child SA.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth-w 192.0.2.1/24 east veth-e 192.0.2.2/24
psk=peers-test-psk-0123456789

d=$SW_LOGDIR
cat >"$d/west.conf" <<CONF
config setup
	dnssec-enable=no

conn t
	ikev2=insist
	authby=secret
	left=192.0.2.1
	right=192.0.2.2
	type=tunnel
	ike=aes_gcm128-sha2_256-dh19
	esp=aes_gcm128-null
	auto=add
CONF
echo "192.0.2.1 192.0.2.2 : PSK \"$psk\"" >"$d/west.secrets"
swanctl_psk_conf 192.0.2.2 192.0.2.1 "$psk" aes128gcm16 aes128gcm16-prfsha256-ecp256 >"$d/east.swanctl.conf"

libreswan_start west west "$d/west.conf" "$d/west.secrets"
strongswan_start east east "$d/east.swanctl.conf"
ok "libreswan $LIBRESWAN_VERSION and strongSwan $STRONGSWAN_VERSION are running"

ping_east() {
	if command -v ping >/dev/null; then ns west ping -c 3 -W 5 192.0.2.2
	else ns west busybox ping -c 3 -W 5 192.0.2.2; fi
}

# tunnel_up WHO: what must hold once WHO has brought the tunnel up.
tunnel_up() {
	local who=$1 out in o w_out e_out w_in
	check "$who: west holds the two ESP SAs" wait_for 20 "two ESP SAs in west" esp_is west 2
	check "$who: east holds the two ESP SAs" wait_for 10 "two ESP SAs in east" esp_is east 2
	o=$(ip -n "$(ns_name west)" xfrm state)
	echo "$o" | _sw_comment
	check "$who: they are AES-GCM-128 (20-byte key with salt, 128-bit ICV) in tunnel mode" bash -c \
		'[ $(grep -cE "aead rfc4106\(gcm\(aes\)\) 0x[0-9a-f]{40} 128" <<<"$1") -eq 2 ] &&
		 [ $(grep -c "mode tunnel" <<<"$1") -eq 2 ]' _ "$o"
	out=$(esp_spi west 192.0.2.1 192.0.2.2) in=$(esp_spi west 192.0.2.2 192.0.2.1)
	check "$who: east's SAs are the same pair (SPIs $out, $in)" \
		test -n "$out" -a -n "$in" -a "$(esp_spi east 192.0.2.1 192.0.2.2)" = "$out" -a "$(esp_spi east 192.0.2.2 192.0.2.1)" = "$in"
	check "$who: pings from west to east pass" ping_east
	w_out=$(sa_packets west "$out") e_out=$(sa_packets east "$out") w_in=$(sa_packets west "$in")
	check "$who: west's outbound SA encrypted them ($w_out packets)" test "${w_out:-0}" -ge 3
	check "$who: east's inbound SA decrypted them ($e_out packets)" test "${e_out:-0}" -ge 3
	check "$who: the replies came back through west's inbound SA ($w_in packets)" test "${w_in:-0}" -ge 3
	o=$(libreswan_whack west --trafficstatus 2>&1)
	echo "$o" | _sw_comment
	check "$who: libreswan's --trafficstatus shows the ESP SA with traffic both ways" \
		grep -qE '"t".*type=ESP, .*inBytes=[1-9][0-9]*, outBytes=[1-9][0-9]*' <<<"$o"
	o=$(swanctl_run east --list-sas 2>&1)
	echo "$o" | _sw_comment
	check "$who: swanctl --list-sas shows the child SA installed" \
		grep -qE 't: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL, ESP:AES_GCM_16-128' <<<"$o"
}

# 1. libreswan initiates (asynchronously: the checks wait for the SAs).
must libreswan_whack west --name t --initiate --asynchronous
tunnel_up "libreswan initiating"

# Teardown from libreswan: it deletes its SAs and tells strongSwan.
must libreswan_whack west --name t --terminate
check "after --terminate west holds no ESP SA" wait_for 20 "west's SAs to go" esp_is west 0
check "and east removed its SAs on libreswan's DELETE" wait_for 20 "east's SAs to go" esp_is east 0

# 2. strongSwan initiates; swanctl waits until the child SA is up (or fails).
must swanctl_run east --initiate --child t --timeout 30
tunnel_up "strongSwan initiating"
