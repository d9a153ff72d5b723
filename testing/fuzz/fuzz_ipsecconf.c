/* libFuzzer target: ipsec.conf, read by ipsecconf_load with its includes,
 * also= and conn %default.
 *
 * The input is the config and up to three files it may include
 * (input_files.h says how it is split and why includes cannot leave the
 * private directory). Loading must never crash, leak or hang; it gives a
 * whole config with no error, or NULL with at least one. A config that
 * loads is used as pluto uses it: every conn found by its name, its
 * proposals printed, the conn copied and freed. The proposal lists are
 * shared by reference count (alg.h), which LeakSanitizer cannot see
 * through (the table of lists still reaches them): once the config is
 * freed, none may be left. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "input_files.h"
#include "ipsecconf.h"

static void check_proposals(const struct alg_proposals *ps, bool ike)
{
	char buf[2048];
	if (ps->n == 0 || ps->n > ALG_PROPOSALS_MAX)
		abort();
	if (strnlen(alg_proposals_name(ps, ike, buf, sizeof(buf)), sizeof(buf)) == sizeof(buf))
		abort();
}

static void check_conn(const struct ipsec_conf *conf, const struct conn_config *c)
{
	/* a second conn of one name is an error, so each is found as itself */
	const struct conn_config *found = ipsecconf_find(conf, c->name);
	if (found != c || c->file == NULL)
		abort();
	if (c->auto_mode != AUTO_IGNORE && (c->left.host_text == NULL || c->right.host_text == NULL))
		abort();	/* only auto=ignore fragments may leave a side out */
	check_proposals(c->ike_proposals, true);
	check_proposals(c->esp_proposals, false);
	(void)hw_offload_name(c->hw_offload);
	(void)auto_mode_name(c->auto_mode);
	(void)yna_name(c->esn, "either");
	conn_config_free(conn_config_dup(c));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!input_files_allowed(data, size))
		return -1;	/* not added to the corpus */
	const char *path = input_files_write(data, size);
	if (path == NULL)
		abort();	/* the fuzzer cannot work without its files */
	struct diag d;
	diag_init(&d);
	struct ipsec_conf *conf = ipsecconf_load(path, &d);
	if ((conf == NULL) == (d.count == 0))
		abort();	/* NULL exactly when there is an error */
	for (size_t i = 0; conf != NULL && i < conf->nconns; i++)
		check_conn(conf, &conf->conns[i]);
	ipsecconf_free(conf);
	if (alg_proposals_shared_count() != 0)
		abort();	/* a reference was not given back */
	return 0;
}
