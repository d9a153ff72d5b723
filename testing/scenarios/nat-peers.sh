#!/bin/bash
# NAT traversal against the real peers: this pluto (west, 192.0.2.1)
# initiates from behind a masquerading NAT to Debian's libreswan, then to
# Debian's strongSwan, each answering as east (198.51.100.2). Each time
# pluto finds itself behind the NAT and moves to port 4500, the peer puts
# its SAs in UDP to the port the NAT chose, and a ping passes through the
# tunnel; --down leaves neither end an SA.
. "$(dirname "$0")/lib.sh"

nat_rig
d=$SW_LOGDIR
psk=interop-nat-psk-not-a-real-one
nat_west_conf "$psk" "" "ike=aes_gcm128-sha2_256;dh19"
libreswan_psk_conf 198.51.100.2 198.51.100.1 "" "leftid=@east
rightid=@west
rightsubnet=192.0.2.1/32
ike=aes_gcm128-sha2_256-dh19
esp=aes_gcm128-null" >"$d/east.conf"
echo "@east @west : PSK \"$psk\"" >"$d/east.secrets"
cat >"$d/east.swanctl.conf" <<CONF
connections {
	t {
		version = 2
		local_addrs = 198.51.100.2
		proposals = aes128gcm16-prfsha256-ecp256
		local {
			auth = psk
			id = @east
		}
		remote {
			auth = psk
			id = @west
		}
		children {
			t {
				mode = tunnel
				local_ts = 198.51.100.2/32
				remote_ts = 192.0.2.1/32
				esp_proposals = aes128gcm16
			}
		}
	}
}
secrets {
	ike-t {
		id-1 = @east
		id-2 = @west
		secret = "$psk"
	}
}
CONF
xfrm_warm_up west
pluto_start west west "$d/west.conf" "$d/west.secrets"

down_clean() {
	local who=$1
	must whack west --name t --down
	check "$who: after --down west holds no ESP SA" wait_for 10 "west's SAs to go" esp_is west 0
	check "$who: and the peer removed its SAs on our Delete" wait_for 20 "east's SAs to go" esp_is east 0
}

# 1. libreswan answers.
libreswan_start east east "$d/east.conf" "$d/east.secrets"
ok "this pluto and libreswan $LIBRESWAN_VERSION are running"
nat_up "libreswan"
o=$(libreswan_whack east --trafficstatus 2>&1)
echo "$o" | _sw_comment
check "libreswan: its trafficstatus shows the tunnel with traffic" grep -qE '"t".*type=ESP, .*inBytes=[1-9][0-9]*' <<<"$o"
down_clean "libreswan"
libreswan_stop east

# 2. strongSwan answers (as east2: the names of daemons map to their pids).
strongswan_start east2 east "$d/east.swanctl.conf"
ok "strongSwan $STRONGSWAN_VERSION is running"
nat_up "strongSwan"
o=$(swanctl_run east2 --list-sas 2>&1)
echo "$o" | _sw_comment
check "strongSwan: swanctl --list-sas shows the child installed, in UDP" \
	grep -qE "t: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-128" <<<"$o"
down_clean "strongSwan"
