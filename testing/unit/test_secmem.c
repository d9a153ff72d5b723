/* test_secmem.c: key memory is what secmem.h promises: zeroed, owned, and
 * marked for the kernel to leave out of core dumps ("dd" in the VmFlags
 * of its mapping in /proc/self/smaps), even if pluto were dumpable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "secmem.h"

/* The VmFlags line of the mapping that holds p, or "" when none does. */
static void vmflags_of(const void *p, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	assert_non_null(f);
	char line[512];
	bool inside = false;
	out[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		uintptr_t lo, hi;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2)	/* a mapping's first line */
			inside = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
			snprintf(out, len, "%s", line);
			break;
		}
	}
	fclose(f);
}

static bool has_flag(const char *vmflags, const char *flag)
{
	char word[8];
	snprintf(word, sizeof(word), " %s", flag);
	for (const char *p = strstr(vmflags, word); p != NULL; p = strstr(p + 1, word))
		if (p[strlen(word)] == ' ' || p[strlen(word)] == '\n' || p[strlen(word)] == '\0')
			return true;
	return false;
}

static void test_key_memory_is_left_out_of_core_dumps(void **state)
{
	(void)state;
	size_t sizes[] = { 1, 32, 64, 65, 4096 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *p = secmem_alloc(sizes[i]);
		assert_non_null(p);
		char flags[512];
		vmflags_of(p, flags, sizeof(flags));
		if (!has_flag(flags, "dd"))
			fail_msg("%zu bytes of key memory at %p are not marked dd: '%s'", sizes[i], (void *)p, flags);
		secmem_free(p, sizes[i]);
	}
}

/* The check above can fail: an ordinary mapping has no dd. */
static void test_ordinary_memory_is_not_marked(void **state)
{
	(void)state;
	size_t len = 64 * 1024;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	char flags[512];
	vmflags_of(p, flags, sizeof(flags));
	assert_true(flags[0] != '\0');
	assert_false(has_flag(flags, "dd"));
	assert_false(secmem_owns(p));
	munmap(p, len);
}

static void test_blocks_are_zeroed_owned_and_bounded(void **state)
{
	(void)state;
	uint8_t *p = secmem_alloc(100);
	assert_non_null(p);
	assert_true(secmem_owns(p));
	memset(p, 0xa5, 100);
	secmem_free(p, 100);
	uint8_t *q = secmem_alloc(100);	/* the same slot, most likely: zeroed again */
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(q[i], 0);
	secmem_free(q, 100);
	assert_null(secmem_alloc(SECMEM_MAX + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_memory_is_left_out_of_core_dumps),
		cmocka_unit_test(test_ordinary_memory_is_not_marked),
		cmocka_unit_test(test_blocks_are_zeroed_owned_and_bounded),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
