#!/usr/bin/env bash
# Hostile and odd IKE datagrams against a live pluto (no kernel ESP
# needed): each is dropped and logged or answered as RFC 7296 says, and
# pluto keeps running.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/pluto_test.sh"
pluto_test ike "$@"

cat > "$tmp/ipsec.conf" <<'CONF'
conn t
	left=127.0.0.1
	right=127.0.0.2
	authby=secret
	auto=add
CONF
echo '127.0.0.1 127.0.0.2 : PSK "input-test-secret"' > "$tmp/ipsec.secrets"
out=$("$BINDIR/ipsec" start --config "$tmp/ipsec.conf" --secretsfile "$tmp/ipsec.secrets" \
	--rundir "$run" --logfile "$tmp/pluto.log" 2>&1) || { not_ok "pluto starts" "$out"; exit 1; }
wait_until 5 grep -q 'listening for IKE messages on 127.0.0.1 port 500' "$tmp/pluto.log" ||
	{ not_ok "pluto listens for IKE on 127.0.0.1:500" "$(cat "$tmp/pluto.log")"; exit 1; }

# ike SRC KIND: sends one datagram of KIND from SRC to 127.0.0.1:500 and
# prints the notify types of the answer, if any ("none" when silent).
ike() {
	python3 - "$1" "$2" <<'PY'
import os, socket, struct, sys
src, kind = sys.argv[1], sys.argv[2]
def payload(np, body, critical=False):
    return struct.pack(">BBH", np, 0x80 if critical else 0, 4 + len(body)) + body
def header(np, exchange, flags, length, spi_i=b"\x11" * 8, spi_r=bytes(8), msgid=0):
    return spi_i + spi_r + struct.pack(">BBBBII", np, 0x20, exchange, flags, msgid, length)
def message(chain, exchange=34, flags=0x08, **kw):
    np, body = chain
    return header(np, exchange, flags, 28 + len(body), **kw) + body
def init_chain(extra=b"", extra_np=None, group=31):
    # SA (AES_GCM_16-256, PRF-SHA2-512, one DH group: one of the defaults), KE, Nonce.
    # Any 32 bytes are an X25519 public value; 64 random bytes are not a P-256 point., KE, Nonce
    t = lambda last, ttype, tid, attr=b"": struct.pack(">BBHBBH", last, 0, 8 + len(attr), ttype, 0, tid) + attr
    trans = t(3, 1, 20, struct.pack(">HH", 0x800E, 256)) + t(3, 2, 7) + t(0, 4, group)
    prop = struct.pack(">BBHBBBB", 0, 0, 8 + len(trans), 1, 1, 0, 3) + trans
    nonce_np = extra_np if extra_np else 0
    return 33, payload(34, prop) + payload(40, struct.pack(">HH", group, 0) + os.urandom(32 if group == 31 else 64)) + \
        payload(nonce_np, os.urandom(32)) + extra
kinds = {
    "garbage": os.urandom(57),
    "short": b"\x11" * 20,
    "length-lie": header(0, 34, 0x08, 500),
    "truncated-payload": header(33, 34, 0x08, 36) + struct.pack(">BBH", 0, 0, 200) + b"\0" * 4,
    "bad-version": header(0, 34, 0x08, 28)[:17] + b"\x30" + header(0, 34, 0x08, 28)[18:],
    "unknown-spi": message((46, payload(0, os.urandom(40))), exchange=35, spi_r=b"\x22" * 8, msgid=1),
    "unknown-critical": message(init_chain(payload(0, b"xx", critical=True), extra_np=200)),
    "no-proposal": message((33, payload(0, b"\0" * 8))),
    "good-init": message(init_chain()),
    # its own SPI: the half-open SA it leaves stands until it expires
    "bad-ke": message(init_chain(group=19), spi_i=b"\x33" * 8),
}
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(2)
s.sendto(kinds[kind], ("127.0.0.1", 500))
try:
    data = s.recv(65535)
except socket.timeout:
    print("none"); sys.exit(0)
np, off, found = data[16], 28, []
while np and off + 4 <= len(data):
    nxt, _, plen = struct.unpack(">BBH", data[off:off + 4])
    if np == 41:
        found.append(str(struct.unpack(">H", data[off + 6:off + 8])[0]))
    if np == 33:
        found.append("SA")
    np, off = nxt, off + plen
print(" ".join(found) if found else "answer")
PY
}

for k in garbage short length-lie truncated-payload bad-version; do
	out=$(ike 127.0.0.2 $k)
	if [ "$out" = none ]; then ok "a $k datagram gets no answer"; else not_ok "a $k datagram gets no answer" "answer: $out"; fi
done
expect_match "malformed datagrams are logged as dropped" 'dropped a malformed IKE message from 127.0.0.2' "$(cat "$tmp/pluto.log")"
expect_match "a message for an IKE SA pluto does not have gets no answer" '^none$' "$(ike 127.0.0.2 unknown-spi)"
expect_match "an unknown critical payload is answered UNSUPPORTED_CRITICAL_PAYLOAD (1)" '^1$' "$(ike 127.0.0.2 unknown-critical)"
expect_match "an SA payload with no usable proposal is dropped or refused" '^(none|14)$' "$(ike 127.0.0.2 no-proposal)"
expect_match "IKE_SA_INIT from a peer with no conn is answered NO_PROPOSAL_CHOSEN (14)" '^14$' "$(ike 127.0.0.3 good-init)"
expect_match "an IKE_SA_INIT whose DH19 value is no curve point gets no answer" '^none$' "$(ike 127.0.0.2 bad-ke)"
expect_match "and is logged as a failed key agreement" 'DH19: key agreement failed' "$(cat "$tmp/pluto.log")"
expect_match "a well-formed IKE_SA_INIT from the conn's peer is answered with SA, KE, Nonce" '^SA$' "$(ike 127.0.0.2 good-init)"
expect_ok "pluto still answers whack after all of it" "$BINDIR/whack" --rundir "$run" --status
expect_match "status shows the half-open IKE SA" '^"t": .*IKE SA #[0-9]+ IKE_SA_INIT answered' "$("$BINDIR/whack" --rundir "$run" --status)"
expect_match "status counts the half-open IKE SAs and shows the defences in force" \
	'^Half-open IKE SAs: 2; cookies asked for: no \(ddos-mode=auto, ddos-ike-threshold=50, max-halfopen-ike=10000, max-halfopen-ike-per-peer=5, halfopen-ike-timeout=30s\)' \
	"$("$BINDIR/whack" --rundir "$run" --status)"
"$BINDIR/whack" --rundir "$run" --shutdown >/dev/null
tap_exit
