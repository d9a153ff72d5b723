/* Unit tests of negotiation on demand (ondemand.h), both ends in one
 * process (ike_harness.h): the trap a routed conn installs, acquires that
 * start one negotiation however many come, the tunnel taking the trap's
 * place and giving it back, --unroute, and acquires nothing covers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ike_harness.h"
#include "child_sa.h"
#include "log.h"
#include "offload_probe.h"
#include "ondemand.h"

#define WEST "192.0.2.1"
#define EAST "192.0.2.2"
#define WEST_NET "10.1.0.0/24"
#define EAST_NET "10.2.0.0/24"

static const char conf[] =
	"conn west\n"
	"\tleft=" WEST "\n\tleftsubnet=" WEST_NET "\n\tright=" EAST "\n\trightsubnet=" EAST_NET "\n"
	"\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=ondemand\n"
	"conn east\n"
	"\tleft=" EAST "\n\tleftsubnet=" EAST_NET "\n\tright=" WEST "\n\trightsubnet=" WEST_NET "\n"
	"\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n";
static const char secrets[] = WEST " " EAST " : PSK \"harness secret, not a real one\"\n";

static ip_subnet west_net, east_net;

/* What was logged while a test listened. */
static unsigned nlines, nlines_like;
static const char *line_like;

static void count_line(void *arg, enum log_level level, const char *line)
{
	(void)arg; (void)level;
	nlines++;
	if (line_like != NULL && strstr(line, line_like) != NULL)
		nlines_like++;
}

static void listen_for(const char *like)
{
	nlines = nlines_like = 0;
	line_like = like;
	log_set_tee(count_line, NULL);
}

static int start(void **state)
{
	(void)state;
	ondemand_interval_ms = ONDEMAND_INTERVAL_MS;
	assert_true(subnet_parse(WEST_NET, &west_net));
	assert_true(subnet_parse(EAST_NET, &east_net));
	return harness_start(conf, secrets) ? 0 : -1;
}

static int stop(void **state)
{
	(void)state;
	log_set_tee(NULL, NULL);
	log_set_debug(false);
	harness_stop();
	ondemand_interval_ms = ONDEMAND_INTERVAL_MS;
	return 0;
}

static struct connection *conn(const char *name)
{
	struct connection *c = conn_find(name);
	assert_non_null(c);
	return c;
}

static struct connection *routed_west(void)
{
	struct diag d;
	diag_init(&d);
	struct connection *c = conn("west");
	assert_true(ondemand_route(c, &d));
	assert_true(c->routed);
	return c;
}

/* The kernel's acquire for a packet from src to dst (addresses). */
static void acquire(const char *src, const char *dst)
{
	struct kernel_event ev = { .type = KERNEL_EV_ACQUIRE, .proto = IPPROTO_ESP };
	assert_true(address_parse(WEST, &ev.src));
	assert_true(address_parse(EAST, &ev.dst));
	assert_true(subnet_parse(src, &ev.sel_src));
	assert_true(subnet_parse(dst, &ev.sel_dst));
	ondemand_acquire(&ev);
}

static unsigned west_sas(void)
{
	unsigned n = 0;
	for (struct ike_sa *ike = ike_sa_next_of_conn(NULL, "west"); ike != NULL; ike = ike_sa_next_of_conn(ike, "west"))
		n++;
	return n;
}

static const struct kernel_policy *trap(void)
{
	return dbl_out_policy(&west_net, &east_net);
}

/* west's inbound policy: there only while its tunnel is. */
static const struct kernel_policy *west_in(void)
{
	struct kernel_policy p = { .src = east_net, .dst = west_net, .dir = KERNEL_DIR_IN };
	return d_find_policy(&p);
}

static void test_a_routed_conn_installs_its_trap(void **state)
{
	(void)state;
	assert_null(trap());
	struct connection *c = routed_west();
	const struct kernel_policy *p = trap();
	assert_non_null(p);
	assert_int_equal(p->reqid, c->reqid);
	assert_true(c->reqid >= PLUTO_REQID_MIN && c->reqid < PROBE_REQID);
	assert_int_equal(p->mode, KERNEL_MODE_TUNNEL);
	assert_int_equal(p->proto, IPPROTO_ESP);
	assert_true(address_eq(&p->tmpl_src, &c->ends.local));
	assert_true(address_eq(&p->tmpl_dst, &c->ends.remote));
	assert_int_equal(dbl.nsas, 0);		/* no SA before any traffic */
	assert_int_equal(west_sas(), 0);
	/* routing again changes nothing */
	struct diag d;
	diag_init(&d);
	assert_true(ondemand_route(c, &d));
	assert_int_equal(dbl.npols, 1);
}

static void test_an_acquire_starts_one_negotiation_whose_tunnel_takes_the_trap(void **state)
{
	(void)state;
	struct connection *c = routed_west();
	size_t sent = wire.sent;
	listen_for("initiating on demand for packet 10.1.0.5 -> 10.2.0.7");
	acquire("10.1.0.5/32", "10.2.0.7/32");
	assert_int_equal(nlines_like, 1);
	assert_int_equal(west_sas(), 1);
	assert_int_equal(wire.sent, sent + 1);		/* one IKE_SA_INIT */
	acquire("10.1.0.6/32", "10.2.0.7/32");		/* merged */
	assert_int_equal(west_sas(), 1);
	assert_int_equal(wire.sent, sent + 1);
	wire_pump(16);
	struct ike_sa *west = harness_sa("west", true);
	assert_non_null(west);
	assert_int_equal(west->state, IKE_ESTABLISHED);
	assert_true(west->tunnels[0].child.installed);
	/* the tunnel's outbound policy is the trap's place, its SA the trap's reqid */
	assert_int_equal(west->tunnels[0].child.reqid, c->reqid);
	assert_non_null(trap());
	assert_int_equal(trap()->reqid, c->reqid);
	assert_non_null(west_in());
	bool out_sa = false;
	for (size_t i = 0; i < dbl.nsas; i++)
		out_sa |= dbl.sas[i].spi == west->tunnels[0].child.spi_out && dbl.sas[i].reqid == c->reqid;
	assert_true(out_sa);
	acquire("10.1.0.5/32", "10.2.0.7/32");		/* up: merged */
	assert_int_equal(west_sas(), 1);
}

static void test_a_storm_of_acquires_starts_one_negotiation(void **state)
{
	(void)state;
	routed_west();
	log_set_debug(true);
	listen_for("a negotiation is under way or the tunnel is up");
	size_t sent = wire.sent;
	for (int i = 0; i < 1000; i++)
		acquire("10.1.0.5/32", "10.2.0.7/32");
	log_set_tee(NULL, NULL);
	assert_int_equal(west_sas(), 1);
	assert_int_equal(wire.sent, sent + 1);
	/* the merged ones said so through the limit (whose count may span
	 * the turn of a second) */
	assert_true(nlines_like >= 1);
	assert_true(nlines_like <= 2 * LOG_LIMIT_PER_S);
}

static bool west_sa_exists(void *arg)
{
	(void)arg;
	return west_sas() > 0;
}

/* Taken down by us, then by the peer: each time the trap is back, the
 * tunnel's other policies and SAs are gone, and the next packet starts a
 * new negotiation (after the rate limit's interval, which an acquire
 * inside it waits out). */
static void test_the_trap_comes_back_when_the_tunnel_goes(void **state)
{
	(void)state;
	ondemand_interval_ms = 300;
	struct connection *c = routed_west();
	for (int round = 0; round < 2; round++) {
		acquire("10.1.0.5/32", "10.2.0.7/32");
		assert_true(harness_wait(west_sa_exists, NULL, 10));
		wire_pump(16);
		struct ike_sa *west = harness_sa("west", true);
		assert_non_null(west);
		assert_true(west->tunnels[0].child.installed);
		ikev2_down(round == 0 ? "west" : "east", "the test");
		wire_pump(16);
		assert_int_equal(west_sas(), 0);
		assert_non_null(trap());
		assert_int_equal(trap()->reqid, c->reqid);
		assert_null(west_in());
		assert_int_equal(dbl.nsas, 0);
		assert_true(c->routed);
	}
}

/* A negotiation that fails at once, and a packet right after: the
 * acquire waits for the interval instead of starting another. */
static void test_acquires_start_one_negotiation_per_interval(void **state)
{
	(void)state;
	/* Long enough that the work below (a DH under valgrind) stays
	 * well within it: the test must not depend on the machine's speed. */
	ondemand_interval_ms = 3000;
	routed_west();
	acquire("10.1.0.5/32", "10.2.0.7/32");
	struct ike_sa *west = harness_sa("west", true);
	assert_non_null(west);
	wire_clear();
	ikev2_fail(west);
	assert_int_equal(west_sas(), 0);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100; i++)
		acquire("10.1.0.5/32", "10.2.0.7/32");
	assert_int_equal(west_sas(), 0);		/* held back */
	assert_true(harness_wait(west_sa_exists, NULL, 20));
	assert_true(ikev2_ms_since(&t0) >= 500);
	assert_int_equal(west_sas(), 1);		/* one for them all */
}

static void test_unroute_removes_the_trap(void **state)
{
	(void)state;
	struct connection *c = routed_west();
	ondemand_unroute(c);
	assert_false(c->routed);
	assert_null(trap());
	assert_int_equal(dbl.npols, 0);
	listen_for("no routed conn covers it");
	acquire("10.1.0.5/32", "10.2.0.7/32");
	assert_int_equal(nlines_like, 1);
	assert_int_equal(west_sas(), 0);
}

/* Unrouted while up: the tunnel keeps its policy, and when it goes
 * nothing is left. */
static void test_unroute_while_up_leaves_the_tunnel_be(void **state)
{
	(void)state;
	struct connection *c = routed_west();
	acquire("10.1.0.5/32", "10.2.0.7/32");
	wire_pump(16);
	assert_true(harness_sa("west", true)->tunnels[0].child.installed);
	ondemand_unroute(c);
	assert_non_null(trap());
	assert_non_null(west_in());
	ikev2_down("west", "the test");
	wire_pump(16);
	assert_null(trap());
	assert_null(west_in());
}

/* --route of an auto=add conn whose tunnel is up: the tunnel holds the
 * place, and the trap takes it when the tunnel goes. */
static void test_a_conn_routed_while_up_gets_its_trap_when_the_tunnel_goes(void **state)
{
	(void)state;
	struct connection *c = conn("west");
	c->config->auto_mode = AUTO_ADD;
	ikev2_initiate(c, 0);
	wire_pump(16);
	struct ike_sa *west = harness_sa("west", true);
	assert_true(west->tunnels[0].child.installed);
	uint32_t tunnel_reqid = west->tunnels[0].child.reqid;
	routed_west();
	assert_int_not_equal(c->reqid, tunnel_reqid);
	assert_int_equal(trap()->reqid, tunnel_reqid);	/* the tunnel's, still */
	ikev2_down("west", "the test");
	wire_pump(16);
	assert_non_null(trap());
	assert_int_equal(trap()->reqid, c->reqid);
}

static void test_an_acquire_no_routed_conn_covers_is_ignored_through_a_limit(void **state)
{
	(void)state;
	routed_west();
	listen_for("no routed conn covers it");
	for (int i = 0; i < 1000; i++)
		acquire("10.9.0.5/32", "10.2.0.7/32");
	acquire("10.1.0.0/16", "10.2.0.7/32");		/* wider than the conn's subnet */
	log_set_tee(NULL, NULL);
	assert_int_equal(west_sas(), 0);
	assert_true(nlines_like >= 1);
	assert_true(nlines_like <= 2 * LOG_LIMIT_PER_S);
}

/* A policy already there for the subnets is someone else's: routing
 * fails with the reason and leaves it alone. */
static void test_route_refuses_to_take_over_another_policy(void **state)
{
	(void)state;
	struct kernel_policy other = { .src = west_net, .dst = east_net, .dir = KERNEL_DIR_OUT, .reqid = 7 };
	struct kernel_err e = {0};
	assert_int_equal(kernel->add_policy(&other, &e), 0);
	struct connection *c = conn("west");
	struct diag d;
	diag_init(&d);
	assert_false(ondemand_route(c, &d));
	assert_false(c->routed);
	assert_non_null(strstr(d.text, "cannot route: the kernel refused the trap policy 10.1.0.0/24 -> 10.2.0.0/24"));
	assert_non_null(strstr(d.text, "EEXIST"));
	assert_int_equal(trap()->reqid, 7);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, start, stop)
	const struct CMUnitTest tests[] = {
		T(test_a_routed_conn_installs_its_trap),
		T(test_an_acquire_starts_one_negotiation_whose_tunnel_takes_the_trap),
		T(test_a_storm_of_acquires_starts_one_negotiation),
		T(test_the_trap_comes_back_when_the_tunnel_goes),
		T(test_acquires_start_one_negotiation_per_interval),
		T(test_unroute_removes_the_trap),
		T(test_unroute_while_up_leaves_the_tunnel_be),
		T(test_a_conn_routed_while_up_gets_its_trap_when_the_tunnel_goes),
		T(test_an_acquire_no_routed_conn_covers_is_ignored_through_a_limit),
		T(test_route_refuses_to_take_over_another_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
