#!/bin/bash
# pluto on the real kernel with a netdevsim port: `ipsec offload` reports
# the port's features and held SAs, `--probe` finds what it offloads and
# leaves no SA behind, SAs a killed pluto left in its reqid range are gone
# at the next start, and fips=yes refuses an offload conn at add.
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
conf=$SW_LOGDIR/ipsec.conf secrets=$SW_LOGDIR/ipsec.secrets
cat >"$conf" <<CONF
config setup
	fips=no

conn gcm
	left=192.0.2.1
	right=192.0.2.2
	esp=aes_gcm128-null
	hw_offload=yes
	auto=add
CONF
: >"$secrets"
pluto_start west west "$conf" "$secrets"

out=$(whack west --offload --device "$NSIM_DEV" 2>&1)
echo "$out" | sed 's/^/# /'
check "ipsec offload shows the port's ESP features" \
	grep -qx "$NSIM_DEV: esp-hw-offload on, esp-tx-csum-hw-offload on, tx-esp-segmentation on; 0 SAs offloaded now" <<<"$out"
if [ "$KX_PACKET" = yes ]; then
	check "and that this kernel ($KX_SERIES) has packet offload" grep -qx "kernel: packet offload available" <<<"$out"
	check "and crypto offload of ESP in UDP" grep -qx "kernel: crypto offload of UDP-encapsulated (NAT-T) SAs available" <<<"$out"
else
	check "and that this kernel ($KX_SERIES) has no packet offload" grep -q "^kernel: packet offload not available" <<<"$out"
	check "nor crypto offload of ESP in UDP" grep -q "^kernel: crypto offload of UDP-encapsulated (NAT-T) SAs not available" <<<"$out"
fi

out=$(whack west --offload --probe --device "$NSIM_DEV" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "the probe succeeds" test "$rc" -eq 0
check "it finds AES_GCM_16_128 offloaded" grep -qx "$NSIM_DEV: AES_GCM_16_128: offloaded" <<<"$out"
check "it finds AES-CBC with HMAC refused, with the kernel's words" \
	grep -qx "$NSIM_DEV: AES_CBC_128-HMAC_SHA1_96: refused: ${KX_REFUSED_ALG} (EINVAL)" <<<"$out"
check "it finds ESN refused" \
	grep -qx "$NSIM_DEV: AES_GCM_16_128 with ESN: refused: Device doesn't support offload with ESN (EINVAL)" <<<"$out"
check "no probe SA is left in the kernel" test -z "$(ip -n "$(ns_name west)" xfrm state)"
check "no probe SA is left in netdevsim" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"
check "pluto logged that it probed" grep -q "offload: probing $NSIM_DEV at the request of whack" "$SW_LOGDIR/west/pluto.log"
out=$(whack west --offload --device "$NSIM_DEV" 2>&1)
echo "$out" | sed 's/^/# /'
# (netdevsim on 6.1 also takes a 256-bit GCM key: its length check is loose.)
check "the report remembers what the probe found" grep -qE "^$NSIM_DEV:   probed: offloads AES_GCM_16_128(, |\$)" <<<"$out"
check "and that it found no CBC transform offloaded" bash -c '! grep -q "probed: .*AES_CBC" <<<"$1"' _ "$out"

# A killed pluto leaves SAs behind: the next one removes those in its reqid range only.
must ns west "$BINDIR/xfrm-driver" add-pair --src 192.0.2.1 --dst 192.0.2.2 --spi-out 0x1801 --spi-in 0x1802 \
	--esp aes_gcm128 --offload "$NSIM_DEV" --reqid 0x4001
must ns west "$BINDIR/xfrm-driver" add-sa --src 192.0.2.1 --dst 192.0.2.3 --spi 0x1803 --esp aes_gcm128 --reqid 0x100
check "ipsec offload counts the SAs the port holds" \
	grep -q "^$NSIM_DEV: .*; 2 SAs offloaded now" <<<"$(whack west --offload --device "$NSIM_DEV")"
pid=$(_sw_pluto_field west 3)
kill -9 "$pid"
# Only a dead pluto has let go of the network namespace's lock.
wait "$pid" 2>/dev/null
_sw_pluto=()
pluto_start west2 west "$conf" "$secrets"
check "the stale SAs in pluto's reqid range are removed at start" \
	test -z "$(xfrm_sa west 0x1801)$(xfrm_sa west 0x1802)"
check "an SA outside pluto's reqid range is kept" test -n "$(xfrm_sa west 0x1803)"
check "netdevsim's table is free again" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"
pluto_stop west2

sed -i 's/fips=no/fips=yes/; s/auto=add/hw_offload_fallback=no/' "$conf"
pluto_start west3 west "$conf" "$secrets"
out=$(whack west3 --name gcm --add --config "$conf" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "fips=yes: adding an offload conn with fallback=no fails" test "$rc" -ne 0
check "with the reason" grep -q "hw_offload=yes refused: fips=yes: keys must not leave the crypto boundary" <<<"$out"
pluto_stop west3
