#!/bin/bash
# RFC 7296 2.6 cookies against real peers. This pluto (west) runs with
# ddos-mode=busy, so it takes on no IKE_SA_INIT that does not return its
# cookie: libreswan and strongSwan initiating to it each get a COOKIE, send
# it back, and come up. Then libreswan as the busy one (its own
# ddos-mode=busy): this pluto initiating returns libreswan's cookie.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth-w 192.0.2.1/24 east veth-e 192.0.2.2/24
psk=cookie-test-psk-not-a-real-one
d=$SW_LOGDIR
cat >"$d/west.conf" <<CONF
config setup
	ddos-mode=busy

conn t
	left=192.0.2.1
	right=192.0.2.2
	authby=secret
	ike=aes_gcm128-sha2_256;dh19
	esp=aes_gcm128-null
	auto=add
CONF
libreswan_psk_conf 192.0.2.2 192.0.2.1 "ddos-mode=busy" "ike=aes_gcm128-sha2_256-dh19
esp=aes_gcm128-null" >"$d/east.conf"
echo "192.0.2.1 192.0.2.2 : PSK \"$psk\"" >"$d/west.secrets"
cp "$d/west.secrets" "$d/east.secrets"
pluto_start west west "$d/west.conf" "$d/west.secrets"
st=$(whack west --status)
check "west's status says it asks every IKE_SA_INIT for a cookie" \
	grep -q "cookies asked for: yes (ddos-mode=busy" <<<"$st"

# 1. libreswan initiates to a pluto that asks for cookies.
libreswan_start east east "$d/east.conf" "$d/east.secrets"
must libreswan_whack east --name t --initiate --asynchronous
tunnel_checks "libreswan initiating to a busy pluto" 192.0.2.1 192.0.2.2
check "and libreswan's log shows the COOKIE it was sent" grep -qi "cookie" "$d/east/pluto.log"
must libreswan_whack east --name t --terminate
check "after libreswan's --terminate west holds no ESP SA" wait_for 20 "west's SAs to go" esp_is west 0

# 2. This pluto initiates to a libreswan that asks for cookies.
m=$(log_mark "$d/west/pluto.log")
out=$(whack west --name t --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "pluto initiating to a busy libreswan: --up exits 0 with the established line" \
	bash -c '[ "$1" -eq 0 ] && grep -q "IPsec SA established tunnel mode" <<<"$2"' _ "$rc" "$out"
check "pluto sent IKE_SA_INIT again with libreswan's cookie" \
	grep -q "the peer is under load and sent a cookie; sending IKE_SA_INIT again with it" <(log_since "$d/west/pluto.log" "$m")
tunnel_checks "pluto initiating to a busy libreswan" 192.0.2.1 192.0.2.2
must whack west --name t --down
check "after --down east holds no ESP SA" wait_for 20 "east's SAs to go" esp_is east 0
libreswan_stop east

# 3. strongSwan initiates to the same busy pluto.
swanctl_psk_conf 192.0.2.2 192.0.2.1 "$psk" aes128gcm16 aes128gcm16-prfsha256-ecp256 >"$d/east.swanctl.conf"
strongswan_start east2 east "$d/east.swanctl.conf"
must swanctl_run east2 --initiate --child t --timeout 30
tunnel_checks "strongSwan initiating to a busy pluto" 192.0.2.1 192.0.2.2
check "and charon's log shows the COOKIE it was sent" grep -q "COOKIE" "$d/east2/charon.log"
must swanctl_run east2 --terminate --ike t --timeout 30
check "after swanctl --terminate west holds no ESP SA" wait_for 20 "west's SAs to go" esp_is west 0
