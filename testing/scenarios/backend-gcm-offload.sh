#!/bin/bash
# The XFRM backend (through testing/kernel/xfrm-driver) installs an
# AES-GCM-128 SA pair with offload to a netdevsim port: netdevsim's debugfs
# holds both, `ip xfrm state` shows them offloaded, and the backend's get_sa
# and list_sas read back "offloaded" with the port's ifindex.
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
W=$(ns_name west)
drv() { ns west "$BINDIR/xfrm-driver" "$@"; }
ifindex=$(cat "/sys/bus/netdevsim/devices/netdevsim$NSIM_ID/net/$NSIM_DEV/ifindex" 2>/dev/null ||
	ip -n "$W" -o link show "$NSIM_DEV" | cut -d: -f1)

out=$(drv add-pair --src 192.0.2.1 --dst 192.0.2.2 --spi-out 0x2001 --spi-in 0x2002 \
	--esp aes_gcm128 --transport --offload "$NSIM_DEV" 2>&1)
echo "$out" | sed 's/^/# /'
check "the backend adds the outbound GCM-128 SA offloaded" grep -q "^added outbound SA esp.00002001@192.0.2.2$" <<<"$out"
check "the backend adds the inbound GCM-128 SA offloaded" grep -q "^added inbound SA esp.00002002@192.0.2.1$" <<<"$out"

dbg=$(nsim_ipsec "$NSIM_ID")
echo "$dbg" | sed 's/^/# /'
check "netdevsim holds two SAs" grep -q "^SA count=2 " <<<"$dbg"
check "netdevsim has the outbound SA (tx) for 192.0.2.2" grep -Eq "^sa\[[0-9]+\] tx ipaddr=192.0.2.2$" <<<"$dbg"
check "netdevsim has the inbound SA (rx) for 192.0.2.1" grep -Eq "^sa\[[0-9]+\] rx ipaddr=192.0.2.1$" <<<"$dbg"
check "netdevsim got the key and the salt split as the kernel does" \
	grep -q "spi=0x00002001 proto=0x32 salt=0x14131211 crypt=1" <<<"$dbg"
check "ip xfrm state shows the outbound SA offloaded to $NSIM_DEV" \
	grep -q "crypto offload parameters: dev $NSIM_DEV dir out" <<<"$(xfrm_sa west 0x2001)"
check "ip xfrm state shows the inbound SA offloaded (dir in: XFRM_OFFLOAD_INBOUND)" \
	grep -q "crypto offload parameters: dev $NSIM_DEV dir in" <<<"$(xfrm_sa west 0x2002)"

get=$(drv get --dst 192.0.2.2 --spi 0x2001 2>&1)
echo "# $get"
check "get_sa reports the outbound SA offloaded to $NSIM_DEV (ifindex $ifindex), crypto mode" \
	grep -q "offloaded=yes ifindex=$ifindex dev=$NSIM_DEV packet=no bytes=0 packets=0" <<<"$get"
check "get_sa reports an add time" grep -Eq "add_time=[1-9][0-9]+" <<<"$get"
get=$(drv get --dst 192.0.2.1 --spi 0x2002 2>&1)
echo "# $get"
check "get_sa reports the inbound SA offloaded to $NSIM_DEV" grep -q "offloaded=yes ifindex=$ifindex dev=$NSIM_DEV" <<<"$get"

list=$(drv list 2>&1)
echo "$list" | sed 's/^/# /'
check "list_sas shows both SAs, offloaded" test "$(grep -c "offloaded=yes ifindex=$ifindex" <<<"$list")" -eq 2
check "list_sas counts two SAs" grep -q "^2 SAs$" <<<"$list"

check "del_sa removes the outbound SA" drv del --dst 192.0.2.2 --spi 0x2001
check "netdevsim then holds one SA" grep -q "^SA count=1 " <<<"$(nsim_ipsec "$NSIM_ID")"
out=$(drv get --dst 192.0.2.2 --spi 0x2001 2>&1)
echo "# $out"
check "get_sa on the deleted SA fails with ESRCH" grep -q "^error: get SA: ESRCH" <<<"$out"
