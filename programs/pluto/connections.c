/* connections.c: a short list is all pluto needs; gateways hold tens of
 * conns, not millions, and the list keeps file order for --status. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "connections.h"

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

struct connection *conn_add(struct conn_config *cfg, bool *replaced)
{
	struct connection **pp = conn_slot(cfg->name);
	*replaced = *pp != NULL;
	if (*replaced) {
		conn_config_free((*pp)->config);
		(*pp)->config = cfg;
		return *pp;
	}
	struct connection *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->config = cfg;
	*pp = c;	/* appended: the slot of a missing name is the list's end */
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
	free(c);
	return true;
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
