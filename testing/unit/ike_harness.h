/* ike_harness.h: two IKE ends in one process, over a wire that tests can
 * watch, hold back, change or forge messages on.
 *
 * The daemon's own modules run as they do in pluto: conns loaded from an
 * ipsec.conf, PSKs from an ipsec.secrets, the exchange table, NSS crypto.
 * Only the edges are doubles: the kernel (kernel_double.h: every address
 * is local, SAs are kept with their keys) and the UDP sockets (a queue).
 * Both ends are in one SA table, told apart by our role in each SA, the
 * way pluto tells them apart anyway. Header-only, for test_*.c and the
 * state-machine fuzz target. */
#ifndef IKE_HARNESS_H
#define IKE_HARNESS_H

#include <event2/event.h>
#include "conf_test_files.h"
#include "connections.h"
#include "ike_crypto.h"
#include "ike_dos.h"
#include "ike_sa.h"
#include "ike_socket.h"
#include "ikev2.h"
#include "ikev2_exchange.h"
#include "kernel_double.h"
#include "pluto.h"
#include "script.h"
#include "updown.h"
#include "secrets.h"

#define WIRE_MAX 64

struct wire_msg {
	ip_address from, to;
	uint16_t from_port, to_port;
	size_t len;
	uint8_t buf[IKEV2_MSG_MAX];
};

/* What the test does with a message before it is delivered: return false
 * to drop it; it may change m (bytes, length, source). */
typedef bool wire_filter_fn(struct wire_msg *m, void *arg);

static struct {
	struct wire_msg q[WIRE_MAX];
	size_t head, n;
	size_t sent, delivered;
	wire_filter_fn *filter;
	void *filter_arg;
	struct tmpdir dir;
} wire;

static inline bool wire_open(const ip_address *local, struct diag *d)
{
	(void)local; (void)d;
	return true;
}

static inline bool wire_send(const ip_address *local, uint16_t local_port, const ip_address *remote,
			     uint16_t port, const uint8_t *buf, size_t len)
{
	if (wire.n == WIRE_MAX || len > IKEV2_MSG_MAX)
		return false;
	struct wire_msg *m = &wire.q[(wire.head + wire.n++) % WIRE_MAX];
	m->from = *local;
	m->to = *remote;
	m->from_port = local_port;
	m->to_port = port;
	m->len = len;
	memcpy(m->buf, buf, len);
	wire.sent++;
	return true;
}

static inline void wire_close_all(void)
{
}

static const struct ike_transport wire_transport = {
	.open = wire_open,
	.send = wire_send,
	.close_all = wire_close_all,
};

/* Takes the oldest message off the wire into out; false when empty. */
static inline bool wire_take(struct wire_msg *out)
{
	if (wire.n == 0)
		return false;
	/* the bytes sent, not the whole 64 KiB buffer: the state-machine
	 * fuzz target takes up to 40 messages an input */
	const struct wire_msg *m = &wire.q[wire.head];
	memcpy(out, m, offsetof(struct wire_msg, buf));
	memcpy(out->buf, m->buf, m->len);
	wire.head = (wire.head + 1) % WIRE_MAX;
	wire.n--;
	return true;
}

/* Hands m to pluto as if it had arrived at m->to. */
static inline void wire_deliver(struct wire_msg *m)
{
	static uint8_t copy[IKEV2_MSG_MAX];
	memcpy(copy, m->buf, m->len);
	wire.delivered++;
	ikev2_receive(copy, m->len, &m->to, m->to_port, &m->from, m->from_port);
}

/* Delivers what is on the wire, through the filter, until it is quiet or
 * max messages went; how many were delivered. */
static inline size_t wire_pump(size_t max)
{
	static struct wire_msg m;
	size_t n = 0;
	while (n < max && wire_take(&m)) {
		if (wire.filter != NULL && !wire.filter(&m, wire.filter_arg))
			continue;
		wire_deliver(&m);
		n++;
	}
	return n;
}

static inline void wire_clear(void)
{
	wire.head = wire.n = 0;
}

/* The log lines kept while keep_log_line is the log's tee (log_set_tee). */
static char log_kept[128][768] __attribute__((unused));
static size_t nlog_kept __attribute__((unused));

static inline void keep_log_line(void *arg, enum log_level level, const char *line)
{
	(void)arg; (void)level;
	if (nlog_kept < sizeof(log_kept) / sizeof(log_kept[0]))
		snprintf(log_kept[nlog_kept++], sizeof(log_kept[0]), "%s", line);
}

/* How many kept lines hold text. */
static inline size_t kept_lines_with(const char *text)
{
	size_t n = 0;
	for (size_t i = 0; i < nlog_kept; i++)
		n += strstr(log_kept[i], text) != NULL;
	return n;
}

/* Loads conf and secrets as pluto does at start (conns with auto= other
 * than ignore); false with the errors printed. The kernel double starts
 * empty, then kernel_setup (if any) scripts it before the conns load. */
static inline bool harness_start_on(const char *conf, const char *secrets, void (*kernel_setup)(void))
{
	struct diag d;
	diag_init(&d);
	memset(&dbl, 0, sizeof(dbl));
	if (kernel_setup != NULL)
		kernel_setup();
	wire_clear();
	wire.filter = NULL;
	if (!ike_crypto_init(&d))
		return false;
	pluto.base = event_base_new();
	pluto.stopping = false;
	kernel = &double_ops;
	memset(&dbl_routes, 0, sizeof(dbl_routes));
	kernel_routes = &double_route_ops;
	ike_transport = &wire_transport;
	ikev2_init();
	tmpdir_make(&wire.dir);
	tmpdir_write(&wire.dir, "ipsec.conf", conf);
	tmpdir_write(&wire.dir, "ipsec.secrets", secrets);
	char path[PATH_MAX];
	tmpdir_file_path(&wire.dir, "ipsec.conf", path);
	pluto.conf = ipsecconf_load(path, &d);
	tmpdir_file_path(&wire.dir, "ipsec.secrets", path);
	pluto.secrets = secrets_load(path, &d);
	if (pluto.conf == NULL || pluto.secrets == NULL) {
		fprintf(stderr, "%s", d.text);
		return false;
	}
	ike_dos_configure(&pluto.conf->setup);
	for (size_t i = 0; i < pluto.conf->nconns; i++) {
		const struct conn_config *cfg = &pluto.conf->conns[i];
		struct diag notes;
		diag_init(&notes);
		bool replaced;
		if (cfg->auto_mode != AUTO_IGNORE &&
		    conn_load(cfg, false, &replaced, &d, &notes) == NULL) {
			fprintf(stderr, "%s", d.text);
			return false;
		}
	}
	return true;
}

static inline bool harness_start(const char *conf, const char *secrets)
{
	return harness_start_on(conf, secrets, NULL);
}

static inline void harness_stop(void)
{
	ikev2_shutdown();
	script_drain(SCRIPT_DRAIN_S);	/* as pluto does: the down scripts, before the loop goes */
	updown_shutdown();
	wire_clear();
	conn_delete_all();
	ike_dos_reset();
	ipsecconf_free(pluto.conf);
	secrets_free(pluto.secrets);
	pluto.conf = NULL;
	pluto.secrets = NULL;
	event_base_free(pluto.base);
	pluto.base = NULL;
	ike_crypto_shutdown();
	tmpdir_remove(&wire.dir);
}

/* Runs the event loop (timers) until done() holds or seconds pass. */
static inline bool harness_wait(bool (*done)(void *), void *arg, int seconds)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		if (done(arg))
			return true;
		event_base_loop(pluto.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		struct timespec nap = { 0, 10 * 1000 * 1000 };
		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < seconds);
	return done(arg);
}

/* The SA of conn name in the role asked for, or NULL. */
static struct ike_sa *harness_sa(const char *name, bool initiator)
{
	for (struct ike_sa *ike = ike_sa_next_of_conn(NULL, name); ike != NULL;
	     ike = ike_sa_next_of_conn(ike, name)) {
		if (ike->initiator == initiator)
			return ike;
	}
	return NULL;
}

/* The IKE SAs of a tunnel, the initiator's and the responder's (by conn
 * name), in *i and *r; true when both are established with their first
 * child installed. */
static inline bool harness_tunnel_up(const char *initiator, const char *responder, struct ike_sa **i,
				     struct ike_sa **r)
{
	*i = harness_sa(initiator, true);
	*r = harness_sa(responder, false);
	return *i != NULL && *r != NULL && (*i)->state == IKE_ESTABLISHED && (*r)->state == IKE_ESTABLISHED &&
	       (*i)->ntunnels > 0 && (*r)->ntunnels > 0 &&
	       (*i)->tunnels[0].child.installed && (*r)->tunnels[0].child.installed;
}

/* The first notify type in a plain (IKE_SA_INIT) message other than the
 * NAT detection ones every answer carries (natt.h) and the
 * IKEV2_FRAGMENTATION_SUPPORTED of one that takes fragments, or 0: what an answer
 * said, for assertions. */
static inline uint16_t wire_first_notify(const struct wire_msg *m)
{
	struct ikev2_msg parsed;
	struct ikev2_notify n;
	struct diag d;
	diag_init(&d);
	if (!ikev2_parse(m->buf, m->len, &parsed, &d))
		return 0;
	for (size_t i = 0; i < parsed.n; i++) {
		if (parsed.p[i].type == PT_NOTIFY && ikev2_parse_notify(&parsed.p[i], &n, &d) &&
		    n.type != N_NAT_DETECTION_SOURCE_IP && n.type != N_NAT_DETECTION_DESTINATION_IP &&
		    n.type != N_IKEV2_FRAGMENTATION_SUPPORTED)
			return n.type;
	}
	return 0;
}

#endif
