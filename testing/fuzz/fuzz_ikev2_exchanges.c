/* libFuzzer target: the IKE state machine itself. Two pluto ends in one
 * process (testing/unit/ike_harness.h: the real exchange code, the
 * kernel double, a wire queue) run a negotiation, and the input decides
 * what the wire does to each message on its way: deliver it, drop it,
 * deliver it twice, change a byte, cut it short, swap it for bytes of its
 * own, or send it to the wrong end; or, before it goes, one end starts a
 * rekey of its child or IKE SA. So the fuzzer starts from valid messages
 * of every exchange and reaches IKE_AUTH, CREATE_CHILD_SA (rekeys from
 * either end, crossing ones among them), INFORMATIONAL and the error
 * paths without having to forge encryption.
 *
 * The DH computation is replaced here by a cheap deterministic one (the
 * real one is fuzzed by fuzz_ke): both ends derive the same secret from
 * each other's value, so every exchange costs hashes, not modular
 * exponentiation, and a changed KE still makes authentication fail as it
 * would for real. Each input ends with every SA torn down, and must leave
 * no SA, kernel SA or policy, or half-open count behind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/ike_harness.h"

/* ---- a DH double ---- */

struct dh_local {
	enum dh_id g;
};

static const struct { enum dh_id g; size_t len; } groups[] = {
	{ DH_MODP2048, 256 }, { DH_MODP3072, 384 }, { DH_MODP4096, 512 },
	{ DH_ECP256, 64 }, { DH_ECP384, 96 }, { DH_ECP521, 132 }, { DH_CURVE25519, 32 },
};

bool dh_supported(enum dh_id g)
{
	return dh_public_len(g) != 0;
}

size_t dh_public_len(enum dh_id g)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (groups[i].g == g)
			return groups[i].len;
	}
	return 0;
}

struct dh_local *dh_generate(enum dh_id g, uint8_t *pub, struct diag *d)
{
	size_t len = dh_public_len(g);
	struct dh_local *l = len != 0 ? malloc(sizeof(*l)) : NULL;
	if (l == NULL) {
		diag_add(d, "no such group");
		return NULL;
	}
	l->g = g;
	for (size_t i = 0; i < len; i++)
		pub[i] = (uint8_t)(0x5a ^ i);
	return l;
}

PK11SymKey *dh_derive(struct dh_local *l, const uint8_t *peer, size_t peer_len, struct diag *d)
{
	size_t len = dh_public_len(l->g);
	if (peer_len != len) {
		diag_add(d, "the peer's value has the wrong length");
		return NULL;
	}
	/* The same for both ends as long as both sent the fixed value. */
	uint8_t shared[IKE_DH_PUB_MAX];
	for (size_t i = 0; i < len; i++)
		shared[i] = (uint8_t)(peer[i] * 7 + 1);
	return ike_key_import(shared, len);
}

void dh_free(struct dh_local *l)
{
	free(l);
}

struct dh_local *dh_import(enum dh_id id, const uint8_t *priv, size_t priv_len,
			   const uint8_t *pub, size_t pub_len, struct diag *d)
{
	(void)priv; (void)priv_len; (void)pub; (void)pub_len;
	uint8_t scratch[IKE_DH_PUB_MAX];
	return dh_generate(id, scratch, d);
}

/* ---- the run ---- */

#define WEST "192.0.2.1"
#define EAST "192.0.2.2"

static const char conf[] =
	"conn west\n"
	"\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tike=aes_gcm256-sha2_256;dh31\n"
	"\tesp=aes_gcm128-null\n\tauto=add\n"
	"conn east\n"
	"\tleft=" EAST "\n\tright=" WEST "\n\tauthby=secret\n\tike=aes_gcm256-sha2_256;dh31,aes128-sha2_256;dh19\n"
	"\tesp=aes_gcm128-null,aes128-sha1\n\tauto=add\n";
static const char secrets[] = WEST " " EAST " : PSK \"fuzzing secret\"\n";

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t take(struct input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

enum wire_op { OP_DELIVER, OP_DROP, OP_TWICE, OP_FLIP, OP_CUT, OP_REPLACE, OP_REFLECT, OP_REKEY, OP_COUNT };

/* Applies the input's next instruction to m and delivers what is left. */
static void act(struct input *in, struct wire_msg *m)
{
	switch (take(in) % OP_COUNT) {
	case OP_DELIVER:
		break;
	case OP_DROP:
		return;
	case OP_TWICE:
		wire_deliver(m);
		break;
	case OP_FLIP: {
		size_t at = ((size_t)take(in) << 8 | take(in)) % m->len;
		m->buf[at] ^= take(in) | 1;
		break;
	}
	case OP_CUT:
		m->len = ((size_t)take(in) << 8 | take(in)) % (m->len + 1);
		break;
	case OP_REPLACE: {
		size_t n = ((size_t)take(in) << 8 | take(in)) % (in->left + 1);
		memcpy(m->buf, in->p, n);
		m->len = n;
		in->p += n;
		in->left -= n;
		break;
	}
	case OP_REFLECT: {
		/* back to its sender, as if the other end had sent it */
		ip_address a = m->from;
		m->from = m->to;
		m->to = a;
		break;
	}
	case OP_REKEY: {
		/* an end rekeys (when it has something to rekey), then m goes */
		uint8_t how = take(in);
		struct ike_sa *ike = ike_sa_of_conn(how & 1 ? "east" : "west");
		if (ike != NULL)
			ikev2_rekey_now(ike, how & 2);
		break;
	}
	}
	wire_deliver(m);
}

static void tear_down(void)
{
	ikev2_shutdown();
	wire_clear();
	if (ike_sa_first() != NULL || ike_dos_halfopen_total() != 0 || dbl.nsas != 0 || dbl.npols != 0)
		abort();
	ike_dos_reset();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool started;
	if (!started) {
		log_set_debug(false);
		log_to_file("/dev/null", &(struct diag){0});
		if (!harness_start(conf, secrets))
			abort();
		started = true;
	}
	struct input in = { data, size };
	uint8_t first = take(&in);
	struct config_setup s = pluto.conf->setup;
	s.ddos_mode = first & 0x80 ? DDOS_BUSY : DDOS_AUTO;
	ike_dos_configure(&s);
	ikev2_initiate(conn_find(first & 1 ? "east" : "west"), 0);
	static struct wire_msg m;
	for (int steps = 0; steps < 40 && wire_take(&m); steps++)
		act(&in, &m);
	/* what the input has left goes to east as one more datagram */
	if (in.left > 0 && in.left <= IKEV2_MSG_MAX) {
		m.from = m.to = (ip_address){0};
		address_parse(WEST, &m.from);
		address_parse(EAST, &m.to);
		m.from_port = IKE_PORT;
		/* on port 4500 it must get past the non-ESP marker's check first */
		m.to_port = first & 0x40 ? IKE_NATT_PORT : IKE_PORT;
		memcpy(m.buf, in.p, in.left);
		m.len = in.left;
		wire_deliver(&m);
	}
	tear_down();
	return 0;
}
