/* Unit tests of the hw_offload policy (docs/offload.md) and its
 * one-line diagnostic, through a scripted double of the kernel ops:
 * every row of the table, with both fallback settings. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "offload.h"
#include "kernel_double.h"

/* ---- fixtures ---- */

static uint8_t gcm_key[20], cbc_key[16], sha1_key[20];

static struct kernel_sa test_sa;
static struct diag notes, errors;
static struct sa_offload result;

static int reset(void **state)
{
	(void)state;
	memset(&dbl, 0, sizeof(dbl));
	dbl.link = (struct kernel_link){ .ifindex = 7, .name = "eth0" };
	dbl.esp_hw_offload = true;
	diag_init(&notes);
	diag_init(&errors);
	memset(&result, 0, sizeof(result));
	memset(&test_sa, 0, sizeof(test_sa));
	address_parse("192.168.7.1", &test_sa.src);
	address_parse("192.168.7.11", &test_sa.dst);
	test_sa.spi = 0x9195dc7a;
	test_sa.proto = IPPROTO_ESP;
	test_sa.encr = ENCR_AES_GCM_16;
	test_sa.encr_key = gcm_key;
	test_sa.encr_key_len = sizeof(gcm_key);
	return 0;
}

static void use_cbc_sha1(void)
{
	test_sa.encr = ENCR_AES_CBC;
	test_sa.encr_key = cbc_key;
	test_sa.encr_key_len = sizeof(cbc_key);
	test_sa.integ = INTEG_HMAC_SHA1_96;
	test_sa.integ_key = sha1_key;
	test_sa.integ_key_len = sizeof(sha1_key);
}

static int install(enum hw_offload mode, bool fallback)
{
	struct offload_policy pol = { .mode = mode, .fallback = fallback };
	return offload_install_sa(&double_ops, &pol, &test_sa, &result, &notes);
}

static const char *state_str(void)
{
	static char buf[128];
	return sa_offload_str(&result, buf, sizeof(buf));
}

static void assert_notes_contain(const char *text)
{
	if (strstr(notes.text, text) == NULL)
		fail_msg("notes do not contain '%s':\n%s", text, notes.text);
}

/* ---- hw_offload=no ---- */

static void test_no_offload_installs_plain(void **state)
{
	(void)state;
	assert_int_equal(install(HW_OFFLOAD_NO, true), 0);
	assert_int_equal(dbl.adds, 1);
	assert_int_equal(dbl.modes[0], KERNEL_OFFLOAD_NONE);
	assert_string_equal(state_str(), "none");
	assert_int_equal(notes.count, 0);
}

static void test_no_offload_kernel_error_is_returned(void **state)
{
	(void)state;
	dbl_refuse(&dbl.refuse_plain, EEXIST, "");
	assert_int_equal(install(HW_OFFLOAD_NO, true), -EEXIST);
	assert_int_equal(dbl.nsas, 0);
	assert_notes_contain("kernel refused outbound SA esp.9195dc7a@192.168.7.11 (AES_GCM_16_128)");
	assert_notes_contain("(EEXIST)");
}

/* ---- yes / crypto ---- */

static void test_yes_offloads_to_device_of_local_address(void **state)
{
	(void)state;
	assert_int_equal(install(HW_OFFLOAD_YES, false), 0);
	assert_string_equal(state_str(), "crypto(eth0)");
	assert_int_equal(dbl.modes[0], KERNEL_OFFLOAD_CRYPTO);
	assert_int_equal(dbl.sas[0].info.offload_ifindex, 7);
	assert_true(address_eq(&dbl.link_asked, &test_sa.src));
	assert_int_equal(notes.count, 0);
}

static void test_inbound_sa_uses_destination_as_local(void **state)
{
	(void)state;
	ip_address t = test_sa.src;
	test_sa.src = test_sa.dst;
	test_sa.dst = t;
	test_sa.inbound = true;
	assert_int_equal(install(HW_OFFLOAD_CRYPTO, false), 0);
	assert_true(address_eq(&dbl.link_asked, &test_sa.dst));
	assert_string_equal(state_str(), "crypto(eth0)");
}

static void test_refusal_with_fallback_runs_in_software(void **state)
{
	(void)state;
	use_cbc_sha1();
	dbl_refuse(&dbl.refuse_crypto, EINVAL, "Device failed to offload this state");
	assert_int_equal(install(HW_OFFLOAD_YES, true), 0);
	assert_int_equal(notes.count, 1);
	assert_string_equal(notes.text,
		"hw_offload: eth0 refused outbound SA esp.9195dc7a@192.168.7.11 (AES_CBC_128-HMAC_SHA1_96): "
		"Device failed to offload this state (EINVAL); hint: this NIC offloads only AEAD algorithms "
		"such as AES_GCM_16 - try esp=aes_gcm128-null; running this SA in software (hw_offload_fallback=yes)\n");
	assert_int_equal(dbl.adds, 2);
	assert_int_equal(dbl.modes[1], KERNEL_OFFLOAD_NONE);
	assert_int_equal(dbl.nsas, 1);
	assert_string_equal(state_str(), "software(eth0 refused: EINVAL)");
}

static void test_refusal_without_fallback_fails_and_leaves_nothing(void **state)
{
	(void)state;
	use_cbc_sha1();
	dbl_refuse(&dbl.refuse_crypto, EINVAL, "Device failed to offload this state");
	assert_int_equal(install(HW_OFFLOAD_YES, false), -EINVAL);
	assert_int_equal(dbl.adds, 1);
	assert_int_equal(dbl.nsas, 0);
	assert_notes_contain("(EINVAL); hint: this NIC offloads only AEAD");
	assert_notes_contain("; not installing this SA (hw_offload_fallback=no)");
}

static void test_device_without_esp_offload_falls_back(void **state)
{
	(void)state;
	dbl.esp_hw_offload = false;
	dbl.link = (struct kernel_link){ .ifindex = 3, .name = "veth0" };
	assert_int_equal(install(HW_OFFLOAD_YES, true), 0);
	assert_int_equal(dbl.adds, 1);
	assert_int_equal(dbl.modes[0], KERNEL_OFFLOAD_NONE);
	assert_notes_contain("hw_offload: veth0 has no ESP offload (esp-hw-offload is off) for outbound SA esp.9195dc7a@192.168.7.11 (AES_GCM_16_128); running this SA in software (hw_offload_fallback=yes)");
	assert_string_equal(state_str(), "software(no esp-hw-offload on veth0)");
}

static void test_device_without_esp_offload_fails_hard(void **state)
{
	(void)state;
	dbl.esp_hw_offload = false;
	assert_int_equal(install(HW_OFFLOAD_CRYPTO, false), -EOPNOTSUPP);
	assert_int_equal(dbl.adds, 0);
	assert_notes_contain("not installing this SA (hw_offload_fallback=no)");
}

static void test_no_interface_for_local_address(void **state)
{
	(void)state;
	dbl.no_link = true;
	assert_int_equal(install(HW_OFFLOAD_YES, false), -EOPNOTSUPP);
	assert_notes_contain("no interface holds the local address 192.168.7.1");
	assert_int_equal(dbl.nsas, 0);
}

static void test_accepted_but_software_is_reported_not_claimed(void **state)
{
	(void)state;
	dbl.runs_in_software = true;
	assert_int_equal(install(HW_OFFLOAD_YES, true), 0);
	assert_string_equal(state_str(), "software(not offloaded by eth0)");
	assert_notes_contain("eth0 accepted outbound SA esp.9195dc7a@192.168.7.11 (AES_GCM_16_128) for crypto offload but the kernel runs it in software");
	assert_int_equal(dbl.nsas, 1);
}

static void test_accepted_but_software_without_fallback_is_removed(void **state)
{
	(void)state;
	dbl.runs_in_software = true;
	assert_int_equal(install(HW_OFFLOAD_YES, false), -EOPNOTSUPP);
	assert_int_equal(dbl.nsas, 0);
	assert_int_equal(dbl.dels, 1);
	assert_notes_contain("removing it (hw_offload_fallback=no)");
}

static void test_table_full_hint_counts_the_holders(void **state)
{
	(void)state;
	for (int i = 0; i < 33; i++) {
		test_sa.spi = 0x1000 + i;
		assert_int_equal(install(HW_OFFLOAD_YES, false), 0);
	}
	diag_init(&notes);
	test_sa.spi = 0x2000;
	dbl_refuse(&dbl.refuse_crypto, ENOSPC, "Device failed to offload this state");
	assert_int_equal(install(HW_OFFLOAD_YES, true), 0);
	assert_notes_contain("(ENOSPC); hint: the SA table of eth0 is full (33 SAs offloaded there now)");
	assert_string_equal(state_str(), "software(eth0 refused: table full)");
}

static void test_esn_refusal_hints_esn_no(void **state)
{
	(void)state;
	test_sa.esn = true;
	dbl_refuse(&dbl.refuse_crypto, EINVAL, "Device doesn't support offload with ESN");
	assert_int_equal(install(HW_OFFLOAD_YES, false), -EINVAL);
	assert_notes_contain("Device doesn't support offload with ESN (EINVAL); hint: this device cannot offload SAs with extended sequence numbers - try esn=no");
}

static void test_gcm256_refusal_hints_128(void **state)
{
	(void)state;
	static uint8_t key256[36];
	test_sa.encr_key = key256;
	test_sa.encr_key_len = sizeof(key256);
	dbl_refuse(&dbl.refuse_crypto, EINVAL, "Device failed to offload this state");
	assert_int_equal(install(HW_OFFLOAD_YES, true), 0);
	assert_notes_contain("(AES_GCM_16_256)");
	assert_notes_contain("hint: many NICs offload AES_GCM_16 only with a 128-bit key");
}

/* ---- packet ---- */

static void test_packet_on_packet_kernel(void **state)
{
	(void)state;
	dbl.packet_kernel = true;
	assert_int_equal(install(HW_OFFLOAD_PACKET, false), 0);
	assert_int_equal(dbl.modes[0], KERNEL_OFFLOAD_PACKET);
	assert_string_equal(state_str(), "packet(eth0)");
}

static void test_packet_refused_falls_back_to_software_not_crypto(void **state)
{
	(void)state;
	dbl.packet_kernel = true;
	dbl_refuse(&dbl.refuse_packet, EINVAL, "Unrecognized flags in offload request");
	assert_int_equal(install(HW_OFFLOAD_PACKET, true), 0);
	assert_int_equal(dbl.adds, 2);
	assert_int_equal(dbl.modes[1], KERNEL_OFFLOAD_NONE);
	assert_notes_contain("for packet offload: Unrecognized flags in offload request (EINVAL); hint: this kernel has no packet offload (Linux 6.2 or later) - try hw_offload=crypto");
}

/* 6.12 with netdevsim: the kernel has packet offload, the driver only crypto. */
static void test_packet_refused_by_device_names_the_device(void **state)
{
	(void)state;
	dbl.packet_kernel = true;
	dbl_refuse(&dbl.refuse_packet, EINVAL, "netdevsim: Unsupported ipsec offload type");
	assert_int_equal(install(HW_OFFLOAD_PACKET, true), 0);
	assert_int_equal(notes.count, 1);
	assert_notes_contain("hw_offload: eth0 refused outbound SA esp.9195dc7a@192.168.7.11 (AES_GCM_16_128) for packet offload: "
			     "netdevsim: Unsupported ipsec offload type (EINVAL); hint: eth0 has no packet offload "
			     "(this kernel has, the device's driver has not) - try hw_offload=crypto; "
			     "running this SA in software (hw_offload_fallback=yes)");
	assert_string_equal(state_str(), "software(eth0 refused: EINVAL)");
}

static void test_packet_refused_by_device_without_fallback_leaves_nothing(void **state)
{
	(void)state;
	dbl.packet_kernel = true;
	dbl_refuse(&dbl.refuse_packet, EINVAL, "netdevsim: Unsupported ipsec offload type");
	assert_int_equal(install(HW_OFFLOAD_PACKET, false), -EINVAL);
	assert_int_equal(dbl.adds, 1);
	assert_int_equal(dbl.nsas, 0);
	assert_notes_contain("not installing this SA (hw_offload_fallback=no)");
}

/* ---- the policies of a packet-offloaded SA ---- */

static void test_policy_follows_a_packet_offloaded_sa(void **state)
{
	(void)state;
	struct kernel_policy p = {0};
	struct sa_offload packet = { .state = SA_OFFLOAD_PACKET, .dev = "eth0", .ifindex = 7 };
	offload_policy_follow(&packet, &p);
	assert_int_equal(p.offload, KERNEL_OFFLOAD_PACKET);
	assert_int_equal(p.offload_ifindex, 7);
	/* crypto offload and software leave the policy in software */
	struct sa_offload crypto = { .state = SA_OFFLOAD_CRYPTO, .dev = "eth0", .ifindex = 7 };
	offload_policy_follow(&crypto, &p);
	assert_int_equal(p.offload, KERNEL_OFFLOAD_NONE);
	assert_int_equal(p.offload_ifindex, 0);
	struct sa_offload soft = { .state = SA_OFFLOAD_SOFTWARE };
	offload_policy_follow(&soft, &p);
	assert_int_equal(p.offload, KERNEL_OFFLOAD_NONE);
}

static void test_installed_packet_sa_records_its_device(void **state)
{
	(void)state;
	dbl.packet_kernel = true;
	assert_int_equal(install(HW_OFFLOAD_PACKET, false), 0);
	assert_int_equal(result.ifindex, 7);
	struct kernel_policy p = {0};
	offload_policy_follow(&result, &p);
	assert_int_equal(p.offload, KERNEL_OFFLOAD_PACKET);
	assert_int_equal(p.offload_ifindex, 7);
}

/* ---- auto ---- */

static void test_auto_without_packet_kernel_uses_crypto(void **state)
{
	(void)state;
	assert_int_equal(install(HW_OFFLOAD_AUTO, false), 0);
	assert_int_equal(dbl.adds, 1);
	assert_int_equal(dbl.modes[0], KERNEL_OFFLOAD_CRYPTO);
	assert_string_equal(state_str(), "crypto(eth0)");
}

static void test_auto_steps_down_packet_then_crypto(void **state)
{
	(void)state;
	dbl.packet_kernel = true;
	dbl_refuse(&dbl.refuse_packet, EOPNOTSUPP, "");
	assert_int_equal(install(HW_OFFLOAD_AUTO, false), 0);
	assert_int_equal(dbl.modes[0], KERNEL_OFFLOAD_PACKET);
	assert_int_equal(dbl.modes[1], KERNEL_OFFLOAD_CRYPTO);
	assert_notes_contain("; trying crypto offload (hw_offload=auto)");
	assert_string_equal(state_str(), "crypto(eth0)");
}

static void test_auto_never_fails_on_refusals(void **state)
{
	(void)state;
	dbl.packet_kernel = true;
	use_cbc_sha1();
	dbl_refuse(&dbl.refuse_packet, EINVAL, "Device failed to offload this state");
	dbl_refuse(&dbl.refuse_crypto, EINVAL, "Device failed to offload this state");
	/* fallback=no does not make auto fail: auto never fails because of offload. */
	assert_int_equal(install(HW_OFFLOAD_AUTO, false), 0);
	assert_int_equal(dbl.adds, 3);
	assert_int_equal(dbl.modes[2], KERNEL_OFFLOAD_NONE);
	assert_int_equal(notes.count, 2);
	assert_notes_contain("running this SA in software (hw_offload=auto)");
	assert_string_equal(state_str(), "software(eth0 refused: EINVAL)");
}

static void test_auto_device_without_offload_is_an_info_line(void **state)
{
	(void)state;
	dbl.esp_hw_offload = false;
	assert_int_equal(install(HW_OFFLOAD_AUTO, false), 0);
	assert_int_equal(notes.count, 1);
	assert_notes_contain("running this SA in software (hw_offload=auto)");
}

/* ---- pairs ---- */

static int refuse_outbound(const struct kernel_sa *sa, struct kernel_err *e)
{
	if (sa->inbound)
		return 0;
	dbl_refuse(e, EINVAL, "Device failed to offload this state");
	return -EINVAL;
}

static void test_pair_is_all_or_nothing(void **state)
{
	(void)state;
	use_cbc_sha1();
	struct kernel_sa in = test_sa;
	in.src = test_sa.dst;
	in.dst = test_sa.src;
	in.spi = 0x1234;
	in.inbound = true;
	struct sa_offload two[2];
	struct offload_policy pol = { .mode = HW_OFFLOAD_YES, .fallback = false };
	assert_int_equal(offload_install_pair(&double_ops, &pol, &in, &test_sa, two, &notes), 0);
	assert_int_equal(dbl.nsas, 2);
	assert_string_equal(sa_offload_str(&two[0], (char[64]){0}, 64), "crypto(eth0)");

	/* Now the outbound one is refused after the inbound one went in. */
	reset(NULL);
	dbl.driver = refuse_outbound;
	assert_int_equal(offload_install_pair(&double_ops, &pol, &in, &test_sa, two, &notes), -EINVAL);
	assert_int_equal(dbl.adds, 2);
	assert_int_equal(dbl.dels, 1);
	assert_int_equal(dbl.nsas, 0);
	assert_notes_contain("refused outbound SA");
}

/* ---- add-time rules ---- */

static struct conn_config conn(enum hw_offload mode, bool fallback)
{
	return (struct conn_config){ .name = "c", .hw_offload = mode, .hw_offload_fallback = fallback,
				     .encapsulation = YNA_AUTO, .esn = YNA_AUTO };
}

static bool check(const struct conn_config *c, bool fips, struct offload_policy *pol)
{
	return offload_check_conn(c, fips, &double_ops, pol, &errors, &notes);
}

static void test_fips_refuses_offload_at_add(void **state)
{
	(void)state;
	struct offload_policy pol;
	struct conn_config c = conn(HW_OFFLOAD_YES, false);
	assert_false(check(&c, true, &pol));
	assert_string_equal(errors.text, "hw_offload=yes refused: fips=yes: keys must not leave the crypto boundary for the NIC; not adding this conn (hw_offload_fallback=no)\n");
}

static void test_fips_with_fallback_loads_in_software(void **state)
{
	(void)state;
	struct offload_policy pol;
	struct conn_config c = conn(HW_OFFLOAD_CRYPTO, true);
	assert_true(check(&c, true, &pol));
	assert_int_equal(pol.mode, HW_OFFLOAD_NO);
	assert_int_equal(errors.count, 0);
	assert_notes_contain("warning: hw_offload=crypto refused: fips=yes");
	/* and its SAs say why they are in software */
	assert_int_equal(offload_install_sa(&double_ops, &pol, &test_sa, &result, &notes), 0);
	assert_int_equal(dbl.modes[0], KERNEL_OFFLOAD_NONE);
	assert_string_equal(state_str(), "software(fips)");
}

static void test_addtime_rules_each_name_their_cause(void **state)
{
	(void)state;
	struct offload_policy pol;
	struct conn_config ah = conn(HW_OFFLOAD_YES, false);
	ah.phase2 = PHASE2_AH;
	assert_false(check(&ah, false, &pol));
	struct conn_config tfc = conn(HW_OFFLOAD_YES, false);
	tfc.tfc = 1500;
	assert_false(check(&tfc, false, &pol));
	struct conn_config natt = conn(HW_OFFLOAD_YES, false);
	natt.encapsulation = YNA_YES;
	assert_false(check(&natt, false, &pol));
	struct conn_config packet = conn(HW_OFFLOAD_PACKET, false);
	assert_false(check(&packet, false, &pol));
	assert_int_equal(errors.count, 4);
	assert_notes_contain("");
	const char *causes[] = { "phase2=ah: only ESP", "tfc=: TFC padding", "encapsulation=yes: this kernel cannot offload NAT-T",
				 "hw_offload=packet refused: this kernel has no packet offload" };
	for (size_t i = 0; i < 4; i++) {
		if (strstr(errors.text, causes[i]) == NULL)
			fail_msg("missing '%s' in:\n%s", causes[i], errors.text);
	}
}

/* 6.12's probe found crypto offload of ESP in UDP: encapsulation=yes with
 * offload is no longer refused at add (the device decides, per SA). */
static void test_encapsulation_passes_add_on_encap_kernel(void **state)
{
	(void)state;
	struct offload_policy pol;
	dbl.encap_kernel = true;
	dbl.packet_kernel = true;
	struct conn_config natt = conn(HW_OFFLOAD_YES, false);
	natt.encapsulation = YNA_YES;
	assert_true(check(&natt, false, &pol));
	assert_int_equal(pol.mode, HW_OFFLOAD_YES);
	assert_int_equal(notes.count + errors.count, 0);
	/* TFC padding still cannot be offloaded there (6.12: "TFC padding can't be offloaded") */
	struct conn_config tfc = conn(HW_OFFLOAD_YES, false);
	tfc.tfc = 1500;
	assert_false(check(&tfc, false, &pol));
}

static void test_auto_is_never_refused_at_add(void **state)
{
	(void)state;
	struct offload_policy pol;
	struct conn_config c = conn(HW_OFFLOAD_AUTO, false);
	assert_true(check(&c, true, &pol));
	assert_int_equal(pol.mode, HW_OFFLOAD_NO);
	assert_int_equal(errors.count, 0);
	assert_notes_contain("hw_offload=auto: fips=yes");
}

static void test_packet_on_packet_kernel_passes_add(void **state)
{
	(void)state;
	struct offload_policy pol;
	dbl.packet_kernel = true;
	struct conn_config c = conn(HW_OFFLOAD_PACKET, false);
	assert_true(check(&c, false, &pol));
	assert_int_equal(pol.mode, HW_OFFLOAD_PACKET);
	assert_int_equal(notes.count + errors.count, 0);
}

static void test_no_offload_ignores_fips(void **state)
{
	(void)state;
	struct offload_policy pol;
	struct conn_config c = conn(HW_OFFLOAD_NO, false);
	c.phase2 = PHASE2_AH;
	assert_true(check(&c, true, &pol));
	assert_int_equal(notes.count + errors.count, 0);
}

/* ---- when NAT is found (natt.h): the rule of encapsulation=yes ---- */

static bool check_encap(const struct conn_config *c, struct offload_policy *pol)
{
	struct offload_policy at_add;
	assert_true(check(c, false, &at_add));
	return offload_check_encap(c, &double_ops, &at_add, pol, &errors, &notes);
}

static void test_nat_found_sends_offload_to_software_with_the_reason(void **state)
{
	(void)state;
	struct offload_policy pol;
	struct conn_config c = conn(HW_OFFLOAD_YES, true);
	assert_true(check_encap(&c, &pol));
	assert_int_equal(pol.mode, HW_OFFLOAD_NO);
	assert_string_equal(pol.software_why, "NAT-T");
	assert_int_equal(errors.count, 0);
	assert_int_equal(notes.count, 1);
	assert_notes_contain("warning: hw_offload=yes refused: NAT was detected, and this kernel cannot offload NAT-T (UDP-encapsulated) SAs; this conn's SAs will run in software (hw_offload_fallback=yes)");
	/* its SAs say so */
	assert_int_equal(offload_install_sa(&double_ops, &pol, &test_sa, &result, &notes), 0);
	assert_int_equal(dbl.modes[0], KERNEL_OFFLOAD_NONE);
	assert_string_equal(state_str(), "software(NAT-T)");
}

static void test_nat_found_refuses_offload_without_fallback(void **state)
{
	(void)state;
	struct offload_policy pol;
	struct conn_config c = conn(HW_OFFLOAD_CRYPTO, false);
	assert_false(check_encap(&c, &pol));
	assert_string_equal(errors.text, "hw_offload=crypto refused: NAT was detected, and this kernel cannot offload NAT-T (UDP-encapsulated) SAs; not bringing this IKE SA's tunnel up (hw_offload_fallback=no)\n");
}

static void test_nat_found_leaves_what_needs_no_rule(void **state)
{
	(void)state;
	struct offload_policy pol;
	struct conn_config none = conn(HW_OFFLOAD_NO, false);
	assert_true(check_encap(&none, &pol));
	assert_int_equal(pol.mode, HW_OFFLOAD_NO);
	assert_string_equal(pol.software_why, "");
	/* encapsulation=yes had its say when the conn was added: one line, not two */
	struct conn_config forced = conn(HW_OFFLOAD_YES, true);
	forced.encapsulation = YNA_YES;
	assert_true(check_encap(&forced, &pol));
	assert_int_equal(notes.count, 1);
	assert_notes_contain("encapsulation=yes: this kernel cannot offload NAT-T");
	/* a kernel with packet offload takes packet-offloaded ESP in UDP */
	dbl.packet_kernel = true;
	struct conn_config packet = conn(HW_OFFLOAD_PACKET, false);
	assert_true(check_encap(&packet, &pol));
	assert_int_equal(pol.mode, HW_OFFLOAD_PACKET);
	assert_int_equal(errors.count, 0);
	/* 6.12: crypto offload of ESP in UDP reaches the device */
	dbl.packet_kernel = true;
	dbl.encap_kernel = true;
	struct conn_config crypto = conn(HW_OFFLOAD_CRYPTO, false);
	assert_true(check_encap(&crypto, &pol));
	assert_int_equal(pol.mode, HW_OFFLOAD_CRYPTO);
	assert_int_equal(errors.count, 0);
	dbl.encap_kernel = false;
	/* auto never fails: software, with an info line */
	dbl.packet_kernel = false;
	struct conn_config aut = conn(HW_OFFLOAD_AUTO, false);
	assert_true(check_encap(&aut, &pol));
	assert_int_equal(pol.mode, HW_OFFLOAD_NO);
	assert_notes_contain("hw_offload=auto: NAT was detected");
}

static void test_offload_strings(void **state)
{
	(void)state;
	struct sa_offload o = { .state = SA_OFFLOAD_PACKET, .dev = "eth1" };
	char buf[64];
	assert_string_equal(sa_offload_str(&o, buf, sizeof(buf)), "packet(eth1)");
	o.state = SA_OFFLOAD_NONE;
	assert_string_equal(sa_offload_str(&o, buf, sizeof(buf)), "none");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, reset)
	const struct CMUnitTest tests[] = {
		T(test_no_offload_installs_plain),
		T(test_no_offload_kernel_error_is_returned),
		T(test_yes_offloads_to_device_of_local_address),
		T(test_inbound_sa_uses_destination_as_local),
		T(test_refusal_with_fallback_runs_in_software),
		T(test_refusal_without_fallback_fails_and_leaves_nothing),
		T(test_device_without_esp_offload_falls_back),
		T(test_device_without_esp_offload_fails_hard),
		T(test_no_interface_for_local_address),
		T(test_accepted_but_software_is_reported_not_claimed),
		T(test_accepted_but_software_without_fallback_is_removed),
		T(test_table_full_hint_counts_the_holders),
		T(test_esn_refusal_hints_esn_no),
		T(test_gcm256_refusal_hints_128),
		T(test_pair_is_all_or_nothing),
		T(test_packet_on_packet_kernel),
		T(test_packet_refused_by_device_names_the_device),
		T(test_packet_refused_by_device_without_fallback_leaves_nothing),
		T(test_policy_follows_a_packet_offloaded_sa),
		T(test_installed_packet_sa_records_its_device),
		T(test_packet_refused_falls_back_to_software_not_crypto),
		T(test_auto_without_packet_kernel_uses_crypto),
		T(test_auto_steps_down_packet_then_crypto),
		T(test_auto_never_fails_on_refusals),
		T(test_auto_device_without_offload_is_an_info_line),
		T(test_fips_refuses_offload_at_add),
		T(test_fips_with_fallback_loads_in_software),
		T(test_addtime_rules_each_name_their_cause),
		T(test_auto_is_never_refused_at_add),
		T(test_encapsulation_passes_add_on_encap_kernel),
		T(test_packet_on_packet_kernel_passes_add),
		T(test_no_offload_ignores_fips),
		T(test_nat_found_sends_offload_to_software_with_the_reason),
		T(test_nat_found_refuses_offload_without_fallback),
		T(test_nat_found_leaves_what_needs_no_rule),
		T(test_offload_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
