#!/usr/bin/env bash
# The main job for now: start pluto on the example config in a private
# rundir, show what it loaded, and stop it. (It becomes the tunnel demo in
# the VM once IKEv2 lands.)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/bin
run=$(mktemp -d /tmp/pluto-demo.XXXXXX)
trap '"$bin/ipsec" --rundir "$run" stop >/dev/null 2>&1 || true; rm -rf "$run"' EXIT

set -x
"$bin/ipsec" addconn --config "$top/docs/examples/ipsec.conf" --checkconfig
"$bin/ipsec" start --config "$top/docs/examples/ipsec.conf" \
	--secretsfile "$top/docs/examples/ipsec.secrets" --rundir "$run" --stderrlog
"$bin/ipsec" --rundir "$run" status
"$bin/ipsec" --rundir "$run" trafficstatus
"$bin/ipsec" --rundir "$run" stop
