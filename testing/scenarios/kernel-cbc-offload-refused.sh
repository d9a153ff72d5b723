#!/bin/bash
# An AES-CBC + HMAC-SHA1 SA with offload to netdevsim is refused: netdevsim
# offloads only AEAD (rfc4106(gcm(aes))), and the kernel hands the driver's
# EINVAL back with the extended ack $KX_REFUSED_ALG (6.1: "Device failed to
# offload this state"; 6.12: netdevsim's own "Failed to get key data for SA table").
# Nothing is left installed. The same SA without offload is accepted, so the
# refusal is about the offload, not the algorithm.
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
W=$(ns_name west)
cbc_sa=(ip -n "$W" xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x2001 reqid 1
	mode transport enc 'cbc(aes)' "0x$(printf '%02x' {1..16})"
	auth-trunc 'hmac(sha1)' "0x$(printf '%02x' {21..40})" 96)

nl_run "${cbc_sa[@]}" offload dev "$NSIM_DEV" dir out
echo "$NL_OUT" | sed 's/^/# ip: /'
check "CBC+HMAC-SHA1 SA with offload to netdevsim is refused" test "$NL_RC" -ne 0
check "the kernel says: $KX_REFUSED_ALG" grep -qF "$KX_REFUSED_ALG" <<<"$NL_OUT"
check "the error is EINVAL (got $NL_ERRNO)" test "$NL_ERRNO" = EINVAL
check "no SA is left in the kernel" test -z "$(xfrm_sa west 0x2001)"
check "netdevsim holds no SA" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"
check "the same SA without offload is accepted" "${cbc_sa[@]}"
check_fails "and it has no offload line" grep -q "crypto offload" <<<"$(xfrm_sa west 0x2001)"
