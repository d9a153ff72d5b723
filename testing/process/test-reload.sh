#!/usr/bin/env bash
# Process tests of a reload (`ipsec reload`, whack --rereadall, SIGHUP):
# the loaded conns become what ipsec.conf now says. A conn removed from the
# file is deleted, a changed one replaced, an unchanged one left alone (its
# half-open IKE SA is still there: nothing touched it), a new one added; a
# conn with an error keeps what was loaded, and the error names file, line
# and keyword. Tunnels need kernel ESP: the VM scenario ike-commands shows
# a reload taking an up tunnel's SAs out of the kernel.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/pluto_test.sh"
pluto_test reload "$@"
ctl=(--rundir "$run")

# conf [CHANGE_ESP] [GONE] [FRESH] [BAD]: writes ipsec.conf. "stay" moves
# down a line each time a conn is put before it, which is no change.
conf() {
	local change_esp=$1 gone=$2 fresh=$3 bad=$4
	{
		printf 'config setup\n\tlogfile=/dev/null\n\thalfopen-ike-timeout=3600\n\nconn %%default\n\tauthby=secret\n\n'
		[ "$fresh" = yes ] && printf 'conn fresh\n\tleft=127.0.0.1\n\tright=127.0.0.5\n\tauto=add\n\n'
		printf 'conn stay\n\tleft=127.0.0.1\n\tright=127.0.0.2\n\tauto=add\n\n'
		printf 'conn change\n\tleft=127.0.0.1\n\tright=127.0.0.3\n\tesp=%s\n\tauto=add\n' "$change_esp"
		[ "$bad" = yes ] && printf '\tike=aes999-sha1\n'
		printf '\n'
		[ "$gone" = yes ] && printf 'conn gone\n\tleft=127.0.0.1\n\tright=127.0.0.4\n\tauto=add\n\n'
		printf 'conn byhand\n\tleft=127.0.0.1\n\tright=127.0.0.6\n\tauto=ignore\n'
	} > "$tmp/ipsec.conf"
}
conf aes_gcm256-null yes no no
printf '127.0.0.1 %s : PSK "reload-test-secret"\n' 127.0.0.2 127.0.0.3 127.0.0.4 > "$tmp/ipsec.secrets"
chmod 600 "$tmp/ipsec.secrets"

expect_ok "pluto starts" "$ipsec" start --config "$tmp/ipsec.conf" --secretsfile "$tmp/ipsec.secrets" \
	--rundir "$run" --logfile "$tmp/pluto.log"
expect_rc "a conn of the file is added by hand" 0 '"byhand": added' "$ipsec" add byhand --config "$tmp/ipsec.conf" "${ctl[@]}"
# A half-open IKE SA on each of stay, change and gone.
for peer in 2 3 4; do
	python3 "$here/../lib/ike_sa_init.py" 127.0.0.$peer 127.0.0.1 ||
		not_ok "127.0.0.$peer gets an IKE_SA_INIT reply" "$(tail -5 "$tmp/pluto.log")"
done
states=$("$ipsec" showstates "${ctl[@]}" 2>&1)
n=$(printf '%s\n' "$states" | grep -cE '"(stay|change|gone)".* STATE_V2_PARENT_R1')
if [ "$n" = 3 ]; then ok "each of stay, change and gone has a half-open IKE SA"
else not_ok "each of stay, change and gone has a half-open IKE SA" "$states"; fi
stay_sa=$(printf '%s\n' "$states" | sed -n 's/^\(#[0-9]*\): "stay".*STATE_V2_PARENT_R1.*/\1/p')

# --- remove, change, leave alone, add: one reload ---
conf aes_gcm128-null no yes no
echo '127.0.0.1 127.0.0.5 : PSK "reload-test-secret"' >> "$tmp/ipsec.secrets"
out=$("$ipsec" reload "${ctl[@]}" 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok "ipsec reload succeeds"; else not_ok "ipsec reload succeeds" "exit $rc" "$out"; fi
expect_match "reload: the removed conn is deleted, its SAs taken down" \
	"^\"gone\": whack --reload: no longer in $tmp/ipsec.conf: deleted, its SAs taken down\$" "$out"
expect_match "reload: the changed conn is replaced, saying which keyword changed" \
	'^"change": whack --reload: esp= changed: replaced$' "$out"
expect_match "reload: the unchanged conn is left as it is (it only moved in the file)" \
	'^"stay": whack --reload: unchanged, left as it is$' "$out"
expect_match "reload: a conn added by hand from the file is unchanged too" \
	'^"byhand": whack --reload: unchanged, left as it is$' "$out"
expect_match "reload: the new conn is added" "^\"fresh\": whack --reload: new in $tmp/ipsec.conf: added\$" "$out"
expect_match "reload: the closing line counts what it did" \
	'read again: 1 added, 1 replaced, 1 deleted, 2 unchanged, 0 refused; 4 loaded$' "$out"
expect_match "reload: the secrets are read again" 'loaded 4 PSK entries' "$out"
lines=""
for name in stay change gone fresh byhand; do
	lines="$lines $name:$(printf '%s\n' "$out" | grep -cE "^\"$name\": whack --reload: ")"
done
expect_match "one reload line per conn" '^ stay:1 change:1 gone:1 fresh:1 byhand:1$' "$lines"

status=$("$ipsec" status "${ctl[@]}" 2>&1)
expect_no_match "the removed conn is no longer loaded" '^"gone":' "$status"
expect_match "the changed conn runs on the new config" '^"change":   esp=aes_gcm128-null' "$status"
expect_match "the new conn is loaded" '^"fresh": 127\.0\.0\.1\.\.\.127\.0\.0\.5' "$status"
states=$("$ipsec" showstates "${ctl[@]}" 2>&1)
expect_match "the unchanged conn's half-open IKE SA is untouched" "^$stay_sa: \"stay\".* STATE_V2_PARENT_R1" "$states"
expect_no_match "the changed conn's IKE SA was taken down with the old config" '"change".* STATE_V2_PARENT_R1' "$states"
expect_no_match "the removed conn's IKE SA was taken down" '"gone".* STATE_V2_PARENT_R1' "$states"
expect_match "the new conn answers its peer" '^answered$' "$(python3 "$here/../lib/ike_sa_init.py" 127.0.0.5 127.0.0.1 2>&1 && echo answered)"
expect_match "... on an IKE SA of its own" '"fresh".* STATE_V2_PARENT_R1' "$("$ipsec" showstates "${ctl[@]}" 2>&1)"

# --- a conn with an error: it keeps what was loaded; the others go on ---
conf aes_gcm256-null no yes yes
line=$(grep -n 'ike=aes999-sha1' "$tmp/ipsec.conf" | cut -d: -f1)
out=$("$BINDIR/whack" --rereadall "${ctl[@]}" 2>&1); rc=$?
if [ $rc -ne 0 ]; then ok "a reload with an error in a conn fails"; else not_ok "a reload with an error in a conn fails" "exit 0" "$out"; fi
expect_match "the error names file, line and keyword" "ipsec\\.conf:$line: keyword 'ike'" "$out"
expect_match "the conn with the error stays as it was loaded, saying so" \
	'^"change": whack --reload: its section in .* has errors \(above\): the loaded conn stays as it was$' "$out"
expect_match "the others are reread as usual" 'read again: 0 added, 0 replaced, 0 deleted, 3 unchanged, 1 refused; 4 loaded$' "$out"
status=$("$ipsec" status "${ctl[@]}" 2>&1)
expect_match "the conn with the error still runs on its old config" '^"change":   esp=aes_gcm128-null' "$status"
expect_match "the unchanged conn's IKE SA is still untouched" "^$stay_sa: \"stay\".* STATE_V2_PARENT_R1" \
	"$("$ipsec" showstates "${ctl[@]}" 2>&1)"

# --- a file that does not parse changes nothing ---
cp "$tmp/ipsec.conf" "$tmp/ipsec.conf.good"
printf 'config setup\n\tfips=maybe\n' > "$tmp/ipsec.conf"
out=$("$ipsec" reload "${ctl[@]}" 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -qE "ipsec\\.conf:2: keyword 'fips'" &&
   printf '%s\n' "$out" | grep -qE 'has errors; nothing changed: every loaded conn stays as it was'; then
	ok "a reload of a file with an error in config setup changes nothing, naming the error"
else
	not_ok "a reload of a file with an error in config setup changes nothing, naming the error" "exit $rc" "$out"
fi
expect_match "... every conn is still loaded" '^"fresh": .*' "$("$ipsec" status "${ctl[@]}" 2>&1)"

# --- SIGHUP does the same ---
conf aes_gcm128-null yes no no
kill -HUP "$(cat "$run/pluto.pid")"
if wait_until 30 grep -q 'SIGHUP: .* read again: ' "$tmp/pluto.log"; then
	ok "SIGHUP reloads"
else
	not_ok "SIGHUP reloads" "$(tail -5 "$tmp/pluto.log")"
fi
log=$(cat "$tmp/pluto.log")
expect_match "SIGHUP: the conn removed from the file is deleted" '"fresh": SIGHUP: no longer in .*: deleted' "$log"
expect_match "SIGHUP: the conn put back is added" '"gone": SIGHUP: new in .*: added' "$log"
expect_match "SIGHUP: the others are unchanged" 'SIGHUP: .* read again: 1 added, 0 replaced, 1 deleted, 3 unchanged, 0 refused; 4 loaded' "$log"
expect_match "SIGHUP: the unchanged conn's IKE SA is still untouched" "^$stay_sa: \"stay\".* STATE_V2_PARENT_R1" \
	"$("$ipsec" showstates "${ctl[@]}" 2>&1)"

# --- conns added from another file are not the config's ---
printf 'conn other\n\tleft=127.0.0.1\n\tright=127.0.0.7\n\tauto=add\n' > "$tmp/other.conf"
expect_rc "a conn is added from another file" 0 '"other": added' "$ipsec" add other --config "$tmp/other.conf" "${ctl[@]}"
out=$("$ipsec" reload "${ctl[@]}" 2>&1)
expect_no_match "a reload leaves a conn from another file alone" '"other"' "$out"
expect_match "... and it stays loaded" '^"other": ' "$("$ipsec" status "${ctl[@]}" 2>&1)"

expect_ok "ipsec stop" "$ipsec" stop "${ctl[@]}"
tap_exit
