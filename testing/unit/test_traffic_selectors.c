/* Unit tests of the traffic selectors a child is made with, two ends in
 * one process (ike_harness.h): narrowing= in both roles (RFC 7296 2.9),
 * leftprotoport=/rightprotoport= on the wire and in the kernel's
 * selectors, and a rekey that keeps a narrowed child's selectors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "ike_harness.h"

#define WEST "192.0.2.1"
#define EAST "192.0.2.2"

static const char secrets[] = WEST " " EAST " : PSK \"harness secret, not a real one\"\n";

/* west asks for west_nets, east offers east_nets (each "left=... right=...
 * keywords" beyond the hosts), with extra lines for each. */
static void start_pair(const char *west_extra, const char *east_extra)
{
	char conf[2048];
	snprintf(conf, sizeof(conf),
		 "conn west\n\tleft=" WEST "\n\tright=" EAST "\n%s"
		 "\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n"
		 "conn east\n\tleft=" EAST "\n\tright=" WEST "\n%s"
		 "\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n",
		 west_extra, east_extra);
	harness_stop();
	assert_true(harness_start(conf, secrets));
}

static int stop(void **state)
{
	(void)state;
	harness_stop();
	return 0;
}

static void up(void)
{
	struct connection *c = conn_find("west");
	assert_non_null(c);
	ikev2_initiate(c, 0);
	wire_pump(16);
}

static struct ike_sa *west(void) { return harness_sa("west", true); }
static struct ike_sa *east(void) { return harness_sa("east", false); }

static void assert_subnet(const ip_subnet *s, const char *want)
{
	char buf[ADDRESS_STR_MAX];
	assert_string_equal(subnet_str(s, buf), want);
}

/* Both children installed, with these selectors as west sees them. */
static void assert_child(const char *west_local, const char *west_remote)
{
	struct ike_sa *w = west(), *e = east();
	assert_non_null(w);
	assert_non_null(e);
	assert_true(w->tunnels[0].child.installed);
	assert_true(e->tunnels[0].child.installed);
	assert_subnet(&w->tunnels[0].child.local_net, west_local);
	assert_subnet(&w->tunnels[0].child.remote_net, west_remote);
	assert_subnet(&e->tunnels[0].child.local_net, west_remote);
	assert_subnet(&e->tunnels[0].child.remote_net, west_local);
}

/* No child SA is left in the kernel, whichever end refused. */
static void assert_no_child(void)
{
	wire_pump(16);
	assert_int_equal(dbl.nsas, 0);
	assert_int_equal(dbl.npols, 0);
}

#define WIDE "\tleftsubnet=10.1.0.0/16\n\trightsubnet=10.2.0.0/16\n"
#define NARROW_EAST "\tleftsubnet=10.2.1.0/24\n\trightsubnet=10.1.1.0/24\n"

/* narrowing=no, libreswan's default: a wider proposal is refused. */
static void test_a_wider_proposal_is_refused_without_narrowing(void **state)
{
	(void)state;
	start_pair(WIDE, NARROW_EAST);
	up();
	assert_no_child();
	struct ike_sa *w = west();
	assert_true(w == NULL || !w->tunnels[0].child.installed);
}

static void test_the_responder_narrows_with_narrowing_yes(void **state)
{
	(void)state;
	start_pair(WIDE "\tnarrowing=yes\n", NARROW_EAST "\tnarrowing=yes\n");
	up();
	assert_child("10.1.1.0/24", "10.2.1.0/24");
	/* west's policies are the narrowed ones */
	ip_subnet l, r;
	assert_true(subnet_parse("10.1.1.0/24", &l));
	assert_true(subnet_parse("10.2.1.0/24", &r));
	assert_non_null(dbl_out_policy(&l, &r));
}

/* The responder narrows, but the initiator has narrowing=no: it deletes
 * what it cannot take, and nothing is left on either end. */
static void test_the_initiator_refuses_a_narrowed_answer_without_narrowing(void **state)
{
	(void)state;
	start_pair(WIDE, NARROW_EAST "\tnarrowing=yes\n");
	up();
	assert_no_child();
}

/* A proposal narrower than the responder's conn is not narrowing: it is
 * refused either way. */
static void test_a_narrower_proposal_is_refused(void **state)
{
	(void)state;
	start_pair("\tleftsubnet=10.1.1.128/25\n\trightsubnet=10.2.1.0/24\n\tnarrowing=yes\n",
		   NARROW_EAST "\tnarrowing=yes\n");
	up();
	assert_no_child();
}

/* Rekeys from either end keep the narrowed selectors: the conn's wider
 * ones would be refused by east's narrowing, or leave a second policy. */
static void test_a_rekey_keeps_the_narrowed_selectors(void **state)
{
	(void)state;
	start_pair(WIDE "\tnarrowing=yes\n", NARROW_EAST "\tnarrowing=yes\n");
	up();
	for (int by_west = 0; by_west < 2; by_west++) {
		unsigned old = west()->tunnels[0].child.serial;
		assert_true(ikev2_rekey_now(by_west ? west() : east(), false));
		wire_pump(32);
		assert_int_not_equal(west()->tunnels[0].child.serial, old);
		assert_child("10.1.1.0/24", "10.2.1.0/24");
		assert_int_equal(dbl.nsas, 4);		/* two SAs each end */
		assert_int_equal(dbl.npols, 2 * 3);	/* out, in, fwd each end */
	}
}

#define L2TP_WEST "\tleftprotoport=udp/1701\n\trightprotoport=udp/%any\n"
#define L2TP_EAST "\tleftprotoport=17/%any\n\trightprotoport=17/1701\n"

/* The policy of one direction at one end, by its ports. */
static const struct kernel_policy *policy_with(enum kernel_dir dir, uint16_t sport, uint16_t dport)
{
	for (size_t i = 0; i < dbl.npols; i++) {
		const struct kernel_policy *p = &dbl.pols[i];
		if (p->dir == dir && p->src_pp.port == sport && p->dst_pp.port == dport)
			return p;
	}
	return NULL;
}

static void test_protoports_reach_the_kernels_selectors(void **state)
{
	(void)state;
	start_pair(L2TP_WEST, L2TP_EAST);
	up();
	assert_child(WEST "/32", EAST "/32");
	struct ike_sa *w = west();
	assert_int_equal(w->tunnels[0].child.local_pp.proto, 17);
	assert_int_equal(w->tunnels[0].child.local_pp.port, 1701);
	assert_int_equal(w->tunnels[0].child.remote_pp.port, 0);
	/* west sends from 1701 to any port; east sends to 1701 */
	const struct kernel_policy *p = policy_with(KERNEL_DIR_OUT, 1701, 0);
	assert_non_null(p);
	assert_int_equal(p->src_pp.proto, 17);
	assert_int_equal(p->dst_pp.proto, 17);
	assert_non_null(policy_with(KERNEL_DIR_OUT, 0, 1701));
	assert_non_null(policy_with(KERNEL_DIR_IN, 0, 1701));
}

static void test_another_protocol_is_refused(void **state)
{
	(void)state;
	start_pair(L2TP_WEST, "\tleftprotoport=tcp\n\trightprotoport=tcp/1701\n\tnarrowing=yes\n");
	up();
	assert_no_child();
}

/* Every protocol and port covers udp/1701: with narrowing=yes the
 * responder narrows to its own protoports. */
static void test_the_responder_narrows_to_its_protoports(void **state)
{
	(void)state;
	start_pair("\tnarrowing=yes\n", L2TP_EAST "\tnarrowing=yes\n");
	up();
	assert_child(WEST "/32", EAST "/32");
	assert_int_equal(west()->tunnels[0].child.local_pp.proto, 17);
	assert_int_equal(west()->tunnels[0].child.local_pp.port, 1701);
	assert_non_null(policy_with(KERNEL_DIR_OUT, 1701, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_a_wider_proposal_is_refused_without_narrowing, stop),
		cmocka_unit_test_teardown(test_the_responder_narrows_with_narrowing_yes, stop),
		cmocka_unit_test_teardown(test_the_initiator_refuses_a_narrowed_answer_without_narrowing, stop),
		cmocka_unit_test_teardown(test_a_narrower_proposal_is_refused, stop),
		cmocka_unit_test_teardown(test_a_rekey_keeps_the_narrowed_selectors, stop),
		cmocka_unit_test_teardown(test_protoports_reach_the_kernels_selectors, stop),
		cmocka_unit_test_teardown(test_another_protocol_is_refused, stop),
		cmocka_unit_test_teardown(test_the_responder_narrows_to_its_protoports, stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
