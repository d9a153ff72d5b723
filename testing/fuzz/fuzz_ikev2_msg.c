/* libFuzzer target: any datagram pluto may receive on UDP 500.
 * Parsing must never crash or read out of bounds, and what it returns
 * must point inside the datagram. What parses is taken further: each
 * payload body through its own parser, an SA payload through proposal
 * selection and back through the builder to the same proposals, and the
 * SK body through ikev2_parse_inner as if it were already plaintext. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ikev2_msg.h"

static void check_inside(const uint8_t *data, size_t size, const uint8_t *p, size_t len)
{
	if (len > 0 && (p < data || p + len > data + size))
		abort();
}

static bool any_unusable(const struct ikev2_sa_payload *sa)
{
	for (size_t i = 0; i < sa->n; i++)
		for (size_t k = 0; k < sa->prop[i].nt; k++)
			if (sa->prop[i].t[k].unusable)
				return true;
	return false;
}

/* Built again, an SA payload parses to the same proposals. */
static void sa_round_trip(const struct ikev2_sa_payload *sa)
{
	static uint8_t buf[4096];
	struct ikev2_builder b;
	struct ikev2_hdr h = { .version = IKEV2_VERSION, .exchange = IKE_SA_INIT };
	ikev2_begin(&b, buf, sizeof(buf), &h);
	ikev2_add_sa(&b, sa);
	size_t n = ikev2_finish(&b);
	struct ikev2_msg m;
	struct ikev2_sa_payload again;
	struct diag d;
	diag_init(&d);
	if (n == 0 || !ikev2_parse(buf, n, &m, &d) || m.n != 1 ||
	    !ikev2_parse_sa(&m.p[0], &again, &d) || again.n != sa->n)
		abort();
	for (size_t i = 0; i < sa->n; i++) {
		const struct ikev2_proposal *x = &sa->prop[i], *y = &again.prop[i];
		if (x->num != y->num || x->protocol != y->protocol || x->spi_len != y->spi_len ||
		    memcmp(x->spi, y->spi, x->spi_len) != 0 || x->nt != y->nt)
			abort();
		for (size_t k = 0; k < x->nt; k++)
			if (x->t[k].type != y->t[k].type || x->t[k].id != y->t[k].id ||
			    x->t[k].keylen != y->t[k].keylen)
				abort();
	}
}

static void try_sa(const struct ikev2_payload *p)
{
	struct ikev2_sa_payload sa, chosen;
	struct diag d;
	diag_init(&d);
	if (!ikev2_parse_sa(p, &sa, &d))
		return;
	if (!any_unusable(&sa))
		sa_round_trip(&sa);

	static struct alg_proposals ike, esp;
	if (ike.n == 0) {
		alg_default_ike(&ike);
		alg_default_esp(&esp);
	}
	struct alg_proposal alg;
	bool esn;
	uint8_t spi[IKEV2_SPI_LEN], spi_len;
	if (ikev2_sa_choose(&sa, &ike, PROTO_IKE, 0, &chosen, &alg, &esn) &&
	    !ikev2_sa_accepted(&chosen, &ike, PROTO_IKE, 0, &alg, &esn, spi, &spi_len, &d))
		abort();	/* what we choose, we would accept */
	if (ikev2_sa_choose(&sa, &esp, PROTO_ESP, 2, &chosen, &alg, &esn) &&
	    !ikev2_sa_accepted(&chosen, &esp, PROTO_ESP, 2, &alg, &esn, spi, &spi_len, &d))
		abort();
	ikev2_sa_accepted(&sa, &ike, PROTO_IKE, 2, &alg, &esn, spi, &spi_len, &d);
	ikev2_sa_accepted(&sa, &esp, PROTO_ESP, 2, &alg, &esn, spi, &spi_len, &d);
}

static void try_body(const uint8_t *data, size_t size, const struct ikev2_payload *p)
{
	struct diag d;
	diag_init(&d);
	switch (p->type) {
	case PT_SA:
		try_sa(p);
		break;
	case PT_KE: {
		struct ikev2_ke ke;
		if (ikev2_parse_ke(p, &ke, &d))
			check_inside(data, size, ke.data, ke.len);
		break;
	}
	case PT_IDi: case PT_IDr: {
		struct ikev2_id id;
		if (ikev2_parse_id(p, &id, &d))
			check_inside(data, size, id.data, id.len);
		break;
	}
	case PT_AUTH: {
		struct ikev2_auth a;
		if (ikev2_parse_auth(p, &a, &d))
			check_inside(data, size, a.data, a.len);
		break;
	}
	case PT_NONCE: {
		const uint8_t *nonce;
		size_t len;
		if (ikev2_parse_nonce(p, &nonce, &len, &d))
			check_inside(data, size, nonce, len);
		break;
	}
	case PT_CERT: case PT_CERTREQ: {
		struct ikev2_cert c;
		if (ikev2_parse_cert(p, &c, &d))
			check_inside(data, size, c.data, c.len);
		break;
	}
	case PT_NOTIFY: {
		struct ikev2_notify n;
		unsigned mask;
		if (ikev2_parse_notify(p, &n, &d)) {
			check_inside(data, size, n.spi, n.spi_len);
			check_inside(data, size, n.data, n.data_len);
			(void)ikev2_notify_name(n.type);
			if (ikev2_parse_sig_hashes(n.data, n.data_len, &mask) &&
			    (mask & ~(SIG_HASH_BIT(SIG_HASH_SHA2_256) | SIG_HASH_BIT(SIG_HASH_SHA2_384) |
				      SIG_HASH_BIT(SIG_HASH_SHA2_512))) != 0)
				abort();
		}
		break;
	}
	case PT_DELETE: {
		struct ikev2_delete del;
		if (ikev2_parse_delete(p, &del, &d))
			check_inside(data, size, del.spis, (size_t)del.count * del.spi_len);
		break;
	}
	case PT_TSi: case PT_TSr: {
		struct ikev2_ts_payload ts;
		if (ikev2_parse_ts(p, &ts, &d) && (ts.n == 0 || ts.n > IKEV2_TS_MAX))
			abort();
		break;
	}
	default:
		break;
	}
}

static void try_bodies(const uint8_t *data, size_t size, const struct ikev2_msg *m)
{
	if (m->n > IKEV2_MAX_PAYLOADS)
		abort();
	for (size_t i = 0; i < m->n; i++) {
		check_inside(data, size, m->p[i].body, m->p[i].len);
		try_body(data, size, &m->p[i]);
	}
}

/* What ikev2_certs takes before authentication stays within its caps. */
static void try_certs(const uint8_t *data, size_t size, const struct ikev2_msg *m)
{
	struct ikev2_cert certs[IKEV2_CERTS_MAX];
	struct diag d;
	diag_init(&d);
	int n = ikev2_certs(m, certs, &d);
	if (n > IKEV2_CERTS_MAX)
		abort();
	for (int i = 0; i < n; i++) {
		if (certs[i].encoding != CERT_X509_SIGNATURE || certs[i].len > IKEV2_CERT_DER_MAX)
			abort();
		check_inside(data, size, certs[i].data, certs[i].len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ikev2_msg m;
	struct diag d;
	diag_init(&d);
	if (!ikev2_parse(data, size, &m, &d))
		return 0;
	(void)ikev2_exchange_name(m.hdr.exchange);
	(void)ikev2_unknown_critical(&m);
	try_bodies(data, size, &m);
	try_certs(data, size, &m);

	const struct ikev2_payload *sk = ikev2_find(&m, PT_SK);
	if (sk == NULL)
		return 0;
	if (sk != &m.p[m.n - 1] || m.sk_offset > size || sk->body != data + m.sk_offset)
		abort();
	if (ikev2_parse_inner(sk->body, sk->len, m.sk_first, &m, &d)) {
		try_bodies(data, size, &m);
		try_certs(data, size, &m);
	}
	return 0;
}
