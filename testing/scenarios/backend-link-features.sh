#!/bin/bash
# link_for_address finds the interface that holds a local address (IPv4 and
# IPv6), and offload_features reads its ESP features by name through the
# ethtool ioctl: on for a netdevsim port, off for veth.
. "$(dirname "$0")/lib.sh"

ns_add west east
nsim_add west 192.0.2.1/24
veth_add west veth0 10.0.0.1/24 east veth1 10.0.0.2/24
W=$(ns_name west)
must ip -n "$W" addr add 2001:db8::1/64 dev "$NSIM_DEV" nodad
drv() { ns west "$BINDIR/xfrm-driver" "$@"; }
ifindex() { ip -n "$W" -o link show "$1" | cut -d: -f1; }

out=$(drv link 192.0.2.1 2>&1); echo "# $out"
check "192.0.2.1 is held by $NSIM_DEV" grep -qx "192.0.2.1: ifindex=$(ifindex "$NSIM_DEV") dev=$NSIM_DEV" <<<"$out"
out=$(drv link 2001:db8::1 2>&1); echo "# $out"
check "2001:db8::1 is held by $NSIM_DEV" grep -qx "2001:db8::1: ifindex=$(ifindex "$NSIM_DEV") dev=$NSIM_DEV" <<<"$out"
out=$(drv link 10.0.0.1 2>&1); echo "# $out"
check "10.0.0.1 is held by veth0" grep -qx "10.0.0.1: ifindex=$(ifindex veth0) dev=veth0" <<<"$out"
out=$(drv link 10.0.0.2 2>&1); echo "# $out"
check "an address held in another namespace is not found (EADDRNOTAVAIL)" grep -q "^error: link for address: EADDRNOTAVAIL" <<<"$out"

out=$(drv features "$NSIM_DEV" 2>&1); echo "$out" | sed 's/^/# /'
ethtool=$(ns west ethtool -k "$NSIM_DEV" | grep esp)
echo "$ethtool" | sed 's/^/# ethtool: /'
check "esp-hw-offload is on for $NSIM_DEV" grep -qx "$NSIM_DEV: esp-hw-offload: on" <<<"$out"
check "esp-tx-csum-hw-offload is on for $NSIM_DEV" grep -qx "$NSIM_DEV: esp-tx-csum-hw-offload: on" <<<"$out"
check "tx-esp-segmentation is on for $NSIM_DEV" grep -qx "$NSIM_DEV: tx-esp-segmentation: on" <<<"$out"
check "ethtool -k agrees" grep -q "esp-hw-offload: on" <<<"$ethtool"
out=$(drv features veth0 2>&1); echo "$out" | sed 's/^/# /'
check "esp-hw-offload is off for veth0" grep -qx "veth0: esp-hw-offload: off" <<<"$out"
out=$(drv features nosuchdev 2>&1); echo "# $out"
check "a missing device is ENODEV" grep -q "^error: ethtool features: ENODEV" <<<"$out"
