#!/bin/bash
# The demo (`make demo`): two hosts in network namespaces, a tunnel
# brought up with IKEv2 and its ESP crypto offloaded to a netdevsim port,
# a ping through it, and what trafficstatus and ipsec offload say.
# Runs in the test VM like a scenario (testing/vm/run).
. "$(dirname "$0")/../scenarios/lib.sh"

show() { echo "\$ $*"; "$@" 2>&1 | sed 's/^/  /'; return "${PIPESTATUS[0]}"; }
say() { printf '\n=== %s\n' "$*"; }

say "west: its IPsec address 192.0.2.1 on a netdevsim port (nsim0); IKE and ESP over veth to east (10.0.0.2)"
ns_add west east
veth_add west veth0 10.0.0.1/24 east veth1 10.0.0.2/24
nsim_add west 192.0.2.1/32
must ip -n "$(ns_name east)" route add 192.0.2.1/32 via 10.0.0.1

cat >"$SW_LOGDIR/west.conf" <<CONF
conn demo
	left=192.0.2.1
	right=10.0.0.2
	authby=secret
	esp=aes_gcm128-null
	hw_offload=yes
	hw_offload_fallback=yes
	auto=add
CONF
sed -e 's/left=192.0.2.1/left=10.0.0.2/; s/right=10.0.0.2/right=192.0.2.1/; /hw_offload/d' \
	"$SW_LOGDIR/west.conf" >"$SW_LOGDIR/east.conf"
echo '192.0.2.1 10.0.0.2 : PSK "demo secret: use a long random one"' >"$SW_LOGDIR/west.secrets"
cp "$SW_LOGDIR/west.secrets" "$SW_LOGDIR/east.secrets"
say "west's ipsec.conf"
sed 's/^/  /' "$SW_LOGDIR/west.conf"
pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
pluto_start east east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"
ipsec() { ip netns exec "$(ns_name west)" "$BINDIR/ipsec" --rundir "$SW_RUNDIR/west" "$@"; }
if command -v ping >/dev/null; then ping=(ping); else ping=(busybox ping); fi

say "what west's NIC can offload"
show ipsec offload nsim0
say "bring the tunnel up"
show ipsec auto --up demo
check "ipsec auto --up demo exits 0" test $? -eq 0
say "ping east through the tunnel"
check "ping through the tunnel" show ip netns exec "$(ns_name west)" "${ping[@]}" -c 3 -W 5 -I 192.0.2.1 10.0.0.2
say "the tunnel, as trafficstatus tells it"
show ipsec trafficstatus
check "trafficstatus says offload=crypto(nsim0)" grep -q "offload=crypto(nsim0)" <<<"$(ipsec trafficstatus)"
say "the SAs, as the NIC holds them (netdevsim's debugfs; its key lines left out)"
nsim_ipsec "$NSIM_ID" | grep -v 'key=' | sed 's/^/  /'
show ipsec offload nsim0
say "take it down"
show ipsec auto --down demo
check "ipsec auto --down demo exits 0" test $? -eq 0
