#!/bin/bash
# Packet offload arrived in Linux 6.2. has_packet_offload reads the kernel
# release; on an older kernel the backend still sends XFRM_OFFLOAD_PACKET if
# asked, and the kernel's refusal comes back with its extended ack.
. "$(dirname "$0")/lib.sh"

ns_add west
nsim_add west 192.0.2.1/24
drv() { ns west "$BINDIR/xfrm-driver" "$@"; }
rel=$(uname -r)
want=no
[ "$(printf '%s\n' 6.2 "${rel%%-*}" | sort -V | head -n1)" = 6.2 ] && want=yes
out=$(drv packet-offload)
echo "# kernel $rel: packet-offload=$out"
check "has_packet_offload says $want on $rel" test "$out" = "$want"
out=$(drv add-sa --src 192.0.2.1 --dst 192.0.2.2 --spi 0x9001 --esp aes_gcm128 --offload "$NSIM_DEV" --packet 2>&1)
echo "# $out"
if [ "$want" = no ]; then
	check "a packet-offload SA is refused with the kernel's extended ack" \
		grep -qx "error: add outbound SA esp.00009001@192.0.2.2: EINVAL (errno 22): Unrecognized flags in offload request" <<<"$out"
else
	check "a packet-offload SA gets an answer from the kernel" grep -Eq "^(added|error)" <<<"$out"
fi
