/* alg_parse.c: ike= and esp= strings, in libreswan's syntax, into proposals.
 *
 * A proposal is tokens separated by '-', with one ';' allowed before the DH
 * group. Tokens are read left to right: the first is the encryption; a bare
 * number right after it is its key length; then up to one (esp=) or two
 * (ike=) hash tokens; then the DH group, which ends the proposal. Each token
 * may offer '+'-joined alternatives. Each proposal is parsed into a spec
 * (lists of choices), checked, then expanded into one struct alg_proposal
 * per combination. The syntax and the defaults are documented in alg.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "alg.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Used where a proposal names no hash or no DH group; see alg.h. */
#define DEFAULT_INTEG INTEG_HMAC_SHA2_256_128
#define DEFAULT_PRF PRF_HMAC_SHA2_256
static const enum dh_id default_ike_groups[] = {	/* ALG_DEFAULT_IKE_GROUPS */
	DH_ECP256, DH_ECP384, DH_ECP521, DH_CURVE25519, DH_MODP2048, DH_MODP3072, DH_MODP4096,
};

/* A piece of the input string; tokens are never copied, so nothing leaks
 * and nothing is cut short. Printed with "%.*s". */
struct shunk {
	const char *ptr;
	size_t len;
};
#define PRI_SHUNK(s) (int)(s).len, (s).ptr

enum tok_kind { TOK_ENCR, TOK_HASH, TOK_DH };

struct alg_token {
	const char *name;
	enum tok_kind kind;
	enum encr_id encr;
	enum integ_id integ;	/* a hash names both; ike= and CBC use both */
	enum prf_id prf;
	enum dh_id dh;
	bool none;		/* "null"/"none": no integrity, no PFS group */
};

#define ENCR(n, e)	{ .name = n, .kind = TOK_ENCR, .encr = e }
#define HASH(n, i, p)	{ .name = n, .kind = TOK_HASH, .integ = i, .prf = p }
#define NO_HASH(n)	{ .name = n, .kind = TOK_HASH, .none = true }
#define DH(n, g)	{ .name = n, .kind = TOK_DH, .dh = g }
#define NO_DH(n)	{ .name = n, .kind = TOK_DH, .none = true }

static const struct alg_token tokens[] = {
	/* Encryption names may carry a key length: aes256, aes_gcm_16_128. */
	ENCR("aes", ENCR_AES_CBC),
	ENCR("aes_cbc", ENCR_AES_CBC),
	ENCR("aes_gcm", ENCR_AES_GCM_16),
	ENCR("aes_gcm16", ENCR_AES_GCM_16),
	ENCR("aes_gcm_16", ENCR_AES_GCM_16),
	ENCR("aes_gcm_c", ENCR_AES_GCM_16),	/* libreswan's older name */
	ENCR("chacha20_poly1305", ENCR_CHACHA20_POLY1305),
	ENCR("chacha20poly1305", ENCR_CHACHA20_POLY1305),

	HASH("sha1", INTEG_HMAC_SHA1_96, PRF_HMAC_SHA1),
	HASH("sha", INTEG_HMAC_SHA1_96, PRF_HMAC_SHA1),
	HASH("sha2", INTEG_HMAC_SHA2_256_128, PRF_HMAC_SHA2_256),
	HASH("sha256", INTEG_HMAC_SHA2_256_128, PRF_HMAC_SHA2_256),
	HASH("sha2_256", INTEG_HMAC_SHA2_256_128, PRF_HMAC_SHA2_256),
	HASH("sha384", INTEG_HMAC_SHA2_384_192, PRF_HMAC_SHA2_384),
	HASH("sha2_384", INTEG_HMAC_SHA2_384_192, PRF_HMAC_SHA2_384),
	HASH("sha512", INTEG_HMAC_SHA2_512_256, PRF_HMAC_SHA2_512),
	HASH("sha2_512", INTEG_HMAC_SHA2_512_256, PRF_HMAC_SHA2_512),
	NO_HASH("null"),
	NO_HASH("none"),

	/* Both libreswan spellings of the EC groups: ike= logs say DH19,
	 * other places ECP_256. */
	DH("modp2048", DH_MODP2048),
	DH("dh14", DH_MODP2048),
	DH("modp3072", DH_MODP3072),
	DH("dh15", DH_MODP3072),
	DH("modp4096", DH_MODP4096),
	DH("dh16", DH_MODP4096),
	/* Not in the defaults (slow), but Fedora's crypto-policies list
	 * modp8192 in theirs. */
	DH("modp6144", DH_MODP6144),
	DH("dh17", DH_MODP6144),
	DH("modp8192", DH_MODP8192),
	DH("dh18", DH_MODP8192),
	DH("ecp256", DH_ECP256),
	DH("ecp_256", DH_ECP256),
	DH("dh19", DH_ECP256),
	DH("ecp384", DH_ECP384),
	DH("ecp_384", DH_ECP384),
	DH("dh20", DH_ECP384),
	DH("ecp521", DH_ECP521),
	DH("ecp_521", DH_ECP521),
	DH("dh21", DH_ECP521),
	DH("curve25519", DH_CURVE25519),
	DH("x25519", DH_CURVE25519),
	DH("dh31", DH_CURVE25519),
	NO_DH("none"),
};

static const struct alg_token *lookup(enum tok_kind kind, struct shunk s)
{
	for (size_t i = 0; i < ARRAY_LEN(tokens); i++) {
		const struct alg_token *t = &tokens[i];
		if (t->kind == kind && strlen(t->name) == s.len &&
		    strncasecmp(t->name, s.ptr, s.len) == 0)
			return t;
	}
	return NULL;
}

/* Not a DH name we know, but shaped like one: worth saying "DH group"
 * rather than "integrity algorithm" in the error. */
static bool looks_like_dh(struct shunk s)
{
	static const char *const prefixes[] = { "modp", "ecp", "dh", "curve" };
	for (size_t i = 0; i < ARRAY_LEN(prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		if (s.len >= n && strncasecmp(s.ptr, prefixes[i], n) == 0)
			return true;
	}
	return false;
}

/* Key lengths are small numbers: anything past 4 digits is simply wrong. */
static bool parse_number(struct shunk s, unsigned *out)
{
	if (s.len == 0 || s.len > 4)
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < s.len; i++) {
		if (s.ptr[i] < '0' || s.ptr[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s.ptr[i] - '0');
	}
	*out = v;
	return true;
}

/* Splits the next '+' alternative off *rest; false when none is left. */
static bool next_alt(struct shunk *rest, struct shunk *alt)
{
	if (rest->ptr == NULL)
		return false;
	const char *plus = memchr(rest->ptr, '+', rest->len);
	if (plus == NULL) {
		*alt = *rest;
		rest->ptr = NULL;
	} else {
		*alt = (struct shunk){ rest->ptr, (size_t)(plus - rest->ptr) };
		rest->len -= alt->len + 1;
		rest->ptr = plus + 1;
	}
	return true;
}

static struct shunk first_alt(struct shunk tok)
{
	struct shunk alt = tok;
	next_alt(&tok, &alt);
	return alt;
}

/* One proposal's choices, before expansion. Lists longer than the whole
 * proposal list could never expand into it. */
#define ALTS_MAX ALG_PROPOSALS_MAX

struct encr_alt {
	enum encr_id encr;
	unsigned keylen;
	struct shunk text;		/* as written, for messages */
};

struct hash_alt {
	const struct alg_token *tok;
	struct shunk text;
};

struct spec {
	struct encr_alt encr[ALTS_MAX];
	size_t nencr;
	bool keylen_open;		/* one encr name, no length: "aes-128" may follow */
	struct hash_alt hash[2][ALTS_MAX];	/* [0] integ (or both), [1] PRF */
	size_t nhash[2];
	size_t nslots;			/* hash tokens seen */
	enum dh_id dh[ALTS_MAX];
	size_t ndh;
	struct shunk dh_text;		/* the DH token, for "after DH group" */
};

struct parser {
	const char *kw;			/* "ike" or "esp" */
	const char *all;		/* the whole string */
	bool ike;
	size_t ndefault_groups;		/* how many of default_ike_groups to use */
	bool took_default_groups;
	bool overflow;			/* more than ALG_PROPOSALS_MAX */
	struct alg_proposals *out;
	struct diag *d;
};

__attribute__((format(printf, 2, 3)))
static bool fail(struct parser *pa, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(pa->d, "%s=%s: %s", pa->kw, pa->all, msg);
	return false;
}

static void add_encr(struct parser *pa, struct spec *s, enum encr_id e,
		     unsigned keylen, struct shunk text)
{
	if (s->nencr == ALTS_MAX)
		pa->overflow = true;
	else
		s->encr[s->nencr++] = (struct encr_alt){ e, keylen, text };
}

/* "aes256", "aes_gcm_16_128", "aes_gcm": a name from the table, or one
 * followed by digits (with an optional '_' between). A name without a
 * length offers 256 then 128, those the algorithm takes. */
static bool take_encr_alt(struct parser *pa, struct spec *s, struct shunk alt, bool *has_len)
{
	const struct alg_token *t = lookup(TOK_ENCR, alt);
	if (t != NULL) {
		static const unsigned implicit[] = { 256, 128 };
		*has_len = false;
		for (size_t i = 0; i < ARRAY_LEN(implicit); i++)
			if (encr_keylen_ok(t->encr, implicit[i]))
				add_encr(pa, s, t->encr, implicit[i], alt);
		return true;
	}
	size_t digits = 0;
	while (digits < alt.len && alt.ptr[alt.len - 1 - digits] >= '0' &&
	       alt.ptr[alt.len - 1 - digits] <= '9')
		digits++;
	struct shunk base = { alt.ptr, alt.len - digits };
	struct shunk num = { alt.ptr + base.len, digits };
	if (base.len > 0 && base.ptr[base.len - 1] == '_')
		base.len--;
	unsigned keylen = 0;
	t = digits > 0 ? lookup(TOK_ENCR, base) : NULL;
	if (t == NULL)
		return fail(pa, "unknown encryption algorithm '%.*s'", PRI_SHUNK(alt));
	if (!parse_number(num, &keylen) || !encr_keylen_ok(t->encr, keylen))
		return fail(pa, "unknown encryption algorithm '%.*s' (key length %.*s is not valid for %s)",
			    PRI_SHUNK(alt), PRI_SHUNK(num), encr_name(t->encr));
	*has_len = true;
	add_encr(pa, s, t->encr, keylen, alt);
	return true;
}

static bool take_encr(struct parser *pa, struct spec *s, struct shunk tok)
{
	struct shunk rest = tok, alt;
	size_t nalts = 0;
	bool has_len = false;
	while (next_alt(&rest, &alt)) {
		if (!take_encr_alt(pa, s, alt, &has_len))
			return false;
		nalts++;
	}
	s->keylen_open = nalts == 1 && !has_len;
	return true;
}

/* libreswan's older form "aes-128": the length as a token of its own. */
static bool take_keylen(struct parser *pa, struct spec *s, struct shunk tok)
{
	struct encr_alt e = s->encr[0];
	struct shunk text = { e.text.ptr, (size_t)(tok.ptr + tok.len - e.text.ptr) };
	unsigned keylen = 0;
	if (!parse_number(tok, &keylen) || !encr_keylen_ok(e.encr, keylen))
		return fail(pa, "unknown encryption algorithm '%.*s' (key length %.*s is not valid for %s)",
			    PRI_SHUNK(text), PRI_SHUNK(tok), encr_name(e.encr));
	s->encr[0] = (struct encr_alt){ e.encr, keylen, text };
	s->nencr = 1;
	return true;
}

static bool take_hash(struct parser *pa, struct spec *s, struct shunk tok)
{
	size_t slot = s->nslots++;
	struct shunk rest = tok, alt;
	while (next_alt(&rest, &alt)) {
		const struct alg_token *t = lookup(TOK_HASH, alt);
		if (t == NULL)
			return fail(pa, "unknown %s algorithm '%.*s'",
				    pa->ike ? "PRF" : "integrity", PRI_SHUNK(alt));
		if (t->none && alt.len != tok.len)
			return fail(pa, "'%.*s' cannot be offered with other algorithms in '%.*s'",
				    PRI_SHUNK(alt), PRI_SHUNK(tok));
		if (s->nhash[slot] == ALTS_MAX) {
			pa->overflow = true;
			return true;
		}
		s->hash[slot][s->nhash[slot]++] = (struct hash_alt){ t, alt };
	}
	return true;
}

static bool take_dh(struct parser *pa, struct spec *s, struct shunk tok)
{
	s->dh_text = tok;
	struct shunk rest = tok, alt;
	while (next_alt(&rest, &alt)) {
		const struct alg_token *t = lookup(TOK_DH, alt);
		if (t == NULL)
			return fail(pa, "unknown DH group '%.*s'", PRI_SHUNK(alt));
		if (t->none && pa->ike)
			return fail(pa, "DH group '%.*s' is not allowed: IKE needs a DH group",
				    PRI_SHUNK(alt));
		if (t->none && alt.len != tok.len)
			return fail(pa, "'%.*s' cannot be offered with other DH groups in '%.*s'",
				    PRI_SHUNK(alt), PRI_SHUNK(tok));
		if (s->ndh == ALTS_MAX) {
			pa->overflow = true;
			return true;
		}
		s->dh[s->ndh++] = t->dh;
	}
	return true;
}

/* Every token after the first: what it can be depends on what came before. */
static bool take_token(struct parser *pa, struct spec *s, struct shunk tok, bool after_semicolon)
{
	size_t max_slots = pa->ike ? 2 : 1;
	bool keylen_open = s->keylen_open;
	s->keylen_open = false;
	struct shunk alt = first_alt(tok);

	if (s->ndh > 0)
		return fail(pa, "unexpected '%.*s' after DH group '%.*s'",
			    PRI_SHUNK(tok), PRI_SHUNK(s->dh_text));
	if (after_semicolon)
		return take_dh(pa, s, tok);
	unsigned number;
	if (keylen_open && parse_number(tok, &number))
		return take_keylen(pa, s, tok);
	if (s->nslots < max_slots && lookup(TOK_HASH, alt) != NULL)
		return take_hash(pa, s, tok);
	if (lookup(TOK_DH, alt) != NULL)
		return take_dh(pa, s, tok);
	if (lookup(TOK_HASH, alt) != NULL)
		return fail(pa, "unexpected '%.*s': %s", PRI_SHUNK(tok),
			    pa->ike ? "ike= takes at most an integrity and a PRF algorithm"
				    : "esp= takes one integrity algorithm");
	if (s->nslots < max_slots && !looks_like_dh(alt))
		return fail(pa, "unknown %s algorithm '%.*s'",
			    pa->ike ? "PRF" : "integrity", PRI_SHUNK(alt));
	return fail(pa, "unknown DH group '%.*s'", PRI_SHUNK(alt));
}

/* "aes+", "+sha1", "sha1++sha2" */
static bool has_empty_alt(struct shunk tok)
{
	struct shunk rest = tok, alt;
	while (next_alt(&rest, &alt))
		if (alt.len == 0)
			return true;
	return false;
}

static bool parse_spec(struct parser *pa, struct spec *s, struct shunk text)
{
	const char *p = text.ptr, *end = text.ptr + text.len;
	bool first = true, after_semicolon = false;
	for (;;) {
		const char *q = p;
		while (q < end && *q != '-' && *q != ';')
			q++;
		struct shunk tok = { p, (size_t)(q - p) };
		if (tok.len == 0)
			return fail(pa, "empty algorithm name in '%.*s'", PRI_SHUNK(text));
		if (has_empty_alt(tok))
			return fail(pa, "empty alternative in '%.*s'", PRI_SHUNK(tok));
		if (!(first ? take_encr(pa, s, tok) : take_token(pa, s, tok, after_semicolon)))
			return false;
		if (q == end)
			return true;
		after_semicolon = *q == ';';
		first = false;
		p = q + 1;
	}
}

/* The integrity and PRF of one combination, by the rules in alg.h. */
static bool resolve_hash(struct parser *pa, const struct spec *s, const struct encr_alt *e,
			 const struct hash_alt *h0, const struct hash_alt *h1,
			 struct alg_proposal *prop)
{
	bool aead = encr_is_aead(e->encr);
	/* ike=aes_gcm256-sha2_256: a lone hash with AEAD is the PRF only. */
	bool prf_only = pa->ike && aead && s->nslots == 1;
	const struct hash_alt *ih = prf_only ? NULL : h0;
	const struct hash_alt *ph = s->nslots == 2 ? h1 : h0;

	if (ih == NULL)
		prop->integ = aead ? INTEG_NONE : DEFAULT_INTEG;
	else if (aead && !ih->tok->none)
		return fail(pa, "integrity algorithm '%.*s' cannot be combined with AEAD '%.*s'",
			    PRI_SHUNK(ih->text), PRI_SHUNK(e->text));
	else if (!aead && ih->tok->none)
		return fail(pa, "non-AEAD encryption '%.*s' needs an integrity algorithm, not '%.*s'",
			    PRI_SHUNK(e->text), PRI_SHUNK(ih->text));
	else
		prop->integ = ih->tok->integ;

	if (!pa->ike)
		prop->prf = PRF_NONE;
	else if (ph == NULL || (prf_only && ph->tok->none))
		prop->prf = DEFAULT_PRF;
	else if (ph->tok->none)
		return fail(pa, "PRF algorithm '%.*s' is not allowed: IKE needs a PRF",
			    PRI_SHUNK(ph->text));
	else
		prop->prf = ph->tok->prf;
	return true;
}

static bool same_proposal(const struct alg_proposal *a, const struct alg_proposal *b);

bool alg_proposals_include(const struct alg_proposals *ps, const struct alg_proposal *a)
{
	for (size_t i = 0; i < ps->n; i++)
		if (same_proposal(&ps->p[i], a))
			return true;
	return false;
}

static bool same_proposal(const struct alg_proposal *a, const struct alg_proposal *b)
{
	return a->encr == b->encr && a->encr_keylen == b->encr_keylen &&
	       a->integ == b->integ && a->prf == b->prf && a->dh == b->dh;
}

/* Drops exact duplicates ("aes,aes256" offers AES_CBC_256 once). */
static void add_proposal(struct parser *pa, const struct alg_proposal *prop)
{
	struct alg_proposals *out = pa->out;
	for (size_t i = 0; i < out->n; i++)
		if (same_proposal(&out->p[i], prop))
			return;
	if (out->n == ALG_PROPOSALS_MAX)
		pa->overflow = true;
	else
		out->p[out->n++] = *prop;
}

/* One proposal per combination: encryption, then integrity, then PRF, then
 * DH group, each in the order written. */
static bool expand(struct parser *pa, const struct spec *s)
{
	static const enum dh_id no_group = DH_NONE;
	const enum dh_id *groups = s->dh;
	size_t ngroups = s->ndh;
	if (ngroups == 0 && pa->ike) {
		groups = default_ike_groups;
		ngroups = pa->ndefault_groups;
		pa->took_default_groups = true;
	} else if (ngroups == 0) {
		groups = &no_group;
		ngroups = 1;
	}
	size_t n0 = s->nhash[0] > 0 ? s->nhash[0] : 1;
	size_t n1 = s->nhash[1] > 0 ? s->nhash[1] : 1;
	for (size_t e = 0; e < s->nencr; e++) {
		for (size_t i = 0; i < n0; i++) {
			for (size_t j = 0; j < n1; j++) {
				struct alg_proposal prop = {
					.encr = s->encr[e].encr,
					.encr_keylen = s->encr[e].keylen,
				};
				if (!resolve_hash(pa, s, &s->encr[e],
						  s->nhash[0] > 0 ? &s->hash[0][i] : NULL,
						  s->nhash[1] > 0 ? &s->hash[1][j] : NULL, &prop))
					return false;
				for (size_t g = 0; g < ngroups; g++) {
					prop.dh = groups[g];
					add_proposal(pa, &prop);
				}
			}
		}
	}
	return true;
}

static struct shunk trim(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return (struct shunk){ p, (size_t)(end - p) };
}

/* One pass over the whole string. Errors stop it; running out of room only
 * sets pa->overflow, so later syntax errors are still found first. */
static bool parse_all(struct parser *pa)
{
	pa->out->n = 0;
	pa->overflow = false;
	pa->took_default_groups = false;
	const char *p = pa->all;
	for (size_t index = 1;; index++) {
		const char *comma = strchr(p, ',');
		const char *end = comma != NULL ? comma : p + strlen(p);
		struct shunk text = trim(p, end);
		if (text.len == 0)
			return fail(pa, "proposal %zu is empty", index);
		struct spec s;
		memset(&s, 0, sizeof(s));
		if (!parse_spec(pa, &s, text) || !expand(pa, &s))
			return false;
		if (comma == NULL)
			return true;
		p = comma + 1;
	}
}

static bool parse_proposals(const char *kw, bool ike, const char *s,
			    struct alg_proposals *out, struct diag *d)
{
	struct parser pa = {
		.kw = kw, .all = s != NULL ? s : "", .ike = ike,
		.ndefault_groups = ARRAY_LEN(default_ike_groups), .out = out, .d = d,
	};
	bool ok = parse_all(&pa);
	if (ok && pa.overflow && pa.took_default_groups) {
		/* libreswan offers all default groups in one proposal; one
		 * group per proposal does not fit, so offer only the first. */
		pa.ndefault_groups = 1;
		ok = parse_all(&pa);
	}
	if (ok && pa.overflow)
		ok = fail(&pa, "too many proposals: they expand to more than %d", ALG_PROPOSALS_MAX);
	if (!ok)
		out->n = 0;
	return ok;
}

bool alg_parse_ike(const char *s, struct alg_proposals *out, struct diag *d)
{
	return parse_proposals("ike", true, s, out, d);
}

bool alg_parse_esp(const char *s, struct alg_proposals *out, struct diag *d)
{
	return parse_proposals("esp", false, s, out, d);
}

/* The default strings cannot fail to parse: test_alg.c checks them. They
 * are parsed once: every conn without ike= or esp= asks for them, and
 * the default IKE list expands to over a hundred proposals, each checked
 * against those before it for duplicates. */
void alg_default_ike(struct alg_proposals *out)
{
	static struct alg_proposals parsed;
	if (parsed.n == 0) {
		struct diag d;
		diag_init(&d);
		alg_parse_ike(ALG_DEFAULT_IKE, &parsed, &d);
	}
	*out = parsed;
}

void alg_default_esp(struct alg_proposals *out)
{
	static struct alg_proposals parsed;
	if (parsed.n == 0) {
		struct diag d;
		diag_init(&d);
		alg_parse_esp(ALG_DEFAULT_ESP, &parsed, &d);
	}
	*out = parsed;
}
