#!/bin/bash
# netdevsim has no ESN support: an AES-GCM-128 SA with ESN and offload is
# refused with the kernel's "Device doesn't support offload with ESN"; the
# same SA without offload is installed with ESN and its replay window.
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
drv() { ns west "$BINDIR/xfrm-driver" "$@"; }

out=$(drv add-sa --src 192.0.2.1 --dst 192.0.2.2 --spi 0x4001 --esp aes_gcm128 --esn --offload "$NSIM_DEV" 2>&1)
echo "# $out"
check "the ESN SA with offload is refused with EINVAL and the ESN extended ack" \
	grep -qx "error: add outbound SA esp.00004001@192.0.2.2: EINVAL (errno 22): Device doesn't support offload with ESN" <<<"$out"
check "no SA is left in the kernel" test -z "$(xfrm_sa west 0x4001)"

out=$(drv add-sa --src 192.0.2.1 --dst 192.0.2.2 --spi 0x4001 --esp aes_gcm128 --esn --replay 64 2>&1)
echo "# $out"
check "the ESN SA without offload is accepted" grep -q "^added outbound SA esp.00004001@192.0.2.2$" <<<"$out"
sa=$(xfrm_sa west 0x4001)
echo "$sa" | sed 's/^/# /'
check "ip xfrm state shows it with the esn flag" grep -Eq "flag .*esn" <<<"$sa"
check "with the window in the ESN replay state, not the header" grep -q "replay-window 0 flag esn" <<<"$sa"
check "which holds 64 packets in 2 bitmap words" grep -q "replay_window 64, bitmap-length 2" <<<"$sa"
