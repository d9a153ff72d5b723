# netns.sh: source it in a process test, then call own_netns "$@" first
# thing: the test runs again in a network namespace of its own, loopback
# up. Its plutos, their port 500 and their XFRM state then meet no other
# pluto on this host: a second pluto in one namespace is refused, and
# another run of the tests may be going on. Needs root, ip and unshare -n;
# without them own_netns returns 1 and the test runs where it is.
own_netns() {
	if [ -n "${SWAN_OWN_NETNS:-}" ]; then
		ip link set lo up
		return 0
	fi
	if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null &&
	   unshare -n true 2>/dev/null; then
		exec unshare -n env SWAN_OWN_NETNS=1 bash "$0" "$@"
	fi
	return 1
}
