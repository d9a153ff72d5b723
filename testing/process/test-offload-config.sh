#!/usr/bin/env bash
# Process tests of the offload rules pluto applies when a conn is added
# (docs/offload.md): they need no negotiation, so no kernel ESP either.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/pluto_test.sh"
pluto_test offload "$@"
ctl=(--rundir "$run")

cat > "$tmp/ipsec.conf" <<'CONF'
config setup
	fips=yes
	offload-interval=7s

conn %default
	left=192.0.2.1
	right=192.0.2.2
	authby=secret
	esp=aes_gcm128-null

conn hard
	hw_offload=yes
	hw_offload_fallback=no

conn soft
	hw_offload=crypto
	hw_offload_fallback=yes

conn auto
	hw_offload=auto

conn ah
	phase2=ah
	hw_offload=yes
	hw_offload_fallback=no
CONF
: > "$tmp/ipsec.secrets"
out=$("$ipsec" start --config "$tmp/ipsec.conf" --secretsfile "$tmp/ipsec.secrets" --rundir "$run" \
	--logfile "$tmp/pluto.log" 2>&1) || { not_ok "pluto starts" "$out"; exit 1; }

add() { "$ipsec" "${ctl[@]}" auto --add "$1" --config "$tmp/ipsec.conf" 2>&1; }

out=$(add hard); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'hw_offload=yes refused: fips=yes: keys must not leave the crypto boundary for the NIC; not adding this conn (hw_offload_fallback=no)'; then
	ok "fips=yes refuses hw_offload=yes at add when fallback is off, with the reason"
else
	not_ok "fips=yes refuses hw_offload=yes at add when fallback is off, with the reason" "exit $rc" "$out"
fi
expect_no_match "the refused conn is not loaded" '^"hard":' "$("$ipsec" "${ctl[@]}" status)"

out=$(add soft); rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q '"soft": warning: hw_offload=crypto refused: fips=yes.*will run in software (hw_offload_fallback=yes)'; then
	ok "fips=yes with fallback loads the conn in software, with a warning"
else
	not_ok "fips=yes with fallback loads the conn in software, with a warning" "exit $rc" "$out"
fi
expect_match "status says the conn's SAs run in software and why" \
	'^"soft":   hw_offload=crypto; hw_offload_fallback=yes; SAs run in software \(fips\)' "$("$ipsec" "${ctl[@]}" status)"

out=$(add auto); rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q '"auto": hw_offload=auto: fips=yes'; then
	ok "hw_offload=auto is never refused at add: an info line instead"
else
	not_ok "hw_offload=auto is never refused at add: an info line instead" "exit $rc" "$out"
fi

expect_match "the refusal is in pluto's log too" 'not added: hw_offload=yes refused: fips=yes' "$(cat "$tmp/pluto.log")"

# fips= is pluto's own setting, read at start: restart without it.
"$ipsec" "${ctl[@]}" stop >/dev/null 2>&1
sed -i 's/fips=yes/fips=no/' "$tmp/ipsec.conf"
"$ipsec" start --config "$tmp/ipsec.conf" --secretsfile "$tmp/ipsec.secrets" --rundir "$run" \
	--logfile "$tmp/pluto.log"
out=$(add ah); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'phase2=ah: only ESP can be offloaded'; then
	ok "AH with hw_offload is refused at add (checked before negotiation)"
else
	not_ok "AH with hw_offload is refused at add (checked before negotiation)" "exit $rc" "$out"
fi

# In a namespace of its own the only interface is lo, which ipsec offload
# does not list: a veth pair gives it two that it does.
no_iface=
if [ -n "${SWAN_OWN_NETNS:-}" ] && ! ip link add swan-v0 type veth peer name swan-v1 2>"$tmp/veth.err"; then
	no_iface="no interface to list: ip link add ... type veth failed: $(cat "$tmp/veth.err")"
fi
out=$("$ipsec" "${ctl[@]}" offload 2>&1); rc=$?
if [ -n "$no_iface" ]; then
	skip "ipsec offload lists the kernel's packet offload and each interface's features" "$no_iface"
elif [ $rc -eq 0 ] && printf '%s' "$out" | grep -q '^kernel: packet offload' &&
   printf '%s' "$out" | grep -qE '^[^ ]+: esp-hw-offload (on|off), .* SAs? offloaded now$'; then
	ok "ipsec offload lists the kernel's packet offload and each interface's features"
else
	not_ok "ipsec offload lists the kernel's packet offload and each interface's features" "exit $rc" "$out"
fi
# The offload budget's part of ipsec offload DEV: nothing learned yet, at
# the sampling interval config setup gave.
expect_match "ipsec offload DEV shows the budget: nothing used yet, sampled every offload-interval" \
	'^lo: offload budget: no tunnel of pluto.s has used this device yet \(sampled every 7 s\)$' \
	"$("$ipsec" "${ctl[@]}" offload lo 2>&1)"
expect_fail "ipsec offload --probe needs a device" "$ipsec" "${ctl[@]}" offload --probe
out=$("$ipsec" "${ctl[@]}" offload --probe nosuchdev0 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'nosuchdev0: no such interface'; then
	ok "ipsec offload --probe of a missing device fails clearly"
else
	not_ok "ipsec offload --probe of a missing device fails clearly" "exit $rc" "$out"
fi
expect_match "pluto clears its reqid range at start and says so" 'removed any SAs and policies an earlier pluto left' "$(cat "$tmp/pluto.log")"
"$ipsec" "${ctl[@]}" stop >/dev/null 2>&1

# offload-budget=no: the table is first come, first served; pluto says so
# at start and in ipsec offload DEV.
printf 'config setup\n\toffload-budget=no\n' >"$tmp/fcfs.conf"
out=$("$ipsec" start --config "$tmp/fcfs.conf" --secretsfile "$tmp/ipsec.secrets" --rundir "$run" \
	--logfile "$tmp/fcfs.log" 2>&1) || { not_ok "pluto starts with offload-budget=no" "$out"; tap_exit; }
expect_match "offload-budget=no: pluto says the table goes to the first come" \
	'offload: offload-budget=no: a NIC.s SA table goes to the tunnels that come up first' "$(cat "$tmp/fcfs.log")"
expect_match "offload-budget=no: ipsec offload DEV says the budget is off" \
	'^lo: offload budget: off \(offload-budget=no\): the table is first come, first served$' \
	"$("$ipsec" "${ctl[@]}" offload lo 2>&1)"
"$ipsec" "${ctl[@]}" stop >/dev/null 2>&1
tap_exit
