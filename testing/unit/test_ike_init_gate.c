/* Unit tests of the gate of our IKE_SA_INITs (ike_init_gate.h), two ends
 * in one process (ike_harness.h): many conns started at once send at most
 * INIT_GATE_MAX requests, at most INIT_GATE_PER_PEER to one peer, and the
 * rest go as earlier SAs are established or fail, until every tunnel is
 * up; a waiting SA taken down leaves the queue. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "ike_harness.h"
#include "ike_init_gate.h"

#define NCONNS 12	/* more than INIT_GATE_MAX */

static char conf[8192], secrets[4096];

/* Conn wN (10.1.0.N to peer) and its responder eN; with one_peer, all
 * wN go to 10.2.0.1 with subnets of their own. */
static void make_conf(bool one_peer)
{
	size_t n = 0, m = 0;
	for (int i = 1; i <= NCONNS; i++) {
		int peer = one_peer ? 1 : i;
		n += (size_t)snprintf(conf + n, sizeof(conf) - n,
				      "conn w%d\n\tleft=10.1.0.%d\n\tright=10.2.0.%d\n\tleftsubnet=10.11.%d.0/24\n"
				      "\trightsubnet=10.12.%d.0/24\n\tauthby=secret\n\tauto=add\n"
				      "conn e%d\n\tleft=10.2.0.%d\n\tright=10.1.0.%d\n\tleftsubnet=10.12.%d.0/24\n"
				      "\trightsubnet=10.11.%d.0/24\n\tauthby=secret\n\tauto=add\n",
				      i, i, peer, i, i, i, peer, i, i, i);
		m += (size_t)snprintf(secrets + m, sizeof(secrets) - m, "10.1.0.%d 10.2.0.%d : PSK \"gate test %d\"\n",
				      i, peer, peer);
	}
}

static int start_many_peers(void **state)
{
	(void)state;
	make_conf(false);
	return harness_start(conf, secrets) ? 0 : -1;
}

static int start_one_peer(void **state)
{
	(void)state;
	make_conf(true);
	return harness_start(conf, secrets) ? 0 : -1;
}

static int stop(void **state)
{
	(void)state;
	harness_stop();
	return 0;
}

static void initiate_all(void)
{
	char name[16];
	for (int i = 1; i <= NCONNS; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		struct connection *c = conn_find(name);
		assert_non_null(c);
		ikev2_initiate(c, 0);
	}
}

/* IKE_SA_INIT requests on the wire. */
static size_t init_requests_on_wire(void)
{
	size_t n = 0;
	for (size_t k = 0; k < wire.n; k++) {
		const struct wire_msg *m = &wire.q[(wire.head + k) % WIRE_MAX];
		n += m->buf[18] == IKE_SA_INIT && !(m->buf[19] & IKEV2_FLAG_RESPONSE);
	}
	return n;
}

static unsigned tunnels_up(void)
{
	unsigned n = 0;
	char w[16], e[16];
	struct ike_sa *i, *r;
	for (int k = 1; k <= NCONNS; k++) {
		snprintf(w, sizeof(w), "w%d", k);
		snprintf(e, sizeof(e), "e%d", k);
		n += harness_tunnel_up(w, e, &i, &r);
	}
	return n;
}

/* *arg tunnels are up (the wire pumped first). */
static bool up_count(void *arg)
{
	wire_pump(WIRE_MAX);
	return tunnels_up() == *(unsigned *)arg;
}

static bool all_up(void *arg)
{
	(void)arg;
	unsigned all = NCONNS;
	return up_count(&all);
}

static void test_many_conns_send_a_bounded_number_of_requests(void **state)
{
	(void)state;
	initiate_all();
	assert_int_equal(init_requests_on_wire(), INIT_GATE_MAX);
	assert_int_equal(init_gate_in_flight(), INIT_GATE_MAX);
	assert_int_equal(init_gate_waiting(), NCONNS - INIT_GATE_MAX);
	/* The first ones come up; the others go as places free (each SA's
	 * as its IKE_SA_INIT is answered), on the event loop's next pass. */
	wire_pump(WIRE_MAX);
	assert_int_equal(tunnels_up(), INIT_GATE_MAX);
	assert_true(harness_wait(all_up, NULL, 60));
	assert_int_equal(init_gate_in_flight(), 0);
	assert_int_equal(init_gate_waiting(), 0);
}

static void test_one_peer_gets_its_share(void **state)
{
	(void)state;
	initiate_all();
	assert_int_equal(init_requests_on_wire(), INIT_GATE_PER_PEER);
	assert_int_equal(init_gate_waiting(), NCONNS - INIT_GATE_PER_PEER);
	assert_true(harness_wait(all_up, NULL, 60));
	assert_int_equal(init_gate_in_flight(), 0);
}

/* Drops every IKE_SA_INIT request to 10.2.0.1: w1 gets no answer. */
static bool drop_to_first_peer(struct wire_msg *m, void *arg)
{
	(void)arg;
	ip_address a;
	assert_true(address_parse("10.2.0.1", &a));
	return !address_eq(&m->to, &a);
}

static void test_a_failed_attempt_frees_its_place(void **state)
{
	(void)state;
	initiate_all();
	/* w1 fails: its IKE SA goes (as when its retransmits run out) */
	struct ike_sa *w1 = harness_sa("w1", true);
	assert_non_null(w1);
	wire.filter = drop_to_first_peer;
	ikev2_fail(w1);
	assert_int_equal(init_gate_in_flight(), INIT_GATE_MAX - 1);
	/* a waiting one goes on the next pass of the loop */
	event_base_loop(pluto.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(init_gate_in_flight(), INIT_GATE_MAX);
	assert_int_equal(init_gate_waiting(), NCONNS - INIT_GATE_MAX - 1);
}

static void test_a_waiting_sa_taken_down_leaves_the_queue(void **state)
{
	(void)state;
	initiate_all();
	char name[16];
	snprintf(name, sizeof(name), "w%d", NCONNS);
	struct ike_sa *last = harness_sa(name, true);
	assert_non_null(last);
	assert_int_equal(last->gate, GATE_WAITING);
	assert_non_null(last->dh);	/* ready to go */
	assert_true(ikev2_down(name, "test"));
	assert_null(harness_sa(name, true));
	assert_int_equal(init_gate_waiting(), NCONNS - INIT_GATE_MAX - 1);
	unsigned others = NCONNS - 1;
	assert_true(harness_wait(up_count, &others, 60));
	assert_int_equal(init_gate_in_flight(), 0);
	assert_int_equal(init_gate_waiting(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_many_conns_send_a_bounded_number_of_requests, start_many_peers, stop),
		cmocka_unit_test_setup_teardown(test_one_peer_gets_its_share, start_one_peer, stop),
		cmocka_unit_test_setup_teardown(test_a_failed_attempt_frees_its_place, start_many_peers, stop),
		cmocka_unit_test_setup_teardown(test_a_waiting_sa_taken_down_leaves_the_queue, start_many_peers, stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
