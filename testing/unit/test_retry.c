/* Unit tests of the backoff after failed attempts (retry.c): which
 * failures are tried again, when, and what --status says of them. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "retry.h"

static struct conn_retry r;
static char buf[1024];

/* A failed attempt of ours, as ikev2.c records it. */
static unsigned failed(enum attempt_failure kind, const char *why, bool keep_up, time_t now)
{
	retry_note(&r, kind, why, now);
	return retry_plan_next(&r, keep_up, now);
}

static int reset(void **state)
{
	(void)state;
	retry_reset(&r);
	return 0;
}

static void test_capacity_backs_off_from_30s_doubling(void **state)
{
	(void)state;
	time_t now = 1000;
	unsigned expected[] = { 30, 60, 120, 240, 480, 960, 1920, 3600, 3600 };
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		unsigned d = failed(ATTEMPT_CAPACITY, "table full", true, now);
		assert_int_equal(d, expected[i]);
		assert_int_equal(r.next_at, now + d);
		now += d;
	}
	assert_int_equal(r.failures, 9);
}

static void test_transient_failures_back_off_too(void **state)
{
	(void)state;
	assert_int_equal(failed(ATTEMPT_TRANSIENT, "no answer", true, 0), 30);
	assert_int_equal(failed(ATTEMPT_TRANSIENT, "no answer", true, 30), 60);
}

/* A lost tunnel is brought back after REVIVE_FIRST_S; when that attempt
 * fails, the backoff of failed attempts starts from its beginning. */
static void test_a_lost_tunnel_comes_back_at_once_then_backs_off_from_30s(void **state)
{
	(void)state;
	assert_int_equal(failed(ATTEMPT_LOST, "the peer stopped answering", true, 0), REVIVE_FIRST_S);
	assert_int_equal(failed(ATTEMPT_TRANSIENT, "no answer", true, 5), 30);
	assert_int_equal(failed(ATTEMPT_TRANSIENT, "no answer", true, 35), 60);
}

static void test_config_failure_is_not_retried(void **state)
{
	(void)state;
	assert_int_equal(failed(ATTEMPT_CAPACITY, "table full", true, 0), 30);
	assert_int_equal(failed(ATTEMPT_CONFIG, "AES_CBC refused", true, 30), 0);
	assert_int_equal(r.next_at, 0);
	assert_string_equal(retry_plan(&r, 31, buf, sizeof(buf)),
			    "not retried until the conn is replaced (ipsec auto --add)");
}

static void test_auto_add_is_not_retried(void **state)
{
	(void)state;
	assert_int_equal(failed(ATTEMPT_CAPACITY, "table full", false, 0), 0);
	assert_string_equal(retry_plan(&r, 5, buf, sizeof(buf)), "");
}

static void test_status_names_the_failure_and_the_plan(void **state)
{
	(void)state;
	assert_string_equal(retry_status(&r, 0, buf, sizeof(buf)), "");
	failed(ATTEMPT_CAPACITY, "eth0 refused inbound SA: table full", true, 100);
	failed(ATTEMPT_CAPACITY, "eth0 refused inbound SA: table full (again)", true, 130);
	assert_string_equal(retry_status(&r, 150, buf, sizeof(buf)),
			    "2 failed attempts in a row, the last 20 s ago: eth0 refused inbound SA: table full (again); next attempt in 40 s");
	retry_reset(&r);
	assert_int_equal(r.failures, 0);
	assert_string_equal(retry_status(&r, 150, buf, sizeof(buf)), "");
}

static void test_a_noted_failure_keeps_the_plan(void **state)
{
	(void)state;
	assert_int_equal(failed(ATTEMPT_TRANSIENT, "no answer", true, 0), 30);
	/* The peer's attempt failed on our side meanwhile: noted, plan kept. */
	retry_note(&r, ATTEMPT_CAPACITY, "table full", 10);
	assert_int_equal(r.next_at, 30);
	assert_int_equal(r.failures, 2);
	assert_string_equal(retry_plan(&r, 10, buf, sizeof(buf)), "next attempt in 20 s");
}

static void test_install_errors_are_classified(void **state)
{
	(void)state;
	assert_int_equal(retry_kind_of_install(-ENOSPC), ATTEMPT_CAPACITY);
	assert_int_equal(retry_kind_of_install(-EINVAL), ATTEMPT_CONFIG);
	assert_int_equal(retry_kind_of_install(-EOPNOTSUPP), ATTEMPT_CONFIG);
}

/* The diagnostic is kept only once there is one, as the last failure's,
 * cut at RETRY_WHY_MAX - 1 characters as --status always showed it. */
static void test_the_last_failure_is_what_is_kept(void **state)
{
	(void)state;
	assert_string_equal(retry_why(&r), "");
	retry_note(&r, ATTEMPT_TRANSIENT, "no answer", 1);
	retry_note(&r, ATTEMPT_TRANSIENT, "NO_PROPOSAL_CHOSEN", 2);
	assert_string_equal(retry_why(&r), "NO_PROPOSAL_CHOSEN");
	char long_why[RETRY_WHY_MAX + 100];
	memset(long_why, 'x', sizeof(long_why) - 1);
	long_why[sizeof(long_why) - 1] = '\0';
	retry_note(&r, ATTEMPT_TRANSIENT, long_why, 3);
	assert_int_equal(strlen(retry_why(&r)), RETRY_WHY_MAX - 1);
	retry_reset(&r);
	assert_string_equal(retry_why(&r), "");
	assert_int_equal(r.failures, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, reset)
	const struct CMUnitTest tests[] = {
		T(test_capacity_backs_off_from_30s_doubling),
		T(test_transient_failures_back_off_too),
		T(test_a_lost_tunnel_comes_back_at_once_then_backs_off_from_30s),
		T(test_config_failure_is_not_retried),
		T(test_auto_add_is_not_retried),
		T(test_status_names_the_failure_and_the_plan),
		T(test_a_noted_failure_keeps_the_plan),
		T(test_install_errors_are_classified),
		T(test_the_last_failure_is_what_is_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
