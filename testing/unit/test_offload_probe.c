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
	assert_true(offload_probe_accepts(&probe, &gcm128, false));
	assert_false(offload_probe_accepts(&probe, &gcm128, true));
	assert_false(offload_probe_accepts(&probe, &gcm256, false));
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
	assert_false(offload_probe_accepts(&probe, &gcm128, false));
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
