#!/bin/bash
# watch_events: a policy without an SA, hit by a packet, makes the kernel
# send an acquire; an SA with 2 s soft and 5 s hard lifetimes (apart enough that the
# kernel timer, slow under qemu, cannot skip the soft one) makes it send
# a soft then a hard expire. The backend's event socket, driven by
# libevent, hands all three to the callback.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 10.0.0.1/24 east veth1 10.0.0.2/24
drv() { ns west "$BINDIR/xfrm-driver" "$@"; }
log=$SW_LOGDIR/watch.out

ns west "$BINDIR/xfrm-driver" watch --seconds 30 --count 3 >"$log" 2>&1 &
watcher=$!
wait_for 10 "the watcher to subscribe" grep -q '^watching$' "$log" || { not_ok "setup: the watcher did not start"; cat "$log"; exit 1; }

must drv add-policy --src-net 10.0.0.1/32 --dst-net 10.0.0.2/32 --dir out --transport --reqid 0x4444
# One datagram hits the policy; with no SA the kernel asks for one.
ns west bash -c 'echo x >/dev/udp/10.0.0.2/9' 2>/dev/null
must drv add-sa --src 10.0.0.1 --dst 10.0.0.9 --spi 0xa001 --esp aes_gcm128 --soft-seconds 2 --hard-seconds 5
wait_for 25 "three events" bash -c "[ \$(grep -c '^event ' '$log') -ge 3 ]"
wait "$watcher"
cat "$log" | sed 's/^/# /'
check "an acquire for 10.0.0.1 -> 10.0.0.2 (ESP) with the packet's selector" \
	grep -qx "event acquire src=10.0.0.1 dst=10.0.0.2 proto=50 spi=00000000 sel=10.0.0.1/32->10.0.0.2/32" "$log"
check "a soft expire for esp.0000a001@10.0.0.9" grep -q "^event expire-soft src=10.0.0.1 dst=10.0.0.9 proto=50 spi=0000a001 " "$log"
check "a hard expire for esp.0000a001@10.0.0.9" grep -q "^event expire-hard src=10.0.0.1 dst=10.0.0.9 proto=50 spi=0000a001 " "$log"
check "the hard-expired SA is gone" test -z "$(xfrm_sa west 0xa001)"
