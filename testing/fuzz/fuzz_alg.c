/* libFuzzer target: the ike= and esp= strings of ipsec.conf.
 * Parsing any text must never crash; what parses must be a list of 1 to
 * ALG_PROPOSALS_MAX proposals of supported transforms, and must print
 * (alg_proposals_name) within whatever buffer it is given, cut short with
 * a terminated string when the buffer is small. What fails leaves an
 * empty list and says why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "alg.h"

/* Lengths that straddle the "..." cut-off, and one that always fits. */
static const size_t name_lens[] = { 1, 2, 4, 5, 6, 30, 200, 16 * (ALG_NAME_MAX + 2) + 1 };

/* Each buffer is exactly len bytes on the heap, so ASan sees any write past it. */
static void check_prints(const struct alg_proposals *ps, bool ike)
{
	for (size_t i = 0; i < sizeof(name_lens) / sizeof(name_lens[0]); i++) {
		size_t len = name_lens[i];
		char *buf = malloc(len);
		if (buf == NULL || alg_proposals_name(ps, ike, buf, len) != buf ||
		    strnlen(buf, len) == len)
			abort();
		free(buf);
	}
	char one[ALG_NAME_MAX];
	for (size_t i = 0; i < ps->n; i++)
		if (strnlen(ike ? alg_ike_name(&ps->p[i], one) : alg_esp_name(&ps->p[i], one),
			    ALG_NAME_MAX) == ALG_NAME_MAX)
			abort();
}

static void check_proposal(const struct alg_proposal *p, bool ike)
{
	if (!encr_keylen_ok(p->encr, p->encr_keylen))
		abort();
	if (encr_is_aead(p->encr) != (p->integ == INTEG_NONE))
		abort();	/* AEAD takes no integrity, CBC always has one */
	if (ike && (p->prf == PRF_NONE || p->dh == DH_NONE))
		abort();
	if (!ike && p->prf != PRF_NONE)
		abort();
}

static void try_parse(const char *s, bool ike)
{
	struct alg_proposals ps;
	struct diag d;
	diag_init(&d);
	bool ok = ike ? alg_parse_ike(s, &ps, &d) : alg_parse_esp(s, &ps, &d);
	if (!ok) {
		if (ps.n != 0 || d.count == 0)
			abort();
		return;
	}
	if (ps.n == 0 || ps.n > ALG_PROPOSALS_MAX || d.count != 0)
		abort();
	for (size_t i = 0; i < ps.n; i++)
		check_proposal(&ps.p[i], ike);
	check_prints(&ps, ike);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	try_parse(s, true);
	try_parse(s, false);
	free(s);
	return 0;
}
