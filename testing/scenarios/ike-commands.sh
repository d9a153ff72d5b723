#!/bin/bash
# The ipsec front command against a real tunnel (this pluto to this pluto):
# libreswan 5's short verbs, the status lines in libreswan 4.10's shapes
# (showstates, briefstatus, trafficstatus, with --json after --rundir), and
# `ipsec replace`: a tunnel that was up comes back up with the config as
# the file says now, its old SAs gone from both kernels; one that was down
# stays down. The responder, east, runs with only the capabilities of the
# systemd unit's CapabilityBoundingSet=.
. "$(dirname "$0")/lib.sh"

ns_add west east
veth_add west veth0 192.0.2.1/24 east veth1 192.0.2.2/24
pluto_psk_conf west 192.0.2.1 192.0.2.2
# east takes either AES-GCM key size, so west's config may change.
cat >"$SW_LOGDIR/east.conf" <<'CONF'
conn t
	left=192.0.2.2
	right=192.0.2.1
	authby=secret
	esp=aes_gcm128-null,aes_gcm256-null
	auto=add
CONF
echo '192.0.2.2 192.0.2.1 : PSK "pluto-to-pluto test secret, not a real one"' >"$SW_LOGDIR/east.secrets"
# east runs with only the capabilities the systemd unit leaves pluto
# (its CapabilityBoundingSet=, read from packaging/ipsec.service.in): the
# tunnel must come up, its SAs in east's kernel, all the same.
unit=$(dirname "$0")/../../packaging/ipsec.service.in
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
bounding=-all$(for c in $caps; do c=${c#CAP_}; printf ',+%s' "${c,,}"; done)
capbin=/run/swcap$$
mkdir -p "$capbin"
printf '#!/bin/sh\nexec setpriv --bounding-set %s -- %s/pluto "$@"\n' "$bounding" "$BINDIR" >"$capbin/pluto"
chmod +x "$capbin/pluto"
pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
BINDIR=$capbin pluto_start east east "$SW_LOGDIR/east.conf" "$SW_LOGDIR/east.secrets"
echo "# east: pluto under setpriv --bounding-set $bounding"
check "east's pluto has only the unit's capabilities ($caps)" \
	grep -qx 'CapEff:	0000000000001400' "/proc/$(_sw_pluto_field east 3)/status"
# ipsec NAME ARGS...: the front command, for pluto NAME, --rundir last.
ipsec() {
	local name=$1 nsn; shift
	nsn=$(_sw_pluto_field "$name" 2) || return 1
	ns "$nsn" "$BINDIR/ipsec" "$@" --rundir "$SW_RUNDIR/$name"
}
# The kernel builds its AES-GCM on first use: before IKE_AUTH's timers run.
xfrm_warm_up west
xfrm_warm_up east
out=$(ipsec west up t 2>&1)
rc=$?
echo "$out" | _sw_comment
check "ipsec up t: exit 0" test "$rc" -eq 0
check "ipsec up t: AES_GCM_16_128 as the config says" grep -q 'xfrm=AES_GCM_16_128 ' <<<"$out"
check "a ping goes through" sw_ping west -c 2 -W 5 192.0.2.2
old_spi=$(esp_spi west 192.0.2.1 192.0.2.2)

out=$(ipsec west showstates 2>&1)
echo "$out" | _sw_comment
check "showstates: the IKE SA line" \
	grep -qE '^#[0-9]+: "t":500 STATE_V2_ESTABLISHED_IKE_SA \(established IKE SA\); REKEY in [0-9]+s; newest;$' <<<"$out"
check "showstates: the child SA line" \
	grep -qE '^#[0-9]+: "t":500 STATE_V2_ESTABLISHED_CHILD_SA \(established Child SA\); REKEY in [0-9]+s; newest; eroute owner; IKE SA #[0-9]+;$' <<<"$out"
check "showstates: the traffic line counts the ping, offload last" \
	grep -qE '^#[0-9]+: "t" esp\.[0-9a-f]+@192\.0\.2\.2 esp\.[0-9a-f]+@192\.0\.2\.1 tun\.0@192\.0\.2\.2 tun\.0@192\.0\.2\.1 Traffic: ESPin=[1-9][0-9]*B ESPout=[1-9][0-9]*B ESPmax=2\^63B offload=none$' <<<"$out"
out=$(ipsec west briefstatus 2>&1)
echo "$out" | _sw_comment
check "briefstatus: one conn loaded and active" grep -qx 'Total IPsec connections: loaded 1, active 1' <<<"$out"
check "briefstatus: one authenticated IKE SA" \
	grep -qx 'IKE SAs: total(1), half-open(0), open(0), authenticated(1), anonymous(0)' <<<"$out"
check "briefstatus: one IPsec SA" grep -qx 'IPsec SAs: total(1), authenticated(1), anonymous(0)' <<<"$out"
out=$(ns west "$BINDIR/ipsec" trafficstatus --json --rundir "$SW_RUNDIR/west" 2>&1)
echo "$out" | _sw_comment
check "trafficstatus --json --rundir D: JSON with the SA's bytes" \
	grep -qE '^\[ \{"serial": [0-9]+, "conn": "t", "instance": 0, "type": "ESP", "add_time": [0-9]+, "inBytes": [1-9][0-9]*, ' <<<"$out"

# replace a tunnel that is up: new config, new SAs, the old ones gone
sed -i 's/esp=aes_gcm128-null/esp=aes_gcm256-null/' "$SW_LOGDIR/west.conf"
out=$(ipsec west replace t --config "$SW_LOGDIR/west.conf" 2>&1)
rc=$?
echo "$out" | _sw_comment
check "ipsec replace t: exit 0 once it is up again" test "$rc" -eq 0
check "ipsec replace t: the conn is deleted and added" \
	grep -q '"t": added IKEv2 connection' <<<"$out"
check "ipsec replace t: up again with the new esp= (AES_GCM_16_256)" grep -q 'xfrm=AES_GCM_16_256 ' <<<"$out"
check "the old SAs are gone from west's kernel" bash -c "! ip -n $(ns_name west) xfrm state | grep -q 'spi $old_spi'"
wait_for 10 "east to drop the old SAs" esp_one_pair west 192.0.2.1 east 192.0.2.2 &&
	ok "both kernels hold the same one pair of SAs" || not_ok "both kernels hold the same one pair of SAs"
check "a ping goes through the new tunnel" sw_ping west -c 2 -W 5 192.0.2.2

# replace a tunnel that is down: it stays down
check "ipsec down t" ipsec west down t
wait_for 10 "the SAs to go" esp_is west 0 || true
out=$(ipsec west replace t --config "$SW_LOGDIR/west.conf" 2>&1)
rc=$?
echo "$out" | _sw_comment
check "ipsec replace of a conn that is down: exit 0" test "$rc" -eq 0
check "... and it stays down (no SA in west's kernel)" test -z "$(ip -n "$(ns_name west)" xfrm state)"
check "briefstatus: loaded 1, active 0" grep -qx 'Total IPsec connections: loaded 1, active 0' <<<"$(ipsec west briefstatus)"
rm -rf "$capbin"
