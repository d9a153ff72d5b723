#!/bin/bash
# Proposal order follows what the NIC can do. Both ends list AES-CBC before
# AES-GCM in esp=; west (this pluto, on a netdevsim port, hw_offload=yes)
# knows from the probe made when its conn was loaded that the port offloads
# AES-GCM-128 only. East is this pluto too, without offload; it takes the
# first of the initiator's proposals it accepts, so what west puts first
# is what both get.
#   west initiates: it proposes AES-GCM first, east takes it: offloaded.
#   east initiates, CBC first: west, answering, prefers what its NIC
#   offloads over the peer's order: AES-GCM again, offloaded.
. "$(dirname "$0")/lib.sh"

offload_rig
d=$SW_LOGDIR
cat >"$d/west.conf" <<CONF
conn t
	left=192.0.2.1
	right=10.0.0.2
	authby=secret
	esp=aes128-sha2_256,aes_gcm128-null
	hw_offload=yes
	auto=add
CONF
cat >"$d/east.conf" <<CONF
conn t
	left=10.0.0.2
	right=192.0.2.1
	authby=secret
	esp=aes128-sha2_256,aes_gcm128-null
	auto=add
CONF
echo '192.0.2.1 10.0.0.2 : PSK "order scenario secret, not a real one"' >"$d/west.secrets"
cp "$d/west.secrets" "$d/east.secrets"
pluto_start west west "$d/west.conf" "$d/west.secrets"
pluto_start east east "$d/east.conf" "$d/east.secrets"
probed() { grep -q "offload: probing $NSIM_DEV once" "$d/west/pluto.log"; }
check "west probed its port when the conn was loaded" wait_for 30 "the probe" probed

offloaded_gcm() {
	local who=$1 out=$2 ts
	check "$who: AES_GCM_16_128 was chosen over the AES-CBC listed first" \
		grep -qE "IPsec SA established tunnel mode .*xfrm=AES_GCM_16_128 esn=no offload=crypto\\($NSIM_DEV\\)\\}" <<<"$out"
	check "$who: netdevsim holds both SAs" grep -q "^SA count=2 " <<<"$(nsim_ipsec "$NSIM_ID")"
	ts=$(whack west --trafficstatus)
	echo "$ts" | _sw_comment
	check "$who: trafficstatus says offload=crypto($NSIM_DEV)" grep -q "offload=crypto($NSIM_DEV)\$" <<<"$ts"
}

out=$(whack west --name t --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "west initiating: --up exits 0" test "$rc" -eq 0
offloaded_gcm "west initiating" "$out"
must whack west --name t --down
no_sa() { esp_is west 0 && esp_is east 0; }
check "after --down no SA on either side" wait_for 20 "the SAs to go" no_sa

mark=$(log_mark "$d/west/pluto.log")
out=$(whack east --name t --up 2>&1); rc=$?
echo "$out" | _sw_comment
check "east initiating (CBC first): --up exits 0" test "$rc" -eq 0
check "east initiating: east got AES_GCM_16_128 too" grep -q "xfrm=AES_GCM_16_128 " <<<"$out"
offloaded_gcm "west answering" "$(log_since "$d/west/pluto.log" "$mark")"
