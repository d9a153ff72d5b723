/* Unit tests of the auto=start conns brought up once pluto is up
 * (auto_start.h), with the IKE harness: the first at once, the others
 * one for each pass of the event loop, in file order; a conn deleted or
 * replaced before its turn (a reload, whack --delete or --add) is not
 * brought up by the start, whatever the config read at the start said;
 * and pluto stopping drops those still waiting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ike_harness.h"
#include "auto_start.h"

#define WEST "192.0.2.1"
#define EAST "192.0.2.2"

#define WEST_CONN(n) \
	"conn west-" #n "\n\tleft=" WEST "\n\tleftsubnet=10.1." #n ".0/24\n\tright=" EAST \
	"\n\trightsubnet=10.2." #n ".0/24\n\tauthby=secret\n\tauto=start\n"

static const char conf[] =
	WEST_CONN(1) WEST_CONN(2) WEST_CONN(3) WEST_CONN(4)
	"conn west-5\n\tleft=" WEST "\n\tleftsubnet=10.1.5.0/24\n\tright=" EAST
	"\n\trightsubnet=10.2.5.0/24\n\tauthby=secret\n\tauto=add\n";
static const char secrets[] = WEST " " EAST " : PSK \"the key of the two hosts\"\n";

static int start(void **state)
{
	(void)state;
	return harness_start(conf, secrets) ? 0 : -1;
}

static int stop(void **state)
{
	(void)state;
	auto_start_end();
	harness_stop();
	return 0;
}

/* Whether conn name has an IKE SA it initiated. */
static bool initiated(const char *name)
{
	return harness_sa(name, true) != NULL;
}

static unsigned initiated_count(void)
{
	unsigned n = 0;
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next)
		n += ike->initiator;
	return n;
}

static void one_pass(void)
{
	event_base_loop(pluto.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

/* Conn name loaded again (whack --add, or a reload's replacement) with
 * its config from the file, auto= set to mode. */
static void load_again(const char *name, enum auto_mode mode)
{
	struct conn_config cfg = *ipsecconf_find(pluto.conf, name);
	cfg.auto_mode = mode;
	struct diag errors, notes;
	diag_init(&errors);
	diag_init(&notes);
	bool replaced = false;
	assert_non_null(conn_load(&cfg, false, &replaced, &errors, &notes));
	assert_true(replaced);
}

static void test_one_conn_for_each_pass_in_file_order(void **state)
{
	(void)state;
	auto_start_begin();
	assert_true(initiated("west-1"));
	assert_int_equal(initiated_count(), 1);
	assert_int_equal(auto_start_waiting(), 3);
	const char *const next[] = { "west-2", "west-3", "west-4" };
	for (size_t i = 0; i < 3; i++) {
		one_pass();
		assert_true(initiated(next[i]));
		assert_int_equal(initiated_count(), i + 2);
	}
	assert_int_equal(auto_start_waiting(), 0);
	one_pass();
	assert_false(initiated("west-5"));	/* auto=add */
	assert_int_equal(initiated_count(), 4);
}

/* Before their turn: 2 is replaced by a reload as auto=add, 3 deleted, 4
 * replaced by whack --add (a reload would have brought it up itself).
 * None of them is brought up by the start; 1 was, before. */
static void test_a_conn_deleted_or_replaced_before_its_turn_is_not_started(void **state)
{
	(void)state;
	auto_start_begin();
	assert_true(initiated("west-1"));
	load_again("west-2", AUTO_ADD);
	assert_true(conn_delete("west-3"));
	load_again("west-4", AUTO_START);
	for (int i = 0; i < 5; i++)
		one_pass();
	assert_int_equal(auto_start_waiting(), 0);
	assert_false(initiated("west-2"));
	assert_false(initiated("west-3"));
	assert_false(initiated("west-4"));
	assert_int_equal(initiated_count(), 1);
}

/* pluto stops after the first: the others are dropped, none started. */
static void test_stopping_drops_those_waiting(void **state)
{
	(void)state;
	auto_start_begin();
	assert_int_equal(auto_start_waiting(), 3);
	auto_start_end();
	assert_int_equal(auto_start_waiting(), 0);
	for (int i = 0; i < 3; i++)
		one_pass();
	assert_int_equal(initiated_count(), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_conn_for_each_pass_in_file_order, start, stop),
		cmocka_unit_test_setup_teardown(test_a_conn_deleted_or_replaced_before_its_turn_is_not_started, start, stop),
		cmocka_unit_test_setup_teardown(test_stopping_drops_those_waiting, start, stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
