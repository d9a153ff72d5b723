/* kernel_xfrm_msg.c: XFRM netlink messages for SAs, policies and dumps, and
 * reading back what the kernel sends (SAs, policies, acquire and expire).
 *
 * libnl-xfrm-3 builds the fixed part of each request; the algorithm
 * attributes, which carry keys, are appended here straight into the message
 * so that the only copy of a key is the message buffer, which
 * xfrm_msg_free wipes. Received messages are read with memcpy: entries of a
 * dump are only 4-byte aligned, and xfrm structs hold 64-bit counters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <netlink/attr.h>
#include <netlink/xfrm/lifetime.h>
#include <netlink/xfrm/sa.h>
#include <netlink/xfrm/selector.h>
#include <netlink/xfrm/sp.h>
#include <netlink/xfrm/template.h>
#include "kernel_xfrm_msg.h"
#include "netlink_extack.h"

/* The kernel keeps at most this many replay bitmap words
 * (XFRMA_REPLAY_ESN_MAX / 32 bits). */
#define REPLAY_BMP_MAX_WORDS 128u
/* The legacy (non-ESN) replay state is one 32-bit bitmap. */
#define REPLAY_LEGACY_MAX 32u

static int nomem(struct kernel_err *e)
{
	return kernel_err_set(e, ENOMEM, "out of memory building a netlink message");
}

static size_t family_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* An address for libnl; an unset one becomes the zero address of family
 * (libnl copies from every address it is given, used or not). */
static struct nl_addr *nl_addr_of(const ip_address *a, int family)
{
	static const uint8_t zero[16];
	if (a != NULL && a->family != 0)
		return nl_addr_build(a->family, a->bytes, family_len(a->family));
	return nl_addr_build(family, zero, family_len(family));
}

static struct nl_addr *nl_prefix_of(const ip_subnet *s, int family)
{
	struct nl_addr *a = nl_addr_of(&s->addr, family);
	if (a != NULL)
		nl_addr_set_prefixlen(a, (int)s->prefixlen);
	return a;
}

/* A port of a selector: 0 is every port (mask 0). */
static void selector_ports(struct xfrmnl_sel *sel, const struct protoport *src, const struct protoport *dst)
{
	xfrmnl_sel_set_proto(sel, src->proto);
	xfrmnl_sel_set_sport(sel, src->port);
	xfrmnl_sel_set_sportmask(sel, src->port != 0 ? 0xffff : 0);
	xfrmnl_sel_set_dport(sel, dst->port);
	xfrmnl_sel_set_dportmask(sel, dst->port != 0 ? 0xffff : 0);
}

/* A selector from two subnets and their protocol and ports; unset
 * subnets and zero protoports give the empty selector of family
 * (matches anything). */
static struct xfrmnl_sel *selector_of(const ip_subnet *src, const ip_subnet *dst,
				      const struct protoport *src_pp, const struct protoport *dst_pp, int family)
{
	struct xfrmnl_sel *sel = xfrmnl_sel_alloc();
	struct nl_addr *s = nl_prefix_of(src, family);
	struct nl_addr *d = nl_prefix_of(dst, family);
	if (sel == NULL || s == NULL || d == NULL) {
		if (sel != NULL)
			xfrmnl_sel_put(sel);
		sel = NULL;
	} else {
		xfrmnl_sel_set_family(sel, (unsigned)family);
		xfrmnl_sel_set_saddr(sel, s);
		xfrmnl_sel_set_daddr(sel, d);
		xfrmnl_sel_set_prefixlen_s(sel, src->addr.family != 0 ? src->prefixlen : 0);
		xfrmnl_sel_set_prefixlen_d(sel, dst->addr.family != 0 ? dst->prefixlen : 0);
		selector_ports(sel, src_pp, dst_pp);
	}
	if (s != NULL)
		nl_addr_put(s);
	if (d != NULL)
		nl_addr_put(d);
	return sel;
}

/* 0 in kernel.h means "no limit"; to the kernel a byte or packet limit of
 * 0 means "expire at once", so it gets XFRM_INF. */
static unsigned long long limit_or_inf(uint64_t v)
{
	return v == 0 ? XFRM_INF : v;
}

static struct xfrmnl_ltime_cfg *lifetime_of(const struct kernel_sa *sa)
{
	struct xfrmnl_ltime_cfg *l = xfrmnl_ltime_cfg_alloc();
	if (l == NULL)
		return NULL;
	xfrmnl_ltime_cfg_set_soft_bytelimit(l, limit_or_inf(sa->soft_bytes));
	xfrmnl_ltime_cfg_set_hard_bytelimit(l, limit_or_inf(sa->hard_bytes));
	xfrmnl_ltime_cfg_set_soft_packetlimit(l, limit_or_inf(sa->soft_packets));
	xfrmnl_ltime_cfg_set_hard_packetlimit(l, limit_or_inf(sa->hard_packets));
	xfrmnl_ltime_cfg_set_soft_addexpires(l, sa->soft_seconds);
	xfrmnl_ltime_cfg_set_hard_addexpires(l, sa->hard_seconds);
	return l;
}

void xfrm_msg_free(struct nl_msg *msg)
{
	if (msg == NULL)
		return;
	explicit_bzero(nlmsg_hdr(msg), nlmsg_get_max_size(msg));
	nlmsg_free(msg);
}

/* --- SAs ------------------------------------------------------------------ */

/* What can be refused before asking the kernel, with our reason; the
 * kernel would say only EINVAL. */
static int check_sa(const struct kernel_sa *sa, struct kernel_err *e)
{
	if (sa->src.family == 0 || sa->src.family != sa->dst.family)
		return kernel_err_set(e, EINVAL, "SA source and destination must be addresses of one family");
	if (sa->proto != IPPROTO_ESP && sa->proto != IPPROTO_AH)
		return kernel_err_set(e, EPROTONOSUPPORT, "only ESP and AH SAs are supported");
	if (sa->proto == IPPROTO_AH && (sa->encr != ENCR_NONE || sa->integ == INTEG_NONE))
		return kernel_err_set(e, EINVAL, "an AH SA takes integrity and no encryption");
	if (sa->proto == IPPROTO_ESP && sa->encr == ENCR_NONE)
		return kernel_err_set(e, EINVAL, "an ESP SA needs an encryption algorithm");
	if (encr_is_aead(sa->encr) && sa->integ != INTEG_NONE)
		return kernel_err_set(e, EINVAL, "an AEAD algorithm takes no separate integrity algorithm");
	if (sa->encr != ENCR_NONE) {
		size_t salt = encr_salt_bytes(sa->encr);
		if (encr_kernel_name(sa->encr) == NULL)
			return kernel_err_set(e, EINVAL, "no kernel algorithm for this encryption");
		if (sa->encr_key == NULL || sa->encr_key_len <= salt ||
		    !encr_keylen_ok(sa->encr, (unsigned)(sa->encr_key_len - salt) * 8))
			return kernel_err_set(e, EINVAL, "wrong encryption key length for the algorithm");
	}
	if (sa->integ != INTEG_NONE) {
		if (integ_kernel_name(sa->integ) == NULL)
			return kernel_err_set(e, EINVAL, "no kernel algorithm for this integrity");
		if (sa->integ_key == NULL || sa->integ_key_len != integ_key_bytes(sa->integ))
			return kernel_err_set(e, EINVAL, "wrong integrity key length for the algorithm");
	}
	if (sa->offload != KERNEL_OFFLOAD_NONE && sa->offload_ifindex <= 0)
		return kernel_err_set(e, EINVAL, "offload asked without a device");
	return 0;
}

/* Replay protection: ESN, or a window wider than the legacy 32-bit bitmap,
 * needs XFRMA_REPLAY_ESN_VAL (and then the header's window must be 0). The
 * kernel refuses ESN with a zero window, so an ESN SA gets at least 32. */
static int set_replay(struct xfrmnl_sa *x, const struct kernel_sa *sa, struct kernel_err *e)
{
	uint32_t window = sa->replay_window;
	if (sa->esn && window == 0)
		window = REPLAY_LEGACY_MAX;
	if (!sa->esn && window <= REPLAY_LEGACY_MAX) {
		xfrmnl_sa_set_replay_window(x, window);
		return 0;
	}
	uint32_t words = (window + 31) / 32;
	if (words > REPLAY_BMP_MAX_WORDS)
		return kernel_err_set(e, EINVAL, "replay window larger than the kernel's 4096 packets");
	unsigned bmp[REPLAY_BMP_MAX_WORDS] = {0};
	if (xfrmnl_sa_set_replay_state_esn(x, 0, 0, 0, 0, window, words, bmp) < 0)
		return nomem(e);
	return 0;
}

static unsigned offload_flags(enum kernel_offload o, bool inbound)
{
	unsigned flags = 0;
	if (inbound)
		flags |= XFRM_OFFLOAD_INBOUND;
	if (o == KERNEL_OFFLOAD_PACKET)
		flags |= XFRM_OFFLOAD_PACKET;
	return flags;
}

/* Everything but the keys, into libnl's SA object. */
static int describe_sa(struct xfrmnl_sa *x, const struct kernel_sa *sa, struct kernel_err *e)
{
	int family = sa->src.family;
	int r = 0;
	struct nl_addr *src = nl_addr_of(&sa->src, family);
	struct nl_addr *dst = nl_addr_of(&sa->dst, family);
	int sel_family = sa->src_sel.addr.family != 0 ? sa->src_sel.addr.family : family;
	struct xfrmnl_sel *sel = selector_of(&sa->src_sel, &sa->dst_sel, &sa->src_pp, &sa->dst_pp, sel_family);
	struct xfrmnl_ltime_cfg *lft = lifetime_of(sa);
	if (src == NULL || dst == NULL || sel == NULL || lft == NULL) {
		r = nomem(e);
		goto out;
	}
	xfrmnl_sa_set_family(x, (unsigned)family);
	xfrmnl_sa_set_saddr(x, src);
	xfrmnl_sa_set_daddr(x, dst);
	xfrmnl_sa_set_spi(x, sa->spi);
	xfrmnl_sa_set_proto(x, sa->proto);
	xfrmnl_sa_set_mode(x, sa->mode == KERNEL_MODE_TUNNEL ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT);
	xfrmnl_sa_set_reqid(x, sa->reqid);
	xfrmnl_sa_set_flags(x, sa->esn ? XFRM_STATE_ESN : 0);
	if (sa->src_sel.addr.family != 0 || sa->dst_sel.addr.family != 0)
		xfrmnl_sa_set_sel(x, sel);
	xfrmnl_sa_set_lifetime_cfg(x, lft);
	r = set_replay(x, sa, e);
	if (r == 0 && sa->tfc_pad > 0)
		xfrmnl_sa_set_tfcpad(x, sa->tfc_pad);
	if (r == 0 && sa->offload != KERNEL_OFFLOAD_NONE &&
	    xfrmnl_sa_set_user_offload(x, sa->offload_ifindex, (uint8_t)offload_flags(sa->offload, sa->inbound)) < 0)
		r = nomem(e);
out:
	if (src != NULL)
		nl_addr_put(src);
	if (dst != NULL)
		nl_addr_put(dst);
	if (sel != NULL)
		xfrmnl_sel_put(sel);
	if (lft != NULL)
		xfrmnl_ltime_cfg_put(lft);
	return r;
}

static void copy_alg_name(char name[64], const char *s)
{
	memset(name, 0, 64);
	strncpy(name, s, 63);
}

static int put_aead(struct nl_msg *msg, const struct kernel_sa *sa)
{
	struct nlattr *a = nla_reserve(msg, XFRMA_ALG_AEAD, (int)(sizeof(struct xfrm_algo_aead) + sa->encr_key_len));
	if (a == NULL)
		return -EMSGSIZE;
	struct xfrm_algo_aead *alg = nla_data(a);
	copy_alg_name(alg->alg_name, encr_kernel_name(sa->encr));
	alg->alg_key_len = (unsigned)sa->encr_key_len * 8;
	alg->alg_icv_len = encr_icv_bits(sa->encr);
	memcpy(alg->alg_key, sa->encr_key, sa->encr_key_len);
	return 0;
}

static int put_crypt(struct nl_msg *msg, const struct kernel_sa *sa)
{
	struct nlattr *a = nla_reserve(msg, XFRMA_ALG_CRYPT, (int)(sizeof(struct xfrm_algo) + sa->encr_key_len));
	if (a == NULL)
		return -EMSGSIZE;
	struct xfrm_algo *alg = nla_data(a);
	copy_alg_name(alg->alg_name, encr_kernel_name(sa->encr));
	alg->alg_key_len = (unsigned)sa->encr_key_len * 8;
	memcpy(alg->alg_key, sa->encr_key, sa->encr_key_len);
	return 0;
}

/* XFRMA_ALG_AUTH_TRUNC: the truncation is part of the algorithm (96 bits
 * for SHA1, half the hash for SHA2, RFC 4868). */
static int put_auth(struct nl_msg *msg, const struct kernel_sa *sa)
{
	struct nlattr *a = nla_reserve(msg, XFRMA_ALG_AUTH_TRUNC, (int)(sizeof(struct xfrm_algo_auth) + sa->integ_key_len));
	if (a == NULL)
		return -EMSGSIZE;
	struct xfrm_algo_auth *alg = nla_data(a);
	copy_alg_name(alg->alg_name, integ_kernel_name(sa->integ));
	alg->alg_key_len = (unsigned)sa->integ_key_len * 8;
	alg->alg_trunc_len = integ_icv_bits(sa->integ);
	memcpy(alg->alg_key, sa->integ_key, sa->integ_key_len);
	return 0;
}

/* Written here rather than through xfrmnl_sa_set_encap_tmpl, which in
 * some libnl 3 releases dereferences an encap it has not allocated. */
static int put_encap(struct nl_msg *msg, const struct kernel_sa *sa)
{
	struct xfrm_encap_tmpl t;
	memset(&t, 0, sizeof(t));
	t.encap_type = UDP_ENCAP_ESPINUDP;
	t.encap_sport = htons(sa->encap_sport);
	t.encap_dport = htons(sa->encap_dport);
	return nla_put(msg, XFRMA_ENCAP, sizeof(t), &t) < 0 ? -EMSGSIZE : 0;
}

static int put_encap_and_keys(struct nl_msg *msg, const struct kernel_sa *sa, struct kernel_err *e)
{
	int r = 0;
	if (sa->encap)
		r = put_encap(msg, sa);
	if (r != 0)
		return kernel_err_set(e, -r, "netlink message too small for the encapsulation");
	if (encr_is_aead(sa->encr))
		r = put_aead(msg, sa);
	else if (sa->encr != ENCR_NONE)
		r = put_crypt(msg, sa);
	if (r == 0 && sa->integ != INTEG_NONE)
		r = put_auth(msg, sa);
	if (r != 0)
		return kernel_err_set(e, -r, "netlink message too small for the keys");
	return 0;
}

int xfrm_sa_msg(const struct kernel_sa *sa, int cmd, struct nl_msg **out, struct kernel_err *e)
{
	*out = NULL;
	int r = check_sa(sa, e);
	if (r != 0)
		return r;
	struct xfrmnl_sa *x = xfrmnl_sa_alloc();
	if (x == NULL)
		return nomem(e);
	struct nl_msg *msg = NULL;
	r = describe_sa(x, sa, e);
	if (r == 0) {
		int nr = cmd == XFRM_MSG_UPDSA ? xfrmnl_sa_build_update_request(x, 0, &msg)
					       : xfrmnl_sa_build_add_request(x, 0, &msg);
		if (nr < 0)
			r = nomem(e);
	}
	xfrmnl_sa_put(x);
	if (r == 0)
		r = put_encap_and_keys(msg, sa, e);
	if (r != 0) {
		xfrm_msg_free(msg);
		return r;
	}
	*out = msg;
	return 0;
}

int xfrm_sa_id_msg(int cmd, const ip_address *dst, uint32_t spi, uint8_t proto,
		   struct nl_msg **out, struct kernel_err *e)
{
	*out = NULL;
	if (dst->family != AF_INET && dst->family != AF_INET6)
		return kernel_err_set(e, EINVAL, "SA destination is not an address");
	struct xfrm_usersa_id id;
	memset(&id, 0, sizeof(id));
	memcpy(&id.daddr, dst->bytes, family_len(dst->family));
	id.family = (uint16_t)dst->family;
	id.spi = htonl(spi);
	id.proto = proto;
	struct nl_msg *msg = nlmsg_alloc_simple(cmd, 0);
	if (msg == NULL || nlmsg_append(msg, &id, sizeof(id), NLMSG_ALIGNTO) < 0) {
		if (msg != NULL)
			nlmsg_free(msg);
		return nomem(e);
	}
	*out = msg;
	return 0;
}

int xfrm_dump_msg(int cmd, struct nl_msg **out, struct kernel_err *e)
{
	*out = nlmsg_alloc_simple(cmd, NLM_F_DUMP);
	return *out == NULL ? nomem(e) : 0;
}

/* --- policies ------------------------------------------------------------- */

static uint8_t xfrm_dir(enum kernel_dir d)
{
	switch (d) {
	case KERNEL_DIR_IN: return XFRM_POLICY_IN;
	case KERNEL_DIR_OUT: return XFRM_POLICY_OUT;
	case KERNEL_DIR_FWD: return XFRM_POLICY_FWD;
	}
	return XFRM_POLICY_OUT;
}

/* The template: which SA (by reqid, protocol, mode and tunnel endpoints)
 * the traffic must go through. Any algorithm is allowed: the SA decides. */
static struct xfrmnl_user_tmpl *template_of(const struct kernel_policy *p, int sel_family)
{
	bool tunnel = p->mode == KERNEL_MODE_TUNNEL;
	int family = tunnel && p->tmpl_dst.family != 0 ? p->tmpl_dst.family : sel_family;
	struct xfrmnl_user_tmpl *t = xfrmnl_user_tmpl_alloc();
	struct nl_addr *s = nl_addr_of(tunnel ? &p->tmpl_src : NULL, family);
	struct nl_addr *d = nl_addr_of(tunnel ? &p->tmpl_dst : NULL, family);
	if (t != NULL && s != NULL && d != NULL) {
		xfrmnl_user_tmpl_set_family(t, (unsigned)family);
		xfrmnl_user_tmpl_set_saddr(t, s);
		xfrmnl_user_tmpl_set_daddr(t, d);
		xfrmnl_user_tmpl_set_proto(t, p->proto);
		xfrmnl_user_tmpl_set_reqid(t, p->reqid);
		xfrmnl_user_tmpl_set_mode(t, tunnel ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT);
		xfrmnl_user_tmpl_set_aalgos(t, ~0u);
		xfrmnl_user_tmpl_set_ealgos(t, ~0u);
		xfrmnl_user_tmpl_set_calgos(t, ~0u);
	} else if (t != NULL) {
		xfrmnl_user_tmpl_free(t);
		t = NULL;
	}
	if (s != NULL)
		nl_addr_put(s);
	if (d != NULL)
		nl_addr_put(d);
	return t;
}

/* Packet offload also offloads the policy; fwd policies stay in software.
 * A policy's offload carries XFRM_OFFLOAD_PACKET alone: the policy's own
 * direction says in or out, and the kernel refuses any other flag
 * (XFRM_OFFLOAD_INBOUND too) with "Unrecognized flags in offload request",
 * as 6.12 showed (docs/kernels.md). */
static int put_policy_offload(struct nl_msg *msg, const struct kernel_policy *p)
{
	if (p->offload != KERNEL_OFFLOAD_PACKET || p->dir == KERNEL_DIR_FWD)
		return 0;
	struct xfrm_user_offload o;
	memset(&o, 0, sizeof(o));
	o.ifindex = p->offload_ifindex;
	o.flags = XFRM_OFFLOAD_PACKET;
	return nla_put(msg, XFRMA_OFFLOAD_DEV, sizeof(o), &o) < 0 ? -EMSGSIZE : 0;
}

static int describe_policy(struct xfrmnl_sp *sp, const struct kernel_policy *p, bool full,
			   struct kernel_err *e)
{
	int family = p->src.addr.family != 0 ? p->src.addr.family : p->dst.addr.family;
	if (family == 0)
		return kernel_err_set(e, EINVAL, "policy selector has no address family");
	struct xfrmnl_sel *sel = selector_of(&p->src, &p->dst, &p->src_pp, &p->dst_pp, family);
	if (sel == NULL)
		return nomem(e);
	xfrmnl_sp_set_sel(sp, sel);
	xfrmnl_sel_put(sel);
	xfrmnl_sp_set_dir(sp, xfrm_dir(p->dir));
	if (!full)
		return 0;
	static const struct kernel_sa no_limits;
	struct xfrmnl_ltime_cfg *lft = lifetime_of(&no_limits);
	struct xfrmnl_user_tmpl *t = template_of(p, family);
	if (lft == NULL || t == NULL) {
		if (lft != NULL)
			xfrmnl_ltime_cfg_put(lft);
		if (t != NULL)
			xfrmnl_user_tmpl_free(t);
		return nomem(e);
	}
	xfrmnl_sp_set_lifetime_cfg(sp, lft);
	xfrmnl_ltime_cfg_put(lft);
	xfrmnl_sp_set_priority(sp, p->priority);
	xfrmnl_sp_set_action(sp, XFRM_POLICY_ALLOW);
	xfrmnl_sp_add_usertemplate(sp, t);	/* sp owns it now */
	return 0;
}

int xfrm_policy_msg(const struct kernel_policy *p, int cmd, struct nl_msg **out, struct kernel_err *e)
{
	*out = NULL;
	bool del = cmd == XFRM_MSG_DELPOLICY;
	struct xfrmnl_sp *sp = xfrmnl_sp_alloc();
	if (sp == NULL)
		return nomem(e);
	struct nl_msg *msg = NULL;
	int r = describe_policy(sp, p, !del, e);
	if (r == 0) {
		int nr = del ? xfrmnl_sp_build_delete_request(sp, 0, &msg)
		       : cmd == XFRM_MSG_UPDPOLICY ? xfrmnl_sp_build_update_request(sp, 0, &msg)
		       : xfrmnl_sp_build_add_request(sp, 0, &msg);
		if (nr < 0)
			r = nomem(e);
	}
	xfrmnl_sp_put(sp);
	if (r == 0 && !del && put_policy_offload(msg, p) != 0)
		r = kernel_err_set(e, EMSGSIZE, "netlink message too small for the policy");
	if (r != 0) {
		if (msg != NULL)
			nlmsg_free(msg);
		return r;
	}
	*out = msg;
	return 0;
}

int xfrm_policy_index_del_msg(uint32_t index, uint8_t dir, struct nl_msg **out, struct kernel_err *e)
{
	struct xfrm_userpolicy_id id;
	memset(&id, 0, sizeof(id));
	id.index = index;
	id.dir = dir;
	*out = nlmsg_alloc_simple(XFRM_MSG_DELPOLICY, 0);
	if (*out == NULL || nlmsg_append(*out, &id, sizeof(id), NLMSG_ALIGNTO) < 0) {
		if (*out != NULL)
			nlmsg_free(*out);
		*out = NULL;
		return nomem(e);
	}
	return 0;
}

/* --- reading what the kernel sends ---------------------------------------- */

static void address_from_xfrm(int family, const xfrm_address_t *x, ip_address *a)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET || family == AF_INET6) {
		a->family = family;
		memcpy(a->bytes, x, family_len(family));
	}
}

/* false for a prefix longer than the address: no ip_subnet may hold one
 * (subnet_contains would read past the address). */
static bool subnet_from_xfrm(int family, const xfrm_address_t *x, unsigned prefixlen, ip_subnet *s)
{
	address_from_xfrm(family, x, &s->addr);
	s->prefixlen = s->addr.family != 0 ? prefixlen : 0;
	return s->prefixlen <= address_bits(&s->addr);
}

/* The attribute of type in a message whose fixed part is hdrlen bytes. */
static const struct nlattr *find_attr(const struct nlmsghdr *h, size_t hdrlen, int type)
{
	return nlmsg_find_attr((struct nlmsghdr *)h, (int)hdrlen, type);
}

int xfrm_sa_entry_parse(const struct nlmsghdr *h, struct kernel_sa_entry *entry)
{
	struct xfrm_usersa_info p;
	memset(entry, 0, sizeof(*entry));
	if (h->nlmsg_type != XFRM_MSG_NEWSA && h->nlmsg_type != XFRM_MSG_UPDSA)
		return -EPROTO;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(p)))
		return -EPROTO;
	memcpy(&p, NLMSG_DATA(h), sizeof(p));
	address_from_xfrm(p.family, &p.saddr, &entry->src);
	address_from_xfrm(p.family, &p.id.daddr, &entry->dst);
	entry->spi = ntohl(p.id.spi);
	entry->proto = p.id.proto;
	entry->reqid = p.reqid;
	entry->info.bytes = p.curlft.bytes;
	entry->info.packets = p.curlft.packets;
	entry->info.add_time = p.curlft.add_time;
	const struct nlattr *a = find_attr(h, sizeof(p), XFRMA_OFFLOAD_DEV);
	if (a != NULL && nla_len(a) >= (int)sizeof(struct xfrm_user_offload)) {
		struct xfrm_user_offload o;
		memcpy(&o, nla_data(a), sizeof(o));
		entry->info.offloaded = true;
		entry->info.offload_ifindex = o.ifindex;
		entry->info.offload_packet = (o.flags & XFRM_OFFLOAD_PACKET) != 0;
	}
	return 0;
}

bool xfrm_policy_in_reqid_range(const struct nlmsghdr *h, uint32_t lo, uint32_t hi,
				uint32_t *index, uint8_t *dir)
{
	struct xfrm_userpolicy_info p;
	if (h->nlmsg_type != XFRM_MSG_NEWPOLICY || h->nlmsg_len < NLMSG_LENGTH(sizeof(p)))
		return false;
	memcpy(&p, NLMSG_DATA(h), sizeof(p));
	if (p.dir >= XFRM_POLICY_MAX)	/* a socket policy: not ours to remove */
		return false;
	const struct nlattr *a = find_attr(h, sizeof(p), XFRMA_TMPL);
	if (a == NULL)
		return false;
	const uint8_t *t = nla_data(a);
	size_t n = (size_t)nla_len(a) / sizeof(struct xfrm_user_tmpl);
	for (size_t i = 0; i < n; i++) {
		struct xfrm_user_tmpl ut;
		memcpy(&ut, t + i * sizeof(ut), sizeof(ut));
		if (ut.reqid >= lo && ut.reqid <= hi) {
			*index = p.index;
			*dir = p.dir;
			return true;
		}
	}
	return false;
}

/* The outer family of an acquire: its first template's (a tunnel may
 * carry IPv6 inside IPv4), else the selector's. */
static int acquire_family(const struct nlmsghdr *h, const struct xfrm_user_acquire *ua)
{
	const struct nlattr *a = find_attr(h, sizeof(*ua), XFRMA_TMPL);
	if (a != NULL && nla_len(a) >= (int)sizeof(struct xfrm_user_tmpl)) {
		struct xfrm_user_tmpl ut;
		memcpy(&ut, nla_data(a), sizeof(ut));
		if (ut.family != 0)
			return ut.family;
	}
	return ua->sel.family;
}

/* The kernel says an SA expired, not which limit it reached: the one its
 * counters have reached is it, else its time ran out. */
static enum kernel_expiry expiry_of(const struct xfrm_user_expire *ue)
{
	const struct xfrm_lifetime_cfg *l = &ue->state.lft;
	const struct xfrm_lifetime_cur *cur = &ue->state.curlft;
	uint64_t bytes = ue->hard ? l->hard_byte_limit : l->soft_byte_limit;
	uint64_t packets = ue->hard ? l->hard_packet_limit : l->soft_packet_limit;
	if (bytes != XFRM_INF && bytes != 0 && cur->bytes >= bytes)
		return KERNEL_EXPIRY_BYTES;
	if (packets != XFRM_INF && packets != 0 && cur->packets >= packets)
		return KERNEL_EXPIRY_PACKETS;
	return KERNEL_EXPIRY_TIME;
}

int xfrm_event_parse(const struct nlmsghdr *h, struct kernel_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (h->nlmsg_type == XFRM_MSG_ACQUIRE && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct xfrm_user_acquire))) {
		struct xfrm_user_acquire ua;
		memcpy(&ua, NLMSG_DATA(h), sizeof(ua));
		int family = acquire_family(h, &ua);
		ev->type = KERNEL_EV_ACQUIRE;
		address_from_xfrm(family, &ua.saddr, &ev->src);
		address_from_xfrm(family, &ua.id.daddr, &ev->dst);
		ev->proto = ua.id.proto;
		if (!subnet_from_xfrm(ua.sel.family, &ua.sel.saddr, ua.sel.prefixlen_s, &ev->sel_src) ||
		    !subnet_from_xfrm(ua.sel.family, &ua.sel.daddr, ua.sel.prefixlen_d, &ev->sel_dst)) {
			memset(ev, 0, sizeof(*ev));
			return -EPROTO;
		}
		return 0;
	}
	if (h->nlmsg_type == XFRM_MSG_EXPIRE && h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct xfrm_user_expire))) {
		struct xfrm_user_expire ue;
		memcpy(&ue, NLMSG_DATA(h), sizeof(ue));
		ev->type = ue.hard ? KERNEL_EV_EXPIRE_HARD : KERNEL_EV_EXPIRE_SOFT;
		address_from_xfrm(ue.state.family, &ue.state.saddr, &ev->src);
		address_from_xfrm(ue.state.family, &ue.state.id.daddr, &ev->dst);
		ev->spi = ntohl(ue.state.id.spi);
		ev->proto = ue.state.id.proto;
		ev->expiry = expiry_of(&ue);
		return 0;
	}
	return -EPROTO;
}
