/* libFuzzer target: the peer's KE value, taken by dh_derive (ike_dh.c).
 *
 * The first input octet picks one of the groups pluto supports, the rest
 * is the peer's public value. Against a local key made once per group,
 * dh_derive must refuse a value of the wrong length, out of range (MODP),
 * off the curve (ECP) or giving an all-zero secret (X25519), and for the
 * rest give a secret of the group's size within the caller's buffer,
 * never reading past the value.
 *
 * NSS starts once and the local keys are made once (LLVMFuzzerInitialize):
 * per input, only the derivation runs. Built with -DFUZZ_SEEDGEN, this
 * file is instead the program that writes the seeds: for each group, a
 * public value made by dh_generate, and one that must be refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ike_crypto.h"
#include "fuzz_nss.h"

static const enum dh_id groups[] = {
	DH_MODP2048, DH_MODP3072, DH_MODP4096, DH_ECP256, DH_ECP384, DH_ECP521, DH_CURVE25519,
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

/* A key pair of group g; its public value into pub (dh_public_len(g) octets). */
static struct dh_local *key_pair(enum dh_id g, uint8_t *pub)
{
	struct diag d;
	diag_init(&d);
	struct dh_local *l = dh_generate(g, pub, &d);
	if (l == NULL) {
		fprintf(stderr, "%s", d.text);
		abort();
	}
	return l;
}

#ifndef FUZZ_SEEDGEN

static struct dh_local *locals[NGROUPS];

static void free_locals(void)
{
	for (size_t i = 0; i < NGROUPS; i++)
		dh_free(locals[i]);
	ike_crypto_shutdown();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_start_nss();
	uint8_t pub[IKE_DH_PUB_MAX];
	for (size_t i = 0; i < NGROUPS; i++)
		locals[i] = key_pair(groups[i], pub);
	atexit(free_locals);
	return 0;
}

/* The secret's size: the prime's, or one coordinate's (X25519: 32). */
static size_t secret_len(enum dh_id g)
{
	size_t pub = dh_public_len(g);
	return g >= DH_ECP256 && g <= DH_ECP521 ? pub / 2 : pub;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t i = data[0] % NGROUPS;
	size_t len = size - 1;
	uint8_t *peer = malloc(len ? len : 1);	/* exactly len: ASan sees any overread */
	if (peer == NULL)
		abort();
	memcpy(peer, data + 1, len);
	struct diag d;
	diag_init(&d);
	PK11SymKey *shared = dh_derive(locals[i], peer, len, &d);
	if (shared != NULL ? ike_key_len(shared) != secret_len(groups[i]) || len != dh_public_len(groups[i])
			   : d.count == 0)
		abort();
	ike_key_free(shared);
	free(peer);
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

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	fuzz_start_nss();
	for (uint8_t i = 0; i < NGROUPS; i++) {
		uint8_t pub[IKE_DH_PUB_MAX];
		size_t n = dh_public_len(groups[i]);
		dh_free(key_pair(groups[i], pub));
		char name[64];
		snprintf(name, sizeof(name), "%s", dh_name(groups[i]));
		write_seed(argv[1], name, i, pub, n);
		/* Each refused: MODP's 1 (out of range), the ECP point (0, 1)
		 * (off the curve), X25519's 1 (little-endian; a low-order point
		 * giving an all-zero secret). */
		memset(pub, 0, n);
		pub[groups[i] == DH_CURVE25519 ? 0 : n - 1] = 1;
		snprintf(name, sizeof(name), "%s_one", dh_name(groups[i]));
		write_seed(argv[1], name, i, pub, n);
	}
	return ike_crypto_shutdown() ? 0 : 1;
}

#endif
