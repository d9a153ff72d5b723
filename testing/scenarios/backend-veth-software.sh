#!/bin/bash
# A veth device has no offload ops: the kernel accepts an SA "offloaded" to
# it and runs it in software. get_sa must report it NOT offloaded, and its
# counters must count the traffic that really went through it (and the
# peer, with the mirror-image SAs, must decrypt it: same keys, same salt).
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 10.0.0.1/24 east veth1 10.0.0.2/24
drvw() { ns west "$BINDIR/xfrm-driver" "$@"; }
drve() { ns east "$BINDIR/xfrm-driver" "$@"; }

out=$(drvw add-pair --src 10.0.0.1 --dst 10.0.0.2 --spi-out 0x5001 --spi-in 0x5002 \
	--esp aes_gcm128 --transport --offload veth0 2>&1)
echo "$out" | sed 's/^/# /'
check "the kernel accepts the SA pair with offload to veth0" test "$(grep -c '^added' <<<"$out")" -eq 2
check "ip xfrm state shows no offload for it" bash -c '! grep -q offload <<<"$1"' _ "$(xfrm_sa west 0x5001)"
get=$(drvw get --dst 10.0.0.2 --spi 0x5001 2>&1)
echo "# $get"
check "get_sa reports the SA NOT offloaded" grep -q "offloaded=no ifindex=0 dev=-" <<<"$get"

# The peer's mirror image and policies on both sides, so a ping goes
# through the SAs.
must drve add-pair --src 10.0.0.2 --dst 10.0.0.1 --spi-out 0x5002 --spi-in 0x5001 --esp aes_gcm128 --transport
for side in "west 10.0.0.1 10.0.0.2" "east 10.0.0.2 10.0.0.1"; do
	set -- $side
	must ns "$1" "$BINDIR/xfrm-driver" add-policy --src-net "$2/32" --dst-net "$3/32" --dir out --transport
	must ns "$1" "$BINDIR/xfrm-driver" add-policy --src-net "$3/32" --dst-net "$2/32" --dir in --transport
done
# Three UDP datagrams (to the discard port; no reply needed).
for i in 1 2 3; do
	ns west bash -c 'echo "datagram $1" >/dev/udp/10.0.0.2/9' _ "$i" || not_ok "send datagram $i"
done
get=$(drvw get --dst 10.0.0.2 --spi 0x5001 2>&1)
echo "# $get"
check "get_sa counts the 3 datagrams on the outbound SA" grep -Eq "packets=3 " <<<"$get"
check "and their bytes" grep -Eq "bytes=[1-9][0-9]* " <<<"$get"
check "the kernel's own counter agrees" test "$(sa_packets west 0x5001)" = 3
get=$(drve get --dst 10.0.0.2 --spi 0x5001 2>&1)
echo "# east: $get"
check "the peer's inbound SA decrypted all 3" grep -Eq "packets=3 " <<<"$get"
