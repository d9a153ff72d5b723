#!/bin/bash
# A veth endpoint has no ESP offload: hw_offload=yes says so in one line
# and runs the SAs in software (fallback=yes); auto does the same without
# a warning's tone; neither claims an offload.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 192.0.2.1/24 east veth1 192.0.2.2/24
cat >"$SW_LOGDIR/ipsec.conf" <<CONF
conn %default
	left=192.0.2.1
	right=192.0.2.2
	esp=aes_gcm128-null

conn yes
	hw_offload=yes

conn auto
	hw_offload=auto
CONF
drv() { ns west "$BINDIR/xfrm-driver" conn --config "$SW_LOGDIR/ipsec.conf" "$@" 2>&1; }

out=$(drv --name yes --spi-in 0x1601 --spi-out 0x1602)
rc=$?
echo "$out" | sed 's/^/# /'
check "hw_offload=yes on veth: the pair is installed" test "$rc" -eq 0
check "the diagnostic says veth0 has no ESP offload" grep -qx \
	"\"yes\" #1: hw_offload: veth0 has no ESP offload (esp-hw-offload is off) for outbound SA esp.00001602@192.0.2.2 (AES_GCM_16_128); running this SA in software (hw_offload_fallback=yes)" <<<"$out"
check "both SAs report software, not an offload" test "$(grep -c 'offload=software(no esp-hw-offload on veth0)' <<<"$out")" -eq 2
check "the kernel holds them without offload" bash -c '! grep -q offload <<<"$1"' _ "$(xfrm_sa west 0x1601)$(xfrm_sa west 0x1602)"

out=$(drv --name auto --spi-in 0x1701 --spi-out 0x1702)
rc=$?
echo "$out" | sed 's/^/# /'
check "hw_offload=auto on veth: installed in software" test "$rc" -eq 0
check "auto's line says it runs in software (hw_offload=auto)" grep -q "running this SA in software (hw_offload=auto)" <<<"$out"
