#!/usr/bin/env bash
# A conn is matched to this host's addresses when it is added and again
# whenever they change: an address that appears later is listened on, one
# that goes is said to have gone. In a network namespace of its own, so the
# host's addresses are left alone.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
BINDIR=${BINDIR:-$here/../../build/bin}
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
	skip "address changes are followed" "needs root and iproute2 to make a network namespace"
	exit 0
fi
ns=swan-addr-$$
tmp=$(mktemp -d /tmp/pluto-addr.XXXXXX)
run=$tmp/run
cleanup() {
	ip netns exec "$ns" "$BINDIR/ipsec" stop --rundir "$run" >/dev/null 2>&1
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" || { not_ok "a network namespace for the test" "ip netns add failed"; exit 1; }
ip -n "$ns" link set lo up

cat > "$tmp/ipsec.conf" <<'CONF'
conn later
	left=192.0.2.77
	right=192.0.2.78
	authby=secret
	auto=add
CONF
echo '192.0.2.77 192.0.2.78 : PSK "address test secret"' > "$tmp/ipsec.secrets"
chmod 600 "$tmp/ipsec.secrets"
log=$tmp/pluto.log
expect_ok "pluto starts in the namespace" ip netns exec "$ns" "$BINDIR/ipsec" start --config "$tmp/ipsec.conf" \
	--secretsfile "$tmp/ipsec.secrets" --rundir "$run" --logfile "$log"
status=$(ip netns exec "$ns" "$BINDIR/ipsec" status --rundir "$run" 2>&1)
expect_match "status says the conn is not on this host yet" '^"later":   not on this host: neither left=192.0.2.77 nor right=192.0.2.78' "$status"

ip -n "$ns" addr add 192.0.2.77/32 dev lo
if wait_until 20 grep -q 'listening for IKE messages on 192.0.2.77 port 500' "$log"; then
	ok "an address that appears is listened on"
else
	not_ok "an address that appears is listened on" "$(cat "$log")"
fi
expect_match "and the log says the conn's local end is now there" \
	'"later": this host.s addresses changed: its local end is now 192.0.2.77' "$(cat "$log")"
status=$(ip netns exec "$ns" "$BINDIR/ipsec" status --rundir "$run" 2>&1)
expect_no_match "status no longer says it is not on this host" 'not on this host' "$status"

ip -n "$ns" addr del 192.0.2.77/32 dev lo
if wait_until 20 grep -q '"later": neither left=192.0.2.77 nor right=192.0.2.78 is an address of this host' "$log"; then
	ok "an address that goes is noticed"
else
	not_ok "an address that goes is noticed" "$(cat "$log")"
fi
tap_exit
