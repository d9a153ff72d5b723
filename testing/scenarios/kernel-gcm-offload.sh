#!/bin/bash
# An AES-GCM-128 SA (rfc4106(gcm(aes)): 128-bit key + 32-bit salt, ICV 128)
# added with offload to a netdevsim port is offloaded, in both directions:
# `ip xfrm state` shows its "crypto offload parameters" line and netdevsim's
# debugfs holds it, with the salt split off the key.
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
W=$(ns_name west)
key=0x$(printf '%02x' {1..20})   # bytes 01..10 are the key, 11..14 the salt

gcm_sa() { # SRC DST SPI DIR
	ip -n "$W" xfrm state add src "$1" dst "$2" proto esp spi "$3" reqid 1 mode transport \
		aead 'rfc4106(gcm(aes))' "$key" 128 offload dev "$NSIM_DEV" dir "$4"
}
check "outbound GCM-128 SA with offload to netdevsim is accepted" gcm_sa 192.0.2.1 192.0.2.2 0x1001 out
check "inbound GCM-128 SA with offload to netdevsim is accepted" gcm_sa 192.0.2.2 192.0.2.1 0x1002 in

check "ip xfrm state shows the outbound SA offloaded" \
	grep -q "crypto offload parameters: dev $NSIM_DEV dir out" <<<"$(xfrm_sa west 0x1001)"
check "ip xfrm state shows the inbound SA offloaded" \
	grep -q "crypto offload parameters: dev $NSIM_DEV dir in" <<<"$(xfrm_sa west 0x1002)"

dbg=$(nsim_ipsec "$NSIM_ID")
echo "$dbg" | sed 's/^/# /'
check "netdevsim holds two SAs" grep -q "^SA count=2 " <<<"$dbg"
check "netdevsim has the outbound SA for 192.0.2.2" grep -Eq "^sa\[[0-9]+\] tx ipaddr=192.0.2.2$" <<<"$dbg"
check "netdevsim has the inbound SA for 192.0.2.1" grep -Eq "^sa\[[0-9]+\] rx ipaddr=192.0.2.1$" <<<"$dbg"
check "netdevsim has SPI 0x1001 as ESP with the 32-bit salt" \
	grep -q "spi=0x00001001 proto=0x32 salt=0x14131211 crypt=1" <<<"$dbg"

check "deleting the outbound SA succeeds" ip -n "$W" xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001
check "netdevsim then holds one SA" grep -q "^SA count=1 " <<<"$(nsim_ipsec "$NSIM_ID")"
