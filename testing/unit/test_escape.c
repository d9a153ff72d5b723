/* Unit tests of escaping what outsiders chose (escape.h): a peer's ID in
 * a log line, an interface name in JSON. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "escape.h"

static void test_escaped_text_is_one_printable_line(void **state)
{
	(void)state;
	char out[128];
	static const uint8_t forged[] = "evil\n\"legit\" #99: established IKE SA\x1b[2J\\";
	escape_bytes(forged, sizeof(forged) - 1, out, sizeof(out));
	assert_string_equal(out, "evil\\x0a\"legit\" #99: established IKE SA\\x1b[2J\\\\");
	for (const char *p = out; *p != '\0'; p++)
		assert_true(*p >= 0x20 && *p <= 0x7e);
	static const uint8_t high[] = { 'a', 0x00, 0xc3, 0xa9, 0x7f };
	assert_string_equal(escape_bytes(high, sizeof(high), out, sizeof(out)), "a\\x00\\xc3\\xa9\\x7f");
}

static void test_escaping_cuts_at_a_whole_escape(void **state)
{
	(void)state;
	char out[6];	/* "ab" and a 4-byte escape need 7 */
	static const uint8_t in[] = { 'a', 'b', 0x01, 'c' };
	assert_string_equal(escape_bytes(in, sizeof(in), out, sizeof(out)), "ab");
	assert_string_equal(escape_bytes(in, 2, out, 3), "ab");
}

/* Whether s is valid UTF-8 with no control bytes. */
static bool clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p != '\0') {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || *p < 0x20)
			return false;
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
		}
		p += n;
	}
	return true;
}

static void test_json_strings_stay_valid_json_and_utf8(void **state)
{
	(void)state;
	char out[256];
	assert_string_equal(json_escape("a\"b\\c\n", out, sizeof(out)), "a\\\"b\\\\c\\u000a");
	/* valid UTF-8 passes as it is */
	assert_string_equal(json_escape("eth\xc3\xa9", out, sizeof(out)), "eth\xc3\xa9");
	/* a lone continuation byte, an overlong '/', a surrogate, a cut sequence */
	assert_string_equal(json_escape("x\x80y\xc0\xaf\xed\xa0\x80z\xe2\x82", out, sizeof(out)),
			    "x\\\\x80y\\\\xc0\\\\xaf\\\\xed\\\\xa0\\\\x80z\\\\xe2\\\\x82");
	assert_true(clean_utf8(out));
	/* every single byte makes valid output */
	for (unsigned b = 1; b < 256; b++) {
		char in[2] = { (char)b, 0 };
		json_escape(in, out, sizeof(out));
		assert_true(clean_utf8(out));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaped_text_is_one_printable_line),
		cmocka_unit_test(test_escaping_cuts_at_a_whole_escape),
		cmocka_unit_test(test_json_strings_stay_valid_json_and_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
