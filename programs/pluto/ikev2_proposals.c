/* ikev2_proposals.c: between our alg_proposals (one choice of each
 * algorithm) and the SA payload's proposals (RFC 7296 3.3), in the three
 * directions IKE needs: offering, choosing as responder, and checking the
 * responder's choice as initiator. */
#include <string.h>
#include "ikev2_msg.h"

#define TRANS_TYPES 6		/* transform types 1..5, indexed directly */
#define ID_NONE 0		/* "NONE" for INTEG and DH on the wire */

/* Key length attribute as sent: AES needs one; chacha20-poly1305 must not
 * have one (RFC 7634 section 2). */
static uint16_t wire_keylen(const struct alg_proposal *a)
{
	return a->encr == ENCR_CHACHA20_POLY1305 ? 0 : (uint16_t)a->encr_keylen;
}

static bool is_child(enum ikev2_protocol proto)
{
	return proto == PROTO_ESP || proto == PROTO_AH;
}

/* ---- offering ---- */

/* A wire proposal being assembled: per type, the transforms in order.
 * No type has more distinct values than alg.h can name (5 ciphers with
 * their key lengths, 5 hashes, 7 groups, 2 ESN settings). */
#define TSET_MAX 32
struct tset {
	struct ikev2_transform t[TSET_MAX];
	size_t n;
};
struct draft {
	struct tset type[TRANS_TYPES];
};

static bool same_transform(const struct ikev2_transform *a, const struct ikev2_transform *b)
{
	return a->type == b->type && a->id == b->id && a->keylen == b->keylen;
}

static bool tset_has(const struct tset *s, const struct ikev2_transform *t)
{
	for (size_t i = 0; i < s->n; i++)
		if (same_transform(&s->t[i], t))
			return true;
	return false;
}

static void tset_add(struct tset *s, struct ikev2_transform t)
{
	if (!tset_has(s, &t) && s->n < TSET_MAX)
		s->t[s->n++] = t;
}

static bool tset_subset(const struct tset *a, const struct tset *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (!tset_has(b, &a->t[i]))
			return false;
	return true;
}

static bool tset_equal(const struct tset *a, const struct tset *b)
{
	return tset_subset(a, b) && tset_subset(b, a);
}

static struct ikev2_transform transform(uint8_t type, uint16_t id, uint16_t keylen)
{
	return (struct ikev2_transform){ .type = type, .id = id, .keylen = keylen };
}

static void draft_from_alg(const struct alg_proposal *a, enum ikev2_protocol proto, int esn, struct draft *dr)
{
	memset(dr, 0, sizeof(*dr));
	tset_add(&dr->type[TRANS_ENCR], transform(TRANS_ENCR, (uint16_t)a->encr, wire_keylen(a)));
	if (proto == PROTO_IKE)
		tset_add(&dr->type[TRANS_PRF], transform(TRANS_PRF, (uint16_t)a->prf, 0));
	if (a->integ != INTEG_NONE)
		tset_add(&dr->type[TRANS_INTEG], transform(TRANS_INTEG, (uint16_t)a->integ, 0));
	if (a->dh != DH_NONE)
		tset_add(&dr->type[TRANS_DH], transform(TRANS_DH, (uint16_t)a->dh, 0));
	if (is_child(proto)) {
		if (esn != 1)
			tset_add(&dr->type[TRANS_ESN], transform(TRANS_ESN, 0, 0));
		if (esn != 0)
			tset_add(&dr->type[TRANS_ESN], transform(TRANS_ESN, 1, 0));
	}
}

/* The one type in which a and b differ, 0 when they are equal, -1 when
 * they differ in more than one or a type is absent from one side only
 * (an empty set is "not offered", not a value a union could extend). */
static int only_difference(const struct draft *a, const struct draft *b)
{
	int diff = 0;
	for (int t = 1; t < TRANS_TYPES; t++) {
		if (tset_equal(&a->type[t], &b->type[t]))
			continue;
		if (diff != 0 || a->type[t].n == 0 || b->type[t].n == 0)
			return -1;
		diff = t;
	}
	return diff;
}

static size_t draft_transforms(const struct draft *dr)
{
	size_t n = 0;
	for (int t = 1; t < TRANS_TYPES; t++)
		n += dr->type[t].n;
	return n;
}

/* Merges b into a when exact (see ikev2_msg.h); true if it did. */
static bool merge(struct draft *a, const struct draft *b)
{
	int t = only_difference(a, b);
	if (t < 0)
		return false;
	if (t > 0) {
		if (draft_transforms(a) + b->type[t].n > IKEV2_TRANSFORMS_MAX)
			return false;
		for (size_t i = 0; i < b->type[t].n; i++)
			tset_add(&a->type[t], b->type[t].t[i]);
	}
	return true;
}

/* Merges drafts pairwise until none merge; returns how many are left. */
static size_t merge_all(struct draft *dr, size_t n)
{
	bool merged = true;
	while (merged) {
		merged = false;
		for (size_t i = 0; i < n; i++) {
			for (size_t j = i + 1; j < n; ) {
				if (!merge(&dr[i], &dr[j])) {
					j++;
					continue;
				}
				memmove(&dr[j], &dr[j + 1], (n - j - 1) * sizeof(dr[0]));
				n--;
				merged = true;
			}
		}
	}
	return n;
}

void ikev2_sa_from_proposals(const struct alg_proposals *ps, enum ikev2_protocol proto,
			     const uint8_t *spi, uint8_t spi_len, int esn, struct ikev2_sa_payload *out)
{
	/* Static: some 400 KB, and nothing here calls back in. */
	static struct draft dr[ALG_PROPOSALS_MAX];
	size_t n = ps->n < ALG_PROPOSALS_MAX ? ps->n : ALG_PROPOSALS_MAX;
	for (size_t i = 0; i < n; i++)
		draft_from_alg(&ps->p[i], proto, esn, &dr[i]);
	n = merge_all(dr, n);

	memset(out, 0, sizeof(*out));
	if (spi_len > IKEV2_SPI_LEN)
		spi_len = 0;
	for (size_t i = 0; i < n && i < IKEV2_PROPOSALS_MAX; i++) {
		struct ikev2_proposal *p = &out->prop[out->n++];
		p->num = (uint8_t)(i + 1);
		p->protocol = (uint8_t)proto;
		p->spi_len = spi_len;
		if (spi_len > 0)
			memcpy(p->spi, spi, spi_len);
		for (int t = 1; t < TRANS_TYPES; t++)
			for (size_t k = 0; k < dr[i].type[t].n && p->nt < IKEV2_TRANSFORMS_MAX; k++)
				p->t[p->nt++] = dr[i].type[t].t[k];
	}
}

/* ---- looking into a peer's proposal ---- */

static bool spi_len_ok(const struct ikev2_proposal *p, enum ikev2_protocol proto)
{
	return proto == PROTO_IKE ? p->spi_len == 0 || p->spi_len == 8 : p->spi_len == 4;
}

/* 3.3.3: which transform types a protocol uses; others make a proposal
 * unacceptable, as do types we do not know. */
static bool type_allowed(uint8_t type, enum ikev2_protocol proto)
{
	switch (type) {
	case TRANS_ENCR: case TRANS_INTEG: case TRANS_DH:
		return true;
	case TRANS_PRF:
		return proto == PROTO_IKE;
	case TRANS_ESN:
		return is_child(proto);
	default:
		return false;
	}
}

static bool has_type(const struct ikev2_proposal *p, uint8_t type)
{
	for (size_t i = 0; i < p->nt; i++)
		if (p->t[i].type == type)
			return true;
	return false;
}

/* A usable transform with this id (and key length). */
static bool offers(const struct ikev2_proposal *p, uint8_t type, uint16_t id, uint16_t keylen)
{
	for (size_t i = 0; i < p->nt; i++) {
		const struct ikev2_transform *t = &p->t[i];
		if (t->type == type && t->id == id && t->keylen == keylen && !t->unusable)
			return true;
	}
	return false;
}

/* For an optional type we want none of: absent, or NONE offered. */
static bool allows_none(const struct ikev2_proposal *p, uint8_t type)
{
	return !has_type(p, type) || offers(p, type, ID_NONE, 0);
}

static bool shape_ok(const struct ikev2_proposal *p, enum ikev2_protocol proto)
{
	if (p->protocol != proto || !spi_len_ok(p, proto))
		return false;
	for (size_t i = 0; i < p->nt; i++)
		if (!type_allowed(p->t[i].type, proto))
			return false;
	return proto == PROTO_IKE || has_type(p, TRANS_ESN);
}

/* The ESN transform to pick under policy, or -1. */
static int pick_esn(const struct ikev2_proposal *p, int esn_policy)
{
	if (esn_policy == 0 || esn_policy == 1)
		return offers(p, TRANS_ESN, (uint16_t)esn_policy, 0) ? esn_policy : -1;
	if (esn_policy == 3)	/* either, but none where the peer allows it */
		return offers(p, TRANS_ESN, 0, 0) ? 0 : offers(p, TRANS_ESN, 1, 0) ? 1 : -1;
	for (size_t i = 0; i < p->nt; i++) {
		const struct ikev2_transform *t = &p->t[i];
		if (t->type == TRANS_ESN && !t->unusable && t->keylen == 0 && t->id <= 1)
			return t->id;
	}
	return -1;
}

/* Whether p offers everything ours needs. */
static bool covers(const struct ikev2_proposal *p, const struct alg_proposal *a, enum ikev2_protocol proto)
{
	if (!offers(p, TRANS_ENCR, (uint16_t)a->encr, wire_keylen(a)))
		return false;
	bool integ = a->integ != INTEG_NONE ? offers(p, TRANS_INTEG, (uint16_t)a->integ, 0)
					    : allows_none(p, TRANS_INTEG);
	if (!integ)
		return false;
	if (proto == PROTO_IKE)
		return a->dh != DH_NONE && offers(p, TRANS_PRF, (uint16_t)a->prf, 0) &&
		       offers(p, TRANS_DH, (uint16_t)a->dh, 0);
	return a->dh != DH_NONE ? offers(p, TRANS_DH, (uint16_t)a->dh, 0) : allows_none(p, TRANS_DH);
}

/* ---- choosing (responder) ---- */

static void add_chosen(struct ikev2_proposal *c, uint8_t type, uint16_t id, uint16_t keylen)
{
	c->t[c->nt++] = transform(type, id, keylen);
}

static void build_chosen(const struct ikev2_proposal *p, const struct alg_proposal *a,
			 enum ikev2_protocol proto, int esn, struct ikev2_sa_payload *chosen)
{
	memset(chosen, 0, sizeof(*chosen));
	chosen->n = 1;
	struct ikev2_proposal *c = &chosen->prop[0];
	c->num = p->num;
	c->protocol = p->protocol;
	c->spi_len = p->spi_len;
	memcpy(c->spi, p->spi, sizeof(c->spi));
	add_chosen(c, TRANS_ENCR, (uint16_t)a->encr, wire_keylen(a));
	if (proto == PROTO_IKE)
		add_chosen(c, TRANS_PRF, (uint16_t)a->prf, 0);
	if (a->integ != INTEG_NONE || has_type(p, TRANS_INTEG))
		add_chosen(c, TRANS_INTEG, (uint16_t)a->integ, 0);
	if (a->dh != DH_NONE || has_type(p, TRANS_DH))
		add_chosen(c, TRANS_DH, (uint16_t)a->dh, 0);
	if (is_child(proto))
		add_chosen(c, TRANS_ESN, (uint16_t)esn, 0);
}

bool ikev2_sa_choose(const struct ikev2_sa_payload *offered, const struct alg_proposals *ours,
		     enum ikev2_protocol proto, int esn_policy,
		     struct ikev2_sa_payload *chosen, struct alg_proposal *alg, bool *esn)
{
	for (size_t i = 0; i < offered->n; i++) {
		const struct ikev2_proposal *p = &offered->prop[i];
		if (!shape_ok(p, proto))
			continue;
		int e = is_child(proto) ? pick_esn(p, esn_policy) : 0;
		if (e < 0)
			continue;
		for (size_t j = 0; j < ours->n; j++) {
			if (!covers(p, &ours->p[j], proto))
				continue;
			build_chosen(p, &ours->p[j], proto, e, chosen);
			*alg = ours->p[j];
			*esn = e == 1;
			return true;
		}
	}
	return false;
}

/* ---- checking the answer (initiator) ---- */

/* One transform per type, each known to the protocol and usable; the
 * types' ids in by_type (-1 where absent). */
static bool answer_transforms(const struct ikev2_proposal *p, enum ikev2_protocol proto,
			      int by_type[TRANS_TYPES], uint16_t *keylen, struct diag *d)
{
	for (int t = 0; t < TRANS_TYPES; t++)
		by_type[t] = -1;
	*keylen = 0;
	for (size_t i = 0; i < p->nt; i++) {
		const struct ikev2_transform *t = &p->t[i];
		if (!type_allowed(t->type, proto) || t->unusable) {
			diag_add(d, "answer has a transform (type %u, id %u) we did not offer",
				 t->type, t->id);
			return false;
		}
		if (by_type[t->type] >= 0) {
			diag_add(d, "answer has more than one transform of type %u", t->type);
			return false;
		}
		if (t->keylen != 0 && t->type != TRANS_ENCR) {
			diag_add(d, "answer has a key length on a transform of type %u", t->type);
			return false;
		}
		by_type[t->type] = t->id;
		if (t->type == TRANS_ENCR)
			*keylen = t->keylen;
	}
	bool ike = proto == PROTO_IKE;
	if (by_type[TRANS_ENCR] < 0 || (ike && (by_type[TRANS_PRF] < 0 || by_type[TRANS_DH] < 0)) ||
	    (!ike && by_type[TRANS_ESN] < 0)) {
		diag_add(d, "answer lacks a transform type %s needs", ike ? "IKE" : "ESP");
		return false;
	}
	return true;
}

/* An absent optional type and its NONE transform mean the same. */
static bool id_matches(int got, unsigned want)
{
	return want == ID_NONE ? got < 0 || got == ID_NONE : got == (int)want;
}

static bool answer_is(const int by_type[TRANS_TYPES], uint16_t keylen,
		      const struct alg_proposal *a, enum ikev2_protocol proto)
{
	if (by_type[TRANS_ENCR] != (int)a->encr || keylen != wire_keylen(a) ||
	    !id_matches(by_type[TRANS_INTEG], a->integ))
		return false;
	if (proto == PROTO_IKE)
		return by_type[TRANS_PRF] == (int)a->prf && a->dh != DH_NONE &&
		       by_type[TRANS_DH] == (int)a->dh;
	return id_matches(by_type[TRANS_DH], a->dh);
}

/* The answer in the names users write, for the diagnostic. */
static const char *answer_name(const int by_type[TRANS_TYPES], uint16_t keylen,
			       enum ikev2_protocol proto, char name[ALG_NAME_MAX])
{
	struct alg_proposal a = {
		.encr = (enum encr_id)by_type[TRANS_ENCR], .encr_keylen = keylen,
		.integ = (enum integ_id)(by_type[TRANS_INTEG] < 0 ? 0 : by_type[TRANS_INTEG]),
		.prf = (enum prf_id)(by_type[TRANS_PRF] < 0 ? 0 : by_type[TRANS_PRF]),
		.dh = (enum dh_id)(by_type[TRANS_DH] < 0 ? 0 : by_type[TRANS_DH]),
	};
	return proto == PROTO_IKE ? alg_ike_name(&a, name) : alg_esp_name(&a, name);
}

static bool answer_esn_ok(int got, int esn_policy)
{
	return esn_policy >= 2 ? got == 0 || got == 1 : got == esn_policy;
}

bool ikev2_sa_accepted(const struct ikev2_sa_payload *answer, const struct alg_proposals *ours,
		       enum ikev2_protocol proto, int esn_policy,
		       struct alg_proposal *alg, bool *esn, uint8_t spi[IKEV2_SPI_LEN], uint8_t *spi_len,
		       struct diag *d)
{
	if (answer->n != 1) {
		diag_add(d, "answer has %zu proposals, must have exactly one", answer->n);
		return false;
	}
	const struct ikev2_proposal *p = &answer->prop[0];
	if (p->protocol != proto || !spi_len_ok(p, proto)) {
		diag_add(d, "answer is for protocol %u with a %u-byte SPI, we offered protocol %u",
			 p->protocol, p->spi_len, proto);
		return false;
	}
	int by_type[TRANS_TYPES];
	uint16_t keylen;
	if (!answer_transforms(p, proto, by_type, &keylen, d))
		return false;
	if (is_child(proto) && !answer_esn_ok(by_type[TRANS_ESN], esn_policy)) {
		diag_add(d, "answer chose %s, which we did not offer",
			 by_type[TRANS_ESN] == 1 ? "ESN" : "no ESN");
		return false;
	}
	for (size_t j = 0; j < ours->n; j++) {
		if (!answer_is(by_type, keylen, &ours->p[j], proto))
			continue;
		*alg = ours->p[j];
		*esn = is_child(proto) && by_type[TRANS_ESN] == 1;
		memset(spi, 0, IKEV2_SPI_LEN);
		memcpy(spi, p->spi, p->spi_len);
		*spi_len = p->spi_len;
		return true;
	}
	char name[ALG_NAME_MAX];
	diag_add(d, "answer %s is none of our proposals", answer_name(by_type, keylen, proto, name));
	return false;
}
