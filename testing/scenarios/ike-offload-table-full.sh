#!/bin/bash
# A full NIC SA table, and conns the NIC cannot take, against Debian's
# libreswan. West (this pluto) sits on a netdevsim port, whose table holds
# 33 SAs; east (libreswan, its defaults) answers on one address per conn.
#   a  hw_offload=yes: comes up offloaded and holds two of the 33 slots;
#      31 foreign SAs then fill the table.
#   b  fallback=yes: comes up in software with the table-full diagnostic;
#      trafficstatus shows a holding the hardware and b in software.
#   c  fallback=no, auto=start: --up fails with the table-full diagnostic;
#      a full table is a matter of capacity, so c is tried again after 30 s
#      (then 60 s): exactly two attempts in the 60 s after --up, and east
#      keeps no SA.
#   d  fallback=no, auto=start, esn=yes: warned at --add (the probe made
#      when a was loaded showed netdevsim cannot offload ESN); --up fails
#      with the ESN hint, and as a failure of configuration it is not tried
#      again.
#   e  esp= CBC only: warned at --add that the port offloads none of it.
# --status shows c's and d's failures with their diagnostics.
. "$(dirname "$0")/lib.sh"

offload_rig
for a in 10.0.0.3 10.0.0.4 10.0.0.5; do must ip -n "$(ns_name east)" addr add $a/24 dev veth1; done
psk=table-full-secret-not-a-real-one
d=$SW_LOGDIR
west_conn() { # NAME EAST-ADDRESS EXTRA-LINES
	printf 'conn %s\n\tleft=192.0.2.1\n\tright=%s\n\tauthby=secret\n\thw_offload=yes\n%b\n' "$1" "$2" "$3"
}
{
	west_conn a 10.0.0.2 '\tesp=aes_gcm128-null\n\tauto=add'
	west_conn b 10.0.0.3 '\tesp=aes_gcm128-null\n\thw_offload_fallback=yes\n\tauto=add'
} >"$d/west.conf"
{
	printf 'config setup\n\tdnssec-enable=no\n\n'
	for c in a:10.0.0.2 b:10.0.0.3 c:10.0.0.4 d:10.0.0.5; do
		printf 'conn %s\n\tikev2=insist\n\tauthby=secret\n\tleft=%s\n\tright=192.0.2.1\n\tesp=aes_gcm128-null\n\tauto=add\n\n' "${c%%:*}" "${c#*:}"
	done
} >"$d/east.conf"
for a in 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5; do echo "192.0.2.1 $a : PSK \"$psk\""; done >"$d/west.secrets"
cp "$d/west.secrets" "$d/east.secrets"
pluto_start west west "$d/west.conf" "$d/west.secrets"
libreswan_start east east "$d/east.conf" "$d/east.secrets"
log=$d/west/pluto.log

probed() { grep -q "\"a\": offload: probing $NSIM_DEV once, as this conn asks for hw_offload=yes there" "$log"; }
check "loading a, which asks for offload, probed the port, and said so" wait_for 30 "the probe" probed

out=$(whack west --name a --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "a: --up exits 0, offloaded" bash -c '[ "$1" -eq 0 ] && grep -q "offload=crypto($2)" <<<"$3"' _ "$rc" "$NSIM_DEV" "$out"
must ns west "$BINDIR/xfrm-driver" add-sa --src 192.0.2.1 --dst 192.0.2.9 --spi 0x5001 --count 31 \
	--esp aes_gcm128 --offload "$NSIM_DEV" --reqid 0x100
check "a's two SAs and 31 others fill the table" grep -q "^SA count=33 " <<<"$(nsim_ipsec "$NSIM_ID")"

out=$(whack west --name b --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "b (fallback=yes): --up exits 0" test "$rc" -eq 0
check "b: the diagnostic says the table is full, then software" grep -q \
	"hw_offload: $NSIM_DEV refused inbound SA .*(ENOSPC); hint: the SA table of $NSIM_DEV is full (33 SAs offloaded there now).*running this SA in software (hw_offload_fallback=yes)" <<<"$out"
ts=$(whack west --trafficstatus)
echo "$ts" | _sw_comment
check "trafficstatus: a holds the hardware" grep -q "\"a\", .*offload=crypto($NSIM_DEV)\$" <<<"$ts"
check "trafficstatus: b runs in software because the table is full" \
	grep -q "\"b\", .*offload=software($NSIM_DEV refused: table full)\$" <<<"$ts"
check "b: ping through the software tunnel" sw_ping west -c 2 -W 5 -I 192.0.2.1 10.0.0.3

# c, d and e join the config, as an admin would add them.
{
	west_conn c 10.0.0.4 '\tesp=aes_gcm128-null\n\thw_offload_fallback=no\n\tauto=start'
	west_conn d 10.0.0.5 '\tesp=aes_gcm128-null\n\tesn=yes\n\thw_offload_fallback=no\n\tauto=start'
	west_conn e 10.0.0.6 '\tesp=aes128-sha2_256\n\thw_offload_fallback=yes\n\tauto=add'
} >>"$d/west.conf"
out=$(whack west --name c --add 2>&1)
echo "$out" | _sw_comment
check "c: --add gives no warning (AES-GCM offloads here)" bash -c '! grep -q warning <<<"$1"' _ "$out"
out=$(whack west --name d --add 2>&1)
echo "$out" | _sw_comment
check "d: --add warns that $NSIM_DEV cannot offload the ESN esn=yes forces" grep -q \
	"warning: hw_offload=yes with esn=yes: $NSIM_DEV cannot offload SAs with extended sequence numbers, as its probe found - try esn=no; its IPsec SAs will be refused (hw_offload_fallback=no)" <<<"$out"
out=$(whack west --name e --add 2>&1)
echo "$out" | _sw_comment
check "e: --add warns that $NSIM_DEV offloads none of its esp=" grep -q \
	"warning: hw_offload=yes: $NSIM_DEV cannot offload any transform of esp=aes128-sha2_256 (AES_CBC_128-HMAC_SHA2_256_128): its probe found it offloads AES_GCM_16_128.*; its SAs will run in software (hw_offload_fallback=yes)" <<<"$out"
check "no second probe" test "$(grep -c "offload: probing" "$log")" -eq 1

attempts() { grep -c "^.*\"$1\" #[0-9]*: initiating IKEv2 connection" "$log"; }
up_at=$(date +%s)
out=$(whack west --name c --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "c (fallback=no): --up fails" test "$rc" -ne 0
check "c: with the table-full diagnostic" grep -q \
	"(ENOSPC); hint: the SA table of $NSIM_DEV is full.*not installing this SA (hw_offload_fallback=no)" <<<"$out"
check "c: a full table is retried: next attempt in 30 s" grep -q "next attempt in 30 s" <<<"$out"
out=$(whack west --name d --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "d: --up fails with the ESN hint" bash -c '[ "$1" -ne 0 ] && grep -q "Device doesn.t support offload with ESN (EINVAL); hint: this device cannot offload SAs with extended sequence numbers - try esn=no" <<<"$2"' _ "$rc" "$out"
check "d: a refused ESN is not retried" grep -q "not retried until the conn is replaced (ipsec auto --add)" <<<"$out"
st=$(whack west --status)
echo "$st" | _sw_comment
check "--status keeps c's failure, its diagnostic and the next attempt" grep -qE \
	"^\"c\":   1 failed attempt in a row, the last [0-9]+ s ago: hw_offload: $NSIM_DEV refused inbound SA .*\\(ENOSPC\\).*; next attempt in [0-9]+ s\$" <<<"$st"
check "--status keeps d's failure and says it is not retried" grep -qE \
	"^\"d\":   1 failed attempt in a row, .*Device doesn.t support offload with ESN \\(EINVAL\\).*; not retried until the conn is replaced" <<<"$st"
# The SAs east holds with c's or d's address, either way.
east_sas() { ip -n "$(ns_name east)" xfrm state | grep '^src ' | grep -cE '10\.0\.0\.[45]( |$)'; }
no_east_sas() { [ "$(east_sas)" -eq 0 ]; }
check "east keeps no SA of c or d" wait_for 20 "east to drop c's and d's SAs" no_east_sas

left=$((up_at + 60 - $(date +%s)))
[ "$left" -le 0 ] || sleep "$left"
sed -n '/"c" #/p' "$log" | _sw_comment
check "c: exactly two attempts in the 60 s after --up (--up, and one 30 s later)" test "$(attempts c)" -eq 2
check "c: after the second failure the wait doubles" grep -q '"c" #[0-9]*: next attempt in 60 s' "$log"
check "d: one attempt only" test "$(attempts d)" -eq 1
check "east still keeps no SA of c or d" no_east_sas
sed -n '/"c" #/p' "$d/east/pluto.log" | _sw_comment
check "east's libreswan was told: it deleted c's IKE SA on west's Delete" \
	test "$(grep -c '"c" #[0-9]*: deleting state (STATE_V2_ESTABLISHED_IKE_SA)' "$d/east/pluto.log")" -eq 2
