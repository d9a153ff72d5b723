/* Unit tests of the responder's choice of conn, two ends in one process
 * (ike_harness.h): the peer's IDs choose among the conns between two
 * hosts before its AUTH is checked (each conn's own PSK), a peer whose ID
 * fits no conn is refused with one log line, and the peers of a
 * right=%any template each get an instance of their own that goes with
 * its tunnel; left=%defaultroute and host names in right=. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "ike_harness.h"
#include "child_sa.h"
#include "control.h"
#include "status.h"
#include "whack_msg.h"

#define WEST "192.0.2.1"
#define EAST "192.0.2.2"
#define ROAD1 "192.0.2.11"
#define ROAD2 "192.0.2.12"

/* Two conns from west to east with different IDs and PSKs (and subnets,
 * so the kernel can hold both tunnels' policies); east's first conn is
 * the one IKE_SA_INIT finds by the addresses. The third is west's with
 * an ID east has no conn for. */
static const char two_ids_conf[] =
	"conn east-a\n"
	"\tleft=" EAST "\n\tleftid=@east\n\tleftsubnet=10.2.0.0/24\n"
	"\tright=" WEST "\n\trightid=@a\n\trightsubnet=10.1.0.0/24\n\tauthby=secret\n\tauto=add\n"
	"conn east-b\n"
	"\tleft=" EAST "\n\tleftid=@east\n\tleftsubnet=10.2.1.0/24\n"
	"\tright=" WEST "\n\trightid=@b\n\trightsubnet=10.1.1.0/24\n\tauthby=secret\n\tauto=add\n"
	"conn west-a\n"
	"\tleft=" WEST "\n\tleftid=@a\n\tleftsubnet=10.1.0.0/24\n"
	"\tright=" EAST "\n\trightid=@east\n\trightsubnet=10.2.0.0/24\n\tauthby=secret\n\tauto=add\n"
	"conn west-b\n"
	"\tleft=" WEST "\n\tleftid=@b\n\tleftsubnet=10.1.1.0/24\n"
	"\tright=" EAST "\n\trightid=@east\n\trightsubnet=10.2.1.0/24\n\tauthby=secret\n\tauto=add\n"
	"conn west-c\n"
	"\tleft=" WEST "\n\tleftid=@c\n\tleftsubnet=10.1.2.0/24\n"
	"\tright=" EAST "\n\trightid=@east\n\trightsubnet=10.2.2.0/24\n\tauthby=secret\n\tauto=add\n";
static const char two_ids_secrets[] =
	"@a @east : PSK \"the key of a\"\n"
	"@b @east : PSK \"the key of b\"\n"
	"@c @east : PSK \"the key of c\"\n";

/* A road-warrior template at east, and two peers with their own IDs,
 * addresses and PSKs; a third has a PSK only for another ID of east's. */
static const char rw_conf[] =
	"conn rw\n"
	"\tleft=" EAST "\n\tleftid=@east\n\tright=%any\n\tauthby=secret\n\tauto=add\n"
	"conn road1\n"
	"\tleft=" ROAD1 "\n\tleftid=@road1\n\tright=" EAST "\n\trightid=@east\n\tauthby=secret\n\tauto=add\n"
	"conn road2\n"
	"\tleft=" ROAD2 "\n\tleftid=@road2\n\tright=" EAST "\n\trightid=@east\n\tauthby=secret\n\tauto=add\n"
	"conn road3\n"
	"\tleft=" ROAD2 "\n\tleftid=@road3\n\tright=" EAST "\n\trightid=@east3\n\tauthby=secret\n\tauto=add\n";
static const char rw_secrets[] =
	"@east @road1 : PSK \"the key of road1\"\n"
	"@east @road2 : PSK \"the key of road2\"\n"
	"@east3 @road3 : PSK \"road3 has a key, but not with @east\"\n";


static int stop(void **state)
{
	(void)state;
	log_set_tee(NULL, NULL);
	harness_stop();
	return 0;
}

static int start_two_ids(void **state)
{
	(void)state;
	nlog_kept = 0;
	log_set_tee(keep_log_line, NULL);
	return harness_start(two_ids_conf, two_ids_secrets) ? 0 : -1;
}

static int start_rw(void **state)
{
	(void)state;
	nlog_kept = 0;
	log_set_tee(keep_log_line, NULL);
	return harness_start(rw_conf, rw_secrets) ? 0 : -1;
}

static void up(const char *name)
{
	struct connection *c = conn_find(name);
	assert_non_null(c);
	ikev2_initiate(c, 0);
	wire_pump(16);
}

/* The responder's established SA of conn name with its child installed. */
static struct ike_sa *responder_up(const char *name)
{
	struct ike_sa *r = harness_sa(name, false);
	assert_non_null(r);
	assert_int_equal(r->state, IKE_ESTABLISHED);
	assert_true(r->tunnels[0].child.installed);
	return r;
}

static void assert_initiator_up(const char *name)
{
	struct ike_sa *i = harness_sa(name, true);
	assert_non_null(i);
	assert_int_equal(i->state, IKE_ESTABLISHED);
	assert_true(i->tunnels[0].child.installed);
}

/* east-b allows only AES-CBC-256 with MODP4096; west-b, as @b, offers
 * what east-a (found by the addresses) allows: the switch to east-b must
 * not carry an IKE SA that east-b's ike= would never have agreed to. */
static const char ike_policy_conf[] =
	"conn east-a\n"
	"\tleft=" EAST "\n\tleftid=@east\n\tright=" WEST "\n\trightid=@a\n\tauthby=secret\n\tauto=add\n"
	"conn east-b\n"
	"\tleft=" EAST "\n\tleftid=@east\n\tright=" WEST "\n\trightid=@b\n\tauthby=secret\n"
	"\tike=aes256-sha2_512;modp4096\n\tauto=add\n"
	"conn west-b\n"
	"\tleft=" WEST "\n\tleftid=@b\n\tright=" EAST "\n\trightid=@east\n\tauthby=secret\n"
	"\tike=aes_gcm128-sha2_256;dh19\n\tauto=add\n";

static int start_ike_policy(void **state)
{
	(void)state;
	nlog_kept = 0;
	log_set_tee(keep_log_line, NULL);
	return harness_start(ike_policy_conf, two_ids_secrets) ? 0 : -1;
}

static void test_a_conn_switched_to_must_allow_the_ike_algorithms(void **state)
{
	(void)state;
	up("west-b");
	assert_null(harness_sa("east-b", false));
	assert_null(harness_sa("east-a", false));
	struct ike_sa *w = harness_sa("west-b", true);
	assert_true(w == NULL || w->state != IKE_ESTABLISHED);
	assert_int_equal(kept_lines_with("fits the peer's ID '@b'"), 1);
	assert_int_equal(dbl.nsas, 0);
}

/* ---- the conn chosen by the peer's IDs ---- */

/* west-b's IKE_SA_INIT finds east-a by the addresses; its ID @b takes
 * east-b, whose PSK (not east-a's) checks its AUTH. Then west-a comes up
 * beside it on east-a. */
static void test_the_peers_id_chooses_the_conn_and_its_psk(void **state)
{
	(void)state;
	up("west-b");
	assert_initiator_up("west-b");
	struct ike_sa *b = responder_up("east-b");
	assert_null(harness_sa("east-a", false));
	assert_string_equal(b->ends.remote_id, "@b");
	assert_int_equal(kept_lines_with("the peer's IDs are those of conn \"east-b\""), 1);
	up("west-a");
	assert_initiator_up("west-a");
	struct ike_sa *a = responder_up("east-a");
	assert_string_equal(a->ends.remote_id, "@a");
	assert_ptr_equal(b, harness_sa("east-b", false));	/* still up */
	assert_int_not_equal(a->tunnels[0].child.reqid, b->tunnels[0].child.reqid);
}

/* west-c's ID fits no conn of east: AUTHENTICATION_FAILED, with one line
 * saying so, and nothing of it kept at east. */
static void test_a_peer_whose_id_fits_no_conn_is_refused(void **state)
{
	(void)state;
	up("west-c");
	assert_null(harness_sa("east-a", false));
	assert_null(harness_sa("east-b", false));
	assert_null(harness_sa("west-c", true));	/* it gave up */
	assert_int_equal(kept_lines_with("authentication failed: no conn from " WEST " to " EAST " fits the peer's ID '@c'"), 1);
	assert_int_equal(kept_lines_with("rejected our authentication (AUTHENTICATION_FAILED)"), 1);
	assert_int_equal(kept_lines_with("authentication failed"), 1);
	assert_int_equal(dbl.nsas, 0);
}

/* ---- road warriors: instances of a right=%any template ---- */

static size_t instance_count(void)
{
	size_t n = 0;
	for (const struct connection *i = conn_first_instance(); i != NULL; i = i->next)
		n++;
	return n;
}

/* Two peers with their IDs and PSKs on one template: each an instance of
 * its own, numbered, with its own IKE SA, child and reqid; the log says
 * which. */
static void test_each_road_warrior_gets_an_instance(void **state)
{
	(void)state;
	up("road1");
	up("road2");
	assert_initiator_up("road1");
	assert_initiator_up("road2");
	assert_int_equal(instance_count(), 2);
	const struct connection *i1 = conn_first_instance(), *i2 = i1->next;
	assert_int_equal(i1->instance, 1);
	assert_int_equal(i2->instance, 2);
	assert_string_equal(i1->instance_text, "[1] " ROAD1);
	assert_string_equal(i2->instance_text, "[2] " ROAD2);
	assert_string_equal(i1->ends.remote_id, "@road1");
	assert_string_equal(i2->ends.remote_id, "@road2");
	assert_ptr_equal(i1->template, conn_find("rw"));
	assert_int_equal(conn_count(), 4);	/* the instances are not loaded conns */
	struct ike_sa *r1 = NULL, *r2 = NULL;
	for (struct ike_sa *r = harness_sa("rw", false); r != NULL; r = ike_sa_next_of_conn(r, "rw")) {
		if (r->c == i1)
			r1 = r;
		else if (r->c == i2)
			r2 = r;
	}
	assert_non_null(r1);
	assert_non_null(r2);
	assert_ptr_equal(ike_sa_of_instance("rw", 1), r1);
	assert_ptr_equal(ike_sa_of_instance("rw", 2), r2);
	assert_null(ike_sa_of_conn("rw"));	/* the template itself has no tunnel */
	assert_true(r1->tunnels[0].child.installed && r2->tunnels[0].child.installed);
	assert_int_not_equal(r1->tunnels[0].child.reqid, r2->tunnels[0].child.reqid);
	assert_true(address_eq(&r1->tunnels[0].child.remote_net.addr, &i1->ends.remote));
	assert_true(address_eq(&r2->tunnels[0].child.remote_net.addr, &i2->ends.remote));
	char line[64];
	snprintf(line, sizeof(line), "\"rw\"[1] " ROAD1 " #%u: ", r1->tunnels[0].child.serial);
	assert_int_equal(kept_lines_with(line), 1);	/* its child's "IPsec SA established" */
	snprintf(line, sizeof(line), "\"rw\"[2] " ROAD2 " #%u: IPsec SA established", r2->tunnels[0].child.serial);
	assert_int_equal(kept_lines_with(line), 1);
}

/* ---- --status and --trafficstatus, through the control socket ---- */

static void answer_status(struct whack_session *s, const struct whack_request *r)
{
	if (r->op == WOP_STATUS)
		status_show(s);
	else
		trafficstatus_show(s, (r->flags & WF_JSON) != 0);
	whack_done(s, 0);
}

/* What pluto answers a whack client asking op (flags), its lines joined
 * with newlines, the event loop run until the DONE frame comes. */
static void ask(enum whack_op op, uint32_t flags, char *out, size_t cap)
{
	struct diag d;
	diag_init(&d);
	assert_true(control_listen(wire.dir.path, answer_status, &d));
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/pluto.ctl", wire.dir.path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	struct whack_request r = { .op = op, .flags = flags };
	uint8_t buf[WHACK_FRAME_MAX];
	size_t n = whack_encode_request(&r, buf, sizeof(buf));
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	size_t have = 0, used = 0;
	bool done = false;
	out[0] = '\0';
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!done) {
		event_base_loop(pluto.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		ssize_t got = read(fd, buf + have, sizeof(buf) - have);
		if (got > 0)
			have += (size_t)got;
		long len;
		while (!done && (len = whack_frame_len(buf, have, &d)) > 0 && (size_t)len <= have) {
			struct whack_reply reply;
			assert_true(whack_decode_reply(buf, (size_t)len, &reply, &d));
			if (reply.type == WHACK_DONE)
				done = true;
			else
				used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, "%s\n", reply.text);
			memmove(buf, buf + len, have - (size_t)len);
			have -= (size_t)len;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		assert_true(now.tv_sec - start.tv_sec < 10);
	}
	assert_true(used < cap);
	close(fd);
	control_close();
}

static bool has_line(const char *text, const char *prefix, const char *part)
{
	for (const char *l = text; *l != '\0'; l = strchr(l, '\n') + 1) {
		size_t len = strcspn(l, "\n");
		char line[2048];
		snprintf(line, sizeof(line), "%.*s", (int)len, l);
		if (strncmp(line, prefix, strlen(prefix)) == 0 && strstr(line, part) != NULL)
			return true;
	}
	return false;
}

/* Each instance has its lines in --status and --trafficstatus; the
 * template's own line says it holds no SA. */
static void test_status_shows_each_instance(void **state)
{
	(void)state;
	up("road1");
	up("road2");
	static char text[65536];
	ask(WOP_STATUS, 0, text, sizeof(text));
	struct ike_sa *r1 = ike_sa_of_instance("rw", 1), *r2 = ike_sa_of_instance("rw", 2);
	assert_non_null(r1);
	assert_non_null(r2);
	char want[200];
	snprintf(want, sizeof(want), "instance of \"rw\"; IKE SA #%u established; IPsec SA #%u installed", r1->serial,
		 r1->tunnels[0].child.serial);
	assert_true(has_line(text, "\"rw\"[1] " ROAD1 ": " EAST "[@east]..." ROAD1 "[@road1]; ", want));
	snprintf(want, sizeof(want), "instance of \"rw\"; IKE SA #%u established; IPsec SA #%u installed", r2->serial,
		 r2->tunnels[0].child.serial);
	assert_true(has_line(text, "\"rw\"[2] " ROAD2 ": " EAST "[@east]..." ROAD2 "[@road2]; ", want));
	assert_true(has_line(text, "\"rw\"[1] " ROAD1 ":   up; ", "IPsec SA rekey in"));
	assert_true(has_line(text, "\"rw\": " EAST "[@east]...%any; ", "IKE SA: none; IPsec SA: none"));
	ask(WOP_TRAFFICSTATUS, 0, text, sizeof(text));
	snprintf(want, sizeof(want), "#%u: \"rw\"[1] " ROAD1 ", type=ESP, ", r1->tunnels[0].child.serial);
	assert_true(has_line(text, want, "id='@road1'"));
	snprintf(want, sizeof(want), "#%u: \"rw\"[2] " ROAD2 ", type=ESP, ", r2->tunnels[0].child.serial);
	assert_true(has_line(text, want, "id='@road2'"));
	ask(WOP_TRAFFICSTATUS, WF_JSON, text, sizeof(text));
	snprintf(want, sizeof(want), "{\"serial\": %u, \"conn\": \"rw\", \"instance\": 2, ", r2->tunnels[0].child.serial);
	assert_non_null(strstr(text, want));
	/* road1 gone: its lines go with it */
	assert_true(ikev2_down("road1", "the test takes it down"));
	wire_pump(16);
	ask(WOP_STATUS, 0, text, sizeof(text));
	assert_null(strstr(text, "\"rw\"[1]"));
	assert_non_null(strstr(text, "\"rw\"[2] " ROAD2 ": "));
}

/* An instance goes with its tunnel; the other stays. */
static void test_an_instance_goes_with_its_tunnel(void **state)
{
	(void)state;
	up("road1");
	up("road2");
	assert_int_equal(instance_count(), 2);
	assert_true(ikev2_down("road1", "the test takes it down"));
	wire_pump(16);
	assert_null(harness_sa("road1", true));
	assert_int_equal(instance_count(), 1);
	assert_int_equal(conn_first_instance()->instance, 2);
	assert_non_null(ike_sa_of_instance("rw", 2));
	assert_null(ike_sa_of_instance("rw", 1));
	/* back again: a new instance, numbered on */
	up("road1");
	assert_initiator_up("road1");
	assert_int_equal(instance_count(), 2);
	assert_int_equal(conn_first_instance()->next->instance, 3);
}

/* Two live tunnels never share a reqid, however far the serials went
 * between them (each IKE_SA_INIT answered takes one); and a road
 * warrior's lost tunnel is not counted as the template's failure. */
static void test_instances_keep_distinct_reqids_and_their_losses(void **state)
{
	(void)state;
	up("road1");
	struct ike_sa *r1 = ike_sa_of_instance("rw", 1);
	assert_non_null(r1);
	/* serials on to where road2's child would get road1's reqid again
	 * when reqids were the serial modulo the range (16382), as they were */
	unsigned child1 = r1->tunnels[0].child.serial;
	const unsigned old_range = PLUTO_REQID_MAX - PLUTO_REQID_MIN - 1;
	while ((next_serial() + 3 - child1) % old_range != 0)	/* IKE SAs #n, #n+1, then the child */
		;
	up("road2");
	struct ike_sa *r2 = ike_sa_of_instance("rw", 2);
	assert_non_null(r2);
	assert_true(r1->tunnels[0].child.installed && r2->tunnels[0].child.installed);
	assert_int_equal((r2->tunnels[0].child.serial - child1) % old_range, 0);	/* the case is the one meant */
	assert_int_not_equal(r1->tunnels[0].child.reqid, r2->tunnels[0].child.reqid);
	/* road1 goes without a word (as a dead peer would): the template
	 * records no failure and plans nothing */
	struct connection *rw = conn_find("rw");
	ikev2_tunnel_lost(r1, "the test says it was lost");
	assert_int_equal(rw->retry.failures, 0);
	assert_int_equal(rw->retry.next_at, 0);
}

/* Without a PSK for its ID a peer on a template with no rightid fits
 * nothing: refused, and no instance made. */
static void test_a_road_warrior_without_a_psk_is_refused(void **state)
{
	(void)state;
	up("road3");
	assert_null(harness_sa("road3", true));
	assert_int_equal(instance_count(), 0);
	assert_null(harness_sa("rw", false));
	assert_int_equal(kept_lines_with("fits the peer's ID '@road3'"), 1);
}

/* ---- left=%defaultroute and host names ---- */

static const char hosts_conf[] =
	"conn dr\n"
	"\tleft=%defaultroute\n\tright=192.0.2.9\n\tauthby=secret\n\tauto=add\n"
	"conn named\n"
	"\tleft=" EAST "\n\tright=localhost\n\tauthby=secret\n\tauto=add\n"
	"conn lost\n"
	"\tleft=" EAST "\n\tright=no-such-host.invalid\n\tauthby=secret\n\tauto=add\n";

static int start_hosts(void **state)
{
	(void)state;
	nlog_kept = 0;
	log_set_tee(keep_log_line, NULL);
	return harness_start(hosts_conf, "") ? 0 : -1;
}

/* %defaultroute is the default route's address, looked up when the conn
 * is oriented: at --add, and again when the host's addresses change. */
static void test_defaultroute_is_found_when_the_addresses_change(void **state)
{
	(void)state;
	struct connection *c = conn_find("dr");
	assert_non_null(c);
	assert_false(c->oriented);	/* the double had no default route at --add */
	assert_non_null(strstr(conn_orient_why(c), "left=%defaultroute: this host has no default route"));
	assert_true(address_parse(EAST, &dbl.default_route));
	conn_orient_all();
	assert_true(c->oriented);
	assert_true(address_eq(&c->ends.local, &dbl.default_route));
	assert_string_equal(c->ends.local_id, EAST);
	assert_int_equal(kept_lines_with("\"dr\": this host's addresses changed: its local end is now " EAST), 1);
}

/* A host name is looked up at --add, and again when the conn is
 * initiated (it may point elsewhere by then). */
static void test_a_host_name_is_resolved_at_add_and_when_initiating(void **state)
{
	(void)state;
	struct connection *c = conn_find("named");
	assert_non_null(c);
	assert_true(c->oriented);
	char addr[ADDRESS_STR_MAX];
	assert_string_equal(address_str(&c->ends.remote, addr), "127.0.0.1");
	assert_false(conn_is_template(c));
	assert_true(address_parse("192.0.2.99", &c->config->right.host));	/* an older answer */
	assert_true(conn_orient(c));
	ikev2_initiate(c, 0);
	assert_string_equal(address_str(&c->ends.remote, addr), "127.0.0.1");
	struct ike_sa *ike = harness_sa("named", true);
	assert_non_null(ike);
	assert_string_equal(address_str(&ike->ends.remote, addr), "127.0.0.1");
}

/* A name that does not resolve: the conn is loaded but stands for no
 * peer (never a template), and initiating it says why it cannot. */
static void test_an_unresolvable_name_is_said_and_never_a_template(void **state)
{
	(void)state;
	struct connection *c = conn_find("lost");
	assert_non_null(c);
	assert_false(c->oriented);
	assert_non_null(strstr(conn_orient_why(c), "right=no-such-host.invalid cannot be resolved"));
	ip_address peer, local;
	assert_true(address_parse("192.0.2.77", &peer));
	assert_true(address_parse(EAST, &local));
	struct ends ends;
	assert_null(conn_for_peer(&local, &peer, &ends));	/* no conn answers a stranger */
	nlog_kept = 0;
	ikev2_initiate(c, 0);
	assert_null(harness_sa("lost", true));
	assert_int_equal(kept_lines_with("\"lost\": cannot initiate: right=no-such-host.invalid cannot be resolved"), 1);
}

/* ---- conns sharing an IKE SA ---- */

/* Conns a and b between the same hosts with the same IDs (the addresses),
 * a pair of subnets each; c's subnets are east's only for a peer with
 * another ID. west-b is kept up (auto=start), for what its loss plans. */
static const char shared_conf[] =
	"conn east-a\n"
	"\tleft=" EAST "\n\tleftsubnet=10.2.1.0/24\n\tright=" WEST "\n\trightsubnet=10.1.1.0/24\n\tauthby=secret\n\tauto=add\n"
	"conn east-b\n"
	"\tleft=" EAST "\n\tleftsubnet=10.2.2.0/24\n\tright=" WEST "\n\trightsubnet=10.1.2.0/24\n\tauthby=secret\n\tauto=add\n"
	"conn east-c\n"
	"\tleft=" EAST "\n\tleftsubnet=10.2.3.0/24\n\tright=" WEST "\n\trightid=@stranger\n\trightsubnet=10.1.3.0/24\n"
	"\tauthby=secret\n\tauto=add\n"
	"conn east-d\n"
	"\tleft=" EAST "\n\tleftsubnet=10.2.4.0/24\n\tright=" WEST "\n\trightsubnet=10.1.4.0/24\n\tesp=aes128-sha1\n"
	"\tauthby=secret\n\tauto=add\n"
	"conn east-e\n"
	"\tleft=" EAST "\n\tleftsubnet=10.2.5.0/24\n\tright=" WEST "\n\trightsubnet=10.1.5.0/24\n"
	"\tleftauth=secret\n\trightauth=rsasig\n\tauto=add\n"
	"conn west-e\n"
	"\tleft=" WEST "\n\tleftsubnet=10.1.5.0/24\n\tright=" EAST "\n\trightsubnet=10.2.5.0/24\n\tauthby=secret\n\tauto=add\n"
	"conn west-d\n"
	"\tleft=" WEST "\n\tleftsubnet=10.1.4.0/24\n\tright=" EAST "\n\trightsubnet=10.2.4.0/24\n\tesp=aes_gcm128-null\n"
	"\tauthby=secret\n\tauto=add\n"
	"conn west-a\n"
	"\tleft=" WEST "\n\tleftsubnet=10.1.1.0/24\n\tright=" EAST "\n\trightsubnet=10.2.1.0/24\n\tauthby=secret\n\tauto=add\n"
	"conn west-b\n"
	"\tleft=" WEST "\n\tleftsubnet=10.1.2.0/24\n\tright=" EAST "\n\trightsubnet=10.2.2.0/24\n\tauthby=secret\n\tauto=start\n"
	"conn west-c\n"
	"\tleft=" WEST "\n\tleftsubnet=10.1.3.0/24\n\tright=" EAST "\n\trightsubnet=10.2.3.0/24\n\tauthby=secret\n\tauto=add\n"
	"conn west-f\n"
	"\tleft=" WEST "\n\tleftsubnet=10.1.6.0/24,10.1.7.0/24\n\tright=" EAST "\n\trightsubnet=10.2.6.0/24\n"
	"\tauthby=secret\n\tauto=add\n";
static const char shared_secrets[] =
	WEST " " EAST " : PSK \"the key of the two hosts\"\n"
	"192.0.2.2 @stranger : PSK \"the key of a stranger\"\n";

static int start_shared(void **state)
{
	(void)state;
	nlog_kept = 0;
	log_set_tee(keep_log_line, NULL);
	return harness_start(shared_conf, shared_secrets) ? 0 : -1;
}

/* The tunnel of conn name on ike, or NULL. */
static struct tunnel *tunnel_of(struct ike_sa *ike, const char *name)
{
	for (unsigned k = 0; ike != NULL && k < ike->ntunnels; k++) {
		if (strcmp(ike->tunnels[k].c->config->name, name) == 0)
			return &ike->tunnels[k];
	}
	return NULL;
}

/* The two ends' children of a tunnel are up, each the other's SAs. */
static void assert_children_pair(const struct tunnel *i, const struct tunnel *r)
{
	assert_non_null(i);
	assert_non_null(r);
	assert_true(i->child.installed);
	assert_true(r->child.installed);
	assert_int_equal(i->child.spi_out, r->child.spi_in);
	assert_int_equal(i->child.spi_in, r->child.spi_out);
}

/* a up, then b: b's tunnels join a's IKE SA at both ends, which stay the
 * only IKE SAs; the IKE SAs of a at west and east. */
static void both_up(struct ike_sa **west, struct ike_sa **east)
{
	up("west-a");
	up("west-b");
	*west = harness_sa("west-a", true);
	*east = harness_sa("east-a", false);
	assert_non_null(*west);
	assert_non_null(*east);
	assert_int_equal(ike_sa_count(), 2);
	assert_int_equal((*west)->ntunnels, 2);
	assert_int_equal((*east)->ntunnels, 2);
	assert_children_pair(tunnel_of(*west, "west-a"), tunnel_of(*east, "east-a"));
	assert_children_pair(tunnel_of(*west, "west-b"), tunnel_of(*east, "east-b"));
	assert_int_equal(dbl.nsas, 8);
}

/* As libreswan's and strongSwan's do, b's child is made over a's IKE SA
 * (CREATE_CHILD_SA); the responder finds b by the IKE SA's IDs and the
 * request's selectors, and logs the child under b's name. */
static void test_a_second_conns_child_rides_on_the_first_ones_ike_sa(void **state)
{
	(void)state;
	struct ike_sa *w, *e;
	both_up(&w, &e);
	assert_null(harness_sa("east-b", false));
	assert_null(harness_sa("west-b", true));
	assert_ptr_equal(tunnel_of(e, "east-b")->c, conn_find("east-b"));
	assert_int_not_equal(tunnel_of(e, "east-a")->child.reqid, tunnel_of(e, "east-b")->child.reqid);
	char line[200];
	snprintf(line, sizeof(line), "\"east-b\" #%u: IPsec SA established tunnel mode as another child over IKE SA #%u of \"east-a\"",
		 tunnel_of(e, "east-b")->child.serial, e->serial);
	assert_int_equal(kept_lines_with(line), 1);
	snprintf(line, sizeof(line), "\"west-b\": bringing the tunnel up over IKE SA #%u of \"west-a\"", w->serial);
	assert_int_equal(kept_lines_with(line), 1);
	assert_int_equal(kept_lines_with("its tunnel joins this IKE SA"), 1);
}

/* a up, then conn name (of west) asks for its child over a's IKE SA and
 * east answers; east's IKE SA of a. */
static struct ike_sa *a_up_and_asked_for(const char *name)
{
	up("west-a");
	struct ike_sa *e = harness_sa("east-a", false);
	assert_non_null(e);
	ikev2_initiate(conn_find(name), 0);
	assert_int_equal(wire_pump(2), 2);	/* the request over a's IKE SA, and its answer */
	assert_int_equal(kept_lines_with("bringing the tunnel up over IKE SA #"), 1);
	return e;
}

/* c's subnets are east's for another peer ID only: east refuses them
 * over a's IKE SA (TS_UNACCEPTABLE), and west goes on to give c an IKE SA
 * of its own; a's IKE SA carries nothing of c. */
static void test_a_conn_with_other_ids_does_not_join(void **state)
{
	(void)state;
	struct ike_sa *e = a_up_and_asked_for("west-c");
	assert_int_equal(kept_lines_with("nor those of another conn with these IDs; answering TS_UNACCEPTABLE"), 1);
	assert_int_equal(kept_lines_with("\"west-c\": the peer would not make the IPsec SA over IKE SA #"), 1);
	assert_int_equal(kept_lines_with("\"west-c\" #"), 1);	/* its own IKE SA_INIT, now on the wire */
	assert_ptr_equal(e, harness_sa("east-a", false));
	assert_int_equal(e->ntunnels, 1);
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next)
		assert_null(tunnel_of(ike, "east-c"));
	assert_children_pair(tunnel_of(harness_sa("west-a", true), "west-a"), tunnel_of(e, "east-a"));
	assert_int_equal(dbl.nsas, 4);
}

/* e's IDs at east are the IKE SA's, but e wants the peer to sign, and
 * the peer authenticated with a PSK: east refuses e's subnets over a's
 * IKE SA. */
static void test_a_conn_with_another_authby_does_not_join(void **state)
{
	(void)state;
	struct ike_sa *e = a_up_and_asked_for("west-e");
	assert_int_equal(kept_lines_with("nor those of another conn with these IDs; answering TS_UNACCEPTABLE"), 1);
	assert_null(tunnel_of(e, "east-e"));
	assert_int_equal(e->ntunnels, 1);
}

/* f has two pairs of subnets and east has no conn for either: the peer
 * refusing f's first pair over a's IKE SA makes f negotiate an IKE SA of
 * its own, once; its other pair is not asked for over a's IKE SA too, nor
 * does its refusal start yet another IKE SA for f. */
static void test_a_refused_join_of_several_pairs_makes_one_ike_sa(void **state)
{
	(void)state;
	up("west-a");
	struct ike_sa *w = harness_sa("west-a", true);
	assert_non_null(w);
	ikev2_initiate(conn_find("west-f"), 0);
	assert_int_equal(wire_pump(2), 2);	/* the first pair's request, refused */
	assert_int_equal(kept_lines_with("\"west-f\": the peer would not make the IPsec SA over IKE SA #"), 1);
	assert_int_equal(w->ntunnels, 3);
	for (unsigned k = 1; k < w->ntunnels; k++) {
		const struct tunnel *t = &w->tunnels[k];
		assert_string_equal(t->c->config->name, "west-f");
		assert_true(t->left && !t->want_rekey && !t->child.installed && !ikev2_rekeying_tunnel(w, t));
	}
	assert_ptr_not_equal(ike_sa_carrying("west-f", 0), w);
	/* (f's own IKE SA, landing on east's a, then replaces a's there) */
	wire_pump(32);
	assert_int_equal(kept_lines_with("answering TS_UNACCEPTABLE"), 1);	/* one request of f's over a's */
	size_t initiated = 0;
	for (size_t i = 0; i < nlog_kept; i++)
		initiated += strstr(log_kept[i], "\"west-f\" #") != NULL && strstr(log_kept[i], "initiating IKEv2") != NULL;
	assert_int_equal(initiated, 1);
}

/* An IKE SA carries at most IKE_TUNNELS_MAX tunnels: with east's full,
 * b's request is answered NO_ADDITIONAL_SAS, and west gives b an IKE SA
 * of its own. */
static void test_a_full_ike_sa_takes_no_other_conn(void **state)
{
	(void)state;
	up("west-a");
	struct ike_sa *e = harness_sa("east-a", false);
	while (e->ntunnels < IKE_TUNNELS_MAX)	/* more of a's own pair, none up */
		assert_non_null(ike_sa_add_tunnel(e, e->c, &e->ends, 0));
	assert_null(ike_sa_add_tunnel(e, e->c, &e->ends, 0));
	ikev2_initiate(conn_find("west-b"), 0);
	assert_int_equal(wire_pump(2), 2);
	assert_int_equal(kept_lines_with("this IKE SA carries as many tunnels as it may (64); answering NO_ADDITIONAL_SAS"), 1);
	assert_null(tunnel_of(e, "east-b"));
	assert_int_equal(kept_lines_with("\"west-b\": the peer would not make the IPsec SA over IKE SA #"), 1);
}

/* d's child is refused by its own conn at east (esp= of no common
 * algorithm): the tunnel that joined for it leaves again, and east's
 * --status does not show d on a's IKE SA. */
static void test_a_joined_conn_whose_child_fails_leaves_again(void **state)
{
	(void)state;
	struct ike_sa *e = a_up_and_asked_for("west-d");
	assert_int_equal(kept_lines_with("none of the peer's ESP proposals is acceptable (esp=aes128-sha1)"), 1);
	assert_int_equal(kept_lines_with("\"east-d\" #"), 1);	/* that line, under d's name */
	struct tunnel *t = tunnel_of(e, "east-d");
	assert_non_null(t);
	assert_true(t->left);
	assert_false(t->child.installed);
	assert_null(ike_sa_carrying("east-d", 0));
	assert_ptr_equal(ike_sa_carrying("east-a", 0), e);
	static char text[65536];
	ask(WOP_STATUS, 0, text, sizeof(text));
	assert_true(has_line(text, "\"east-d\": ", "IKE SA: none; IPsec SA: none"));
}

/* Taking b down at either end deletes its child alone: a's IKE SA and
 * child stay. Down at east, west (which keeps b up) makes it anew over
 * the same IKE SA; down at west, it stays down. */
static void test_down_of_the_joined_conn_leaves_the_other(void **state)
{
	(void)state;
	struct ike_sa *w, *e;
	both_up(&w, &e);
	unsigned a_child = tunnel_of(e, "east-a")->child.serial, b_child = tunnel_of(e, "east-b")->child.serial;
	assert_true(ikev2_down("east-b", "a test"));	/* the responder's end, as with strongSwan */
	assert_int_equal(wire_pump(2), 2);		/* its Delete, and the answer */
	assert_int_equal(kept_lines_with("deleting the IPsec SA (a test); IKE SA #"), 1);
	assert_false(tunnel_of(e, "east-b")->child.installed);
	assert_true(tunnel_of(e, "east-a")->child.installed);
	assert_int_equal(dbl.nsas, 4);
	wire_pump(16);
	assert_int_equal(ike_sa_count(), 2);
	assert_ptr_equal(e, harness_sa("east-a", false));
	assert_int_equal(e->ntunnels, 2);
	assert_int_equal(tunnel_of(e, "east-a")->child.serial, a_child);
	assert_int_not_equal(tunnel_of(e, "east-b")->child.serial, b_child);
	assert_children_pair(tunnel_of(w, "west-b"), tunnel_of(e, "east-b"));
	assert_int_equal(dbl.nsas, 8);
	assert_true(ikev2_down("west-b", "another test"));	/* the initiator's end */
	wire_pump(16);
	assert_int_equal(ike_sa_count(), 2);
	assert_false(tunnel_of(e, "east-b")->child.installed);
	assert_false(tunnel_of(w, "west-b")->child.installed);
	assert_children_pair(tunnel_of(w, "west-a"), tunnel_of(e, "east-a"));
	assert_int_equal(dbl.nsas, 4);
}

/* Both up, then a's IKE SA taken down by conn name at one end: b's
 * tunnel goes with it, everywhere; west-b, kept up (auto=start) and not
 * taken down itself, is planned to come back, as west-a (auto=add) is not. */
static void down_takes_both(const char *name)
{
	struct ike_sa *w, *e;
	both_up(&w, &e);
	assert_true(ikev2_down(name, "a test"));
	wire_pump(16);
	assert_int_equal(ike_sa_count(), 0);
	assert_int_equal(dbl.nsas, 0);
	assert_int_equal(dbl.npols, 0);
	const struct connection *b = conn_find("west-b");
	assert_int_equal(b->retry.kind, ATTEMPT_LOST);
	assert_int_not_equal(b->retry.next_at, 0);
	assert_int_equal(conn_find("west-a")->retry.next_at, 0);
}

/* The peer deletes a's IKE SA. */
static void test_the_ike_sa_going_takes_the_joined_tunnel(void **state)
{
	(void)state;
	down_takes_both("east-a");
}

/* a is taken down here. */
static void test_down_of_the_first_conn_takes_the_joined_tunnel(void **state)
{
	(void)state;
	down_takes_both("west-a");
}

/* b's child is rekeyed by either end, under b's name (a's left as it
 * is), and an IKE SA rekey takes both tunnels along. */
static void test_the_joined_child_is_rekeyed(void **state)
{
	(void)state;
	struct ike_sa *w, *e;
	both_up(&w, &e);
	unsigned old = tunnel_of(w, "west-b")->child.serial, a_child = tunnel_of(w, "west-a")->child.serial;
	assert_false(ikev2_rekey_conn_now(w, "west-c"));	/* nothing of c's on it */
	assert_true(ikev2_rekey_conn_now(w, "west-b"));	/* whack --rekey-ipsec of b */
	wire_pump(16);
	struct tunnel *t = tunnel_of(w, "west-b");
	assert_int_not_equal(t->child.serial, old);
	assert_int_equal(tunnel_of(w, "west-a")->child.serial, a_child);	/* a's child is not b's to rekey */
	assert_children_pair(t, tunnel_of(e, "east-b"));
	char line[200];
	snprintf(line, sizeof(line), "\"west-b\" #%u: IPsec SA established tunnel mode, rekeying #%u", t->child.serial, old);
	assert_int_equal(kept_lines_with(line), 1);
	old = tunnel_of(e, "east-b")->child.serial;
	ikev2_rekey_tunnel(e, tunnel_of(e, "east-b"));
	wire_pump(16);
	assert_int_not_equal(tunnel_of(e, "east-b")->child.serial, old);
	assert_children_pair(tunnel_of(w, "west-b"), tunnel_of(e, "east-b"));
	snprintf(line, sizeof(line), "\"east-b\" #%u: IPsec SA established tunnel mode, rekeying #%u",
		 tunnel_of(e, "east-b")->child.serial, old);
	assert_int_equal(kept_lines_with(line), 1);
	assert_int_equal(dbl.nsas, 8);
	unsigned old_ike = w->serial;
	assert_true(ikev2_rekey_now(w, true));
	wire_pump(16);	/* w goes, replaced */
	struct ike_sa *w2 = harness_sa("west-a", true), *e2 = harness_sa("east-a", false);
	assert_int_equal(ike_sa_count(), 2);
	assert_int_not_equal(w2->serial, old_ike);
	assert_children_pair(tunnel_of(w2, "west-a"), tunnel_of(e2, "east-a"));
	assert_children_pair(tunnel_of(w2, "west-b"), tunnel_of(e2, "east-b"));
	assert_int_equal(dbl.nsas, 8);
}

/* Conn name loaded again from the config (whack --add): it replaces the
 * loaded one, whose tunnels stay as they are. */
static void load_again(const char *name)
{
	struct diag errors, notes;
	diag_init(&errors);
	diag_init(&notes);
	bool replaced = false;
	assert_non_null(conn_load(ipsecconf_find(pluto.conf, name), false, &replaced, &errors, &notes));
	assert_true(replaced);
}

/* The tunnel of the conn loaded as name on ike (not of one it replaced). */
static struct tunnel *tunnel_of_loaded(struct ike_sa *ike, const char *name)
{
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		if (ike->tunnels[k].c == conn_find(name))
			return &ike->tunnels[k];
	}
	return NULL;
}

/* b replaced at both ends, again and again, and brought up anew each
 * time: the tunnels its replaced conns left on a's IKE SA, childless,
 * make room for the new conn's, which goes on joining a's IKE SA rather
 * than finding it full after IKE_TUNNELS_MAX replacements. */
static void test_tunnels_of_replaced_conns_make_room(void **state)
{
	(void)state;
	struct ike_sa *w, *e;
	both_up(&w, &e);
	for (unsigned i = 0; i < IKE_TUNNELS_MAX + 2; i++) {
		load_again("east-b");
		load_again("west-b");
		assert_true(ikev2_down("west-b", "a test"));
		wire_pump(16);
		ikev2_initiate(conn_find("west-b"), 0);
		wire_pump(16);
		assert_int_equal(ike_sa_count(), 2);
		assert_ptr_equal(harness_sa("west-a", true), w);
		assert_ptr_equal(harness_sa("east-a", false), e);
		assert_children_pair(tunnel_of_loaded(w, "west-b"), tunnel_of_loaded(e, "east-b"));
	}
	assert_true(w->ntunnels <= 3);
	assert_true(e->ntunnels <= 3);
	assert_children_pair(tunnel_of(w, "west-a"), tunnel_of(e, "east-a"));
	assert_int_equal(dbl.nsas, 8);
}

/* --status shows b's child under b, with the IKE SA it rides on, and a's
 * under a; --trafficstatus names each child's own conn. */
static void test_status_lists_each_conns_child_under_it(void **state)
{
	(void)state;
	struct ike_sa *w, *e;
	both_up(&w, &e);
	static char text[65536];
	ask(WOP_STATUS, 0, text, sizeof(text));
	char want[200];
	snprintf(want, sizeof(want), "; IKE SA #%u established; IPsec SA #%u installed; over the IKE SA of \"east-a\"",
		 e->serial, tunnel_of(e, "east-b")->child.serial);
	assert_true(has_line(text, "\"east-b\": ", want));
	snprintf(want, sizeof(want), "; IKE SA #%u established; IPsec SA #%u installed\n", e->serial,
		 tunnel_of(e, "east-a")->child.serial);
	assert_non_null(strstr(text, want));	/* a's line names a's child alone */
	assert_true(has_line(text, "\"east-b\":   up; IPsec SA", "IKE SA"));
	ask(WOP_TRAFFICSTATUS, 0, text, sizeof(text));
	snprintf(want, sizeof(want), "#%u: \"east-b\", type=ESP", tunnel_of(e, "east-b")->child.serial);
	assert_true(has_line(text, want, "offload="));
	snprintf(want, sizeof(want), "#%u: \"west-b\", type=ESP", tunnel_of(w, "west-b")->child.serial);
	assert_true(has_line(text, want, "offload="));
	snprintf(want, sizeof(want), "#%u: \"east-a\", type=ESP", tunnel_of(e, "east-a")->child.serial);
	assert_true(has_line(text, want, "offload="));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_the_peers_id_chooses_the_conn_and_its_psk, start_two_ids, stop),
		cmocka_unit_test_setup_teardown(test_a_peer_whose_id_fits_no_conn_is_refused, start_two_ids, stop),
		cmocka_unit_test_setup_teardown(test_a_conn_switched_to_must_allow_the_ike_algorithms, start_ike_policy, stop),
		cmocka_unit_test_setup_teardown(test_each_road_warrior_gets_an_instance, start_rw, stop),
		cmocka_unit_test_setup_teardown(test_an_instance_goes_with_its_tunnel, start_rw, stop),
		cmocka_unit_test_setup_teardown(test_status_shows_each_instance, start_rw, stop),
		cmocka_unit_test_setup_teardown(test_a_road_warrior_without_a_psk_is_refused, start_rw, stop),
		cmocka_unit_test_setup_teardown(test_instances_keep_distinct_reqids_and_their_losses, start_rw, stop),
		cmocka_unit_test_setup_teardown(test_defaultroute_is_found_when_the_addresses_change, start_hosts, stop),
		cmocka_unit_test_setup_teardown(test_a_host_name_is_resolved_at_add_and_when_initiating, start_hosts, stop),
		cmocka_unit_test_setup_teardown(test_an_unresolvable_name_is_said_and_never_a_template, start_hosts, stop),
		cmocka_unit_test_setup_teardown(test_a_second_conns_child_rides_on_the_first_ones_ike_sa, start_shared, stop),
		cmocka_unit_test_setup_teardown(test_a_conn_with_other_ids_does_not_join, start_shared, stop),
		cmocka_unit_test_setup_teardown(test_a_conn_with_another_authby_does_not_join, start_shared, stop),
		cmocka_unit_test_setup_teardown(test_a_full_ike_sa_takes_no_other_conn, start_shared, stop),
		cmocka_unit_test_setup_teardown(test_a_refused_join_of_several_pairs_makes_one_ike_sa, start_shared, stop),
		cmocka_unit_test_setup_teardown(test_a_joined_conn_whose_child_fails_leaves_again, start_shared, stop),
		cmocka_unit_test_setup_teardown(test_down_of_the_joined_conn_leaves_the_other, start_shared, stop),
		cmocka_unit_test_setup_teardown(test_the_ike_sa_going_takes_the_joined_tunnel, start_shared, stop),
		cmocka_unit_test_setup_teardown(test_down_of_the_first_conn_takes_the_joined_tunnel, start_shared, stop),
		cmocka_unit_test_setup_teardown(test_the_joined_child_is_rekeyed, start_shared, stop),
		cmocka_unit_test_setup_teardown(test_status_lists_each_conns_child_under_it, start_shared, stop),
		cmocka_unit_test_setup_teardown(test_tunnels_of_replaced_conns_make_room, start_shared, stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
