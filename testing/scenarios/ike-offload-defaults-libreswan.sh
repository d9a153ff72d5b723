#!/bin/bash
# Offload with the defaults: west (this pluto) has hw_offload=yes and
# esp=aes_gcm128-null and nothing else set; its endpoint sits on a
# netdevsim port, which cannot offload ESN. Debian's libreswan (east) keeps
# its own defaults, ESN included. Whichever side initiates, the SAs come up
# without ESN and offloaded, and traffic flows.
. "$(dirname "$0")/lib.sh"

offload_rig
psk=offload-defaults-secret-not-a-real-one
d=$SW_LOGDIR
cat >"$d/west.conf" <<CONF
conn t
	left=192.0.2.1
	right=10.0.0.2
	authby=secret
	esp=aes_gcm128-null
	hw_offload=yes
	auto=add
CONF
cat >"$d/east.conf" <<CONF
config setup
	dnssec-enable=no

conn t
	ikev2=insist
	authby=secret
	left=10.0.0.2
	right=192.0.2.1
	esp=aes_gcm128-null
	auto=add
CONF
echo "192.0.2.1 10.0.0.2 : PSK \"$psk\"" >"$d/west.secrets"
cp "$d/west.secrets" "$d/east.secrets"
pluto_start west west "$d/west.conf" "$d/west.secrets"
libreswan_start east east "$d/east.conf" "$d/east.secrets"

offloaded() {
	local who=$1 o
	check "$who: west holds two ESP SAs" wait_for 20 "west's SAs" esp_is west 2
	check "$who: east holds two ESP SAs" wait_for 20 "east's SAs" esp_is east 2
	o=$(ip -n "$(ns_name west)" xfrm state)
	echo "$o" | _sw_comment
	check "$who: no ESN on west's SAs" bash -c '! grep -q "flag.*esn" <<<"$1"' _ "$o"
	check "$who: both of west's SAs are crypto-offloaded to the port" \
		test "$(grep -c "crypto offload parameters: dev $NSIM_DEV" <<<"$o")" -eq 2
	check "$who: netdevsim holds both" grep -q "^SA count=2 " <<<"$(nsim_ipsec "$NSIM_ID")"
	check "$who: ping through the tunnel" sw_ping west -c 2 -W 5 -I 192.0.2.1 10.0.0.2
	check "$who: trafficstatus says offload=crypto($NSIM_DEV)" \
		grep -qE "inBytes=[1-9][0-9]*, outBytes=[1-9][0-9]*, .*offload=crypto\\($NSIM_DEV\\)$" <<<"$(whack west --trafficstatus)"
}

out=$(whack west --name t --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "pluto initiating: --up exits 0, offloaded, no ESN" \
	bash -c '[ "$1" -eq 0 ] && grep -q "esn=no offload=crypto" <<<"$2"' _ "$rc" "$out"
offloaded "pluto initiating"
must whack west --name t --down
no_sa_anywhere() { esp_is west 0 && esp_is east 0; }
check "after --down no SA on either side" wait_for 20 "the SAs to go" no_sa_anywhere

must libreswan_whack east --name t --initiate --asynchronous
offloaded "libreswan initiating with its default ESN"
check "west logged choosing no ESN and the offload" grep -q "esn=no offload=crypto($NSIM_DEV)" "$SW_LOGDIR/west/pluto.log"
