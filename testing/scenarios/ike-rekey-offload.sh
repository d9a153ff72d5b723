#!/bin/bash
# Offload across rekeys (issue 11), pluto to pluto on the offload rig:
# west's endpoint 192.0.2.1 sits on a netdevsim port (a table of 33 SAs),
# east (no offload) answers over veth. Each rekeyed child's offload is
# decided afresh, so what the NIC's table holds at that moment counts.
# 1. t (hw_offload=yes) comes up offloaded: netdevsim holds its 2 SAs.
#    West rekeys it: the wire slowed (netem) so the old child's Delete
#    takes a while, netdevsim holds both children (4), then only the new
#    one (2), under the SPIs both kernels use, and the pings are counted
#    on it. East rekeys it: west, the responder, installs the new inbound
#    SA at once (3) and the outbound one when east's Delete comes (2).
# 2. 31 foreign SAs fill the table beside t's 2; west rekeys t
#    (hw_offload_fallback=yes): the new child runs in software with the
#    table-full diagnostic, and carries the pings. The foreign SAs go;
#    the next rekey is offloaded again.
# 3. h (hw_offload_fallback=no), the table full beside it: west's rekey
#    is refused by its own NIC after the exchange, so west deletes the
#    new child and east, which had made it current, goes back to the old
#    one; east's rekey is answered NO_PROPOSAL_CHOSEN. Each time both
#    kernels are left with h's old pair, offloaded, carrying the pings.
. "$(dirname "$0")/lib.sh"

offload_rig
must ip -n "$(ns_name east)" addr add 10.0.0.3/24 dev veth1
d=$SW_LOGDIR
# A long retransmit interval: on the slowed wire (6 s one way) the
# requests would otherwise be sent again while their answers are on the way.
west_conn() { # NAME EAST-ADDRESS FALLBACK
	printf 'conn %s\n\tleft=192.0.2.1\n\tright=%s\n\tauthby=secret\n\tesp=aes_gcm128-null\n' "$1" "$2"
	printf '\thw_offload=yes\n\thw_offload_fallback=%s\n\tretransmit-interval=15000\n\tauto=add\n\n' "$3"
}
east_conn() { # NAME EAST-ADDRESS
	printf 'conn %s\n\tleft=%s\n\tright=192.0.2.1\n\tauthby=secret\n\tesp=aes_gcm128-null\n' "$1" "$2"
	printf '\tretransmit-interval=15000\n\tauto=add\n\n'
}
{ west_conn t 10.0.0.2 yes; west_conn h 10.0.0.3 no; } >"$d/west.conf"
{ east_conn t 10.0.0.2; east_conn h 10.0.0.3; } >"$d/east.conf"
for a in 10.0.0.2 10.0.0.3; do echo "192.0.2.1 $a : PSK \"offload rekey secret, not a real one\""; done >"$d/west.secrets"
cp "$d/west.secrets" "$d/east.secrets"
pluto_start west west "$d/west.conf" "$d/west.secrets"
pluto_start east east "$d/east.conf" "$d/east.secrets"
wlog=$d/west/pluto.log elog=$d/east/pluto.log
crypto="crypto($NSIM_DEV)"

# netdevsim's count of offloaded SAs, and the SPIs it holds (0x%08x, as
# `ip xfrm state` shows them), sorted.
nsim_count() { nsim_ipsec "$NSIM_ID" | sed -n 's/^SA count=\([0-9]*\) .*/\1/p'; }
nsim_is() { [ "$(nsim_count)" = "$1" ]; }
nsim_spis() { nsim_ipsec "$NSIM_ID" | grep -o 'spi=0x[0-9a-f]*' | sed 's/^spi=//' | sort; }
# The 31 foreign SAs that fill the table (192.0.2.1 -> 192.0.2.9, SPIs 0x5001...).
foreign=("$BINDIR/xfrm-driver" add-sa --src 192.0.2.1 --dst 192.0.2.9 --spi 0x5001 --count 31
	--esp aes_gcm128 --offload "$NSIM_DEV" --reqid 0x100)
# Exactly these SPIs (of west's tunnel SAs) in netdevsim, besides the foreign ones.
nsim_holds_only() { [ "$(nsim_spis | grep -v '^0x000050')" = "$(printf '%s\n' "$@" | sort)" ]; }
full_with() { nsim_is 33 && nsim_holds_only "$@"; }
# West's pair of the tunnel to east's address $1: "OUT IN".
west_pair() { echo "$(esp_spi west 192.0.2.1 "$1") $(esp_spi west "$1" 192.0.2.1)"; }
esp_between() { ip -n "$(ns_name "$1")" xfrm state list src "$2" dst "$3" proto esp | grep -c '^src'; }
# one_pair E: both kernels hold one tunnel's pair with east's address E,
# the same SPIs, and nothing else but the foreign SAs (east has none).
one_pair() {
	local e=$1 n
	for n in west east; do
		[ "$(esp_between $n 192.0.2.1 "$e")" = 1 ] && [ "$(esp_between $n "$e" 192.0.2.1)" = 1 ] || return 1
	done
	esp_is east 2 && esp_is west $((2 + $(esp_between west 192.0.2.1 192.0.2.9))) &&
		[ "$(esp_spi west 192.0.2.1 "$e")" = "$(esp_spi east 192.0.2.1 "$e")" ] &&
		[ "$(esp_spi west "$e" 192.0.2.1)" = "$(esp_spi east "$e" 192.0.2.1)" ]
}
# spis_new OLD NEW: NEW is a pair and none of its SPIs is in OLD.
spis_new() { local s n=0; for s in $2; do case " $1 " in *" $s "*) return 1 ;; esac; n=$((n + 1)); done; [ $n -eq 2 ]; }
logged_since() { log_since "$1" "$2" | grep -E "$3" >/dev/null; }
# The slowed wire holds each of west's messages 6 s: a rekey's window
# (between the new child's install and the old one's removal) stays open
# that long, long enough to be seen by polling on a busy TCG guest (3 s
# was once too short at load 9: whack returned after the window).
slow_wire() { must ns west tc qdisc add dev veth0 root netem delay 6000ms; }
fast_wire() { must ns west tc qdisc del dev veth0 root; }
# carries WHO CONN E OFFLOAD: pings from west to E pass, counted by the
# pair's SAs on both sides; west's trafficstatus shows CONN with OFFLOAD.
carries() {
	local who=$1 conn=$2 e=$3 offload=$4 out w0 e0 w1 e1 ts line
	out=$(esp_spi west 192.0.2.1 "$e")
	w0=$(sa_packets west "$out") e0=$(sa_packets east "$out")
	check "$who: pings pass" sw_ping west -c 3 -i 0.2 -W 5 -I 192.0.2.1 "$e"
	w1=$(sa_packets west "$out") e1=$(sa_packets east "$out")
	check "$who: west's outbound SA $out encrypted them (${w0:-0} -> ${w1:-0} packets)" test "${w1:-0}" -ge $((${w0:-0} + 3))
	check "$who: east's inbound SA decrypted them (${e0:-0} -> ${e1:-0} packets)" test "${e1:-0}" -ge $((${e0:-0} + 3))
	ts=$(whack west --trafficstatus)
	echo "$ts" | _sw_comment
	line=$(grep "\"$conn\", type=ESP, " <<<"$ts")
	check "$who: trafficstatus shows $conn with offload=$offload" test -n "$line" -a "${line##*, offload=}" = "$offload"
}
# After a rekey of t: one pair, agreed, new, in netdevsim as OFFLOAD says
# (crypto: that pair alone; else none of west's), and it carries pings.
after_rekey() { # WHO OLD-PAIR OFFLOAD
	local who=$1 old=$2 offload=$3 new
	check "$who: one pair each side, agreed" wait_for 20 "the old SAs to go" one_pair 10.0.0.2
	new=$(west_pair 10.0.0.2)
	check "$who: under new SPIs (out in: $old -> $new)" spis_new "$old" "$new"
	if [ "$offload" = "$crypto" ]; then
		# shellcheck disable=SC2086 # two SPIs
		check "$who: netdevsim holds the new pair's SAs and nothing of the old" nsim_holds_only $new
	else
		check "$who: netdevsim holds nothing of west's" nsim_holds_only
	fi
	carries "$who" t 10.0.0.2 "$offload"
}

# 1. Offloaded, rekeyed from either end.
must modprobe sch_netem
must whack west --name t --up
check "up: one pair each side, agreed" wait_for 20 "the tunnel" one_pair 10.0.0.2
pair=$(west_pair 10.0.0.2)
carries "up" t 10.0.0.2 "$crypto"
# shellcheck disable=SC2086 # two SPIs
check "up: netdevsim holds the pair's two SAs" nsim_holds_only $pair

slow_wire
mw=$(log_mark "$wlog")
must whack west --name t --rekey-ipsec
check "west's rekey: netdevsim holds both children (4) while the old one's Delete is on its way" \
	wait_for 20 "4 SAs in netdevsim" nsim_is 4
check "west's rekey: the new child is offloaded" wait_for 20 "the rekey" logged_since "$wlog" "$mw" \
	"\"t\" #[0-9]+: IPsec SA established tunnel mode, rekeying #[0-9]+ \\(we started it\\) .*offload=crypto\\($NSIM_DEV\\)\\}"
check "west's rekey: then only the new one (2)" wait_for 20 "2 SAs in netdevsim" nsim_is 2
fast_wire
after_rekey "west's rekey" "$pair" "$crypto"

pair=$(west_pair 10.0.0.2)
slow_wire
mw=$(log_mark "$wlog")
must whack east --name t --rekey-ipsec
check "east's rekey: west installs the new inbound SA at once, offloaded (3)" \
	wait_for 20 "3 SAs in netdevsim" nsim_is 3
check "east's rekey: then its outbound one, as the old child goes (2)" wait_for 20 "2 SAs in netdevsim" nsim_is 2
fast_wire
log_since "$wlog" "$mw" | _sw_comment
after_rekey "east's rekey" "$pair" "$crypto"

# 2. The table filled between two rekeys, fallback=yes.
must ns west "${foreign[@]}"
check "t's two SAs and 31 foreign ones fill the table" nsim_is 33
pair=$(west_pair 10.0.0.2)
mw=$(log_mark "$wlog")
must whack west --name t --rekey-ipsec
check "table full: west's rekey falls back to software with the table-full diagnostic" \
	wait_for 20 "the diagnostic" logged_since "$wlog" "$mw" \
	"hw_offload: $NSIM_DEV refused (inbound|outbound) SA esp\\.[0-9a-f]{8}@[0-9.]+ \\(AES_GCM_16_128\\): .*\\(ENOSPC\\); hint: the SA table of $NSIM_DEV is full \\(33 SAs offloaded there now\\).*; running this SA in software \\(hw_offload_fallback=yes\\)"
check "table full: the rekey completes, the new child in software" wait_for 20 "the rekey" logged_since "$wlog" "$mw" \
	"IPsec SA established tunnel mode, rekeying #[0-9]+ \\(we started it\\) .*offload=software\\($NSIM_DEV refused: table full\\)\\}"
log_since "$wlog" "$mw" | _sw_comment
check "table full: the old child's slots are freed (31 foreign SAs left)" wait_for 20 "31 SAs in netdevsim" nsim_is 31
after_rekey "table full" "$pair" "software($NSIM_DEV refused: table full)"

must ns west "$BINDIR/xfrm-driver" flush --reqid 0x100
check "the foreign SAs are gone" nsim_is 0
pair=$(west_pair 10.0.0.2)
mw=$(log_mark "$wlog")
must whack west --name t --rekey-ipsec
check "table free again: the next rekey is offloaded" wait_for 20 "the rekey" logged_since "$wlog" "$mw" \
	"IPsec SA established tunnel mode, rekeying #[0-9]+ \\(we started it\\) .*offload=crypto\\($NSIM_DEV\\)\\}"
after_rekey "table free again" "$pair" "$crypto"

# 3. The table full, fallback=no: the rekey fails, the old child goes on.
must whack west --name t --down
no_esp() { esp_is west 0 && esp_is east 0; }
check "t is down on both sides" wait_for 20 "no SA left" no_esp
out=$(whack west --name h --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "h: up, offloaded" bash -c '[ "$1" -eq 0 ] && grep "offload=crypto($2)}" <<<"$3" >/dev/null' _ "$rc" "$NSIM_DEV" "$out"
must ns west "${foreign[@]}"
check "h's two SAs and 31 foreign ones fill the table" nsim_is 33
pair=$(west_pair 10.0.0.3)
# h's old pair is still both sides' one pair, offloaded on west beside
# the foreign SAs, and carries pings.
h_holds() { # WHO
	local who=$1
	check "$who: both kernels hold one pair of h" wait_for 20 "one pair" one_pair 10.0.0.3
	check "$who: h's old pair ($pair)" test "$(west_pair 10.0.0.3)" = "$pair"
	# shellcheck disable=SC2086 # two SPIs
	check "$who: netdevsim still holds it, and the 31 foreign SAs" full_with $pair
	carries "$who" h 10.0.0.3 "$crypto"
}

mw=$(log_mark "$wlog") me=$(log_mark "$elog")
must whack west --name h --rekey-ipsec
check "fallback=no, west's rekey: its NIC refuses the new child, with the diagnostic" \
	wait_for 20 "the refusal" logged_since "$wlog" "$mw" \
	"\"h\" #[0-9]+: hw_offload: $NSIM_DEV refused inbound SA .*\\(ENOSPC\\); hint: the SA table of $NSIM_DEV is full.*; not installing this SA \\(hw_offload_fallback=no\\)"
check "fallback=no, west's rekey: west says the rekeyed SA was not installed and the old one runs on" \
	wait_for 20 "the failure" logged_since "$wlog" "$mw" \
	"\"h\" #[0-9]+: the rekeyed IPsec SA was not installed; the old one runs until it expires"
check "fallback=no, west's rekey: east deletes the child it made for it, and goes on with the old one" \
	wait_for 20 "east's deletion" logged_since "$elog" "$me" \
	"\"h\" #[0-9]+: the peer deleted the IPsec SA of its rekey \\(it could not install it\\); IPsec SA #[0-9]+ goes on"
check_fails "fallback=no, west's rekey: east does not take it for the end of the tunnel" \
	logged_since "$elog" "$me" "the peer deleted the IPsec SA\$"
log_since "$wlog" "$mw" | _sw_comment
log_since "$elog" "$me" | _sw_comment
h_holds "fallback=no, west's rekey"

mw=$(log_mark "$wlog") me=$(log_mark "$elog")
must whack east --name h --rekey-ipsec
check "fallback=no, east's rekey: west refuses it (NO_PROPOSAL_CHOSEN)" wait_for 20 "the refusal" logged_since "$wlog" "$mw" \
	"\"h\" #[0-9]+: the rekeyed IPsec SA was not installed; answering NO_PROPOSAL_CHOSEN"
check "fallback=no, east's rekey: east hears it and keeps the old child" wait_for 20 "east's log" logged_since "$elog" "$me" \
	"the peer refused to rekey the IPsec SA: NO_PROPOSAL_CHOSEN"
log_since "$wlog" "$mw" | _sw_comment
log_since "$elog" "$me" | _sw_comment
h_holds "fallback=no, east's rekey"
