#!/bin/bash
# This pluto at its default proposals (no ike=, no esp=) answers peers
# configured with common modern proposals that pair the ciphers, PRFs and
# groups differently from our first ones: strongSwan with
# aes256gcm16-prfsha256-ecp256 (ESP aes128gcm16-ecp256), then libreswan
# with ike=aes_gcm256-sha2_256;dh19; then this pluto with Fedora's default
# ike= (up to modp8192) answers libreswan asking for MODP8192. Each tunnel
# comes up and carries ping.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth-w 192.0.2.1/24 east veth-e 192.0.2.2/24
psk=defaults-test-psk-not-a-real-one
d=$SW_LOGDIR
cat >"$d/west.conf" <<CONF
conn t
	left=192.0.2.1
	right=192.0.2.2
	authby=secret
	auto=add
CONF
echo "192.0.2.1 192.0.2.2 : PSK \"$psk\"" >"$d/west.secrets"
pluto_start west west "$d/west.conf" "$d/west.secrets"
st=$(whack west --status)
check "west runs at its default proposals" grep -q '"t":   ike=(default): any combination of' <<<"$st"

# 1. strongSwan: one IKE proposal, one ESP proposal with a PFS group (for
# rekeys; IKE_AUTH's child carries none).
swanctl_psk_conf 192.0.2.2 192.0.2.1 "$psk" aes128gcm16-ecp256 aes256gcm16-prfsha256-ecp256 >"$d/east.swanctl.conf"
strongswan_start east east "$d/east.swanctl.conf"
m=$(log_mark "$d/west/pluto.log")
must swanctl_run east --initiate --child t --timeout 30
tunnel_checks "strongSwan at aes256gcm16-prfsha256-ecp256" 192.0.2.1 192.0.2.2
check "west chose what strongSwan offered" \
	grep -q "responding to IKE_SA_INIT from 192.0.2.2 with AES_GCM_16_256-PRF_HMAC_SHA2_256-DH19" <(log_since "$d/west/pluto.log" "$m")
check "and the child is AES_GCM_16_128" \
	grep -q "IPsec SA established tunnel mode .*xfrm=AES_GCM_16_128 " <(log_since "$d/west/pluto.log" "$m")
must swanctl_run east --terminate --ike t --timeout 30
check "after swanctl --terminate west holds no ESP SA" wait_for 20 "west's SAs to go" esp_is west 0
strongswan_stop east

# 2. libreswan: ike=aes_gcm256-sha2_256;dh19, esp= at its defaults.
libreswan_psk_conf 192.0.2.2 192.0.2.1 "" "ike=aes_gcm256-sha2_256;dh19" >"$d/east.conf"
cp "$d/west.secrets" "$d/east.secrets"
libreswan_start east2 east "$d/east.conf" "$d/east.secrets"
m=$(log_mark "$d/west/pluto.log")
must libreswan_whack east2 --name t --initiate --asynchronous
tunnel_checks "libreswan at ike=aes_gcm256-sha2_256;dh19" 192.0.2.1 192.0.2.2
check "west chose what libreswan offered" \
	grep -q "responding to IKE_SA_INIT from 192.0.2.2 with AES_GCM_16_256-PRF_HMAC_SHA2_256-DH19" <(log_since "$d/west/pluto.log" "$m")
must libreswan_whack east2 --name t --terminate
check "after libreswan's --terminate west holds no ESP SA" wait_for 20 "west's SAs to go" esp_is west 0
libreswan_stop east2

# 3. Fedora's crypto-policies ike= (groups up to modp8192) loads here, and
# libreswan asking for MODP8192 gets it.
fedora_ike='aes_gcm256-sha2_512+sha2_256-dh19+dh20+dh21+dh31+modp2048+modp3072+modp4096+modp8192,aes256-sha2_512+sha2_256-dh19+dh20+dh21+dh31+modp2048+modp3072+modp4096+modp8192,aes_gcm128-sha2_512+sha2_256-dh19+dh20+dh21+dh31+modp2048+modp3072+modp4096+modp8192'
printf 'conn t\n\tleft=192.0.2.1\n\tright=192.0.2.2\n\tauthby=secret\n\tike=%s\n\tauto=add\n' "$fedora_ike" >"$d/fedora.conf"
check "west loads Fedora's default ike=" whack west --name t --add --config "$d/fedora.conf"
libreswan_psk_conf 192.0.2.2 192.0.2.1 "" "ike=aes_gcm256-sha2_512;modp8192" >"$d/east3.conf"
libreswan_start east3 east "$d/east3.conf" "$d/east.secrets"
m=$(log_mark "$d/west/pluto.log")
must libreswan_whack east3 --name t --initiate --asynchronous
tunnel_checks "libreswan at ike=aes_gcm256-sha2_512;modp8192" 192.0.2.1 192.0.2.2
check "west chose MODP8192 as libreswan asked" \
	grep -q "responding to IKE_SA_INIT from 192.0.2.2 with AES_GCM_16_256-PRF_HMAC_SHA2_512-MODP8192" <(log_since "$d/west/pluto.log" "$m")
