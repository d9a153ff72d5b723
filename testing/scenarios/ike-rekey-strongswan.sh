#!/bin/bash
# Rekeying against Debian's strongSwan 5.9.8 (east), this pluto (west)
# initiating, both with short lifetimes and no randomness.
# 1. Lifetimes: pluto's child lives 20 s (rekeyed at 15 s) and its IKE SA
#    40 s (rekeyed at 35 s); strongSwan's would be rekeyed later (22 s,
#    45 s), so for 45 s of pings pluto rekeys and strongSwan takes each.
#    Both kernels hold one pair of SAs after, strongSwan one IKE SA and
#    one child SA, and the pings pass.
# 2. strongSwan rekeys the child and then the IKE SA on request
#    (swanctl --rekey): pluto answers each, nothing stale is left.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth-w 192.0.2.1/24 east veth-e 192.0.2.2/24
xfrm_warm_up west
xfrm_warm_up east
pluto_psk_conf west 192.0.2.1 192.0.2.2 \
	$'ike=aes_gcm128-sha2_256;dh19\nsalifetime=20\nikelifetime=40\nrekeymargin=5\nrekeyfuzz=0'
psk=$(sed -n 's/.*PSK "\(.*\)"$/\1/p' "$SW_LOGDIR/west.secrets")
swanctl_psk_conf 192.0.2.2 192.0.2.1 "$psk" aes128gcm16-ecp256 aes128gcm16-prfsha256-ecp256 |
	sed -e 's/^version = 2$/&\nrekey_time = 45s\nreauth_time = 0\nover_time = 10s\nrand_time = 0/' \
	    -e 's/^esp_proposals = .*/&\nrekey_time = 22s\nlife_time = 30s\nrand_time = 0/' >"$SW_LOGDIR/east.swanctl.conf"
pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
strongswan_start east east "$SW_LOGDIR/east.swanctl.conf"
# strongSwan's own count of its IKE SAs and installed child SAs.
strongswan_holds_one_each() {
	local sas
	sas=$(swanctl_run east --list-sas 2>&1)
	[ "$(grep -cE '^t: #[0-9]+, ESTABLISHED' <<<"$sas")" -eq 1 ] &&
		[ "$(grep -cE 't: #[0-9]+, reqid [0-9]+, INSTALLED' <<<"$sas")" -eq 1 ]
}

check "strongSwan took the short lifetimes" grep -q "life_time = 30s" "$SW_LOGDIR/east.swanctl.conf"
must whack west --name t --up
check "the tunnel comes up" wait_for 30 "the tunnel" esp_one_pair west 192.0.2.1 east 192.0.2.2

# 1. Lifetimes.
rekeys_under_ping 45 4 strongswan_holds_one_each
swanctl_run east --list-sas 2>&1 | _sw_comment

# 2. strongSwan rekeys.
peer_rekeys child strongswan_holds_one_each swanctl_run east --rekey --child t
peer_rekeys ike strongswan_holds_one_each swanctl_run east --rekey --ike t
