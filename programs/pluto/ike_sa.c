/* ike_sa.c: the IKE SA table, serial numbers and per-SA logging. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ike_dos.h"
#include "ike_init_gate.h"
#include "ike_sa.h"
#include "ike_socket.h"
#include "ikev2_frag.h"
#include "natt.h"
#include "pluto.h"
#include "secmem.h"

static struct ike_sa *sas;
static struct hash_table by_spis, by_init;
/* By the name of the conn: status and each initiation ask for a conn's
 * SAs, and with a thousand tunnels a walk over all SAs per conn adds up. */
static struct hash_table by_name;
static unsigned last_serial, nsas;

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
	return nsas;
}

unsigned child_sa_count(void)
{
	unsigned n = 0;
	for (struct ike_sa *ike = sas; ike != NULL; ike = ike->next) {
		for (unsigned i = 0; i < ike->ntunnels; i++)
			n += ike->tunnels[i].child.installed;
	}
	return n;
}

/* The SPI pair with our role: both ends of one IKE SA may be in this
 * process (tests), and the I flag tells them apart (RFC 7296 3.1). */
static uint64_t spis_hash(const uint8_t spi_i[8], const uint8_t spi_r[8], bool we_initiated)
{
	uint8_t key[17];
	memcpy(key, spi_i, 8);
	memcpy(key + 8, spi_r, 8);
	key[16] = we_initiated;
	return hash_bytes(key, sizeof(key));
}

static uint64_t init_hash(const uint8_t spi_i[8], const ip_address *remote)
{
	return hash_pieces(spi_i, 8, remote->bytes, sizeof(remote->bytes));
}

static uint64_t name_hash(const char *name)
{
	return hash_bytes(name, strlen(name));
}

struct ike_sa *ike_sa_new(struct connection *c, bool initiator, unsigned whack)
{
	struct ike_sa *ike = calloc(1, sizeof(*ike));
	if (ike == NULL)
		return NULL;
	ike->serial = next_serial();
	ike->c = conn_ref(c);
	hash_table_add(&by_name, &ike->by_name, name_hash(c->config->name));
	logger_init_instance(&ike->log, c->config->name, c->instance_text, ike->serial);
	ike->log.whack = whack;
	ike->log.first_error = ike->failure;
	ike->log.first_error_len = sizeof(ike->failure);
	ike->initiator = initiator;
	ike->local_port = IKE_PORT;
	ike->remote_port = IKE_PORT;
	ike->next = sas;
	if (sas != NULL)
		sas->prev = ike;
	sas = ike;
	nsas++;
	return ike;
}

void ike_sa_set_conn(struct ike_sa *ike, struct connection *c)
{
	struct connection *old = ike->c;
	ike->c = conn_ref(c);
	hash_table_del(&by_name, &ike->by_name);
	hash_table_add(&by_name, &ike->by_name, name_hash(c->config->name));
	conn_unref(old);
}

void ike_sa_index(struct ike_sa *ike)
{
	hash_table_del(&by_spis, &ike->by_spis);	/* not there yet: nothing happens */
	hash_table_add(&by_spis, &ike->by_spis, spis_hash(ike->spi_i, ike->spi_r, ike->initiator));
	if (!ike->initiator) {
		hash_table_del(&by_init, &ike->by_init);
		hash_table_add(&by_init, &ike->by_init, init_hash(ike->spi_i, &ike->ends.remote));
	}
}

struct ike_sa *ike_sa_find(const uint8_t spi_i[8], const uint8_t spi_r[8], bool we_initiated)
{
	uint64_t h = spis_hash(spi_i, spi_r, we_initiated);
	struct ike_sa *ike;
	HASH_TABLE_FOR_EACH(&by_spis, h, ike, struct ike_sa, by_spis) {
		if (ike->initiator == we_initiated && memcmp(ike->spi_i, spi_i, 8) == 0 &&
		    memcmp(ike->spi_r, spi_r, 8) == 0)
			return ike;
	}
	return NULL;
}

struct ike_sa *ike_sa_find_init(const uint8_t spi_i[8], const ip_address *remote)
{
	uint64_t h = init_hash(spi_i, remote);
	struct ike_sa *ike;
	HASH_TABLE_FOR_EACH(&by_init, h, ike, struct ike_sa, by_init) {
		if (memcmp(ike->spi_i, spi_i, 8) == 0 && address_eq(&ike->ends.remote, remote))
			return ike;
	}
	return NULL;
}

static void halfopen_done(struct ike_sa *ike)
{
	if (ike->halfopen_counted) {
		ike_dos_halfopen_del(&ike->ends.remote, ike->halfopen_verified);
		ike->halfopen_counted = false;
	}
	if (ike->halfopen_timer != NULL) {
		event_free(ike->halfopen_timer);
		ike->halfopen_timer = NULL;
	}
}

void ike_sa_set_state(struct ike_sa *ike, enum ike_state state)
{
	ike->state = state;
	if (state != IKE_R_INIT_SENT)
		halfopen_done(ike);
	if (state != IKE_I_INIT_SENT)
		init_gate_leave(ike);
}

static void halfopen_expired(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	struct ike_sa *ike = arg;
	char peer[ADDRESS_STR_MAX];
	ike_log(ike, LL_DEBUG, "dropping the half-open IKE SA of %s: no IKE_AUTH came in time",
		address_str(&ike->ends.remote, peer));
	ike_sa_free(ike, 1);
}

void ike_sa_start_halfopen(struct ike_sa *ike, unsigned timeout_s, bool verified)
{
	ike_sa_set_state(ike, IKE_R_INIT_SENT);
	ike_dos_halfopen_add(&ike->ends.remote, verified);
	ike->halfopen_counted = true;
	ike->halfopen_verified = verified;
	ike->halfopen_timer = evtimer_new(pluto.base, halfopen_expired, ike);
	if (ike->halfopen_timer != NULL)
		evtimer_add(ike->halfopen_timer, &(struct timeval){ .tv_sec = timeout_s });
}

static bool stands_for_conn(const struct ike_sa *ike)
{
	return ike->state != IKE_DELETING && ike->replaced_by == 0 &&
	       (ike->initiator || ike->state == IKE_ESTABLISHED);
}

struct ike_sa *ike_sa_by_serial(unsigned serial)
{
	for (struct ike_sa *ike = sas; ike != NULL; ike = ike->next) {
		if (ike->serial == serial)
			return ike;
	}
	return NULL;
}

/* The newest, as the list (newest first) used to give it. */
struct ike_sa *ike_sa_of_instance(const char *name, unsigned instance)
{
	struct ike_sa *ike, *newest = NULL;
	HASH_TABLE_FOR_EACH(&by_name, name_hash(name), ike, struct ike_sa, by_name) {
		if (stands_for_conn(ike) && ike->c->instance == instance && strcmp(ike->c->config->name, name) == 0 &&
		    (newest == NULL || ike->serial > newest->serial))
			newest = ike;
	}
	return newest;
}

struct ike_sa *ike_sa_of_conn(const char *name)
{
	return ike_sa_of_instance(name, 0);
}

struct ike_sa *ike_sa_carrying(const char *name, unsigned instance)
{
	struct ike_sa *own = ike_sa_of_instance(name, instance);
	if (own != NULL)
		return own;
	for (struct ike_sa *ike = sas; ike != NULL; ike = ike->next) {
		for (unsigned k = 0; stands_for_conn(ike) && k < ike->ntunnels; k++) {
			if (!ike->tunnels[k].left && tunnel_of_conn(&ike->tunnels[k], name, instance))
				return ike;
		}
	}
	return NULL;
}

/* Along the bucket's chain, from after's place in it. */
struct ike_sa *ike_sa_next_of_conn(struct ike_sa *after, const char *name)
{
	uint64_t h = name_hash(name);
	struct hash_entry *e = after != NULL ? after->by_name.next : hash_table_bucket(&by_name, h);
	for (; e != NULL; e = e->next) {
		struct ike_sa *ike = HASH_CONTAINER(e, struct ike_sa, by_name);
		if (e->hash == h && strcmp(ike->c->config->name, name) == 0)
			return ike;
	}
	return NULL;
}

void buf_set(struct buf *b, const uint8_t *data, size_t len)
{
	buf_free(b);
	b->data = malloc(len > 0 ? len : 1);
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

/* The children's kernel state and keys are gone already (child_sa_remove). */
static void free_tunnels(struct ike_sa *ike)
{
	for (unsigned k = 0; k < ike->ntunnels; k++)
		conn_unref(ike->tunnels[k].c);
	if (ike->tunnels != NULL)
		explicit_bzero(ike->tunnels, ike->ntunnels * sizeof(*ike->tunnels));
	free(ike->tunnels);
	ike->tunnels = NULL;
	ike->ntunnels = 0;
}

bool ike_sa_make_tunnels(struct ike_sa *ike)
{
	unsigned n = ends_npairs(&ike->ends);
	free_tunnels(ike);
	ike->tunnels = calloc(n, sizeof(*ike->tunnels));
	if (ike->tunnels == NULL)
		return false;
	ike->ntunnels = n;
	for (unsigned i = 0; i < n; i++) {
		ike->tunnels[i].c = conn_ref(ike->c);
		ike->tunnels[i].ends = ike->ends;
		ike->tunnels[i].pair = i;
	}
	return true;
}

struct tunnel *ike_sa_add_tunnel(struct ike_sa *ike, struct connection *c, const struct ends *ends, unsigned pair)
{
	if (ike->ntunnels >= IKE_TUNNELS_MAX)
		return NULL;
	struct tunnel *more = realloc(ike->tunnels, (ike->ntunnels + 1) * sizeof(*more));
	if (more == NULL)
		return NULL;
	ike->tunnels = more;
	struct tunnel *t = &more[ike->ntunnels++];
	*t = (struct tunnel){ .c = conn_ref(c), .ends = *ends, .pair = pair };
	return t;
}

bool tunnel_of_conn(const struct tunnel *t, const char *name, unsigned instance)
{
	return t->c->instance == instance && strcmp(t->c->config->name, name) == 0;
}

struct tunnel *ike_sa_tunnel_of(struct ike_sa *ike, const struct child_sa *ch)
{
	for (unsigned i = 0; i < ike->ntunnels; i++) {
		struct tunnel *t = &ike->tunnels[i];
		if (ch == &t->child || (ch >= t->retiring && ch < t->retiring + CHILD_RETIRING_MAX))
			return t;
	}
	return NULL;
}

struct child_sa *ike_sa_child_by_spi_out(struct ike_sa *ike, uint32_t spi, struct tunnel **out)
{
	for (unsigned i = 0; i < ike->ntunnels; i++) {
		struct tunnel *t = &ike->tunnels[i];
		struct child_sa *found = NULL;
		if (t->child.serial != 0 && t->child.spi_out == spi)
			found = &t->child;
		for (size_t k = 0; found == NULL && k < CHILD_RETIRING_MAX; k++) {
			if (t->retiring[k].serial != 0 && t->retiring[k].spi_out == spi)
				found = &t->retiring[k];
		}
		if (found != NULL) {
			*out = t;
			return found;
		}
	}
	*out = NULL;
	return NULL;
}

bool ike_sa_conn_up(const struct ike_sa *ike, const char *name, unsigned instance)
{
	for (unsigned i = 0; i < ike->ntunnels; i++) {
		if (ike->tunnels[i].child.installed && tunnel_of_conn(&ike->tunnels[i], name, instance))
			return true;
	}
	return false;
}

bool ike_sa_any_child(const struct ike_sa *ike)
{
	for (unsigned i = 0; i < ike->ntunnels; i++) {
		if (ike->tunnels[i].child.installed)
			return true;
	}
	return false;
}

void ike_sa_free(struct ike_sa *ike, int rc)
{
	if (ike->prev != NULL)
		ike->prev->next = ike->next;
	else
		sas = ike->next;
	if (ike->next != NULL)
		ike->next->prev = ike->prev;
	nsas--;
	hash_table_del(&by_spis, &ike->by_spis);
	if (!ike->initiator)
		hash_table_del(&by_init, &ike->by_init);
	hash_table_del(&by_name, &ike->by_name);
	halfopen_done(ike);
	init_gate_leave(ike);
	logger_whack_done(&ike->log, rc);
	if (ike->retransmit != NULL)
		event_free(ike->retransmit);
	if (ike->liveness != NULL)
		event_free(ike->liveness);
	if (ike->rekey_timer != NULL)
		event_free(ike->rekey_timer);
	natt_keepalive_stop(ike);
	ikev2_frag_free(ike);
	ikev2_rekey_free(ike);
	dh_free(ike->dh);
	if (ike->keys != NULL)
		ike_keys_wipe(ike->keys);
	secmem_free(ike->keys, sizeof(*ike->keys));
	struct buf *bufs[] = { &ike->ni, &ike->nr, &ike->cookie, &ike->dh_pub, &ike->init_sent, &ike->init_rcvd,
			       &ike->request, &ike->response };
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		buf_free(bufs[i]);
	conn_unref(ike->c);
	free_tunnels(ike);
	explicit_bzero(ike, sizeof(*ike));
	free(ike);
	if (sas == NULL) {
		/* Nothing left to find: give the buckets back. */
		hash_table_free(&by_spis);
		hash_table_free(&by_init);
		hash_table_free(&by_name);
	}
}

struct logger child_logger(const struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch)
{
	struct logger lg = ike->log;	/* the whack following, the first error kept */
	snprintf(lg.name, sizeof(lg.name), "%s", t->c->config->name);
	snprintf(lg.instance, sizeof(lg.instance), "%s", t->c->instance_text);
	lg.serial = ch->serial;
	return lg;
}

void child_log(const struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch, enum log_level level,
	       const char *fmt, ...)
{
	struct logger lg = child_logger(ike, t, ch);
	va_list ap;
	va_start(ap, fmt);
	logger_vlog(&lg, level, fmt, ap);
	va_end(ap);
}

void child_log_lines(const struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch,
		     enum log_level level, const struct diag *d)
{
	struct logger lg = child_logger(ike, t, ch);
	logger_lines(&lg, level, d);
}
