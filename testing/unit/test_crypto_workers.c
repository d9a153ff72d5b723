/* Unit tests of the DH helpers (crypto_workers.h): without helpers a job
 * runs through at once; with them each is computed off the loop and done
 * on it; stopping hands back every job not yet done, cancelled; and in
 * IKE (ike_harness.h), tunnels come up with helpers, a result whose SA
 * is gone is dropped, and stopping with a DH under way loses nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "ike_harness.h"
#include "crypto_workers.h"

struct counting_job {
	struct crypto_job job;
	bool computed, done, cancelled;
	pthread_t computed_on;
	unsigned nap_ms;
};

static unsigned jobs_done;

static void count_compute(struct crypto_job *job)
{
	struct counting_job *j = (struct counting_job *)job;
	if (j->nap_ms > 0)
		nanosleep(&(struct timespec){ 0, (long)j->nap_ms * 1000 * 1000 }, NULL);
	j->computed_on = pthread_self();
	j->computed = true;
}

static void count_done(struct crypto_job *job)
{
	struct counting_job *j = (struct counting_job *)job;
	j->done = true;
	j->cancelled = job->cancelled;
	jobs_done++;
}

static int base_up(void **state)
{
	(void)state;
	jobs_done = 0;
	pluto.base = event_base_new();
	return pluto.base != NULL ? 0 : -1;
}

static int base_down(void **state)
{
	(void)state;
	crypto_workers_stop();
	event_base_free(pluto.base);
	pluto.base = NULL;
	return 0;
}

static void test_without_helpers_a_job_runs_through_at_once(void **state)
{
	(void)state;
	assert_int_equal(crypto_workers_count(), 0);
	struct counting_job j = { .job = { .compute = count_compute, .done = count_done } };
	crypto_job_submit(&j.job);
	assert_true(j.computed);
	assert_true(j.done);
	assert_false(j.cancelled);
	assert_true(pthread_equal(j.computed_on, pthread_self()));
	assert_int_equal(crypto_jobs_pending(), 0);
}

static bool all_done(void *arg)
{
	return jobs_done == *(unsigned *)arg;
}

#define NJOBS 20

static void test_helpers_compute_off_the_loop_and_hand_back(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	assert_true(crypto_workers_start(2, pluto.base, &d));
	assert_int_equal(crypto_workers_count(), 2);
	static struct counting_job jobs[NJOBS];
	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < NJOBS; i++) {
		jobs[i].job = (struct crypto_job){ .compute = count_compute, .done = count_done };
		jobs[i].nap_ms = 1;
		crypto_job_submit(&jobs[i].job);
	}
	/* nothing is done before the loop runs */
	assert_int_equal(jobs_done, 0);
	unsigned want = NJOBS;
	assert_true(harness_wait(all_done, &want, 10));
	for (int i = 0; i < NJOBS; i++) {
		assert_true(jobs[i].computed);
		assert_false(jobs[i].cancelled);
		assert_false(pthread_equal(jobs[i].computed_on, pthread_self()));
	}
	assert_int_equal(crypto_jobs_pending(), 0);
}

static void test_stopping_hands_back_every_pending_job_cancelled(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	assert_true(crypto_workers_start(1, pluto.base, &d));
	static struct counting_job jobs[5];
	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < 5; i++) {
		jobs[i].job = (struct crypto_job){ .compute = count_compute, .done = count_done };
		jobs[i].nap_ms = 50;
		crypto_job_submit(&jobs[i].job);
	}
	crypto_workers_stop();
	assert_int_equal(jobs_done, 5);
	unsigned computed = 0;
	for (int i = 0; i < 5; i++) {
		assert_true(jobs[i].cancelled);
		computed += jobs[i].computed;
	}
	/* one helper, 50 ms each: the queue was not worked off first */
	assert_true(computed < 5);
	assert_int_equal(crypto_jobs_pending(), 0);
	assert_int_equal(crypto_workers_count(), 0);
	/* and after a stop, no helpers: inline again */
	struct counting_job j = { .job = { .compute = count_compute, .done = count_done } };
	crypto_job_submit(&j.job);
	assert_true(j.done);
}

/* ---- in IKE ---- */

#define WEST "192.0.2.1"
#define EAST "192.0.2.2"

static const char conf[] =
	"conn west\n"
	"\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tauto=add\n"
	"conn east\n"
	"\tleft=" EAST "\n\tright=" WEST "\n\tauthby=secret\n\tauto=add\n";
static const char secrets[] = WEST " " EAST " : PSK \"harness secret, not a real one\"\n";

static int ike_up(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	return harness_start(conf, secrets) && crypto_workers_start(2, pluto.base, &d) ? 0 : -1;
}

static int ike_down(void **state)
{
	(void)state;
	crypto_workers_stop();
	harness_stop();
	return 0;
}

static bool wire_has_one(void *arg)
{
	(void)arg;
	return wire.n > 0;
}

static bool tunnel_up(void *arg)
{
	(void)arg;
	struct ike_sa *i, *r;
	wire_pump(WIRE_MAX);
	return harness_tunnel_up("west", "east", &i, &r);
}

static bool no_jobs(void *arg)
{
	(void)arg;
	return crypto_jobs_pending() == 0;
}

static void test_a_tunnel_comes_up_with_helpers(void **state)
{
	(void)state;
	ikev2_initiate(conn_find("west"), 0);
	/* the key pair is made on a helper: nothing is sent yet */
	assert_int_equal(wire.n, 0);
	assert_true(harness_sa("west", true)->crypto_busy);
	assert_true(harness_wait(tunnel_up, NULL, 120));
	assert_false(harness_sa("west", true)->crypto_busy);
	assert_false(harness_sa("east", false)->crypto_busy);
}

static void test_a_result_for_an_sa_gone_is_dropped(void **state)
{
	(void)state;
	ikev2_initiate(conn_find("west"), 0);
	assert_true(harness_wait(wire_has_one, NULL, 60));
	wire_pump(1);	/* east takes the IKE_SA_INIT: its DH goes to a helper */
	struct ike_sa *r = harness_sa("east", false);
	assert_non_null(r);
	assert_true(r->crypto_busy);
	assert_int_equal(wire.n, 0);
	unsigned serial = r->serial;
	ike_sa_free(r, 1);	/* as when it expires or is replaced meanwhile */
	assert_true(harness_wait(no_jobs, NULL, 60));
	assert_null(ike_sa_by_serial(serial));
	/* no answer for an SA that is gone (west may have retransmitted
	 * meanwhile, on a slow run: a request) */
	for (size_t k = 0; k < wire.n; k++)
		assert_false(wire.q[(wire.head + k) % WIRE_MAX].buf[19] & IKEV2_FLAG_RESPONSE);
	assert_null(harness_sa("east", false));
}

static void test_stopping_with_a_dh_under_way(void **state)
{
	(void)state;
	ikev2_initiate(conn_find("west"), 0);
	struct ike_sa *i = harness_sa("west", true);
	assert_true(i->crypto_busy);
	crypto_workers_stop();	/* as pluto's stop does, before its SAs go */
	assert_int_equal(crypto_jobs_pending(), 0);
	assert_int_equal(wire.n, 0);
	/* ike_down frees the SA: under ASan and valgrind, nothing leaks */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_without_helpers_a_job_runs_through_at_once, base_up, base_down),
		cmocka_unit_test_setup_teardown(test_helpers_compute_off_the_loop_and_hand_back, base_up, base_down),
		cmocka_unit_test_setup_teardown(test_stopping_hands_back_every_pending_job_cancelled, base_up, base_down),
		cmocka_unit_test_setup_teardown(test_a_tunnel_comes_up_with_helpers, ike_up, ike_down),
		cmocka_unit_test_setup_teardown(test_a_result_for_an_sa_gone_is_dropped, ike_up, ike_down),
		cmocka_unit_test_setup_teardown(test_stopping_with_a_dh_under_way, ike_up, ike_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
