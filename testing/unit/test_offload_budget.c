/* Unit tests of the offload budget (offload_budget.c): the smoothed rate,
 * the ranking by priority then traffic, the room a table gives, the
 * hysteresis that keeps tunnels from flapping, and capacity learning. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "offload_budget.h"

/* ---- the rate ---- */

static void test_the_rate_counts_bytes_since_the_last_sample(void **state)
{
	(void)state;
	struct offload_rate r = {0};
	struct sa_bytes s[2] = { { 0x100, true, 1000 }, { 0x200, false, 3000 } };
	offload_rate_sample(&r, s, 2, 2);
	assert_true(r.rate == 2000);	/* the first sample is the rate */
	s[0].bytes += 4000;
	s[1].bytes += 4000;
	offload_rate_sample(&r, s, 2, 2);
	/* 4000 B/s now, half weight: halfway between */
	assert_true(r.rate == 3000);
}

static void test_a_rekey_does_not_read_as_a_drop_or_a_burst(void **state)
{
	(void)state;
	struct offload_rate r = {0};
	struct sa_bytes before[2] = { { 0x100, true, 10000 }, { 0x200, false, 10000 } };
	offload_rate_sample(&r, before, 2, 1);
	double first = r.rate;
	/* the old pair retiring with 1000 more each, the new one at 500 each */
	struct sa_bytes during[4] = { { 0x100, true, 11000 }, { 0x200, false, 11000 },
				      { 0x300, true, 500 }, { 0x400, false, 500 } };
	offload_rate_sample(&r, during, 4, 1);
	assert_true(r.rate == 0.5 * 3000 + 0.5 * first);
	/* the old pair gone: only the new pair's growth counts */
	struct sa_bytes after[2] = { { 0x300, true, 1500 }, { 0x400, false, 1500 } };
	double was = r.rate;
	offload_rate_sample(&r, after, 2, 1);
	assert_true(r.rate == 0.5 * 2000 + 0.5 * was);
}

static void test_an_in_and_an_out_spi_alike_are_two_sas(void **state)
{
	(void)state;
	struct offload_rate r = {0};
	struct sa_bytes s[2] = { { 0x100, true, 0 }, { 0x100, false, 0 } };
	offload_rate_sample(&r, s, 2, 1);
	s[1].bytes = 5000;
	offload_rate_sample(&r, s, 2, 1);
	assert_true(r.rate == 2500);
}

static void test_an_idle_tunnel_decays(void **state)
{
	(void)state;
	struct offload_rate r = {0};
	struct sa_bytes s = { 0x100, true, 1 << 20 };
	offload_rate_sample(&r, &s, 1, 1);
	for (int i = 0; i < 10; i++)
		offload_rate_sample(&r, &s, 1, 1);
	assert_true(r.rate < (1 << 20) / 1000.0);
}

/* ---- the plan ---- */

#define N 6

/* n tunnels, all movable and settled, the first held ones offloaded. */
static void tunnels(struct budget_tunnel *t, size_t n, size_t held)
{
	for (size_t i = 0; i < n; i++)
		t[i] = (struct budget_tunnel){ .movable = true, .since_move = 10, .offloaded = i < held };
}

static void test_slots_keep_room_for_a_rekey(void **state)
{
	(void)state;
	assert_int_equal(offload_budget_slots(33), 15);	/* netdevsim: 30 SAs + 2 for a rekey */
	assert_int_equal(offload_budget_slots(34), 16);
	assert_int_equal(offload_budget_slots(2), 0);
	assert_int_equal(offload_budget_slots(0), 0);
	assert_int_equal(offload_budget_slots(2048), 1023);
}

static void test_an_unknown_capacity_moves_nothing_and_wants_the_nic(void **state)
{
	(void)state;
	struct budget_tunnel t[N];
	tunnels(t, N, 2);
	t[5].rate = 1e9;
	assert_int_equal(offload_budget_plan(t, N, 0), 0);
	for (size_t i = 0; i < N; i++) {
		assert_true(t[i].want_hw);
		assert_false(t[i].move_now);
	}
	assert_int_equal(t[5].rank, 1);
}

static void test_ranking_is_by_priority_then_rate(void **state)
{
	(void)state;
	struct budget_tunnel t[N];
	tunnels(t, N, 0);
	t[0].rate = 10; t[1].rate = 500; t[2].rate = 50;
	t[3].rate = 1; t[3].priority = 1;
	t[4].rate = 0; t[4].priority = 5;
	t[5].rate = 500;	/* same as t[1]: the order given decides */
	offload_budget_plan(t, N, 0);
	assert_int_equal(t[4].rank, 1);
	assert_int_equal(t[3].rank, 2);
	assert_int_equal(t[1].rank, 3);
	assert_int_equal(t[5].rank, 4);
	assert_int_equal(t[2].rank, 5);
	assert_int_equal(t[0].rank, 6);
}

static void test_among_equals_the_offloaded_one_keeps_its_place(void **state)
{
	(void)state;
	struct budget_tunnel t[2];
	tunnels(t, 2, 0);
	t[1].offloaded = true;
	offload_budget_plan(t, 2, 0);
	assert_int_equal(t[1].rank, 1);
	assert_int_equal(t[0].rank, 2);
}

/* capacity 8: 3 tunnels' room */
static void test_a_busy_software_tunnel_swaps_with_the_least_busy_held_one(void **state)
{
	(void)state;
	struct budget_tunnel t[N];
	tunnels(t, N, 3);
	t[0].rate = 100000; t[1].rate = 5000; t[2].rate = 20000;
	t[4].rate = 50000;
	assert_int_equal(offload_budget_plan(t, N, 8), 2);
	assert_false(t[1].want_hw);
	assert_true(t[1].move_now);
	assert_true(t[4].want_hw);
	assert_true(t[4].move_now);
	assert_true(t[0].want_hw && !t[0].move_now);
	assert_true(t[2].want_hw && !t[2].move_now);
	assert_false(t[3].want_hw || t[3].move_now || t[5].want_hw || t[5].move_now);
}

static void test_several_swaps_in_one_plan_go_best_against_weakest(void **state)
{
	(void)state;
	struct budget_tunnel t[N];
	tunnels(t, N, 3);
	t[3].rate = 30000; t[4].rate = 40000; t[5].rate = 50000;
	assert_int_equal(offload_budget_plan(t, N, 8), 6);
	for (size_t i = 0; i < N; i++) {
		assert_true(t[i].move_now);
		assert_int_equal(t[i].want_hw, i >= 3);
	}
}

static void test_hysteresis_needs_twice_the_rate(void **state)
{
	(void)state;
	struct budget_tunnel t[4];
	tunnels(t, 4, 3);
	t[0].rate = t[1].rate = t[2].rate = 10000;
	t[3].rate = 20000;	/* more, but not 2x + the floor */
	assert_int_equal(offload_budget_plan(t, 4, 8), 0);
	assert_false(t[3].want_hw);
	assert_int_equal(t[3].rank, 1);	/* ranked first all the same */
	t[3].rate = 2 * 10000 + OFFLOAD_BUDGET_MIN_GAIN;
	assert_int_equal(offload_budget_plan(t, 4, 8), 2);
	assert_true(t[3].want_hw);
}

static void test_idle_tunnels_do_not_trade_places_on_stray_packets(void **state)
{
	(void)state;
	struct budget_tunnel t[4];
	tunnels(t, 4, 3);
	t[3].rate = 300;	/* far more than 2x of 0, under the floor */
	assert_int_equal(offload_budget_plan(t, 4, 8), 0);
}

static void test_a_tunnel_moved_lately_stays(void **state)
{
	(void)state;
	struct budget_tunnel t[4];
	tunnels(t, 4, 3);
	t[3].rate = 1e6;
	t[0].since_move = t[1].since_move = t[2].since_move = OFFLOAD_BUDGET_MIN_STAY - 1;
	assert_int_equal(offload_budget_plan(t, 4, 8), 0);	/* no holder may leave yet */
	t[2].since_move = OFFLOAD_BUDGET_MIN_STAY;
	assert_int_equal(offload_budget_plan(t, 4, 8), 2);
	assert_false(t[2].want_hw);
	/* nor may the challenger come in, fresh from a move */
	tunnels(t, 4, 3);
	t[3].rate = 1e6;
	t[3].since_move = 0;
	assert_int_equal(offload_budget_plan(t, 4, 8), 0);
}

static void test_the_next_plan_does_not_swap_back(void **state)
{
	(void)state;
	struct budget_tunnel t[4];
	tunnels(t, 4, 3);
	t[3].rate = 1e6;
	t[0].rate = t[1].rate = 1e5;
	offload_budget_plan(t, 4, 8);
	assert_false(t[2].want_hw);
	/* the swap done, and the busy tunnel quiet for a while */
	t[2].offloaded = false; t[2].since_move = 0;
	t[3].offloaded = true; t[3].since_move = 0;
	t[3].rate = 0;
	t[2].rate = 5000;
	assert_int_equal(offload_budget_plan(t, 4, 8), 0);
	t[2].since_move = t[3].since_move = OFFLOAD_BUDGET_MIN_STAY;
	assert_int_equal(offload_budget_plan(t, 4, 8), 2);	/* now it may */
	assert_true(t[2].want_hw);
}

static void test_priority_wins_over_traffic(void **state)
{
	(void)state;
	struct budget_tunnel t[4];
	tunnels(t, 4, 3);
	t[0].priority = 1;	/* idle, but the admin says it matters */
	t[1].rate = t[2].rate = 1e7;
	t[3].rate = 1e9;
	assert_int_equal(offload_budget_plan(t, 4, 8), 2);
	assert_true(t[0].want_hw);
	assert_true(t[3].want_hw);
	assert_int_equal(t[3].rank, 2);
	/* and a higher priority in software takes a slot without traffic */
	tunnels(t, 4, 3);
	t[0].rate = t[1].rate = t[2].rate = 1e9;
	t[3].priority = 2;
	assert_int_equal(offload_budget_plan(t, 4, 8), 2);
	assert_true(t[3].want_hw);
	assert_int_equal(t[3].rank, 1);
}

static void test_pinned_tunnels_count_and_stay(void **state)
{
	(void)state;
	struct budget_tunnel t[4];
	tunnels(t, 4, 3);
	t[0].movable = t[1].movable = t[2].movable = false;	/* hw_offload_fallback=no */
	t[3].rate = 1e9;
	assert_int_equal(offload_budget_plan(t, 4, 8), 0);
	assert_true(t[0].want_hw && t[1].want_hw && t[2].want_hw);
	assert_false(t[3].want_hw);
	/* a pinned one in software stays there too */
	tunnels(t, 4, 0);
	t[0].movable = false;
	t[0].rate = 1e9;
	offload_budget_plan(t, 4, 8);
	assert_false(t[0].want_hw);
}

static void test_free_room_goes_to_the_best_waiting(void **state)
{
	(void)state;
	struct budget_tunnel t[N];
	tunnels(t, N, 1);
	t[4].rate = 5000; t[5].rate = 7000;
	assert_int_equal(offload_budget_plan(t, N, 8), 2);	/* 3 slots, 1 held */
	assert_true(t[5].want_hw && t[5].move_now);
	assert_true(t[4].want_hw && t[4].move_now);
	assert_false(t[2].want_hw);
	/* idle ones take free room at their own rekeys, not by one now */
	tunnels(t, N, 1);
	t[4].rate = OFFLOAD_BUDGET_MIN_GAIN - 1;
	assert_int_equal(offload_budget_plan(t, N, 8), 0);
	t[3].priority = 1;	/* ... unless they have a priority */
	assert_int_equal(offload_budget_plan(t, N, 8), 1);
	assert_true(t[3].want_hw && t[3].move_now);
}

static void test_more_held_than_room_moves_the_weakest_out_now(void **state)
{
	(void)state;
	struct budget_tunnel t[4];
	tunnels(t, 4, 4);	/* first come, first served filled the table */
	t[0].rate = 10; t[1].rate = 30; t[2].rate = 20; t[3].rate = 40;
	assert_int_equal(offload_budget_plan(t, 4, 8), 1);	/* room for a rekey again */
	assert_false(t[0].want_hw);
	assert_true(t[0].move_now);
	assert_true(t[1].want_hw && t[2].want_hw && t[3].want_hw);
	assert_false(t[1].move_now || t[2].move_now || t[3].move_now);
	/* the lowest ranked goes however lately it moved, never a higher
	 * ranked one that happens to be settled (the VM run moved a priority
	 * conn out so, when the others had just come up) */
	tunnels(t, 4, 4);
	t[0].since_move = 0;
	t[1].since_move = t[2].since_move = 0;
	t[3].priority = 10;
	t[1].rate = 5; t[2].rate = 6;
	assert_int_equal(offload_budget_plan(t, 4, 8), 1);
	assert_false(t[0].want_hw);
	assert_true(t[3].want_hw);
}

/* ---- capacity ---- */

static void test_capacity_is_learned_at_the_first_table_full(void **state)
{
	(void)state;
	unsigned cap = 0;
	offload_budget_seen(&cap, 40);	/* unknown stays unknown */
	assert_int_equal(cap, 0);
	offload_budget_learn(&cap, 33);
	assert_int_equal(cap, 33);
	offload_budget_learn(&cap, 20);	/* another user held some then */
	assert_int_equal(cap, 33);
	offload_budget_seen(&cap, 30);
	assert_int_equal(cap, 33);
	offload_budget_seen(&cap, 35);	/* it took more than we thought */
	assert_int_equal(cap, 35);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_rate_counts_bytes_since_the_last_sample),
		cmocka_unit_test(test_a_rekey_does_not_read_as_a_drop_or_a_burst),
		cmocka_unit_test(test_an_in_and_an_out_spi_alike_are_two_sas),
		cmocka_unit_test(test_an_idle_tunnel_decays),
		cmocka_unit_test(test_slots_keep_room_for_a_rekey),
		cmocka_unit_test(test_an_unknown_capacity_moves_nothing_and_wants_the_nic),
		cmocka_unit_test(test_ranking_is_by_priority_then_rate),
		cmocka_unit_test(test_among_equals_the_offloaded_one_keeps_its_place),
		cmocka_unit_test(test_a_busy_software_tunnel_swaps_with_the_least_busy_held_one),
		cmocka_unit_test(test_several_swaps_in_one_plan_go_best_against_weakest),
		cmocka_unit_test(test_hysteresis_needs_twice_the_rate),
		cmocka_unit_test(test_idle_tunnels_do_not_trade_places_on_stray_packets),
		cmocka_unit_test(test_a_tunnel_moved_lately_stays),
		cmocka_unit_test(test_the_next_plan_does_not_swap_back),
		cmocka_unit_test(test_priority_wins_over_traffic),
		cmocka_unit_test(test_pinned_tunnels_count_and_stay),
		cmocka_unit_test(test_free_room_goes_to_the_best_waiting),
		cmocka_unit_test(test_more_held_than_room_moves_the_weakest_out_now),
		cmocka_unit_test(test_capacity_is_learned_at_the_first_table_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
