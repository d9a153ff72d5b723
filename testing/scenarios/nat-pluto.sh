#!/bin/bash
# NAT traversal, pluto to pluto: west (192.0.2.1 on a netdevsim port) sits
# behind a namespace that masquerades it as 198.51.100.1 with random ports;
# east (198.51.100.2) answers. Both find the NAT from the NAT_DETECTION
# notifies, IKE moves to port 4500, the ESP SAs go in UDP ("encap type
# espinudp") and a ping passes through them. West, behind the NAT, sends
# keepalives. When the NAT forgets its mappings, west's next message comes
# from a new port and east's IKE SA and outbound SA follow it. A conn that
# asks for offload runs in software behind the NAT with one line saying
# why (hw_offload_fallback=yes), or is refused (=no).
. "$(dirname "$0")/lib.sh"

nat_rig
d=$SW_LOGDIR
wlog=$d/west/pluto.log elog=$d/east/pluto.log
psk="nat test secret, not a real one"
nat_west_conf "$psk" "keep-alive=1" "dpddelay=2"
cat >>"$d/west.conf" <<CONF

conn offload-fallback
	also=t
	hw_offload=yes
	dpddelay=0
	auto=ignore

conn offload-refused
	also=t
	hw_offload=yes
	hw_offload_fallback=no
	dpddelay=0
	auto=ignore
CONF
cat >"$d/east.conf" <<CONF
conn t
	left=198.51.100.2
	leftid=@east
	right=198.51.100.1
	rightsubnet=192.0.2.1/32
	rightid=@west
	authby=secret
	esp=aes_gcm128-null
	auto=add
CONF
cp "$d/west.secrets" "$d/east.secrets"
xfrm_warm_up west
pluto_start west west "$d/west.conf" "$d/west.secrets"
pluto_start east east "$d/east.conf" "$d/east.secrets"
check "east listens on port 4500 as well as 500" grep -q 'listening for IKE messages on 198.51.100.2 port 4500' "$elog"

# 1. Through the NAT.
nat_up "through the NAT"
check "east finds the peer behind it" grep -q 'NAT-T: the peer is behind NAT; ESP goes in UDP' "$elog"
check "east saw IKE_AUTH arrive on its port 4500" grep -q 'the peer moved to port 4500: now 198.51.100.1 port' "$elog"
nat_port=$NAT_PORT
o=$(whack west --trafficstatus)
echo "$o" | _sw_comment
check "west's trafficstatus: traffic both ways, offload=none" \
	grep -qE "\"t\", type=ESP, .*inBytes=[1-9][0-9]*, outBytes=[1-9][0-9]*, .*offload=none" <<<"$o"
o=$(whack west --status)
check "west's --status says NAT-T is in use" grep -q 'NAT-T: this end is behind NAT; IKE on port 4500 to 4500' <<<"$o"

# 2. West, behind the NAT, keeps its mapping with keepalives (keep-alive=1).
keepalives_reach() { [ "$(nat_keepalives)" -ge "$1" ]; }
k0=$(nat_keepalives)
echo "# keepalives through the NAT so far: $k0"
check "west's keepalives pass the NAT" wait_for 15 "two more keepalives" keepalives_reach $((k0 + 2))

# 3. The NAT forgets its mappings: west's next IKE message (a liveness
# check, dpddelay=2, once east's ESP stops reaching it) leaves from a new
# port; east follows it, and east's outbound SA with it.
mark=$(log_mark "$elog")
nat_forget
sw_ping west -c 1 -W 1 -I 192.0.2.1 198.51.100.2 >/dev/null 2>&1
check "east follows the peer's new NAT mapping" wait_for 30 "east to follow" \
	_sw_logged_since "$elog" "$mark" "the peer's NAT mapping changed: port $nat_port is now"
new_port=$(nat_port_at_east)
echo "# the NAT maps west's port 4500 to $new_port now"
check "east's outbound SA goes to the new port" test -n "$new_port" -a "$new_port" != "$nat_port"
check "and pings pass again" wait_for 20 "a ping through" sw_ping west -c 1 -W 2 -I 192.0.2.1 198.51.100.2
must whack west --name t --down
no_esp() { esp_is west 0 && esp_is east 0; }
check "after --down neither end holds an ESP SA" wait_for 20 "the SAs to go" no_esp

# 4. Offload behind the NAT: Linux 6.1 cannot offload ESP in UDP. (Added
# only now: adding the first conn that asks for offload probes netdevsim,
# which under TCG takes a while.)
for c in offload-fallback offload-refused; do must whack west --name $c --add --config "$d/west.conf"; done
mark=$(log_mark "$wlog")
out=$(whack west --name offload-fallback --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "hw_offload=yes behind the NAT comes up" test "$rc" -eq 0
lines=$(grep -c "hw_offload=yes refused: NAT was detected, and this kernel cannot offload NAT-T (UDP-encapsulated) SAs; this conn's SAs will run in software (hw_offload_fallback=yes)" <<<"$out")
check "with one line saying the NAT is why it runs in software ($lines)" test "$lines" -eq 1
o=$(whack west --trafficstatus)
echo "$o" | _sw_comment
check "its trafficstatus says offload=software(NAT-T)" grep -q '"offload-fallback", type=ESP, .*offload=software(NAT-T)' <<<"$o"
check "and a ping passes" sw_ping west -c 2 -W 5 -I 192.0.2.1 198.51.100.2
nsim_holds_none() { nsim_ipsec "$NSIM_ID" | grep 'SA count=0' >/dev/null; }
check "netdevsim holds no SA" nsim_holds_none
must whack west --name offload-fallback --down
check "its SAs go" wait_for 20 "the SAs to go" esp_is west 0

out=$(whack west --name offload-refused --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "hw_offload_fallback=no behind the NAT: --up fails" test "$rc" -ne 0
check "saying why" grep -q "hw_offload=yes refused: NAT was detected, and this kernel cannot offload NAT-T (UDP-encapsulated) SAs; not bringing this IKE SA's tunnel up (hw_offload_fallback=no)" <<<"$out"
check "west installed no SA" esp_is west 0
check "east neither" esp_is east 0
o=$(whack west --status)
echo "$o" | grep '"offload-refused"' | _sw_comment
check "--status keeps the reason" grep -q '"offload-refused":.*NAT was detected' <<<"$o"
