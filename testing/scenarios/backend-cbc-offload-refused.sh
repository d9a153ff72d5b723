#!/bin/bash
# netdevsim offloads only AES-GCM: an AES-CBC+HMAC-SHA1 SA with offload is
# refused, and the backend returns the kernel's errno (EINVAL) with its
# extended-ack text; nothing is left installed. Without offload the same SA
# is accepted.
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
drv() { ns west "$BINDIR/xfrm-driver" "$@"; }

out=$(drv add-sa --src 192.0.2.1 --dst 192.0.2.2 --spi 0x3001 --esp aes128-sha1 --offload "$NSIM_DEV" 2>&1)
rc=$?
echo "# $out"
check "the offloaded CBC+SHA1 SA is refused (driver exit status 1)" test "$rc" -eq 1
check "the backend reports EINVAL with the kernel's extended ack" \
	grep -qx "error: add outbound SA esp.00003001@192.0.2.2: EINVAL (errno 22): ${KX_REFUSED_ALG}" <<<"$out"
check "no SA is left in the kernel" test -z "$(xfrm_sa west 0x3001)"
check "netdevsim holds no SA" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"

out=$(drv add-sa --src 192.0.2.1 --dst 192.0.2.2 --spi 0x3001 --esp aes128-sha1 2>&1)
echo "# $out"
check "the same SA without offload is accepted" grep -q "^added outbound SA esp.00003001@192.0.2.2$" <<<"$out"
sa=$(xfrm_sa west 0x3001)
echo "$sa" | sed 's/^/# /'
check "it is cbc(aes) with hmac(sha1) truncated to 96 bits" \
	bash -c 'grep -q "auth-trunc hmac(sha1) 0x[0-9a-f]* 96" <<<"$1" && grep -q "enc cbc(aes)" <<<"$1"' _ "$sa"
check "it has no offload line" bash -c '! grep -q offload <<<"$1"' _ "$sa"
