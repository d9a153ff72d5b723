#!/bin/bash
# SAs of every kind the backend builds, installed on the real kernel and
# visible in `ip xfrm state` as asked: tunnel and transport mode, IPv4 and
# IPv6, AES-GCM-128/256, ChaCha20-Poly1305, AES-CBC with HMAC-SHA1/256/384/
# 512 and their truncations, ESN, NAT-T encapsulation, TFC padding,
# lifetimes, reqid and selectors.
. "$(dirname "$0")/lib.sh"

ns_add west
drv() { ns west "$BINDIR/xfrm-driver" "$@"; }
has() { # DESC SPI PATTERN: the SA's `ip xfrm state` lines match PATTERN
	check "$1" grep -Eq "$3" <<<"$(xfrm_sa west "$2")"
}
has_s() { # the same with `ip -s xfrm state` (lifetimes)
	check "$1" grep -Eq "$3" <<<"$(xfrm_sa west "$2" -s)"
}
add() { # DESC ARGS...: the driver adds an SA
	local desc=$1 out; shift
	out=$(drv add-sa "$@" 2>&1)
	[ $? -eq 0 ] && ok "$desc" || { not_ok "$desc"; echo "# $out"; }
}

add "IPv4 tunnel AES-GCM-128 with selectors" --src 192.0.2.1 --dst 192.0.2.2 --spi 0x7001 \
	--esp aes_gcm128 --reqid 0x4100 --sel-src 10.1.0.0/16 --sel-dst 10.2.0.0/16 \
	--soft-seconds 100 --hard-seconds 200 --soft-bytes 1000000 --hard-bytes 2000000
has "  is ESP in tunnel mode with reqid 0x4100" 0x7001 "proto esp spi 0x00007001 reqid 16640 mode tunnel"
has "  uses rfc4106(gcm(aes)) with a 160-bit key (salt included) and ICV 128" 0x7001 \
	"aead rfc4106\(gcm\(aes\)\) 0x0102030405060708090a0b0c0d0e0f1011121314 128"
has "  carries the selector 10.1.0.0/16 -> 10.2.0.0/16" 0x7001 "sel src 10.1.0.0/16 dst 10.2.0.0/16"
has_s "  has the time lifetimes 100 s / 200 s" 0x7001 "expire add: soft 100\(sec\), hard 200\(sec\)"
has_s "  has the byte lifetimes 1000000 / 2000000" 0x7001 "limit: soft 1000000\(bytes\), hard 2000000\(bytes\)"
has "  has the replay window 32" 0x7001 "replay-window 32"

add "IPv4 transport AES-GCM-256" --src 192.0.2.1 --dst 192.0.2.2 --spi 0x7002 --esp aes_gcm256 --transport
has "  is in transport mode with a 288-bit key" 0x7002 "mode transport"
has "  key of 32+4 bytes" 0x7002 "aead rfc4106\(gcm\(aes\)\) 0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324 128"

add "IPv6 tunnel ChaCha20-Poly1305" --src 2001:db8::1 --dst 2001:db8::2 --spi 0x7003 \
	--esp chacha20_poly1305 --sel-src 2001:db8:1::/48 --sel-dst 2001:db8:2::/48
has "  is IPv6 from 2001:db8::1 to 2001:db8::2" 0x7003 "^src 2001:db8::1 dst 2001:db8::2"
has "  uses rfc7539esp(chacha20,poly1305) with ICV 128" 0x7003 "aead rfc7539esp\(chacha20,poly1305\) 0x[0-9a-f]{72} 128"
has "  carries the IPv6 selector" 0x7003 "sel src 2001:db8:1::/48 dst 2001:db8:2::/48"

add "IPv6 transport AES-CBC-128 + HMAC-SHA1-96" --src 2001:db8::1 --dst 2001:db8::2 --spi 0x7004 --esp aes128-sha1 --transport
has "  uses hmac(sha1) truncated to 96 bits" 0x7004 "auth-trunc hmac\(sha1\) 0x[0-9a-f]{40} 96"
has "  and cbc(aes) with a 128-bit key" 0x7004 "enc cbc\(aes\) 0x0102030405060708090a0b0c0d0e0f10$"
add "AES-CBC-256 + HMAC-SHA2-256-128" --src 192.0.2.1 --dst 192.0.2.2 --spi 0x7005 --esp aes256-sha2_256
has "  uses hmac(sha256) truncated to 128 bits" 0x7005 "auth-trunc hmac\(sha256\) 0x[0-9a-f]{64} 128"
add "AES-CBC-128 + HMAC-SHA2-384-192" --src 192.0.2.1 --dst 192.0.2.2 --spi 0x7006 --esp aes128-sha2_384
has "  uses hmac(sha384) truncated to 192 bits" 0x7006 "auth-trunc hmac\(sha384\) 0x[0-9a-f]{96} 192"
add "AES-CBC-128 + HMAC-SHA2-512-256" --src 192.0.2.1 --dst 192.0.2.2 --spi 0x7007 --esp aes128-sha2_512
has "  uses hmac(sha512) truncated to 256 bits" 0x7007 "auth-trunc hmac\(sha512\) 0x[0-9a-f]{128} 256"

add "ESN with a 128-packet window" --src 192.0.2.1 --dst 192.0.2.2 --spi 0x7008 --esp aes_gcm128 --esn --replay 128
has "  has the esn flag" 0x7008 "flag .*esn"
has "  and the ESN replay state with window 128" 0x7008 "replay_window 128"
add "a plain replay window wider than 32 (bitmap replay state)" --src 192.0.2.1 --dst 192.0.2.2 --spi 0x7009 --esp aes_gcm128 --replay 256
has "  keeps the window of 256" 0x7009 "replay_window 256"

add "NAT-T encapsulated (ESP in UDP 4500)" --src 192.0.2.1 --dst 192.0.2.2 --spi 0x700a --esp aes_gcm128 --encap 4500:4500
has "  has the espinudp template" 0x700a "encap type espinudp sport 4500 dport 4500"
add "TFC padding to 1500 bytes" --src 192.0.2.1 --dst 192.0.2.2 --spi 0x700b --esp aes_gcm128 --tfc 1500
has "  has tfcpad 1500" 0x700b "tfcpad 1500"

out=$(drv update-sa --src 192.0.2.1 --dst 192.0.2.2 --spi 0x700b --esp aes_gcm128 --tfc 1500 \
	--soft-seconds 300 --hard-seconds 600 2>&1)
echo "# $out"
check "update_sa changes an installed SA's lifetimes" grep -q "^updated outbound SA esp.0000700b@192.0.2.2$" <<<"$out"
has_s "  to 300 s / 600 s" 0x700b "expire add: soft 300\(sec\), hard 600\(sec\)"
out=$(drv update-sa --src 192.0.2.1 --dst 192.0.2.2 --spi 0x70ff --esp aes_gcm128 2>&1)
echo "# $out"
check "update_sa of an SA that is not there fails with ESRCH" grep -q "^error: update outbound SA esp.000070ff@192.0.2.2: ESRCH" <<<"$out"

xfrm_sa west 0x7001 -s | sed 's/^/# /'
list=$(drv list 2>&1)
echo "$list" | sed 's/^/# /'
check "list_sas sees all 11 SAs, none offloaded" \
	bash -c 'grep -q "^11 SAs$" <<<"$1" && ! grep -q "offloaded=yes" <<<"$1"' _ "$list"
check "list_sas reads the reqid" grep -q "esp.00007001@192.0.2.2 reqid=16640 " <<<"$list"
check "list_sas reads IPv6 SAs" grep -q "esp.00007003@2001:db8::2 " <<<"$list"
