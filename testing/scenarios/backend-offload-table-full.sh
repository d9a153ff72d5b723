#!/bin/bash
# netdevsim's SA table holds 33 SAs: through the backend, 33 offloaded SAs
# on one port are accepted and the 34th is refused with the kernel's
# extended ack and the driver's errno.
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
drv() { ns west "$BINDIR/xfrm-driver" "$@"; }

# SPIs 0x6001-0x6021, in one process (--count).
out=$(drv add-sa --src 192.0.2.1 --dst 192.0.2.2 --spi 0x6001 --count 33 --esp aes_gcm128 --offload "$NSIM_DEV" 2>&1)
added=$(grep -c "^added outbound SA esp.000060..@192.0.2.2$" <<<"$out")
[ "$added" -eq 33 ] || echo "$out" | _sw_comment
check "33 offloaded SAs are accepted" test "$added" -eq 33
check "netdevsim holds 33 SAs" grep -q "^SA count=33 " <<<"$(nsim_ipsec "$NSIM_ID")"
out=$(drv add-sa --src 192.0.2.1 --dst 192.0.2.2 --spi 0x6100 --esp aes_gcm128 --offload "$NSIM_DEV" 2>&1)
echo "# $out"
check "the 34th is refused with the kernel's extended ack" \
	grep -q "^error: add outbound SA esp.00006100@192.0.2.2: .*: ${KX_TABLE_FULL}$" <<<"$out"
check "with the driver's ENOSPC" grep -q ": ENOSPC (errno 28): " <<<"$out"
check "and is not installed" test -z "$(xfrm_sa west 0x6100)"
check "the 34th is accepted without offload" drv add-sa --src 192.0.2.1 --dst 192.0.2.2 --spi 0x6100 --esp aes_gcm128
