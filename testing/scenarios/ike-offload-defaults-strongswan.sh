#!/bin/bash
# Offload with the defaults, against Debian's strongSwan: west (this pluto)
# has hw_offload=yes and esp=aes_gcm128-null and nothing else set; its
# endpoint sits on a netdevsim port, which cannot offload ESN SAs. East is
# strongSwan (charon, swanctl) at its defaults except what a PSK tunnel
# needs, and its child offers ESN first: esp_proposals =
# aes128gcm16-esn-noesn. (strongSwan's own default offers no ESN at all:
# "If omitted, noesn is assumed", swanctl.conf(5) of 5.9.8, and charon logs
# its default child proposals as ESP:AES_GCM_16_128/AES_GCM_16_192/
# AES_GCM_16_256/NO_EXT_SEQ, ESP:AES_CBC_.../NO_EXT_SEQ; so with its
# defaults there would be nothing for west to decline.) Its IKE proposals
# are its defaults too: with lib.sh's plugins (openssl) the first one holds
# 34 transforms, which this pluto must accept as responder. Whichever side
# initiates, the SAs come up without ESN and crypto-offloaded to the port,
# both kernels hold the same pair, traffic flows through it, and strongSwan
# agrees (its --list-sas shows the child installed, without ESN).
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
echo "192.0.2.1 10.0.0.2 : PSK \"$psk\"" >"$d/west.secrets"
swanctl_psk_conf 10.0.0.2 192.0.2.1 "$psk" aes128gcm16-esn-noesn >"$d/east.swanctl.conf"
pluto_start west west "$d/west.conf" "$d/west.secrets"
strongswan_start east east "$d/east.swanctl.conf"
ok "this pluto and strongSwan $STRONGSWAN_VERSION are running"

no_esn() { ! ip -n "$(ns_name "$1")" xfrm state | grep -q "flag.*esn"; }
# crypto_offloaded XFRM-STATE: both directions offloaded to the port.
crypto_offloaded() {
	grep -q "crypto offload parameters: dev $NSIM_DEV dir in\$" <<<"$1" &&
		grep -q "crypto offload parameters: dev $NSIM_DEV dir out\$" <<<"$1"
}
# swan_spis LIST-SAS IN OUT: strongSwan's child has these SPIs (0x... as ip prints them).
swan_spis() { grep -qE "^ +in +${2#0x}," <<<"$1" && grep -qE "^ +out +${3#0x}," <<<"$1"; }

offloaded() {
	local who=$1 o out in e_in
	check "$who: west holds two ESP SAs" wait_for 20 "west's SAs" esp_is west 2
	check "$who: east holds two ESP SAs" wait_for 20 "east's SAs" esp_is east 2
	out=$(esp_spi west 192.0.2.1 10.0.0.2) in=$(esp_spi west 10.0.0.2 192.0.2.1)
	check "$who: both kernels hold the same pair (SPIs $out, $in)" \
		test -n "$out" -a -n "$in" -a "$(esp_spi east 192.0.2.1 10.0.0.2)" = "$out" -a "$(esp_spi east 10.0.0.2 192.0.2.1)" = "$in"
	o=$(ip -n "$(ns_name west)" xfrm state)
	echo "$o" | _sw_comment
	check "$who: no ESN on west's SAs" no_esn west
	check "$who: no ESN on east's SAs" no_esn east
	check "$who: west's inbound and outbound SAs are crypto-offloaded to the port" crypto_offloaded "$o"
	check "$who: netdevsim holds both" grep -q "^SA count=2 " <<<"$(nsim_ipsec "$NSIM_ID")"
	check "$who: ping through the tunnel" sw_ping west -c 2 -W 5 -I 192.0.2.1 10.0.0.2
	e_in=$(sa_packets east "$out")
	check "$who: east's inbound SA decrypted the pings ($e_in packets)" test "${e_in:-0}" -ge 2
	o=$(whack west --trafficstatus)
	echo "$o" | _sw_comment
	check "$who: trafficstatus says offload=crypto($NSIM_DEV), with traffic" \
		grep -qE "^#[0-9]+: \"t\", type=ESP, .*inBytes=[1-9][0-9]*, outBytes=[1-9][0-9]*, .*offload=crypto\\($NSIM_DEV\\)$" <<<"$o"
	o=$(swanctl_run east --list-sas 2>&1)
	echo "$o" | _sw_comment
	# swanctl writes an ESN SA's algorithms as ESP:AES_GCM_16-128/ESN.
	check "$who: swanctl --list-sas shows the child installed, GCM-128 without ESN" \
		grep -qE "t: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL, ESP:AES_GCM_16-128\$" <<<"$o"
	# Its inbound SA is west's outbound one.
	check "$who: strongSwan's child holds the same SPIs" swan_spis "$o" "$out" "$in"
}
no_sa_anywhere() { esp_is west 0 && esp_is east 0; }

# 1. This pluto initiates: it offers no ESN (its device cannot offload it).
out=$(whack west --name t --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "pluto initiating: --up exits 0, offloaded, no ESN" \
	bash -c '[ "$1" -eq 0 ] && grep -q "esn=no offload=crypto($2)}" <<<"$3"' _ "$rc" "$NSIM_DEV" "$out"
offloaded "pluto initiating"
must whack west --name t --down
check "after --down no SA on either side" wait_for 20 "the SAs to go" no_sa_anywhere
check "after --down netdevsim's table is empty" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"

# 2. strongSwan initiates, offering ESN first: this pluto picks no ESN.
mark=$(log_mark "$d/east/charon.log") wmark=$(log_mark "$d/west/pluto.log")
must swanctl_run east --initiate --child t --timeout 30
o=$(log_since "$d/east/charon.log" "$mark" | grep -E "(configured|received|selected) proposals?: ESP:")
echo "$o" | _sw_comment
check "strongSwan initiating: it offered ESN, and west answered without (charon's log)" \
	bash -c 'grep -q "configured proposals: ESP:AES_GCM_16_128/EXT_SEQ/NO_EXT_SEQ\$" <<<"$1" &&
		grep -q "received proposals: ESP:AES_GCM_16_128/NO_EXT_SEQ\$" <<<"$1"' _ "$o"
offloaded "strongSwan initiating"
check "strongSwan initiating: west logged the SA established without ESN, offloaded" \
	grep -q "IPsec SA established .*esn=no offload=crypto($NSIM_DEV)}" <<<"$(log_since "$d/west/pluto.log" "$wmark")"
must swanctl_run east --terminate --ike t --timeout 30
check "after swanctl --terminate no SA on either side" wait_for 20 "the SAs to go" no_sa_anywhere
check "and netdevsim's table is empty" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"
