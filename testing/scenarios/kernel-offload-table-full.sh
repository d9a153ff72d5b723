#!/bin/bash
# netdevsim's SA table holds 33 SAs per port: 33 offloaded SAs are accepted,
# the 34th is refused (ENOSPC, $KX_TABLE_FULL: the kernel's words on 6.1,
# netdevsim's "No space for SA in Rx table!" on 6.12) and not
# installed; once one is deleted, there is room again.
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
W=$(ns_name west)
key=0x$(printf '%02x' {1..20})
add() { # SPI: an offloaded outbound SA, as an `ip -batch` line
	echo "xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi $1 reqid 1 mode transport" \
		"aead rfc4106(gcm(aes)) $key 128 offload dev $NSIM_DEV dir out"
}

batch=$SW_LOGDIR/33-sas.batch
for i in $(seq 1 33); do add $((0x4000 + i)); done >"$batch"
# One ip process for all 33: much faster than 33 in an emulated guest.
check "33 offloaded SAs are accepted" ip -n "$W" -batch "$batch"
check "netdevsim holds 33 SAs" grep -q "^SA count=33 " <<<"$(nsim_ipsec "$NSIM_ID")"
n=$(ip -n "$W" xfrm state | grep -c "crypto offload parameters: dev $NSIM_DEV dir out")
check "ip xfrm state shows 33 offloaded SAs (got $n)" test "$n" -eq 33

read -ra sa34 <<<"$(add 0x4022)"
nl_run ip -n "$W" "${sa34[@]}"
echo "$NL_OUT" | sed 's/^/# ip: /'
check "the 34th offloaded SA is refused" test "$NL_RC" -ne 0
check "the kernel says: $KX_TABLE_FULL" grep -qF "$KX_TABLE_FULL" <<<"$NL_OUT"
check "the error is ENOSPC (got $NL_ERRNO)" test "$NL_ERRNO" = ENOSPC
check "the 34th SA is not installed" test -z "$(xfrm_sa west 0x4022)"
check "netdevsim still holds 33 SAs" grep -q "^SA count=33 " <<<"$(nsim_ipsec "$NSIM_ID")"

must ip -n "$W" xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x4001
check "after a delete the 34th fits" ip -n "$W" "${sa34[@]}"
check "and it is offloaded" grep -q "crypto offload parameters: dev $NSIM_DEV dir out" <<<"$(xfrm_sa west 0x4022)"
