#!/bin/bash
# A veth device has no offload ops: the kernel accepts an offload request for
# it and runs the SA in software. So a kernel "yes" is not proof of offload:
# the SA carries no offload line, yet carries traffic.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth-w 10.0.0.1/24 east veth-e 10.0.0.2/24
W=$(ns_name west) E=$(ns_name east)
key=0x$(printf '%02x' {1..20})

sa() { # NS SRC DST SPI [offload...]
	local n=$1 s=$2 d=$3 spi=$4; shift 4
	ip -n "$n" xfrm state add src "$s" dst "$d" proto esp spi "$spi" reqid 1 mode transport \
		aead 'rfc4106(gcm(aes))' "$key" 128 "$@"
}
pol() { # NS SRC DST DIR
	ip -n "$1" xfrm policy add src "$2/32" dst "$3/32" dir "$4" \
		tmpl src "$2" dst "$3" proto esp reqid 1 mode transport
}
check "outbound SA with offload to veth is accepted" sa "$W" 10.0.0.1 10.0.0.2 0x3001 offload dev veth-w dir out
check "inbound SA with offload to veth is accepted" sa "$W" 10.0.0.2 10.0.0.1 0x3002 offload dev veth-w dir in
must sa "$E" 10.0.0.1 10.0.0.2 0x3001
must sa "$E" 10.0.0.2 10.0.0.1 0x3002
must pol "$W" 10.0.0.1 10.0.0.2 out
must pol "$W" 10.0.0.2 10.0.0.1 in
must pol "$E" 10.0.0.2 10.0.0.1 out
must pol "$E" 10.0.0.1 10.0.0.2 in

xfrm_sa west 0x3001 | sed 's/^/# /'
check_fails "the outbound SA shows no offload line" grep -q "crypto offload" <<<"$(xfrm_sa west 0x3001)"
check_fails "the inbound SA shows no offload line" grep -q "crypto offload" <<<"$(xfrm_sa west 0x3002)"

check "ping through the SAs works" sw_ping west -c 3 -W 5 10.0.0.2
out_pkts=$(sa_packets west 0x3001) in_pkts=$(sa_packets west 0x3002)
check "the outbound SA encrypted the pings in software ($out_pkts packets)" test "${out_pkts:-0}" -ge 3
check "the inbound SA decrypted the replies ($in_pkts packets)" test "${in_pkts:-0}" -ge 3
