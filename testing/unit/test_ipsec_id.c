/* test_ipsec_id.c: the ids of leftid=/rightid= and ipsec.secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "ipsec_id.h"

static void test_classify(void **state)
{
	(void)state;
	static const struct { const char *id; enum id_kind kind; } cases[] = {
		{ "%any", ID_KIND_ANY },
		{ "192.0.2.1", ID_KIND_ADDRESS },
		{ "2001:db8::1", ID_KIND_ADDRESS },
		{ "@east.example.com", ID_KIND_FQDN },
		{ "@192.0.2.1", ID_KIND_FQDN },		/* '@' forces a name */
		{ "road@example.com", ID_KIND_USER_FQDN },
		{ "", ID_KIND_INVALID },
		{ "@", ID_KIND_INVALID },
		{ "@#0123", ID_KIND_INVALID },
		{ "@~3082", ID_KIND_INVALID },
		{ "@[raw]", ID_KIND_INVALID },
		{ "@a@b", ID_KIND_INVALID },
		{ "user@", ID_KIND_INVALID },
		{ "a@b@c", ID_KIND_INVALID },
		{ "%fromcert", ID_KIND_FROMCERT },
		{ "%any6", ID_KIND_INVALID },
		{ "C=US, O=Example", ID_KIND_DN },
		{ "CN=east", ID_KIND_DN },
		{ "CN = east", ID_KIND_DN },
		{ "E=road@example.com, CN=road", ID_KIND_DN },	/* a DN, though it holds '@' */
		{ "2.5.4.3=east", ID_KIND_INVALID },		/* an OID type needs NSS's OID. prefix */
		{ "=east", ID_KIND_INVALID },
		{ "a=b=c@d", ID_KIND_DN },
		{ "east=", ID_KIND_DN },			/* an empty value: NSS decides at --add */
		{ "@CN=east", ID_KIND_INVALID },
		{ "east.example.com", ID_KIND_INVALID },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		enum id_kind k = id_classify(cases[i].id, &why);
		if (k != cases[i].kind)
			fail_msg("'%s': kind %d, not %d", cases[i].id, k, cases[i].kind);
		if (k == ID_KIND_INVALID)
			assert_non_null(why);
	}
	assert_int_equal(id_classify(NULL, NULL), ID_KIND_INVALID);
}

static void test_reasons(void **state)
{
	(void)state;
	const char *why;
	id_classify("%fromcrt", &why);
	assert_non_null(strstr(why, "%fromcert"));
	id_classify("vpn.example.com", &why);
	assert_non_null(strstr(why, "@name"));
	id_classify("=x", &why);
	assert_non_null(strstr(why, "DN id starts with an attribute"));
}

static void test_dn_eq(void **state)
{
	(void)state;
	assert_true(id_eq("CN=east,O=Example,C=CA", "CN=east, O=Example, C=CA"));
	assert_true(id_eq("cn=East , o=example", "CN=east,O=Example"));
	assert_true(id_eq("CN=a+UID=b", "CN=a + UID=b"));
	assert_false(id_eq("CN=east,O=Example", "O=Example,CN=east"));	/* the order counts */
	assert_false(id_eq("CN=east", "CN=eas t"));			/* inner spaces count */
	assert_false(id_eq("CN=a\\,b", "CN=a,b"));			/* an escaped ',' is no separator */
	assert_true(id_eq("CN=a\\, b", "CN=a\\, b"));
	assert_false(id_eq("CN=a\\, b", "CN=a\\,b"));		/* ... so the space after it counts */
	assert_false(id_eq("CN=east", "CN=east,O=x"));
	assert_false(id_eq("CN=east", "@east"));
	assert_true(id_eq("%fromcert", "%fromcert"));
	assert_false(id_eq("%fromcert", "%any"));
}

static void test_eq(void **state)
{
	(void)state;
	assert_true(id_eq("2001:db8::1", "2001:DB8:0::1"));
	assert_true(id_eq("192.0.2.1", "192.0.2.1"));
	assert_false(id_eq("192.0.2.1", "192.0.2.2"));
	assert_true(id_eq("@East.Example.COM", "@east.example.com"));
	assert_true(id_eq("Road@Example.com", "road@example.com"));
	assert_true(id_eq("%any", "%any"));
	assert_false(id_eq("%any", "@east"));
	assert_false(id_eq("@192.0.2.1", "192.0.2.1"));	/* a name is not an address */
	assert_false(id_eq("@east", "east@"));
	assert_false(id_eq("bad id", "bad id"));
	assert_false(id_eq(NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_eq),
		cmocka_unit_test(test_dn_eq),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
