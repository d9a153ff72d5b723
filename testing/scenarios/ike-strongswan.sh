#!/bin/bash
# This pluto (west) against Debian's strongSwan (east: charon driven by
# swanctl), IKEv2 with a pre-shared key, AES-GCM-128 ESP: each side
# initiates in turn; both kernels hold the same SA pair, pings pass through
# it (its counters say so), trafficstatus and swanctl --list-sas show it.
# Then strongSwan as a road warrior with an ID of its own: pluto's
# right=%any conn answers it with an instance, "rw"[1] 192.0.2.2.
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
conn rw
	left=192.0.2.1
	leftid=@west
	right=%any
	authby=secret
	ike=aes_gcm128-sha2_256;dh19
	esp=aes_gcm128-null
	auto=add
CONF
printf '192.0.2.1 192.0.2.2 : PSK "%s"\n@west @road : PSK "%s-road"\n' "$psk" "$psk" >"$d/west.secrets"
swanctl_psk_conf 192.0.2.2 192.0.2.1 "$psk" aes128gcm16 aes128gcm16-prfsha256-ecp256 >"$d/east.swanctl.conf"
pluto_start west west "$d/west.conf" "$d/west.secrets"
strongswan_start east east "$d/east.swanctl.conf"
ok "this pluto and strongSwan $STRONGSWAN_VERSION are running"

tunnel_up() {
	local who=$1 o
	tunnel_checks "$who" 192.0.2.1 192.0.2.2
	o=$(swanctl_run east --list-sas 2>&1)
	echo "$o" | _sw_comment
	check "$who: swanctl --list-sas shows the child SA installed" \
		grep -qE 't: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL, ESP:AES_GCM_16-128' <<<"$o"
}

# 1. This pluto initiates.
out=$(whack west --name t --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "pluto initiating: --up exits 0 with the established line" \
	bash -c '[ "$1" -eq 0 ] && grep -q "IPsec SA established tunnel mode .*xfrm=AES_GCM_16_128" <<<"$2"' _ "$rc" "$out"
tunnel_up "pluto initiating"
must whack west --name t --down
check "after --down west holds no ESP SA" wait_for 10 "west's SAs to go" esp_is west 0
check "and strongSwan removed its SAs on our Delete" wait_for 20 "east's SAs to go" esp_is east 0

# 2. strongSwan initiates, this pluto answers.
must swanctl_run east --initiate --child t --timeout 30
tunnel_up "strongSwan initiating"
must swanctl_run east --terminate --ike t --timeout 30
check "after swanctl --terminate east holds no ESP SA" wait_for 20 "east's SAs to go" esp_is east 0
check "and this pluto removed its SAs on strongSwan's Delete" wait_for 20 "west's SAs to go" esp_is west 0

# 3. strongSwan as a road warrior (@road): pluto's conn t is the one for its
# address, its ID takes the right=%any conn, and the peer gets an instance.
cat >"$d/east-rw.swanctl.conf" <<CONF
connections {
rw {
version = 2
local_addrs = 192.0.2.2
remote_addrs = 192.0.2.1
proposals = aes128gcm16-prfsha256-ecp256
local {
auth = psk
id = @road
}
remote {
auth = psk
id = @west
}
children {
rw {
mode = tunnel
esp_proposals = aes128gcm16
}
}
}
}
secrets {
ike-rw {
id-1 = @road
id-2 = @west
secret = "$psk-road"
}
}
CONF
must swanctl_run east --load-all --file "$d/east-rw.swanctl.conf"
must swanctl_run east --initiate --child rw --timeout 30
check "the road warrior pings through its tunnel" sw_ping east -c 1 -W 5 192.0.2.1
out=$(whack west --trafficstatus)
echo "$out" | _sw_comment
check "pluto's trafficstatus shows the road warrior's instance, its ID and traffic" \
	grep -E "^#[0-9]+: \"rw\"\[1\] 192\.0\.2\.2, type=ESP, .*inBytes=[1-9][0-9]*, .*id='@road'" <<<"$out"
check "pluto's status shows the instance up" \
	grep -E '^"rw"\[1\] 192\.0\.2\.2: 192\.0\.2\.1\[@west\]\.\.\.192\.0\.2\.2\[@road\]; instance of "rw"; IKE SA #[0-9]+ established' <<<"$(whack west --status)"
