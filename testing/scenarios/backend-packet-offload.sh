#!/bin/bash
# What pluto's start-up probe (kernel_caps.h) learns of the kernel, and what
# the backend meets when it asks for packet offload on netdevsim, per kernel
# (docs/kernels.md):
#   6.1   no packet offload ("Unrecognized flags in offload request"), no
#         crypto offload of ESP in UDP nor of TFC padding ("Encapsulation and
#         TFC padding can't be offloaded")
#   6.12  both known to the kernel; netdevsim refuses packet offload of an
#         SA ("netdevsim: Unsupported ipsec offload type") and of a policy
#         ("Policy offload is not supported"), and offloads an ESP-in-UDP SA;
#         TFC padding is still refused ("TFC padding can't be offloaded")
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
drv() { ns west "$BINDIR/xfrm-driver" "$@" 2>&1; }
W=$(ns_name west)
echo "# kernel $(uname -r): measured as $KX_SERIES"

out=$(drv caps)
echo "$out" | sed 's/^/# /'
check "the probe finds packet offload $KX_PACKET, encapsulated crypto offload $KX_ENCAP" \
	grep -qx "packet=$KX_PACKET encap=$KX_ENCAP" <<<"$out"
check "the probe leaves no SA behind" test -z "$(ip -n "$W" xfrm state)"

out=$(drv add-sa --src 192.0.2.1 --dst 192.0.2.2 --spi 0x9001 --esp aes_gcm128 --offload "$NSIM_DEV" --packet)
echo "# $out"
sa_pol="error: add outbound SA esp.00009001@192.0.2.2: EINVAL (errno 22):"
out2=$(drv add-sa --src 192.0.2.1 --dst 192.0.2.2 --spi 0x9002 --esp aes_gcm128 --offload "$NSIM_DEV" --encap 4500:4500)
echo "# $out2"
if [ "$KX_PACKET" = no ]; then
	check "the probe says why: the kernel does not know the flag" \
		grep -q "^kernel: packet offload: no (it needs Linux 6.2 or later): Unrecognized flags in offload request (EINVAL)$" <<<"$(drv caps)"
	check "a packet-offload SA is refused by the kernel with its extended ack" \
		grep -qx "$sa_pol Unrecognized flags in offload request" <<<"$out"
	check "a crypto-offloaded ESP-in-UDP SA is refused by the kernel" \
		grep -qx "error: add outbound SA esp.00009002@192.0.2.2: EINVAL (errno 22): Encapsulation and TFC padding can't be offloaded" <<<"$out2"
else
	check "a packet-offload SA is refused by netdevsim's driver with its own words" \
		grep -qx "$sa_pol netdevsim: Unsupported ipsec offload type" <<<"$out"
	check "a crypto-offloaded ESP-in-UDP SA is accepted" grep -qx "added outbound SA esp.00009002@192.0.2.2" <<<"$out2"
	check "and offloaded to the port, with its encapsulation" \
		bash -c 'grep -q "crypto offload parameters: dev $1 dir out" <<<"$2" && grep -q "encap type espinudp sport 4500 dport 4500" <<<"$2"' \
		_ "$NSIM_DEV" "$(xfrm_sa west 0x9002)"
	check "netdevsim holds it" grep -q "spi=0x00009002 proto=0x32" <<<"$(nsim_ipsec "$NSIM_ID")"
	pol() { drv add-policy --src-net "$1" --dst-net "$2" --dir "$3" --src "${1%/*}" --dst "${2%/*}" --transport --offload "$4" --packet; }
	out=$(pol 192.0.2.1/32 192.0.2.2/32 out "$NSIM_DEV")
	echo "# $out"
	check "a packet-offloaded out policy is refused by the device" \
		grep -qx "error: add policy: EINVAL (errno 22): Policy offload is not supported" <<<"$out"
	out=$(pol 192.0.2.2/32 192.0.2.1/32 in "$NSIM_DEV")
	echo "# $out"
	check "so is an in policy, for the same reason (the packet flag alone is sent)" \
		grep -qx "error: add policy: EINVAL (errno 22): Policy offload is not supported" <<<"$out"
	check "no policy is left" test -z "$(ip -n "$W" xfrm policy)"
fi
out=$(drv add-sa --src 192.0.2.1 --dst 192.0.2.2 --spi 0x9003 --esp aes_gcm128 --offload "$NSIM_DEV" --tfc 100)
echo "# $out"
tfc="Encapsulation and TFC padding can't be offloaded"
[ "$KX_SERIES" = 6.1 ] || tfc="TFC padding can't be offloaded"
check "a crypto-offloaded SA with TFC padding is refused by the kernel: $tfc" \
	grep -qxF "error: add outbound SA esp.00009003@192.0.2.2: EINVAL (errno 22): $tfc" <<<"$out"
check "no packet-offload SA is left" test -z "$(xfrm_sa west 0x9001)"
