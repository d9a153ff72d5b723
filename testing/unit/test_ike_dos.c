/* Unit tests of what an IKE_SA_INIT from anyone may cost (ike_dos.c):
 * when a cookie is asked for, which cookies are taken, and the caps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ike_crypto.h"
#include "ike_dos.h"

static const uint8_t spi[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static uint8_t nonce[32];
static ip_address peer, other;
static struct config_setup setup;

static int reset(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	if (!ike_crypto_init(&d))
		return -1;
	ike_dos_reset();
	config_setup_defaults(&setup);
	ike_dos_configure(&setup);
	memset(nonce, 0x42, sizeof(nonce));
	address_parse("198.51.100.7", &peer);
	address_parse("198.51.100.8", &other);
	return 0;
}

static int done(void **state)
{
	(void)state;
	ike_dos_reset();
	ike_crypto_shutdown();
	return 0;
}

static enum ike_dos_verdict admit(const ip_address *from, const uint8_t *cookie, size_t len, time_t now)
{
	bool verified;
	return ike_dos_admit(from, spi, nonce, sizeof(nonce), cookie, len, now, &verified);
}

static void test_cookies_only_under_load_in_auto_mode(void **state)
{
	(void)state;
	setup.ddos_ike_threshold = 3;
	setup.max_halfopen_ike_per_peer = 100;
	ike_dos_configure(&setup);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(admit(&peer, NULL, 0, 1000), IKE_DOS_ADMIT);
		ike_dos_halfopen_add(&peer, false);
	}
	assert_int_equal(admit(&peer, NULL, 0, 1000), IKE_DOS_SEND_COOKIE);
	ike_dos_halfopen_del(&peer, false);
	assert_int_equal(admit(&peer, NULL, 0, 1000), IKE_DOS_ADMIT);
}

/* A flood keeps cookies asked for while its half-open SAs expire; they
 * stop being asked for once the flood has been over for a while. */
static void test_a_flood_keeps_cookies_on_until_it_is_over(void **state)
{
	(void)state;
	setup.ddos_ike_threshold = 3;
	setup.halfopen_ike_timeout = 10;
	setup.max_halfopen_ike_per_peer = 100;
	ike_dos_configure(&setup);
	time_t t = 1000;
	for (int i = 0; i < 3; i++)
		ike_dos_halfopen_add(&peer, false);
	for (int i = 0; i < 3; i++)
		assert_int_equal(admit(&other, NULL, 0, t), IKE_DOS_SEND_COOKIE);
	for (int i = 0; i < 3; i++)
		ike_dos_halfopen_del(&peer, false);
	t += 10;				/* the half-open SAs have expired */
	assert_true(ike_dos_busy(t));
	assert_int_equal(admit(&other, NULL, 0, t), IKE_DOS_SEND_COOKIE);
	t += 25;				/* two quiet windows */
	assert_false(ike_dos_busy(t));
	assert_int_equal(admit(&other, NULL, 0, t), IKE_DOS_ADMIT);
}

static void test_busy_always_and_unlimited_never(void **state)
{
	(void)state;
	setup.ddos_mode = DDOS_BUSY;
	ike_dos_configure(&setup);
	assert_int_equal(admit(&peer, NULL, 0, 1000), IKE_DOS_SEND_COOKIE);
	setup.ddos_mode = DDOS_UNLIMITED;
	setup.ddos_ike_threshold = 1;
	ike_dos_configure(&setup);
	ike_dos_halfopen_add(&peer, false);
	assert_int_equal(admit(&other, NULL, 0, 1000), IKE_DOS_ADMIT);
}

static void test_a_cookie_is_bound_to_nonce_address_and_spi(void **state)
{
	(void)state;
	setup.ddos_mode = DDOS_BUSY;
	ike_dos_configure(&setup);
	uint8_t cookie[IKE_COOKIE_LEN];
	assert_true(ike_dos_make_cookie(&peer, spi, nonce, sizeof(nonce), 1000, cookie));
	assert_int_equal(admit(&peer, cookie, sizeof(cookie), 1000), IKE_DOS_ADMIT);
	/* from elsewhere, for another SPI, with another nonce, or cut short */
	assert_int_equal(admit(&other, cookie, sizeof(cookie), 1000), IKE_DOS_SEND_COOKIE);
	uint8_t spi2[8] = { 9 };
	bool verified;
	assert_int_equal(ike_dos_admit(&peer, spi2, nonce, sizeof(nonce), cookie, sizeof(cookie), 1000, &verified),
			 IKE_DOS_SEND_COOKIE);
	assert_false(verified);
	nonce[0] ^= 1;
	assert_int_equal(admit(&peer, cookie, sizeof(cookie), 1000), IKE_DOS_SEND_COOKIE);
	nonce[0] ^= 1;
	assert_int_equal(admit(&peer, cookie, sizeof(cookie) - 1, 1000), IKE_DOS_SEND_COOKIE);
	cookie[IKE_COOKIE_LEN - 1] ^= 1;
	assert_int_equal(admit(&peer, cookie, sizeof(cookie), 1000), IKE_DOS_SEND_COOKIE);
}

static void test_a_cookie_outlives_one_change_of_secret_not_two(void **state)
{
	(void)state;
	setup.ddos_mode = DDOS_BUSY;
	ike_dos_configure(&setup);
	uint8_t cookie[IKE_COOKIE_LEN];
	time_t t = 1000;
	assert_true(ike_dos_make_cookie(&peer, spi, nonce, sizeof(nonce), t, cookie));
	t += IKE_COOKIE_SECRET_LIFETIME_S;	/* a new secret */
	assert_int_equal(admit(&peer, cookie, sizeof(cookie), t), IKE_DOS_ADMIT);
	t += IKE_COOKIE_SECRET_LIFETIME_S;	/* and another */
	assert_int_equal(admit(&peer, cookie, sizeof(cookie), t), IKE_DOS_SEND_COOKIE);
}

/* Whoever forges a peer's address can fill only the half of its share
 * that needs no cookie; the real peer returns the cookie and gets in. */
static void test_a_forger_cannot_lock_out_the_peer(void **state)
{
	(void)state;
	setup.max_halfopen_ike_per_peer = 4;
	ike_dos_configure(&setup);
	uint8_t cookie[IKE_COOKIE_LEN];
	assert_true(ike_dos_make_cookie(&peer, spi, nonce, sizeof(nonce), 1000, cookie));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(admit(&peer, NULL, 0, 1000), IKE_DOS_ADMIT);
		ike_dos_halfopen_add(&peer, false);
	}
	assert_int_equal(admit(&peer, NULL, 0, 1000), IKE_DOS_SEND_COOKIE);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(admit(&peer, cookie, sizeof(cookie), 1000), IKE_DOS_ADMIT);
		ike_dos_halfopen_add(&peer, true);
	}
	assert_int_equal(admit(&peer, cookie, sizeof(cookie), 1000), IKE_DOS_DROP_PEER);
	assert_int_equal(ike_dos_halfopen_of(&peer), 6);
	ike_dos_halfopen_del(&peer, true);
	assert_int_equal(admit(&peer, cookie, sizeof(cookie), 1000), IKE_DOS_ADMIT);
}

static void test_caps_without_cookies_and_in_all(void **state)
{
	(void)state;
	setup.max_halfopen_ike_per_peer = 2;
	setup.max_halfopen_ike = 3;
	setup.ddos_mode = DDOS_UNLIMITED;
	ike_dos_configure(&setup);
	ike_dos_halfopen_add(&peer, false);
	ike_dos_halfopen_add(&peer, false);
	assert_int_equal(admit(&peer, NULL, 0, 1000), IKE_DOS_DROP_PEER);
	assert_int_equal(admit(&other, NULL, 0, 1000), IKE_DOS_ADMIT);
	ike_dos_halfopen_add(&other, false);
	assert_int_equal(admit(&other, NULL, 0, 1000), IKE_DOS_DROP_TOTAL);
	assert_int_equal(ike_dos_halfopen_total(), 3);
	assert_int_equal(ike_dos_halfopen_of(&peer), 2);
	ike_dos_halfopen_del(&peer, false);
	ike_dos_halfopen_del(&peer, false);
	assert_int_equal(ike_dos_halfopen_of(&peer), 0);
	assert_int_equal(admit(&peer, NULL, 0, 1000), IKE_DOS_ADMIT);
}

/* One host can be given a whole IPv6 /64: it counts as one peer. */
static void test_an_ipv6_64_is_one_peer(void **state)
{
	(void)state;
	ip_address a, b, c;
	address_parse("2001:db8:1:2::1", &a);
	address_parse("2001:db8:1:2:ffff::9", &b);
	address_parse("2001:db8:1:3::1", &c);
	ike_dos_halfopen_add(&a, false);
	ike_dos_halfopen_add(&b, false);
	assert_int_equal(ike_dos_halfopen_of(&a), 2);
	assert_int_equal(ike_dos_halfopen_of(&b), 2);
	assert_int_equal(ike_dos_halfopen_of(&c), 0);
	ike_dos_halfopen_del(&a, false);
	ike_dos_halfopen_del(&b, false);
	assert_int_equal(ike_dos_halfopen_total(), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, reset, done)
	const struct CMUnitTest tests[] = {
		T(test_cookies_only_under_load_in_auto_mode),
		T(test_a_flood_keeps_cookies_on_until_it_is_over),
		T(test_busy_always_and_unlimited_never),
		T(test_a_cookie_is_bound_to_nonce_address_and_spi),
		T(test_a_cookie_outlives_one_change_of_secret_not_two),
		T(test_a_forger_cannot_lock_out_the_peer),
		T(test_caps_without_cookies_and_in_all),
		T(test_an_ipv6_64_is_one_peer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
