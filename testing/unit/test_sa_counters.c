/* Unit tests of the SA counters read in one dump (sa_counters.h) and of
 * the status listings that use them (status.h): every ESP SA of the dump
 * is found by destination and SPI with its bytes, other protocols are
 * left out, a failed dump keeps nothing; and while a listing runs,
 * status_sa_bytes answers from the dump, asking the kernel only for an
 * SA the dump did not hold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "sa_counters.h"
#include "status.h"
#include "kernel_double.h"

enum { MANY = 3000 };

static unsigned dumps, gets;
static bool dump_fails;

static ip_address dst_of(unsigned i)
{
	char s[32];
	snprintf(s, sizeof(s), "10.2.%u.%u", i / 250, i % 250 + 1);
	ip_address a;
	assert_true(address_parse(s, &a));
	return a;
}

/* MANY ESP SAs, SPI 0x1000 + i to dst_of(i) with 100 * i bytes; each has
 * an AH SA of the same SPI and destination beside it, and SPI 0x1000 + i
 * also goes to dst_of(i + 1) with 7 bytes. */
static int t_list_sas(kernel_sa_fn *fn, void *arg, struct kernel_err *e)
{
	dumps++;
	if (dump_fails) {
		e->errnum = EIO;
		return -EIO;
	}
	for (unsigned i = 0; i < MANY; i++) {
		struct kernel_sa_entry sa = { .dst = dst_of(i), .spi = 0x1000 + i, .proto = IPPROTO_ESP };
		sa.info.bytes = 100ull * i;
		fn(arg, &sa);
		sa.proto = IPPROTO_AH;
		sa.info.bytes = 1;
		fn(arg, &sa);
		sa = (struct kernel_sa_entry){ .dst = dst_of(i + 1), .spi = 0x1000 + i, .proto = IPPROTO_ESP };
		sa.info.bytes = 7;
		fn(arg, &sa);
	}
	return 0;
}

static int t_get_sa(const ip_address *dst, uint32_t spi, uint8_t proto, struct kernel_sa_info *info,
		    struct kernel_err *e)
{
	gets++;
	return d_get_sa(dst, spi, proto, info, e);
}

static struct kernel_ops counting_ops;

static int setup(void **state)
{
	(void)state;
	memset(&dbl, 0, sizeof(dbl));
	counting_ops = double_ops;
	counting_ops.list_sas = t_list_sas;
	counting_ops.get_sa = t_get_sa;
	kernel = &counting_ops;
	dumps = gets = 0;
	dump_fails = false;
	return 0;
}

static void test_every_esp_sa_of_the_dump_is_found(void **state)
{
	(void)state;
	struct sa_counters sc;
	assert_true(sa_counters_load(&sc, kernel));
	assert_true(sc.loaded);
	assert_int_equal(dumps, 1);
	for (unsigned i = 0; i < MANY; i++) {
		ip_address d = dst_of(i), next = dst_of(i + 1);
		bool found = false;
		assert_int_equal(sa_counters_bytes(&sc, &d, 0x1000 + i, &found), 100ull * i);
		assert_true(found);
		assert_int_equal(sa_counters_bytes(&sc, &next, 0x1000 + i, &found), 7);
		assert_true(found);
	}
	ip_address d = dst_of(5);
	bool found = true;
	assert_int_equal(sa_counters_bytes(&sc, &d, 0x0fff, &found), 0);
	assert_false(found);
	assert_int_equal(sc.table.count, 2 * MANY);	/* the AH SAs left out */
	sa_counters_free(&sc);
	assert_false(sc.loaded);
	assert_int_equal(gets, 0);
}

static void test_a_failed_dump_keeps_nothing(void **state)
{
	(void)state;
	dump_fails = true;
	struct sa_counters sc;
	assert_false(sa_counters_load(&sc, kernel));
	assert_false(sc.loaded);
	ip_address d = dst_of(1);
	bool found = true;
	sa_counters_bytes(&sc, &d, 0x1001, &found);
	assert_false(found);
	sa_counters_free(&sc);
}

static void test_a_listing_reads_the_dump_and_asks_for_what_it_lacks(void **state)
{
	(void)state;
	/* one SA in the double, which the dump does not list */
	ip_address lone;
	assert_true(address_parse("192.0.2.9", &lone));
	dbl.sas[0] = (struct double_sa){ .dst = lone, .spi = 0x99 };
	dbl.sas[0].info.bytes = 4242;
	dbl.nsas = 1;
	status_counters_begin();
	for (unsigned i = 0; i < MANY; i++) {
		ip_address d = dst_of(i);
		assert_int_equal(status_sa_bytes(&d, 0x1000 + i), 100ull * i);
	}
	assert_int_equal(dumps, 1);
	assert_int_equal(gets, 0);
	assert_int_equal(status_sa_bytes(&lone, 0x99), 4242);
	assert_int_equal(gets, 1);
	status_counters_end();
	/* outside a listing: the kernel is asked for each */
	ip_address d = dst_of(3);
	assert_int_equal(status_sa_bytes(&d, 0x1003), 0);	/* the double has no such SA */
	assert_int_equal(status_sa_bytes(&lone, 0x99), 4242);
	assert_int_equal(gets, 3);
	assert_int_equal(dumps, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_every_esp_sa_of_the_dump_is_found, setup),
		cmocka_unit_test_setup(test_a_failed_dump_keeps_nothing, setup),
		cmocka_unit_test_setup(test_a_listing_reads_the_dump_and_asks_for_what_it_lacks, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
