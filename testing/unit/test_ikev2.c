/* Unit tests of the IKEv2 exchanges, two ends in one process
 * (ike_harness.h): nonces of every valid length in both roles, the
 * message ID and exchange rules, what an outsider's IKE_SA_INIT may cost
 * (half-open expiry, caps, cookies), answers to retransmits only, and a
 * conn replaced during an exchange. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ike_harness.h"
#include "child_sa.h"
#include "ike_id.h"

#define WEST "192.0.2.1"
#define EAST "192.0.2.2"

static const char conf[] =
	"conn west\n"
	"\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n"
	"conn east\n"
	"\tleft=" EAST "\n\tright=" WEST "\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n";
static const char secrets[] = WEST " " EAST " : PSK \"harness secret, not a real one\"\n";

static int start(void **state)
{
	(void)state;
	ikev2_nonce_len = 32;
	return harness_start(conf, secrets) ? 0 : -1;
}

static int stop(void **state)
{
	(void)state;
	harness_stop();
	ikev2_nonce_len = 32;
	return 0;
}

static struct connection *conn(const char *name)
{
	struct connection *c = conn_find(name);
	assert_non_null(c);
	return c;
}

/* The two kernel SAs of one direction hold the same keys. */
static void assert_keys_agree(const struct ike_sa *a, const struct ike_sa *b)
{
	const struct double_sa *out = NULL, *in = NULL;
	for (size_t i = 0; i < dbl.nsas; i++) {
		if (dbl.sas[i].spi == a->tunnels[0].child.spi_out && dbl.sas[i].reqid == a->tunnels[0].child.reqid)
			out = &dbl.sas[i];
		if (dbl.sas[i].spi == b->tunnels[0].child.spi_in && dbl.sas[i].reqid == b->tunnels[0].child.reqid)
			in = &dbl.sas[i];
	}
	assert_non_null(out);
	assert_non_null(in);
	assert_int_not_equal(out->keys_len, 0);
	assert_int_equal(out->keys_len, in->keys_len);
	assert_memory_equal(out->keys, in->keys, out->keys_len);
}

/* The initiator's and the responder's SA of a tunnel (by conn name) are
 * up, with children whose keys agree. */
static void assert_tunnel_up(const char *initiator, const char *responder)
{
	struct ike_sa *i, *r;
	assert_true(harness_tunnel_up(initiator, responder, &i, &r));
	assert_keys_agree(i, r);
	assert_keys_agree(r, i);
	/* the answer's TS read as the subnets they are (192.0.2.1 alone is
	 * 192.0.2.1/32, not /31) */
	assert_int_equal(i->tunnels[0].child.local_net.prefixlen, i->ends.local_net.prefixlen);
	assert_int_equal(i->tunnels[0].child.remote_net.prefixlen, i->ends.remote_net.prefixlen);
	assert_true(address_eq(&i->tunnels[0].child.local_net.addr, &i->ends.local_net.addr));
}

/* west initiates; the initiator's nonce is ni_len bytes, the responder's nr_len. */
static void establish(size_t ni_len, size_t nr_len)
{
	ikev2_nonce_len = ni_len;
	ikev2_initiate(conn("west"), 0);
	ikev2_nonce_len = nr_len;
	wire_pump(16);
	assert_tunnel_up("west", "east");
	struct ike_sa *i = harness_sa("west", true), *r = harness_sa("east", false);
	assert_int_equal(i->ni.len, ni_len);
	assert_int_equal(r->ni.len, ni_len);
	assert_int_equal(i->nr.len, nr_len);
	assert_int_equal(r->nr.len, nr_len);
	assert_memory_equal(i->ni.data, r->ni.data, ni_len);
	assert_memory_equal(i->nr.data, r->nr.data, nr_len);
}

static void test_nonces_of_every_valid_length_in_both_roles(void **state)
{
	static const size_t pairs[][2] = { { 16, 16 }, { 32, 32 }, { 64, 64 }, { 256, 256 },
					   { 16, 256 }, { 256, 16 }, { 64, 32 } };
	for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
		establish(pairs[k][0], pairs[k][1]);
		ikev2_down("west", "test");
		ikev2_down("east", "test");
		wire_pump(16);
		assert_null(ike_sa_first());
		stop(state);
		start(state);
	}
}

/* ---- forged requests over the initiator's own keys ---- */

static void inner_empty(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)ike; (void)b; (void)arg;
}

static void inner_id_auth(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)ike; (void)arg;
	static const uint8_t id[] = { ID_IPV4_ADDR, 0, 0, 0, 192, 0, 2, 1 };
	uint8_t auth[32] = { 0 };
	ikev2_add(b, PT_IDi, id, sizeof(id));
	ikev2_add_auth(b, AUTH_SHARED_KEY_MIC, auth, sizeof(auth));
}

/* Puts a request of west's on the wire as if west had sent it. */
static void forge(struct ike_sa *west, uint8_t exchange, uint32_t msgid, ikev2_inner_fn *fn)
{
	static uint8_t out[IKEV2_MSG_MAX];
	size_t n = ikev2_build_encrypted(west, exchange, false, msgid, fn, NULL, out, sizeof(out));
	assert_int_not_equal(n, 0);
	assert_true(wire_send(&west->ends.local, west->local_port, &west->ends.remote, west->remote_port, out, n));
}

/* Holds back west's IKE_AUTH request: the SAs stay half-way. */
static bool drop_auth(struct wire_msg *m, void *arg)
{
	(void)arg;
	return m->buf[18] != IKE_AUTH;
}

/* The responder's SA after IKE_SA_INIT, west's IKE_AUTH held back. */
static struct ike_sa *halfway(struct ike_sa **west)
{
	wire.filter = drop_auth;
	ikev2_initiate(conn("west"), 0);
	wire_pump(16);
	wire.filter = NULL;
	*west = harness_sa("west", true);
	struct ike_sa *east = harness_sa("east", false);
	assert_non_null(*west);
	assert_non_null(east);
	assert_int_equal(east->state, IKE_R_INIT_SENT);
	return east;
}

static void test_informational_before_ike_auth_is_dropped(void **state)
{
	(void)state;
	struct ike_sa *west, *east = halfway(&west);
	forge(west, INFORMATIONAL, 1, inner_empty);
	size_t sent = wire.sent;
	wire_pump(1);
	assert_int_equal(wire.sent, sent);		/* no answer */
	assert_int_equal(east->state, IKE_R_INIT_SENT);
	assert_int_equal(east->peer_msgid, 1);
}

static void inner_unknown_critical(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)ike; (void)arg;
	size_t at = ikev2_add(b, 200, "xx", 2);
	b->buf[at - IKEV2_GENERIC_HDR_LEN + 1] = 0x80;	/* the critical bit */
}

static void test_an_unknown_critical_payload_before_ike_auth_gets_no_answer(void **state)
{
	(void)state;
	struct ike_sa *west, *east = halfway(&west);
	forge(west, INFORMATIONAL, 1, inner_unknown_critical);
	size_t sent = wire.sent;
	wire_pump(1);
	assert_int_equal(wire.sent, sent);
	assert_int_equal(east->peer_msgid, 1);
	assert_int_equal(east->state, IKE_R_INIT_SENT);
}

static void test_ike_auth_at_the_wrong_message_id_is_dropped(void **state)
{
	(void)state;
	struct ike_sa *west, *east = halfway(&west);
	forge(west, IKE_AUTH, 3, inner_id_auth);
	size_t sent = wire.sent;
	wire_pump(1);
	assert_int_equal(wire.sent, sent);
	assert_int_equal(east->state, IKE_R_INIT_SENT);
	assert_int_equal(east->peer_msgid, 1);
}

/* The answer's first notify, decrypted with the initiator's keys. */
static uint16_t answer_notify(struct ike_sa *west)
{
	struct wire_msg m;
	assert_true(wire_take(&m));
	struct ikev2_msg parsed;
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse(m.buf, m.len, &parsed, &d));
	assert_true(parsed.hdr.flags & IKEV2_FLAG_RESPONSE);
	struct sk_cipher c = ikev2_cipher(west, false);
	uint8_t *plain;
	size_t plain_len;
	assert_true(sk_open(&c, m.buf, m.len, parsed.sk_offset, &plain, &plain_len, &d));
	assert_true(ikev2_parse_inner(plain, plain_len, parsed.sk_first, &parsed, &d));
	struct ikev2_notify n;
	return ikev2_error_notify(&parsed, &n) != NULL ? n.type : 0;
}

static void test_a_second_ike_auth_is_answered_and_the_window_moves(void **state)
{
	(void)state;
	establish(32, 32);
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
	uint32_t next = east->peer_msgid;
	assert_int_equal(next, 2);
	forge(west, IKE_AUTH, next, inner_id_auth);
	wire_pump(1);
	assert_int_equal(answer_notify(west), N_INVALID_SYNTAX);
	assert_int_equal(east->peer_msgid, next + 1);
	assert_int_equal(east->state, IKE_ESTABLISHED);
	/* the next request is taken */
	forge(west, INFORMATIONAL, next + 1, inner_empty);
	wire_pump(1);
	assert_int_equal(answer_notify(west), 0);
	assert_int_equal(east->peer_msgid, next + 2);
}

/* ---- what a peer sends never forges a log line ---- */


static const char forged_id[] = "evil\n\"west\" #99: established IKE SA\x1b[2J";

static void inner_forged_id(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)ike; (void)arg;
	uint8_t id[64] = { ID_FQDN };
	memcpy(id + 4, forged_id, sizeof(forged_id) - 1);
	uint8_t auth[32] = { 0 };
	ikev2_add(b, PT_IDi, id, 4 + sizeof(forged_id) - 1);
	ikev2_add_auth(b, AUTH_SHARED_KEY_MIC, auth, sizeof(auth));
}

static void test_a_peers_id_is_escaped_in_the_log(void **state)
{
	(void)state;
	struct ike_sa *west, *east = halfway(&west);
	nlog_kept = 0;
	log_set_tee(keep_log_line, NULL);
	forge(west, IKE_AUTH, 1, inner_forged_id);
	wire_pump(1);
	log_set_tee(NULL, NULL);
	(void)east;
	bool refused = false;
	for (size_t i = 0; i < nlog_kept; i++) {
		assert_null(strchr(log_kept[i], '\n'));
		assert_null(strchr(log_kept[i], '\x1b'));
		assert_false(strncmp(log_kept[i], "\"west\" #99", 11) == 0);
		if (strstr(log_kept[i], "fits the peer's ID '@evil\\x0a\"west\" #99: established IKE SA\\x1b[2J'") != NULL)
			refused = true;
	}
	assert_true(refused);
}

/* A received ID is kept as the peer sent it, to compare with the conn
 * and ipsec.secrets, and escaped wherever it is shown. */
static void test_a_received_id_is_kept_as_sent_and_shown_escaped(void **state)
{
	(void)state;
	uint8_t body[64] = { ID_FQDN };
	memcpy(body + 4, forged_id, sizeof(forged_id) - 1);
	char text[IKE_ID_TEXT_MAX], shown[IKE_ID_SHOWN_MAX];
	assert_true(id_from_wire(body, 4 + sizeof(forged_id) - 1, text, sizeof(text)));
	assert_int_equal(strlen(text), sizeof(forged_id));	/* '@' and the bytes */
	assert_string_equal(id_shown(text, shown, sizeof(shown)),
			    "@evil\\x0a\"west\" #99: established IKE SA\\x1b[2J");
	/* a NUL would cut the text short of what was authenticated */
	body[6] = 0;
	assert_false(id_from_wire(body, 4 + sizeof(forged_id) - 1, text, sizeof(text)));
	/* too long to keep whole: refused, not cut */
	uint8_t big[4 + IKE_ID_TEXT_MAX] = { ID_RFC822_ADDR };
	memset(big + 4, 'a', IKE_ID_TEXT_MAX);
	assert_false(id_from_wire(big, sizeof(big), text, sizeof(text)));
}

static const char utf8_conf[] =
	"conn west\n"
	"\tleft=" WEST "\n\tleftid=@m\xc3\xbcnchen.example\n\tright=" EAST "\n\trightid=ost@b\xc3\xa4r.example\n"
	"\tauthby=secret\n\tauto=add\n"
	"conn east\n"
	"\tleft=" EAST "\n\tleftid=ost@b\xc3\xa4r.example\n\tright=" WEST "\n\trightid=@m\xc3\xbcnchen.example\n"
	"\tauthby=secret\n\tauto=add\n";
static const char utf8_secrets[] = "@m\xc3\xbcnchen.example ost@b\xc3\xa4r.example : PSK \"utf-8 ids\"\n";

/* The harness again with other config, and west's tunnel brought up. */
static void up_with(const char *other_conf, const char *other_secrets, struct ike_sa **west, struct ike_sa **east)
{
	harness_stop();
	assert_true(harness_start(other_conf, other_secrets));
	ikev2_initiate(conn("west"), 0);
	wire_pump(16);
	*west = harness_sa("west", true);
	*east = harness_sa("east", false);
	assert_non_null(*west);
	assert_non_null(*east);
	assert_int_equal((*west)->state, IKE_ESTABLISHED);
	assert_int_equal((*east)->state, IKE_ESTABLISHED);
}

static void test_ids_that_are_not_ascii_authenticate(void **state)
{
	(void)state;
	struct ike_sa *west, *east;
	up_with(utf8_conf, utf8_secrets, &west, &east);
	assert_string_equal(east->ends.remote_id, "@m\xc3\xbcnchen.example");
}

/* ---- what an IKE_SA_INIT from anyone may cost ---- */

/* west's IKE_SA_INIT request, taken off the wire. */
static struct wire_msg west_init(void)
{
	struct wire_msg m;
	ikev2_initiate(conn("west"), 0);
	assert_true(wire_take(&m));
	assert_int_equal(m.buf[18], IKE_SA_INIT);
	return m;
}

static bool no_halfopen(void *arg)
{
	(void)arg;
	return ike_dos_halfopen_total() == 0;
}

static void test_a_spoofed_ike_sa_init_does_not_hold_back_our_initiation(void **state)
{
	(void)state;
	/* east's IKE_SA_INIT reaches west: a half-open SA of conn west */
	ikev2_initiate(conn("east"), 0);
	wire_pump(1);
	wire_clear();
	struct ike_sa *responder = harness_sa("west", false);
	assert_non_null(responder);
	assert_int_equal(responder->state, IKE_R_INIT_SENT);
	ikev2_initiate(conn("west"), 0);
	struct ike_sa *ours = ike_sa_of_conn("west");
	assert_non_null(ours);
	assert_true(ours->initiator);
	assert_int_equal(ours->state, IKE_I_INIT_SENT);
}

static void test_half_open_sas_expire(void **state)
{
	(void)state;
	struct config_setup s = pluto.conf->setup;
	s.halfopen_ike_timeout = 1;
	ike_dos_configure(&s);
	struct wire_msg m = west_init();
	wire_deliver(&m);
	assert_int_equal(ike_dos_halfopen_total(), 1);
	assert_non_null(harness_sa("east", false));
	assert_true(harness_wait(no_halfopen, NULL, 10));
	assert_null(harness_sa("east", false));
}

/* Copies of one IKE_SA_INIT, each under an initiator SPI of its own. */
static size_t answers_to_copies(struct wire_msg *m, unsigned copies, uint16_t *last_notify)
{
	static uint8_t spi_counter;
	size_t answered = 0;
	for (unsigned k = 0; k < copies; k++) {
		struct wire_msg copy = *m;
		copy.buf[0] ^= ++spi_counter;
		wire_deliver(&copy);
		struct wire_msg answer;
		if (wire_take(&answer)) {
			answered++;
			*last_notify = wire_first_notify(&answer);
		}
	}
	return answered;
}

/* Forged IKE_SA_INITs from west's address fill only the part of its share
 * that needs no cookie; then they are sent a cookie, and west itself,
 * which returns it, still comes up. */
static void test_a_forger_cannot_lock_a_peer_out(void **state)
{
	(void)state;
	struct wire_msg m = west_init();
	harness_sa("west", true)->attempt_over = true;
	ikev2_down("west", "the forger's template");
	wire_clear();
	uint16_t notify = 0;
	unsigned cap = pluto.conf->setup.max_halfopen_ike_per_peer, without = (cap + 1) / 2;
	assert_int_equal(answers_to_copies(&m, without, &notify), without);
	assert_int_equal(notify, 0);		/* the answers were SA, KE, Nonce */
	assert_int_equal(answers_to_copies(&m, 3, &notify), 3);
	assert_int_equal(notify, N_COOKIE);
	assert_int_equal(ike_dos_halfopen_of(&m.from), without);
	ikev2_initiate(conn("west"), 0);
	wire_pump(16);
	struct ike_sa *west = harness_sa("west", true);
	assert_non_null(west);
	assert_int_equal(west->state, IKE_ESTABLISHED);
	assert_int_equal(west->init_retries, 1);
}

static void test_half_open_sas_are_capped_in_all(void **state)
{
	(void)state;
	struct config_setup s = pluto.conf->setup;
	s.max_halfopen_ike = 2;
	ike_dos_configure(&s);
	struct wire_msg m = west_init();
	uint16_t notify = 0;
	assert_int_equal(answers_to_copies(&m, 4, &notify), 2);
	assert_int_equal(ike_dos_halfopen_total(), 2);
}

/* east in ddos-mode=busy answers west's first IKE_SA_INIT: a COOKIE. */
static struct wire_msg cookie_from_busy_east(void)
{
	struct config_setup s = pluto.conf->setup;
	s.ddos_mode = DDOS_BUSY;
	ike_dos_configure(&s);
	struct wire_msg m = west_init(), answer;
	wire_deliver(&m);
	assert_true(wire_take(&answer));
	assert_int_equal(wire_first_notify(&answer), N_COOKIE);
	return answer;
}

static void test_busy_responder_asks_for_a_cookie_and_the_initiator_returns_it(void **state)
{
	(void)state;
	struct wire_msg answer = cookie_from_busy_east();
	assert_int_equal(ike_sa_count(), 1);		/* the responder kept nothing */
	assert_int_equal(ike_dos_halfopen_total(), 0);
	/* back to west, which sends IKE_SA_INIT again with the cookie */
	wire_deliver(&answer);
	wire_pump(16);
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
	assert_non_null(west);
	assert_non_null(east);
	assert_int_equal(west->init_retries, 1);
	assert_int_equal(west->state, IKE_ESTABLISHED);
	assert_int_equal(east->state, IKE_ESTABLISHED);
	assert_keys_agree(west, east);
}

static void test_cookies_start_at_the_threshold(void **state)
{
	(void)state;
	struct config_setup s = pluto.conf->setup;
	s.ddos_ike_threshold = 2;
	s.max_halfopen_ike_per_peer = 10;
	ike_dos_configure(&s);
	struct wire_msg m = west_init();
	uint16_t notify = 0;
	assert_int_equal(answers_to_copies(&m, 2, &notify), 2);
	assert_int_equal(notify, 0);
	assert_int_equal(answers_to_copies(&m, 1, &notify), 1);
	assert_int_equal(notify, N_COOKIE);
	assert_int_equal(ike_dos_halfopen_total(), 2);
}

static void test_a_forged_cookie_is_not_taken(void **state)
{
	(void)state;
	struct wire_msg answer = cookie_from_busy_east();
	wire_deliver(&answer);			/* west sends it again, with the cookie */
	struct wire_msg with_cookie;
	assert_true(wire_take(&with_cookie));
	assert_int_equal(wire_first_notify(&with_cookie), N_COOKIE);
	/* the cookie's data starts after the header, the notify's 4+4 bytes */
	with_cookie.buf[28 + 8 + 5] ^= 1;
	wire_deliver(&with_cookie);
	assert_true(wire_take(&answer));
	assert_int_equal(wire_first_notify(&answer), N_COOKIE);
	assert_int_equal(ike_dos_halfopen_total(), 0);
}

/* As if the last answer went out long enough ago for another. */
static void resend_allowed(struct ike_sa *ike)
{
	ike->resent_at.tv_sec -= 1;
}

/* The offset of a payload's body in a plain message. */
static size_t body_offset(const struct wire_msg *m, uint8_t type)
{
	struct ikev2_msg parsed;
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse(m->buf, m->len, &parsed, &d));
	const struct ikev2_payload *p = ikev2_find(&parsed, type);
	assert_non_null(p);
	return (size_t)(p->body - m->buf);
}

/* A KE value that is no point of the curve has cost a key pair: the SA
 * stays unanswered, holding its half-open place, so such requests count. */
static void test_a_bad_ke_value_holds_a_half_open_place_unanswered(void **state)
{
	(void)state;
	struct wire_msg m = west_init();
	size_t ke = body_offset(&m, PT_KE) + 4;	/* group and reserved, then the value */
	memset(m.buf + ke, 0x11, 64);
	wire_deliver(&m);
	struct wire_msg answer;
	assert_false(wire_take(&answer));
	assert_int_equal(ike_dos_halfopen_of(&m.from), 1);
	struct ike_sa *east = harness_sa("east", false);
	assert_non_null(east);
	assert_null(east->keys);
	/* and its repeat gets nothing either */
	resend_allowed(east);
	wire_deliver(&m);
	assert_false(wire_take(&answer));
}

/* An IKE_SA_INIT far bigger than any honest one is not kept. */
static void test_an_oversized_ike_sa_init_is_dropped(void **state)
{
	(void)state;
	struct wire_msg m = west_init();
	struct ikev2_msg plain;
	struct diag pd;
	diag_init(&pd);
	assert_true(ikev2_parse(m.buf, m.len, &plain, &pd));
	size_t last = (size_t)(plain.p[plain.n - 1].body - m.buf) - IKEV2_GENERIC_HDR_LEN;
	m.buf[last] = PT_VID;			/* the last payload is followed by a big VID */
	size_t vid = m.len, n = 5000;
	memset(m.buf + vid, 0, IKEV2_GENERIC_HDR_LEN + n);
	m.buf[vid + 2] = (uint8_t)((IKEV2_GENERIC_HDR_LEN + n) >> 8);
	m.buf[vid + 3] = (uint8_t)(IKEV2_GENERIC_HDR_LEN + n);
	m.len += IKEV2_GENERIC_HDR_LEN + n;
	m.buf[24] = (uint8_t)(m.len >> 24); m.buf[25] = (uint8_t)(m.len >> 16);
	m.buf[26] = (uint8_t)(m.len >> 8); m.buf[27] = (uint8_t)m.len;
	struct ikev2_msg parsed;
	struct diag d;
	diag_init(&d);
	assert_true(ikev2_parse(m.buf, m.len, &parsed, &d));	/* well formed, just big */
	wire_deliver(&m);
	struct wire_msg answer;
	assert_false(wire_take(&answer));
	assert_null(harness_sa("east", false));
}

/* ---- answers to retransmits only ---- */

static void test_only_a_byte_identical_retransmit_is_answered_again(void **state)
{
	(void)state;
	struct wire_msg m = west_init();
	wire_deliver(&m);
	struct wire_msg answer;
	assert_true(wire_take(&answer));
	struct ike_sa *east = harness_sa("east", false);
	assert_non_null(east);
	/* a bare header naming the SA */
	struct wire_msg bare = m;
	bare.len = IKEV2_HDR_LEN;
	bare.buf[16] = 0;
	bare.buf[24] = 0; bare.buf[25] = 0; bare.buf[26] = 0; bare.buf[27] = IKEV2_HDR_LEN;
	resend_allowed(east);
	wire_deliver(&bare);
	assert_false(wire_take(&answer));
	/* the same request from another port */
	struct wire_msg moved = m;
	moved.from_port = 4444;
	wire_deliver(&moved);
	assert_false(wire_take(&answer));
	/* the same request from where it came: answered again */
	wire_deliver(&m);
	assert_true(wire_take(&answer));
	assert_int_equal(answer.len, east->response.len);
	/* but not again at once */
	wire_deliver(&m);
	assert_false(wire_take(&answer));
}

/* An encrypted request is decrypted in place once opened: its retransmit
 * is still known, by the bytes as they came. */
static bool drop_first_auth_response(struct wire_msg *m, void *arg)
{
	bool *dropped = arg;
	if (m->buf[18] != IKE_AUTH || !(m->buf[19] & IKEV2_FLAG_RESPONSE) || *dropped)
		return true;
	*dropped = true;
	return false;
}

static void test_a_retransmitted_ike_auth_is_answered_from_the_cache(void **state)
{
	(void)state;
	bool dropped = false;
	wire.filter = drop_first_auth_response;
	wire.filter_arg = &dropped;
	ikev2_initiate(conn("west"), 0);
	wire_pump(16);
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
	assert_true(dropped);
	assert_int_equal(east->state, IKE_ESTABLISHED);
	assert_int_equal(west->state, IKE_I_AUTH_SENT);
	/* west's retransmit, as its timer would send it */
	resend_allowed(east);
	assert_true(wire_send(&west->ends.local, west->local_port, &west->ends.remote, west->remote_port, west->request.data,
			      west->request.len));
	wire_pump(16);
	assert_int_equal(west->state, IKE_ESTABLISHED);
	assert_keys_agree(west, east);
}

/* west's Delete is lost and it starts again: east replaces the old SA
 * (and its child, whose policies would stand in the new one's way). */
static bool drop_informational(struct wire_msg *m, void *arg)
{
	(void)arg;
	return m->buf[18] != INFORMATIONAL;
}

static void test_a_peer_starting_again_replaces_its_old_sa(void **state)
{
	(void)state;
	establish(32, 32);
	struct ike_sa *old = harness_sa("east", false);
	unsigned old_serial = old->serial;
	wire.filter = drop_informational;
	ikev2_down("west", "its Delete is lost");
	wire_pump(16);
	wire.filter = NULL;
	assert_int_equal(old->state, IKE_ESTABLISHED);	/* east never heard */
	ikev2_initiate(conn("west"), 0);
	wire_pump(16);
	wire_clear();					/* east's Delete of the old one */
	struct ike_sa *east = NULL;
	unsigned established = 0;
	for (struct ike_sa *e = ike_sa_first(); e != NULL; e = e->next) {
		if (!e->initiator && strcmp(e->c->config->name, "east") == 0 && e->state == IKE_ESTABLISHED) {
			established++;
			east = e;
		}
	}
	assert_int_equal(established, 1);
	assert_int_not_equal(east->serial, old_serial);
	assert_true(east->tunnels[0].child.installed);
}

/* ---- the default proposals ---- */

static const char defaults_conf[] =
	"conn west\n"
	"\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tike=aes_gcm256-sha2_256;dh31+dh19\n\tauto=add\n"
	"conn east\n"
	"\tleft=" EAST "\n\tright=" WEST "\n\tauthby=secret\n\tauto=add\n";

/* A responder at its defaults takes the group of the initiator's KE when
 * it accepts it with the rest, rather than its own first group: no
 * INVALID_KE_PAYLOAD round trip. */
static void test_the_defaults_take_the_group_of_the_initiators_ke(void **state)
{
	(void)state;
	struct ike_sa *west, *east;
	up_with(defaults_conf, secrets, &west, &east);
	assert_int_equal(west->init_retries, 0);
	assert_int_equal(east->ike_alg.dh, DH_CURVE25519);
	assert_int_equal(east->ike_alg.encr, ENCR_AES_GCM_16);
	assert_int_equal(east->ike_alg.prf, PRF_HMAC_SHA2_256);
	/* the child, from esp= at its defaults on both ends */
	assert_int_equal(east->tunnels[0].child.alg.encr, ENCR_AES_GCM_16);
	assert_int_equal(east->tunnels[0].child.alg.encr_keylen, 256);
	assert_keys_agree(west, east);
}

/* East takes only MODP2048; west offers X25519 first. */
static const char regroup_conf[] =
	"conn west\n"
	"\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tike=aes_gcm256-sha2_256;dh31+dh14\n\tauto=add\n"
	"conn east\n"
	"\tleft=" EAST "\n\tright=" WEST "\n\tauthby=secret\n\tike=aes_gcm256-sha2_256;dh14\n\tauto=add\n";

/* West's first IKE_SA_INIT went twice (a retransmission) and east refused
 * each copy with INVALID_KE_PAYLOAD. The second refusal comes after west
 * sent its request again with MODP2048: it answers the old copy, and west
 * goes on instead of giving up. */
static void test_a_late_invalid_ke_for_an_earlier_copy_is_ignored(void **state)
{
	(void)state;
	harness_stop();
	assert_true(harness_start(regroup_conf, secrets));
	ikev2_initiate(conn("west"), 0);
	static struct wire_msg first, refusal1, refusal2;
	assert_true(wire_take(&first));
	wire_deliver(&first);
	wire_deliver(&first);	/* the retransmission */
	assert_true(wire_take(&refusal1));
	assert_true(wire_take(&refusal2));
	assert_int_equal(wire_first_notify(&refusal1), N_INVALID_KE_PAYLOAD);
	assert_int_equal(wire_first_notify(&refusal2), N_INVALID_KE_PAYLOAD);
	wire_deliver(&refusal1);	/* west sends IKE_SA_INIT again, with MODP2048 */
	struct ike_sa *west = harness_sa("west", true);
	assert_non_null(west);
	assert_int_equal(west->dh_group, DH_MODP2048);
	wire_deliver(&refusal2);
	west = harness_sa("west", true);
	assert_non_null(west);
	assert_int_equal(west->state, IKE_I_INIT_SENT);
	wire_pump(16);
	struct ike_sa *east;
	assert_true(harness_tunnel_up("west", "east", &west, &east));
	assert_int_equal(west->init_retries, 1);
	assert_int_equal(east->ike_alg.dh, DH_MODP2048);
}

/* ---- liveness, retransmits, revival, restart ---- */

/* defaults_conf with extra lines in west's conn. */
static const char *west_conf_with(const char *extra)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf),
		 "conn west\n\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tauto=add\n%s"
		 "conn east\n\tleft=" EAST "\n\tright=" WEST "\n\tauthby=secret\n\tauto=add\n", extra);
	return buf;
}

static bool drop_all(struct wire_msg *m, void *arg)
{
	(void)m; (void)arg;
	return false;
}

static bool no_west_sa(void *arg)
{
	(void)arg;
	return harness_sa("west", true) == NULL;
}

static void test_a_request_is_given_up_after_retransmit_timeout(void **state)
{
	(void)state;
	harness_stop();
	assert_true(harness_start(west_conf_with("\tretransmit-timeout=3\n\tretransmit-interval=100\n"), secrets));
	wire.filter = drop_all;
	nlog_kept = 0;
	log_set_tee(keep_log_line, NULL);
	ikev2_initiate(conn("west"), 0);
	struct ike_sa *west = harness_sa("west", true);
	assert_non_null(west);
	bool gone = harness_wait(no_west_sa, NULL, 10);
	log_set_tee(NULL, NULL);
	assert_true(gone);
	/* 100 ms, then 200, 400, 800, and the rest of the 3 s (room for a
	 * busy machine to be late with the third) */
	bool retransmitted = false, gave_up = false;
	for (size_t i = 0; i < nlog_kept; i++) {
		retransmitted |= strstr(log_kept[i], "retransmitting the IKE_SA_INIT request (3)") != NULL;
		gave_up |= strstr(log_kept[i], "in 3 s (retransmit-timeout); giving up") != NULL;
	}
	assert_true(retransmitted);
	assert_true(gave_up);
}

/* Two liveness checks of west's answered (east's answers pumped). */
struct checks {
	const struct ike_sa *west;
	uint32_t before;
};

static bool two_checks_answered(void *arg)
{
	const struct checks *k = arg;
	wire_pump(16);
	return k->west->next_msgid >= k->before + 2 && k->west->request_kind == REQ_NONE;
}

static void test_a_live_peer_answers_liveness_checks(void **state)
{
	(void)state;
	struct ike_sa *west, *east;
	up_with(west_conf_with("\tdpddelay=1\n\tretransmit-timeout=5\n"), secrets, &west, &east);
	struct checks k = { west, west->next_msgid };
	assert_true(harness_wait(two_checks_answered, &k, 20));
	assert_ptr_equal(harness_sa("west", true), west);
	assert_int_equal(west->state, IKE_ESTABLISHED);
	assert_int_equal(east->state, IKE_ESTABLISHED);
}

static void test_a_dead_peer_is_noticed_and_the_tunnel_brought_back(void **state)
{
	(void)state;
	struct ike_sa *west, *east;
	up_with(west_conf_with("\tdpddelay=1\n\tretransmit-timeout=1\n\tdpdaction=restart\n"), secrets, &west, &east);
	wire.filter = drop_all;			/* east is gone */
	assert_true(harness_wait(no_west_sa, NULL, 10));
	struct connection *c = conn("west");
	assert_int_equal(c->retry.kind, ATTEMPT_LOST);
	assert_int_not_equal(c->retry.next_at, 0);
	assert_true(c->retry.next_at - time(NULL) <= REVIVE_FIRST_S);
	/* (a second may have passed since the loss: "0 s ago" or "1 s ago") */
	char text[512];
	retry_status(&c->retry, time(NULL), text, sizeof(text));
	assert_int_equal(strncmp(text, "the tunnel was lost ", 20), 0);
	assert_non_null(strstr(text, " s ago: the peer stopped answering; next attempt in"));
}

static void test_dpdaction_clear_does_not_bring_it_back(void **state)
{
	(void)state;
	struct ike_sa *west, *east;
	up_with(west_conf_with("\tdpddelay=1\n\tretransmit-timeout=1\n\tdpdaction=clear\n"), secrets, &west, &east);
	conn("west")->config->auto_mode = AUTO_START;
	wire.filter = drop_all;
	assert_true(harness_wait(no_west_sa, NULL, 10));
	assert_int_equal(conn("west")->retry.next_at, 0);
	char text[512];
	assert_non_null(strstr(retry_status(&conn("west")->retry, time(NULL), text, sizeof(text)),
			       "the peer stopped answering; not brought back (dpdaction=clear)"));
}

static void test_a_tunnel_the_peer_deletes_is_brought_back(void **state)
{
	(void)state;
	establish(32, 32);
	conn("west")->config->auto_mode = AUTO_START;
	ikev2_down("east", "the test");
	wire_pump(16);
	assert_null(harness_sa("west", true));
	struct connection *c = conn("west");
	assert_int_equal(c->retry.kind, ATTEMPT_LOST);
	assert_int_not_equal(c->retry.next_at, 0);
	/* and --down calls it off */
	conn_forget_failures(c);
	assert_int_equal(c->retry.next_at, 0);
}

/* A child that expires without being rekeyed (its rekey failed, or
 * rekey=no) ends its tunnel, which a conn kept up then brings back. */
static void test_an_expired_child_ends_its_tunnel_and_a_kept_up_conn_starts_over(void **state)
{
	(void)state;
	establish(32, 32);
	conn("west")->config->auto_mode = AUTO_START;
	struct ike_sa *west = harness_sa("west", true);
	/* (both ends share one kernel double here: east's inbound SA has
	 * this SPI too, and whichever end sees it first deletes the IKE SA) */
	ikev2_child_expired(&west->ends.remote, west->tunnels[0].child.spi_out, "salifetime");
	wire_pump(16);
	assert_null(harness_sa("west", true));
	assert_null(harness_sa("east", false));
	assert_int_equal(conn("west")->retry.kind, ATTEMPT_LOST);
	assert_int_not_equal(conn("west")->retry.next_at, 0);
}

/* west restarts (its SAs vanish without a word) and starts again: its
 * IKE_AUTH says INITIAL_CONTACT, and east drops what it still holds with
 * west, even the SA east itself started. */
static void test_initial_contact_clears_what_a_restarted_peer_left(void **state)
{
	(void)state;
	ikev2_initiate(conn("east"), 0);
	wire_pump(16);
	struct ike_sa *east_old = harness_sa("east", true), *west_old = harness_sa("west", false);
	assert_non_null(east_old);
	assert_non_null(west_old);
	assert_int_equal(east_old->state, IKE_ESTABLISHED);
	unsigned old_serial = east_old->serial;
	child_sa_remove(west_old);
	ike_sa_free(west_old, 0);
	ikev2_initiate(conn("west"), 0);
	wire_pump(16);
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
	assert_non_null(west);
	assert_non_null(east);
	assert_int_equal(east->state, IKE_ESTABLISHED);
	assert_null(harness_sa("east", true));		/* the old one is gone */
	assert_int_not_equal(east->serial, old_serial);
	assert_int_equal(dbl.nsas, 4);			/* two SAs each end, none stale */
}

/* West has a tunnel to each of two addresses of east, each address its
 * own ID. West's second IKE_AUTH says INITIAL_CONTACT (its first with that
 * address); it speaks for west and east's second ID, so the first tunnel,
 * between west and east's first ID, stays. */
static void test_initial_contact_spares_sas_with_our_other_ids(void **state)
{
	(void)state;
	harness_stop();
	assert_true(harness_start(
		"conn west\n\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tauto=add\n"
		"conn east\n\tleft=" EAST "\n\tright=" WEST "\n\tauthby=secret\n\tauto=add\n"
		"conn west2\n\tleft=" WEST "\n\tright=192.0.2.3\n\tauthby=secret\n\tauto=add\n"
		"conn east2\n\tleft=192.0.2.3\n\tright=" WEST "\n\tauthby=secret\n\tauto=add\n",
		WEST " " EAST " : PSK \"harness secret, not a real one\"\n"
		WEST " 192.0.2.3 : PSK \"harness secret, not a real one\"\n"));
	struct ike_sa *west, *east;
	ikev2_initiate(conn("west"), 0);
	wire_pump(16);
	assert_true(harness_tunnel_up("west", "east", &west, &east));
	unsigned first = east->serial;
	ikev2_initiate(conn("west2"), 0);
	wire_pump(16);
	assert_true(harness_tunnel_up("west2", "east2", &west, &east));
	east = harness_sa("east", false);
	assert_non_null(east);
	assert_int_equal(east->serial, first);
	assert_int_equal(east->state, IKE_ESTABLISHED);
	assert_int_equal(dbl.nsas, 8);
}

/* ---- rekeying (CREATE_CHILD_SA) ---- */

static size_t retiring_count(const struct ike_sa *ike)
{
	size_t n = 0;
	for (size_t i = 0; i < CHILD_RETIRING_MAX; i++)
		n += ike->tunnels[0].retiring[i].serial != 0;
	return n;
}

/* Both ends hold one child, the same one, with agreeing keys, and the
 * kernel holds its two SAs on each end and nothing else. */
static void assert_one_child_each(struct ike_sa *west, struct ike_sa *east)
{
	assert_true(west->tunnels[0].child.installed);
	assert_true(east->tunnels[0].child.installed);
	assert_false(west->tunnels[0].child.out_pending);
	assert_false(east->tunnels[0].child.out_pending);
	assert_int_equal(west->tunnels[0].child.spi_out, east->tunnels[0].child.spi_in);
	assert_int_equal(west->tunnels[0].child.spi_in, east->tunnels[0].child.spi_out);
	assert_int_equal(retiring_count(west), 0);
	assert_int_equal(retiring_count(east), 0);
	assert_null(west->rekey);
	assert_null(east->rekey);
	assert_keys_agree(west, east);
	assert_keys_agree(east, west);
	assert_int_equal(dbl.nsas, 4);
}

/* A child rekeyed by either end: a new pair of SAs under new SPIs, the
 * old pair gone, the IKE SA the same. */
static void rekey_child_by(bool by_west)
{
	establish(32, 32);
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
	uint32_t old_in = west->tunnels[0].child.spi_in, old_out = west->tunnels[0].child.spi_out;
	unsigned old_serial = west->tunnels[0].child.serial;
	assert_true(ikev2_rekey_now(by_west ? west : east, false));
	wire_pump(32);
	assert_ptr_equal(harness_sa("west", true), west);
	assert_ptr_equal(harness_sa("east", false), east);
	assert_int_not_equal(west->tunnels[0].child.spi_in, old_in);
	assert_int_not_equal(west->tunnels[0].child.spi_out, old_out);
	assert_int_not_equal(west->tunnels[0].child.serial, old_serial);
	/* pfs=yes (the default): the new child came with a DH exchange */
	assert_int_not_equal(west->tunnels[0].child.alg.dh, DH_NONE);
	assert_one_child_each(west, east);
}

static void test_the_initiator_rekeys_the_child(void **state)
{
	(void)state;
	rekey_child_by(true);
}

static void test_the_responder_rekeys_the_child(void **state)
{
	(void)state;
	rekey_child_by(false);
}

static void test_three_rekeys_in_a_row_leave_one_child(void **state)
{
	(void)state;
	establish(32, 32);
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
	for (int i = 0; i < 3; i++) {
		assert_true(ikev2_rekey_now(i == 1 ? east : west, false));
		wire_pump(32);
		assert_one_child_each(west, east);
	}
}

static void test_pfs_no_rekeys_without_a_key_exchange(void **state)
{
	(void)state;
	struct ike_sa *west, *east;
	up_with(west_conf_with("\tpfs=no\n"), secrets, &west, &east);
	assert_true(ikev2_rekey_now(west, false));
	wire_pump(32);
	assert_int_equal(west->tunnels[0].child.alg.dh, DH_NONE);
	assert_one_child_each(west, east);
}

/* Until the initiator deletes the old child, the responder sends with it:
 * the initiator may not hold the new inbound SA yet. */
static bool hold_informational(struct wire_msg *m, void *arg)
{
	(void)arg;
	return m->len < 19 || m->buf[18] != INFORMATIONAL;
}

static bool east_sends_on_the_new_child(void *arg)
{
	const struct ike_sa *east = arg;
	wire_pump(8);		/* what the timers sent */
	return !east->tunnels[0].child.out_pending && retiring_count(east) == 0;
}

static void test_the_responder_sends_on_the_new_child_only_after_the_old_is_deleted(void **state)
{
	(void)state;
	establish(32, 32);
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
	wire.filter = hold_informational;
	assert_true(ikev2_rekey_now(west, false));
	wire_pump(32);
	assert_true(east->tunnels[0].child.out_pending);			/* no outbound SA yet */
	assert_int_equal(retiring_count(east), 1);
	assert_int_equal(dbl.nsas, 4 + 2 + 1);			/* west: both new; east: inbound only */
	wire.filter = NULL;					/* west's Delete gets through again */
	assert_true(harness_wait(east_sends_on_the_new_child, east, 10));
	wire_pump(32);
	assert_one_child_each(west, east);
}

/* Both ends rekey the same child at once (2.8.1): both exchanges
 * complete, the redundant child goes, one child is left. */
static void test_simultaneous_child_rekeys_leave_one_child(void **state)
{
	(void)state;
	for (int round = 0; round < 8; round++) {
		establish(32, 32);
		struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
		assert_true(ikev2_rekey_now(west, false));
		assert_true(ikev2_rekey_now(east, false));
		wire_pump(64);
		assert_one_child_each(west, east);
		ikev2_down("west", "test");
		wire_pump(16);
		assert_null(ike_sa_first());
		assert_int_equal(dbl.npols, 0);		/* nor any policy */
	}
}

/* An IKE SA rekeyed by either end: new SPIs and keys, the child moves
 * over untouched, the old IKE SA is gone on both ends. */
static void rekey_ike_by(bool by_west)
{
	establish(32, 32);
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
	uint32_t child_spi = west->tunnels[0].child.spi_in;
	uint8_t old_spi_i[IKEV2_SPI_LEN];
	memcpy(old_spi_i, west->spi_i, IKEV2_SPI_LEN);
	unsigned old_west = west->serial, old_east = east->serial;
	assert_true(ikev2_rekey_now(by_west ? west : east, true));
	wire_pump(32);
	west = harness_sa("west", by_west);
	east = harness_sa("east", !by_west);
	assert_non_null(west);
	assert_non_null(east);
	assert_int_not_equal(west->serial, old_west);
	assert_int_not_equal(east->serial, old_east);
	assert_int_equal(ike_sa_count(), 2);
	assert_memory_not_equal(west->spi_i == NULL ? old_spi_i : (by_west ? west->spi_i : west->spi_r), old_spi_i,
				IKEV2_SPI_LEN);
	assert_memory_equal(west->spi_i, east->spi_i, IKEV2_SPI_LEN);
	assert_memory_equal(west->spi_r, east->spi_r, IKEV2_SPI_LEN);
	assert_int_equal(west->tunnels[0].child.spi_in, child_spi);
	assert_one_child_each(west, east);
	/* no AUTH in a rekey: the new SAs hold no SK_pi or SK_pr */
	assert_null(west->keys->sk_pi);
	assert_null(east->keys->sk_pr);
	/* The new IKE SA works: its keys agree, and the child rekeys over it. */
	assert_true(ikev2_rekey_now(west, false));
	wire_pump(32);
	assert_int_not_equal(west->tunnels[0].child.spi_in, child_spi);
	assert_one_child_each(west, east);
}

static void test_the_initiator_rekeys_the_ike_sa(void **state)
{
	(void)state;
	rekey_ike_by(true);
}

static void test_the_responder_rekeys_the_ike_sa(void **state)
{
	(void)state;
	rekey_ike_by(false);
}

static bool two_ike_sas_with_new_serials(void *arg)
{
	const unsigned *old = arg;
	wire_pump(8);		/* what the timers sent */
	struct ike_sa *a = ike_sa_first();
	return ike_sa_count() == 2 && a != NULL && a->next != NULL && a->serial > old[0] && a->next->serial > old[0] &&
	       a->request.data == NULL && a->next->request.data == NULL;
}

/* Both ends rekey the IKE SA at once (2.8.2): both exchanges complete,
 * the new IKE SA of the one with the lowest nonce is deleted, the other
 * takes the tunnel, and the old one goes: one IKE SA each, at once (no
 * waiting on a retry), whichever end wins. */
static void test_simultaneous_ike_rekeys_end_with_one_ike_sa(void **state)
{
	(void)state;
	for (int round = 0; round < 6; round++) {
		establish(32, 32);
		struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
		unsigned old[1] = { west->serial > east->serial ? west->serial : east->serial };
		assert_true(ikev2_rekey_now(west, true));
		assert_true(ikev2_rekey_now(east, true));
		wire_pump(64);
		assert_true(two_ike_sas_with_new_serials(old));
		west = harness_sa("west", true) != NULL ? harness_sa("west", true) : harness_sa("west", false);
		east = harness_sa("east", true) != NULL ? harness_sa("east", true) : harness_sa("east", false);
		assert_memory_equal(west->spi_i, east->spi_i, IKEV2_SPI_LEN);
		assert_memory_equal(west->spi_r, east->spi_r, IKEV2_SPI_LEN);
		assert_one_child_each(west, east);
		/* and the IKE SA left works: a child rekey over it */
		assert_true(ikev2_rekey_now(east, false));
		wire_pump(32);
		assert_one_child_each(west, east);
		ikev2_down("west", "test");
		ikev2_down("east", "test");
		wire_pump(16);
		assert_null(ike_sa_first());
		assert_int_equal(dbl.npols, 0);
	}
}

struct both_rekeyed {
	unsigned old_ike;
	uint32_t old_child_spi;
};

static bool ike_and_child_rekeyed(void *arg)
{
	const struct both_rekeyed *b = arg;
	wire_pump(8);
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", true);
	if (west == NULL)
		west = harness_sa("west", false);
	if (east == NULL)
		east = harness_sa("east", false);
	return ike_sa_count() == 2 && west != NULL && east != NULL && west->serial > b->old_ike &&
	       west->tunnels[0].child.spi_in != b->old_child_spi && west->rekey == NULL && east->rekey == NULL &&
	       west->request.data == NULL && east->request.data == NULL && !east->tunnels[0].child.out_pending &&
	       !west->tunnels[0].child.out_pending;
}

/* west rekeys the IKE SA while east rekeys the child: each is put off
 * (TEMPORARY_FAILURE, 2.25) and done a random while later. */
static void test_a_child_rekey_meeting_an_ike_rekey_is_put_off_and_done_later(void **state)
{
	(void)state;
	establish(32, 32);
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
	struct both_rekeyed b = { west->serial > east->serial ? west->serial : east->serial, west->tunnels[0].child.spi_in };
	assert_true(ikev2_rekey_now(west, true));
	assert_true(ikev2_rekey_now(east, false));
	assert_true(harness_wait(ike_and_child_rekeyed, &b, 20));
	west = harness_sa("west", true) != NULL ? harness_sa("west", true) : harness_sa("west", false);
	east = harness_sa("east", true) != NULL ? harness_sa("east", true) : harness_sa("east", false);
	assert_one_child_each(west, east);
}

static void inner_delete_child(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)arg;
	uint8_t spi[4];
	ikev2_put_be32(spi, ike->tunnels[0].child.spi_in);
	ikev2_add_delete(b, PROTO_ESP, 4, spi, 1);
}

/* east deletes only its child (as libreswan's --down of an IPsec SA may):
 * west, which keeps the conn up, makes the child anew over the live IKE
 * SA (CREATE_CHILD_SA without REKEY_SA), and east answers it. */
static void test_a_child_the_peer_deletes_is_made_anew_over_the_ike_sa(void **state)
{
	(void)state;
	establish(32, 32);
	conn("west")->config->auto_mode = AUTO_START;
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
	uint32_t old = west->tunnels[0].child.spi_in;
	static uint8_t out[IKEV2_MSG_MAX];
	size_t n = ikev2_build_encrypted(east, INFORMATIONAL, false, east->next_msgid, inner_delete_child, NULL, out,
					 sizeof(out));
	assert_int_not_equal(n, 0);
	east->request_kind = REQ_DELETE_CHILD;
	ikev2_send_request(east, out, n);
	child_sa_remove(east);
	wire_pump(32);
	assert_ptr_equal(harness_sa("west", true), west);	/* the same IKE SAs */
	assert_ptr_equal(harness_sa("east", false), east);
	assert_int_not_equal(west->tunnels[0].child.spi_in, old);
	assert_one_child_each(west, east);
	assert_int_equal(dbl.npols, 6);				/* both ends' policies, again */
	assert_int_equal(conn("west")->retry.next_at, 0);	/* nothing lost to bring back */
}

/* Without a conn kept up, the IKE SA stays and the child is not made
 * again, until ipsec auto --up asks for it. */
static void test_a_child_the_peer_deletes_stays_gone_unless_kept_up_or_asked_for(void **state)
{
	(void)state;
	establish(32, 32);
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
	static uint8_t out[IKEV2_MSG_MAX];
	size_t n = ikev2_build_encrypted(east, INFORMATIONAL, false, east->next_msgid, inner_delete_child, NULL, out,
					 sizeof(out));
	east->request_kind = REQ_DELETE_CHILD;
	ikev2_send_request(east, out, n);
	child_sa_remove(east);
	wire_pump(32);
	assert_ptr_equal(harness_sa("west", true), west);
	assert_false(west->tunnels[0].child.installed);
	assert_int_equal(dbl.nsas, 0);
	assert_int_equal(dbl.npols, 0);
	/* --up makes it anew over the IKE SA that lives on */
	ikev2_initiate(conn("west"), 0);
	wire_pump(32);
	assert_ptr_equal(harness_sa("west", true), west);
	assert_ptr_equal(harness_sa("east", false), east);
	assert_one_child_each(west, east);
}

/* The kernel's soft expiry starts the rekey; with rekey=no it does not. */
static void test_a_soft_expiry_rekeys_the_child(void **state)
{
	(void)state;
	establish(32, 32);
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
	uint32_t old = west->tunnels[0].child.spi_in;
	assert_int_not_equal(west->tunnels[0].child.soft_seconds, 0);
	ikev2_child_soft_expired(&west->ends.local, old);
	ikev2_child_soft_expired(&west->ends.remote, west->tunnels[0].child.spi_out);	/* its pair: no second rekey */
	wire_pump(32);
	assert_int_not_equal(west->tunnels[0].child.spi_in, old);
	assert_one_child_each(west, east);
}

static void test_rekey_no_lets_the_child_expire(void **state)
{
	(void)state;
	struct ike_sa *west, *east;
	up_with(west_conf_with("\trekey=no\n"), secrets, &west, &east);
	/* (one kernel double for both ends: east sees the same expiry) */
	east->c->config->rekey = false;
	assert_int_equal(west->tunnels[0].child.soft_seconds, 0);
	uint32_t old = west->tunnels[0].child.spi_in;
	ikev2_child_soft_expired(&west->ends.local, old);
	wire_pump(32);
	assert_int_equal(west->tunnels[0].child.spi_in, old);
	assert_null(west->rekey);
	assert_int_equal(west->ike_rekey_at, 0);
	assert_int_not_equal(west->ike_expire_at, 0);
}

/* A child a rekey replaced that expires before its Delete goes quietly. */
static void test_a_replaced_child_that_expires_goes_quietly(void **state)
{
	(void)state;
	establish(32, 32);
	struct ike_sa *west = harness_sa("west", true), *east = harness_sa("east", false);
	wire.filter = hold_informational;
	assert_true(ikev2_rekey_now(west, false));
	wire_pump(32);
	wire.filter = NULL;
	assert_true(east->tunnels[0].child.out_pending);
	const struct child_sa *old = east->tunnels[0].retiring[0].serial != 0 ? &east->tunnels[0].retiring[0] : &east->tunnels[0].retiring[1];
	ikev2_child_expired(&east->ends.local, old->spi_in, "salifetime");
	assert_int_equal(retiring_count(east), 0);
	assert_false(east->tunnels[0].child.out_pending);			/* the new outbound went in */
	assert_ptr_equal(harness_sa("east", false), east);
	assert_true(east->tunnels[0].child.installed);
}

/* Both ends offload (one kernel double serves both: an SA east sends
 * with is found under the same SPI and address as the one west takes it
 * with, so they must agree), west with hw_offload_fallback=no; once
 * west_table_full is set, the NIC takes no more of west's SAs. */
static bool west_table_full;

static int west_nic(const struct kernel_sa *sa, struct kernel_err *e)
{
	ip_address west;
	assert_true(address_parse(WEST, &west));
	if (west_table_full && address_eq(sa->inbound ? &sa->dst : &sa->src, &west)) {
		e->errnum = ENOSPC;
		return -ENOSPC;
	}
	return 0;
}

static void up_offloaded_then_table_full(struct ike_sa **west, struct ike_sa **east)
{
	static const char offloaded[] =
		"conn west\n\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tesp=aes_gcm128-null\n"
		"\thw_offload=yes\n\thw_offload_fallback=no\n\tauto=add\n"
		"conn east\n\tleft=" EAST "\n\tright=" WEST "\n\tauthby=secret\n\tesp=aes_gcm128-null\n"
		"\thw_offload=yes\n\tauto=add\n";
	harness_stop();
	assert_true(harness_start(offloaded, secrets));
	dbl.esp_hw_offload = true;
	dbl.link = (struct kernel_link){ .ifindex = 7, .name = "eth0" };
	dbl.driver = west_nic;
	west_table_full = false;
	ikev2_initiate(conn("west"), 0);
	wire_pump(16);
	*west = harness_sa("west", true);
	*east = harness_sa("east", false);
	assert_non_null(*west);
	assert_non_null(*east);
	assert_int_equal((*west)->tunnels[0].child.offload[0].state, SA_OFFLOAD_CRYPTO);
	assert_int_equal((*west)->tunnels[0].child.offload[1].state, SA_OFFLOAD_CRYPTO);
	west_table_full = true;
}

/* The rekey's new child is refused by the initiator's own kernel after
 * the exchange: it deletes that child, and both ends go on with the old
 * one (the responder had replaced it already, and must take it back). */
static void rekey_refused_by_west(bool by_west)
{
	struct ike_sa *west, *east;
	up_offloaded_then_table_full(&west, &east);
	uint32_t in = west->tunnels[0].child.spi_in, out = west->tunnels[0].child.spi_out;
	unsigned west_serial = west->tunnels[0].child.serial, east_serial = east->tunnels[0].child.serial;
	assert_true(ikev2_rekey_now(by_west ? west : east, false));
	wire_pump(32);
	assert_ptr_equal(harness_sa("west", true), west);
	assert_ptr_equal(harness_sa("east", false), east);
	assert_int_equal(west->state, IKE_ESTABLISHED);
	assert_int_equal(east->state, IKE_ESTABLISHED);
	assert_int_equal(west->tunnels[0].child.serial, west_serial);
	assert_int_equal(east->tunnels[0].child.serial, east_serial);
	assert_int_equal(west->tunnels[0].child.spi_in, in);
	assert_int_equal(west->tunnels[0].child.spi_out, out);
	assert_int_equal(west->tunnels[0].child.offload[0].state, SA_OFFLOAD_CRYPTO);
	assert_one_child_each(west, east);
}

static void packet_sas_but_no_packet_policies(void)
{
	dbl.esp_hw_offload = true;
	dbl.packet_kernel = true;
	dbl.link = (struct kernel_link){ .ifindex = 7, .name = "eth0" };
	dbl_refuse(&dbl.refuse_packet_policy, EINVAL, "Policy offload is not supported");
}

/* A device that takes SAs for packet offload but not their policies (the
 * kernel has packet offload, the driver no xdo_dev_policy_add): both ends
 * ask for hw_offload=OFFLOAD with fallback FALLBACK; east, the responder,
 * is returned. East installs first: what it reads back from the double
 * that serves both ends is its own (west would find east's SAs). */
static struct ike_sa *east_with_policy_offload_refused(const char *offload, const char *fallback)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "conn west\n\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tesp=aes_gcm128-null\n"
		 "\thw_offload=%s\n\thw_offload_fallback=%s\n\tauto=add\n"
		 "conn east\n\tleft=" EAST "\n\tright=" WEST "\n\tauthby=secret\n\tesp=aes_gcm128-null\n"
		 "\thw_offload=%s\n\thw_offload_fallback=%s\n\tauto=add\n", offload, fallback, offload, fallback);
	harness_stop();
	assert_true(harness_start_on(text, secrets, packet_sas_but_no_packet_policies));
	nlog_kept = 0;
	log_set_tee(keep_log_line, NULL);
	ikev2_initiate(conn("west"), 0);
	wire_pump(16);
	log_set_tee(NULL, NULL);
	return harness_sa("east", false);
}

static bool logged_line(const char *text)
{
	for (size_t i = 0; i < nlog_kept; i++) {
		if (strstr(log_kept[i], text) != NULL)
			return true;
	}
	return false;
}

/* No policy the double holds asks for packet offload. */
static void assert_no_packet_policy(void)
{
	for (size_t i = 0; i < dbl.npols; i++)
		assert_int_not_equal(dbl.pols[i].offload, KERNEL_OFFLOAD_PACKET);
}

static void test_auto_steps_down_to_crypto_when_the_device_refuses_packet_policies(void **state)
{
	(void)state;
	struct ike_sa *east = east_with_policy_offload_refused("auto", "yes");
	assert_non_null(east);
	assert_true(east->tunnels[0].child.installed);
	assert_int_equal(east->tunnels[0].child.offload[0].state, SA_OFFLOAD_CRYPTO);
	assert_int_equal(east->tunnels[0].child.offload[1].state, SA_OFFLOAD_CRYPTO);
	assert_true(logged_line("\"east\" #"));
	assert_true(logged_line("hw_offload: eth0 took the SAs for packet offload but refused their outbound policy: "
				"Policy offload is not supported (EINVAL); hint: eth0 offloads SAs but not policies - "
				"try hw_offload=crypto; installing the SAs again for crypto offload (hw_offload=auto)"));
	assert_no_packet_policy();
	/* its rekeys ask for crypto offload at once: a packet SA, which the
	 * double would take and no policy would follow, is not asked for */
	unsigned serial = east->tunnels[0].child.serial;
	assert_true(ikev2_rekey_now(east, false));
	wire_pump(32);
	assert_int_not_equal(east->tunnels[0].child.serial, serial);
	assert_int_equal(east->tunnels[0].child.offload[0].state, SA_OFFLOAD_CRYPTO);
	assert_no_packet_policy();
}

static void test_packet_with_fallback_runs_in_software_when_the_device_refuses_packet_policies(void **state)
{
	(void)state;
	struct ike_sa *east = east_with_policy_offload_refused("packet", "yes");
	assert_non_null(east);
	assert_true(east->tunnels[0].child.installed);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(east->tunnels[0].child.offload[i].state, SA_OFFLOAD_SOFTWARE);
		assert_string_equal(east->tunnels[0].child.offload[i].why, "policy offload refused by eth0");
	}
	assert_true(logged_line("installing the SAs again in software (hw_offload_fallback=yes)"));
	assert_no_packet_policy();
}

static void test_packet_without_fallback_fails_and_leaves_nothing_when_the_device_refuses_packet_policies(void **state)
{
	(void)state;
	assert_null(east_with_policy_offload_refused("packet", "no"));
	assert_null(harness_sa("west", true));
	assert_true(logged_line("refused their outbound policy: Policy offload is not supported (EINVAL)"));
	assert_true(logged_line("not installing them (hw_offload_fallback=no)"));
	assert_int_equal(dbl.nsas, 0);
	assert_int_equal(dbl.npols, 0);
}

static void test_a_rekey_the_initiator_cannot_install_leaves_the_old_child_on_both_ends(void **state)
{
	(void)state;
	rekey_refused_by_west(true);
}

static void test_a_rekey_the_responder_cannot_install_leaves_the_old_child_on_both_ends(void **state)
{
	(void)state;
	rekey_refused_by_west(false);
}

/* ---- several conns between the same two hosts ---- */

/* Two tunnels between WEST and EAST, one per pair of subnets. */
static const char two_tunnels_conf[] =
	"conn west\n\tleft=" WEST "\n\tright=" EAST "\n\tleftsubnet=10.1.1.0/24\n\trightsubnet=10.2.1.0/24\n"
	"\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n"
	"conn west2\n\tleft=" WEST "\n\tright=" EAST "\n\tleftsubnet=10.1.2.0/24\n\trightsubnet=10.2.2.0/24\n"
	"\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n"
	"conn east\n\tleft=" EAST "\n\tright=" WEST "\n\tleftsubnet=10.2.1.0/24\n\trightsubnet=10.1.1.0/24\n"
	"\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n"
	"conn east2\n\tleft=" EAST "\n\tright=" WEST "\n\tleftsubnet=10.2.2.0/24\n\trightsubnet=10.1.2.0/24\n"
	"\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n";

static void two_tunnels_start(void)
{
	harness_stop();
	assert_true(harness_start(two_tunnels_conf, secrets));
}

/* Both tunnels up, two SAs each end for each, none other. */
static void assert_two_tunnels_up(void)
{
	assert_tunnel_up("west", "east");
	assert_tunnel_up("west2", "east2");
	assert_int_equal(dbl.nsas, 8);
}

/* The responder picks a conn by the two addresses at IKE_SA_INIT; the
 * traffic selectors of IKE_AUTH then ask for the second tunnel, and the
 * conn that has those subnets takes the IKE SA. The other conn, with the
 * same hosts and IDs, then has its child made over that IKE SA. */
static void test_the_conn_of_the_traffic_selectors_answers(void **state)
{
	(void)state;
	two_tunnels_start();
	ikev2_initiate(conn("west2"), 0);
	wire_pump(16);
	assert_tunnel_up("west2", "east2");
	assert_null(harness_sa("east", false));
	ikev2_initiate(conn("west"), 0);
	wire_pump(16);
	struct ike_sa *i = harness_sa("west2", true), *r = harness_sa("east2", false);
	assert_int_equal(ike_sa_count(), 2);
	assert_int_equal(i->ntunnels, 2);
	assert_int_equal(r->ntunnels, 2);
	assert_string_equal(i->tunnels[1].c->config->name, "west");
	assert_string_equal(r->tunnels[1].c->config->name, "east");
	assert_true(i->tunnels[1].child.installed);
	assert_true(r->tunnels[1].child.installed);
	assert_int_equal(i->tunnels[1].child.spi_out, r->tunnels[1].child.spi_in);
	assert_int_equal(dbl.nsas, 8);
}

/* Both start at once (as after a restart), so both IKE_AUTHs say
 * INITIAL_CONTACT: the second must not drop the first's new SA, which
 * the peer made after it started afresh. */
static void test_initial_contact_spares_the_peers_new_sas(void **state)
{
	(void)state;
	two_tunnels_start();
	ikev2_initiate(conn("west"), 0);
	ikev2_initiate(conn("west2"), 0);
	wire_pump(16);
	assert_two_tunnels_up();
}

/* ---- several pairs of subnets in one conn ---- */

/* Two subnets on each side, in libreswan's two spellings: four tunnels,
 * each its own child SA, over one IKE SA. */
static const char subnet_pairs_conf[] =
	"conn west\n\tleft=" WEST "\n\tright=" EAST "\n\tleftsubnets={10.1.1.0/24 10.1.2.0/24}\n"
	"\trightsubnet=10.2.1.0/24,10.2.2.0/24\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n"
	"conn east\n\tleft=" EAST "\n\tright=" WEST "\n\tleftsubnets=10.2.1.0/24,10.2.2.0/24\n"
	"\trightsubnets={10.1.1.0/24 10.1.2.0/24}\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n";

static void subnet_pairs_up(void)
{
	harness_stop();
	assert_true(harness_start(subnet_pairs_conf, secrets));
	ikev2_initiate(conn("west"), 0);
	wire_pump(64);
}

static bool subnet_eq(const ip_subnet *a, const ip_subnet *b)
{
	return a->prefixlen == b->prefixlen && address_eq(&a->addr, &b->addr);
}

/* e's tunnel whose child is the other end of child ch of w. */
static const struct tunnel *peer_tunnel(const struct ike_sa *e, const struct child_sa *ch)
{
	for (unsigned k = 0; k < e->ntunnels; k++) {
		if (e->tunnels[k].child.installed && e->tunnels[k].child.spi_in == ch->spi_out)
			return &e->tunnels[k];
	}
	return NULL;
}

/* Every tunnel of w is up with its own pair and reqid, and e holds the
 * other end of each, its selectors mirrored and its keys the same. */
static void assert_pairs_up(struct ike_sa *w, struct ike_sa *e, unsigned up)
{
	assert_int_equal(w->ntunnels, 4);
	assert_int_equal(e->ntunnels, 4);
	unsigned n = 0;
	for (unsigned k = 0; k < w->ntunnels; k++) {
		const struct child_sa *ch = &w->tunnels[k].child;
		if (!ch->installed)
			continue;
		n++;
		ip_subnet l, r;
		ends_pair(&w->ends, w->tunnels[k].pair, &l, &r);
		assert_true(subnet_eq(&ch->local_net, &l));
		assert_true(subnet_eq(&ch->remote_net, &r));
		const struct tunnel *et = peer_tunnel(e, ch);
		assert_non_null(et);
		assert_true(subnet_eq(&et->child.local_net, &ch->remote_net));
		assert_true(subnet_eq(&et->child.remote_net, &ch->local_net));
		assert_int_equal(et->child.spi_out, ch->spi_in);
		for (unsigned j = 0; j < k; j++)
			assert_int_not_equal(w->tunnels[j].child.reqid, ch->reqid);
	}
	assert_int_equal(n, up);
	assert_int_equal(dbl.nsas, 4 * up);
	assert_int_equal(dbl.npols, 6 * up);	/* out, in, fwd at each end */
}

static void test_several_subnet_pairs_come_up_over_one_ike_sa(void **state)
{
	(void)state;
	subnet_pairs_up();
	assert_int_equal(ike_sa_count(), 2);
	assert_pairs_up(harness_sa("west", true), harness_sa("east", false), 4);
}

/* Each pair's child is rekeyed in its own CREATE_CHILD_SA, one at a time,
 * and an IKE SA rekey takes every tunnel along. */
static void test_each_subnet_pair_is_rekeyed_and_moves_with_the_ike_sa(void **state)
{
	(void)state;
	subnet_pairs_up();
	struct ike_sa *w = harness_sa("west", true);
	unsigned before[4];
	for (unsigned k = 0; k < 4; k++)
		before[k] = w->tunnels[k].child.serial;
	assert_true(ikev2_rekey_now(w, false));
	wire_pump(64);
	for (unsigned k = 0; k < 4; k++)
		assert_int_not_equal(w->tunnels[k].child.serial, before[k]);
	assert_pairs_up(w, harness_sa("east", false), 4);
	assert_true(ikev2_rekey_now(harness_sa("east", false), true));
	wire_pump(64);
	/* the old IKE SAs are gone; east started the new one */
	assert_int_equal(ike_sa_count(), 2);
	assert_pairs_up(harness_sa("west", false), harness_sa("east", true), 4);
}

/* A pair whose child expires goes alone, the peer told; ipsec auto --up
 * brings it back over the same IKE SA. */
static void test_one_subnet_pair_goes_and_comes_back_alone(void **state)
{
	(void)state;
	subnet_pairs_up();
	struct ike_sa *w = harness_sa("west", true), *e = harness_sa("east", false);
	const struct child_sa *ch = &w->tunnels[1].child;
	ikev2_child_expired(&w->ends.local, ch->spi_in, "the test's");
	wire_pump(64);
	assert_false(w->tunnels[1].child.installed);
	assert_pairs_up(w, e, 3);
	assert_int_equal(w->state, IKE_ESTABLISHED);
	ikev2_initiate(conn("west"), 0);
	wire_pump(64);
	assert_int_equal(ike_sa_count(), 2);
	assert_pairs_up(w, e, 4);
}

/* East deletes all four children in one Delete (they wait for the window
 * while its IKE SA rekey runs, then go out together): west removes every
 * one; ipsec auto --up then makes all four anew over the IKE SA. */
static void test_a_delete_of_every_pair_and_up_bringing_them_all_back(void **state)
{
	(void)state;
	subnet_pairs_up();
	struct ike_sa *e = harness_sa("east", false);
	assert_true(ikev2_rekey_now(e, true));		/* the window is busy */
	for (unsigned k = 0; k < e->ntunnels; k++)
		ikev2_delete_tunnel(e, &e->tunnels[k]);
	wire_pump(64);
	assert_int_equal(ike_sa_count(), 2);
	assert_int_equal(dbl.nsas, 0);
	assert_int_equal(dbl.npols, 0);
	struct ike_sa *w = harness_sa("west", false);	/* east started the new IKE SA */
	assert_non_null(w);
	assert_int_equal(w->state, IKE_ESTABLISHED);
	assert_false(ike_sa_any_child(w));
	ikev2_initiate(conn("west"), 0);
	wire_pump(64);
	assert_pairs_up(w, harness_sa("east", true), 4);
}

/* A device that takes packet offload policies until it refuses one (its
 * policy table full, say) on a later pair: the step down is IKE SA wide,
 * but the pairs already up keep their packet offloaded policies. A rekey
 * of such a pair must still install packet offload SAs, or SAs and
 * policies disagree and the kernel finds no SA for the pair's traffic. */
static void packet_sas_and_policies(void)
{
	dbl.esp_hw_offload = true;
	dbl.packet_kernel = true;
	dbl.link = (struct kernel_link){ .ifindex = 7, .name = "eth0" };
}

/* Whether tunnel t of ike has an outbound policy with packet offload. */
static bool out_policy_is_packet(const struct ike_sa *ike, const struct tunnel *t)
{
	for (size_t i = 0; i < dbl.npols; i++) {
		const struct kernel_policy *p = &dbl.pols[i];
		if (p->dir == KERNEL_DIR_OUT && address_eq(&p->tmpl_src, &ike->ends.local) &&
		    p->src.prefixlen == t->child.local_net.prefixlen &&
		    address_eq(&p->src.addr, &t->child.local_net.addr) &&
		    p->dst.prefixlen == t->child.remote_net.prefixlen &&
		    address_eq(&p->dst.addr, &t->child.remote_net.addr))
			return p->offload == KERNEL_OFFLOAD_PACKET;
	}
	fail_msg("no outbound policy for the tunnel");
	return false;
}

static void test_a_rekey_after_a_later_pair_steps_down_keeps_sas_and_policies_agreeing(void **state)
{
	(void)state;
	harness_stop();
	char text[1024];
	snprintf(text, sizeof(text), "%s", subnet_pairs_conf);
	/* hw_offload=auto at both ends */
	static const char *const from = "\tauto=add\n";
	char cfgtext[1400] = "";
	for (char *p = text, *q; (q = strstr(p, from)) != NULL; p = q + strlen(from)) {
		strncat(cfgtext, p, (size_t)(q - p));
		strcat(cfgtext, "\thw_offload=auto\n\tauto=add\n");
	}
	assert_true(harness_start_on(cfgtext, secrets, packet_sas_and_policies));
	ikev2_initiate(conn("west"), 0);
	wire_pump(64);
	struct ike_sa *e = harness_sa("east", false);
	assert_non_null(e);
	assert_int_equal(e->ntunnels, 4);
	assert_int_equal(e->tunnels[0].child.offload[1].state, SA_OFFLOAD_PACKET);
	assert_true(out_policy_is_packet(e, &e->tunnels[0]));
	/* the last pair goes, and comes back while the device refuses packet
	 * policies: east steps down for it */
	ikev2_delete_tunnel(e, &e->tunnels[3]);
	wire_pump(64);
	dbl_refuse(&dbl.refuse_packet_policy, ENOSPC, "Policy table full");
	ikev2_initiate(conn("west"), 0);
	wire_pump(64);
	assert_true(e->tunnels[3].child.installed);
	assert_true(e->packet_policy_refused);
	memset(&dbl.refuse_packet_policy, 0, sizeof(dbl.refuse_packet_policy));
	/* the first pair, its policies still packet offloaded, is rekeyed */
	unsigned serial = e->tunnels[0].child.serial;
	ikev2_rekey_tunnel(e, &e->tunnels[0]);
	wire_pump(64);
	assert_int_not_equal(e->tunnels[0].child.serial, serial);
	bool packet_policy = out_policy_is_packet(e, &e->tunnels[0]);
	bool packet_sa = e->tunnels[0].child.offload[1].state == SA_OFFLOAD_PACKET;
	if (packet_policy != packet_sa)
		fail_msg("pair 0 after its rekey: outbound policy %s, outbound SA %s",
			 packet_policy ? "packet offload" : "not packet offload",
			 packet_sa ? "packet offload" : "not packet offload");
}

/* The peer refuses two of the four pairs (its conn has one subnet where
 * ours has two): the pairs after a refused one still come up. */
static void test_a_refused_pair_does_not_hold_back_the_others(void **state)
{
	(void)state;
	harness_stop();
	static const char one_east_subnet[] =
		"conn west\n\tleft=" WEST "\n\tright=" EAST "\n\tleftsubnets={10.1.1.0/24 10.1.2.0/24}\n"
		"\trightsubnet=10.2.1.0/24,10.2.2.0/24\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n"
		"conn east\n\tleft=" EAST "\n\tright=" WEST "\n\tleftsubnet=10.2.1.0/24\n"
		"\trightsubnets={10.1.1.0/24 10.1.2.0/24}\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n";
	assert_true(harness_start(one_east_subnet, secrets));
	ikev2_initiate(conn("west"), 0);
	wire_pump(64);
	struct ike_sa *w = harness_sa("west", true), *e = harness_sa("east", false);
	/* pairs 0 (10.1.1.0/24-10.2.1.0/24) and 2 (10.1.2.0/24-10.2.1.0/24) */
	assert_true(w->tunnels[0].child.installed);
	assert_false(w->tunnels[1].child.installed);
	assert_true(w->tunnels[2].child.installed);
	assert_false(w->tunnels[3].child.installed);
	assert_null(w->request.data);
	assert_false(w->tunnels[1].want_rekey || w->tunnels[3].want_rekey);
	assert_int_equal(e->ntunnels, 2);
	assert_true(e->tunnels[0].child.installed && e->tunnels[1].child.installed);
	assert_int_equal(dbl.nsas, 8);
}

/* A pair's child expires while its rekey is out: the answer's child is
 * not installed (its pair has no policies any more) but deleted at the
 * peer, and the other pairs stay. */
static void test_a_pair_that_goes_during_its_rekey_takes_the_rekeys_child_along(void **state)
{
	(void)state;
	subnet_pairs_up();
	struct ike_sa *w = harness_sa("west", true), *e = harness_sa("east", false);
	ikev2_rekey_tunnel(w, &w->tunnels[1]);
	assert_non_null(w->request.data);		/* the rekey is out */
	ikev2_delete_tunnel(w, &w->tunnels[1]);
	wire_pump(64);
	assert_false(w->tunnels[1].child.installed);
	for (size_t i = 0; i < CHILD_RETIRING_MAX; i++)
		assert_int_equal(w->tunnels[1].retiring[i].serial, 0);
	assert_pairs_up(w, e, 3);
}

/* ---- the config an exchange began with ---- */

/* An auto=start conn replaced while its attempt is under way: the failure
 * and the next attempt go to the conn of that name now loaded. */
static void test_a_failed_attempt_of_a_replaced_conn_is_planned_on_the_new_one(void **state)
{
	(void)state;
	conn("west")->config->auto_mode = AUTO_START;
	ikev2_initiate(conn("west"), 0);
	wire_clear();				/* east never hears of it */
	struct ike_sa *west = harness_sa("west", true);
	struct diag d, notes;
	diag_init(&d);
	diag_init(&notes);
	bool replaced;
	struct connection *now = conn_load(west->c->config, false, &replaced, &d, &notes);
	assert_non_null(now);
	assert_true(replaced);
	ike_log(west, LL_ERROR, "no answer (the test gives up for it)");
	ikev2_fail(west);
	assert_int_equal(now->retry.failures, 1);
	assert_int_not_equal(now->retry.next_at, 0);
}


static void test_an_exchange_keeps_its_config_when_the_conn_is_replaced(void **state)
{
	(void)state;
	ikev2_initiate(conn("west"), 0);
	wire_pump(1);				/* IKE_SA_INIT reaches east */
	/* west's conn is replaced by one that asks for CBC */
	struct conn_config cfg = *conn("west")->config;
	struct diag d, notes;
	diag_init(&d);
	diag_init(&notes);
	static struct alg_proposals cbc;
	assert_true(alg_parse_esp("aes128-sha2_256", &cbc, &d));
	cfg.esp_proposals = alg_proposals_share(&cbc);
	bool replaced;
	assert_non_null(conn_load(&cfg, false, &replaced, &d, &notes));
	alg_proposals_unref(cfg.esp_proposals);	/* the new conn holds its own */
	assert_true(replaced);
	wire_pump(16);
	struct ike_sa *west = harness_sa("west", true);
	assert_non_null(west);
	assert_int_equal(west->state, IKE_ESTABLISHED);
	assert_int_equal(west->tunnels[0].child.alg.encr, ENCR_AES_GCM_16);
	assert_true(west->c->unloaded);
	assert_ptr_not_equal(west->c, conn_find("west"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, start, stop)
	const struct CMUnitTest tests[] = {
		T(test_nonces_of_every_valid_length_in_both_roles),
		T(test_informational_before_ike_auth_is_dropped),
		T(test_an_unknown_critical_payload_before_ike_auth_gets_no_answer),
		T(test_ike_auth_at_the_wrong_message_id_is_dropped),
		T(test_a_second_ike_auth_is_answered_and_the_window_moves),
		T(test_a_peers_id_is_escaped_in_the_log),
		T(test_a_received_id_is_kept_as_sent_and_shown_escaped),
		T(test_ids_that_are_not_ascii_authenticate),
		T(test_a_spoofed_ike_sa_init_does_not_hold_back_our_initiation),
		T(test_half_open_sas_expire),
		T(test_a_forger_cannot_lock_a_peer_out),
		T(test_half_open_sas_are_capped_in_all),
		T(test_busy_responder_asks_for_a_cookie_and_the_initiator_returns_it),
		T(test_cookies_start_at_the_threshold),
		T(test_a_bad_ke_value_holds_a_half_open_place_unanswered),
		T(test_an_oversized_ike_sa_init_is_dropped),
		T(test_a_forged_cookie_is_not_taken),
		T(test_only_a_byte_identical_retransmit_is_answered_again),
		T(test_a_retransmitted_ike_auth_is_answered_from_the_cache),
		T(test_a_peer_starting_again_replaces_its_old_sa),
		T(test_the_defaults_take_the_group_of_the_initiators_ke),
		T(test_a_late_invalid_ke_for_an_earlier_copy_is_ignored),
		T(test_a_request_is_given_up_after_retransmit_timeout),
		T(test_a_live_peer_answers_liveness_checks),
		T(test_a_dead_peer_is_noticed_and_the_tunnel_brought_back),
		T(test_dpdaction_clear_does_not_bring_it_back),
		T(test_a_tunnel_the_peer_deletes_is_brought_back),
		T(test_initial_contact_clears_what_a_restarted_peer_left),
		T(test_initial_contact_spares_sas_with_our_other_ids),
		T(test_the_conn_of_the_traffic_selectors_answers),
		T(test_initial_contact_spares_the_peers_new_sas),
		T(test_several_subnet_pairs_come_up_over_one_ike_sa),
		T(test_each_subnet_pair_is_rekeyed_and_moves_with_the_ike_sa),
		T(test_one_subnet_pair_goes_and_comes_back_alone),
		T(test_a_delete_of_every_pair_and_up_bringing_them_all_back),
		T(test_a_refused_pair_does_not_hold_back_the_others),
		T(test_a_rekey_after_a_later_pair_steps_down_keeps_sas_and_policies_agreeing),
		T(test_a_pair_that_goes_during_its_rekey_takes_the_rekeys_child_along),
		T(test_an_expired_child_ends_its_tunnel_and_a_kept_up_conn_starts_over),
		T(test_the_initiator_rekeys_the_child),
		T(test_the_responder_rekeys_the_child),
		T(test_three_rekeys_in_a_row_leave_one_child),
		T(test_pfs_no_rekeys_without_a_key_exchange),
		T(test_the_responder_sends_on_the_new_child_only_after_the_old_is_deleted),
		T(test_simultaneous_child_rekeys_leave_one_child),
		T(test_a_rekey_the_initiator_cannot_install_leaves_the_old_child_on_both_ends),
		T(test_auto_steps_down_to_crypto_when_the_device_refuses_packet_policies),
		T(test_packet_with_fallback_runs_in_software_when_the_device_refuses_packet_policies),
		T(test_packet_without_fallback_fails_and_leaves_nothing_when_the_device_refuses_packet_policies),
		T(test_a_rekey_the_responder_cannot_install_leaves_the_old_child_on_both_ends),
		T(test_the_initiator_rekeys_the_ike_sa),
		T(test_the_responder_rekeys_the_ike_sa),
		T(test_simultaneous_ike_rekeys_end_with_one_ike_sa),
		T(test_a_child_rekey_meeting_an_ike_rekey_is_put_off_and_done_later),
		T(test_a_child_the_peer_deletes_is_made_anew_over_the_ike_sa),
		T(test_a_child_the_peer_deletes_stays_gone_unless_kept_up_or_asked_for),
		T(test_a_soft_expiry_rekeys_the_child),
		T(test_rekey_no_lets_the_child_expire),
		T(test_a_replaced_child_that_expires_goes_quietly),
		T(test_an_exchange_keeps_its_config_when_the_conn_is_replaced),
		T(test_a_failed_attempt_of_a_replaced_conn_is_planned_on_the_new_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
