/* reload.c: adding conns from a config at run time (reload.h). */
#include "reload.h"
#include "ikev2.h"
#include "log.h"
#include "ondemand.h"
#include "pluto.h"
#include "pluto_secrets.h"

struct connection *reload_add_conn(const struct conn_config *cfg, struct diag *errors)
{
	struct diag notes;
	diag_init(&notes);
	bool replaced;
	/* The conn it replaces, kept alive to take its trap away once the
	 * new one is in: a config with errors leaves the old one routed. */
	struct connection *old = conn_find(cfg->name);
	if (old != NULL)
		conn_ref(old);
	struct connection *c = conn_load(cfg, pluto.conf->setup.fips, &replaced, errors, &notes);
	if (c == NULL) {
		conn_unref(old);
		return NULL;
	}
	if (old != NULL) {
		ondemand_unroute(old);
		conn_unref(old);
	}
	conn_log_lines(c, LL_WARN, &notes);
	conn_log(c, LL_INFO, "%s IKEv2 connection", replaced ? "replaced" : "added");
	struct diag d;
	diag_init(&d);
	if (!ikev2_listen(c, &d))
		conn_log(c, LL_WARN, "%s", diag_oneline(&d, NULL));
	diag_init(&d);
	if (c->config->auto_mode == AUTO_ONDEMAND && !ondemand_route(c, &d))
		conn_log(c, LL_WARN, "auto=ondemand: %s", diag_oneline(&d, NULL));
	return c;
}

/* The conns of conf that are to be loaded and are not: added, and the
 * auto=start ones brought up. Returns how many were added. */
static unsigned add_new_conns(const struct ipsec_conf *conf, const char *why)
{
	unsigned added = 0;
	conn_batch_begin();	/* one look at this host's addresses for all of them */
	for (size_t i = 0; i < conf->nconns; i++) {
		const struct conn_config *cfg = &conf->conns[i];
		if (cfg->auto_mode == AUTO_IGNORE || conn_find(cfg->name) != NULL)
			continue;
		struct diag errors;
		diag_init(&errors);
		struct connection *c = reload_add_conn(cfg, &errors);
		if (c == NULL) {
			llog(LL_ERROR, "%s: \"%s\": not loaded: %s", why, cfg->name, diag_oneline(&errors, NULL));
			continue;
		}
		added++;
		if (cfg->auto_mode == AUTO_START)
			ikev2_initiate(c, 0);
	}
	conn_batch_end();
	return added;
}

bool pluto_reload(const char *why)
{
	bool ok = pluto_secrets_reread(why);
	struct diag d;
	diag_init(&d);
	/* As at start: a bad conn is left out, the good ones come. */
	struct ipsec_conf *conf = ipsecconf_load_good_conns(pluto.config_path, &d);
	if (conf == NULL) {
		llog_lines(LL_ERROR, &d);
		llog(LL_ERROR, "%s: %s has errors; no conn added, the loaded ones stay", why, pluto.config_path);
		return false;
	}
	if (conf->nbad_conns > 0) {
		llog_lines(LL_ERROR, &d);
		for (size_t i = 0; i < conf->nbad_conns; i++)
			llog(LL_ERROR, "%s: \"%s\": not added: %s has errors in it (above)", why, conf->bad_conns[i],
			     pluto.config_path);
		ok = false;
	}
	unsigned added = add_new_conns(conf, why);
	ipsecconf_free(conf);
	llog(LL_INFO, "%s: %s read again: %u new conn%s added; %zu loaded (conns already loaded are left as they are)",
	     why, pluto.config_path, added, added == 1 ? "" : "s", conn_count());
	return ok;
}
