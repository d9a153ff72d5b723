# pluto_test.sh: the start that the process tests of a live pluto share.
# Source it (it sources tap.sh and netns.sh), then call
#   pluto_test NAME "$@"
# first thing: the test runs again in a network namespace of its own when
# it can (own_netns), and gets BINDIR (the built programs; make
# check-process sets it), ipsec (the front command), tmp (a directory of
# its own under /tmp, named after NAME) and run (the rundir, $tmp/run).
# On exit the pluto of $run is stopped and $tmp removed.
# shellcheck source=tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
# shellcheck source=netns.sh
. "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

pluto_test() {
	local name=$1
	shift
	own_netns "$@" ||
		echo "# in this host's network namespace: a network namespace of its own needs root, ip and unshare -n"
	BINDIR=${BINDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/bin}
	ipsec=$BINDIR/ipsec
	tmp=$(mktemp -d "/tmp/pluto-$name.XXXXXX")
	run=$tmp/run
	trap 'pkill -F "$run/pluto.pid" 2>/dev/null; rm -rf "$tmp"' EXIT
}
