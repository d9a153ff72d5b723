#!/usr/bin/env bash
# test-systemd.sh DEB: the package under systemd, as on a Debian 12 host.
# A Debian 12 root file system (prepare-rootfs; its directory in
# SWAN_SYSD_ROOT) boots with systemd as PID 1 under systemd-nspawn,
# read-only with a tmpfs over it and a network namespace of its own; in
# it: dpkg -i DEB, then the service is started (the package enables and
# starts it), reaches active (Type=notify: only once pluto sent READY=1),
# answers ipsec status, reloads (ExecReload: a conn added to ipsec.conf is
# loaded; a broken ipsec.conf fails the reload and the service runs on),
# logs to the journal, and stops leaving no pluto. Commands run in the
# container through nsenter: nothing is registered with the host's
# systemd (there may be none). Prints TAP lines.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
deb=$1
version=$(cat "$here/../../VERSION")
root=${SWAN_SYSD_ROOT:-}

if ! command -v systemd-nspawn >/dev/null || ! command -v nsenter >/dev/null; then
	skip "the package runs under systemd" "systemd-nspawn or nsenter is not installed (make deps installs them)"
	exit 0
fi
if [ -z "$root" ] || [ ! -d "$root" ]; then
	skip "the package runs under systemd" "no Debian root file system (testing/package/prepare-rootfs made none)"
	exit 0
fi
tmp=$(mktemp -d /tmp/swan-sysd.XXXXXX)
cp "$deb" "$tmp/swan-offload.deb"
nspawn_pid=
stop_container() {
	[ -n "$nspawn_pid" ] || return 0
	# SIGTERM: nspawn asks the container's systemd to power off.
	kill "$nspawn_pid" 2>/dev/null
	wait_until 60 eval '! kill -0 "$nspawn_pid"' || kill -9 "$nspawn_pid" 2>/dev/null
	wait "$nspawn_pid" 2>/dev/null
	nspawn_pid=
}
trap 'stop_container; rm -rf "$tmp"' EXIT

systemd-nspawn --quiet --directory="$root" --boot --register=no --keep-unit --read-only --volatile=overlay \
	--private-network --machine="swan-pkg-$$" --console=passive --bind-ro="$tmp:/mnt/pkg" >"$tmp/boot.log" 2>&1 &
nspawn_pid=$!
# The container's PID 1 is the child of nspawn that runs systemd (another
# child, which sets it up, comes and goes first).
leader() { leader=$(ps -o pid=,comm= --ppid "$nspawn_pid" | awk '$2 == "systemd" { print $1; exit }'); [ -n "$leader" ]; }
# in_ct CMD...: runs CMD in the container.
in_ct() { nsenter --target "$leader" --all -- "$@"; }
booted() { in_ct systemctl is-system-running 2>/dev/null | grep -qxE 'running|degraded'; }
if ! wait_until 60 leader || ! wait_until 120 booted; then
	not_ok "systemd boots in the container" "$(in_ct systemctl --failed --no-pager 2>&1)" "$(tail -20 "$tmp/boot.log")"
	exit 1
fi
ok "systemd boots a Debian 12 system in the container ($(in_ct systemctl --version | head -n1))"

expect_ok "dpkg -i installs the package" in_ct dpkg -i /mnt/pkg/swan-offload.deb
expect_match "the unit is enabled at install" '^enabled$' "$(in_ct systemctl is-enabled ipsec 2>&1)"
in_ct systemctl start ipsec
active() { [ "$(in_ct systemctl is-active ipsec)" = active ]; }
if wait_until 60 active; then
	ok "the service is active (Type=notify: pluto sent READY=1)"
else
	not_ok "the service is active (Type=notify: pluto sent READY=1)" \
		"$(in_ct systemctl status ipsec --no-pager 2>&1)" "$(in_ct journalctl -u ipsec --no-pager 2>&1 | tail -20)"
	exit 1
fi
show=$(in_ct systemctl show -p Type -p NotifyAccess -p MainPID ipsec)
expect_match "it is Type=notify" '^Type=notify$' "$show"
pid=$(printf '%s\n' "$show" | sed -n 's/^MainPID=//p')
expect_match "its main process is pluto" '^pluto$' "$(in_ct cat "/proc/$pid/comm" 2>&1)"
expect_match "ipsec status answers through the control socket" '^Connection list: 0 loaded' "$(in_ct ipsec status 2>&1)"
expect_match "/etc/ipsec.secrets is root's, mode 0600" '^600 root$' "$(in_ct stat -c '%a %U' /etc/ipsec.secrets 2>&1)"

# systemctl reload runs ExecReload: the conn added to ipsec.conf is loaded.
in_ct sh -c 'cp /etc/ipsec.conf /etc/ipsec.conf.dist &&
	printf "\nconn pkgtest\n\tleft=127.0.0.1\n\tright=192.0.2.9\n\tauthby=secret\n\tauto=add\n" >> /etc/ipsec.conf'
expect_ok "systemctl reload ipsec" in_ct systemctl reload ipsec
expect_match "the reload loaded the conn added to ipsec.conf" '^"pkgtest": 127\.0\.0\.1\.\.\.192\.0\.2\.9' "$(in_ct ipsec status 2>&1)"
expect_match "after the reload the service is active, the same pluto" "^active $pid\$" \
	"$(in_ct systemctl is-active ipsec) $(in_ct systemctl show -p MainPID --value ipsec)"
in_ct sh -c 'printf "config setup\n\tfips=maybe\n" > /etc/ipsec.conf'
expect_fail "a reload of a broken ipsec.conf fails" in_ct systemctl reload ipsec
expect_match "... and the service runs on with its conns" "^active $pid pkgtest\$" \
	"$(in_ct systemctl is-active ipsec) $(in_ct systemctl show -p MainPID --value ipsec) $(in_ct ipsec status | sed -n 's/^"\(pkgtest\)": .*/\1/p')"
in_ct cp /etc/ipsec.conf.dist /etc/ipsec.conf

# journald may take a moment to write the reload's last lines.
journal_has() { in_ct journalctl -u ipsec --no-pager 2>&1 | grep -q -- "$1"; }
wait_until 30 journal_has "/etc/ipsec.conf:2: keyword 'fips'" || true
journal=$(in_ct journalctl -u ipsec --no-pager 2>&1)
expect_match "the journal has pluto's start line" "pluto\\[$pid\\]: pluto $version started \\(pid $pid\\)" "$journal"
expect_match "the journal has the reload's line" "whack --reload: /etc/ipsec.conf read again: 1 added" "$journal"
expect_match "the journal names the broken keyword" "/etc/ipsec.conf:2: keyword 'fips'" "$journal"

expect_ok "systemctl stop ipsec" in_ct systemctl stop ipsec
expect_match "the service is inactive" '^inactive$' "$(in_ct systemctl is-active ipsec 2>&1)"
expect_match "no pluto is left" '^none$' "$(in_ct pgrep -x pluto || echo none)"
stop_container
tap_exit
