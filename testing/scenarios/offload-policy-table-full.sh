#!/bin/bash
# netdevsim's SA table holds 33: with it full, a conn's SAs get the
# table-full diagnostic (ENOSPC, how many SAs hold the device) and run in
# software with fallback=yes, or are not installed with fallback=no.
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
must ns west "$BINDIR/xfrm-driver" add-sa --src 192.0.2.1 --dst 192.0.2.9 --spi 0x5001 --count 33 \
	--esp aes_gcm128 --offload "$NSIM_DEV" --reqid 0x100
check "33 SAs fill the table" grep -q "^SA count=33 " <<<"$(nsim_ipsec "$NSIM_ID")"
cat >"$SW_LOGDIR/ipsec.conf" <<CONF
conn %default
	left=192.0.2.1
	right=192.0.2.2
	esp=aes_gcm128-null
	hw_offload=yes

conn soft
	hw_offload_fallback=yes

conn hard
	hw_offload_fallback=no
CONF
drv() { ns west "$BINDIR/xfrm-driver" conn --config "$SW_LOGDIR/ipsec.conf" "$@" 2>&1; }

out=$(drv --name soft --spi-in 0x1401 --spi-out 0x1402)
rc=$?
echo "$out" | sed 's/^/# /'
check "fallback=yes: the pair is installed" test "$rc" -eq 0
check "the diagnostic says the table is full and how many SAs hold it" grep -q \
	"hw_offload: $NSIM_DEV refused inbound SA esp.00001401@192.0.2.1 (AES_GCM_16_128): ${KX_TABLE_FULL} (ENOSPC); hint: the SA table of $NSIM_DEV is full (33 SAs offloaded there now)" <<<"$out"
check "both SAs run in software because the table is full" \
	test "$(grep -c "offload=software($NSIM_DEV refused: table full)" <<<"$out")" -eq 2
must ip -n "$(ns_name west)" xfrm state delete src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x1401
must ip -n "$(ns_name west)" xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1402

out=$(drv --name hard --spi-in 0x1501 --spi-out 0x1502)
rc=$?
echo "$out" | sed 's/^/# /'
check "fallback=no: the pair is not installed" test "$rc" -ne 0
check "with the table-full diagnostic" grep -q "(ENOSPC); hint: the SA table of $NSIM_DEV is full.*not installing this SA (hw_offload_fallback=no)" <<<"$out"
check "only the 33 table SAs are left" test "$(ip -n "$(ns_name west)" xfrm state | grep -c '^src')" -eq 33
