#!/bin/bash
# hw_offload=yes with AES-GCM-128 on a netdevsim port: pluto's offload
# policy installs both SAs of a conn offloaded to the device holding the
# local address, and reports offload=crypto(dev) as trafficstatus will.
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
cat >"$SW_LOGDIR/ipsec.conf" <<CONF
conn gcm
	left=192.0.2.1
	right=192.0.2.2
	esp=aes_gcm128-null
	hw_offload=yes
	hw_offload_fallback=no
CONF
out=$(ns west "$BINDIR/xfrm-driver" conn --config "$SW_LOGDIR/ipsec.conf" --name gcm --spi-in 0x1101 --spi-out 0x1102 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "the SA pair is installed" test "$rc" -eq 0
check "the inbound SA is crypto-offloaded to the netdevsim port" \
	grep -qx "\"gcm\" #1: inbound esp.00001101@192.0.2.1 offload=crypto($NSIM_DEV)" <<<"$out"
check "the outbound SA is crypto-offloaded to the netdevsim port" \
	grep -qx "\"gcm\" #1: outbound esp.00001102@192.0.2.2 offload=crypto($NSIM_DEV)" <<<"$out"
check "no diagnostic was needed" bash -c '! grep -q hw_offload: <<<"$1"' _ "$out"
ipsec=$(nsim_ipsec "$NSIM_ID")
echo "$ipsec" | sed 's/^/# /'
check "netdevsim holds both SAs" grep -q "^SA count=2 " <<<"$ipsec"
check "ip xfrm state shows the inbound offload" grep -q "crypto offload parameters: dev $NSIM_DEV dir in" <<<"$(xfrm_sa west 0x1101)"
check "ip xfrm state shows the outbound offload" grep -q "crypto offload parameters: dev $NSIM_DEV dir out" <<<"$(xfrm_sa west 0x1102)"
