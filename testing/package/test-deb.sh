#!/usr/bin/env bash
# Builds the Debian package from a copy of the tree (dpkg-buildpackage -us
# -uc -b: 40 s on two idle cores, 2-3 minutes on busy ones), checks what it holds and declares,
# runs lintian on it, unpacks it into a scratch root (dpkg -x), checks the
# files there, and runs the unpacked ipsec and pluto: version, start,
# status, stop; then installs it with dpkg -i on a Debian 12 system that
# systemd boots in a container and runs the service (test-systemd.sh).
# The copy keeps the build from touching this tree's build/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../lib/tap.sh"
. "$here/../lib/netns.sh"
own_netns "$@" || echo "# in this host's network namespace: a network namespace of its own needs root, ip and unshare -n"

for tool in dpkg-buildpackage dh fakeroot; do
	if ! command -v "$tool" >/dev/null; then
		skip "the Debian package builds" "$tool is not installed (make deps installs it)"
		exit 0
	fi
done
version=$(cat "$top/VERSION")
tmp=$(mktemp -d /tmp/swan-deb.XXXXXX)
trap 'pkill -F "$tmp/run/pluto.pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# debian/changelog's version is VERSION's (a native package).
clv=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
if [ "$clv" = "$version" ]; then ok "debian/changelog's version is VERSION ($version)"
else not_ok "debian/changelog's version is VERSION" "changelog says '$clv', VERSION '$version'"; fi

src=$tmp/swan-offload-$version
mkdir -p "$src"
if git -C "$top" rev-parse >/dev/null 2>&1; then
	(cd "$top" && git ls-files -co --exclude-standard | tar -cf - -T -) | tar -xf - -C "$src"
else
	tar -C "$top" --exclude=./build --exclude=./build-san --exclude=./build-fuzz -cf - . | tar -xf - -C "$src"
fi
start=$SECONDS
if (cd "$src" && dpkg-buildpackage -us -uc -b -j2) > "$tmp/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds it ($((SECONDS - start)) s)"
else
	not_ok "dpkg-buildpackage -us -uc -b builds it" "$(tail -20 "$tmp/build.log")"
	exit 1
fi
deb=$tmp/swan-offload_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { not_ok "the .deb is where dpkg-buildpackage puts it" "$(ls "$tmp")"; exit 1; }

info=$(dpkg-deb -f "$deb" Package Version Conflicts Depends)
expect_match "the package is swan-offload $version" "^Version: $version\$" "$info"
expect_match "it conflicts with libreswan" '^Conflicts:.*\blibreswan\b' "$info"
expect_match "it conflicts with strongswan-starter" '^Conflicts:.*\bstrongswan-starter\b' "$info"
expect_match "its library dependencies are worked out (libnl, NSS, libevent)" '^Depends:.*libnl-xfrm-3.*libnss3' "$info"

mkdir -p "$tmp/control"
dpkg-deb -e "$deb" "$tmp/control"
conffiles=$(cat "$tmp/control/conffiles" 2>/dev/null)
expect_match "/etc/ipsec.conf is a conffile" '^/etc/ipsec\.conf$' "$conffiles"
expect_match "/etc/ipsec.secrets is a conffile" '^/etc/ipsec\.secrets$' "$conffiles"
expect_match "the unit is enabled at install (dh_installsystemd)" 'ipsec\.service' "$(cat "$tmp/control/postinst" 2>/dev/null)"

listing=$(dpkg-deb -c "$deb")
expect_match "ipsec.secrets is root's, mode 0600" '^-rw------- root/root .* \./etc/ipsec\.secrets$' "$listing"
expect_match "the files are root's" '^-rwxr-xr-x root/root .* \./usr/libexec/ipsec/pluto$' "$listing"
expect_no_match "nothing under /usr/local" '\./usr/local' "$listing"

root=$tmp/root
dpkg -x "$deb" "$root"
missing=""
for f in usr/sbin/ipsec usr/libexec/ipsec/pluto usr/libexec/ipsec/whack lib/systemd/system/ipsec.service \
	etc/ipsec.conf etc/ipsec.secrets usr/share/man/man8/ipsec.8.gz usr/share/man/man8/pluto.8.gz \
	usr/share/man/man8/whack.8.gz usr/share/man/man5/ipsec.conf.5.gz usr/share/man/man5/ipsec.secrets.5.gz \
	usr/share/doc/swan-offload/copyright; do
	[ -e "$root/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then ok "dpkg -x: the programs, unit, man pages and config files are there"
else not_ok "dpkg -x: the programs, unit, man pages and config files are there" "missing:$missing"; fi
if [ -d "$root/etc/ipsec.d" ]; then ok "dpkg -x: /etc/ipsec.d is there"; else not_ok "dpkg -x: /etc/ipsec.d is there"; fi

unit=$root/lib/systemd/system/ipsec.service
expect_match "the unit is Type=notify" '^Type=notify$' "$(cat "$unit")"
expect_match "the unit starts /usr/libexec/ipsec/pluto --nofork" '^ExecStart=/usr/libexec/ipsec/pluto --nofork$' "$(cat "$unit")"
expect_match "the unit reloads with whack --rereadall" '^ExecReload=/usr/libexec/ipsec/whack --rereadall$' "$(cat "$unit")"
expect_match "the unit bounds pluto's capabilities" '^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE$' "$(cat "$unit")"
expect_match "the unit protects the system" '^ProtectSystem=strict$' "$(cat "$unit")"
if command -v systemd-analyze >/dev/null; then
	# verify looks for the programs where the unit says: point it at the scratch root.
	sed "s|/usr/libexec/ipsec/|$root/usr/libexec/ipsec/|g" "$unit" > "$tmp/ipsec.service"
	expect_ok "systemd-analyze verify accepts the unit" systemd-analyze verify --man=no "$tmp/ipsec.service"
else
	skip "systemd-analyze verify accepts the unit" "systemd-analyze is not installed"
fi

if command -v mandoc >/dev/null; then
	lint=""
	for page in "$root"/usr/share/man/man*/*.gz; do
		lint="$lint$(zcat "$page" | mandoc -Tlint -W warning 2>&1)"
	done
	if [ -z "$lint" ]; then ok "the packaged man pages lint clean"; else not_ok "the packaged man pages lint clean" "$lint"; fi
fi

if command -v lintian >/dev/null; then
	out=$(lintian --allow-root "$deb" 2>&1)
	if printf '%s\n' "$out" | grep -q '^E: '; then not_ok "lintian: no errors" "$out"; else ok "lintian: no errors"; fi
	printf '%s\n' "$out" | sed -n 's/^\([WI]: .*\)/# lintian: \1/p'
else
	skip "lintian: no errors" "lintian is not installed (make deps installs it)"
fi

# The unpacked programs run from the scratch root: ipsec finds pluto and
# whack in ../libexec/ipsec from itself.
ipsec=$root/usr/sbin/ipsec
expect_match "the packaged ipsec version is $version" "^swan-offload $version " "$("$ipsec" version 2>&1)"
expect_match "the packaged pluto --version is $version" "^swan-offload $version\$" "$("$root/usr/libexec/ipsec/pluto" --version 2>&1)"
expect_ok "the packaged pluto starts with the packaged config" "$ipsec" start --config "$root/etc/ipsec.conf" \
	--secretsfile "$root/etc/ipsec.secrets" --rundir "$tmp/run" --logfile "$tmp/pluto.log"
expect_match "the packaged ipsec status answers" '^Connection list: 0 loaded' "$("$ipsec" status --rundir "$tmp/run" 2>&1)"
expect_ok "the packaged ipsec stop" "$ipsec" stop --rundir "$tmp/run"

# dpkg -i on a Debian 12 system booted with systemd: the running service.
bash "$here/test-systemd.sh" "$deb" || tap_failed=$((tap_failed + 1))
tap_exit
