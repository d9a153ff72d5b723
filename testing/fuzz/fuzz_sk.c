/* libFuzzer target: the SK payload of a received message, checked and
 * decrypted by sk_open (ike_sk.c) with fixed keys.
 *
 * The first input octet picks the cipher: its low 7 bits one of the
 * IKE_SK_CIPHERS combinations pluto can use (AES_GCM_16, or AES_CBC with
 * an HMAC, each AES key length), its top bit the mode:
 *
 * - 0, as received: the rest is the message. Its SK body is found as
 *   pluto finds it (ikev2_parse), or else taken to follow the IKE header
 *   and one generic header, whatever the lengths say; sk_open must refuse
 *   without reading or writing outside the message, or give plaintext
 *   inside it, which then goes to ikev2_parse_inner as in pluto.
 * - 1, authentic: the rest is the plaintext octets of an SK body (inner
 *   payloads, padding, pad length), which the harness encrypts and
 *   authenticates itself, since a fuzzer never guesses an ICV. sk_open
 *   must then accept exactly when the pad length fits, and give back the
 *   octets before the padding.
 *
 * NSS starts once (LLVMFuzzerInitialize). Built with -DFUZZ_SEEDGEN, this
 * file is instead the program that writes the seeds: for each cipher, a
 * message sealed by sk_seal (as received) and an authentic body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ike_crypto_internal.h"
#include "ikev2_msg.h"
#include "fuzz_nss.h"

struct sk_case {
	enum encr_id encr;
	unsigned keylen;
	enum integ_id integ;
};

static const struct sk_case cases[] = {
	{ ENCR_AES_GCM_16, 128, INTEG_NONE },
	{ ENCR_AES_GCM_16, 192, INTEG_NONE },
	{ ENCR_AES_GCM_16, 256, INTEG_NONE },
	{ ENCR_AES_CBC, 128, INTEG_HMAC_SHA1_96 },
	{ ENCR_AES_CBC, 128, INTEG_HMAC_SHA2_256_128 },
	{ ENCR_AES_CBC, 128, INTEG_HMAC_SHA2_384_192 },
	{ ENCR_AES_CBC, 128, INTEG_HMAC_SHA2_512_256 },
	{ ENCR_AES_CBC, 192, INTEG_HMAC_SHA1_96 },
	{ ENCR_AES_CBC, 192, INTEG_HMAC_SHA2_256_128 },
	{ ENCR_AES_CBC, 192, INTEG_HMAC_SHA2_384_192 },
	{ ENCR_AES_CBC, 192, INTEG_HMAC_SHA2_512_256 },
	{ ENCR_AES_CBC, 256, INTEG_HMAC_SHA1_96 },
	{ ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_256_128 },
	{ ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_384_192 },
	{ ENCR_AES_CBC, 256, INTEG_HMAC_SHA2_512_256 },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))
#define AUTHENTIC 0x80

#define SK_BODY (IKEV2_HDR_LEN + IKEV2_GENERIC_HDR_LEN)	/* SK as the first payload */

/* Made-up keys, the same in every run: key then GCM salt; HMAC key. */
static const uint8_t ekey[IKE_KEY_MAX] = "fuzz_sk encryption key and salt!salt";
static const uint8_t akey[IKE_KEY_MAX] = "fuzz_sk integrity key, as long as the longest HMAC key needs....";

/* The keys in NSS, made on a case's first use and kept for the run. */
static PK11SymKey *ekeys[NCASES], *akeys[NCASES];

static struct sk_cipher cipher_of(uint8_t first)
{
	size_t i = (first & ~AUTHENTIC) % NCASES;
	const struct sk_case *k = &cases[i];
	if (ekeys[i] == NULL)
		ekeys[i] = ike_sym_key(k->encr == ENCR_AES_GCM_16 ? CKM_AES_GCM : CKM_AES_CBC, ekey, k->keylen / 8);
	if (akeys[i] == NULL && k->integ != INTEG_NONE)
		akeys[i] = ike_key_import(akey, integ_key_bytes(k->integ));
	if (ekeys[i] == NULL || (k->integ != INTEG_NONE && akeys[i] == NULL))
		abort();
	return (struct sk_cipher){ k->encr, k->keylen, k->integ, ekeys[i], ekey + k->keylen / 8, akeys[i] };
}

/* An IKE_AUTH header and SK generic header for a message of len octets,
 * the SK payload's next payload being first. */
static void put_headers(uint8_t *msg, size_t len, uint8_t first)
{
	memset(msg, 0, SK_BODY);
	memcpy(msg, "fuzz_spi", IKEV2_SPI_LEN);
	msg[16] = PT_SK;
	msg[17] = IKEV2_VERSION;
	msg[18] = IKE_AUTH;
	msg[19] = IKEV2_FLAG_INITIATOR;
	msg[23] = 1;		/* message ID */
	for (int i = 0; i < 4; i++)
		msg[24 + i] = (uint8_t)(len >> (24 - 8 * i));
	msg[IKEV2_HDR_LEN] = first;
	msg[IKEV2_HDR_LEN + 2] = (uint8_t)((len - IKEV2_HDR_LEN) >> 8);
	msg[IKEV2_HDR_LEN + 3] = (uint8_t)(len - IKEV2_HDR_LEN);
}

#ifndef FUZZ_SEEDGEN

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_start_nss();
	return 0;
}

static void check_inside(const uint8_t *msg, size_t len, const uint8_t *p, size_t n)
{
	if (p < msg || n > len || p > msg + len - n)
		abort();
}

static void as_received(const struct sk_cipher *c, const uint8_t *data, size_t size)
{
	uint8_t *msg = malloc(size ? size : 1);	/* exactly size: ASan sees any overrun */
	if (msg == NULL)
		abort();
	memcpy(msg, data, size);
	struct ikev2_msg m;
	struct diag d;
	diag_init(&d);
	bool parsed = ikev2_parse(msg, size, &m, &d) && m.sk_offset != 0;
	size_t sk_body = parsed ? m.sk_offset : SK_BODY;
	uint8_t *plain;
	size_t plain_len;
	if (sk_open(c, msg, size, sk_body, &plain, &plain_len, &d)) {
		check_inside(msg, size, plain, plain_len);
		if (plain < msg + sk_body)
			abort();
		if (parsed)
			(void)ikev2_parse_inner(plain, plain_len, m.sk_first, &m, &d);
	}
	free(msg);
}

static enum prf_id prf_of(enum integ_id i)
{
	switch (i) {
	case INTEG_HMAC_SHA1_96: return PRF_HMAC_SHA1;
	case INTEG_HMAC_SHA2_256_128: return PRF_HMAC_SHA2_256;
	case INTEG_HMAC_SHA2_384_192: return PRF_HMAC_SHA2_384;
	case INTEG_HMAC_SHA2_512_256: return PRF_HMAC_SHA2_512;
	default: abort();
	}
}

/* Encrypts text (enc_len octets at msg + SK_BODY + iv_len) in place and
 * appends the ICV, as a peer holding the keys would. */
static void seal_body(const struct sk_cipher *c, uint8_t *msg, size_t iv_len, size_t enc_len, size_t icv_len)
{
	uint8_t *iv = msg + SK_BODY, *text = iv + iv_len;
	memset(iv, 0xa5, iv_len);
	bool ok;
	if (c->encr == ENCR_AES_GCM_16) {
		uint8_t nonce[GCM_NONCE];
		memcpy(nonce, c->salt, GCM_SALT);
		memcpy(nonce + GCM_SALT, iv, GCM_IV);
		ok = aes_gcm_key(true, c->ekey, nonce, msg, SK_BODY, text, enc_len, text, enc_len + GCM_TAG);
	} else {
		uint8_t mac[IKE_PRF_MAX];
		ok = aes_cbc_key(true, c->ekey, iv, text, enc_len, text) &&
		     prf_key(prf_of(c->integ), c->akey, msg, SK_BODY + iv_len + enc_len, mac);
		memcpy(text + enc_len, mac, icv_len);
	}
	if (!ok)
		abort();
}

static void authentic(const struct sk_cipher *c, const uint8_t *data, size_t size)
{
	bool gcm = c->encr == ENCR_AES_GCM_16;
	size_t iv_len = sk_iv_len(c), icv_len = gcm ? GCM_TAG : integ_icv_bits(c->integ) / 8;
	size_t enc_len = gcm ? size : size - size % AES_BLOCK;	/* CBC: whole blocks only */
	if (enc_len == 0)
		return;
	size_t len = SK_BODY + iv_len + enc_len + icv_len;
	uint8_t *msg = malloc(len);
	if (msg == NULL)
		abort();
	put_headers(msg, len, PT_NOTIFY);
	memcpy(msg + SK_BODY + iv_len, data, enc_len);
	seal_body(c, msg, iv_len, enc_len, icv_len);
	uint8_t *plain;
	size_t plain_len, pad = data[enc_len - 1];
	struct diag d;
	diag_init(&d);
	bool ok = sk_open(c, msg, len, SK_BODY, &plain, &plain_len, &d);
	if (ok != (pad + 1 <= enc_len))
		abort();	/* authentic: only a pad length too long is refused */
	if (ok && (plain != msg + SK_BODY + iv_len || plain_len != enc_len - pad - 1 ||
		   memcmp(plain, data, plain_len) != 0))
		abort();
	free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct sk_cipher c = cipher_of(data[0]);
	if (data[0] & AUTHENTIC)
		authentic(&c, data + 1, size - 1);
	else
		as_received(&c, data + 1, size - 1);
	return 0;
}

#else	/* FUZZ_SEEDGEN: writes the seeds into the directory argv[1] */

static void write_seed(const char *dir, const char *name, uint8_t first, const uint8_t *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fputc(first, f) == EOF || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* A Notify (INITIAL_CONTACT) then an IDi (@east): inner payloads as
 * IKE_AUTH carries them, the first being a Notify. */
static const uint8_t inner[] = {
	PT_IDi, 0, 0, 8, 0, 0, 0x40, 0x00,
	PT_NONE, 0, 0, 12, ID_FQDN, 0, 0, 0, 'e', 'a', 's', 't',
};

static const char *case_name(const struct sk_cipher *c, char buf[ALG_NAME_MAX])
{
	struct alg_proposal p = { .encr = c->encr, .encr_keylen = c->keylen, .integ = c->integ };
	return alg_esp_name(&p, buf);
}

/* As received: a whole message sealed by sk_seal. */
static void write_sealed(const char *dir, uint8_t first, const struct sk_cipher *c)
{
	uint8_t msg[512];
	size_t iv = sk_iv_len(c), len = SK_BODY + sizeof(inner) + sk_overhead(c, sizeof(inner));
	put_headers(msg, len, PT_NOTIFY);
	memcpy(msg + SK_BODY + iv, inner, sizeof(inner));
	struct diag d;
	diag_init(&d);
	if (!sk_seal(c, msg, SK_BODY, sizeof(inner), &d)) {
		fprintf(stderr, "%s", d.text);
		exit(1);
	}
	char name[ALG_NAME_MAX + 16], alg[ALG_NAME_MAX];
	snprintf(name, sizeof(name), "sealed_%s", case_name(c, alg));
	write_seed(dir, name, first, msg, len);
}

/* Authentic: the body's plaintext, padded as sk_seal pads it. */
static void write_authentic(const char *dir, uint8_t first, const struct sk_cipher *c)
{
	uint8_t text[64];
	size_t pad = sk_overhead(c, sizeof(inner)) - sk_iv_len(c) - 1 -
		     (c->encr == ENCR_AES_GCM_16 ? GCM_TAG : integ_icv_bits(c->integ) / 8);
	memcpy(text, inner, sizeof(inner));
	memset(text + sizeof(inner), 0, pad);
	text[sizeof(inner) + pad] = (uint8_t)pad;
	char name[ALG_NAME_MAX + 16], alg[ALG_NAME_MAX];
	snprintf(name, sizeof(name), "authentic_%s", case_name(c, alg));
	write_seed(dir, name, first | AUTHENTIC, text, sizeof(inner) + pad + 1);
}

int main(int argc, char **argv)
{
	struct diag d;
	diag_init(&d);
	if (argc != 2 || !ike_crypto_init(&d)) {
		fprintf(stderr, "usage: %s DIR (NSS: %s)\n", argv[0], d.text);
		return 2;
	}
	for (uint8_t i = 0; i < NCASES; i++) {
		struct sk_cipher c = cipher_of(i);
		write_sealed(argv[1], i, &c);
		write_authentic(argv[1], i, &c);
	}
	return ike_crypto_shutdown() ? 0 : 1;
}

#endif
