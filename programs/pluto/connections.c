/* connections.c: a short list is all pluto needs; gateways hold tens of
 * conns, not millions, and the list keeps file order for --status. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include "connections.h"
#include "ike_sa.h"
#include "kernel.h"
#include "offload_probe.h"

static struct connection *conns;

struct connection *conn_first(void)
{
	return conns;
}

size_t conn_count(void)
{
	size_t n = 0;
	for (struct connection *c = conns; c != NULL; c = c->next)
		n++;
	return n;
}

static struct connection **conn_slot(const char *name)
{
	struct connection **pp = &conns;
	while (*pp != NULL && strcmp((*pp)->config->name, name) != 0)
		pp = &(*pp)->next;
	return pp;
}

struct connection *conn_find(const char *name)
{
	return *conn_slot(name);
}

/* Takes ownership of cfg. */
static struct connection *conn_add(struct conn_config *cfg, const struct offload_policy *pol, bool *replaced)
{
	struct connection **pp = conn_slot(cfg->name);
	*replaced = *pp != NULL;
	if (*replaced) {
		conn_config_free((*pp)->config);
		(*pp)->config = cfg;
		(*pp)->offload = *pol;
		conn_forget_failures(*pp);
		return *pp;
	}
	struct connection *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->config = cfg;
	c->offload = *pol;
	*pp = c;	/* appended: the slot of a missing name is the list's end */
	return c;
}

struct connection *conn_load(const struct conn_config *cfg, bool fips, bool *replaced,
			     struct diag *errors, struct diag *notes)
{
	/* An auto=ignore conn may be a mere also= fragment. */
	if (cfg->left.host_text == NULL || cfg->right.host_text == NULL) {
		diag_add(errors, "%s:%d: conn \"%s\" cannot be added: it has no %s= (it may be only an also= fragment)",
			 cfg->file, cfg->line, cfg->name, cfg->left.host_text == NULL ? "left" : "right");
		return NULL;
	}
	struct offload_policy pol;
	if (!offload_check_conn(cfg, fips, kernel, &pol, errors, notes))
		return NULL;
	struct conn_config *dup = conn_config_dup(cfg);
	struct connection *c = dup != NULL ? conn_add(dup, &pol, replaced) : NULL;
	if (c == NULL) {
		conn_config_free(dup);
		diag_add(errors, "out of memory adding \"%s\"", cfg->name);
		return NULL;
	}
	struct ends ends;
	struct diag probe_lines, ignore;
	diag_init(&probe_lines);
	diag_init(&ignore);
	if (conn_ends(cfg, &ends, &ignore))
		offload_check_device(kernel, cfg, &pol, &ends.local, &probe_lines, notes);
	conn_log_lines(c, LL_INFO, &probe_lines);
	return c;
}

bool conn_delete(const char *name)
{
	struct connection **pp = conn_slot(name);
	struct connection *c = *pp;
	if (c == NULL)
		return false;
	*pp = c->next;
	conn_config_free(c->config);
	if (c->retry_timer != NULL)
		event_free(c->retry_timer);
	free(c);
	return true;
}

void conn_forget_failures(struct connection *c)
{
	if (c->retry_timer != NULL)
		evtimer_del(c->retry_timer);
	retry_reset(&c->retry);
}

void conn_delete_all(void)
{
	while (conns != NULL)
		conn_delete(conns->config->name);
}

void conn_log(const struct connection *c, enum log_level level, const char *fmt, ...)
{
	char text[3072];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	llog(level, "\"%s\": %s", c->config->name, text);
}

void conn_log_lines(const struct connection *c, enum log_level level, const struct diag *d)
{
	const char *p = d->text;
	while (*p != '\0') {
		int len = (int)strcspn(p, "\n");
		conn_log(c, level, "%.*s", len, p);
		p += len;
		if (*p == '\n')
			p++;
	}
}
