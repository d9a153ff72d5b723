#!/usr/bin/env bash
# conn-mem.sh: what a loaded conn costs pluto in memory, on this host (no
# VM: nothing is negotiated). For each count N of CONN_MEM_N (default
# "10 1000") pluto starts in a network namespace of its own with N conns
# to answer (auto=add), each on an address pair of its own whose local
# end is on the namespace's loopback, and is read once it says it has
# loaded them all: its VmRSS, then what it grows by per conn from the
# smallest N to each larger one. Two shapes of conn: "peers", the conns of
# peers.sh (ike= and esp= of one proposal each), and "defaults", the same
# without ike= and esp= (the default proposals: 168 for IKE, 64 for ESP).
#
#   testing/bench/conn-mem.sh                     # as root; BINDIR: build/bin
#   CONN_MEM_N="10 100 1000" testing/bench/conn-mem.sh
#
# A figure, not a test: it never fails on a size (testing/bench/README.md).
set -u
here=$(cd "$(dirname "$0")" && pwd)
BINDIR=${BINDIR:-$here/../../build/bin}
NS=${CONN_MEM_N:-10 1000}
SHAPES=${CONN_MEM_SHAPES:-peers defaults}

if [ -z "${SWAN_OWN_NETNS:-}" ]; then
	if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
		echo "conn-mem.sh: needs root, unshare and ip (a network namespace of its own)" >&2
		exit 1
	fi
	exec unshare -n env SWAN_OWN_NETNS=1 bash "$0" "$@"
fi
ip link set lo up

tmp=$(mktemp -d /tmp/conn-mem.XXXXXX)
run=$tmp/run
stop_pluto() { "$BINDIR/ipsec" stop --rundir "$run" >/dev/null 2>&1; }
trap 'stop_pluto; rm -rf "$tmp"' EXIT

# Conn I (1..): this host 10.1.A.B, the other end 10.2.A.B.
tun_addr() { echo "10.$1.$(($2 / 250)).$(($2 % 250 + 1))"; }

# conf SHAPE N: the config and secrets for N conns into $tmp.
conf() {
	local shape=$1 n=$2 i
	for ((i = 1; i <= n; i++)); do
		printf 'conn t%s\n\tleft=%s\n\tright=%s\n\tauthby=secret\n\tauto=add\n' "$i" "$(tun_addr 1 "$i")" "$(tun_addr 2 "$i")"
		[ "$shape" = defaults ] || printf '\tike=aes_gcm256-sha2_256;dh19\n\tesp=aes_gcm128-null\n'
	done >"$tmp/ipsec.conf"
	for ((i = 1; i <= n; i++)); do
		echo "$(tun_addr 1 "$i") $(tun_addr 2 "$i") : PSK \"conn-mem bench secret\""
	done >"$tmp/ipsec.secrets"
	chmod 600 "$tmp/ipsec.secrets"
}

# The host's addresses: the largest N's, once (a conn whose end is here
# orients; the rest are just addresses).
max=0
for n in $NS; do [ "$n" -gt "$max" ] && max=$n; done
for ((i = 1; i <= max; i++)); do echo "addr add $(tun_addr 1 "$i")/32 dev lo"; done >"$tmp/addrs"
ip -batch "$tmp/addrs" || exit 1

# wait_loaded N: until pluto says it holds N conns (at most 300 s).
wait_loaded() {
	local deadline=$((SECONDS + 300))
	while [ $SECONDS -lt $deadline ]; do
		"$BINDIR/whack" --rundir "$run" --briefstatus 2>/dev/null |
			grep "^Total IPsec connections: loaded $1," >/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# rss SHAPE N: pluto's VmRSS in kB with N conns of SHAPE loaded.
rss() {
	local pid kb
	conf "$1" "$2"
	rm -rf "$run"
	"$BINDIR/ipsec" start --config "$tmp/ipsec.conf" --secretsfile "$tmp/ipsec.secrets" --rundir "$run" \
		--nssdir "$tmp/nss" --logfile "$tmp/pluto.log" >"$tmp/start.out" 2>&1 ||
		{ echo "conn-mem.sh: pluto did not start: $(cat "$tmp/start.out")" >&2; exit 1; }
	wait_loaded "$2" || { echo "conn-mem.sh: pluto did not load $2 conns (log: $(tail -3 "$tmp/pluto.log"))" >&2; exit 1; }
	pid=$(cat "$run/pluto.pid")
	kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
	stop_pluto
	echo "$kb"
}

printf '# %-9s %6s %10s %16s\n' shape N "VmRSS kB" "kB per conn"
for shape in $SHAPES; do
	first='' base=0
	for n in $NS; do
		kb=$(rss "$shape" "$n") || exit 1
		if [ -z "$first" ]; then
			first=$n base=$kb per=-
		else
			per=$(awk -v a="$base" -v b="$kb" -v m="$first" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / (n - m) }')
		fi
		printf '# %-9s %6s %10s %16s\n' "$shape" "$n" "$kb" "$per"
	done
done
