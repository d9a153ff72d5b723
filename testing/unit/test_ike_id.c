/* test_ike_id.c: identities between text and the ID payload body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <nss.h>
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

/* A DER header (tag, length in its shortest form) at p; its size. */
static size_t der_header(uint8_t *p, uint8_t tag, size_t len)
{
	p[0] = tag;
	if (len < 0x80) {
		p[1] = (uint8_t)len;
		return 2;
	}
	if (len < 0x100) {
		p[1] = 0x81;
		p[2] = (uint8_t)len;
		return 3;
	}
	p[1] = 0x82;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	return 4;
}

/* The ID_DER_ASN1_DN body of CN=east,O=<o> (o a UTF8String); its length. */
static size_t dn_body(const uint8_t *o, size_t olen, uint8_t *body)
{
	static const uint8_t cn[] = { 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03,
				      0x0c, 0x04, 'e', 'a', 's', 't' };
	static const uint8_t o_oid[] = { 0x06, 0x03, 0x55, 0x04, 0x0a };
	uint8_t value[300], ava[300], rdn[300];
	size_t v = der_header(value, 0x0c, olen);
	memcpy(value + v, o, olen);
	v += olen;
	size_t a = der_header(ava, 0x30, sizeof(o_oid) + v);
	memcpy(ava + a, o_oid, sizeof(o_oid));
	memcpy(ava + a + sizeof(o_oid), value, v);
	a += sizeof(o_oid) + v;
	size_t r = der_header(rdn, 0x31, a);
	memcpy(rdn + r, ava, a);
	r += a;
	body[0] = ID_DER_ASN1_DN;
	body[1] = body[2] = body[3] = 0;
	size_t n = 4 + der_header(body + 4, 0x30, sizeof(cn) + r);
	memcpy(body + n, cn, sizeof(cn));
	memcpy(body + n + sizeof(cn), rdn, r);
	return n + sizeof(cn) + r;
}

/* NSS shortens a value whose text runs past 128 octets to "...": two
 * DNs that differ only after that must not read as one id, so a DN whose
 * text does not name it exactly is refused. (A control octet's text is
 * three: "\01".) */
static void test_from_wire_refuses_a_dn_its_text_would_shorten(void **state)
{
	(void)state;
	uint8_t o[136], body[400];
	char text[IKE_ID_TEXT_MAX];
	memset(o, 'B', 124);
	o[124] = 0x01;
	memset(o + 125, 'X', 11);
	size_t len = dn_body(o, sizeof(o), body);
	if (id_from_wire(body, len, text, sizeof(text)))
		fail_msg("a DN NSS shortens was read as '%s'", text);
	memset(o + 125, 'Y', 11);	/* the other DN that would have read the same */
	len = dn_body(o, sizeof(o), body);
	assert_false(id_from_wire(body, len, text, sizeof(text)));
	/* a DN whose text stays under the limit is read, to its last octet
	 * (NSS writes the last RDN first) */
	len = dn_body(o + 24, sizeof(o) - 24, body);
	assert_true(id_from_wire(body, len, text, sizeof(text)));
	char expect[IKE_ID_TEXT_MAX];
	snprintf(expect, sizeof(expect), "O=%.100s\\01YYYYYYYYYYY,CN=east", (const char *)o + 24);
	assert_string_equal(text, expect);
}

static int nss_up(void **state)
{
	(void)state;
	return NSS_NoDB_Init(NULL) == SECSuccess ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_from_wire_keeps_the_type),
		cmocka_unit_test(test_from_wire_refuses),
		cmocka_unit_test(test_from_wire_refuses_a_dn_its_text_would_shorten),
	};
	return cmocka_run_group_tests(tests, nss_up, NULL);
}
