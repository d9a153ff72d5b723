#!/bin/bash
# flush(lo, hi) removes exactly the SAs and policies whose reqid lies in
# [lo, hi] (pluto's own range, 0x4000-0x7fff): SAs by their reqid, policies
# by their templates' reqid. Another daemon's SAs and policies stay.
. "$(dirname "$0")/lib.sh"

ns_add west
W=$(ns_name west)
drv() { ns west "$BINDIR/xfrm-driver" "$@"; }

n=0
for reqid in 0x4000 0x4abc 0x7fff 0x3fff 0x8000 1; do
	n=$((n + 1))
	must drv add-pair --src 192.0.2.1 --dst 192.0.2.2 --spi-out $((0x8000 + 2 * n)) --spi-in $((0x8001 + 2 * n)) \
		--esp aes_gcm128 --reqid $reqid
	must drv add-policy --src-net 10.1.$n.0/24 --dst-net 10.2.$n.0/24 --dir out --src 192.0.2.1 --dst 192.0.2.2 --reqid $reqid
	must drv add-policy --src-net 10.2.$n.0/24 --dst-net 10.1.$n.0/24 --dir in --src 192.0.2.2 --dst 192.0.2.1 --reqid $reqid
	must drv add-policy --src-net 10.2.$n.0/24 --dst-net 10.1.$n.0/24 --dir fwd --src 192.0.2.2 --dst 192.0.2.1 --reqid $reqid
done
# And a policy with no template at all (a block policy): never ours.
must ip -n "$W" xfrm policy add src 10.9.0.0/24 dst 10.9.1.0/24 dir out action block
check "12 SAs and 19 policies before" bash -c \
	'[ "$(ip -n "$1" xfrm state | grep -c "^src")" = 12 ] && [ "$(ip -n "$1" xfrm policy | grep -c "^src")" = 19 ]' _ "$W"

out=$(drv flush --reqid 0x4000-0x7fff 2>&1)
echo "# $out"
check "flush 0x4000-0x7fff succeeds" grep -q "^flushed reqid 16384-32767$" <<<"$out"
states=$(ip -n "$W" xfrm state)
policies=$(ip -n "$W" xfrm policy)
echo "$states" | grep -E "^src|reqid" | sed 's/^/# /'
check "6 SAs remain" test "$(grep -c '^src' <<<"$states")" -eq 6
check "they are exactly those with reqid 0x3fff, 0x8000 and 1" test \
	"$(grep -o 'reqid [0-9]*' <<<"$states" | sort | uniq -c | awk '{print $1 "x" $3}' | paste -sd,)" = "2x1,2x16383,2x32768"
check "10 policies remain (3 each for reqid 0x3fff, 0x8000, 1, and the block policy)" \
	test "$(grep -c '^src' <<<"$policies")" -eq 10
check "none of the remaining policies has a reqid in range" bash -c \
	'! grep -Eq "reqid (1638[4-9]|16[4-9][0-9][0-9]|1[7-9][0-9]{3}|2[0-9]{4}|3[01][0-9]{3}|32[0-6][0-9]{2}|327[0-5][0-9]|3276[0-7])( |$)" <<<"$1"' _ "$policies"
check "the block policy stays" grep -q "src 10.9.0.0/24 dst 10.9.1.0/24" <<<"$policies"
check "a second flush finds nothing and succeeds" drv flush --reqid 0x4000-0x7fff
