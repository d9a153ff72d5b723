/* test_updown.c: what a tunnel gets on up and down (updown.h): the
 * decision, the script's environment, and, over two real ends in one
 * process (ike_harness.h, the route table a double), the route that
 * follows the tunnel and not its SAs, and a real script run beside the
 * event loop. The kernel's side of routes is shown by the VM scenario
 * ike-routes-updown. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <sys/stat.h>
#include "ike_harness.h"
#include "log.h"
#include "ondemand.h"
#include "script.h"
#include "updown.h"

#define WEST "192.0.2.1"
#define EAST "192.0.2.2"

static const char secrets[] = WEST " " EAST " : PSK \"updown harness secret, not a real one\"\n";

/* What was logged while a test listened. */
static char logged[16384];
static size_t logged_len;

static void keep_line(void *arg, enum log_level level, const char *line)
{
	(void)arg; (void)level;
	int n = snprintf(logged + logged_len, sizeof(logged) - logged_len, "%s\n", line);
	if (n > 0 && (size_t)n < sizeof(logged) - logged_len)
		logged_len += (size_t)n;
}

static bool was_logged(const char *text)
{
	return strstr(logged, text) != NULL;
}

/* A line of conn's child SA, '"conn" #N: text' whatever N is. */
static bool child_logged(const char *conn, const char *text)
{
	for (const char *line = logged; *line != '\0'; line = strchr(line, '\n') + 1) {
		unsigned serial;
		int at = 0;
		char name[64];
		if (sscanf(line, "\"%63[^\"]\" #%u: %n", name, &serial, &at) == 2 && at > 0 &&
		    strcmp(name, conn) == 0 && strncmp(line + at, text, strlen(text)) == 0)
			return true;
	}
	return false;
}

static int stop(void **state)
{
	(void)state;
	harness_stop();
	log_set_tee(NULL, NULL);
	return 0;
}

static ip_subnet net(const char *s)
{
	ip_subnet n;
	assert_true(subnet_parse(s, &n));
	return n;
}

/* An address: a subnet of one. */
#define addr(s) (net(s).addr)

/* ---- the decision ---- */

static void test_decision(void **state)
{
	(void)state;
	struct ends e = { .local = addr(WEST), .remote = addr(EAST), .local_net = net("10.1.0.0/24"),
			  .remote_net = net("10.2.0.0/24") };
	struct end_config local = {0};
	assert_int_equal(updown_decide(&local, false, &e), UPDOWN_ROUTE);
	assert_int_equal(updown_decide(&local, true, &e), UPDOWN_NOTHING);	/* transport: no subnet to route */
	struct ends host = e;
	host.remote_net = net(EAST "/32");
	assert_int_equal(updown_decide(&local, false, &host), UPDOWN_NOTHING);	/* the peer is reached already */
	/* the remote subnet alone counts: a host behind us, a subnet beyond */
	host = e;
	host.local_net = net(WEST "/32");
	assert_int_equal(updown_decide(&local, false, &host), UPDOWN_ROUTE);
	local.updown = "/etc/ipsec.d/my-updown";
	assert_int_equal(updown_decide(&local, false, &e), UPDOWN_SCRIPT);
	assert_int_equal(updown_decide(&local, true, &e), UPDOWN_SCRIPT);	/* the admin's script hears of every tunnel */
	local.updown = "%disabled";
	assert_int_equal(updown_decide(&local, false, &e), UPDOWN_NOTHING);
}

/* ---- the environment ---- */

static void test_environment_of_a_subnet_tunnel(void **state)
{
	(void)state;
	struct ends e = { .local = addr(WEST), .remote = addr(EAST), .local_net = net("10.1.0.0/24"),
			  .remote_net = net("10.2.0.0/23") };
	snprintf(e.local_id, sizeof(e.local_id), "@west");
	/* a peer's ID with a newline and a quote: escaped, one line */
	snprintf(e.remote_id, sizeof(e.remote_id), "@east\nPLUTO_VERB=evil'$(x)");
	ip_address src = addr("10.1.0.1"), hop = addr("192.0.2.254");
	struct updown_facts f = { .up = true, .conn = "lan", .ends = &e, .sourceip = &src, .reqid = 16385,
				  .interface = "eth0", .nexthop = &hop };
	struct updown_env env;
	updown_env_build(&f, &env);
	assert_string_equal(updown_env_get(&env, "PLUTO_VERB"), "up-client");
	assert_string_equal(updown_env_get(&env, "PLUTO_CONNECTION"), "lan");
	assert_string_equal(updown_env_get(&env, "PLUTO_CONNECTION_TYPE"), "tunnel");
	assert_string_equal(updown_env_get(&env, "PLUTO_ME"), WEST);
	assert_string_equal(updown_env_get(&env, "PLUTO_PEER"), EAST);
	assert_string_equal(updown_env_get(&env, "PLUTO_MY_ID"), "@west");
	assert_string_equal(updown_env_get(&env, "PLUTO_PEER_ID"), "@east\\x0aPLUTO_VERB=evil'$(x)");
	assert_string_equal(updown_env_get(&env, "PLUTO_MY_CLIENT"), "10.1.0.0/24");
	assert_string_equal(updown_env_get(&env, "PLUTO_MY_CLIENT_NET"), "10.1.0.0");
	assert_string_equal(updown_env_get(&env, "PLUTO_MY_CLIENT_MASK"), "255.255.255.0");
	assert_string_equal(updown_env_get(&env, "PLUTO_PEER_CLIENT"), "10.2.0.0/23");
	assert_string_equal(updown_env_get(&env, "PLUTO_PEER_CLIENT_NET"), "10.2.0.0");
	assert_string_equal(updown_env_get(&env, "PLUTO_PEER_CLIENT_MASK"), "255.255.254.0");
	assert_string_equal(updown_env_get(&env, "PLUTO_MY_SOURCEIP"), "10.1.0.1");
	assert_string_equal(updown_env_get(&env, "PLUTO_REQID"), "16385");
	assert_string_equal(updown_env_get(&env, "PLUTO_INTERFACE"), "eth0");
	assert_string_equal(updown_env_get(&env, "PLUTO_NEXT_HOP"), "192.0.2.254");
	assert_string_equal(updown_env_get(&env, "PLUTO_MY_PROTOCOL"), "0");
	assert_string_equal(updown_env_get(&env, "PLUTO_PEER_PORT"), "0");
	assert_non_null(updown_env_get(&env, "PATH"));
	/* one variable per name, none of them with a control byte */
	for (size_t i = 0; i < env.n; i++) {
		for (const char *c = env.vars[i]; *c != '\0'; c++)
			assert_true((unsigned char)*c >= 0x20);
		assert_int_equal(strncmp(env.vars[i], "PLUTO_VERB=", 11) == 0, i == 1);
	}
	assert_null(env.vars[env.n]);
}

static void test_environment_of_a_host_tunnel_over_ipv6(void **state)
{
	(void)state;
	struct ends e = { .local = addr("2001:db8::1"), .remote = addr("2001:db8::2"),
			  .local_net = net("2001:db8::1/128"), .remote_net = net("2001:db8:2::/48") };
	snprintf(e.local_id, sizeof(e.local_id), "2001:db8::1");
	snprintf(e.remote_id, sizeof(e.remote_id), "2001:db8::2");
	struct updown_facts f = { .up = false, .conn = "v6", .transport = true, .ends = &e, .reqid = 7, .interface = "" };
	struct updown_env env;
	updown_env_build(&f, &env);
	/* host or client by our own side, -v6 by the hosts' family (libreswan's rule) */
	assert_string_equal(updown_env_get(&env, "PLUTO_VERB"), "down-host-v6");
	assert_string_equal(updown_env_get(&env, "PLUTO_CONNECTION_TYPE"), "transport");
	assert_string_equal(updown_env_get(&env, "PLUTO_PEER_CLIENT_MASK"), "ffff:ffff:ffff::");
	assert_string_equal(updown_env_get(&env, "PLUTO_MY_CLIENT_MASK"), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_string_equal(updown_env_get(&env, "PLUTO_NEXT_HOP"), "2001:db8::2");	/* the peer, on the link */
	assert_null(updown_env_get(&env, "PLUTO_MY_SOURCEIP"));
	assert_null(updown_env_get(&env, "PLUTO_VERBOSE"));
}

static void test_script_words(void **state)
{
	(void)state;
	char buf[256], *argv[4];
	assert_true(updown_argv("/usr/sbin/up  --route\tyes", buf, sizeof(buf), argv, 4));
	assert_string_equal(argv[0], "/usr/sbin/up");
	assert_string_equal(argv[1], "--route");
	assert_string_equal(argv[2], "yes");
	assert_null(argv[3]);
	assert_false(updown_argv("/a b c d", buf, sizeof(buf), argv, 4));
}

/* ---- a route follows the tunnel ---- */

static const char route_conf[] =
	"conn west\n"
	"\tleft=" WEST "\n\tright=" EAST "\n\tleftsubnet=10.1.0.0/24\n\trightsubnet=10.2.0.0/24\n"
	"\tleftsourceip=10.1.0.1\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n"
	"conn east\n"
	"\tleft=" EAST "\n\tright=" WEST "\n\tleftsubnet=10.2.0.0/24\n\trightsubnet=10.1.0.0/24\n"
	"\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n";

/* Both ends loaded from conf, their lines kept. */
static void start_listening(const char *conf)
{
	logged_len = 0;
	logged[0] = '\0';
	log_set_tee(keep_line, NULL);
	assert_true(harness_start(conf, secrets));
}

static void up(const char *conf)
{
	start_listening(conf);
	ikev2_initiate(conn_find("west"), 0);
	wire_pump(16);
	struct ike_sa *w = harness_sa("west", true), *e = harness_sa("east", false);
	assert_non_null(w);
	assert_non_null(e);
	assert_true(w->tunnels[0].child.installed);
	assert_true(e->tunnels[0].child.installed);
}

static const struct kernel_route *route_to(const char *dst)
{
	ip_subnet n = net(dst);
	return dr_find(&n);
}

static void test_routes_added_kept_over_rekeys_removed_at_down(void **state)
{
	(void)state;
	up(route_conf);
	/* each end routes the other's subnet towards its peer, on the link */
	const struct kernel_route *w = route_to("10.2.0.0/24"), *e = route_to("10.1.0.0/24");
	assert_non_null(w);
	assert_non_null(e);
	char a[ADDRESS_STR_MAX];
	assert_string_equal(address_str(&w->gateway, a), EAST);
	assert_string_equal(address_str(&w->prefsrc, a), "10.1.0.1");	/* leftsourceip= */
	assert_string_equal(address_str(&e->gateway, a), WEST);
	assert_false(address_is_set(&e->prefsrc));
	assert_int_equal(dbl_routes.adds, 2);
	assert_int_equal(updown_routes_held(), 2);
	assert_true(child_logged("west", "route 10.2.0.0/24 via 192.0.2.2 dev eth0 src 10.1.0.1 added"));
	/* child rekeys by either end, and an IKE SA rekey: nothing removed or added */
	struct ike_sa *west = harness_sa("west", true);
	unsigned first_child = west->tunnels[0].child.serial, first_ike = west->serial;
	assert_true(ikev2_rekey_now(west, false));
	wire_pump(32);
	assert_true(ikev2_rekey_now(harness_sa("east", false), false));
	wire_pump(32);
	assert_true(ikev2_rekey_now(west, true));
	wire_pump(32);
	west = ike_sa_of_conn("west");
	assert_int_not_equal(west->serial, first_ike);		/* the tunnel is on a new IKE SA */
	assert_int_not_equal(west->tunnels[0].child.serial, first_child);	/* with a new child */
	assert_true(west->tunnels[0].child.installed);
	assert_int_equal(dbl_routes.adds, 2);
	assert_int_equal(dbl_routes.dels, 0);
	assert_int_equal(dbl_routes.n, 2);
	/* down: both ends remove what they added */
	ikev2_down("west", "test");
	wire_pump(16);
	assert_int_equal(dbl_routes.n, 0);
	assert_int_equal(dbl_routes.dels, 2);
	assert_int_equal(updown_routes_held(), 0);
	assert_true(was_logged("route 10.2.0.0/24 removed"));
}

static void test_a_route_already_there_is_left_alone(void **state)
{
	(void)state;
	start_listening(route_conf);
	/* the admin's route for east's subnet, there before the tunnel */
	dbl_routes.table[0] = (struct kernel_route){ .dst = net("10.2.0.0/24"), .gateway = addr("192.0.2.99") };
	dbl_routes.n = 1;
	ikev2_initiate(conn_find("west"), 0);
	wire_pump(16);
	assert_true(harness_sa("west", true)->tunnels[0].child.installed);
	assert_true(was_logged("a route for 10.2.0.0/24 is there already: left as it is, and not removed when the tunnel goes"));
	assert_int_equal(updown_routes_held(), 1);	/* east's own, for west's subnet */
	ikev2_down("west", "test");
	wire_pump(16);
	const struct kernel_route *kept = route_to("10.2.0.0/24");
	assert_non_null(kept);
	char a[ADDRESS_STR_MAX];
	assert_string_equal(address_str(&kept->gateway, a), "192.0.2.99");
	assert_null(route_to("10.1.0.0/24"));
}

static void test_a_refused_route_is_one_line_with_the_kernels_reason(void **state)
{
	(void)state;
	start_listening(route_conf);
	dbl_routes.refuse_add = (struct kernel_err){ .errnum = EINVAL };
	snprintf(dbl_routes.refuse_add.extack, sizeof(dbl_routes.refuse_add.extack), "Invalid prefsrc address");
	ikev2_initiate(conn_find("west"), 0);
	wire_pump(16);
	/* the tunnel stays up: the policies carry the traffic the host routes */
	assert_true(harness_sa("west", true)->tunnels[0].child.installed);
	assert_true(child_logged("west", "cannot add route 10.2.0.0/24 via 192.0.2.2 dev eth0 src 10.1.0.1: Invalid prefsrc address (EINVAL)"));
	ikev2_down("west", "test");
	wire_pump(16);
	assert_int_equal(dbl_routes.dels, 0);	/* nothing of ours to remove */
}

/* Listening with west routed (its route in the table). */
static struct connection *west_routed(void)
{
	start_listening(route_conf);
	struct connection *west = conn_find("west");
	struct diag d;
	diag_init(&d);
	assert_true(ondemand_route(west, &d));
	return west;
}

/* A routed conn's traffic must reach its trap while no tunnel stands:
 * its route is there from --route to --unroute, whatever its tunnels do. */
static void test_a_routed_conn_keeps_its_route_between_tunnels(void **state)
{
	(void)state;
	struct connection *west = west_routed();
	assert_non_null(route_to("10.2.0.0/24"));
	assert_true(was_logged("\"west\": route 10.2.0.0/24 via 192.0.2.2 dev eth0 src 10.1.0.1 added"));
	ikev2_initiate(west, 0);
	wire_pump(16);
	assert_true(harness_sa("west", true)->tunnels[0].child.installed);
	assert_int_equal(dbl_routes.adds, 2);	/* west's once (the tunnel shares it), east's */
	ikev2_down("west", "test");
	wire_pump(16);
	assert_non_null(route_to("10.2.0.0/24"));	/* the trap still needs it */
	assert_null(route_to("10.1.0.0/24"));		/* east's went with its tunnel */
	ondemand_unroute(west);
	assert_null(route_to("10.2.0.0/24"));
	assert_int_equal(updown_routes_held(), 0);
}

/* The route a second holder shares is the one the first added: when the
 * first goes before it, the last removal names that route, even though
 * the way to the peer changed in between (its gateway here). */
static void test_a_shared_route_is_removed_by_whoever_holds_it_last(void **state)
{
	(void)state;
	struct connection *west = west_routed();
	assert_true(address_parse("192.0.2.254", &dbl_routes.hop.gateway));
	dbl_routes.hop.ifindex = 5;
	snprintf(dbl_routes.hop.ifname, sizeof(dbl_routes.hop.ifname), "eth5");
	ikev2_initiate(west, 0);
	wire_pump(16);
	assert_true(harness_sa("west", true)->tunnels[0].child.installed);
	ondemand_unroute(west);
	assert_non_null(route_to("10.2.0.0/24"));	/* the tunnel still holds it */
	ikev2_down("west", "test");
	wire_pump(16);
	assert_null(route_to("10.2.0.0/24"));
	assert_true(child_logged("west", "route 10.2.0.0/24 removed"));
	assert_int_equal(updown_routes_held(), 0);
}

/* A crashed pluto's route would carry the subnet's traffic in the clear:
 * at start the routes of pluto's protocol go, an admin's stays; none
 * goes while this pluto holds routes of its own. */
static void test_leftover_routes_are_removed_but_not_the_admins(void **state)
{
	(void)state;
	struct connection *west = west_routed();
	struct kernel_route earlier = { .dst = net("10.9.0.0/24"), .ifindex = 2 };
	assert_true(address_parse("192.0.2.7", &earlier.gateway));
	struct kernel_err e = {0};
	assert_int_equal(kernel_routes->add(&earlier, &e), 0);
	dbl_routes.table[dbl_routes.n++] = (struct kernel_route){ .dst = net("10.8.0.0/24"), .ifindex = 2 };
	updown_remove_leftover_routes("start");
	assert_non_null(route_to("10.9.0.0/24"));	/* west holds a route: not now */
	ondemand_unroute(west);
	updown_remove_leftover_routes("start");
	assert_null(route_to("10.9.0.0/24"));
	assert_non_null(route_to("10.8.0.0/24"));
	assert_true(was_logged("at start: removed route 10.9.0.0/24 via 192.0.2.7 dev "));
	assert_false(was_logged("removed route 10.8.0.0/24"));
}

/* ---- the script ---- */

static char script_path[PATH_MAX], record_path[PATH_MAX];

static void write_script(struct tmpdir *dir, int exit_status)
{
	tmpdir_file_path(dir, "record", record_path);
	char text[PATH_MAX + 1024];
	snprintf(text, sizeof(text),
		 "#!/bin/sh\n"
		 "echo \"$PLUTO_VERB $PLUTO_CONNECTION $PLUTO_PEER_CLIENT $PLUTO_MY_SOURCEIP $PLUTO_PEER_ID $1\" >>'%s'\n"
		 "echo 'a line from the script'; printf 'bell\\a\\n' >&2\n"
		 "exit %d\n", record_path, exit_status);
	tmpdir_write(dir, "updown", text);
	tmpdir_file_path(dir, "updown", script_path);
	assert_int_equal(chmod(script_path, 0700), 0);
}

static bool record_has(void *arg)
{
	char buf[1024] = "";
	FILE *f = fopen(record_path, "r");
	if (f != NULL) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return strstr(buf, arg) != NULL && script_pending() == 0;
}

static void test_script_runs_on_up_and_down_and_pluto_routes_nothing(void **state)
{
	(void)state;
	static struct tmpdir dir;
	tmpdir_make(&dir);
	write_script(&dir, 3);
	char conf[PATH_MAX + 2048];
	snprintf(conf, sizeof(conf),
		 "conn west\n"
		 "\tleft=" WEST "\n\tright=" EAST "\n\tleftsubnet=10.1.0.0/24\n\trightsubnet=10.2.0.0/24\n"
		 "\tleftsourceip=10.1.0.1\n\tleftupdown=\"%s first-arg\"\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n"
		 "conn east\n"
		 "\tleft=" EAST "\n\tright=" WEST "\n\tleftsubnet=10.2.0.0/24\n\trightsubnet=10.1.0.0/24\n"
		 "\tleftupdown=%%disabled\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n", script_path);
	up(conf);
	assert_true(harness_wait(record_has, "up-client west 10.2.0.0/24 10.1.0.1 192.0.2.2 first-arg", 10));
	ikev2_down("west", "test");
	wire_pump(16);
	assert_true(harness_wait(record_has, "down-client west 10.2.0.0/24 10.1.0.1 192.0.2.2 first-arg", 10));
	/* the script's and %disabled: no route from pluto on either end */
	assert_int_equal(dbl_routes.adds, 0);
	/* its output, escaped, and its status */
	assert_true(child_logged("west", "updown up-client: a line from the script"));
	assert_true(child_logged("west", "updown up-client: bell\\x07"));
	char line[PATH_MAX + 100];
	snprintf(line, sizeof(line), "updown down-client: %s exited with status 3", script_path);
	assert_true(child_logged("west", line));
	tmpdir_remove(&dir);
}

static bool nothing_pending(void *arg)
{
	(void)arg;
	return script_pending() == 0;
}

static void test_a_script_that_cannot_run_is_logged(void **state)
{
	(void)state;
	up("conn west\n"
	   "\tleft=" WEST "\n\tright=" EAST "\n\tleftupdown=/nonexistent/updown\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n"
	   "conn east\n"
	   "\tleft=" EAST "\n\tright=" WEST "\n\tauthby=secret\n\tesp=aes_gcm128-null\n\tauto=add\n");
	/* host to host: the script hears up-host; east, with no script and no
	 * subnet, does nothing. posix_spawn says why it cannot run the script,
	 * or (under valgrind, which spawns by fork) the child exits 127. */
	assert_true(harness_wait(nothing_pending, NULL, 10));
	assert_true(child_logged("west", "updown up-host: cannot run /nonexistent/updown: No such file or directory") ||
		    child_logged("west", "updown up-host: /nonexistent/updown exited with status 127"));
	assert_int_equal(dbl_routes.adds, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision),
		cmocka_unit_test(test_environment_of_a_subnet_tunnel),
		cmocka_unit_test(test_environment_of_a_host_tunnel_over_ipv6),
		cmocka_unit_test(test_script_words),
		cmocka_unit_test_teardown(test_routes_added_kept_over_rekeys_removed_at_down, stop),
		cmocka_unit_test_teardown(test_a_route_already_there_is_left_alone, stop),
		cmocka_unit_test_teardown(test_a_refused_route_is_one_line_with_the_kernels_reason, stop),
		cmocka_unit_test_teardown(test_a_routed_conn_keeps_its_route_between_tunnels, stop),
		cmocka_unit_test_teardown(test_a_shared_route_is_removed_by_whoever_holds_it_last, stop),
		cmocka_unit_test_teardown(test_leftover_routes_are_removed_but_not_the_admins, stop),
		cmocka_unit_test_teardown(test_script_runs_on_up_and_down_and_pluto_routes_nothing, stop),
		cmocka_unit_test_teardown(test_a_script_that_cannot_run_is_logged, stop),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
