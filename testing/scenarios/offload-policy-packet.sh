#!/bin/bash
# hw_offload=packet and auto through pluto's offload policy (offload.c) on
# netdevsim, whatever the kernel: on 6.1 (no packet offload) packet is
# refused when the conn is added and auto goes straight to crypto offload;
# on 6.12 the kernel takes XFRM_OFFLOAD_PACKET but netdevsim's driver does
# only crypto offload, so each SA is refused by the device with its own
# words and the one-line diagnostic, then runs in software (fallback=yes),
# is not installed at all (fallback=no), or steps down to crypto (auto).
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
cat >"$SW_LOGDIR/ipsec.conf" <<CONF
conn %default
	left=192.0.2.1
	right=192.0.2.2
	esp=aes_gcm128-null

conn soft
	hw_offload=packet
	hw_offload_fallback=yes

conn hard
	hw_offload=packet
	hw_offload_fallback=no

conn auto
	hw_offload=auto
CONF
drv() { ns west "$BINDIR/xfrm-driver" conn --config "$SW_LOGDIR/ipsec.conf" "$@" 2>&1; }
W=$(ns_name west)
echo "# kernel $(uname -r): measured as $KX_SERIES, packet offload $KX_PACKET"
refusal="hw_offload: $NSIM_DEV refused inbound SA esp.00001801@192.0.2.1 (AES_GCM_16_128) for packet offload: netdevsim: Unsupported ipsec offload type (EINVAL); hint: $NSIM_DEV has no packet offload (this kernel has, the device's driver has not) - try hw_offload=crypto"

out=$(drv --name soft --spi-in 0x1801 --spi-out 0x1802); rc=$?
echo "$out" | sed 's/^/# /'
check "packet, fallback=yes: the SA pair is installed" test "$rc" -eq 0
if [ "$KX_PACKET" = yes ]; then
	check "the device's refusal is the one-line diagnostic" grep -qxF \
		"\"soft\" #1: $refusal; running this SA in software (hw_offload_fallback=yes)" <<<"$out"
	check "both SAs run in software, refused by the device" \
		test "$(grep -c "offload=software($NSIM_DEV refused: EINVAL)" <<<"$out")" -eq 2
else
	check "the add-time rule says this kernel has no packet offload" grep -q \
		"hw_offload=packet refused: this kernel has no packet offload (it needs Linux 6.2 or later); hw_offload=crypto may work; this conn's SAs will run in software" <<<"$out"
	check "both SAs run in software, for the kernel" \
		test "$(grep -c "offload=software(no packet offload in kernel)" <<<"$out")" -eq 2
fi
check "the SAs are in the kernel without offload" \
	bash -c 'test -n "$1" && test -n "$2" && ! grep -q offload <<<"$1$2"' _ "$(xfrm_sa west 0x1801)" "$(xfrm_sa west 0x1802)"
check "netdevsim holds no SA" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"
must ip -n "$W" xfrm state flush

out=$(drv --name hard --spi-in 0x1801 --spi-out 0x1802); rc=$?
echo "$out" | sed 's/^/# /'
check "packet, fallback=no: the SA pair is not installed" test "$rc" -ne 0
if [ "$KX_PACKET" = yes ]; then
	check "the diagnostic says nothing is installed" grep -qxF \
		"\"hard\" #1: $refusal; not installing this SA (hw_offload_fallback=no)" <<<"$out"
else
	check "the conn is refused when added" grep -q \
		"\"hard\": not added: hw_offload=packet refused: this kernel has no packet offload .*(hw_offload_fallback=no)" <<<"$out"
fi
check "no SA at all is left in the kernel" test -z "$(ip -n "$W" xfrm state)"

out=$(drv --name auto --spi-in 0x1801 --spi-out 0x1802); rc=$?
echo "$out" | sed 's/^/# /'
check "auto: the SA pair is installed" test "$rc" -eq 0
check "auto: both SAs get crypto offload" test "$(grep -c "offload=crypto($NSIM_DEV)" <<<"$out")" -eq 2
if [ "$KX_PACKET" = yes ]; then
	check "auto: packet offload was tried first, then crypto, with a notice each" \
		test "$(grep -c "for packet offload: netdevsim: Unsupported ipsec offload type (EINVAL); .*; trying crypto offload (hw_offload=auto)" <<<"$out")" -eq 2
else
	check "auto: no packet offload is tried on this kernel" test "$(grep -c "packet offload" <<<"$out")" -eq 0
fi
check "netdevsim holds both SAs" grep -q "^SA count=2 " <<<"$(nsim_ipsec "$NSIM_ID")"
