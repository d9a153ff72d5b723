#!/bin/bash
# AES-CBC + HMAC-SHA1 with hw_offload=yes on netdevsim (which offloads only
# AES-GCM): the one-line diagnostic names device, SA, algorithm, the
# kernel's words, errno and a hint; with fallback=yes the SAs run in
# software, with fallback=no nothing at all is left installed.
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
cat >"$SW_LOGDIR/ipsec.conf" <<CONF
conn %default
	left=192.0.2.1
	right=192.0.2.2
	esp=aes128-sha1
	hw_offload=yes

conn soft
	hw_offload_fallback=yes

conn hard
	hw_offload_fallback=no
CONF
drv() { ns west "$BINDIR/xfrm-driver" conn --config "$SW_LOGDIR/ipsec.conf" "$@" 2>&1; }

out=$(drv --name soft --spi-in 0x1201 --spi-out 0x1202)
rc=$?
echo "$out" | sed 's/^/# /'
check "fallback=yes: the SA pair is installed" test "$rc" -eq 0
check "the diagnostic for the inbound SA is the one line docs/offload.md promises" grep -qx \
	"\"soft\" #1: hw_offload: $NSIM_DEV refused inbound SA esp.00001201@192.0.2.1 (AES_CBC_128-HMAC_SHA1_96): ${KX_REFUSED_ALG} (EINVAL); hint: this NIC offloads only AEAD algorithms such as AES_GCM_16 - try esp=aes_gcm128-null; running this SA in software (hw_offload_fallback=yes)" <<<"$out"
check "and for the outbound SA" grep -q \
	"hw_offload: $NSIM_DEV refused outbound SA esp.00001202@192.0.2.2 (AES_CBC_128-HMAC_SHA1_96): ${KX_REFUSED_ALG} (EINVAL)" <<<"$out"
check "both SAs say they run in software, and why" \
	test "$(grep -c "offload=software($NSIM_DEV refused: EINVAL)" <<<"$out")" -eq 2
check "the SAs are in the kernel without offload" \
	bash -c 'test -n "$1" && test -n "$2" && ! grep -q offload <<<"$1$2"' _ "$(xfrm_sa west 0x1201)" "$(xfrm_sa west 0x1202)"
check "netdevsim holds no SA" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"
must ip -n "$(ns_name west)" xfrm state flush

out=$(drv --name hard --spi-in 0x1301 --spi-out 0x1302)
rc=$?
echo "$out" | sed 's/^/# /'
check "fallback=no: the SA pair is not installed" test "$rc" -ne 0
check "the diagnostic says nothing is installed" grep -q \
	"hw_offload: $NSIM_DEV refused inbound SA esp.00001301@192.0.2.1 (AES_CBC_128-HMAC_SHA1_96): ${KX_REFUSED_ALG} (EINVAL); hint: .*; not installing this SA (hw_offload_fallback=no)" <<<"$out"
check "no SA at all is left in the kernel" test -z "$(ip -n "$(ns_name west)" xfrm state)"
