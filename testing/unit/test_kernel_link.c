/* test_kernel_link.c: the kernel release test behind kernel_caps.h's guess (before its probe, or without one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "kernel_link.h"

static void test_release_at_least(void **state)
{
	(void)state;
	assert_false(kernel_release_at_least("6.1.0-56-amd64", 6, 2));	/* Debian 12: no packet offload */
	assert_true(kernel_release_at_least("6.2.0", 6, 2));
	assert_true(kernel_release_at_least("6.18.44-fc-v657", 6, 2));	/* 18 > 2, not "1.8" */
	assert_true(kernel_release_at_least("7.0-rc1", 6, 2));
	assert_false(kernel_release_at_least("5.15.0-91-generic", 6, 2));
	assert_false(kernel_release_at_least("", 6, 2));
	assert_false(kernel_release_at_least("linux", 6, 2));
	assert_false(kernel_release_at_least(NULL, 6, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_at_least),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
