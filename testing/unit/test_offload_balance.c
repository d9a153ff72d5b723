/* Unit tests of the offload budget run against pluto's tunnels
 * (offload_balance.c), with the ike harness and the kernel double: where
 * a rekey puts its new SAs, and a sample that moves a tunnel out of a
 * full table. One double serves both ends and one NIC (ifindex 7) both. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ike_harness.h"
#include "child_sa.h"
#include "offload_balance.h"

#define WEST "192.0.2.1"
#define EAST "192.0.2.2"

static const char secrets[] = WEST " " EAST " : PSK \"harness secret, not a real one\"\n";


static void a_nic(void)
{
	dbl.esp_hw_offload = true;
	dbl.link = (struct kernel_link){ .ifindex = 7, .name = "eth0" };
}

/* west and east, offloading with fallback FALLBACK, up. */
static void up(const char *fallback, struct ike_sa **west, struct ike_sa **east)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "conn west\n\tleft=" WEST "\n\tright=" EAST "\n\tauthby=secret\n\tesp=aes_gcm128-null\n"
		 "\thw_offload=yes\n\thw_offload_fallback=%s\n\tauto=add\n"
		 "conn east\n\tleft=" EAST "\n\tright=" WEST "\n\tauthby=secret\n\tesp=aes_gcm128-null\n"
		 "\thw_offload=yes\n\tauto=add\n", fallback);
	assert_true(harness_start_on(text, secrets, a_nic));
	offload_balance_forget();
	ikev2_initiate(conn_find("west"), 0);
	wire_pump(16);
	assert_true(harness_tunnel_up("west", "east", west, east));
	assert_int_equal((*west)->tunnels[0].child.offload[0].state, SA_OFFLOAD_CRYPTO);
	assert_int_equal((*west)->tunnels[0].child.offload[1].state, SA_OFFLOAD_CRYPTO);
}

/* What a plan that ranked west's tunnel 17th of a table of 15 leaves. */
static void ranked_out(struct tunnel *t)
{
	t->budget.to_software = true;
	t->budget.rank = 17;
	t->budget.slots = 15;
}

static void rekey_west(struct ike_sa *west)
{
	nlog_kept = 0;
	log_set_tee(keep_log_line, NULL);
	assert_true(ikev2_rekey_now(west, false));
	wire_pump(32);
	log_set_tee(NULL, NULL);
}

static void test_a_rekey_ranked_out_of_the_table_goes_to_software_saying_why(void **state)
{
	(void)state;
	struct ike_sa *west, *east;
	up("yes", &west, &east);
	unsigned old = west->tunnels[0].child.serial;
	ranked_out(&west->tunnels[0]);
	rekey_west(west);
	const struct child_sa *ch = &west->tunnels[0].child;
	assert_int_not_equal(ch->serial, old);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ch->offload[i].state, SA_OFFLOAD_SOFTWARE);
		assert_string_equal(ch->offload[i].why, "table full, rank 17 of 15");
	}
	assert_true(kept_lines_with("IPsec SA established tunnel mode, rekeying") >= 1);
	assert_int_equal(kept_lines_with("offload=software(table full, rank 17 of 15)"), 1);
	/* and east, not ranked out, kept asking the NIC */
	assert_int_equal(east->tunnels[0].child.offload[0].state, SA_OFFLOAD_CRYPTO);
	char line[160];
	assert_string_equal(offload_balance_status(&west->tunnels[0], line, sizeof(line)), "rate=unknown");
}

static void test_a_rekey_ranked_inside_keeps_the_nic(void **state)
{
	(void)state;
	struct ike_sa *west, *east;
	up("yes", &west, &east);
	west->tunnels[0].budget.rank = 3;
	west->tunnels[0].budget.slots = 15;
	rekey_west(west);
	assert_int_equal(west->tunnels[0].child.offload[0].state, SA_OFFLOAD_CRYPTO);
	assert_int_equal(west->tunnels[0].child.offload[1].state, SA_OFFLOAD_CRYPTO);
}

static void test_a_conn_without_fallback_keeps_its_slot(void **state)
{
	(void)state;
	struct ike_sa *west, *east;
	up("no", &west, &east);
	ranked_out(&west->tunnels[0]);
	rekey_west(west);
	assert_int_equal(west->tunnels[0].child.offload[0].state, SA_OFFLOAD_CRYPTO);
	assert_int_equal(west->tunnels[0].child.offload[1].state, SA_OFFLOAD_CRYPTO);
	assert_int_equal(kept_lines_with("table full, rank"), 0);
}

/* ---- a sample against a table known to be full ---- */

/* Two conns between the hosts, so four tunnels (two each end) on the one
 * NIC; "hot" has hw_offload_priority=5. */
static const char two_conf[] =
	"conn west\n\tleft=" WEST "\n\tright=" EAST "\n\tleftsubnet=10.1.1.0/24\n\trightsubnet=10.2.1.0/24\n"
	"\tauthby=secret\n\tesp=aes_gcm128-null\n\thw_offload=yes\n\tauto=add\n"
	"conn hot\n\tleft=" WEST "\n\tright=" EAST "\n\tleftsubnet=10.1.2.0/24\n\trightsubnet=10.2.2.0/24\n"
	"\tauthby=secret\n\tesp=aes_gcm128-null\n\thw_offload=yes\n\thw_offload_priority=5\n\tauto=add\n"
	"conn east\n\tleft=" EAST "\n\tright=" WEST "\n\tleftsubnet=10.2.1.0/24\n\trightsubnet=10.1.1.0/24\n"
	"\tauthby=secret\n\tesp=aes_gcm128-null\n\thw_offload=yes\n\tauto=add\n"
	"conn hot-east\n\tleft=" EAST "\n\tright=" WEST "\n\tleftsubnet=10.2.2.0/24\n\trightsubnet=10.1.2.0/24\n"
	"\tauthby=secret\n\tesp=aes_gcm128-null\n\thw_offload=yes\n\thw_offload_priority=5\n\tauto=add\n";

/* The tunnels of both ends in software, with their conns' names in soft. */
static size_t in_software(const char *soft[4])
{
	size_t n = 0;
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next)
		for (unsigned k = 0; k < ike->ntunnels; k++) {
			const struct child_sa *ch = &ike->tunnels[k].child;
			if (ch->installed && ch->offload[0].state == SA_OFFLOAD_SOFTWARE && n < 4)
				soft[n++] = ike->tunnels[k].c->config->name;
		}
	return n;
}

static void test_a_sample_moves_the_lowest_ranked_out_of_a_full_table_now(void **state)
{
	(void)state;
	assert_true(harness_start_on(two_conf, secrets, a_nic));
	offload_balance_forget();
	ikev2_initiate(conn_find("west"), 0);
	ikev2_initiate(conn_find("hot"), 0);
	wire_pump(32);
	const char *soft[4];
	assert_int_equal(in_software(soft), 0);
	/* nothing known of the table: a sample moves nothing */
	nlog_kept = 0;
	log_set_tee(keep_log_line, NULL);
	offload_balance_sample(1);
	assert_int_equal(kept_lines_with("offload: rekeying now"), 0);
	/* the NIC said full at 9 SAs: room for 3 tunnels, and 4 hold it */
	struct sa_offload full = { .state = SA_OFFLOAD_SOFTWARE, .ifindex = 7, .dev = "eth0",
				   .table_full = true, .table_held = 9 };
	offload_balance_installed(&full);
	assert_int_equal(kept_lines_with("offload: eth0 said its SA table is full holding 9 SAs"), 1);
	offload_balance_sample(1);
	wire_pump(32);
	log_set_tee(NULL, NULL);
	assert_int_equal(kept_lines_with("offload: rekeying now to move this tunnel's SAs from eth0 to software: rank 4 of the 3"), 1);
	/* one tunnel went, not one of the priority conn's */
	assert_int_equal(in_software(soft), 1);
	assert_true(strcmp(soft[0], "west") == 0 || strcmp(soft[0], "east") == 0);
	struct diag lines;
	diag_init(&lines);
	offload_balance_report("eth0", &lines);
	assert_non_null(strstr(lines.text, "eth0: offload budget: capacity 9 SAs (learned at table full), room for 3 tunnels; held "));
	assert_non_null(strstr(lines.text, "eth0:   waiting: \""));
	assert_non_null(strstr(lines.text, " rank 4, 0 B/s, hw_offload_priority=0"));
	/* the next sample: the table as the plan has it, nothing to move */
	nlog_kept = 0;
	log_set_tee(keep_log_line, NULL);
	offload_balance_sample(1);
	log_set_tee(NULL, NULL);
	assert_int_equal(kept_lines_with("offload: rekeying now"), 0);
}

/* West's tunnel up (both ends, 4 SAs on the NIC), and the NIC's table
 * known to hold size SAs (a refusal said so), sampled once. */
static void west_up_in_a_table_of(unsigned size)
{
	assert_true(harness_start_on(two_conf, secrets, a_nic));
	offload_balance_forget();
	ikev2_initiate(conn_find("west"), 0);
	wire_pump(32);
	struct sa_offload full = { .state = SA_OFFLOAD_SOFTWARE, .ifindex = 7, .dev = "eth0",
				   .table_full = true, .table_held = size };
	offload_balance_installed(&full);
	offload_balance_sample(1);
}

/* A tunnel that comes up after the size is known, when the table has no
 * room for its pair beside the one kept for rekeys, starts in software:
 * the next sample ranks it. */
static void test_a_newcomer_to_a_table_without_room_starts_in_software(void **state)
{
	(void)state;
	/* 4 SAs held of 11: room for two more pairs (hot's, one each end)
	 * beside the spare */
	west_up_in_a_table_of(11);
	ikev2_initiate(conn_find("hot"), 0);
	wire_pump(32);
	struct ike_sa *hot = harness_sa("west", true);
	assert_non_null(hot);
	struct tunnel *t = &hot->tunnels[hot->ntunnels - 1];
	assert_string_equal(t->c->config->name, "hot");
	assert_int_equal(t->child.offload[0].state, SA_OFFLOAD_CRYPTO);	/* it had room */
	/* now 8 held: another pair would eat the spare */
	static const char third[] =
		"conn third\n\tleft=" WEST "\n\tright=" EAST "\n\tleftsubnet=10.1.3.0/24\n\trightsubnet=10.2.3.0/24\n"
		"\tauthby=secret\n\tesp=aes_gcm128-null\n\thw_offload=yes\n\tauto=add\n"
		"conn third-east\n\tleft=" EAST "\n\tright=" WEST "\n\tleftsubnet=10.2.3.0/24\n\trightsubnet=10.1.3.0/24\n"
		"\tauthby=secret\n\tesp=aes_gcm128-null\n\thw_offload=yes\n\tauto=add\n";
	tmpdir_write(&wire.dir, "third.conf", third);
	char path[PATH_MAX];
	tmpdir_file_path(&wire.dir, "third.conf", path);
	struct diag d, notes;
	diag_init(&d);
	diag_init(&notes);
	struct ipsec_conf *conf = ipsecconf_load(path, &d);
	assert_non_null(conf);
	bool replaced;
	for (size_t i = 0; i < conf->nconns; i++)
		assert_non_null(conn_load(&conf->conns[i], false, &replaced, &d, &notes));
	ikev2_initiate(conn_find("third"), 0);
	wire_pump(32);
	t = &hot->tunnels[hot->ntunnels - 1];
	assert_string_equal(t->c->config->name, "third");
	assert_true(t->child.installed);
	assert_int_equal(t->child.offload[0].state, SA_OFFLOAD_SOFTWARE);
	assert_string_equal(t->child.offload[0].why, "table full, not ranked yet");
	assert_int_equal(t->child.offload[1].state, SA_OFFLOAD_SOFTWARE);
	/* it waits for eth0: the next sample ranks it there */
	assert_int_equal(t->child.offload[0].ifindex, 7);
	offload_balance_sample(1);
	assert_int_not_equal(t->budget.rank, 0);
	ipsecconf_free(conf);
}

/* A newcomer's pair is placed once, by its inbound SA: with room for one
 * pair beside the spare, its outbound SA follows the inbound one to the
 * NIC, though the inbound one, counted, left no room for another pair.
 * (Split, it held a slot the budget counted as held, while the tunnel's
 * traffic out ran in software and no sample moved it.) */
static void test_a_newcomer_s_pair_is_not_split_by_its_own_inbound_sa(void **state)
{
	(void)state;
	/* a table of 10: west's 4 SAs and hot's two pairs (one each end)
	 * leave 2 free, the spare */
	west_up_in_a_table_of(10);
	ikev2_initiate(conn_find("hot"), 0);
	wire_pump(32);
	for (int end = 0; end < 2; end++) {
		struct ike_sa *ike = harness_sa(end == 0 ? "west" : "east", end == 0);
		assert_non_null(ike);
		const struct child_sa *ch = &ike->tunnels[ike->ntunnels - 1].child;
		assert_true(ch->installed);
		assert_int_equal(ch->offload[0].state, SA_OFFLOAD_CRYPTO);
		assert_int_equal(ch->offload[1].state, SA_OFFLOAD_CRYPTO);
	}
}

/* A NIC whose table holds table_size SAs, as netdevsim's holds 33. */
static unsigned table_size;

static int small_table(const struct kernel_sa *sa, struct kernel_err *e)
{
	(void)sa;
	unsigned held = 0;
	for (size_t i = 0; i < dbl.nsas; i++)
		held += dbl.sas[i].info.offloaded;
	if (held < table_size)
		return 0;
	e->errnum = ENOSPC;
	snprintf(e->extack, sizeof(e->extack), "Device failed to offload this state");
	return -ENOSPC;
}

/* The table fills at a tunnel's inbound SA: its outbound SA goes to
 * software with it, for the same reason. */
static void test_a_pair_the_full_table_refused_stays_together(void **state)
{
	(void)state;
	assert_true(harness_start_on(two_conf, secrets, a_nic));
	dbl.driver = small_table;
	table_size = 4;
	offload_balance_forget();
	ikev2_initiate(conn_find("west"), 0);
	wire_pump(32);
	ikev2_initiate(conn_find("hot"), 0);
	wire_pump(32);
	/* west's 4 SAs (both ends) fill the table; hot's responder end
	 * installs first and meets the full table at its inbound SA */
	struct ike_sa *east = harness_sa("east", false);
	assert_non_null(east);
	const struct tunnel *t = &east->tunnels[east->ntunnels - 1];
	assert_string_equal(t->c->config->name, "hot-east");
	assert_int_equal(t->child.offload[0].state, SA_OFFLOAD_SOFTWARE);
	assert_true(t->child.offload[0].table_full);
	assert_string_equal(t->child.offload[0].why, "eth0 refused: table full");
	assert_int_equal(t->child.offload[1].state, SA_OFFLOAD_SOFTWARE);
	assert_string_equal(t->child.offload[1].why, "eth0 refused: table full");
}

/* A pair the NIC split (its inbound SA took the last slot, before the
 * table's size was known) is not held: the budget moves the tunnel whole,
 * in or out, rather than leave its traffic out in software for good. */
static void test_a_pair_split_by_the_nic_does_not_count_as_held(void **state)
{
	(void)state;
	assert_true(harness_start_on(two_conf, secrets, a_nic));
	dbl.driver = small_table;
	table_size = 3;
	offload_balance_forget();
	ikev2_initiate(conn_find("west"), 0);
	wire_pump(32);
	struct ike_sa *west, *east;
	assert_true(harness_tunnel_up("west", "east", &west, &east));
	assert_int_equal(west->tunnels[0].child.offload[0].state, SA_OFFLOAD_CRYPTO);
	assert_int_equal(west->tunnels[0].child.offload[1].state, SA_OFFLOAD_SOFTWARE);
	offload_balance_sample(1);
	assert_false(west->tunnels[0].budget.offloaded);
	assert_true(east->tunnels[0].budget.offloaded);
}

/* The pair kept free is room for one rekey at a time: a tunnel the NIC
 * holds waits with its rekey while the table has no room for its new
 * pair (here another user's SA takes the spare), and goes once there is,
 * or once only half its rekeymargin is left. */
static void test_a_held_tunnel_s_rekey_waits_for_room_in_the_table(void **state)
{
	(void)state;
	west_up_in_a_table_of(10);
	ikev2_initiate(conn_find("hot"), 0);
	wire_pump(32);
	/* pluto's 8 SAs and another user's in the table of 10 */
	dbl.sas[dbl.nsas++] = (struct double_sa){ .spi = 0x7e57, .info = { .offloaded = true, .offload_ifindex = 7 } };
	offload_balance_sample(1);
	struct ike_sa *west = harness_sa("west", true);
	assert_non_null(west);
	struct tunnel *t = &west->tunnels[0];
	unsigned serial = t->child.serial;
	int adds = dbl.adds;
	assert_true(ikev2_rekey_now(west, false));
	wire_pump(32);
	assert_int_equal(t->child.serial, serial);
	assert_int_equal(dbl.adds, adds);
	assert_int_not_equal(t->retry_at, 0);
	/* the other user's SA goes: room for the new pair */
	dbl.nsas--;
	offload_balance_sample(1);
	t->retry_at = 0;
	assert_true(ikev2_rekey_now(west, false));
	wire_pump(32);
	assert_int_not_equal(t->child.serial, serial);
	assert_int_equal(t->child.offload[0].state, SA_OFFLOAD_CRYPTO);
	assert_int_equal(t->child.offload[1].state, SA_OFFLOAD_CRYPTO);
	/* no room again: it waits, but not for ever: until half its
	 * rekeymargin is left (the defaults: 8 h, 9 min) */
	dbl.sas[dbl.nsas++] = (struct double_sa){ .spi = 0x7e57, .info = { .offloaded = true, .offload_ifindex = 7 } };
	offload_balance_sample(1);
	time_t until = t->child.add_time + 8 * 3600 - 270;
	assert_false(offload_balance_may_rekey(t, time(NULL)));
	assert_false(offload_balance_may_rekey(t, until - 1));
	assert_true(offload_balance_may_rekey(t, until));
}

/* A tunnel whose rekey goes to the table waits while another rekey into
 * the table is under way (here hot's, answered only once the wire is
 * pumped), whether the first is held there or not. */
static void test_one_rekey_into_the_table_at_a_time(void **state)
{
	(void)state;
	west_up_in_a_table_of(12);
	ikev2_initiate(conn_find("hot"), 0);
	wire_pump(32);
	offload_balance_sample(1);
	struct ike_sa *west = harness_sa("west", true);
	assert_non_null(west);
	assert_int_equal(west->ntunnels, 2);
	struct tunnel *t = &west->tunnels[0], *hot = &west->tunnels[1];
	time_t now = time(NULL);
	assert_true(offload_balance_may_rekey(t, now));
	ikev2_rekey_tunnel(west, hot);
	assert_true(ikev2_rekeying_tunnel(west, hot));
	assert_false(offload_balance_may_rekey(t, now));
	/* nor in software, when its rekey asks for the table */
	t->child.offload[1].state = SA_OFFLOAD_SOFTWARE;
	offload_balance_sample(1);
	assert_false(t->budget.to_software);
	assert_false(offload_balance_may_rekey(t, now));
	t->child.offload[1].state = SA_OFFLOAD_CRYPTO;
	wire_pump(32);
	assert_false(ikev2_rekeying_tunnel(west, hot));
	assert_true(offload_balance_may_rekey(t, now));
}

static int start(void **state)
{
	(void)state;
	return 0;
}

static int stop(void **state)
{
	(void)state;
	harness_stop();
	return 0;
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, start, stop)
	const struct CMUnitTest tests[] = {
		T(test_a_rekey_ranked_out_of_the_table_goes_to_software_saying_why),
		T(test_a_rekey_ranked_inside_keeps_the_nic),
		T(test_a_conn_without_fallback_keeps_its_slot),
		T(test_a_sample_moves_the_lowest_ranked_out_of_a_full_table_now),
		T(test_a_newcomer_to_a_table_without_room_starts_in_software),
		T(test_a_newcomer_s_pair_is_not_split_by_its_own_inbound_sa),
		T(test_a_pair_the_full_table_refused_stays_together),
		T(test_a_pair_split_by_the_nic_does_not_count_as_held),
		T(test_a_held_tunnel_s_rekey_waits_for_room_in_the_table),
		T(test_one_rekey_into_the_table_at_a_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
