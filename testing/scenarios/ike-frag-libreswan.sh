#!/bin/bash
# IKE fragmentation (RFC 7383) with Debian's libreswan (east). Long IDs and
# several ESP proposals (frag_rig) make each IKE_AUTH request larger than
# one 576-byte IPv4 datagram, so each end sends its own as fragments. This
# pluto initiates, and libreswan's debug log shows it parsed Encrypted
# Fragment payloads (libreswan says nothing of fragments at its normal
# level); then libreswan initiates, and this pluto says it reassembled
# its request.
# Each time the tunnel passes pings.
. "$(dirname "$0")/lib.sh"

frag_rig
libreswan_psk_conf 192.0.2.2 192.0.2.1 "plutodebug=base" \
	"$(printf 'leftid=%s\nrightid=%s\nfragmentation=yes\nike=aes_gcm128-sha2_256-dh19\nesp=%s' \
		"$FRAG_EID" "$FRAG_WID" "$FRAG_ESP")" >"$SW_LOGDIR/east.conf"
libreswan_start east east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"
ok "this pluto and libreswan $LIBRESWAN_VERSION are running"

# 1. This pluto initiates.
frag_pluto_up "pluto to libreswan" "$SW_LOGDIR/east/pluto.log" \
	'parse IKEv2 Encrypted Fragment'
must whack west --name t --down
check "after --down west holds no ESP SA" wait_for 10 "west's SAs to go" esp_is west 0
check "and libreswan removed its SAs on our Delete" wait_for 20 "east's SAs to go" esp_is east 0

# 2. libreswan initiates.
m=$(log_mark "$SW_LOGDIR/west/pluto.log")
must libreswan_whack east --name t --initiate --asynchronous
frag_up_checks "libreswan to pluto"
frag_pluto_reassembled "libreswan to pluto" "$m"
must libreswan_whack east --name t --terminate
check "after libreswan's --terminate west holds no ESP SA" wait_for 20 "west's SAs to go" esp_is west 0
