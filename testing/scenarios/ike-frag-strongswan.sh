#!/bin/bash
# IKE fragmentation (RFC 7383) with Debian's strongSwan (east), whose
# charon.fragment_size is set to 400 bytes. Long IDs and several ESP
# proposals (frag_rig) make each IKE_AUTH request larger than a fragment
# at either end. This pluto initiates, and strongSwan logs that it
# reassembled the fragments; then strongSwan initiates, splitting its
# request, and this pluto logs that it reassembled it. Each time the
# tunnel passes pings.
. "$(dirname "$0")/lib.sh"

frag_rig
swanctl_psk_conf 192.0.2.2 192.0.2.1 "$FRAG_PSK" aes128gcm16,aes256gcm16,aes128-sha256,aes256-sha512,aes192-sha384 \
	aes128gcm16-prfsha256-ecp256 |
	sed -e "s/^id = 192.0.2.2$/id = $FRAG_EID/" -e "s/^id = 192.0.2.1$/id = $FRAG_WID/" \
	    -e "s/^id-1 = 192.0.2.2$/id-1 = $FRAG_EID/" -e "s/^id-2 = 192.0.2.1$/id-2 = $FRAG_WID/" \
	    -e "s/^version = 2$/version = 2\nfragmentation = yes/" >"$SW_LOGDIR/east.swanctl.conf"
strongswan_start east east "$SW_LOGDIR/east.swanctl.conf" "fragment_size = 400"
slog=$SW_LOGDIR/east/charon.log
ok "this pluto and strongSwan $STRONGSWAN_VERSION (charon.fragment_size = 400) are running"

# 1. This pluto initiates.
frag_pluto_up "pluto to strongSwan" "$slog" \
	"received fragment #[0-9]+ of [0-9]+, reassembled fragmented IKE message"
must whack west --name t --down
check "after --down east holds no ESP SA" wait_for 20 "east's SAs to go" esp_is east 0

# 2. strongSwan initiates, in fragments of at most 400 bytes.
m=$(log_mark "$SW_LOGDIR/west/pluto.log") sm=$(log_mark "$slog")
must swanctl_run east --initiate --child t --timeout 30
frag_up_checks "strongSwan to pluto"
check "strongSwan split its IKE_AUTH request into fragments" \
	frag_logged "$slog" "$sm" "splitting IKE message .* into [0-9]+ fragments"
frag_pluto_reassembled "strongSwan to pluto" "$m"
must swanctl_run east --terminate --ike t --timeout 30
check "after swanctl --terminate west holds no ESP SA" wait_for 20 "west's SAs to go" esp_is west 0
