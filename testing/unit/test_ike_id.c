/* test_ike_id.c: identities between text and the ID payload body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "ike_id.h"
#include "ikev2_msg.h"

/* A body: the type, 3 reserved octets, then data. */
static size_t body_of(uint8_t type, const char *data, uint8_t *body)
{
	size_t n = strlen(data);
	body[0] = type;
	body[1] = body[2] = body[3] = 0;
	memcpy(body + 4, data, n);
	return n + 4;
}

static void test_round_trip(void **state)
{
	(void)state;
	static const char *const ids[] = {
		"192.0.2.1", "2001:db8::1", "@east.example.com", "road@example.com",
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		uint8_t body[300];
		size_t len;
		char text[256];
		assert_true(id_to_wire(ids[i], body, sizeof(body), &len));
		assert_true(id_from_wire(body, len, text, sizeof(text)));
		assert_string_equal(text, ids[i]);
	}
	uint8_t body[300];
	size_t len;
	assert_false(id_to_wire("%any", body, sizeof(body), &len));
}

/* The text of a received ID must not read as an id of another kind than
 * its type says: an ID_RFC822_ADDR whose data reads as an address, as
 * %any or as an @fqdn would otherwise pass for that. */
static void test_from_wire_keeps_the_type(void **state)
{
	(void)state;
	static const char *const wrong[] = { "192.0.2.1", "2001:db8::1", "%any", "@east" };
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		uint8_t body[64];
		char text[256];
		size_t len = body_of(ID_RFC822_ADDR, wrong[i], body);
		if (id_from_wire(body, len, text, sizeof(text)))
			fail_msg("ID_RFC822_ADDR '%s' was read as '%s'", wrong[i], text);
	}
	/* data that is no id at all is kept as sent: it equals no id */
	uint8_t body[64];
	char text[256];
	size_t len = body_of(ID_RFC822_ADDR, "a@b@c", body);
	assert_true(id_from_wire(body, len, text, sizeof(text)));
	assert_string_equal(text, "a@b@c");
	len = body_of(ID_FQDN, "192.0.2.1", body);	/* '@' makes it a name */
	assert_true(id_from_wire(body, len, text, sizeof(text)));
	assert_string_equal(text, "@192.0.2.1");
}

static void test_from_wire_refuses(void **state)
{
	(void)state;
	uint8_t body[64];
	char text[256];
	size_t len = body_of(ID_FQDN, "east.example.com", body);
	assert_false(id_from_wire(body, 3, text, sizeof(text)));		/* no room for the header */
	assert_false(id_from_wire(body, len, text, len - 3));			/* "@" + data + NUL do not fit */
	assert_true(id_from_wire(body, len, text, len - 2));
	assert_string_equal(text, "@east.example.com");
	len = body_of(ID_IPV4_ADDR, "abc", body);
	assert_false(id_from_wire(body, len, text, sizeof(text)));		/* 3 octets is no IPv4 address */
	body[0] = 11;								/* ID_KEY_ID */
	assert_false(id_from_wire(body, len, text, sizeof(text)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_from_wire_keeps_the_type),
		cmocka_unit_test(test_from_wire_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
