/* commands.c: what pluto does for each whack request. */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "connections.h"
#include "diag.h"
#include "ike_sa.h"
#include "ikev2.h"
#include "ipsecconf.h"
#include "kernel.h"
#include "log.h"
#include "offload_balance.h"
#include "offload_probe.h"
#include "ondemand.h"
#include "pluto.h"
#include "pluto_secrets.h"
#include "reload.h"
#include "status.h"
#include "status_brief.h"

/* Sends every line of a diag to the client. */
static void whack_diag(struct whack_session *s, const struct diag *d)
{
	if (d->len > 0)
		whack_line(s, "%.*s", (int)(d->len - 1), d->text);
	if (d->len >= sizeof(d->text) - 2)
		whack_line(s, "(%d errors in all; the rest were cut)", d->count);
}

/* The conn the request names, or NULL after telling the client there is none. */
static struct connection *named_conn(struct whack_session *s, const struct whack_request *r)
{
	struct connection *c = conn_find(r->name);
	if (c == NULL) {
		whack_line(s, "pluto: no connection named \"%s\"", r->name);
		whack_done(s, 1);
	}
	return c;
}

/* The conn r names, read from r's config file (else pluto's): conf
 * holds it, to be freed by the caller. NULL after telling the client why. */
static const struct conn_config *read_named(struct whack_session *s, const struct whack_request *r,
					    struct ipsec_conf **conf)
{
	const char *path = r->config[0] != '\0' ? r->config : pluto.config_path;
	struct diag d;
	diag_init(&d);
	if (r->name[0] == '\0') {
		whack_line(s, "pluto: --%s needs a connection name", whack_op_name(r->op));
		whack_done(s, 1);
		return NULL;
	}
	/* Another conn's errors do not keep this one out, as at start. */
	*conf = ipsecconf_load_good_conns(path, &d);
	if (*conf == NULL || ipsecconf_is_bad_conn(*conf, r->name)) {
		whack_diag(s, &d);
		llog(LL_WARN, "\"%s\": not added: %s has errors", r->name, path);
		ipsecconf_free(*conf);
		*conf = NULL;
		whack_done(s, 1);
		return NULL;
	}
	const struct conn_config *found = ipsecconf_find(*conf, r->name);
	if (found == NULL) {
		whack_line(s, "pluto: no conn \"%s\" in %s", r->name, path);
		ipsecconf_free(*conf);
		*conf = NULL;
		whack_done(s, 1);
	}
	return found;
}

/* Whether r names a config file other than pluto's own. */
static bool outside_config(const struct whack_request *r)
{
	return r->config[0] != '\0' && strcmp(r->config, pluto.config_path) != 0;
}

/* Adds found for the client; false (the client told) when it is refused. */
static struct connection *add_for(struct whack_session *s, const struct whack_request *r,
				  const struct conn_config *found)
{
	struct diag d;
	diag_init(&d);
	struct connection *c = reload_add_conn(found, &d);
	if (c == NULL) {
		whack_unfollow_log(s);	/* the client gets the errors once */
		whack_diag(s, &d);
		llog(LL_WARN, "\"%s\": not added: %s", found->name, diag_oneline(&d, NULL));
	} else {
		c->outside_config = outside_config(r);
	}
	return c;
}

static void cmd_add(struct whack_session *s, const struct whack_request *r)
{
	struct ipsec_conf *conf;
	const struct conn_config *found = read_named(s, r, &conf);
	if (found == NULL)
		return;
	whack_follow_log(s);
	struct connection *c = add_for(s, r, found);
	ipsecconf_free(conf);
	whack_done(s, c != NULL ? 0 : 1);
}

/* libreswan's replace: the conn is deleted (its SAs taken down, telling
 * the peer), added again from the file, and brought up again if it was
 * up or on its way up. A new config that would be refused replaces
 * nothing: the old conn stays as it is. */
static void cmd_replace(struct whack_session *s, const struct whack_request *r)
{
	struct ipsec_conf *conf;
	const struct conn_config *found = read_named(s, r, &conf);
	if (found == NULL)
		return;
	struct connection *old = conn_find(r->name);
	whack_follow_log(s);
	if (old == NULL) {
		struct connection *c = add_for(s, r, found);
		ipsecconf_free(conf);
		whack_done(s, c != NULL ? 0 : 1);
		return;
	}
	struct diag d;
	diag_init(&d);
	bool was_up = false, old_gone = false;
	struct connection *c = NULL;
	conn_ref(old);	/* for the line that says what became of it */
	if (conn_loadable(found, pluto.conf->setup.fips, &d)) {
		conn_log(old, LL_INFO, "deleting connection");
		c = reload_replace_conn(old, found, &was_up, &old_gone, &d);
	}
	ipsecconf_free(conf);
	if (c == NULL) {
		const char *what = old_gone ? "deleted, and the new config could not be loaded"
					    : "not replaced: the loaded conn stays as it was";
		whack_unfollow_log(s);	/* the client gets the errors once */
		whack_diag(s, &d);
		whack_line(s, "\"%s\": %s", r->name, what);
		conn_log(old, LL_WARN, "%s: %s", what, diag_oneline(&d, NULL));
		conn_unref(old);
		whack_done(s, 1);
		return;
	}
	conn_unref(old);
	c->outside_config = outside_config(r);
	conn_log(c, LL_INFO, "added IKEv2 connection");
	if (!was_up) {
		whack_done(s, 0);
		return;
	}
	/* From here the negotiation streams its own lines and ends the session. */
	whack_unfollow_log(s);
	ikev2_initiate(c, whack_serial(s));
}

static void cmd_delete(struct whack_session *s, const struct whack_request *r)
{
	struct connection *c = named_conn(s, r);
	if (c == NULL)
		return;
	whack_follow_log(s);
	conn_log(c, LL_INFO, "deleting connection");
	reload_delete_conn(c, "its conn is deleted");
	whack_done(s, 0);
}

static void cmd_up(struct whack_session *s, const struct whack_request *r)
{
	struct connection *c = named_conn(s, r);
	if (c == NULL)
		return;
	/* The session stays open: the negotiation streams its progress and
	 * ends it with the outcome, if the client is still there. */
	ikev2_initiate(c, whack_serial(s));
}

static void cmd_down(struct whack_session *s, const struct whack_request *r)
{
	struct connection *c = named_conn(s, r);
	if (c == NULL)
		return;
	whack_follow_log(s);
	if (c->retry.next_at != 0)
		conn_log(c, LL_INFO, "the planned attempt to bring it up is called off");
	conn_forget_failures(c);
	if (!ikev2_down(c->config->name, "whack --down"))
		conn_log(c, LL_INFO, "no IKE or IPsec SA to take down");
	whack_done(s, 0);
}

/* Rekeys now what the conn's established IKE SA holds. */
static void cmd_rekey(struct whack_session *s, const struct whack_request *r)
{
	struct connection *c = named_conn(s, r);
	if (c == NULL)
		return;
	bool ike_sa = r->op == WOP_REKEY_IKE;
	struct ike_sa *ike = ike_sa_carrying(c->config->name, 0);	/* its own, or one it joined */
	whack_follow_log(s);
	if (ike == NULL || !(ike_sa ? ikev2_rekey_now(ike, true) : ikev2_rekey_conn_now(ike, c->config->name))) {
		conn_log(c, LL_INFO, "no established %s SA to rekey", ike_sa ? "IKE" : "IPsec");
		whack_done(s, 1);
		return;
	}
	whack_done(s, 0);
}

static void cmd_route(struct whack_session *s, const struct whack_request *r)
{
	struct connection *c = named_conn(s, r);
	if (c == NULL)
		return;
	whack_follow_log(s);
	struct diag d;
	diag_init(&d);
	if (c->routed)
		conn_log(c, LL_INFO, "already routed");
	else if (!ondemand_route(c, &d))
		conn_log(c, LL_ERROR, "%s", diag_oneline(&d, NULL));
	whack_done(s, diag_failed(&d) ? 1 : 0);
}

static void cmd_unroute(struct whack_session *s, const struct whack_request *r)
{
	struct connection *c = named_conn(s, r);
	if (c == NULL)
		return;
	whack_follow_log(s);
	if (!c->routed)
		conn_log(c, LL_INFO, "not routed");
	ondemand_unroute(c);
	whack_done(s, 0);
}

static void cmd_trafficstatus(struct whack_session *s, const struct whack_request *r)
{
	trafficstatus_show(s, (r->flags & WF_JSON) != 0);
	whack_done(s, 0);
}

static void cmd_offload(struct whack_session *s, const struct whack_request *r)
{
	struct diag lines;
	diag_init(&lines);
	const char *dev = r->device[0] != '\0' ? r->device : NULL;
	if ((r->flags & WF_PROBE) == 0) {
		offload_report(kernel, dev, &lines);
		if (dev != NULL)
			offload_balance_report(dev, &lines);
		whack_diag(s, &lines);
		whack_done(s, 0);
		return;
	}
	if (dev == NULL) {
		whack_line(s, "pluto: --probe needs a device: ipsec offload --probe DEV");
		whack_done(s, 1);
		return;
	}
	/* Probing is never done behind the user's back: say so in the log. */
	llog(LL_INFO, "offload: probing %s at the request of whack", dev);
	static struct device_probe probe;
	int rc = offload_probe(kernel, dev, &probe, &lines);
	whack_diag(s, &lines);
	whack_done(s, rc == 0 ? 0 : 1);
}

/* The status requests that take no argument: what each shows. */
static void (*const shows[WOP_MAX_])(struct whack_session *s) = {
	[WOP_STATUS] = status_show,
	[WOP_SHOWSTATES] = showstates_show,
	[WOP_BRIEFSTATUS] = briefstatus_show,
	[WOP_GLOBALSTATUS] = globalstatus_show,
	[WOP_CONNECTIONSTATUS] = connectionstatus_show,
	[WOP_FIPSSTATUS] = fipsstatus_show,
};

static void cmd_show(struct whack_session *s, const struct whack_request *r)
{
	shows[r->op](s);
	whack_done(s, 0);
}

static void cmd_rereadsecrets(struct whack_session *s, const struct whack_request *r)
{
	(void)r;
	whack_follow_log(s);
	whack_done(s, pluto_secrets_reread("whack --rereadsecrets") ? 0 : 1);
}

static void cmd_reload(struct whack_session *s, const struct whack_request *r)
{
	(void)r;
	whack_follow_log(s);
	whack_done(s, pluto_reload("whack --reload") ? 0 : 1);
}

/* libreswan's --listen: look at the host's addresses again (as an
 * address change would) and listen on each conn's local end. */
static void cmd_listen(struct whack_session *s, const struct whack_request *r)
{
	(void)r;
	whack_follow_log(s);
	conn_orient_all();
	unsigned failed = 0;
	for (struct connection *c = conn_first(); c != NULL; c = c->next) {
		struct diag d;
		diag_init(&d);
		if (!ikev2_listen(c, &d)) {
			conn_log(c, LL_WARN, "%s", diag_oneline(&d, NULL));
			failed++;
		}
	}
	llog(LL_INFO, "listening for IKE messages: the host's addresses looked at again, %zu conn%s",
	     conn_count(), conn_count() == 1 ? "" : "s");
	whack_done(s, failed == 0 ? 0 : 1);
}

static void cmd_shutdown(struct whack_session *s, const struct whack_request *r)
{
	(void)r;
	whack_follow_log(s);
	llog(LL_INFO, "shutting down at the request of whack");
	whack_done(s, 0);
	pluto_shutdown(NULL);
}

typedef void command_fn(struct whack_session *s, const struct whack_request *r);

static command_fn *const commands[WOP_MAX_] = {
	[WOP_STATUS] = cmd_show,
	[WOP_TRAFFICSTATUS] = cmd_trafficstatus,
	[WOP_ADD] = cmd_add,
	[WOP_DELETE] = cmd_delete,
	[WOP_UP] = cmd_up,
	[WOP_DOWN] = cmd_down,
	[WOP_SHUTDOWN] = cmd_shutdown,
	[WOP_OFFLOAD] = cmd_offload,
	[WOP_REKEY_IKE] = cmd_rekey,
	[WOP_REKEY_IPSEC] = cmd_rekey,
	[WOP_ROUTE] = cmd_route,
	[WOP_UNROUTE] = cmd_unroute,
	[WOP_SHOWSTATES] = cmd_show,
	[WOP_BRIEFSTATUS] = cmd_show,
	[WOP_GLOBALSTATUS] = cmd_show,
	[WOP_CONNECTIONSTATUS] = cmd_show,
	[WOP_FIPSSTATUS] = cmd_show,
	[WOP_REREADSECRETS] = cmd_rereadsecrets,
	[WOP_RELOAD] = cmd_reload,
	[WOP_LISTEN] = cmd_listen,
	[WOP_REPLACE] = cmd_replace,
};

void command_dispatch(struct whack_session *s, const struct whack_request *r)
{
	/* The decoder has checked r->op is in range. */
	commands[r->op](s, r);
}
