# shellcheck shell=bash
# lib.sh: sourced by every scenario (`. "$(dirname "$0")/lib.sh"`).
# Scenarios run as root on a kernel with ESP (the test VM or a capable host),
# one after the other, several in one boot: everything made here is removed
# again when the scenario exits, however it exits.
#
#   TAP         ok DESC | not_ok DESC | check DESC CMD... | check_fails DESC CMD...
#               must CMD... (setup: on failure, report and stop)
#   namespaces  ns_add NAME... | ns NAME CMD... | veth_add NS1 DEV1 ADDR1 NS2 DEV2 ADDR2
#               ns_etc NS FILE TEXT (NS's own /etc/hosts, /etc/resolv.conf, ...)
#               sw_ping NS ARGS... (ping, or busybox's)
#   netdevsim   nsim_add NS ADDR [DEV] (sets NSIM_ID, NSIM_DEV) | nsim_ipsec ID
#               offload_rig (west's endpoint on a netdevsim port, east over veth)
#   NAT         nat_rig (west behind a masquerading namespace nat, east outside)
#               nat_west_conf PSK [SETUP [CONN]] (west's tunnel "t" to east, IDs @west, @east)
#               nat_up WHO (west brings "t" up through the NAT, nat_tunnel_checks)
#               nat_tunnel_checks WHO (up through it: ESP in UDP, pings; sets NAT_PORT)
#               nat_port_at_east (where east's outbound SA sends to)
#               nat_keepalives (NAT keepalives nat forwarded) | nat_forget (its mappings)
#   daemon      pluto_start NAME NS CONF SECRETS [NSSDIR] | whack NAME ARGS... | pluto_stop NAME
#               pluto_crash NAME (kill -9: a crash, nothing cleaned up)
#               (log in $SW_LOGDIR/NAME/pluto.log, rundir $SW_RUNDIR/NAME)
#               pluto_psk_conf SIDE LOCAL REMOTE [CONN] (a pluto-to-pluto tunnel "t")
#   certificates nss_db DIR NICK... (an NSS database trusting the test CA,
#               with NICKs' certificates and keys from testing/certs: SW_CERTS)
#   peers       libreswan_start NAME NS CONF SECRETS [NICKS] | libreswan_whack NAME ARGS...
#               libreswan_add NAME CONN | libreswan_stop NAME | libreswan_initnss NAME
#               libreswan_psk_conf LOCAL REMOTE [SETUP [CONN]] (a PSK tunnel "t";
#               CONN with authby=: of certificates)
#               pluto_cert_conf SIDE LOCAL REMOTE NICK RIGHTID [CONN] (a tunnel of
#               certificates) | cert_up_checks WHO PEER MARK_W PEER_LOG MARK_P ERE
#               strongswan_start NAME NS SWANCTL_CONF [CHARON_LINES] | swanctl_run NAME ARGS...
#               swanctl_psk_conf LOCAL REMOTE PSK ESP [IKE] (a PSK tunnel "t")
#               strongswan_stop NAME | peer_crash NAME (kill -9) (Debian's
#               libreswan and strongSwan: see the section at the end)
#   tunnels     tunnel_checks WHO W E [OFFLOAD] (up, same SPIs, pings counted,
#               trafficstatus)
#   rekeying    rekeys_under_ping SECS MAX_LOST PEER_CHECK | peer_rekeys KIND PEER_CHECK CMD...
#               (this pluto, west, against a peer daemon, east)
#   waiting     wait_for SECONDS DESC CMD...
#   logs        log_mark FILE (how far FILE goes now) | log_since FILE MARK
#               (its lines after MARK: what a daemon logged since then)
#   xfrm        xfrm_sa NS SPI [IP-OPTS] (that SA's lines of `ip xfrm state`)
#               xfrm_warm_up NS (the kernel's AES-GCM built before lifetimes count)
#               sa_packets NS SPI (its packet counter)
#               esp_is NS N (exactly N ESP SAs) | esp_spi NS SRC DST
#               esp_one_pair NS1 ADDR1 NS2 ADDR2 (the same two ESP SAs in both)
#               nl_run CMD... (sets NL_RC, NL_OUT and NL_ERRNO, the errno of
#               the netlink error CMD got: `ip` prints only the extended ack)
#   kernel      KX_SERIES, KX_REFUSED_ALG, KX_TABLE_FULL, KX_PACKET, KX_ENCAP:
#               what this kernel and netdevsim answer (docs/kernels.md)
#
# Environment: BINDIR (the programs), SW_LOGDIR (where logs go; kept by the
# runner as the scenario's logs).
set -uo pipefail

BINDIR=${BINDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/bin}
SW_LOGDIR=${SW_LOGDIR:-$(mktemp -d /tmp/sw-logs.XXXXXX)}
mkdir -p "$SW_LOGDIR"
# Namespace names carry a prefix unique to this run of this scenario (the
# runner's, or the PID): two runs on one host cannot collide.
SW_PREFIX=${SW_PREFIX:-sw$$-}
# The daemons' rundirs (control sockets): not under SW_LOGDIR, which in the
# VM is a 9p share, where a unix socket cannot be bound (ENXIO).
SW_RUNDIR=/run/sw$$

_sw_n=0 _sw_failed=0
_sw_dmesg0=$(dmesg 2>/dev/null | wc -l)
_sw_ns=() _sw_nsim=() _sw_pluto=() _sw_peers=()

# --- TAP ------------------------------------------------------------------
ok() { _sw_n=$((_sw_n + 1)); echo "ok $_sw_n - $*"; }
not_ok() { _sw_n=$((_sw_n + 1)); _sw_failed=$((_sw_failed + 1)); echo "not ok $_sw_n - $*"; }
# Prints a command's output as TAP comments, so it cannot pass for a result.
_sw_comment() { sed 's/^/# /'; }

# check DESC CMD...: ok when CMD succeeds.
check() {
	local desc=$1 o; shift
	if o=$("$@" 2>&1); then ok "$desc"; else
		not_ok "$desc"; echo "# failed: $*"; [ -z "$o" ] || echo "$o" | _sw_comment; fi
}
# check_fails DESC CMD...: ok when CMD fails.
check_fails() {
	local desc=$1 o; shift
	if o=$("$@" 2>&1); then
		not_ok "$desc"; echo "# succeeded: $*"; [ -z "$o" ] || echo "$o" | _sw_comment; else ok "$desc"; fi
}
# must CMD...: a setup step; if it fails the scenario cannot go on.
must() {
	local o
	if ! o=$("$@" 2>&1); then
		not_ok "setup: $*"
		[ -z "$o" ] || echo "$o" | _sw_comment
		exit 1
	fi
	[ -z "$o" ] || echo "$o" | _sw_comment
}

# --- waiting ----------------------------------------------------------------
# wait_for SECONDS DESC CMD...: polls CMD until it succeeds; 1 at the deadline.
# SECONDS is what an idle machine needs; the deadline is SW_WAIT_SCALE times
# that (default 3), because make check runs the host's suites beside the VM
# and TCG then runs several times slower. Nothing waits for a deadline to
# pass, so a generous one costs time only when the test fails anyway.
SW_WAIT_SCALE=${SW_WAIT_SCALE:-3}
wait_for() {
	local secs=$(($1 * SW_WAIT_SCALE)) desc=$2 end; shift 2
	end=$(($(date +%s%N) / 1000000 + secs * 1000))
	until "$@" >/dev/null 2>&1; do
		if [ $(($(date +%s%N) / 1000000)) -ge $end ]; then
			echo "# timed out after ${secs} s waiting for $desc"
			return 1
		fi
		sleep 0.2
	done
}
# wait_unscaled SECONDS DESC CMD...: wait_for with the deadline as named,
# for a check that something does not happen in that time (check_fails).
wait_unscaled() { SW_WAIT_SCALE=1 wait_for "$@"; }

# --- logs -------------------------------------------------------------------
# log_mark FILE: how many lines FILE has now (0 when there is none yet).
log_mark() { if [ -e "$1" ]; then wc -l <"$1"; else echo 0; fi; }
# log_since FILE MARK: the lines FILE got after log_mark gave MARK.
log_since() { tail -n +"$(($2 + 1))" "$1"; }

# --- namespaces --------------------------------------------------------------
ns_name() { echo "$SW_PREFIX$1"; }
# ns_add NAME...: new network namespaces with loopback up.
ns_add() {
	local n
	for n in "$@"; do
		must ip netns add "$(ns_name "$n")"
		_sw_ns+=("$n")
		must ip -n "$(ns_name "$n")" link set lo up
	done
}
# ns NAME CMD...: runs CMD in the namespace.
ns() { local n=$1; shift; ip netns exec "$(ns_name "$n")" "$@"; }
# ns_etc NS FILE TEXT: /etc/FILE as the programs run in NS see it (`ip netns
# exec` mounts /etc/netns/NS/FILE over it), e.g. hosts or resolv.conf.
ns_etc() {
	mkdir -p "/etc/netns/$(ns_name "$1")" && printf '%s\n' "$3" >"/etc/netns/$(ns_name "$1")/$2"
}
# sw_ping NS ARGS...: ping in NS (busybox's where the image has no ping).
sw_ping() {
	local n=$1; shift
	if command -v ping >/dev/null; then ns "$n" ping "$@"; else ns "$n" busybox ping "$@"; fi
}
# veth_add NS1 DEV1 ADDR1/LEN NS2 DEV2 ADDR2/LEN: joins two namespaces.
veth_add() {
	must ip link add "$2" netns "$(ns_name "$1")" type veth peer name "$5" netns "$(ns_name "$4")"
	must ip -n "$(ns_name "$1")" addr add "$3" dev "$2"
	must ip -n "$(ns_name "$4")" addr add "$6" dev "$5"
	must ip -n "$(ns_name "$1")" link set "$2" up
	must ip -n "$(ns_name "$4")" link set "$5" up
}

# --- netdevsim ------------------------------------------------------------------
# nsim_add NS ADDR/LEN [DEV]: a new netdevsim device with one port, moved into
# NS as DEV (default nsim0) with ADDR, and up. Sets NSIM_ID and NSIM_DEV.
nsim_add() {
	local nsn=$1 addr=$2 dev=${3:-nsim0} id=100 sysdir net try
	[ -d /sys/bus/netdevsim ] || must modprobe netdevsim
	# The first free id; another run may take it at the same time, so retry.
	while [ -e "/sys/bus/netdevsim/devices/netdevsim$id" ] ||
		! echo "$id 1" >/sys/bus/netdevsim/new_device 2>/dev/null; do
		id=$((id + 1))
		[ $id -lt 200 ] || { not_ok "setup: cannot create a netdevsim device"; exit 1; }
	done
	_sw_nsim+=("$id")
	# For the runner's leak check on a shared host.
	echo "$id" >>"$SW_LOGDIR/.netdevsim-ids"
	sysdir=/sys/bus/netdevsim/devices/netdevsim$id
	wait_for 10 "netdevsim$id's netdev" bash -c "ls '$sysdir/net' | grep -q ." ||
		{ not_ok "setup: netdevsim$id has no netdev"; exit 1; }
	# udev (on a host) may rename it meanwhile: read the name again and retry.
	for try in 1 2 3 4 5; do
		net=$(ls "$sysdir/net" 2>/dev/null | head -n1)
		[ -n "$net" ] && ip link set "$net" netns "$(ns_name "$nsn")" 2>/dev/null && break
		sleep 0.5
		[ $try -lt 5 ] || { not_ok "setup: cannot move netdevsim$id's netdev into $nsn"; exit 1; }
	done
	[ "$net" = "$dev" ] || must ip -n "$(ns_name "$nsn")" link set "$net" name "$dev"
	must ip -n "$(ns_name "$nsn")" addr add "$addr" dev "$dev"
	must ip -n "$(ns_name "$nsn")" link set "$dev" up
	# shellcheck disable=SC2034 # for the scenarios
	NSIM_ID=$id NSIM_DEV=$dev
}
# offload_rig: the offload rig of testing/vm/README.md. Namespaces west and east
# joined by veth (west veth0 10.0.0.1/24, east veth1 10.0.0.2/24); west's
# IPsec endpoint 192.0.2.1/32 sits on a netdevsim port (NSIM_DEV), and east
# routes it via west. IKE and ESP travel over veth; SAs offload to the port.
offload_rig() {
	ns_add west east
	veth_add west veth0 10.0.0.1/24 east veth1 10.0.0.2/24
	nsim_add west 192.0.2.1/32
	must ip -n "$(ns_name east)" route add 192.0.2.1/32 via 10.0.0.1
}
# offload_budget_rig N: offload_rig with N tunnels' addresses, for the NIC
# table's budget (ike-offload-budget, bench/offload-budget.sh): tunnel tK
# joins budget_west_of K (192.0.2.K, on west's netdevsim port) and
# budget_east_of K (10.0.0.K+1 on east), each pair its own, so that no IKE
# SA's INITIAL_CONTACT is about another's peer.
offload_budget_rig() {
	local n
	offload_rig
	# one ip each side: under TCG every process takes its while
	for n in $(seq 2 "$1"); do echo "addr add $(budget_west_of "$n")/32 dev $NSIM_DEV"; done >"$SW_LOGDIR/west.ip"
	for n in $(seq 2 "$1"); do echo "addr add $(budget_east_of "$n")/24 dev veth1"; done >"$SW_LOGDIR/east.ip"
	echo "route add 192.0.2.0/24 via 10.0.0.1" >>"$SW_LOGDIR/east.ip"
	must ip -n "$(ns_name west)" -batch "$SW_LOGDIR/west.ip"
	must ip -n "$(ns_name east)" -batch "$SW_LOGDIR/east.ip"
}
budget_west_of() { echo "192.0.2.$1"; }
budget_east_of() { echo "10.0.0.$(($1 + 1))"; }
# offload_budget_confs DIR N SETUP WEST EAST: DIR/{west,east}.{conf,secrets}
# for tunnels t1-tN (PSK, esp=aes_gcm128-null, west's with hw_offload=yes,
# t1's with hw_offload_priority=10); SETUP goes into west's config setup,
# WEST and EAST into each conn of that side (printf escapes: \t, \n).
offload_budget_confs() {
	local dir=$1 n=$2 setup=$3 west=$4 east=$5 k
	mkdir -p "$dir"
	{
		printf "config setup\n$setup\n"
		for k in $(seq 1 "$n"); do
			printf 'conn t%s\n\tleft=%s\n\tright=%s\n\tauthby=secret\n\tesp=aes_gcm128-null\n\thw_offload=yes\n' \
				"$k" "$(budget_west_of "$k")" "$(budget_east_of "$k")"
			printf "$west\tauto=add\n"
			[ "$k" -ne 1 ] || printf '\thw_offload_priority=10\n'
			echo
		done
	} >"$dir/west.conf"
	for k in $(seq 1 "$n"); do
		printf 'conn t%s\n\tleft=%s\n\tright=%s\n\tauthby=secret\n\tesp=aes_gcm128-null\n' \
			"$k" "$(budget_east_of "$k")" "$(budget_west_of "$k")"
		printf "$east\tauto=add\n\n"
	done >"$dir/east.conf"
	for k in $(seq 1 "$n"); do
		echo "$(budget_west_of "$k") $(budget_east_of "$k") : PSK \"offload budget secret, not a real one\""
	done >"$dir/west.secrets"
	cp "$dir/west.secrets" "$dir/east.secrets"
}
# budget_up NAME K...: pluto NAME brings tunnels tK up, all at once, and
# waits for each (their whack output in $SW_LOGDIR/up-NAME-tK.out).
budget_up() {
	local name=$1 k pids=() rc=0; shift
	for k in "$@"; do whack "$name" --name "t$k" --up >"$SW_LOGDIR/up-$name-t$k.out" 2>&1 & pids+=($!); done
	for k in "${pids[@]}"; do wait "$k" || rc=1; done
	return $rc
}
# nat_rig: west behind a NAT. West's IPsec endpoint 192.0.2.1/32 sits on a
# netdevsim port (NSIM_DEV), as in offload_rig; its way out is veth0
# 10.1.0.2/24 to namespace nat (in0 10.1.0.1/24), which masquerades what it
# forwards out of out0 198.51.100.1/24 (nftables, random source ports, as a
# NAT short of ports would) towards east's veth1 198.51.100.2/24. East
# routes everything via nat and knows west only as 198.51.100.1 and the
# ports the NAT chose.
nat_rig() {
	local m
	for m in nf_conntrack nf_nat nf_tables nft_chain_nat nft_masq; do must modprobe "$m"; done
	ns_add west nat east
	veth_add west veth0 10.1.0.2/24 nat in0 10.1.0.1/24
	veth_add nat out0 198.51.100.1/24 east veth1 198.51.100.2/24
	nsim_add west 192.0.2.1/32
	must ip -n "$(ns_name west)" route add default via 10.1.0.1 src 192.0.2.1
	must ip -n "$(ns_name nat)" route add 192.0.2.1/32 via 10.1.0.2
	must ip -n "$(ns_name east)" route add default via 198.51.100.1
	must ns nat sysctl -qw net.ipv4.ip_forward=1
	must ns nat nft -f - <<-'NFT'
	table ip nat {
		chain forward {
			type filter hook forward priority 0; policy accept;
			oifname "out0" udp dport 4500 udp length 9 counter comment "keepalives"
		}
		chain postrouting {
			type nat hook postrouting priority 100;
			oifname "out0" masquerade random
		}
	}
	NFT
}
# two_sites_rig: west (192.0.2.1) and east (192.0.2.2) on one link, west
# with the subnets 10.1.1.0/24 and 10.1.2.0/24 (their .1 on lo), east with
# 10.2.1.0/24 and 10.2.2.0/24, each routing the other's 10.x.0.0/16 to
# the other; AES-GCM warmed up in both.
two_sites_rig() {
	local n
	ns_add west east
	veth_add west veth-w 192.0.2.1/24 east veth-e 192.0.2.2/24
	for n in 1 2; do
		must ip -n "$(ns_name west)" addr add "10.1.$n.1/24" dev lo
		must ip -n "$(ns_name east)" addr add "10.2.$n.1/24" dev lo
	done
	must ip -n "$(ns_name west)" route add 10.2.0.0/16 via 192.0.2.2
	must ip -n "$(ns_name east)" route add 10.1.0.0/16 via 192.0.2.1
	xfrm_warm_up west
	xfrm_warm_up east
}
# nat_west_conf PSK [SETUP_LINES [CONN_LINES]]: west's side of nat_rig:
# $SW_LOGDIR/west.conf with tunnel "t" from 192.0.2.1 (ID @west) to
# 198.51.100.2 (ID @east), PSK, esp=aes_gcm128-null, auto=add, each line of
# SETUP_LINES in config setup and of CONN_LINES in the conn; and
# $SW_LOGDIR/west.secrets. The peer's ipsec.secrets line is the same.
nat_west_conf() {
	local psk=$1 setup=${2:-} conn=${3:-} line
	{
		printf 'config setup\n'
		while IFS= read -r line; do [ -n "$line" ] && printf '\t%s\n' "$line"; done <<<"$setup"
		printf '\nconn t\n\tleft=192.0.2.1\n\tleftid=@west\n\tright=198.51.100.2\n\trightid=@east\n'
		printf '\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n'
		while IFS= read -r line; do [ -n "$line" ] && printf '\t%s\n' "$line"; done <<<"$conn"
	} >"$SW_LOGDIR/west.conf"
	echo "@west @east : PSK \"$psk\"" >"$SW_LOGDIR/west.secrets"
}
# IKE fragmentation (ike-frag-*.sh): IDs near the longest pluto takes and
# several ESP proposals make every IKE_AUTH request larger than one
# 576-byte IPv4 datagram. frag_rig makes west and east, writes west's conn
# "t" and the secrets (FRAG_PSK, FRAG_WID, FRAG_EID, FRAG_ESP are set for
# the peer's config) and starts this pluto on west.
FRAG_PSK=interop-test-psk-not-a-real-one
FRAG_LONG=abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789
FRAG_WID=@west.$FRAG_LONG$FRAG_LONG FRAG_EID=@east.$FRAG_LONG$FRAG_LONG
FRAG_ESP=aes_gcm128-null,aes_gcm256-null,aes128-sha2_256,aes256-sha2_512,aes192-sha2_384
frag_rig() {
	ns_add west east
	veth_add west veth-w 192.0.2.1/24 east veth-e 192.0.2.2/24
	printf 'conn t\n\tleft=192.0.2.1\n\tright=192.0.2.2\n\tleftid=%s\n\trightid=%s\n' "$FRAG_WID" "$FRAG_EID" \
		>"$SW_LOGDIR/west.conf"
	printf '\tauthby=secret\n\tfragmentation=yes\n\tike=aes_gcm128-sha2_256;dh19\n\tesp=%s\n\tauto=add\n' "$FRAG_ESP" \
		>>"$SW_LOGDIR/west.conf"
	printf '%s %s : PSK "%s"\n' "$FRAG_WID" "$FRAG_EID" "$FRAG_PSK" >"$SW_LOGDIR/west.secrets"
	cp "$SW_LOGDIR/west.secrets" "$SW_LOGDIR/east.secrets"
	pluto_start west west "$SW_LOGDIR/west.conf" "$SW_LOGDIR/west.secrets"
}
# frag_logged LOG MARK ERE: LOG has a line matching ERE since MARK.
frag_logged() { log_since "$1" "$2" | grep -E "$3" >/dev/null; }
# frag_up_checks WHO: the tunnel's two SA pairs are in and pass pings.
frag_up_checks() {
	check "$1: west holds the two ESP SAs" wait_for 20 "two ESP SAs in west" esp_is west 2
	check "$1: east holds the two ESP SAs" wait_for 20 "two ESP SAs in east" esp_is east 2
	check "$1: pings from west to east pass" sw_ping west -c 2 -W 5 -I 192.0.2.1 192.0.2.2
}
# frag_pluto_up WHO PEERLOG ERE: this pluto brings "t" up, sends its
# IKE_AUTH request as fragments, and PEERLOG shows ERE (the peer took them).
frag_pluto_up() {
	local who=$1 wlog=$SW_LOGDIR/west/pluto.log m pm out rc
	m=$(log_mark "$wlog") pm=$(log_mark "$2")
	out=$(whack west --name t --up 2>&1); rc=$?
	echo "$out" | _sw_comment
	check "$who: --up exits 0" test "$rc" -eq 0
	check "$who: pluto sent its IKE_AUTH request as fragments of at most 548 bytes" frag_logged "$wlog" "$m" \
		'"t" #[0-9]+: sending the IKE_AUTH request \(message ID 1\) as [2-9] fragments of at most 548 bytes'
	check "$who: the peer logged that it took fragments" frag_logged "$2" "$pm" "$3"
	frag_up_checks "$who"
}
# frag_pluto_reassembled WHO MARK: pluto put the peer's IKE_AUTH request
# together from fragments since MARK (of west's log).
frag_pluto_reassembled() {
	check "$1: pluto reassembled the peer's IKE_AUTH request from fragments" frag_logged \
		"$SW_LOGDIR/west/pluto.log" "$2" '"t" #[0-9]+: reassembled the peer.s IKE_AUTH request \(message ID 1\) from [2-9] fragments'
}

# nat_up WHO: this pluto (west) brings "t" up from behind nat_rig's NAT:
# --up succeeds, west says it is behind NAT, and nat_tunnel_checks WHO.
nat_up() {
	local who=$1 wlog=$SW_LOGDIR/west/pluto.log out rc mark
	mark=$(log_mark "$wlog")
	out=$(whack west --name t --up 2>&1); rc=$?
	echo "$out" | _sw_comment
	check "$who: --up exits 0 with the established line" \
		bash -c '[ "$1" -eq 0 ] && grep -q "IPsec SA established tunnel mode .*xfrm=AES_GCM_16_128" <<<"$2"' _ "$rc" "$out"
	check "$who: pluto finds itself behind the NAT and moves to port 4500" \
		_sw_logged_since "$wlog" "$mark" 'NAT-T: this end is behind NAT; ESP goes in UDP (port 4500)'
	nat_tunnel_checks "$who"
}
# nat_tunnel_checks WHO: the tunnel between west (192.0.2.1, behind the
# NAT) and east (198.51.100.2) of nat_rig is up as NAT-T makes it: each end
# holds two ESP SAs, all ESP in UDP ("encap type espinudp"), west's from and
# to port 4500, east's to and from the port the NAT chose for west's 4500
# (NAT_PORT, set here); pings from west pass, counted by west's outbound and
# east's inbound SA. Each check is named "WHO: ...".
nat_tunnel_checks() {
	local who=$1 spi
	check "$who: west holds the two ESP SAs" wait_for 20 "two ESP SAs in west" esp_is west 2
	check "$who: east holds the two ESP SAs" wait_for 20 "two ESP SAs in east" esp_is east 2
	check "$who: west's are ESP in UDP from and to port 4500" test "$(_sw_encaps west 4500 4500)" -eq 2
	NAT_PORT=$(nat_port_at_east)
	echo "# the NAT maps west's port 4500 to ${NAT_PORT:-nothing}"
	check "$who: east's outbound SA goes to the port the NAT chose ($NAT_PORT, not 4500)" \
		test -n "$NAT_PORT" -a "$NAT_PORT" != 4500
	check "$who: east's inbound SA is ESP in UDP from there" test "$(_sw_encaps east "$NAT_PORT" 4500)" -eq 1
	spi=$(esp_spi west 192.0.2.1 198.51.100.2)
	check "$who: pings from west to east pass" sw_ping west -c 3 -W 5 -I 192.0.2.1 198.51.100.2
	check "$who: west's outbound SA encrypted them" test "$(sa_packets west "$spi")" -ge 3
	check "$who: east's inbound SA decrypted them" test "$(sa_packets east "$spi")" -ge 3
}
# _sw_encaps NS SPORT DPORT: how many of NS's SAs are ESP in UDP between those ports.
_sw_encaps() { ip -n "$(ns_name "$1")" xfrm state | grep -c "encap type espinudp sport $2 dport $3 " || true; }
# nat_port_at_east: the port east's outbound SA sends ESP in UDP to.
nat_port_at_east() {
	ip -n "$(ns_name east)" xfrm state |
		awk '/encap type espinudp sport 4500 dport/ { for (i = 1; i < NF; i++) if ($i == "dport") print $(i + 1); exit }'
}
# nat_keepalives: how many NAT keepalives (UDP to port 4500 with one byte
# of data) nat has forwarded towards east.
nat_keepalives() {
	ns nat nft list chain ip nat forward |
		awk '/keepalives/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
# nat_forget: nat drops its mappings, as a NAT that restarts or times them
# out does: west's next packets leave from new ports.
nat_forget() { ns nat conntrack -F 2>&1 | grep -v 'flow entries have been deleted' || true; }
# nsim_ipsec ID: netdevsim's own view of its offloaded SAs ("SA count=N tx=N", then the SAs).
nsim_ipsec() {
	mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
	cat "/sys/kernel/debug/netdevsim/netdevsim$1/ports/0/ipsec"
}

# --- the daemon ---------------------------------------------------------------
# pluto_start NAME NS CONF SECRETS: a pluto in NS with its own rundir
# ($SW_RUNDIR/NAME) and log ($SW_LOGDIR/NAME/pluto.log), waited for until its
# control socket is there. Its NSS database is NSSDIR (default
# $SW_RUNDIR/NAME/nss), its NSS password file NSSDIR.nsspassword (nss_db).
pluto_start() {
	local name=$1 nsn=$2 conf=$3 secrets=$4 nssdir=${5:-$SW_RUNDIR/$1/nss} d=$SW_LOGDIR/$1 pid
	mkdir -p "$d" "$SW_RUNDIR/$name"
	# Not through ns(): a function in the background is a subshell, and $!
	# would be its pid, which a TERM does not pass on to pluto.
	ip netns exec "$(ns_name "$nsn")" "$BINDIR/pluto" --config "$conf" --secretsfile "$secrets" \
		--rundir "$SW_RUNDIR/$name" --nssdir "$nssdir" --nsspassword "$nssdir.nsspassword" --nofork \
		--logfile "$d/pluto.log" >"$d/stdout" 2>&1 &
	pid=$!
	_sw_pluto+=("$name:$nsn:$pid")
	wait_for 20 "pluto $name's control socket" bash -c "find '$SW_RUNDIR/$name' -type s | grep -q ." ||
		{ not_ok "setup: pluto $name did not start"; exit 1; }
}
_sw_pluto_field() {
	local p
	for p in "${_sw_pluto[@]}"; do
		[ "${p%%:*}" = "$1" ] && { echo "$p" | cut -d: -f"$2"; return; }
	done
	echo "lib.sh: no pluto named $1" >&2
	return 1
}
# whack NAME ARGS...: talks to pluto NAME.
whack() {
	local name=$1 nsn; shift
	nsn=$(_sw_pluto_field "$name" 2) || return 1
	ns "$nsn" "$BINDIR/whack" --rundir "$SW_RUNDIR/$name" "$@"
}
# pluto_stop NAME: TERM, then KILL if it is still there after 10 s.
pluto_stop() {
	local pid
	pid=$(_sw_pluto_field "$1" 3) || return 1
	kill "$pid" 2>/dev/null || return 0
	wait_for 10 "pluto $1 to exit" bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
}
# pluto_crash NAME: kill -9, as a crash would end it: its SAs stay in the
# kernel. Start it again under a new NAME (names map to pids).
pluto_crash() {
	local pid
	pid=$(_sw_pluto_field "$1" 3) || return 1
	kill -9 "$pid"
	wait_for 10 "pluto $1 to die" bash -c "! kill -0 $pid"
	wait "$pid" 2>/dev/null || true
}

# pluto_psk_conf SIDE LOCAL REMOTE [CONN_LINES]: writes $SW_LOGDIR/SIDE.conf,
# one tunnel "t" between LOCAL and REMOTE authenticated by PSK with
# esp=aes_gcm128-null (auto=add unless CONN_LINES say otherwise; each of its
# lines goes into the conn), and $SW_LOGDIR/SIDE.secrets with the PSK.
pluto_psk_conf() {
	local side=$1 here=$2 there=$3 conn=${4:-} line auto=$'\tauto=add\n'
	case $conn in *auto=*) auto= ;; esac
	{
		printf 'conn t\n\tleft=%s\n\tright=%s\n\tauthby=secret\n\tesp=aes_gcm128-null\n' "$here" "$there"
		while IFS= read -r line; do [ -n "$line" ] && printf '\t%s\n' "$line"; done <<<"$conn"
		printf '%s' "$auto"
	} >"$SW_LOGDIR/$side.conf"
	echo "$here $there : PSK \"pluto-to-pluto test secret, not a real one\"" >"$SW_LOGDIR/$side.secrets"
}

# --- certificates ---------------------------------------------------------------
# The test CA and its certificates and keys (testing/certs, made by its
# mkcerts.sh): ca.pem, and NICK.p12, NICK.pem, NICK.key.pem for west, east,
# west-ec (P-256), east-ec (P-384), expired, rogue (of an unknown CA).
SW_CERTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../certs" && pwd)
# nss_db DIR NICK...: an NSS database (sql:, no password) in DIR, made
# unless it is there, that trusts the test CA and holds each NICK's
# certificate and private key. Kept in $SW_RUNDIR, not on SW_LOGDIR's 9p
# share, where sqlite's locks may not work. With NSS_DB_PASSWORD set, the
# database is made locked by that password, and DIR.nsspassword is its NSS
# password file (TOKEN:PASSWORD), which pluto_start gives pluto.
nss_db() {
	local dir=$1 nick new=(--empty-password) f=() k=(); shift
	mkdir -p "$dir"
	if [ -n "${NSS_DB_PASSWORD:-}" ]; then
		printf 'NSS Certificate DB:%s\n' "$NSS_DB_PASSWORD" >"$dir.nsspassword"
		chmod 600 "$dir.nsspassword"
		f=(-f "$dir.nsspassword") k=(-k "$dir.nsspassword") new=("${f[@]}")
	fi
	[ -e "$dir/cert9.db" ] || certutil -N -d "sql:$dir" "${new[@]}" || return 1
	certutil -A -d "sql:$dir" -n "Swan Test CA" -t "CT,," -a -i "$SW_CERTS/ca.pem" "${f[@]}" || return 1
	for nick; do
		pk12util -i "$SW_CERTS/$nick.p12" -d "sql:$dir" -W "" "${k[@]}" >/dev/null || return 1
	done
}

# --- rekeying against a peer ----------------------------------------------------
# For the scenarios where this pluto (west, 192.0.2.1, pluto's name "west",
# log $SW_LOGDIR/west/pluto.log) rekeys with a peer daemon (east, 192.0.2.2).
# rekeys_under_ping SECONDS MAX_LOST PEER_HOLDS_ONE_EACH: pings every 0.5 s
# for SECONDS while the lifetimes make pluto rekey; then checks that pluto
# rekeyed the child at least twice and the IKE SA once, that both kernels
# hold the same one pair of SAs, that the peer's own count (the function
# PEER_HOLDS_ONE_EACH) is one IKE SA and one child, and that at most
# MAX_LOST pings were lost.
rekeys_under_ping() {
	local secs=$1 max_lost=$2 peer_check=$3 wlog=$SW_LOGDIR/west/pluto.log mark count received
	mark=$(log_mark "$wlog") count=$((secs * 2))
	sw_ping west -i 0.5 -c "$count" -W 2 -I 192.0.2.1 192.0.2.2 >"$SW_LOGDIR/ping.out" 2>&1
	tail -n 2 "$SW_LOGDIR/ping.out" | _sw_comment
	log_since "$wlog" "$mark" | grep -E "rekeying|established IKE SA|deleted" | _sw_comment
	check "pluto rekeyed the child at least twice as its kernel asked" \
		test "$(log_since "$wlog" "$mark" | grep -c 'IPsec SA established tunnel mode, rekeying #[0-9]* (we started it)')" -ge 2
	check "and the IKE SA once" _sw_logged_since "$wlog" "$mark" "established IKE SA, rekeying #[0-9]* (we started it)"
	check "each kernel holds one pair of SAs, the same" wait_for 15 "the old SAs to go" esp_one_pair west 192.0.2.1 east 192.0.2.2
	check "the peer holds one IKE SA and one child SA" wait_for 15 "the peer's old SAs to go" "$peer_check"
	received=$(grep -o '[0-9]* packets received' "$SW_LOGDIR/ping.out" | cut -d' ' -f1)
	check "at most $max_lost of $count pings lost across the rekeys" test "${received:-0}" -ge $((count - max_lost))
}
# peer_rekeys KIND PEER_HOLDS_ONE_EACH CMD...: the peer rekeys (KIND child or
# ike) when CMD runs: pluto answers it, the old SAs go, a ping passes.
# pluto keeps rekeying by its own short lifetimes meanwhile; the peer's
# request goes right after one of pluto's own rekeys of that kind, so a
# whole lifetime lies before pluto's next and the two cannot cross (on a
# slow machine they did, and pluto's rekey won, as RFC 7296 2.8.1 says).
peer_rekeys() {
	local kind=$1 peer_check=$2 wlog=$SW_LOGDIR/west/pluto.log mark own what; shift 2
	if [ "$kind" = child ]; then
		own="IPsec SA established tunnel mode, rekeying #[0-9]* (we started it)" what="child"
	else
		own="established IKE SA, rekeying #[0-9]* (we started it)" what="IKE SA"
	fi
	mark=$(log_mark "$wlog")
	check "pluto rekeys the $what by its lifetime first" wait_for 60 "pluto's own $what rekey" \
		_sw_logged_since "$wlog" "$mark" "$own"
	# and the SAs it replaced are gone on both sides, so the peer's request
	# names the new ones
	check "the peer holds one IKE SA and one child SA before its rekey" wait_for 15 "the peer's old SAs to go" "$peer_check"
	mark=$(log_mark "$wlog")
	must "$@"
	if [ "$kind" = child ]; then
		check "the peer rekeys the child and pluto answers" wait_for 40 "the rekey" \
			_sw_logged_since "$wlog" "$mark" "IPsec SA established tunnel mode, rekeying #[0-9]* (the peer started it)"
	else
		check "the peer rekeys the IKE SA and pluto answers" wait_for 40 "the IKE rekey" \
			_sw_logged_since "$wlog" "$mark" "established IKE SA, rekeying #[0-9]* (the peer started it)"
		check "the old IKE SA goes, replaced" wait_for 15 "the old IKE SA" \
			_sw_logged_since "$wlog" "$mark" "deleted the IKE SA, replaced by #"
	fi
	check "one pair of SAs, the same, on both" wait_for 15 "the old SAs to go" esp_one_pair west 192.0.2.1 east 192.0.2.2
	check "the peer holds one IKE SA and one child SA" wait_for 15 "the peer's old SAs to go" "$peer_check"
	check "a ping goes through" sw_ping west -c 2 -W 5 -I 192.0.2.1 192.0.2.2
}
# (grep reads all of it: with pipefail, a grep -q that stops early fails the pipe)
_sw_logged_since() { log_since "$1" "$2" | grep "$3" >/dev/null; }

# --- xfrm ----------------------------------------------------------------------
# xfrm_sa NS SPI [IP-OPTS]: the lines of `ip xfrm state` about the SA with SPI.
xfrm_sa() {
	local n=$1 spi; spi=$(printf '0x%08x' "$2"); shift 2
	ip -n "$(ns_name "$n")" "$@" xfrm state |
		awk -v s="spi ${spi}[ (]" '/^src / { if (b ~ s) printf "%s", b; b = "" }
			{ b = b $0 "\n" } END { if (b ~ s) printf "%s", b }'
}
# sa_packets NS SPI: how many packets the SA has processed.
sa_packets() {
	xfrm_sa "$1" "$2" -s | awk '/lifetime current:/ { getline; sub(/.*, */, ""); sub(/\(packets\).*/, ""); print }'
}
# esp_one_pair NS1 ADDR1 NS2 ADDR2: each namespace holds exactly two ESP SAs,
# the same two (one each way between ADDR1 and ADDR2): one tunnel, agreed.
esp_one_pair() {
	local a b
	esp_is "$1" 2 && esp_is "$3" 2 || return 1
	a=$(esp_spi "$1" "$2" "$4") b=$(esp_spi "$1" "$4" "$2")
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" = "$(esp_spi "$3" "$2" "$4")" ] && [ "$b" = "$(esp_spi "$3" "$4" "$2")" ]
}
# xfrm_warm_up NS: installs and removes an AES-GCM ESP SA in NS. The kernel
# builds (and self-tests) a cipher's transform the first time an SA needs
# it; under TCG that takes seconds, and a scenario that counts lifetimes in
# seconds must not have its first SA's lifetime run out meanwhile.
xfrm_warm_up() {
	must ip -n "$(ns_name "$1")" xfrm state add src 198.51.100.1 dst 198.51.100.2 proto esp spi 0x7e57 \
		mode tunnel aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128
	must ip -n "$(ns_name "$1")" xfrm state delete src 198.51.100.1 dst 198.51.100.2 proto esp spi 0x7e57
}
# esp_is NS N: true when NS holds exactly N ESP SAs.
esp_is() { [ "$(ip -n "$(ns_name "$1")" xfrm state | grep -c '^[[:space:]]*proto esp ')" -eq "$2" ]; }
# esp_spi NS SRC DST: the SPI of the ESP SA from SRC to DST in NS.
esp_spi() { ip -n "$(ns_name "$1")" xfrm state list src "$2" dst "$3" proto esp | awk '$1 == "proto" { print $4; exit }'; }
# nl_run CMD...: runs CMD (under strace, to see the netlink error it got).
# shellcheck disable=SC2034 # NL_* are for the scenarios
nl_run() {
	local t
	t=$(mktemp)
	NL_OUT=$(strace -f -qq -e trace=recvmsg -e signal=none -o "$t" "$@" 2>&1)
	NL_RC=$?
	NL_ERRNO=$(grep -o 'error=-E[A-Z0-9]*' "$t" | tail -n1)
	NL_ERRNO=${NL_ERRNO#error=-}
	NL_ERRNO=${NL_ERRNO:-none}
	rm -f "$t"
}

# --- what this kernel says ---------------------------------------------------------
# The texts and answers the kernel and netdevsim give, as measured in the VM
# on each kernel the project tests (docs/kernels.md): a scenario asserts the
# ones of the kernel it runs on. Anything newer than 6.1 is taken to answer
# as 6.12 did.
#   KX_SERIES        6.1 or 6.12
#   KX_REFUSED_ALG   the extended ack when netdevsim refuses a transform (CBC, ICV 64)
#   KX_TABLE_FULL    ... when its SA table (33 per port) is full (ENOSPC)
#   KX_PACKET        yes when the kernel knows packet offload (XFRM_OFFLOAD_PACKET)
#   KX_ENCAP         yes when it passes crypto offload of ESP-in-UDP SAs to the device
# shellcheck disable=SC2034 # KX_* are for the scenarios
case $(uname -r) in
6.1.*) KX_SERIES=6.1 KX_REFUSED_ALG="Device failed to offload this state"
	KX_TABLE_FULL="Device failed to offload this state" KX_PACKET=no KX_ENCAP=no ;;
*) KX_SERIES=6.12 KX_REFUSED_ALG="netdevsim: Failed to get key data for SA table"
	KX_TABLE_FULL="netdevsim: No space for SA in Rx table!" KX_PACKET=yes KX_ENCAP=yes ;;
esac

# --- tunnels --------------------------------------------------------------------
# tunnel_checks WHO W E [OFFLOAD]: checks (each named "WHO: ...") that the
# tunnel between west (endpoint W) and east (endpoint E) is up and carries
# traffic: each side holds two ESP SAs, with the same SPIs; pings from W to
# E pass, counted by west's outbound SA and east's inbound SA; this pluto's
# (west's) trafficstatus shows conn "t" with bytes both ways, E's ID and
# offload=OFFLOAD (default none).
tunnel_checks() {
	local who=$1 w=$2 e=$3 offload=${4:-none} out in w_out e_in o line
	check "$who: west holds the two ESP SAs" wait_for 20 "two ESP SAs in west" esp_is west 2
	check "$who: east holds the two ESP SAs" wait_for 20 "two ESP SAs in east" esp_is east 2
	out=$(esp_spi west "$w" "$e") in=$(esp_spi west "$e" "$w")
	check "$who: both kernels hold the same pair (SPIs $out, $in)" \
		test -n "$out" -a -n "$in" -a "$(esp_spi east "$w" "$e")" = "$out" -a "$(esp_spi east "$e" "$w")" = "$in"
	check "$who: pings from west to east pass" sw_ping west -c 3 -W 5 -I "$w" "$e"
	w_out=$(sa_packets west "$out") e_in=$(sa_packets east "$out")
	check "$who: west's outbound SA encrypted them ($w_out packets)" test "${w_out:-0}" -ge 3
	check "$who: east's inbound SA decrypted them ($e_in packets)" test "${e_in:-0}" -ge 3
	o=$(whack west --trafficstatus)
	echo "$o" | _sw_comment
	line=$(grep -E "^#[0-9]+: \"t\", type=ESP, .*inBytes=[1-9][0-9]*, outBytes=[1-9][0-9]*, .*id='$e', offload=" <<<"$o")
	check "$who: this pluto's trafficstatus shows the SA with traffic both ways, offload=$offload" \
		test -n "$line" -a "${line##*, offload=}" = "$offload"
}

# --- on failure, and at the end -----------------------------------------------------
sw_dump() {
	local p n id
	echo "# ---- diagnostics"
	for p in "${_sw_pluto[@]}"; do
		n=${p%%:*}
		echo "# pluto $n log ($SW_LOGDIR/$n/pluto.log):"
		cat "$SW_LOGDIR/$n/pluto.log" "$SW_LOGDIR/$n/stdout" 2>/dev/null | _sw_comment
	done
	for n in "${_sw_ns[@]}"; do
		echo "# namespace $n: ip xfrm state"
		ip -n "$(ns_name "$n")" -s xfrm state 2>&1 | _sw_comment
		echo "# namespace $n: ip xfrm policy"
		ip -n "$(ns_name "$n")" xfrm policy 2>&1 | _sw_comment
		echo "# namespace $n: ip -br addr"
		ip -n "$(ns_name "$n")" -br addr 2>&1 | _sw_comment
	done
	[ ${#_sw_peers[@]} -eq 0 ] || _sw_peers_dump
	for id in "${_sw_nsim[@]}"; do
		echo "# netdevsim$id debugfs ports/0/ipsec:"
		nsim_ipsec "$id" 2>&1 | _sw_comment
	done
	echo "# kernel messages since the scenario started:"
	dmesg 2>/dev/null | tail -n +"$((_sw_dmesg0 + 1))" | tail -n 40 | _sw_comment
}
_sw_exit() {
	local rc=$? p id n
	trap - EXIT
	if [ $_sw_failed -ne 0 ] || [ $rc -ne 0 ]; then sw_dump; fi
	for p in "${_sw_pluto[@]}"; do pluto_stop "${p%%:*}"; done
	for p in "${_sw_peers[@]}"; do _sw_peer_stop "${p%%:*}"; done
	# netdevsim first: deleting a namespace would hand its port back to init_net.
	for id in "${_sw_nsim[@]}"; do echo "$id" >/sys/bus/netdevsim/del_device; done
	for n in "${_sw_ns[@]}"; do ip netns delete "$(ns_name "$n")"; rm -rf "/etc/netns/$(ns_name "$n")"; done
	rm -rf "$SW_RUNDIR"
	[ $_sw_failed -eq 0 ] || exit 1
	exit $rc
}
trap _sw_exit EXIT
# A killed scenario (its timeout) still cleans up.
trap 'exit 143' TERM
trap 'exit 130' INT

[ "$(id -u)" -eq 0 ] || { not_ok "scenarios run as root"; exit 1; }

# --- peer daemons: libreswan and strongSwan from Debian's packages ------------
# The real peers the IKE scenarios talk to, unpacked (not installed) by
# testing/vm/peers into its cache. testing/vm/run prepares that on the host
# before the VM boots when a scenario calls libreswan_start or
# strongswan_start, and passes SWAN_PEERS_DIR; without it (a scenario run by
# hand) lib.sh calls testing/vm/peers itself.
#
#   libreswan   libreswan_start NAME NS CONF SECRETS | libreswan_whack NAME ARGS...
#               libreswan_add NAME CONN | libreswan_stop NAME
#               (log $SW_LOGDIR/NAME/pluto.log; rundir and NSS db in $SW_RUNDIR/NAME)
#   strongSwan  strongswan_start NAME NS SWANCTL_CONF (also loads it) |
#               swanctl_run NAME ARGS... | strongswan_stop NAME
#               (log $SW_LOGDIR/NAME/charon.log, its strongswan.conf beside it)
#
# Each daemon runs in NS inside a mount namespace of its own (unshare -m), so
# what it needs mounted does not leak: libreswan's pluto runs
# /usr/libexec/ipsec/addconn at start (a compiled-in path), so the unpacked
# usr/libexec/ipsec is mounted there; strongSwan loads its plugins from the
# compiled-in /usr/lib/ipsec/plugins, so the unpacked usr/lib/ipsec is mounted
# there, and charon's fixed /var/run/charon.pid and default vici socket land in
# a /run of its own ($SW_RUNDIR/NAME/run). Where the host has no such
# directory to mount on, the parent (/usr/libexec, /usr/lib) is overlaid,
# read-only, with the unpacked one on top. Shared libraries come from the
# unpacked trees through LD_LIBRARY_PATH (it wins over strongSwan's RUNPATH).

# _sw_peers (NAME:KIND:NS:PID) is declared at the top, for the exit handling.
declare -gA _sw_peer_conf=()
_sw_peers_loaded=
# A command prefix for the daemons' tools (the diagnostics use a timeout).
_sw_timeout=()

# Sources the peers' peers.env once (LIBRESWAN_ROOT, STRONGSWAN_ROOT, ...).
_sw_peers_load() {
	local dir=${SWAN_PEERS_DIR:-}
	[ -z "$_sw_peers_loaded" ] || return 0
	if [ "$dir" = unavailable ]; then
		not_ok "setup: the peer daemons could not be prepared on the host (see the harness error)"
		exit 1
	fi
	if [ -z "$dir" ]; then
		dir=$("${SW_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/testing/vm/peers") ||
			{ not_ok "setup: testing/vm/peers could not prepare the peer daemons"; exit 1; }
	fi
	# shellcheck source=/dev/null
	. "$dir/peers.env" || { not_ok "setup: no peers.env in $dir"; exit 1; }
	_sw_peers_loaded=$dir
}
# _sw_peer_run NS SRC:TARGET... -- CMD...: CMD in namespace NS and in a mount
# namespace of its own where each SRC is seen at TARGET.
_sw_peer_run() {
	local nsn=$1; shift
	# shellcheck disable=SC2016 # expanded by the inner bash
	"${_sw_timeout[@]}" ip netns exec "$(ns_name "$nsn")" unshare -m --propagation private bash -c '
		while [ "$1" != -- ]; do
			src=${1%%:*} dst=${1#*:}; shift
			if [ -d "$dst" ]; then
				mount --bind "$src" "$dst" || exit 126
			else
				mount -t overlay overlay -o "lowerdir=${src%/*}:${dst%/*}" "${dst%/*}" || exit 126
			fi
		done
		shift
		exec "$@"' _sw_peer_run "$@"
}
_sw_peer_field() {
	local p
	for p in "${_sw_peers[@]}"; do
		[ "${p%%:*}" = "$1" ] && { echo "$p" | cut -d: -f"$2"; return; }
	done
	echo "lib.sh: no peer daemon named $1" >&2
	return 1
}
# _sw_peer_wait PID SECONDS DESC CMD...: wait_for, but gives up at once when
# the daemon PID has exited.
_sw_peer_wait() {
	local pid=$1 secs=$2 desc=$3; shift 3
	wait_for "$secs" "$desc" _sw_peer_ready "$pid" "$@" && kill -0 "$pid" 2>/dev/null ||
		{ kill -0 "$pid" 2>/dev/null || echo "# it exited"; return 1; }
}
_sw_peer_ready() { local pid=$1; shift; ! kill -0 "$pid" 2>/dev/null || "$@"; }
# _sw_peer_stop NAME: TERM, then KILL if it is still there after 10 s.
# A peer daemon runs below the subshell its start function ran in the
# background (and ip netns exec, unshare): the pid kept is that subshell's,
# so stopping it means stopping every process below it too.
_sw_tree() { local c; echo "$1"; for c in $(pgrep -P "$1"); do _sw_tree "$c"; done; }
_sw_all_gone() { local p; for p in "$@"; do ! kill -0 "$p" 2>/dev/null || return 1; done; }
_sw_peer_stop() {
	local pid pids
	pid=$(_sw_peer_field "$1" 4) || return 1
	# shellcheck disable=SC2207 # pids are words
	pids=($(_sw_tree "$pid"))
	kill "${pids[@]}" 2>/dev/null
	wait_for 10 "$(_sw_peer_field "$1" 2) $1 to exit" _sw_all_gone "${pids[@]}" || kill -9 "${pids[@]}" 2>/dev/null
	wait "$pid" 2>/dev/null || true
}
# peer_crash NAME: kill -9 of the peer daemon and everything below its start
# (a crash: its kernel SAs, pid file and socket stay). Start it again under
# a new NAME, which gets a rundir of its own.
peer_crash() {
	local pid pids
	pid=$(_sw_peer_field "$1" 4) || return 1
	# shellcheck disable=SC2207 # pids are words
	pids=($(_sw_tree "$pid"))
	kill -9 "${pids[@]}" 2>/dev/null
	wait_for 10 "$(_sw_peer_field "$1" 2) $1 to die" _sw_all_gone "${pids[@]}"
	wait "$pid" 2>/dev/null || true
}

# libreswan_start NAME NS CONF SECRETS [NICKS]: libreswan's pluto in NS (--nofork),
# with its rundir, dumpdir and NSS db (made by `ipsec initnss`; with NICKS,
# trusting the test CA and holding those certificates: nss_db) in
# $SW_RUNDIR/NAME, its ipsec.d and log in $SW_LOGDIR/NAME. Waited for until
# its control socket is there and the conns of CONF with auto=add/start are
# loaded (pluto runs addconn --autoall itself; it logs "loading secrets" last;
# SW_PEER_LOAD_TIMEOUT, default 30 s, for a config of many conns).
libreswan_start() {
	local name=$1 nsn=$2 conf=$3 secrets=$4 nicks=${5:-} d=$SW_LOGDIR/$1 r=$SW_RUNDIR/$1 pid
	libreswan_initnss "$name"
	_sw_peer_conf[$name]=$conf
	# shellcheck disable=SC2086 # nicks are words
	[ -z "$nicks" ] || must nss_db "$r/nss" $nicks
	_sw_libreswan_env _sw_peer_run "$nsn" "$LIBRESWAN_ROOT/usr/libexec/ipsec:/usr/libexec/ipsec" -- \
		"$LIBRESWAN_ROOT/usr/libexec/ipsec/pluto" --nofork --config "$conf" --secretsfile "$secrets" \
		--rundir "$r" --dumpdir "$r" --nssdir "$r/nss" --ipsecdir "$d/ipsec.d" \
		--logfile "$d/pluto.log" >"$d/stdout" 2>&1 &
	pid=$!
	_sw_peers+=("$name:libreswan:$nsn:$pid")
	if ! { _sw_peer_wait "$pid" 30 "libreswan $name's control socket" test -S "$r/pluto.ctl" &&
		_sw_peer_wait "$pid" "${SW_PEER_LOAD_TIMEOUT:-30}" "libreswan $name to load its conns" \
			grep -q "loading secrets from" "$d/pluto.log"; }; then
		not_ok "setup: libreswan $name did not start"
		exit 1
	fi
}
# libreswan_initnss NAME: the NSS db of libreswan NAME, made unless it is
# there (libreswan_start calls it; a benchmark that times the start calls
# it first, so that the time is the daemon's own).
libreswan_initnss() {
	local name=$1 d=$SW_LOGDIR/$1 r=$SW_RUNDIR/$1 o
	_sw_peers_load
	mkdir -p "$d/ipsec.d" "$r/nss"
	[ ! -e "$r/nss/cert9.db" ] || return 0
	if ! o=$(IPSEC_CONFDDIR=$d/ipsec.d _sw_libreswan_env "$LIBRESWAN_ROOT/usr/sbin/ipsec" initnss --nssdir "$r/nss" 2>&1); then
		not_ok "setup: libreswan $name: ipsec initnss failed"
		echo "$o" | _sw_comment
		exit 1
	fi
}
# The environment of libreswan's programs: its libraries, and its `ipsec`
# (for the updown script, `ipsec _updown`) and certutil when the host has none.
# (VAR=... before a function: bash exports them to what the function runs.)
_sw_libreswan_env() {
	LD_LIBRARY_PATH="$LIBRESWAN_LD_LIBRARY_PATH" \
		PATH="$LIBRESWAN_ROOT/usr/sbin:$PATH:$LIBRESWAN_ROOT/usr/bin" \
		IPSEC_EXECDIR="$LIBRESWAN_ROOT/usr/libexec/ipsec" IPSEC_SBINDIR="$LIBRESWAN_ROOT/usr/sbin" "$@"
}
# libreswan_whack NAME ARGS...: libreswan's whack against pluto NAME, e.g.
# --trafficstatus, --name CONN --initiate [--asynchronous], --name CONN --terminate.
libreswan_whack() {
	local name=$1 nsn; shift
	nsn=$(_sw_peer_field "$name" 3) || return 1
	"${_sw_timeout[@]}" ip netns exec "$(ns_name "$nsn")" env LD_LIBRARY_PATH="$LIBRESWAN_LD_LIBRARY_PATH" \
		"$LIBRESWAN_ROOT/usr/libexec/ipsec/whack" --rundir "$SW_RUNDIR/$name" "$@"
}
# libreswan_add NAME CONN: adds (or replaces) CONN from pluto NAME's config.
libreswan_add() {
	local name=$1 nsn; shift
	nsn=$(_sw_peer_field "$name" 3) || return 1
	ns "$nsn" env LD_LIBRARY_PATH="$LIBRESWAN_LD_LIBRARY_PATH" \
		"$LIBRESWAN_ROOT/usr/libexec/ipsec/addconn" --ctlsocket "$SW_RUNDIR/$name/pluto.ctl" \
		--config "${_sw_peer_conf[$name]}" "$@"
}
libreswan_stop() { _sw_peer_stop "$1"; }

# libreswan_psk_conf LOCAL REMOTE [SETUP_LINES [CONN_LINES]]: on stdout, an
# ipsec.conf for libreswan with one IKEv2 tunnel "t" authenticated by PSK,
# auto=add; each line of SETUP_LINES goes into config setup, each of
# CONN_LINES into the conn (e.g. "ike=aes_gcm256-sha2_256;dh19"). CONN_LINES
# with an authby= (and leftcert=...) make it a tunnel of certificates.
libreswan_psk_conf() {
	local here=$1 there=$2 setup=${3:-} conn=${4:-} line authby=$'\tauthby=secret\n'
	case $conn in *authby=*) authby= ;; esac
	printf 'config setup\n\tdnssec-enable=no\n'
	while IFS= read -r line; do [ -n "$line" ] && printf '\t%s\n' "$line"; done <<<"$setup"
	printf '\nconn t\n\tikev2=insist\n%s\tleft=%s\n\tright=%s\n\ttype=tunnel\n' "$authby" "$here" "$there"
	while IFS= read -r line; do [ -n "$line" ] && printf '\t%s\n' "$line"; done <<<"$conn"
	printf '\tauto=add\n'
}

# pluto_cert_conf SIDE LOCAL REMOTE NICK RIGHTID [CONN_LINES]: writes
# $SW_LOGDIR/SIDE.conf, one tunnel "t" between LOCAL and REMOTE whose end
# here authenticates with the RSA certificate NICK of the test CA and the
# other with one whose ID is RIGHTID (ike=aes_gcm128-sha2_256;dh19,
# esp=aes_gcm128-null, auto=add; each line of CONN_LINES goes into the
# conn), and an empty $SW_LOGDIR/SIDE.secrets.
pluto_cert_conf() {
	local side=$1 here=$2 there=$3 nick=$4 rightid=$5 conn=${6:-} line
	{
		printf 'conn t\n\tleft=%s\n\tright=%s\n\tauthby=rsasig\n\tleftcert=%s\n\trightid="%s"\n' \
			"$here" "$there" "$nick" "$rightid"
		printf '\tike=aes_gcm128-sha2_256;dh19\n\tesp=aes_gcm128-null\n\tauto=add\n'
		while IFS= read -r line; do [ -n "$line" ] && printf '\t%s\n' "$line"; done <<<"$conn"
	} >"$SW_LOGDIR/$side.conf"
	: >"$SW_LOGDIR/$side.secrets"
}

# cert_up_checks WHO PEER MARK_W PEER_LOG MARK_P PEER_ERE: after this pluto
# (west) and a peer daemon (east) brought "t" up: pluto logged since
# MARK_W that it authenticated east's RSA certificate ('CN=east,O=Swan
# Test'), PEER_LOG has a line matching PEER_ERE since MARK_P (it
# authenticated pluto's), and both kernels hold the SA pair, which passes
# a ping.
cert_up_checks() {
	local who=$1 peer=$2 mw=$3 plog=$4 mp=$5 ere=$6
	check "$who: pluto authenticated $peer by its RSA certificate" wait_for 20 "pluto's established line" \
		_sw_logged_since "$SW_LOGDIR/west/pluto.log" "$mw" "established IKE SA with 192.0.2.2; authenticated peer 'CN=east,O=Swan Test' with an RSA signature and certificate 'CN=east,O=Swan Test'"
	check "$who: $peer authenticated pluto's certificate" wait_for 20 "$peer's line" \
		bash -c 'tail -n +$(($2 + 1)) "$1" | grep -E "$3" >/dev/null' _ "$plog" "$mp" "$ere"
	log_since "$plog" "$mp" | grep -E "$ere" | _sw_comment
	check "$who: west holds the two ESP SAs" wait_for 20 "two ESP SAs in west" esp_is west 2
	check "$who: east holds the two ESP SAs" wait_for 20 "two ESP SAs in east" esp_is east 2
	check "$who: a ping from west to east passes" sw_ping west -c 1 -W 5 -I 192.0.2.1 192.0.2.2
}

# swanctl_psk_conf LOCAL REMOTE PSK ESP_PROPOSALS [IKE_PROPOSALS]: on stdout,
# a swanctl.conf with one IKEv2 tunnel "t" (child "t") authenticated by PSK,
# the IDs being the addresses; strongSwan's default IKE proposals unless
# IKE_PROPOSALS is given.
swanctl_psk_conf() {
	local here=$1 there=$2 psk=$3 esp=$4 ike=${5:-}
	cat <<-CONF
	connections {
	t {
	version = 2
	local_addrs = $here
	remote_addrs = $there
	${ike:+proposals = $ike}
	local {
	auth = psk
	id = $here
	}
	remote {
	auth = psk
	id = $there
	}
	children {
	t {
	mode = tunnel
	esp_proposals = $esp
	}
	}
	}
	}
	secrets {
	ike-t {
	id-1 = $here
	id-2 = $there
	secret = "$psk"
	}
	}
	CONF
}
# swanctl_ts_conf LOCAL REMOTE PSK CONN:CHILD:LOCAL_TS:REMOTE_TS...: on
# stdout, a swanctl.conf with a PSK connection CONN (IDs the addresses,
# AES-GCM-128, ECP-256) for each CONN named, and under it each CHILD with
# its traffic selectors.
swanctl_ts_conf() {
	local here=$1 there=$2 psk=$3 conn spec c ch l r; shift 3
	echo "connections {"
	for conn in $(printf '%s\n' "$@" | cut -d: -f1 | uniq); do
		printf '%s {\nversion = 2\nlocal_addrs = %s\nremote_addrs = %s\nproposals = aes128gcm16-prfsha256-ecp256\n' \
			"$conn" "$here" "$there"
		printf 'local {\nauth = psk\nid = %s\n}\nremote {\nauth = psk\nid = %s\n}\nchildren {\n' "$here" "$there"
		for spec in "$@"; do
			IFS=: read -r c ch l r <<<"$spec"
			[ "$c" = "$conn" ] || continue
			printf '%s {\nlocal_ts = %s\nremote_ts = %s\nesp_proposals = aes128gcm16\n}\n' "$ch" "$l" "$r"
		done
		echo "}"
		echo "}"
	done
	printf '}\nsecrets {\nike-t {\nid-1 = %s\nid-2 = %s\nsecret = "%s"\n}\n}\n' "$here" "$there" "$psk"
}
# strongswan_start NAME NS SWANCTL_CONF [CHARON_LINES]: strongSwan's charon
# in NS with a strongswan.conf of its own ($SW_LOGDIR/NAME/strongswan.conf:
# only the plugins a PSK tunnel needs and those in STRONGSWAN_PLUGINS (for
# certificates: "pem pkcs1 pkcs8 x509 constraints"), log to charon.log beside it, and each
# line of CHARON_LINES in its charon section, e.g. "retransmit_tries = 2";
# its ike, cfg and knl at log level SW_STRONGSWAN_LOG, default 2),
# its pid file and vici socket in $SW_RUNDIR/NAME/run; then swanctl
# --load-all --file SWANCTL_CONF.
strongswan_start() {
	local name=$1 nsn=$2 conf=$3 extra=${4:-} d=$SW_LOGDIR/$1 r=$SW_RUNDIR/$1/run pid
	_sw_peers_load
	mkdir -p "$d" "$r"
	# openssl: AES-GCM, DH groups, PRFs; kdf: the IKE key derivation
	# (without it 5.9.8 fails IKE_AUTH: "KDF_PRF with PRF_HMAC_SHA2_256 not
	# supported"). swanctl loads the parsers it would need for certificates.
	cat >"$d/strongswan.conf" <<-CONF
	charon {
		load = random nonce openssl kdf kernel-netlink socket-default vici ${STRONGSWAN_PLUGINS:-}
		$extra
		filelog {
			log {
				path = $d/charon.log
				time_format = %H:%M:%S
				time_add_ms = yes
				default = 1
				ike = ${SW_STRONGSWAN_LOG:-2}
				cfg = ${SW_STRONGSWAN_LOG:-2}
				knl = ${SW_STRONGSWAN_LOG:-2}
				flush_line = yes
			}
		}
	}
	swanctl {
		load = random openssl pem pkcs1 pkcs8 x509
	}
	CONF
	_sw_strongswan_run "$name" "$nsn" "$STRONGSWAN_ROOT/usr/lib/ipsec/charon" >"$d/stdout" 2>&1 &
	pid=$!
	_sw_peers+=("$name:strongswan:$nsn:$pid")
	_sw_peer_wait "$pid" 30 "strongSwan $name's vici socket" test -S "$r/charon.vici" ||
		{ not_ok "setup: strongSwan $name did not start"; exit 1; }
	must swanctl_run "$name" --load-all --file "$conf"
}
_sw_strongswan_run() { # NAME NS CMD...
	local name=$1 nsn=$2; shift 2
	STRONGSWAN_CONF="$SW_LOGDIR/$name/strongswan.conf" LD_LIBRARY_PATH="$STRONGSWAN_LD_LIBRARY_PATH" \
		_sw_peer_run "$nsn" "$STRONGSWAN_ROOT/usr/lib/ipsec:/usr/lib/ipsec" "$SW_RUNDIR/$name/run:/run" -- "$@"
}
# swanctl_run NAME ARGS...: strongSwan's swanctl against charon NAME, e.g.
# --load-all --file CONF, --initiate --child CHILD [--timeout S], --list-sas,
# --terminate --ike NAME. (Its complaints about the credential directories
# beside CONF that a PSK setup does not have are left out.)
swanctl_run() {
	local name=$1 nsn rc; shift
	nsn=$(_sw_peer_field "$name" 3) || return 1
	{
		_sw_strongswan_run "$name" "$nsn" "$STRONGSWAN_ROOT/usr/sbin/swanctl" "$@" 2>&1 1>&3 3>&- |
			grep -v "^opening directory '.*' failed: No such file or directory\$" >&2
		rc=${PIPESTATUS[0]}
	} 3>&1
	return "$rc"
}
strongswan_stop() { _sw_peer_stop "$1"; }

# For sw_dump: each peer's state and log.
_sw_peers_dump() {
	local p n kind d _sw_timeout=(timeout 10)
	for p in "${_sw_peers[@]}"; do
		n=${p%%:*} kind=$(echo "$p" | cut -d: -f2) d=$SW_LOGDIR/$n
		if kill -0 "$(echo "$p" | cut -d: -f4)" 2>/dev/null; then
			echo "# $kind $n is running; its SAs:"
			case $kind in
			libreswan) libreswan_whack "$n" --trafficstatus 2>&1 | _sw_comment ;;
			strongswan) swanctl_run "$n" --list-sas 2>&1 | _sw_comment ;;
			esac
		else
			echo "# $kind $n is not running"
		fi
		case $kind in
		libreswan)
			echo "# libreswan $n log ($d/pluto.log):"
			cat "$d/pluto.log" "$d/stdout" 2>/dev/null | _sw_comment ;;
		strongswan)
			echo "# strongSwan $n log ($d/charon.log):"
			cat "$d/charon.log" "$d/stdout" 2>/dev/null | _sw_comment ;;
		esac
	done
}
