/* test_kernel_caps.c: the start-up probe of the kernel's offload code
 * (kernel_caps.h), against a double scripted with what Debian's 6.1 and
 * 6.12 kernels answered in the VM (docs/kernels.md). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "kernel_caps.h"
#include "kernel_double.h"

static struct diag lines;
static struct kernel_caps caps;

static int reset(void **state)
{
	(void)state;
	memset(&dbl, 0, sizeof(dbl));
	diag_init(&lines);
	memset(&caps, 0, sizeof(caps));
	return 0;
}

/* 6.1 refuses a UDP-encapsulated SA's offload before it looks at any device. */
static int kernel_6_1_encap(const struct kernel_sa *sa, struct kernel_err *e)
{
	if (!sa->encap)
		return 0;
	dbl_refuse(e, EINVAL, "Encapsulation and TFC padding can't be offloaded");
	return -EINVAL;
}

static void assert_lines_contain(const char *text)
{
	if (strstr(lines.text, text) == NULL)
		fail_msg("lines do not contain '%s':\n%s", text, lines.text);
}

static void test_kernel_6_1(void **state)
{
	(void)state;
	dbl_refuse(&dbl.refuse_packet, EINVAL, "Unrecognized flags in offload request");
	dbl.runs_in_software = true;	/* lo has no offload operations */
	dbl.driver = kernel_6_1_encap;
	kernel_caps_probe(&double_ops, 1, &caps, &lines);
	assert_true(caps.probed);
	assert_false(caps.packet_offload);
	assert_false(caps.encap_crypto_offload);
	assert_lines_contain("kernel: packet offload: no (it needs Linux 6.2 or later): Unrecognized flags in offload request (EINVAL)");
	assert_lines_contain("kernel: crypto offload of UDP-encapsulated (NAT-T) SAs: no: Encapsulation and TFC padding can't be offloaded (EINVAL)");
	assert_int_equal(dbl.nsas, 0);		/* the control SA was removed again */
}

static void test_kernel_6_12(void **state)
{
	(void)state;
	/* packet offload on a device without offload operations: a bare EINVAL */
	dbl_refuse(&dbl.refuse_packet, EINVAL, "");
	dbl.runs_in_software = true;
	kernel_caps_probe(&double_ops, 1, &caps, &lines);
	assert_true(caps.packet_offload);
	assert_true(caps.encap_crypto_offload);
	assert_lines_contain("kernel: packet offload: yes");
	assert_lines_contain("kernel: crypto offload of UDP-encapsulated (NAT-T) SAs: yes");
	assert_int_equal(lines.count, 2);
	assert_int_equal(dbl.nsas, 0);		/* the control and the encapsulated SA are gone */
	assert_int_equal(dbl.adds, 3);
	assert_int_equal(dbl.modes[1], KERNEL_OFFLOAD_PACKET);
	/* every probe SA asks for lo, carries the probe reqid, and a reserved SPI */
	assert_int_equal(dbl.dels, 2);
}

static void test_kernel_without_esp_offload(void **state)
{
	(void)state;
	dbl_refuse(&dbl.refuse_crypto, EINVAL, "Type doesn't support offload");
	kernel_caps_probe(&double_ops, 1, &caps, &lines);
	assert_false(caps.packet_offload);
	assert_false(caps.encap_crypto_offload);
	assert_int_equal(dbl.adds, 1);		/* nothing more is asked */
	assert_lines_contain("kernel: no ESP offload at all: a crypto offload request was refused: Type doesn't support offload (EINVAL)");
}

/* A kernel that takes the packet flag and runs the SA in software does not
 * know it: no claim, and the SA is removed. */
static void test_packet_request_run_in_software_is_no(void **state)
{
	(void)state;
	dbl.runs_in_software = true;
	kernel_caps_probe(&double_ops, 1, &caps, &lines);
	assert_false(caps.packet_offload);
	assert_lines_contain("kernel: packet offload: no (a packet offload request ran in software)");
	assert_int_equal(dbl.nsas, 0);
	assert_int_equal(dbl.dels, 3);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, reset)
	const struct CMUnitTest tests[] = {
		T(test_kernel_6_1),
		T(test_kernel_6_12),
		T(test_kernel_without_esp_offload),
		T(test_packet_request_run_in_software_is_no),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
