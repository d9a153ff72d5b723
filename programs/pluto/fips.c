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
	if (cfg->ike != NULL && any_disallowed(cfg->ike_proposals, &alg)) {
		diag_add(errors, "%s:%d: conn \"%s\" cannot be added: fips=yes: ike=%s uses %s, which FIPS mode does not allow",
			 cfg->file, cfg->line, cfg->name, cfg->ike, alg);
		return false;
	}
	if (cfg->esp != NULL && any_disallowed(cfg->esp_proposals, &alg)) {
		diag_add(errors, "%s:%d: conn \"%s\" cannot be added: fips=yes: esp=%s uses %s, which FIPS mode does not allow",
			 cfg->file, cfg->line, cfg->name, cfg->esp, alg);
		return false;
	}
	return true;
}

/* The shared list without what FIPS mode refuses (shared in turn). */
static void trim(const struct alg_proposals **shared)
{
	static struct alg_proposals kept;	/* 5 kB: not on the stack */
	kept.n = 0;
	for (size_t i = 0; i < (*shared)->n; i++) {
		if (fips_disallowed(&(*shared)->p[i]) == NULL)
			kept.p[kept.n++] = (*shared)->p[i];
	}
	const struct alg_proposals *old = *shared;
	*shared = alg_proposals_share(&kept);
	alg_proposals_unref(old);
}

void fips_trim_defaults(struct conn_config *cfg)
{
	if (cfg->ike == NULL)
		trim(&cfg->ike_proposals);
	if (cfg->esp == NULL)
		trim(&cfg->esp_proposals);
}
