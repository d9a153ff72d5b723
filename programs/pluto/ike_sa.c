/* ike_sa.c: the IKE SA table, serial numbers and per-SA logging. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "control.h"
#include "ike_sa.h"
#include "kernel.h"
#include "log.h"

static struct ike_sa *sas;
static unsigned last_serial;

unsigned next_serial(void)
{
	return ++last_serial;
}

struct ike_sa *ike_sa_first(void)
{
	return sas;
}

unsigned ike_sa_count(void)
{
	unsigned n = 0;
	for (struct ike_sa *ike = sas; ike != NULL; ike = ike->next)
		n++;
	return n;
}

unsigned child_sa_count(void)
{
	unsigned n = 0;
	for (struct ike_sa *ike = sas; ike != NULL; ike = ike->next)
		n += ike->child.installed;
	return n;
}

struct ike_sa *ike_sa_new(const struct connection *c, bool initiator)
{
	struct ike_sa *ike = calloc(1, sizeof(*ike));
	if (ike == NULL)
		return NULL;
	ike->serial = next_serial();
	snprintf(ike->conn_name, sizeof(ike->conn_name), "%s", c->config->name);
	ike->initiator = initiator;
	ike->remote_port = 500;
	ike->next = sas;
	sas = ike;
	return ike;
}

struct ike_sa *ike_sa_by_spi(const uint8_t spi_i[8], const uint8_t spi_r[8])
{
	for (struct ike_sa *ike = sas; ike != NULL; ike = ike->next) {
		if (memcmp(ike->spi_i, spi_i, 8) == 0 && memcmp(ike->spi_r, spi_r, 8) == 0)
			return ike;
	}
	return NULL;
}

struct ike_sa *ike_sa_by_initiator_spi(const uint8_t spi_i[8], const ip_address *remote)
{
	for (struct ike_sa *ike = sas; ike != NULL; ike = ike->next) {
		if (!ike->initiator && memcmp(ike->spi_i, spi_i, 8) == 0 &&
		    address_eq(&ike->ends.remote, remote))
			return ike;
	}
	return NULL;
}

struct ike_sa *ike_sa_of_conn(const char *name)
{
	for (struct ike_sa *ike = sas; ike != NULL; ike = ike->next) {
		if (strcmp(ike->conn_name, name) == 0 && ike->state != IKE_DELETING)
			return ike;
	}
	return NULL;
}

void buf_set(struct buf *b, const uint8_t *data, size_t len)
{
	buf_free(b);
	b->data = malloc(len);
	if (b->data == NULL)
		return;
	memcpy(b->data, data, len);
	b->len = len;
}

void buf_free(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->len);
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

void ike_sa_free(struct ike_sa *ike, int rc)
{
	for (struct ike_sa **pp = &sas; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == ike) {
			*pp = ike->next;
			break;
		}
	}
	if (ike->whack != NULL)
		whack_done(ike->whack, rc);
	if (ike->retransmit != NULL)
		event_free(ike->retransmit);
	dh_free(ike->dh);
	ike_keys_wipe(&ike->keys);
	buf_free(&ike->init_sent);
	buf_free(&ike->init_rcvd);
	buf_free(&ike->request);
	buf_free(&ike->response);
	explicit_bzero(ike, sizeof(*ike));
	free(ike);
}

static void vlog_serial(struct ike_sa *ike, unsigned serial, enum log_level level,
			const char *fmt, va_list ap)
{
	char text[3072];
	vsnprintf(text, sizeof(text), fmt, ap);
	if (level == LL_ERROR && ike->failure[0] == '\0') {
		size_t n = strnlen(text, sizeof(ike->failure) - 1);
		memcpy(ike->failure, text, n);
		ike->failure[n] = '\0';
	}
	llog(level, "\"%s\" #%u: %s", ike->conn_name, serial, text);
	if (ike->whack != NULL && (level != LL_DEBUG || log_debugging()))
		whack_line(ike->whack, "\"%s\" #%u: %s", ike->conn_name, serial, text);
}

void ike_log(struct ike_sa *ike, enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog_serial(ike, ike->serial, level, fmt, ap);
	va_end(ap);
}

void child_log(struct ike_sa *ike, enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog_serial(ike, ike->child.serial, level, fmt, ap);
	va_end(ap);
}

void child_log_lines(struct ike_sa *ike, enum log_level level, const struct diag *d)
{
	const char *p = d->text;
	while (*p != '\0') {
		int len = (int)strcspn(p, "\n");
		child_log(ike, level, "%.*s", len, p);
		p += len + (p[len] == '\n');
	}
}

static bool is_local(const struct end_config *e)
{
	struct kernel_link link;
	struct kernel_err err = {0};
	return !e->host_any && kernel->link_for_address(&e->host, &link, &err) == 0;
}

static void fill_end(const struct end_config *e, ip_address *host, ip_subnet *net, char *id, size_t idlen)
{
	*host = e->host;
	if (e->has_subnet)
		*net = e->subnet;
	else if (!e->host_any)
		*net = subnet_from_address(&e->host);
	if (e->id != NULL)
		snprintf(id, idlen, "%s", e->id);
	else if (!e->host_any)
		address_str(&e->host, id);
	else
		snprintf(id, idlen, "%%any");
}

bool conn_ends(const struct conn_config *c, struct ends *e, struct diag *d)
{
	const struct end_config *local, *remote;
	memset(e, 0, sizeof(*e));
	if (is_local(&c->left)) {
		local = &c->left;
		remote = &c->right;
	} else if (is_local(&c->right)) {
		local = &c->right;
		remote = &c->left;
	} else {
		diag_add(d, "neither left=%s nor right=%s is an address of this host",
			 c->left.host_text, c->right.host_text);
		return false;
	}
	fill_end(local, &e->local, &e->local_net, e->local_id, sizeof(e->local_id));
	fill_end(remote, &e->remote, &e->remote_net, e->remote_id, sizeof(e->remote_id));
	return true;
}
