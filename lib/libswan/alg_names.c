/* alg_names.c: what each algorithm is called, in logs and in the kernel,
 * and the sizes the kernel backend and IKE need. One table row per
 * algorithm, so adding one is adding a row. */
#include <stdio.h>
#include <string.h>
#include "alg.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct encr_info {
	enum encr_id id;
	const char *name;
	const char *kernel;
	unsigned salt_bytes;		/* implicit nonce part, from the keying material */
	unsigned icv_bits;		/* nonzero: AEAD */
	unsigned keylens[3];		/* bits; unused slots 0 */
};

static const struct encr_info encrs[] = {
	{ ENCR_AES_CBC, "AES_CBC", "cbc(aes)", 0, 0, { 128, 192, 256 } },
	{ ENCR_AES_GCM_16, "AES_GCM_16", "rfc4106(gcm(aes))", 4, 128, { 128, 192, 256 } },
	{ ENCR_CHACHA20_POLY1305, "CHACHA20_POLY1305", "rfc7539esp(chacha20,poly1305)",
	  4, 128, { 256 } },
};

struct integ_info {
	enum integ_id id;
	const char *name;
	const char *kernel;
	unsigned key_bytes;
	unsigned icv_bits;
};

static const struct integ_info integs[] = {
	{ INTEG_HMAC_SHA1_96, "HMAC_SHA1_96", "hmac(sha1)", 20, 96 },
	{ INTEG_HMAC_SHA2_256_128, "HMAC_SHA2_256_128", "hmac(sha256)", 32, 128 },
	{ INTEG_HMAC_SHA2_384_192, "HMAC_SHA2_384_192", "hmac(sha384)", 48, 192 },
	{ INTEG_HMAC_SHA2_512_256, "HMAC_SHA2_512_256", "hmac(sha512)", 64, 256 },
};

struct id_name {
	int id;
	const char *name;
};

static const struct id_name prfs[] = {
	{ PRF_HMAC_SHA1, "PRF_HMAC_SHA1" },
	{ PRF_HMAC_SHA2_256, "PRF_HMAC_SHA2_256" },
	{ PRF_HMAC_SHA2_384, "PRF_HMAC_SHA2_384" },
	{ PRF_HMAC_SHA2_512, "PRF_HMAC_SHA2_512" },
};

/* libreswan's ike= logs say DH19 where other places say ECP_256; we use
 * the DHnn form everywhere so one name means one group. */
static const struct id_name dhs[] = {
	{ DH_MODP2048, "MODP2048" },
	{ DH_MODP3072, "MODP3072" },
	{ DH_MODP4096, "MODP4096" },
	{ DH_MODP6144, "MODP6144" },
	{ DH_MODP8192, "MODP8192" },
	{ DH_ECP256, "DH19" },
	{ DH_ECP384, "DH20" },
	{ DH_ECP521, "DH21" },
	{ DH_CURVE25519, "DH31" },
};

static const struct encr_info *encr_info(enum encr_id e)
{
	for (size_t i = 0; i < ARRAY_LEN(encrs); i++)
		if (encrs[i].id == e)
			return &encrs[i];
	return NULL;
}

static const struct integ_info *integ_info(enum integ_id id)
{
	for (size_t i = 0; i < ARRAY_LEN(integs); i++)
		if (integs[i].id == id)
			return &integs[i];
	return NULL;
}

static const char *lookup_name(const struct id_name *t, size_t n, int id)
{
	if (id == 0)
		return "NONE";
	for (size_t i = 0; i < n; i++)
		if (t[i].id == id)
			return t[i].name;
	return "UNKNOWN";
}

const char *encr_name(enum encr_id e)
{
	const struct encr_info *ei = encr_info(e);
	return ei ? ei->name : e == ENCR_NONE ? "NONE" : "UNKNOWN";
}

const char *integ_name(enum integ_id i)
{
	const struct integ_info *ii = integ_info(i);
	return ii ? ii->name : i == INTEG_NONE ? "NONE" : "UNKNOWN";
}

const char *prf_name(enum prf_id p)
{
	return lookup_name(prfs, ARRAY_LEN(prfs), p);
}

const char *dh_name(enum dh_id g)
{
	return lookup_name(dhs, ARRAY_LEN(dhs), g);
}

bool encr_is_aead(enum encr_id e)
{
	const struct encr_info *ei = encr_info(e);
	return ei && ei->icv_bits > 0;
}

bool encr_keylen_ok(enum encr_id e, unsigned bits)
{
	const struct encr_info *ei = encr_info(e);
	for (size_t i = 0; ei && bits > 0 && i < ARRAY_LEN(ei->keylens); i++)
		if (ei->keylens[i] == bits)
			return true;
	return false;
}

unsigned integ_key_bytes(enum integ_id i)
{
	const struct integ_info *ii = integ_info(i);
	return ii ? ii->key_bytes : 0;
}

unsigned integ_icv_bits(enum integ_id i)
{
	const struct integ_info *ii = integ_info(i);
	return ii ? ii->icv_bits : 0;
}

unsigned encr_salt_bytes(enum encr_id e)
{
	const struct encr_info *ei = encr_info(e);
	return ei ? ei->salt_bytes : 0;
}

unsigned encr_icv_bits(enum encr_id e)
{
	const struct encr_info *ei = encr_info(e);
	return ei ? ei->icv_bits : 0;
}

const char *encr_kernel_name(enum encr_id e)
{
	const struct encr_info *ei = encr_info(e);
	return ei ? ei->kernel : NULL;
}

const char *integ_kernel_name(enum integ_id i)
{
	const struct integ_info *ii = integ_info(i);
	return ii ? ii->kernel : NULL;
}

/* Proposal names. */

/* Appends "-name" (no '-' first) to buf; snprintf keeps it terminated. */
static void add_part(char *buf, size_t len, size_t *used, const char *part)
{
	if (*used >= len)
		return;
	int n = snprintf(buf + *used, len - *used, "%s%s", *used > 0 ? "-" : "", part);
	if (n > 0)
		*used += (size_t)n;
}

/* "AES_GCM_16_256": the key length only where the algorithm takes several. */
static void add_encr(char *buf, size_t len, size_t *used, const struct alg_proposal *p)
{
	const struct encr_info *ei = encr_info(p->encr);
	char part[64];
	if (ei != NULL && ei->keylens[1] != 0 && p->encr_keylen != 0)
		snprintf(part, sizeof(part), "%s_%u", ei->name, p->encr_keylen);
	else
		snprintf(part, sizeof(part), "%s", encr_name(p->encr));
	add_part(buf, len, used, part);
}

static const char *proposal_name(const struct alg_proposal *p, bool ike, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	add_encr(buf, len, &used, p);
	if (p->integ != INTEG_NONE)
		add_part(buf, len, &used, integ_name(p->integ));
	if (ike && p->prf != PRF_NONE)
		add_part(buf, len, &used, prf_name(p->prf));
	if (p->dh != DH_NONE)
		add_part(buf, len, &used, dh_name(p->dh));
	return buf;
}

const char *alg_ike_name(const struct alg_proposal *p, char buf[ALG_NAME_MAX])
{
	return proposal_name(p, true, buf, ALG_NAME_MAX);
}

const char *alg_esp_name(const struct alg_proposal *p, char buf[ALG_NAME_MAX])
{
	return proposal_name(p, false, buf, ALG_NAME_MAX);
}

const char *alg_proposals_name(const struct alg_proposals *ps, bool ike, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ps->n && i < ALG_PROPOSALS_MAX; i++) {
		char one[ALG_NAME_MAX];
		proposal_name(&ps->p[i], ike, one, sizeof(one));
		int n = snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "", one);
		if (n < 0 || (size_t)n >= len - used) {
			/* Cut short: say so rather than end mid-name silently. */
			if (len > 4)
				strcpy(buf + len - 4, "...");
			return buf;
		}
		used += (size_t)n;
	}
	return buf;
}
