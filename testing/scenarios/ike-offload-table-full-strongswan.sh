#!/bin/bash
# auto=start against a full NIC SA table, with Debian's strongSwan as the
# peer: the planned retry brings the tunnel up once there is room, with no
# user action. West (this pluto) has its endpoint on a netdevsim port, whose
# table holds 33 SAs; 33 foreign SAs fill it before pluto starts. West's conn
# asks hw_offload=yes, esp=aes_gcm128-null, hw_offload_fallback=no and
# auto=start, so pluto initiates by itself when it loads the conn (the path
# `ipsec start` takes; other scenarios bring conns up with --up). East is
# strongSwan (charon, swanctl) at its defaults except what a PSK tunnel
# needs, esp_proposals = aes128gcm16. Shown:
#   a  the probe made when the conn is loaded meets the full table and says
#      it learned nothing (so nothing wrong is believed of the port);
#      the load-time attempt fails with the table-full diagnostic (ENOSPC,
#      "the SA table of nsim0 is full", not installing the SA) and, a full
#      table being a matter of capacity, the log plans the next attempt in
#      30 s;
#   b  strongSwan keeps nothing of it: no ESP SA in east's kernel, and
#      swanctl --list-sas shows neither IKE nor CHILD SA (west's Delete
#      reached it); west keeps only the 33 foreign SAs;
#   c  whack --status shows the failure, its diagnostic and the next attempt;
#   d  once three foreign SAs are deleted, the planned attempt (30 s after
#      the failure, or on a machine so slow that the next one failed too,
#      60 s after that) brings the tunnel up by itself: both SAs crypto-offloaded
#      to the port, strongSwan's child INSTALLED with the same SPIs, ping
#      through it, trafficstatus offload=crypto(nsim0), and --status no
#      longer shows a failure;
#   e  no attempt but the one at load and the planned ones.
# Why: a user who starts pluto while the NIC is busy must not have to come
# back and type --up, and the peer must not pile up SAs meanwhile.
. "$(dirname "$0")/lib.sh"

offload_rig
psk=table-full-retry-secret-not-a-real-one
d=$SW_LOGDIR
log=$d/west/pluto.log

# 33 foreign SAs (SPIs 0x5001-0x5021, reqid 0x100: outside pluto's range,
# which it cleans at start) fill the port's table.
must ns west "$BINDIR/xfrm-driver" add-sa --src 192.0.2.1 --dst 192.0.2.9 --spi 0x5001 --count 33 \
	--esp aes_gcm128 --offload "$NSIM_DEV" --reqid 0x100
check "33 foreign SAs fill the table before pluto starts" grep -q "^SA count=33 " <<<"$(nsim_ipsec "$NSIM_ID")"

cat >"$d/west.conf" <<CONF
conn t
	left=192.0.2.1
	right=10.0.0.2
	authby=secret
	esp=aes_gcm128-null
	hw_offload=yes
	hw_offload_fallback=no
	auto=start
CONF
echo "192.0.2.1 10.0.0.2 : PSK \"$psk\"" >"$d/west.secrets"
swanctl_psk_conf 10.0.0.2 192.0.2.1 "$psk" aes128gcm16 >"$d/east.swanctl.conf"
# strongSwan first, so that the attempt pluto makes at load meets it.
strongswan_start east east "$d/east.swanctl.conf"
pluto_start west west "$d/west.conf" "$d/west.secrets"
ok "strongSwan $STRONGSWAN_VERSION and this pluto are running; nobody types --up"

attempts() { grep -c "\"t\" #[0-9]*: initiating IKEv2 connection" "$log"; }
failed() { grep -q "\"t\" #[0-9]*: next attempt in 30 s" "$log"; }

# a. The attempt made at load.
check "pluto initiated t by itself when it loaded it (auto=start)" wait_for 20 "the first attempt" \
	grep -q "\"t\" #[0-9]*: initiating IKEv2 connection to 10.0.0.2" "$log"
check "the attempt at load fails; the log plans the next attempt in 30 s" wait_for 40 "the failure" failed
sed -n '/"t"/p' "$log" | _sw_comment
check "a: the table-full diagnostic: ENOSPC, the table of $NSIM_DEV is full, SA not installed" grep -qE \
	"\"t\" #[0-9]+: hw_offload: $NSIM_DEV refused (inbound|outbound) SA esp\\.[0-9a-f]{8}@[0-9.]+ \\(AES_GCM_16_128\\): ${KX_TABLE_FULL} \\(ENOSPC\\); hint: the SA table of $NSIM_DEV is full \\(33 SAs offloaded there now\\).*; not installing this SA \\(hw_offload_fallback=no\\)\$" "$log"
check "a: one attempt so far" test "$(attempts)" -eq 1
check "a: the probe made at load met the full table, and says it learned nothing" grep -q \
	"\"t\": offload: $NSIM_DEV's SA table is full, so its probe learned nothing" "$log"

# b. Nothing is left, on either side.
swan_has_t() { swanctl_run east --list-sas 2>&1 | grep -qE "^ *t: #"; }
east_clean() { esp_is east 0 && ! swan_has_t; }
check "b: east's kernel holds no ESP SA and swanctl --list-sas shows no IKE or CHILD SA" \
	wait_for 20 "strongSwan to drop the attempt's SAs" east_clean
o=$(swanctl_run east --list-sas 2>&1)
[ -z "$o" ] || echo "$o" | _sw_comment
check "b: strongSwan deleted the IKE SA on west's Delete (charon's log)" \
	grep -qE "received DELETE for IKE_SA t\[[0-9]+\]" "$d/east/charon.log"
check "b: west holds only the 33 foreign SAs" esp_is west 33

# c. --status keeps the failure.
st=$(whack west --status)
echo "$st" | _sw_comment
# (On a slow machine the planned attempt may be under way already: then
# there is no next one to show yet.)
failure_shown() {
	local failure="^\"t\":   [0-9]+ failed attempts? in a row, the last [0-9]+ s ago: hw_offload: $NSIM_DEV refused .*\\(ENOSPC\\); hint: the SA table of $NSIM_DEV is full.*"
	grep -qE "$failure" <<<"$1" || return 1
	grep -qE '^"t": .*; IKE SA: none;' <<<"$1" || return 0
	grep -qE "$failure; next attempt in [0-9]+ s\$" <<<"$1"
}
check "c: --status shows the failure, its ENOSPC diagnostic and the next attempt" failure_shown "$st"

# d. Room in the table; then no user action, only the planned attempt.
printf 'xfrm state delete src 192.0.2.1 dst 192.0.2.9 proto esp spi %s\n' 0x5001 0x5002 0x5003 |
	must ip -n "$(ns_name west)" -batch -
# Counted by SPI: the planned attempt may be installing t's pair already.
foreign_sas() { grep -cE "spi=0x0000(50[01][0-9a-f]|502[01]) " <<<"$(nsim_ipsec "$NSIM_ID")"; }
check "d: three foreign SAs deleted: room for two" test "$(foreign_sas)" -eq 30
up() { grep -q "\"t\" #[0-9]*: IPsec SA established" "$log"; }
# Steps a to c take a few seconds; on a very busy machine they may take
# more than 30 s, and the planned attempt then meets the full table too
# and plans the next one in 60 s: so up to 60 s, and what is checked is
# that the attempt that succeeded is the one planned after the last failure.
check "d: the planned attempt brings t up by itself" wait_for 70 "the planned attempt" up
sed -n '/"t"/p' "$log" | _sw_comment
failures=$(grep -c "\"t\" #[0-9]*: next attempt in [0-9]* s" "$log")
check "d: it is the planned retry (after $failures failed attempts)" \
	grep -qE "\"t\": trying again after $failures failed attempts?\$" "$log"
# The log's time of day (HH:MM:SS.frac, the third field) of the last line matching RE.
log_time() { awk -v re="$1" '$0 ~ re { split($3, t, ":"); at = t[1] * 3600 + t[2] * 60 + t[3] } END { print at }' "$log"; }
planned=$(sed -n 's/.*"t" #[0-9]*: next attempt in \([0-9]*\) s$/\1/p' "$log" | tail -n 1)
gap=$(awk -v a="$(log_time '"t" #[0-9]+: next attempt in')" -v b="$(log_time '"t": trying again')" \
	'BEGIN { g = b - a; if (g < 0) g += 86400; printf "%.1f", g }')
check "d: ${planned:-?} s after the last failure, as planned (${gap} s)" \
	awk -v g="$gap" -v p="${planned:-0}" 'BEGIN { exit !(p > 0 && g >= p - 0.5 && g <= p + 2) }'
check "d: established crypto-offloaded to $NSIM_DEV, without ESN" \
	grep -q "\"t\" #[0-9]*: IPsec SA established tunnel mode {.* xfrm=AES_GCM_16_128 esn=no offload=crypto($NSIM_DEV)}" "$log"
check "d: west holds the 30 foreign SAs and t's two" wait_for 10 "west's SAs" esp_is west 32
check "d: east holds two ESP SAs" wait_for 20 "east's SAs" esp_is east 2
out=$(esp_spi west 192.0.2.1 10.0.0.2) in=$(esp_spi west 10.0.0.2 192.0.2.1)
check "d: both kernels hold the same pair (SPIs $out, $in)" \
	test -n "$out" -a -n "$in" -a "$(esp_spi east 192.0.2.1 10.0.0.2)" = "$out" -a "$(esp_spi east 10.0.0.2 192.0.2.1)" = "$in"
xfrm_sa west "$out" | _sw_comment
xfrm_sa west "$in" | _sw_comment
check "d: west's outbound SA is crypto-offloaded to the port" \
	grep -q "crypto offload parameters: dev $NSIM_DEV dir out\$" <<<"$(xfrm_sa west "$out")"
check "d: west's inbound SA is crypto-offloaded to the port" \
	grep -q "crypto offload parameters: dev $NSIM_DEV dir in\$" <<<"$(xfrm_sa west "$in")"
check "d: netdevsim holds 32 SAs (30 foreign, t's two)" grep -q "^SA count=32 " <<<"$(nsim_ipsec "$NSIM_ID")"
o=$(swanctl_run east --list-sas 2>&1)
echo "$o" | _sw_comment
check "d: swanctl --list-sas shows the child INSTALLED, GCM-128 without ESN" \
	grep -qE "^ +t: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL, ESP:AES_GCM_16-128\$" <<<"$o"
# strongSwan's inbound SA is west's outbound one.
check "d: strongSwan's child holds the same SPIs" \
	bash -c 'grep -qE "^ +in +${2#0x}," <<<"$1" && grep -qE "^ +out +${3#0x}," <<<"$1"' _ "$o" "$out" "$in"
check "d: ping through the tunnel" sw_ping west -c 2 -W 5 -I 192.0.2.1 10.0.0.2
e_in=$(sa_packets east "$out")
check "d: east's inbound SA decrypted the pings ($e_in packets)" test "${e_in:-0}" -ge 2
o=$(whack west --trafficstatus)
echo "$o" | _sw_comment
check "d: trafficstatus says offload=crypto($NSIM_DEV), with traffic" \
	grep -qE "^#[0-9]+: \"t\", type=ESP, .*inBytes=[1-9][0-9]*, outBytes=[1-9][0-9]*, .*offload=crypto\\($NSIM_DEV\\)\$" <<<"$o"
st=$(whack west --status)
echo "$st" | _sw_comment
check "d: --status no longer shows a failure" bash -c '! grep -q "failed attempt" <<<"$1"' _ "$st"

# e. The attempt at load and the planned ones, nothing else.
check "e: $((failures + 1)) attempts: at load and one after each failure (got $(attempts))" \
	test "$(attempts)" -eq $((failures + 1))
