/* reload.c: conns added, replaced and deleted from a config at run time
 * (reload.h). */
#include <string.h>
#include "reload.h"
#include "ike_sa.h"
#include "ikev2.h"
#include "log.h"
#include "ondemand.h"
#include "pluto.h"
#include "pluto_secrets.h"

/* Loads cfg (in the place of a loaded conn of its name), logs its notes,
 * listens on its IKE port and, for auto=ondemand, routes it. */
static struct connection *load_conn(const struct conn_config *cfg, bool *replaced, struct diag *errors)
{
	struct diag notes;
	diag_init(&notes);
	/* The conn it replaces, kept alive to take its trap away once the
	 * new one is in: a config with errors leaves the old one routed. */
	struct connection *old = conn_find(cfg->name);
	if (old != NULL)
		conn_ref(old);
	struct connection *c = conn_load(cfg, pluto.conf->setup.fips, replaced, errors, &notes);
	if (c == NULL) {
		conn_unref(old);
		return NULL;
	}
	if (old != NULL) {
		ondemand_unroute(old);
		conn_unref(old);
	}
	conn_log_lines(c, LL_WARN, &notes);
	struct diag d;
	diag_init(&d);
	if (!ikev2_listen(c, &d))
		conn_log(c, LL_WARN, "%s", diag_oneline(&d, NULL));
	diag_init(&d);
	if (c->config->auto_mode == AUTO_ONDEMAND && !ondemand_route(c, &d))
		conn_log(c, LL_WARN, "auto=ondemand: %s", diag_oneline(&d, NULL));
	return c;
}

struct connection *reload_add_conn(const struct conn_config *cfg, struct diag *errors)
{
	bool replaced;
	struct connection *c = load_conn(cfg, &replaced, errors);
	if (c != NULL)
		conn_log(c, LL_INFO, "%s IKEv2 connection", replaced ? "replaced" : "added");
	return c;
}

void reload_delete_conn(struct connection *c, const char *why)
{
	ikev2_down(c->config->name, why);
	ondemand_unroute(c);
	conn_delete(c->config->name);
}

struct connection *reload_replace_conn(struct connection *old, const struct conn_config *cfg, bool *was_up,
				       bool *old_gone, struct diag *errors)
{
	*old_gone = false;
	if (!conn_loadable(cfg, pluto.conf->setup.fips, errors))
		return NULL;
	*was_up = ike_sa_carrying(cfg->name, 0) != NULL;
	reload_delete_conn(old, "its conn is replaced");
	*old_gone = true;
	bool replaced;
	return load_conn(cfg, &replaced, errors);
}

/* What a reload did, for its closing line. */
struct reload_tally {
	unsigned added, replaced, deleted, unchanged, refused;
};

/* The loaded conns that the file no longer has: deleted, their tunnels
 * taken down. A conn whose section has errors is not gone: it stays. */
static void delete_gone_conns(const struct ipsec_conf *conf, const char *why, struct reload_tally *t)
{
	struct connection *next;
	for (struct connection *c = conn_first(); c != NULL; c = next) {
		next = c->next;
		const char *name = c->config->name;
		if (c->outside_config || ipsecconf_find(conf, name) != NULL || ipsecconf_is_bad_conn(conf, name))
			continue;
		conn_log(c, LL_INFO, "%s: no longer in %s: deleted, its SAs taken down", why, pluto.config_path);
		reload_delete_conn(c, "its conn is no longer in the config");
		t->deleted++;
	}
}

/* A conn of the file that is not loaded: added as at start. */
static void add_new_conn(const struct conn_config *cfg, const char *why, struct reload_tally *t)
{
	struct diag errors;
	diag_init(&errors);
	bool replaced;
	struct connection *c = load_conn(cfg, &replaced, &errors);
	if (c == NULL) {
		llog(LL_ERROR, "\"%s\": %s: not added: %s", cfg->name, why, diag_oneline(&errors, NULL));
		t->refused++;
		return;
	}
	t->added++;
	conn_log(c, LL_INFO, "%s: new in %s: added%s", why, pluto.config_path,
		 cfg->auto_mode == AUTO_START ? ", and brought up (auto=start)" : "");
	if (cfg->auto_mode == AUTO_START)
		ikev2_initiate(c, 0);
}

/* A loaded conn whose config changed: replaced, and brought up again if
 * it was up or is auto=start. A new config that would be refused
 * replaces nothing. */
static void replace_changed_conn(struct connection *old, const struct conn_config *cfg, const char *change,
				 const char *why, struct reload_tally *t)
{
	struct diag errors;
	diag_init(&errors);
	bool was_up = false, old_gone;
	conn_ref(old);	/* for the line that says what became of it */
	struct connection *c = reload_replace_conn(old, cfg, &was_up, &old_gone, &errors);
	if (c == NULL) {
		conn_log(old, LL_ERROR, "%s: %s= changed but the new config %s: %s", why, change,
			 old_gone ? "could not be loaded, the conn is deleted" : "is refused, the loaded conn stays as it was",
			 diag_oneline(&errors, NULL));
		conn_unref(old);
		t->refused++;
		return;
	}
	conn_unref(old);
	t->replaced++;
	bool up = was_up || cfg->auto_mode == AUTO_START;
	conn_log(c, LL_INFO, "%s: %s= changed: replaced%s", why, change,
		 !up ? "" : was_up ? ", and brought up again on the new config" : ", and brought up (auto=start)");
	if (up)
		ikev2_initiate(c, 0);
}

static void apply_conn(const struct conn_config *cfg, const char *why, struct reload_tally *t)
{
	struct connection *old = conn_find(cfg->name);
	if (old == NULL) {
		if (cfg->auto_mode != AUTO_IGNORE)
			add_new_conn(cfg, why, t);
		return;
	}
	if (old->outside_config)
		return;
	char change[64];
	if (conn_config_same(old->config, cfg, change, sizeof(change))) {
		conn_log(old, LL_INFO, "%s: unchanged, left as it is", why);
		t->unchanged++;
	} else if (cfg->auto_mode == AUTO_IGNORE) {
		conn_log(old, LL_INFO, "%s: now auto=ignore in %s: deleted, its SAs taken down", why, pluto.config_path);
		reload_delete_conn(old, "its conn is now auto=ignore");
		t->deleted++;
	} else {
		replace_changed_conn(old, cfg, change, why, t);
	}
}

/* The file's conns with errors: a loaded one stays as it is. */
static void report_bad_conns(const struct ipsec_conf *conf, const char *why, struct reload_tally *t)
{
	for (size_t i = 0; i < conf->nbad_conns; i++) {
		struct connection *c = conn_find(conf->bad_conns[i]);
		if (c != NULL)
			conn_log(c, LL_ERROR, "%s: its section in %s has errors (above): the loaded conn stays as it was",
				 why, pluto.config_path);
		else
			llog(LL_ERROR, "\"%s\": %s: not added: %s has errors in it (above)", conf->bad_conns[i], why,
			     pluto.config_path);
		t->refused++;
	}
}

bool pluto_reload(const char *why)
{
	bool ok = pluto_secrets_reread(why);
	struct diag d;
	diag_init(&d);
	struct ipsec_conf *conf = ipsecconf_load_good_conns(pluto.config_path, &d);
	if (conf == NULL) {
		llog_lines(LL_ERROR, &d);
		llog(LL_ERROR, "%s: %s has errors; nothing changed: every loaded conn stays as it was", why,
		     pluto.config_path);
		return false;
	}
	llog_lines(LL_ERROR, &d);
	struct reload_tally t = {0};
	/* Deleted first: a conn that takes over a gone one's traffic
	 * selectors finds them free. */
	delete_gone_conns(conf, why, &t);
	conn_batch_begin();	/* one look at this host's addresses for all of them */
	for (size_t i = 0; i < conf->nconns; i++)
		apply_conn(&conf->conns[i], why, &t);
	conn_batch_end();
	report_bad_conns(conf, why, &t);
	ipsecconf_free(conf);
	llog(LL_INFO, "%s: %s read again: %u added, %u replaced, %u deleted, %u unchanged, %u refused; %zu loaded",
	     why, pluto.config_path, t.added, t.replaced, t.deleted, t.unchanged, t.refused, conn_count());
	return ok && t.refused == 0;
}
