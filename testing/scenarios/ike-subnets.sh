#!/bin/bash
# Several pairs of subnets in one conn (leftsubnets=), a child SA each over
# one IKE SA, against Debian's libreswan and strongSwan. west (this pluto)
# has 10.1.1.0/24 and 10.1.2.0/24, east 10.2.1.0/24 and 10.2.2.0/24: four
# pairs.
# 1. pluto initiates to libreswan (leftsubnets= too, which libreswan makes
#    into four conns "t/1x1".. sharing an IKE SA): four children come up,
#    eight ESP SAs in each kernel, pings pass between every pair; pluto's
#    --status counts them; a rekey of the four leaves four.
# 2. libreswan initiates: pluto answers IKE_AUTH and each CREATE_CHILD_SA
#    with the pair the selectors fit.
# 3. strongSwan initiates two pairs (1x1 and 2x2) as children of one connection.
cat >"$d/east.swanctl.conf" <<CONF
connections {
	t {
		version = 2
		local_addrs = 192.0.2.2
		remote_addrs = 192.0.2.1
		proposals = aes128gcm16-prfsha256-ecp256
		local {
			auth = psk
			id = 192.0.2.2
		}
		remote {
			auth = psk
			id = 192.0.2.1
		}
		children {
			a {
				local_ts = 10.2.1.0/24
				remote_ts = 10.1.1.0/24
				esp_proposals = aes128gcm16
			}
			b {
				local_ts = 10.2.2.0/24
				remote_ts = 10.1.2.0/24
				esp_proposals = aes128gcm16
			}
		}
	}
}
secrets {
	ike-t {
		id-1 = 192.0.2.2
		id-2 = 192.0.2.1
		secret = "$psk"
	}
}
CONF
strongswan_start east east "$d/east.swanctl.conf"
must swanctl_run east --initiate --child a
must swanctl_run east --initiate --child b
strongswan_ike_sas() { swanctl_run east --list-sas 2>&1 | grep -cE '^t: #[0-9]+, ESTABLISHED'; }
two_pairs_ping() { sw_ping west -c 1 -W 5 -I 10.1.1.1 10.2.1.1 && sw_ping west -c 1 -W 5 -I 10.1.2.1 10.2.2.1; }
check "3: two children, four ESP SAs in west" wait_for 60 "four in west" esp_is west 4
check "3: ... and in east" wait_for 30 "four in east" esp_is east 4
check "3: over one IKE SA" test "$(strongswan_ike_sas)" -eq 1
check "3: pluto shows two of the four pairs" pluto_status_says '(2 of 4 subnet pairs)'
check "3: the two pairs ping" two_pairs_ping
