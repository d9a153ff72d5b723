/* Unit tests of `ipsec offload` and its --probe, through the kernel double
 * playing a netdevsim-like driver. The real device is shown in the VM. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "offload_probe.h"
#include "kernel_double.h"

static struct diag lines;
static struct device_probe probe;

/* Like netdevsim: AES-GCM with a 128-bit key only, and no ESN. */
static int netdevsim_like(const struct kernel_sa *sa, struct kernel_err *e)
{
	const char *why = NULL;
	if (sa->esn)
		why = "Device doesn't support offload with ESN";
	else if (sa->encr != ENCR_AES_GCM_16 || sa->encr_key_len != 20)
		why = "Device failed to offload this state";
	if (why == NULL)
		return 0;
	e->errnum = EINVAL;
	snprintf(e->extack, sizeof(e->extack), "%s", why);
	return -EINVAL;
}

static int reset(void **state)
{
	(void)state;
	memset(&dbl, 0, sizeof(dbl));
	dbl.esp_hw_offload = true;
	dbl.driver = netdevsim_like;
	diag_init(&lines);
	offload_probe_forget_all();
	return 0;
}

static void assert_lines_contain(const char *text)
{
	if (strstr(lines.text, text) == NULL)
		fail_msg("lines do not contain '%s':\n%s", text, lines.text);
}

/* "lo" is the one interface every test machine has. */
static void test_probe_lists_what_the_device_takes(void **state)
{
	(void)state;
	assert_int_equal(offload_probe(&double_ops, "lo", &probe, &lines), 0);
	assert_lines_contain("lo: AES_GCM_16_128: offloaded\n");
	assert_lines_contain("lo: AES_GCM_16_256: refused: Device failed to offload this state (EINVAL)\n");
	assert_lines_contain("lo: AES_CBC_128-HMAC_SHA1_96: refused: Device failed to offload this state (EINVAL)\n");
	assert_lines_contain("lo: AES_GCM_16_128 with ESN: refused: Device doesn't support offload with ESN (EINVAL)\n");
	struct alg_proposal gcm128 = { .encr = ENCR_AES_GCM_16, .encr_keylen = 128 };
	struct alg_proposal gcm256 = { .encr = ENCR_AES_GCM_16, .encr_keylen = 256 };
	assert_int_equal(offload_probe_verdict(&probe, &gcm128), OFFLOAD_KNOWN);
	assert_false(offload_probe_esn(&probe));	/* ESN was tried with AES_GCM_16_128 */
	assert_int_equal(offload_probe_verdict(&probe, &gcm256), OFFLOAD_REFUSED);
}

static void test_probe_leaves_no_sa_behind(void **state)
{
	(void)state;
	assert_int_equal(offload_probe(&double_ops, "lo", &probe, &lines), 0);
	assert_int_equal(dbl.nsas, 0);
	assert_true(dbl.adds > 0);
}

static void test_probe_sweeps_sas_it_could_not_delete(void **state)
{
	(void)state;
	dbl.del_fails = true;
	assert_int_equal(offload_probe(&double_ops, "lo", &probe, &lines), 0);
	assert_int_equal(dbl.nsas, 0);
}

static void test_probe_tells_software_from_offload(void **state)
{
	(void)state;
	dbl.driver = NULL;
	dbl.runs_in_software = true;
	assert_int_equal(offload_probe(&double_ops, "lo", &probe, &lines), 0);
	assert_lines_contain("lo: AES_GCM_16_128: accepted, but runs in software\n");
	struct alg_proposal gcm128 = { .encr = ENCR_AES_GCM_16, .encr_keylen = 128 };
	assert_int_equal(offload_probe_verdict(&probe, &gcm128), OFFLOAD_REFUSED);
}

static void test_probe_of_missing_device(void **state)
{
	(void)state;
	assert_int_equal(offload_probe(&double_ops, "nosuchdev0", &probe, &lines), -ENODEV);
	assert_lines_contain("nosuchdev0: no such interface");
	assert_int_equal(dbl.adds, 0);
}

static void test_probe_is_remembered(void **state)
{
	(void)state;
	assert_int_equal(offload_probe(&double_ops, "lo", &probe, &lines), 0);
	const struct device_probe *known = offload_probe_known("lo");
	assert_non_null(known);
	assert_int_equal(known->n, probe.n);
	assert_null(offload_probe_known("eth9"));
}

static void test_report_shows_features_counts_and_probe(void **state)
{
	(void)state;
	assert_int_equal(offload_probe(&double_ops, "lo", &probe, &lines), 0);
	/* Two SAs held by lo's hardware now. */
	dbl.sas[0] = (struct double_sa){ .spi = 1, .info = { .offloaded = true, .offload_ifindex = probe.ifindex } };
	dbl.sas[1] = (struct double_sa){ .spi = 2, .info = { .offloaded = true, .offload_ifindex = probe.ifindex } };
	dbl.sas[2] = (struct double_sa){ .spi = 3 };
	dbl.nsas = 3;
	diag_init(&lines);
	offload_report(&double_ops, "lo", &lines);
	assert_lines_contain("kernel: packet offload not available (it needs Linux 6.2 or later)");
	assert_lines_contain("lo: esp-hw-offload on, esp-tx-csum-hw-offload off, tx-esp-segmentation off; 2 SAs offloaded now\n");
	assert_lines_contain("lo:   probed: offloads AES_GCM_16_128\n");
}

static const struct alg_proposal gcm128 = { .encr = ENCR_AES_GCM_16, .encr_keylen = 128 };
static const struct alg_proposal gcm192 = { .encr = ENCR_AES_GCM_16, .encr_keylen = 192 };
static const struct alg_proposal gcm256 = { .encr = ENCR_AES_GCM_16, .encr_keylen = 256 };
static const struct alg_proposal cbc_sha1 = { .encr = ENCR_AES_CBC, .encr_keylen = 128, .integ = INTEG_HMAC_SHA1_96 };
static const struct alg_proposal cbc192_sha256 = { .encr = ENCR_AES_CBC, .encr_keylen = 192, .integ = INTEG_HMAC_SHA2_256_128 };

static void test_verdicts_from_a_probe(void **state)
{
	(void)state;
	assert_int_equal(offload_probe(&double_ops, "lo", &probe, &lines), 0);
	assert_int_equal(offload_probe_verdict(&probe, &gcm128), OFFLOAD_KNOWN);
	assert_int_equal(offload_probe_verdict(&probe, &gcm256), OFFLOAD_REFUSED);
	assert_int_equal(offload_probe_verdict(&probe, &cbc_sha1), OFFLOAD_REFUSED);
	/* Not tried, but every CBC transform tried was refused. */
	assert_int_equal(offload_probe_verdict(&probe, &cbc192_sha256), OFFLOAD_REFUSED);
	/* Not tried, and the device offloads some AES-GCM. */
	assert_int_equal(offload_probe_verdict(&probe, &gcm192), OFFLOAD_UNKNOWN);
	assert_int_equal(offload_probe_verdict(NULL, &gcm128), OFFLOAD_UNKNOWN);
	assert_false(offload_probe_esn(&probe));
}

static int table_full(const struct kernel_sa *sa, struct kernel_err *e)
{
	(void)sa;
	e->errnum = ENOSPC;
	return -ENOSPC;
}

static void test_a_full_table_teaches_nothing(void **state)
{
	(void)state;
	dbl.driver = table_full;
	assert_int_equal(offload_probe(&double_ops, "lo", &probe, &lines), 0);
	assert_int_equal(offload_probe_verdict(&probe, &gcm128), OFFLOAD_UNKNOWN);
	assert_int_equal(offload_probe_verdict(&probe, &cbc_sha1), OFFLOAD_UNKNOWN);
	assert_null(offload_probe_known("lo"));
}

static void test_offloadable_proposals_go_first(void **state)
{
	(void)state;
	assert_int_equal(offload_probe(&double_ops, "lo", &probe, &lines), 0);
	struct alg_proposals ps = { .p = { cbc_sha1, gcm256, gcm192, gcm128 }, .n = 4 };
	offload_order_proposals(&probe, &ps);
	assert_int_equal(ps.n, 4);
	assert_int_equal(ps.p[0].encr_keylen, 128);	/* known */
	assert_int_equal(ps.p[1].encr_keylen, 192);	/* unknown */
	assert_int_equal(ps.p[2].encr, ENCR_AES_CBC);	/* refused, in their order */
	assert_int_equal(ps.p[3].encr_keylen, 256);
	offload_keep_known(&probe, &ps);
	assert_int_equal(ps.n, 1);
	assert_int_equal(ps.p[0].encr_keylen, 128);
	struct alg_proposals same = { .p = { cbc_sha1, gcm128 }, .n = 2 };
	offload_order_proposals(NULL, &same);
	assert_int_equal(same.p[0].encr, ENCR_AES_CBC);
}

/* ---- offload_check_device: what `ipsec auto --add` says ---- */

static struct conn_config conn;
static struct offload_policy pol;
static struct diag probe_lines, notes;
static ip_address local;

static void set_conn(const char *esp, enum hw_offload mode, bool fallback, enum yna esn)
{
	struct diag d;
	diag_init(&d);
	static struct alg_proposals parsed;
	alg_proposals_unref(conn.esp_proposals);
	conn = (struct conn_config){ .esp = (char *)esp, .hw_offload = mode, .hw_offload_fallback = fallback, .esn = esn };
	assert_true(alg_parse_esp(esp, &parsed, &d));
	conn.esp_proposals = alg_proposals_share(&parsed);
	pol = (struct offload_policy){ .mode = mode, .fallback = fallback };
	dbl.link = (struct kernel_link){ .ifindex = 1, .name = "lo" };
	address_parse("192.0.2.1", &local);
	diag_init(&probe_lines);
	diag_init(&notes);
}

static void assert_contains(const struct diag *d, const char *text)
{
	if (strstr(d->text, text) == NULL)
		fail_msg("'%s' not in:\n%s", text, d->text);
}

static void test_add_probes_once_and_warns_of_cbc(void **state)
{
	(void)state;
	set_conn("aes128-sha1", HW_OFFLOAD_YES, true, YNA_AUTO);
	offload_check_device(&double_ops, &conn, &pol, &local, &probe_lines, &notes);
	assert_contains(&probe_lines, "offload: probing lo once, as this conn asks for hw_offload=yes there");
	assert_contains(&probe_lines, "lo: AES_GCM_16_128: offloaded");
	assert_contains(&probe_lines, "offload: what the probe of lo found is kept for the life of pluto");
	assert_contains(&notes, "warning: hw_offload=yes: lo cannot offload any transform of esp=aes128-sha1 "
			"(AES_CBC_128-HMAC_SHA1_96): its probe found it offloads AES_GCM_16_128; "
			"its SAs will run in software (hw_offload_fallback=yes)");
	int adds = dbl.adds;
	assert_true(adds > 0);
	set_conn("aes128-sha2_256,aes256-sha2_512", HW_OFFLOAD_CRYPTO, false, YNA_AUTO);
	offload_check_device(&double_ops, &conn, &pol, &local, &probe_lines, &notes);
	assert_int_equal(dbl.adds, adds);		/* no second probe */
	assert_int_equal(probe_lines.len, 0);
	assert_contains(&notes, "(AES_CBC_128-HMAC_SHA2_256_128, AES_CBC_256-HMAC_SHA2_512_256)");
	assert_contains(&notes, "its IPsec SAs will be refused (hw_offload_fallback=no)");
}

static void test_add_into_a_full_table_says_the_probe_learned_nothing(void **state)
{
	(void)state;
	dbl.driver = table_full;
	set_conn("aes128-sha1", HW_OFFLOAD_YES, true, YNA_AUTO);
	offload_check_device(&double_ops, &conn, &pol, &local, &probe_lines, &notes);
	assert_contains(&probe_lines, "offload: lo's SA table is full, so its probe learned nothing; "
			"it is probed again when the next conn that asks for offload there is added");
	assert_int_equal(notes.len, 0);		/* no verdict, no warning */
	int adds = dbl.adds;
	dbl.driver = netdevsim_like;
	offload_check_device(&double_ops, &conn, &pol, &local, &probe_lines, &notes);
	assert_true(dbl.adds > adds);
	assert_contains(&notes, "cannot offload any transform of esp=aes128-sha1");
}

static void test_add_is_quiet_when_one_transform_offloads(void **state)
{
	(void)state;
	set_conn("aes128-sha1,aes_gcm128", HW_OFFLOAD_YES, false, YNA_AUTO);
	offload_check_device(&double_ops, &conn, &pol, &local, &probe_lines, &notes);
	assert_int_equal(notes.len, 0);
}

static void test_add_warns_of_esn_the_device_refuses(void **state)
{
	(void)state;
	set_conn("aes_gcm128", HW_OFFLOAD_YES, true, YNA_YES);
	offload_check_device(&double_ops, &conn, &pol, &local, &probe_lines, &notes);
	assert_contains(&notes, "warning: hw_offload=yes with esn=yes: lo cannot offload SAs with extended sequence numbers, "
			"as its probe found - try esn=no; its SAs will run in software (hw_offload_fallback=yes)");
}

static void test_add_without_esp_offload_does_not_probe(void **state)
{
	(void)state;
	dbl.esp_hw_offload = false;
	set_conn("aes_gcm128", HW_OFFLOAD_AUTO, false, YNA_AUTO);
	offload_check_device(&double_ops, &conn, &pol, &local, &probe_lines, &notes);
	assert_int_equal(dbl.adds, 0);
	assert_contains(&notes, "hw_offload=auto: lo has no ESP offload (esp-hw-offload is off); its SAs will run in software (hw_offload=auto)");
	assert_null(strstr(notes.text, "warning"));
}

static void test_no_probe_without_offload(void **state)
{
	(void)state;
	set_conn("aes128-sha1", HW_OFFLOAD_YES, true, YNA_AUTO);
	pol.mode = HW_OFFLOAD_NO;	/* the add-time rules turned it off */
	offload_check_device(&double_ops, &conn, &pol, &local, &probe_lines, &notes);
	assert_int_equal(dbl.adds, 0);
	assert_int_equal(notes.len + probe_lines.len, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, reset)
	const struct CMUnitTest tests[] = {
		T(test_probe_lists_what_the_device_takes),
		T(test_probe_leaves_no_sa_behind),
		T(test_probe_sweeps_sas_it_could_not_delete),
		T(test_probe_tells_software_from_offload),
		T(test_probe_of_missing_device),
		T(test_probe_is_remembered),
		T(test_report_shows_features_counts_and_probe),
		T(test_verdicts_from_a_probe),
		T(test_a_full_table_teaches_nothing),
		T(test_offloadable_proposals_go_first),
		T(test_add_probes_once_and_warns_of_cbc),
		T(test_add_into_a_full_table_says_the_probe_learned_nothing),
		T(test_add_is_quiet_when_one_transform_offloads),
		T(test_add_warns_of_esn_the_device_refuses),
		T(test_add_without_esp_offload_does_not_probe),
		T(test_no_probe_without_offload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
