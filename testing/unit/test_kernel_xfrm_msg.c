/* test_kernel_xfrm_msg.c: XFRM requests built from kernel.h's structs and
 * parsed back, with libnl-xfrm-3's own parser (xfrmnl_sa_parse) and with
 * ours; hand-made acquire and expire events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <netlink/attr.h>
#include <netlink/xfrm/lifetime.h>
#include <netlink/xfrm/sa.h>
#include <netlink/xfrm/selector.h>
#include "kernel_xfrm_msg.h"

static const uint8_t key[64] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
				 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36 };
static const uint8_t hkey[64] = { 0xa0, 0xa1, 0xa2, [63] = 0xff };

static ip_address addr(const char *s)
{
	ip_address a;
	assert_true(address_parse(s, &a));
	return a;
}

static ip_subnet net(const char *s)
{
	ip_subnet n;
	assert_true(subnet_parse(s, &n));
	return n;
}

/* AES-GCM-128 tunnel SA, inbound, offloaded (crypto) to ifindex 7. */
static struct kernel_sa gcm_sa(void)
{
	struct kernel_sa sa = {
		.src = addr("192.0.2.2"), .dst = addr("192.0.2.1"), .spi = 0x9195dc7a,
		.proto = IPPROTO_ESP, .mode = KERNEL_MODE_TUNNEL, .reqid = 0x4001,
		.src_sel = net("10.2.0.0/16"), .dst_sel = net("10.1.0.0/16"), .inbound = true,
		.encr = ENCR_AES_GCM_16, .encr_key = key, .encr_key_len = 20,
		.replay_window = 32, .hard_seconds = 28800, .soft_seconds = 27000,
		.offload = KERNEL_OFFLOAD_CRYPTO, .offload_ifindex = 7,
	};
	return sa;
}

/* AES-CBC-128 + HMAC-SHA2-256 transport SA over IPv6 with ESN, NAT-T and
 * TFC padding, outbound, no offload. */
static struct kernel_sa cbc_sa(void)
{
	struct kernel_sa sa = {
		.src = addr("2001:db8::1"), .dst = addr("2001:db8::2"), .spi = 0x1234,
		.proto = IPPROTO_ESP, .mode = KERNEL_MODE_TRANSPORT, .reqid = 0x4002,
		.encr = ENCR_AES_CBC, .encr_key = key, .encr_key_len = 16,
		.integ = INTEG_HMAC_SHA2_256_128, .integ_key = hkey, .integ_key_len = 32,
		.esn = true, .replay_window = 128, .soft_bytes = 1000000, .hard_bytes = 2000000,
		.soft_packets = 3000, .hard_packets = 8000,
		.encap = true, .encap_sport = 4500, .encap_dport = 4501, .tfc_pad = 1500,
	};
	return sa;
}

static struct xfrmnl_sa *build_and_parse(const struct kernel_sa *sa, int cmd)
{
	struct nl_msg *msg;
	struct kernel_err e;
	assert_int_equal(xfrm_sa_msg(sa, cmd, &msg, &e), 0);
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_type, cmd);
	struct xfrmnl_sa *x = NULL;
	assert_int_equal(xfrmnl_sa_parse(nlmsg_hdr(msg), &x), 0);
	xfrm_msg_free(msg);
	return x;
}

static void assert_addr(struct nl_addr *na, const char *s)
{
	ip_address a = addr(s);
	assert_non_null(na);
	assert_int_equal(nl_addr_get_family(na), a.family);
	assert_memory_equal(nl_addr_get_binary_addr(na), a.bytes, a.family == AF_INET ? 4 : 16);
}

static void test_gcm_tunnel_offloaded(void **state)
{
	(void)state;
	struct kernel_sa sa = gcm_sa();
	struct xfrmnl_sa *x = build_and_parse(&sa, XFRM_MSG_NEWSA);
	assert_addr(xfrmnl_sa_get_saddr(x), "192.0.2.2");
	assert_addr(xfrmnl_sa_get_daddr(x), "192.0.2.1");
	assert_int_equal((unsigned)xfrmnl_sa_get_spi(x), 0x9195dc7a);
	assert_int_equal(xfrmnl_sa_get_proto(x), IPPROTO_ESP);
	assert_int_equal(xfrmnl_sa_get_mode(x), XFRM_MODE_TUNNEL);
	assert_int_equal(xfrmnl_sa_get_reqid(x), 0x4001);
	assert_int_equal(xfrmnl_sa_get_family(x), AF_INET);
	assert_int_equal(xfrmnl_sa_get_flags(x) & XFRM_STATE_ESN, 0);
	assert_int_equal(xfrmnl_sa_get_replay_window(x), 32);

	char name[64], k[64];
	unsigned key_bits, icv_bits;
	assert_int_equal(xfrmnl_sa_get_aead_params(x, name, &key_bits, &icv_bits, k), 0);
	assert_string_equal(name, "rfc4106(gcm(aes))");
	assert_int_equal(key_bits, 160);	/* 128-bit key and 32-bit salt */
	assert_int_equal(icv_bits, 128);
	assert_memory_equal(k, key, 20);
	assert_int_equal(xfrmnl_sa_get_crypto_params(x, NULL, NULL, NULL), -1);
	assert_int_equal(xfrmnl_sa_get_auth_params(x, NULL, NULL, NULL, NULL), -1);

	int ifindex = 0;
	uint8_t flags = 0;
	assert_int_equal(xfrmnl_sa_get_user_offload(x, &ifindex, &flags), 0);
	assert_int_equal(ifindex, 7);
	assert_int_equal(flags, XFRM_OFFLOAD_INBOUND);	/* never XFRM_OFFLOAD_IPV6 */

	struct xfrmnl_sel *sel = xfrmnl_sa_get_sel(x);
	assert_non_null(sel);
	assert_int_equal(xfrmnl_sel_get_prefixlen_s(sel), 16);
	assert_int_equal(xfrmnl_sel_get_prefixlen_d(sel), 16);
	assert_addr(xfrmnl_sel_get_saddr(sel), "10.2.0.0");

	struct xfrmnl_ltime_cfg *l = xfrmnl_sa_get_lifetime_cfg(x);
	assert_non_null(l);
	assert_true(xfrmnl_ltime_cfg_get_hard_bytelimit(l) == XFRM_INF);	/* 0: no limit */
	assert_true(xfrmnl_ltime_cfg_get_hard_packetlimit(l) == XFRM_INF);
	assert_int_equal(xfrmnl_ltime_cfg_get_hard_addexpires(l), 28800);
	assert_int_equal(xfrmnl_ltime_cfg_get_soft_addexpires(l), 27000);
	assert_int_equal(xfrmnl_sa_get_tfcpad(x), -1);
	xfrmnl_sa_put(x);
}

static void test_cbc_transport_ipv6_esn_encap(void **state)
{
	(void)state;
	struct kernel_sa sa = cbc_sa();
	struct xfrmnl_sa *x = build_and_parse(&sa, XFRM_MSG_UPDSA);
	assert_int_equal(xfrmnl_sa_get_family(x), AF_INET6);
	assert_addr(xfrmnl_sa_get_daddr(x), "2001:db8::2");
	assert_int_equal(xfrmnl_sa_get_mode(x), XFRM_MODE_TRANSPORT);
	assert_int_equal(xfrmnl_sa_get_flags(x) & XFRM_STATE_ESN, XFRM_STATE_ESN);
	assert_int_equal(xfrmnl_sa_get_replay_window(x), 0);	/* the ESN state carries it */

	unsigned oseq, seq, oseq_hi, seq_hi, window, bmp_len, bmp[128];
	assert_int_equal(xfrmnl_sa_get_replay_state_esn(x, &oseq, &seq, &oseq_hi, &seq_hi, &window, &bmp_len, bmp), 0);
	assert_int_equal(window, 128);
	assert_int_equal(bmp_len, 4);

	char name[64], k[64];
	unsigned key_bits, trunc_bits;
	assert_int_equal(xfrmnl_sa_get_crypto_params(x, name, &key_bits, k), 0);
	assert_string_equal(name, "cbc(aes)");
	assert_int_equal(key_bits, 128);
	assert_memory_equal(k, key, 16);
	assert_int_equal(xfrmnl_sa_get_auth_params(x, name, &key_bits, &trunc_bits, k), 0);
	assert_string_equal(name, "hmac(sha256)");
	assert_int_equal(key_bits, 256);
	assert_int_equal(trunc_bits, 128);
	assert_memory_equal(k, hkey, 32);
	assert_int_equal(xfrmnl_sa_get_aead_params(x, NULL, NULL, NULL, NULL), -1);

	unsigned type, sport, dport;
	struct nl_addr *oa = NULL;
	assert_int_equal(xfrmnl_sa_get_encap_tmpl(x, &type, &sport, &dport, &oa), 0);
	assert_int_equal(type, UDP_ENCAP_ESPINUDP);
	assert_int_equal(sport, 4500);
	assert_int_equal(dport, 4501);
	nl_addr_put(oa);
	assert_int_equal(xfrmnl_sa_get_tfcpad(x), 1500);
	assert_int_equal(xfrmnl_sa_get_user_offload(x, NULL, NULL), -1);	/* no offload asked */

	struct xfrmnl_ltime_cfg *l = xfrmnl_sa_get_lifetime_cfg(x);
	assert_int_equal(xfrmnl_ltime_cfg_get_soft_bytelimit(l), 1000000);
	assert_int_equal(xfrmnl_ltime_cfg_get_hard_bytelimit(l), 2000000);
	assert_int_equal(xfrmnl_ltime_cfg_get_soft_packetlimit(l), 3000);
	assert_int_equal(xfrmnl_ltime_cfg_get_hard_packetlimit(l), 8000);
	xfrmnl_sa_put(x);
}

static void test_integrity_truncations(void **state)
{
	(void)state;
	static const struct { enum integ_id id; const char *name; unsigned key, trunc; } cases[] = {
		{ INTEG_HMAC_SHA1_96, "hmac(sha1)", 20, 96 },
		{ INTEG_HMAC_SHA2_256_128, "hmac(sha256)", 32, 128 },
		{ INTEG_HMAC_SHA2_384_192, "hmac(sha384)", 48, 192 },
		{ INTEG_HMAC_SHA2_512_256, "hmac(sha512)", 64, 256 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kernel_sa sa = cbc_sa();
		sa.integ = cases[i].id;
		sa.integ_key_len = cases[i].key;
		struct xfrmnl_sa *x = build_and_parse(&sa, XFRM_MSG_NEWSA);
		char name[64];
		unsigned key_bits, trunc_bits;
		assert_int_equal(xfrmnl_sa_get_auth_params(x, name, &key_bits, &trunc_bits, NULL), 0);
		assert_string_equal(name, cases[i].name);
		assert_int_equal(key_bits, cases[i].key * 8);
		assert_int_equal(trunc_bits, cases[i].trunc);
		xfrmnl_sa_put(x);
	}
}

static void test_chacha20_and_gcm256(void **state)
{
	(void)state;
	struct kernel_sa sa = gcm_sa();
	sa.encr = ENCR_CHACHA20_POLY1305;
	sa.encr_key_len = 36;
	struct xfrmnl_sa *x = build_and_parse(&sa, XFRM_MSG_NEWSA);
	char name[64];
	unsigned key_bits, icv_bits;
	assert_int_equal(xfrmnl_sa_get_aead_params(x, name, &key_bits, &icv_bits, NULL), 0);
	assert_string_equal(name, "rfc7539esp(chacha20,poly1305)");
	assert_int_equal(key_bits, 288);
	assert_int_equal(icv_bits, 128);
	xfrmnl_sa_put(x);

	sa = gcm_sa();
	sa.encr_key_len = 36;	/* AES-GCM-256 */
	x = build_and_parse(&sa, XFRM_MSG_NEWSA);
	assert_int_equal(xfrmnl_sa_get_aead_params(x, name, &key_bits, &icv_bits, NULL), 0);
	assert_int_equal(key_bits, 288);
	xfrmnl_sa_put(x);
}

static void test_packet_offload_flags(void **state)
{
	(void)state;
	struct kernel_sa sa = gcm_sa();
	sa.offload = KERNEL_OFFLOAD_PACKET;
	sa.inbound = false;
	struct xfrmnl_sa *x = build_and_parse(&sa, XFRM_MSG_NEWSA);
	int ifindex;
	uint8_t flags;
	assert_int_equal(xfrmnl_sa_get_user_offload(x, &ifindex, &flags), 0);
	assert_int_equal(flags, XFRM_OFFLOAD_PACKET);
	xfrmnl_sa_put(x);
}

/* Our own reader, as get_sa and list_sas use it on the kernel's replies. */
static void test_entry_parse(void **state)
{
	(void)state;
	struct kernel_sa sa = gcm_sa();
	struct nl_msg *msg;
	struct kernel_err e;
	assert_int_equal(xfrm_sa_msg(&sa, XFRM_MSG_NEWSA, &msg, &e), 0);
	struct kernel_sa_entry entry;
	assert_int_equal(xfrm_sa_entry_parse(nlmsg_hdr(msg), &entry), 0);
	assert_true(address_eq(&entry.dst, &sa.dst));
	assert_true(address_eq(&entry.src, &sa.src));
	assert_int_equal(entry.spi, 0x9195dc7a);
	assert_int_equal(entry.proto, IPPROTO_ESP);
	assert_int_equal(entry.reqid, 0x4001);
	assert_true(entry.info.offloaded);
	assert_int_equal(entry.info.offload_ifindex, 7);
	assert_false(entry.info.offload_packet);
	xfrm_msg_free(msg);

	sa = cbc_sa();
	assert_int_equal(xfrm_sa_msg(&sa, XFRM_MSG_NEWSA, &msg, &e), 0);
	assert_int_equal(xfrm_sa_entry_parse(nlmsg_hdr(msg), &entry), 0);
	assert_false(entry.info.offloaded);
	assert_int_equal(entry.dst.family, AF_INET6);
	nlmsg_hdr(msg)->nlmsg_type = XFRM_MSG_DELPOLICY;
	assert_int_equal(xfrm_sa_entry_parse(nlmsg_hdr(msg), &entry), -EPROTO);
	xfrm_msg_free(msg);
}

/* The keys are in the message (where the kernel reads them), in one copy. */
static void test_keys_in_message_once(void **state)
{
	(void)state;
	struct kernel_sa sa = cbc_sa();
	struct nl_msg *msg;
	struct kernel_err e;
	assert_int_equal(xfrm_sa_msg(&sa, XFRM_MSG_NEWSA, &msg, &e), 0);
	const uint8_t *m = (const uint8_t *)nlmsg_hdr(msg);
	size_t len = nlmsg_hdr(msg)->nlmsg_len;
	const uint8_t *first = memmem(m, len, hkey, 32);
	assert_non_null(first);
	assert_null(memmem(first + 1, len - (size_t)(first + 1 - m), hkey, 32));
	xfrm_msg_free(msg);
}

static void test_refusals_before_the_kernel(void **state)
{
	(void)state;
	struct nl_msg *msg = (void *)1;
	struct kernel_err e;
	struct kernel_sa sa = gcm_sa();
	sa.encr_key_len = 16;	/* salt missing */
	assert_int_equal(xfrm_sa_msg(&sa, XFRM_MSG_NEWSA, &msg, &e), -EINVAL);
	assert_null(msg);
	assert_int_equal(e.errnum, EINVAL);
	assert_string_equal(e.extack, "wrong encryption key length for the algorithm");

	sa = gcm_sa();
	sa.integ = INTEG_HMAC_SHA1_96;
	sa.integ_key = hkey;
	sa.integ_key_len = 20;
	assert_int_equal(xfrm_sa_msg(&sa, XFRM_MSG_NEWSA, &msg, &e), -EINVAL);

	sa = gcm_sa();
	sa.dst = addr("2001:db8::1");
	assert_int_equal(xfrm_sa_msg(&sa, XFRM_MSG_NEWSA, &msg, &e), -EINVAL);

	sa = cbc_sa();
	sa.integ_key_len = 20;	/* SHA2-256 needs 32 */
	assert_int_equal(xfrm_sa_msg(&sa, XFRM_MSG_NEWSA, &msg, &e), -EINVAL);
	assert_string_equal(e.extack, "wrong integrity key length for the algorithm");

	sa = gcm_sa();
	sa.offload_ifindex = 0;
	assert_int_equal(xfrm_sa_msg(&sa, XFRM_MSG_NEWSA, &msg, &e), -EINVAL);

	sa = cbc_sa();
	sa.replay_window = 5000;
	assert_int_equal(xfrm_sa_msg(&sa, XFRM_MSG_NEWSA, &msg, &e), -EINVAL);
}

static void test_sa_id(void **state)
{
	(void)state;
	struct nl_msg *msg;
	struct kernel_err e;
	ip_address dst = addr("2001:db8::2");
	assert_int_equal(xfrm_sa_id_msg(XFRM_MSG_DELSA, &dst, 0xabcdef01, IPPROTO_ESP, &msg, &e), 0);
	struct xfrm_usersa_id id;
	memcpy(&id, nlmsg_data(nlmsg_hdr(msg)), sizeof(id));
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_type, XFRM_MSG_DELSA);
	assert_int_equal(id.family, AF_INET6);
	assert_int_equal(ntohl(id.spi), 0xabcdef01);
	assert_int_equal(id.proto, IPPROTO_ESP);
	assert_memory_equal(&id.daddr, dst.bytes, 16);
	nlmsg_free(msg);
	ip_address none = {0};
	assert_int_equal(xfrm_sa_id_msg(XFRM_MSG_GETSA, &none, 1, IPPROTO_ESP, &msg, &e), -EINVAL);
}

/* --- policies -------------------------------------------------------------------- */

static struct kernel_policy tunnel_policy(enum kernel_dir dir)
{
	struct kernel_policy p = {
		.src = net("10.1.0.0/16"), .dst = net("10.2.0.0/16"), .dir = dir,
		.mode = KERNEL_MODE_TUNNEL, .tmpl_src = addr("192.0.2.1"), .tmpl_dst = addr("192.0.2.2"),
		.proto = IPPROTO_ESP, .reqid = 0x4005, .priority = 1000,
		.offload = KERNEL_OFFLOAD_PACKET, .offload_ifindex = 9,
	};
	return p;
}

static void test_policy_add(void **state)
{
	(void)state;
	struct kernel_policy p = tunnel_policy(KERNEL_DIR_IN);
	struct nl_msg *msg;
	struct kernel_err e;
	assert_int_equal(xfrm_policy_msg(&p, XFRM_MSG_NEWPOLICY, &msg, &e), 0);
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct xfrm_userpolicy_info info;
	memcpy(&info, nlmsg_data(h), sizeof(info));
	assert_int_equal(h->nlmsg_type, XFRM_MSG_NEWPOLICY);
	assert_int_equal(info.dir, XFRM_POLICY_IN);
	assert_int_equal(info.priority, 1000);
	assert_int_equal(info.action, XFRM_POLICY_ALLOW);
	assert_int_equal(info.sel.family, AF_INET);
	assert_int_equal(info.sel.prefixlen_s, 16);
	assert_memory_equal(&info.sel.daddr, "\x0a\x02\x00\x00", 4);
	assert_true(info.lft.hard_byte_limit == XFRM_INF);
	/* no protoport: every protocol and port */
	assert_int_equal(info.sel.proto, 0);
	assert_int_equal(info.sel.sport_mask, 0);
	assert_int_equal(info.sel.dport_mask, 0);

	struct nlattr *t = nlmsg_find_attr(h, sizeof(info), XFRMA_TMPL);
	assert_non_null(t);
	assert_int_equal(nla_len(t), sizeof(struct xfrm_user_tmpl));
	struct xfrm_user_tmpl ut;
	memcpy(&ut, nla_data(t), sizeof(ut));
	assert_int_equal(ut.reqid, 0x4005);
	assert_int_equal(ut.mode, XFRM_MODE_TUNNEL);
	assert_int_equal(ut.id.proto, IPPROTO_ESP);
	assert_int_equal(ut.family, AF_INET);
	assert_memory_equal(&ut.saddr, "\xc0\x00\x02\x01", 4);
	assert_memory_equal(&ut.id.daddr, "\xc0\x00\x02\x02", 4);

	struct nlattr *o = nlmsg_find_attr(h, sizeof(info), XFRMA_OFFLOAD_DEV);
	assert_non_null(o);
	struct xfrm_user_offload uo;
	memcpy(&uo, nla_data(o), sizeof(uo));
	assert_int_equal(uo.ifindex, 9);
	/* the packet flag alone, even on an in policy: 6.12 refuses
	 * XFRM_OFFLOAD_INBOUND there ("Unrecognized flags in offload request") */
	assert_int_equal(uo.flags, XFRM_OFFLOAD_PACKET);

	uint32_t index = 0;
	uint8_t dir = 0;
	assert_true(xfrm_policy_in_reqid_range(h, 0x4000, 0x7fff, &index, &dir));
	assert_int_equal(dir, XFRM_POLICY_IN);
	assert_false(xfrm_policy_in_reqid_range(h, 0x4006, 0x7fff, &index, &dir));
	assert_false(xfrm_policy_in_reqid_range(h, 1, 0x4004, &index, &dir));
	nlmsg_free(msg);
}

/* leftprotoport=udp/1701, rightprotoport=udp/%any: the selector's
 * protocol, one port in network order with a full mask, the other any. */
static void test_policy_protoport(void **state)
{
	(void)state;
	struct kernel_policy p = tunnel_policy(KERNEL_DIR_OUT);
	p.src_pp = (struct protoport){ 17, 1701 };
	p.dst_pp = (struct protoport){ 17, 0 };
	struct nl_msg *msg;
	struct kernel_err e;
	assert_int_equal(xfrm_policy_msg(&p, XFRM_MSG_NEWPOLICY, &msg, &e), 0);
	struct xfrm_userpolicy_info info;
	memcpy(&info, nlmsg_data(nlmsg_hdr(msg)), sizeof(info));
	assert_int_equal(info.sel.proto, 17);
	assert_int_equal(info.sel.sport, htons(1701));
	assert_int_equal(info.sel.sport_mask, 0xffff);
	assert_int_equal(info.sel.dport, 0);
	assert_int_equal(info.sel.dport_mask, 0);
	nlmsg_free(msg);
}

static void test_policy_fwd_and_crypto_have_no_offload(void **state)
{
	(void)state;
	struct nl_msg *msg;
	struct kernel_err e;
	struct kernel_policy p = tunnel_policy(KERNEL_DIR_FWD);
	assert_int_equal(xfrm_policy_msg(&p, XFRM_MSG_NEWPOLICY, &msg, &e), 0);
	assert_null(nlmsg_find_attr(nlmsg_hdr(msg), sizeof(struct xfrm_userpolicy_info), XFRMA_OFFLOAD_DEV));
	nlmsg_free(msg);
	p = tunnel_policy(KERNEL_DIR_OUT);
	p.offload = KERNEL_OFFLOAD_CRYPTO;
	assert_int_equal(xfrm_policy_msg(&p, XFRM_MSG_NEWPOLICY, &msg, &e), 0);
	assert_null(nlmsg_find_attr(nlmsg_hdr(msg), sizeof(struct xfrm_userpolicy_info), XFRMA_OFFLOAD_DEV));
	nlmsg_free(msg);
}

/* A routed conn's trap and its tunnel's outbound policy replace each
 * other: the same policy in full, as XFRM_MSG_UPDPOLICY. */
static void test_policy_update(void **state)
{
	(void)state;
	struct kernel_policy p = tunnel_policy(KERNEL_DIR_OUT);
	p.offload = KERNEL_OFFLOAD_NONE;
	struct nl_msg *msg;
	struct kernel_err e;
	assert_int_equal(xfrm_policy_msg(&p, XFRM_MSG_UPDPOLICY, &msg, &e), 0);
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct xfrm_userpolicy_info info;
	memcpy(&info, nlmsg_data(h), sizeof(info));
	assert_int_equal(h->nlmsg_type, XFRM_MSG_UPDPOLICY);
	assert_int_equal(info.dir, XFRM_POLICY_OUT);
	assert_int_equal(info.priority, 1000);
	struct nlattr *t = nlmsg_find_attr(h, sizeof(info), XFRMA_TMPL);
	assert_non_null(t);
	struct xfrm_user_tmpl ut;
	memcpy(&ut, nla_data(t), sizeof(ut));
	assert_int_equal(ut.reqid, 0x4005);
	assert_int_equal(ut.mode, XFRM_MODE_TUNNEL);
	nlmsg_free(msg);
}

static void test_policy_delete(void **state)
{
	(void)state;
	struct kernel_policy p = tunnel_policy(KERNEL_DIR_OUT);
	p.src = net("2001:db8:1::/48");
	p.dst = net("2001:db8:2::/48");
	struct nl_msg *msg;
	struct kernel_err e;
	assert_int_equal(xfrm_policy_msg(&p, XFRM_MSG_DELPOLICY, &msg, &e), 0);
	struct xfrm_userpolicy_id id;
	memcpy(&id, nlmsg_data(nlmsg_hdr(msg)), sizeof(id));
	assert_int_equal(nlmsg_hdr(msg)->nlmsg_type, XFRM_MSG_DELPOLICY);
	assert_int_equal(id.dir, XFRM_POLICY_OUT);
	assert_int_equal(id.sel.family, AF_INET6);
	assert_int_equal(id.sel.prefixlen_d, 48);
	nlmsg_free(msg);

	assert_int_equal(xfrm_policy_index_del_msg(0x1234, XFRM_POLICY_FWD, &msg, &e), 0);
	memcpy(&id, nlmsg_data(nlmsg_hdr(msg)), sizeof(id));
	assert_int_equal(id.index, 0x1234);
	assert_int_equal(id.dir, XFRM_POLICY_FWD);
	nlmsg_free(msg);
}

/* --- events ------------------------------------------------------------------------ */

static void test_acquire_event(void **state)
{
	(void)state;
	struct nl_msg *msg = nlmsg_alloc_simple(XFRM_MSG_ACQUIRE, 0);
	struct xfrm_user_acquire ua;
	memset(&ua, 0, sizeof(ua));
	memcpy(&ua.id.daddr, "\xc0\x00\x02\x02", 4);
	memcpy(&ua.saddr, "\xc0\x00\x02\x01", 4);
	ua.id.proto = IPPROTO_ESP;
	ua.sel.family = AF_INET;
	memcpy(&ua.sel.saddr, "\x0a\x01\x00\x05", 4);
	memcpy(&ua.sel.daddr, "\x0a\x02\x00\x07", 4);
	ua.sel.prefixlen_s = ua.sel.prefixlen_d = 32;
	assert_int_equal(nlmsg_append(msg, &ua, sizeof(ua), NLMSG_ALIGNTO), 0);
	struct kernel_event ev;
	assert_int_equal(xfrm_event_parse(nlmsg_hdr(msg), &ev), 0);
	char b1[ADDRESS_STR_MAX], b2[ADDRESS_STR_MAX];
	assert_int_equal(ev.type, KERNEL_EV_ACQUIRE);
	assert_string_equal(address_str(&ev.src, b1), "192.0.2.1");
	assert_string_equal(address_str(&ev.dst, b2), "192.0.2.2");
	assert_string_equal(subnet_str(&ev.sel_src, b1), "10.1.0.5/32");
	assert_string_equal(subnet_str(&ev.sel_dst, b2), "10.2.0.7/32");
	assert_int_equal(ev.proto, IPPROTO_ESP);
	nlmsg_free(msg);
}

/* A selector prefix longer than its address makes no subnet: the acquire
 * is refused rather than handed on with prefixlen 33 or 200. */
static void test_acquire_prefix_too_long(void **state)
{
	(void)state;
	static const struct { int family; uint8_t s, d; } bad[] = {
		{ AF_INET, 33, 32 }, { AF_INET, 32, 255 }, { AF_INET6, 129, 128 }, { AF_INET6, 64, 200 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nl_msg *msg = nlmsg_alloc_simple(XFRM_MSG_ACQUIRE, 0);
		struct xfrm_user_acquire ua;
		memset(&ua, 0, sizeof(ua));
		ua.sel.family = (uint16_t)bad[i].family;
		ua.sel.prefixlen_s = bad[i].s;
		ua.sel.prefixlen_d = bad[i].d;
		assert_int_equal(nlmsg_append(msg, &ua, sizeof(ua), NLMSG_ALIGNTO), 0);
		struct kernel_event ev;
		assert_int_equal(xfrm_event_parse(nlmsg_hdr(msg), &ev), -EPROTO);
		ua.sel.prefixlen_s = ua.sel.prefixlen_d = bad[i].family == AF_INET ? 32 : 128;
		memcpy(nlmsg_data(nlmsg_hdr(msg)), &ua, sizeof(ua));
		assert_int_equal(xfrm_event_parse(nlmsg_hdr(msg), &ev), 0);
		nlmsg_free(msg);
	}
}

static void test_expire_event(void **state)
{
	(void)state;
	struct nl_msg *msg = nlmsg_alloc_simple(XFRM_MSG_EXPIRE, 0);
	struct xfrm_user_expire ue;
	memset(&ue, 0, sizeof(ue));
	ue.state.family = AF_INET6;
	memcpy(&ue.state.id.daddr, addr("2001:db8::2").bytes, 16);
	ue.state.id.spi = htonl(0x5555);
	ue.state.id.proto = IPPROTO_ESP;
	ue.hard = 1;
	assert_int_equal(nlmsg_append(msg, &ue, sizeof(ue), NLMSG_ALIGNTO), 0);
	struct kernel_event ev;
	assert_int_equal(xfrm_event_parse(nlmsg_hdr(msg), &ev), 0);
	assert_int_equal(ev.type, KERNEL_EV_EXPIRE_HARD);
	assert_int_equal(ev.spi, 0x5555);
	assert_true(address_eq(&ev.dst, &(ip_address){0}) == false);
	assert_int_equal(ev.expiry, KERNEL_EXPIRY_TIME);	/* no limit reached */
	nlmsg_free(msg);

	/* the limit its counters reached is the one it expired by */
	static const struct { uint8_t hard; uint64_t bytes, packets; enum kernel_expiry want; } cases[] = {
		{ 1, 5000, 10, KERNEL_EXPIRY_BYTES }, { 0, 2500, 10, KERNEL_EXPIRY_BYTES },
		{ 1, 100, 40, KERNEL_EXPIRY_PACKETS }, { 0, 100, 20, KERNEL_EXPIRY_PACKETS },
		{ 0, 100, 10, KERNEL_EXPIRY_TIME },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ue.hard = cases[i].hard;
		ue.state.lft = (struct xfrm_lifetime_cfg){ .soft_byte_limit = 2500, .hard_byte_limit = 5000,
							   .soft_packet_limit = 20, .hard_packet_limit = 40 };
		ue.state.curlft.bytes = cases[i].bytes;
		ue.state.curlft.packets = cases[i].packets;
		msg = nlmsg_alloc_simple(XFRM_MSG_EXPIRE, 0);
		assert_int_equal(nlmsg_append(msg, &ue, sizeof(ue), NLMSG_ALIGNTO), 0);
		assert_int_equal(xfrm_event_parse(nlmsg_hdr(msg), &ev), 0);
		assert_int_equal(ev.expiry, cases[i].want);
		nlmsg_free(msg);
	}
	msg = nlmsg_alloc_simple(XFRM_MSG_EXPIRE, 0);
	assert_int_equal(nlmsg_append(msg, &ue, sizeof(ue), NLMSG_ALIGNTO), 0);
	nlmsg_hdr(msg)->nlmsg_type = XFRM_MSG_NEWAE;
	assert_int_equal(xfrm_event_parse(nlmsg_hdr(msg), &ev), -EPROTO);
	nlmsg_hdr(msg)->nlmsg_type = XFRM_MSG_EXPIRE;
	nlmsg_hdr(msg)->nlmsg_len = NLMSG_HDRLEN + 8;	/* cut short */
	assert_int_equal(xfrm_event_parse(nlmsg_hdr(msg), &ev), -EPROTO);
	nlmsg_free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcm_tunnel_offloaded),
		cmocka_unit_test(test_cbc_transport_ipv6_esn_encap),
		cmocka_unit_test(test_integrity_truncations),
		cmocka_unit_test(test_chacha20_and_gcm256),
		cmocka_unit_test(test_packet_offload_flags),
		cmocka_unit_test(test_entry_parse),
		cmocka_unit_test(test_keys_in_message_once),
		cmocka_unit_test(test_refusals_before_the_kernel),
		cmocka_unit_test(test_sa_id),
		cmocka_unit_test(test_policy_add),
		cmocka_unit_test(test_policy_protoport),
		cmocka_unit_test(test_policy_fwd_and_crypto_have_no_offload),
		cmocka_unit_test(test_policy_update),
		cmocka_unit_test(test_policy_delete),
		cmocka_unit_test(test_acquire_event),
		cmocka_unit_test(test_acquire_prefix_too_long),
		cmocka_unit_test(test_expire_event),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
