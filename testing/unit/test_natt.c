/* Unit tests of NAT traversal (natt.h): the NAT_DETECTION hashes and what
 * they show, malformed notifies, the port-4500 framing, and, with two ends
 * in one process behind a NAT the wire plays (ike_harness.h), detection
 * in both roles, the float to port 4500, the encapsulation of the SAs,
 * encapsulation=yes/no, keepalives and their timing, a new NAT mapping
 * followed, and offload for SAs that go in UDP. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ike_harness.h"
#include "child_sa.h"
#include "natt.h"

#define WEST "192.0.2.1"
#define EAST "192.0.2.2"
#define PUBLIC "198.51.100.1"	/* what the NAT makes of west */

static const char secrets[] = "@west @east : PSK \"harness secret, not a real one\"\n";

/* west behind the NAT; east knows it as PUBLIC. WEST_EXTRA and
 * EAST_EXTRA are more lines of each conn, SETUP of config setup. */
static bool start_nat(const char *setup, const char *west_extra, const char *east_extra)
{
	static char conf[2048];
	snprintf(conf, sizeof(conf),
		 "config setup\n%s"
		 "conn west\n\tleft=" WEST "\n\tleftid=@west\n\tright=" EAST "\n\trightid=@east\n"
		 "\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n%s"
		 "conn east\n\tleft=" EAST "\n\tleftid=@east\n\tright=" PUBLIC "\n\trightsubnet=" WEST "/32\n"
		 "\trightid=@west\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n%s",
		 setup, west_extra, east_extra);
	ikev2_nonce_len = 32;
	return harness_start(conf, secrets);
}

static int stop(void **state)
{
	(void)state;
	harness_stop();
	return 0;
}

static ip_address addr(const char *s)
{
	ip_address a;
	assert_true(address_parse(s, &a));
	return a;
}

/* ---- the NAT on the wire ---- */

static struct {
	bool on;
	uint16_t port500, port4500;	/* west's ports as the NAT maps them */
	unsigned keepalives_west, keepalives_east;	/* seen on the wire */
	unsigned marked_from_4500;	/* IKE messages behind the marker */
} nat;

static bool nat_filter(struct wire_msg *m, void *arg)
{
	(void)arg;
	ip_address west = addr(WEST), pub = addr(PUBLIC);
	if (m->len == 1 && m->buf[0] == NATT_KEEPALIVE_BYTE)
		(address_eq(&m->from, &west) ? &nat.keepalives_west : &nat.keepalives_east)[0]++;
	else if (m->from_port == IKE_NATT_PORT && m->len > 4 && memcmp(m->buf, "\0\0\0\0", 4) == 0)
		nat.marked_from_4500++;
	if (!nat.on)
		return true;
	if (address_eq(&m->from, &west)) {
		m->from = pub;
		m->from_port = m->from_port == IKE_PORT ? nat.port500 : nat.port4500;
	} else if (address_eq(&m->to, &pub)) {
		if (m->to_port != nat.port500 && m->to_port != nat.port4500)
			return false;	/* a mapping the NAT has forgotten */
		m->to = west;
		m->to_port = m->to_port == nat.port500 ? IKE_PORT : IKE_NATT_PORT;
	}
	return true;
}

static void nat_on(void)
{
	nat = (typeof(nat)){ .on = true, .port500 = 1500, .port4500 = 14500 };
	wire.filter = nat_filter;
}

/* The SA to dst with spi of the end whose child has reqid (both ends'
 * SAs are in the one kernel double). */
static const struct double_sa *kernel_sa(const char *dst, uint32_t spi, uint32_t reqid)
{
	ip_address a = addr(dst);
	for (size_t i = 0; i < dbl.nsas; i++) {
		if (dbl.sas[i].spi == spi && dbl.sas[i].reqid == reqid && address_eq(&dbl.sas[i].dst, &a))
			return &dbl.sas[i];
	}
	fail_msg("no SA 0x%08x to %s in the kernel double", spi, dst);
	return NULL;
}

static void up(void)
{
	ikev2_initiate(conn_find("west"), 0);
	wire_pump(16);
	struct ike_sa *w = harness_sa("west", true), *e = harness_sa("east", false);
	assert_non_null(w);
	assert_non_null(e);
	assert_int_equal(w->state, IKE_ESTABLISHED);
	assert_int_equal(e->state, IKE_ESTABLISHED);
	assert_true(w->tunnels[0].child.installed);
	assert_true(e->tunnels[0].child.installed);
}

/* ---- the hashes ---- */

static void test_nat_d_hash_known_answers(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	assert_true(ike_crypto_init(&d));
	/* SHA-1 over SPIi | SPIr | address | port, computed apart (hashlib). */
	static const uint8_t spi_i[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, zero[8] = { 0 },
			     spi_r[8] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8 };
	static const uint8_t v4[20] = { 0x64, 0x4b, 0x45, 0x75, 0x45, 0x5b, 0xd6, 0xfc, 0xc1, 0xef,
					0xe2, 0xbe, 0x81, 0x62, 0xa9, 0x21, 0x8e, 0x44, 0x8e, 0x5f };
	static const uint8_t v6[20] = { 0x89, 0x43, 0x1a, 0x19, 0xbf, 0x9e, 0xe1, 0x28, 0xc0, 0x5d,
					0x18, 0x51, 0x9a, 0x5a, 0x5b, 0xb2, 0x62, 0x23, 0xa7, 0xd3 };
	uint8_t h[NATT_HASH_LEN];
	ip_address a = addr(WEST);
	assert_true(natt_hash(spi_i, zero, &a, 500, h));
	assert_memory_equal(h, v4, sizeof(v4));
	a = addr("2001:db8::2");
	assert_true(natt_hash(spi_i, spi_r, &a, 4500, h));
	assert_memory_equal(h, v6, sizeof(v6));
	ike_crypto_shutdown();
}

/* A message with our notifies, sent from WEST:500 to EAST:500, parsed. */
static void notified(bool fake, uint8_t *buf, size_t cap, struct ikev2_msg *m)
{
	static const uint8_t spi_i[8] = { 9, 9, 9, 9, 9, 9, 9, 9 }, zero[8] = { 0 };
	struct ikev2_hdr h = { .version = IKEV2_VERSION, .exchange = IKE_SA_INIT, .flags = IKEV2_FLAG_INITIATOR };
	memcpy(h.spi_i, spi_i, 8);
	struct ikev2_builder b;
	ikev2_begin(&b, buf, cap, &h);
	ip_address w = addr(WEST), e = addr(EAST);
	natt_add_notifies(&b, spi_i, zero, &w, IKE_PORT, &e, IKE_PORT, fake);
	size_t n = ikev2_finish(&b);
	assert_int_not_equal(n, 0);
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse(buf, n, m, &d));
}

static void read_as(const struct ikev2_msg *m, const char *local, uint16_t lport, const char *remote, uint16_t rport,
		    struct natt_seen *seen)
{
	static const uint8_t spi_i[8] = { 9, 9, 9, 9, 9, 9, 9, 9 }, zero[8] = { 0 };
	ip_address l = addr(local), r = addr(remote);
	struct diag d;
	diag_init(&d);
	assert_true(natt_read(m, spi_i, zero, &l, lport, &r, rport, seen, &d));
}

static void test_detection_sees_what_the_nat_changed(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	assert_true(ike_crypto_init(&d));
	static uint8_t buf[512];
	struct ikev2_msg m;
	struct natt_seen seen;
	notified(false, buf, sizeof(buf), &m);
	read_as(&m, EAST, IKE_PORT, WEST, IKE_PORT, &seen);
	assert_true(seen.present);
	assert_false(seen.we_behind);
	assert_false(seen.peer_behind);
	/* the source translated: the sender is behind NAT */
	read_as(&m, EAST, IKE_PORT, PUBLIC, 1500, &seen);
	assert_true(seen.peer_behind);
	assert_false(seen.we_behind);
	/* only the port translated: still NAT */
	read_as(&m, EAST, IKE_PORT, WEST, 1500, &seen);
	assert_true(seen.peer_behind);
	/* it was sent to another address than ours: we are behind NAT */
	read_as(&m, "10.0.0.2", IKE_PORT, WEST, IKE_PORT, &seen);
	assert_true(seen.we_behind);
	assert_false(seen.peer_behind);
	/* encapsulation=yes: a source hash that nothing matches */
	notified(true, buf, sizeof(buf), &m);
	read_as(&m, EAST, IKE_PORT, WEST, IKE_PORT, &seen);
	assert_true(seen.peer_behind);
	assert_false(seen.we_behind);
	/* no notifies: the peer does not do NAT-T */
	struct ikev2_hdr h = { .version = IKEV2_VERSION, .exchange = IKE_SA_INIT };
	struct ikev2_builder b;
	ikev2_begin(&b, buf, sizeof(buf), &h);
	ikev2_add(&b, PT_NONCE, "0123456789abcdef", 16);
	size_t n = ikev2_finish(&b);
	assert_true(ikev2_parse(buf, n, &m, &d));
	read_as(&m, EAST, IKE_PORT, PUBLIC, 1500, &seen);
	assert_false(seen.present);
	assert_false(seen.peer_behind);
	ike_crypto_shutdown();
}

/* A message carrying the notifies given (type, data length). */
static bool read_notifies(const uint16_t *types, const size_t *lens, size_t k, struct diag *d)
{
	static const uint8_t spi[8] = { 9, 9, 9, 9, 9, 9, 9, 9 }, zero[8] = { 0 }, data[64] = { 0 };
	static uint8_t buf[1024];
	struct ikev2_hdr h = { .version = IKEV2_VERSION, .exchange = IKE_SA_INIT };
	struct ikev2_builder b;
	ikev2_begin(&b, buf, sizeof(buf), &h);
	for (size_t i = 0; i < k; i++)
		ikev2_add_notify(&b, 0, NULL, 0, types[i], data, lens[i]);
	size_t n = ikev2_finish(&b);
	struct ikev2_msg m;
	struct diag pd;
	diag_init(&pd);
	assert_true(ikev2_parse(buf, n, &m, &pd));
	ip_address l = addr(EAST), r = addr(WEST);
	struct natt_seen seen;
	return natt_read(&m, spi, zero, &l, 500, &r, 500, &seen, d);
}

static void test_malformed_notifies_are_refused_with_a_reason(void **state)
{
	(void)state;
	struct diag d;
	diag_init(&d);
	assert_true(ike_crypto_init(&d));
	const uint16_t S = N_NAT_DETECTION_SOURCE_IP, D = N_NAT_DETECTION_DESTINATION_IP;
	static const struct {
		uint16_t types[3];
		size_t lens[3];
		size_t k;
		const char *why;
	} cases[] = {
		{ { S, D }, { 19, 20 }, 2, "19 bytes of data, not a 20-byte hash" },
		{ { S, D }, { 20, 0 }, 2, "0 bytes of data" },
		{ { S, D, D }, { 20, 20, 20 }, 3, "2 NAT_DETECTION_DESTINATION_IP notifies" },
		{ { S }, { 20 }, 1, "NAT_DETECTION_SOURCE_IP without NAT_DETECTION_DESTINATION_IP" },
		{ { D }, { 20 }, 1, "NAT_DETECTION_DESTINATION_IP without NAT_DETECTION_SOURCE_IP" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		diag_init(&d);
		assert_false(read_notifies(cases[i].types, cases[i].lens, cases[i].k, &d));
		if (strstr(d.text, cases[i].why) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, d.text, cases[i].why);
	}
	/* several source hashes are allowed (2.23): a host with several addresses */
	const uint16_t ok_types[] = { S, S, D };
	const size_t ok_lens[] = { 20, 20, 20 };
	diag_init(&d);
	assert_true(read_notifies(ok_types, ok_lens, 3, &d));
	ike_crypto_shutdown();
}

/* An IKE_SA_INIT request whose source notify was changed into another
 * kind: dropped, no SA made, nothing sent back. */
static void test_a_malformed_nat_d_in_a_request_is_dropped(void **state)
{
	(void)state;
	assert_true(start_nat("", "", ""));
	nat_on();
	ikev2_initiate(conn_find("west"), 0);
	static struct wire_msg m;
	assert_true(wire_take(&m));
	assert_true(nat_filter(&m, NULL));
	struct ikev2_msg parsed;
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse(m.buf, m.len, &parsed, &d));
	bool changed = false;
	for (size_t i = 0; i < parsed.n && !changed; i++) {
		struct ikev2_notify n;
		if (parsed.p[i].type == PT_NOTIFY && ikev2_parse_notify(&parsed.p[i], &n, &d) &&
		    n.type == N_NAT_DETECTION_SOURCE_IP) {
			uint8_t *type = (uint8_t *)parsed.p[i].body + 2;	/* protocol, SPI size, type */
			type[0] = (uint8_t)(N_NON_FIRST_FRAGMENTS_ALSO >> 8);
			type[1] = (uint8_t)N_NON_FIRST_FRAGMENTS_ALSO;
			changed = true;
		}
	}
	assert_true(changed);
	wire_deliver(&m);
	struct wire_msg answer;
	assert_false(wire_take(&answer));
	assert_null(harness_sa("east", false));
}

/* ---- the port-4500 framing ---- */

static void test_the_non_esp_marker_and_keepalives_on_port_4500(void **state)
{
	(void)state;
	uint8_t buf[64] = { 0, 0, 0, 0, 0x11, 0x22 };
	uint8_t *p = buf;
	size_t len = 6;
	assert_int_equal(natt_unframe(&p, &len, IKE_NATT_PORT), NATT_FRAME_IKE);
	assert_ptr_equal(p, buf + 4);
	assert_int_equal(len, 2);
	p = buf, len = 6;
	assert_int_equal(natt_unframe(&p, &len, IKE_PORT), NATT_FRAME_IKE);	/* port 500: as it is */
	assert_ptr_equal(p, buf);
	assert_int_equal(len, 6);
	uint8_t ka = NATT_KEEPALIVE_BYTE;
	p = &ka, len = 1;
	assert_int_equal(natt_unframe(&p, &len, IKE_NATT_PORT), NATT_FRAME_KEEPALIVE);
	uint8_t esp[8] = { 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1 };	/* an SPI: ESP, not IKE */
	p = esp, len = sizeof(esp);
	assert_int_equal(natt_unframe(&p, &len, IKE_NATT_PORT), NATT_FRAME_BAD);
	p = buf, len = 4;	/* a marker and nothing behind it */
	assert_int_equal(natt_unframe(&p, &len, IKE_NATT_PORT), NATT_FRAME_BAD);
	p = buf, len = 0;
	assert_int_equal(natt_unframe(&p, &len, IKE_NATT_PORT), NATT_FRAME_BAD);
	/* and such a datagram reaching pluto is dropped without a crash */
	ikev2_receive(esp, sizeof(esp), &(ip_address){ .family = AF_INET }, IKE_NATT_PORT,
		      &(ip_address){ .family = AF_INET }, 4500);
	ikev2_receive(buf, 3, &(ip_address){ .family = AF_INET }, IKE_NATT_PORT, &(ip_address){ .family = AF_INET }, 4500);
}

/* ---- two ends through a NAT ---- */

static void test_behind_nat_both_roles_detect_float_and_encapsulate(void **state)
{
	(void)state;
	assert_true(start_nat("", "", ""));
	nat_on();
	up();
	struct ike_sa *w = harness_sa("west", true), *e = harness_sa("east", false);
	assert_true(w->natt.negotiated && e->natt.negotiated);
	assert_true(w->natt.we_behind);
	assert_false(w->natt.peer_behind);
	assert_true(e->natt.peer_behind);
	assert_false(e->natt.we_behind);
	assert_true(w->natt.encap && e->natt.encap);
	/* the initiator floated; the responder follows where IKE_AUTH came from */
	assert_int_equal(w->local_port, IKE_NATT_PORT);
	assert_int_equal(w->remote_port, IKE_NATT_PORT);
	assert_int_equal(e->local_port, IKE_NATT_PORT);
	assert_int_equal(e->remote_port, nat.port4500);
	/* IKE_AUTH both ways went behind the marker */
	assert_true(nat.marked_from_4500 >= 2);
	/* ESP in UDP between those ports, both ways on both ends */
	const struct double_sa *w_out = kernel_sa(EAST, w->tunnels[0].child.spi_out, w->tunnels[0].child.reqid), *w_in = kernel_sa(WEST, w->tunnels[0].child.spi_in, w->tunnels[0].child.reqid);
	const struct double_sa *e_out = kernel_sa(PUBLIC, e->tunnels[0].child.spi_out, e->tunnels[0].child.reqid), *e_in = kernel_sa(EAST, e->tunnels[0].child.spi_in, e->tunnels[0].child.reqid);
	assert_true(w_out->encap && w_in->encap && e_out->encap && e_in->encap);
	assert_int_equal(w_out->encap_sport, 4500);
	assert_int_equal(w_out->encap_dport, 4500);
	assert_int_equal(w_in->encap_sport, 4500);
	assert_int_equal(w_in->encap_dport, 4500);
	assert_int_equal(e_out->encap_sport, 4500);
	assert_int_equal(e_out->encap_dport, nat.port4500);
	assert_int_equal(e_in->encap_sport, nat.port4500);
	assert_int_equal(e_in->encap_dport, 4500);
	char status[160];
	assert_string_equal(natt_status(w, status, sizeof(status)),
			    "NAT-T: this end is behind NAT; IKE on port 4500 to 4500, ESP in UDP");
}

static void test_without_nat_nothing_moves_or_is_encapsulated(void **state)
{
	(void)state;
	static const char conf[] =
		"conn west\n\tleft=" WEST "\n\tleftid=@west\n\tright=" EAST "\n\trightid=@east\n\tauthby=secret\n\tauto=add\n"
		"conn east\n\tleft=" EAST "\n\tleftid=@east\n\tright=" WEST "\n\trightid=@west\n\tauthby=secret\n\tauto=add\n";
	assert_true(harness_start(conf, secrets));
	nat = (typeof(nat)){0};
	wire.filter = nat_filter;
	up();
	struct ike_sa *w = harness_sa("west", true), *e = harness_sa("east", false);
	assert_true(w->natt.negotiated && e->natt.negotiated);
	assert_false(w->natt.encap || e->natt.encap || w->natt.we_behind || e->natt.peer_behind);
	assert_int_equal(w->local_port, IKE_PORT);
	assert_int_equal(e->remote_port, IKE_PORT);
	assert_int_equal(nat.marked_from_4500, 0);
	assert_false(kernel_sa(EAST, w->tunnels[0].child.spi_out, w->tunnels[0].child.reqid)->encap);
	assert_false(kernel_sa(WEST, e->tunnels[0].child.spi_out, e->tunnels[0].child.reqid)->encap);
}

static void test_encapsulation_yes_encapsulates_without_nat(void **state)
{
	(void)state;
	static const char conf[] =
		"conn west\n\tleft=" WEST "\n\tleftid=@west\n\tright=" EAST "\n\trightid=@east\n\tauthby=secret\n"
		"\tencapsulation=yes\n\tauto=add\n"
		"conn east\n\tleft=" EAST "\n\tleftid=@east\n\tright=" WEST "\n\trightid=@west\n\tauthby=secret\n\tauto=add\n";
	assert_true(harness_start(conf, secrets));
	up();
	struct ike_sa *w = harness_sa("west", true), *e = harness_sa("east", false);
	/* west's source hash matches nothing, so east thinks it behind NAT */
	assert_true(e->natt.peer_behind);
	assert_true(w->natt.encap && e->natt.encap);
	assert_int_equal(w->local_port, IKE_NATT_PORT);
	assert_int_equal(e->local_port, IKE_NATT_PORT);
	assert_true(kernel_sa(EAST, w->tunnels[0].child.spi_out, w->tunnels[0].child.reqid)->encap);
	assert_true(kernel_sa(WEST, e->tunnels[0].child.spi_out, e->tunnels[0].child.reqid)->encap);
}

static bool has_nat_d(const struct wire_msg *m)
{
	struct ikev2_msg parsed;
	struct ikev2_notify n;
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse(m->buf, m->len, &parsed, &d));
	for (size_t i = 0; i < parsed.n; i++) {
		if (parsed.p[i].type == PT_NOTIFY && ikev2_parse_notify(&parsed.p[i], &n, &d) &&
		    (n.type == N_NAT_DETECTION_SOURCE_IP || n.type == N_NAT_DETECTION_DESTINATION_IP))
			return true;
	}
	return false;
}

static void test_encapsulation_no_sends_no_notifies_and_never_encapsulates(void **state)
{
	(void)state;
	assert_true(start_nat("", "\tencapsulation=no\n", ""));
	nat_on();
	ikev2_initiate(conn_find("west"), 0);
	static struct wire_msg m;
	assert_true(wire_take(&m));
	assert_false(has_nat_d(&m));
	assert_true(nat_filter(&m, NULL));
	wire_deliver(&m);
	assert_true(wire_take(&m));	/* east's answer carries none either */
	assert_false(has_nat_d(&m));
	assert_true(nat_filter(&m, NULL));
	wire_deliver(&m);
	wire_pump(16);
	struct ike_sa *w = harness_sa("west", true), *e = harness_sa("east", false);
	assert_int_equal(w->state, IKE_ESTABLISHED);
	assert_false(w->natt.negotiated || e->natt.negotiated || w->natt.encap || e->natt.encap);
	assert_int_equal(w->local_port, IKE_PORT);
	assert_false(kernel_sa(EAST, w->tunnels[0].child.spi_out, w->tunnels[0].child.reqid)->encap);
}

/* The event loop for two and a half seconds. */
static bool passed(void *arg)
{
	const struct timespec *start = arg;
	return ikev2_ms_since(start) >= 2500;
}

static void run_for_2500_ms(void)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_true(harness_wait(passed, &start, 4));
}

/* West has sent n keepalives since the count was reset. */
static bool keepalives(void *arg)
{
	wire_pump(16);
	return nat.keepalives_west >= *(const unsigned *)arg;
}

/* Waits for n keepalives (a busy machine only makes them late) and
 * returns the milliseconds they took. */
static long wait_for_keepalives(unsigned n)
{
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	nat.keepalives_west = nat.keepalives_east = 0;
	assert_true(harness_wait(keepalives, &n, 20));
	return ikev2_ms_since(&start);
}

/* Rekeys keep to NAT-T: the new child's SAs go in UDP between the same
 * ports, and a rekeyed IKE SA takes over the ports and the keepalives. */
static void test_rekeys_behind_nat_keep_the_encapsulation_and_keepalives(void **state)
{
	(void)state;
	assert_true(start_nat("\tkeep-alive=1\n", "", ""));
	nat_on();
	up();
	struct ike_sa *w = harness_sa("west", true), *e = harness_sa("east", false);
	uint32_t old_spi = w->tunnels[0].child.spi_out;
	assert_true(ikev2_rekey_now(e, false));	/* east rekeys the child, through the NAT */
	wire_pump(32);
	assert_int_not_equal(w->tunnels[0].child.spi_out, old_spi);
	const struct double_sa *w_out = kernel_sa(EAST, w->tunnels[0].child.spi_out, w->tunnels[0].child.reqid);
	const struct double_sa *e_out = kernel_sa(PUBLIC, e->tunnels[0].child.spi_out, e->tunnels[0].child.reqid);
	assert_true(w_out->encap && e_out->encap);
	assert_int_equal(w_out->encap_dport, 4500);
	assert_int_equal(e_out->encap_dport, nat.port4500);
	unsigned old_serial = w->serial;
	assert_true(ikev2_rekey_now(w, true));	/* west rekeys the IKE SA */
	wire_pump(32);
	struct ike_sa *nw = NULL;
	for (struct ike_sa *i = ike_sa_first(); i != NULL; i = i->next) {
		if (i->serial > old_serial && strcmp(i->c->config->name, "west") == 0)
			nw = i;
	}
	assert_non_null(nw);
	assert_true(nw->natt.encap && nw->natt.we_behind);
	assert_int_equal(nw->local_port, IKE_NATT_PORT);
	assert_int_equal(nw->remote_port, IKE_NATT_PORT);
	assert_non_null(nw->natt.keepalive);
	wait_for_keepalives(2);	/* from the new IKE SA, once the old one is gone */
}

/* ---- keepalives ---- */

static void test_keepalives_every_keep_alive_seconds_from_behind_the_nat(void **state)
{
	(void)state;
	assert_true(start_nat("\tkeep-alive=1\n", "", ""));
	nat_on();
	up();
	/* one a second: three take more than a second (a late one may be
	 * followed closely by the next, which is due on the timer's own beat) */
	assert_true(wait_for_keepalives(3) >= 1000);
	assert_int_equal(nat.keepalives_east, 0);	/* east is not behind NAT */
	/* they go from west's 4500 to east's 4500 and pluto ignores them there */
	assert_int_equal(harness_sa("east", false)->state, IKE_ESTABLISHED);
}

static void test_nat_keepalive_no_sends_none(void **state)
{
	(void)state;
	assert_true(start_nat("\tkeep-alive=1\n", "\tnat-keepalive=no\n", ""));
	nat_on();
	up();
	nat.keepalives_west = 0;
	run_for_2500_ms();
	wire_pump(16);
	assert_int_equal(nat.keepalives_west, 0);
}

/* ---- a new mapping ---- */

static bool east_moved(void *arg)
{
	wire_pump(16);
	struct ike_sa *e = harness_sa("east", false);
	return e != NULL && e->remote_port == *(uint16_t *)arg;
}

static void test_a_new_nat_mapping_is_followed_by_the_ike_sa_and_the_outbound_sa(void **state)
{
	(void)state;
	assert_true(start_nat("", "\tdpddelay=1\n", ""));
	nat_on();
	up();
	struct ike_sa *e = harness_sa("east", false);
	uint32_t spi_out = e->tunnels[0].child.spi_out, reqid = e->tunnels[0].child.reqid;
	/* the NAT forgets west's mapping: its next message (a liveness
	 * check) comes from another port */
	nat.port4500 = 24500;
	uint16_t want = 24500;
	assert_true(harness_wait(east_moved, &want, 5));
	e = harness_sa("east", false);
	assert_int_equal(e->local_port, IKE_NATT_PORT);
	const struct double_sa *out = kernel_sa(PUBLIC, spi_out, reqid);
	assert_int_equal(out->encap_sport, 4500);
	assert_int_equal(out->encap_dport, 24500);
	assert_true(dbl.sa_updates >= 1);
	/* its keys are the ones it had: only the encapsulation moved */
	{
		const struct ike_sa *w = harness_sa("west", true);
		const struct double_sa *w_in = kernel_sa(WEST, w->tunnels[0].child.spi_in, w->tunnels[0].child.reqid);
		assert_int_equal(out->keys_len, w_in->keys_len);
		assert_memory_equal(out->keys, w_in->keys, out->keys_len);
	}
	/* and east's answers reach west through the new mapping */
	assert_int_equal(harness_sa("west", true)->state, IKE_ESTABLISHED);
}

/* Only a peer behind the NAT has its port followed, and never back from
 * our port 4500 to 500 (where no socket takes ESP in UDP). */
static void test_only_a_peer_behind_nat_is_followed_and_never_off_4500(void **state)
{
	(void)state;
	assert_true(start_nat("", "", ""));
	nat_on();
	up();
	struct ike_sa *w = harness_sa("west", true), *e = harness_sa("east", false);
	/* east is not behind a NAT: west keeps sending to its 4500 */
	struct ikev2_rx rx = { .local = w->ends.local, .remote = w->ends.remote, .local_port = IKE_NATT_PORT, .port = 4501 };
	natt_follow_peer(w, &rx);
	assert_int_equal(w->remote_port, IKE_NATT_PORT);
	/* west is behind one: east follows a new port, but not to its port 500 */
	rx = (struct ikev2_rx){ .local = e->ends.local, .remote = e->ends.remote, .local_port = IKE_PORT, .port = 31000 };
	natt_follow_peer(e, &rx);
	assert_int_equal(e->local_port, IKE_NATT_PORT);
	assert_int_equal(e->remote_port, nat.port4500);
	rx.local_port = IKE_NATT_PORT;
	natt_follow_peer(e, &rx);
	assert_int_equal(e->local_port, IKE_NATT_PORT);
	assert_int_equal(e->remote_port, 31000);
}

/* ---- offload ---- */

static void test_offload_behind_nat_falls_back_with_the_reason(void **state)
{
	(void)state;
	assert_true(start_nat("", "\thw_offload=yes\n", ""));
	nat_on();
	up();
	struct ike_sa *w = harness_sa("west", true);
	assert_int_equal(w->natt.offload.mode, HW_OFFLOAD_NO);
	assert_string_equal(w->natt.offload.software_why, "NAT-T");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(w->tunnels[0].child.offload[i].state, SA_OFFLOAD_SOFTWARE);
		assert_string_equal(w->tunnels[0].child.offload[i].why, "NAT-T");
	}
	assert_int_equal(kernel_sa(EAST, w->tunnels[0].child.spi_out, w->tunnels[0].child.reqid)->offload_asked, KERNEL_OFFLOAD_NONE);
}

static void test_offload_behind_nat_is_refused_with_fallback_no(void **state)
{
	(void)state;
	assert_true(start_nat("", "\thw_offload=yes\n\thw_offload_fallback=no\n", ""));
	nat_on();
	ikev2_initiate(conn_find("west"), 0);
	wire_pump(16);
	assert_null(harness_sa("west", true));
	assert_int_equal(dbl.nsas, 0);
	const struct connection *c = conn_find("west");
	assert_int_equal(c->retry.kind, ATTEMPT_CONFIG);
	assert_non_null(strstr(retry_why(&c->retry), "NAT was detected, and this kernel cannot offload NAT-T"));
	assert_non_null(strstr(retry_why(&c->retry), "(hw_offload_fallback=no)"));
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, stop)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nat_d_hash_known_answers),
		cmocka_unit_test(test_detection_sees_what_the_nat_changed),
		cmocka_unit_test(test_malformed_notifies_are_refused_with_a_reason),
		T(test_a_malformed_nat_d_in_a_request_is_dropped),
		cmocka_unit_test(test_the_non_esp_marker_and_keepalives_on_port_4500),
		T(test_behind_nat_both_roles_detect_float_and_encapsulate),
		T(test_without_nat_nothing_moves_or_is_encapsulated),
		T(test_encapsulation_yes_encapsulates_without_nat),
		T(test_encapsulation_no_sends_no_notifies_and_never_encapsulates),
		T(test_rekeys_behind_nat_keep_the_encapsulation_and_keepalives),
		T(test_keepalives_every_keep_alive_seconds_from_behind_the_nat),
		T(test_nat_keepalive_no_sends_none),
		T(test_a_new_nat_mapping_is_followed_by_the_ike_sa_and_the_outbound_sa),
		T(test_only_a_peer_behind_nat_is_followed_and_never_off_4500),
		T(test_offload_behind_nat_falls_back_with_the_reason),
		T(test_offload_behind_nat_is_refused_with_fallback_no),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
