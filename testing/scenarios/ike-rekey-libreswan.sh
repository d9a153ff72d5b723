#!/bin/bash
# Rekeying against Debian's libreswan 4.10 (east), this pluto (west)
# initiating, both with short lifetimes and no fuzz.
# 1. Lifetimes: pluto's child lives 20 s (rekeyed at 15 s) and its IKE SA
#    40 s (rekeyed at 35 s); libreswan's would live 30 s and 60 s, so for
#    45 s of pings pluto rekeys and libreswan takes each. Both kernels
#    hold one pair of SAs after, libreswan one IKE SA and one IPsec SA,
#    and the pings pass (a few may be lost: when the responder starts
#    sending on the new SA is the peer's to decide).
# 2. libreswan rekeys the child and then the IKE SA on request
#    (ipsec whack --rekey-ipsec / --rekey-ike): pluto answers each, and
#    again nothing stale is left.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth-w 192.0.2.1/24 east veth-e 192.0.2.2/24
xfrm_warm_up west
xfrm_warm_up east
pluto_psk_conf west 192.0.2.1 192.0.2.2 \
	$'ike=aes_gcm128-sha2_256;dh19\nsalifetime=20\nikelifetime=40\nrekeymargin=5\nrekeyfuzz=0'
libreswan_psk_conf 192.0.2.2 192.0.2.1 "" \
	$'ike=aes_gcm128-sha2_256-dh19\nesp=aes_gcm128-null\nsalifetime=30s\nikelifetime=60s\nrekeymargin=3s\nrekeyfuzz=0%' \
	>"$SW_LOGDIR/east.conf"
cp "$SW_LOGDIR/west.secrets" "$SW_LOGDIR/east.secrets"
pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
libreswan_start east east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"
# libreswan's own count of its established IKE and IPsec SAs.
libreswan_holds_one_each() {
	local st
	st=$(libreswan_whack east --showstates 2>&1)
	[ "$(grep -c 'ESTABLISHED_IKE_SA' <<<"$st")" -eq 1 ] && [ "$(grep -c 'ESTABLISHED_CHILD_SA' <<<"$st")" -eq 1 ]
}

must whack west --name t --up
check "the tunnel comes up" wait_for 30 "the tunnel" esp_one_pair west 192.0.2.1 east 192.0.2.2

# 1. Lifetimes.
rekeys_under_ping 45 4 libreswan_holds_one_each
libreswan_whack east --showstates 2>&1 | _sw_comment

# 2. libreswan rekeys.
peer_rekeys child libreswan_holds_one_each libreswan_whack east --name t --rekey-ipsec
peer_rekeys ike libreswan_holds_one_each libreswan_whack east --name t --rekey-ike
