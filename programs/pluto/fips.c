/* fips.c: the algorithms fips=yes allows (fips.h). */
#include "fips.h"

const char *fips_disallowed(const struct alg_proposal *p)
{
	if (p->encr == ENCR_CHACHA20_POLY1305)
		return encr_name(p->encr);
	if (p->dh == DH_CURVE25519)
		return dh_name(p->dh);
	return NULL;
}

/* The first proposal of ps FIPS mode refuses, its algorithm in *alg. */
static bool any_disallowed(const struct alg_proposals *ps, const char **alg)
{
	for (size_t i = 0; i < ps->n; i++) {
		if ((*alg = fips_disallowed(&ps->p[i])) != NULL)
			return true;
	}
	return false;
}

bool fips_check_conn(const struct conn_config *cfg, struct diag *errors)
{
	const char *alg;
	if (cfg->ike != NULL && any_disallowed(&cfg->ike_proposals, &alg)) {
		diag_add(errors, "%s:%d: conn \"%s\" cannot be added: fips=yes: ike=%s uses %s, which FIPS mode does not allow",
			 cfg->file, cfg->line, cfg->name, cfg->ike, alg);
		return false;
	}
	if (cfg->esp != NULL && any_disallowed(&cfg->esp_proposals, &alg)) {
		diag_add(errors, "%s:%d: conn \"%s\" cannot be added: fips=yes: esp=%s uses %s, which FIPS mode does not allow",
			 cfg->file, cfg->line, cfg->name, cfg->esp, alg);
		return false;
	}
	return true;
}

static void trim(struct alg_proposals *ps)
{
	size_t kept = 0;
	for (size_t i = 0; i < ps->n; i++) {
		if (fips_disallowed(&ps->p[i]) == NULL)
			ps->p[kept++] = ps->p[i];
	}
	ps->n = kept;
}

void fips_trim_defaults(struct conn_config *cfg)
{
	if (cfg->ike == NULL)
		trim(&cfg->ike_proposals);
	if (cfg->esp == NULL)
		trim(&cfg->esp_proposals);
}
