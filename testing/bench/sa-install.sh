#!/bin/bash
# sa-install.sh: how fast the XFRM backend installs and removes SAs, against
# iproute2's `ip -batch` doing the same; and what an offloaded install costs
# on netdevsim. Prints figures (as TAP comments, plus one "ok" saying the
# benchmark ran); it is not a pass/fail test. Runs in the test VM:
#
#   SWAN_SCENARIO_TIMEOUT=1800 testing/vm/run --out build/results/bench testing/bench/sa-install.sh
#
# BENCH_PAIRS (default 10000) SA pairs, each an outbound and an inbound
# AES-GCM-128 tunnel SA with a reqid of its own (as each conn has), are
# added one request at a time and then deleted,
# first by the backend (testing/kernel/xfrm-driver bench), then by one
# `ip -batch` run per phase with the same SAs. BENCH_CYCLES (default 2000)
# add+delete cycles of one pair measure the per-SA cost with and without
# offload to a netdevsim port (which holds only 33 SAs, hence cycles).
. "$(dirname "$0")/../scenarios/lib.sh"

pairs=${BENCH_PAIRS:-10000}
cycles=${BENCH_CYCLES:-2000}
ns_add bench
nsim_add bench 192.0.2.1/24
B=$(ns_name bench)
drv() { ns bench "$BINDIR/xfrm-driver" "$@"; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
say() { echo "# $*"; }

say "kernel $(uname -r), $(nproc) CPUs, $pairs SA pairs ($((2 * pairs)) SAs), AES-GCM-128 tunnel"

# --- the backend ------------------------------------------------------------------
out=$(drv bench --pairs "$pairs" --src 192.0.2.1 --dst 192.0.2.2 --esp aes_gcm128 --reqid 0x4000 2>&1) ||
	{ not_ok "backend benchmark"; echo "$out" | _sw_comment; exit 1; }
say "$out"
b_add=$(sed -n 's/.*added in \([0-9.]*\) s.*/\1/p' <<<"$out")
b_del=$(sed -n 's/.*deleted in \([0-9.]*\) s.*/\1/p' <<<"$out")

# --- ip -batch, the same SAs ------------------------------------------------------------
key=0x$(printf '%02x' {1..20})
adds=$SW_LOGDIR/ip-add.batch dels=$SW_LOGDIR/ip-del.batch
# One awk, not a shell loop: 10,000 iterations of shell under qemu's TCG
# would take longer than the benchmark itself.
awk -v n="$pairs" -v key="$key" -v adds="$adds" -v dels="$dels" 'BEGIN {
	for (i = 0; i < n; i++) {
		o = sprintf("0x%08x", 65536 + 2 * i); in_ = sprintf("0x%08x", 65537 + 2 * i)
		a = "reqid " (16384 + i) " mode tunnel replay-window 32 aead rfc4106(gcm(aes)) " key " 128"
		print "xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi " o " " a >adds
		print "xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi " in_ " " a >adds
		print "xfrm state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi " o >dels
		print "xfrm state delete src 192.0.2.2 dst 192.0.2.1 proto esp spi " in_ >dels
	}
}'
t0=$(now); ip -n "$B" -batch "$adds" || { not_ok "ip -batch add"; exit 1; }
t1=$(now); count=$(ip -n "$B" xfrm state | grep -c '^src')
t2=$(now); ip -n "$B" -batch "$dels" || { not_ok "ip -batch delete"; exit 1; }
t3=$(now)
i_add=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
i_del=$(awk -v a="$t2" -v b="$t3" 'BEGIN { print b - a }')
n=$((2 * pairs))
say "ip -batch: $count SAs added in ${i_add} s ($(rate $n "$i_add") SAs/s), deleted in ${i_del} s ($(rate $n "$i_del") SAs/s)"
say "backend/ip ratio: add $(awk -v b="$b_add" -v i="$i_add" 'BEGIN { printf "%.2f", i / b }'), delete $(awk -v b="$b_del" -v i="$i_del" 'BEGIN { printf "%.2f", i / b }') (above 1: the backend is faster)"

# --- offloaded vs software installs -------------------------------------------------------
sw=$(drv cycles --count "$cycles" --src 192.0.2.1 --dst 192.0.2.2 --esp aes_gcm128 2>&1)
hw=$(drv cycles --count "$cycles" --src 192.0.2.1 --dst 192.0.2.2 --esp aes_gcm128 --offload "$NSIM_DEV" 2>&1)
say "$sw"
say "$hw"
us() { sed -n 's/.*: \([0-9.]*\) us per SA.*/\1/p' <<<"$1"; }
say "offload cost: $(awk -v s="$(us "$sw")" -v h="$(us "$hw")" 'BEGIN { printf "%.1f us per SA add+delete more than software (%.2fx)", h - s, h / s }')"
check "netdevsim holds no SA after the cycles" grep -q "^SA count=0 " <<<"$(nsim_ipsec "$NSIM_ID")"
ok "benchmark ran ($pairs pairs)"
