#!/bin/bash
# The offload rig (testing/vm/README.md) with the peer daemons alone: west's
# IPsec endpoint 192.0.2.1/32 sits on a netdevsim port while IKE and ESP
# travel over veth (10.0.0.1 - 10.0.0.2; east routes 192.0.2.1 via 10.0.0.1).
# Debian's libreswan in west with nic-offload=yes esp=aes_gcm128-null esn=no
# (netdevsim cannot offload ESN SAs) initiates; Debian's strongSwan in east
# answers. Both of west's SAs land offloaded on the netdevsim port (its
# debugfs counts 2, `ip xfrm state` shows the offload lines), and pings pass
# (in software: they leave by veth). This is the rig later scenarios use to
# test this project's pluto against these peers with offload.
. "$(dirname "$0")/lib.sh"

offload_rig
psk=peers-offload-psk-0123456789

d=$SW_LOGDIR
cat >"$d/west.conf" <<CONF
config setup
	dnssec-enable=no

conn t
	ikev2=insist
	authby=secret
	left=192.0.2.1
	right=10.0.0.2
	ike=aes_gcm128-sha2_256-dh19
	esp=aes_gcm128-null
	esn=no
	nic-offload=yes
	auto=add
CONF
echo "192.0.2.1 10.0.0.2 : PSK \"$psk\"" >"$d/west.secrets"
cat >"$d/east.swanctl.conf" <<CONF
connections {
	t {
		version = 2
		local_addrs = 10.0.0.2
		remote_addrs = 192.0.2.1
		proposals = aes128gcm16-prfsha256-ecp256
		local {
			auth = psk
			id = 10.0.0.2
		}
		remote {
			auth = psk
			id = 192.0.2.1
		}
		children {
			t {
				esp_proposals = aes128gcm16
			}
		}
	}
}
secrets {
	ike-t {
		id-1 = 192.0.2.1
		id-2 = 10.0.0.2
		secret = "$psk"
	}
}
CONF

libreswan_start west west "$d/west.conf" "$d/west.secrets"
strongswan_start east east "$d/east.swanctl.conf"


must libreswan_whack west --name t --initiate --asynchronous
check "west holds the two ESP SAs" wait_for 20 "two ESP SAs in west" esp_is west 2
check "east holds the two ESP SAs" wait_for 20 "two ESP SAs in east" esp_is east 2
out=$(esp_spi west 192.0.2.1 10.0.0.2) in=$(esp_spi west 10.0.0.2 192.0.2.1)
xfrm_sa west "$out" | _sw_comment
check "west's outbound SA ($out) is offloaded to the netdevsim port" \
	grep -q "crypto offload parameters: dev $NSIM_DEV dir out" <<<"$(xfrm_sa west "$out")"
check "west's inbound SA ($in) is offloaded to the netdevsim port" \
	grep -q "crypto offload parameters: dev $NSIM_DEV dir in" <<<"$(xfrm_sa west "$in")"
check_fails "they are not ESN SAs (esn=no)" grep -q "flag.* esn" <<<"$(ip -n "$(ns_name west)" xfrm state)"
o=$(nsim_ipsec "$NSIM_ID")
echo "$o" | _sw_comment
check "netdevsim holds both of them (SA count=2)" grep -q "^SA count=2 " <<<"$o"
check "east's SAs (on veth, no offload asked) have no offload line" \
	test -z "$(ip -n "$(ns_name east)" xfrm state | grep "crypto offload")"

check "pings from 192.0.2.1 to 10.0.0.2 pass through the tunnel" sw_ping west -c 3 -W 5 -I 192.0.2.1 10.0.0.2
w_out=$(sa_packets west "$out") w_in=$(sa_packets west "$in") e_in=$(sa_packets east "$out")
check "west's outbound SA encrypted them ($w_out packets)" test "${w_out:-0}" -ge 3
check "east's inbound SA decrypted them ($e_in packets)" test "${e_in:-0}" -ge 3
check "the replies came back through west's inbound SA ($w_in packets)" test "${w_in:-0}" -ge 3
o=$(libreswan_whack west --trafficstatus 2>&1)
echo "$o" | _sw_comment
check "libreswan's --trafficstatus shows the ESP SA with traffic both ways" \
	grep -qE '"t".*type=ESP, .*inBytes=[1-9][0-9]*, outBytes=[1-9][0-9]*' <<<"$o"
