/* child_sa.c: keys from KEYMAT into two kernel SAs and their policies. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "child_sa.h"
#include "kernel.h"
#include "lifetime.h"
#include "offload_balance.h"
#include "secmem.h"
#include "updown.h"

#define POLICY_PRIORITY 1000

static size_t encr_bytes(const struct alg_proposal *a)
{
	return a->encr_keylen / 8 + encr_salt_bytes(a->encr);
}

/* One direction's SA; keys point into KEYMAT. */
static void make_sa(const struct ike_sa *ike, const struct child_sa *ch, bool inbound,
		    const uint8_t *ekey, const uint8_t *akey, const struct connection *c,
		    struct kernel_sa *sa)
{
	const struct ends *e = &ike->ends;
	*sa = (struct kernel_sa){
		.src = inbound ? e->remote : e->local,
		.dst = inbound ? e->local : e->remote,
		.spi = inbound ? ch->spi_in : ch->spi_out,
		.proto = IPPROTO_ESP,
		.mode = ch->transport ? KERNEL_MODE_TRANSPORT : KERNEL_MODE_TUNNEL,
		.reqid = ch->reqid,
		.src_sel = inbound ? ch->remote_net : ch->local_net,
		.dst_sel = inbound ? ch->local_net : ch->remote_net,
		.src_pp = inbound ? ch->remote_pp : ch->local_pp,
		.dst_pp = inbound ? ch->local_pp : ch->remote_pp,
		.inbound = inbound,
		.encr = ch->alg.encr, .encr_key = ekey, .encr_key_len = encr_bytes(&ch->alg),
		.integ = ch->alg.integ, .integ_key = akey, .integ_key_len = integ_key_bytes(ch->alg.integ),
		.esn = ch->esn,
		.replay_window = c->config->replay_window,
		.hard_seconds = c->config->salifetime,
		.soft_seconds = ch->soft_seconds,
		.hard_bytes = c->config->ipsec_max_bytes,
		.soft_bytes = ch->soft_bytes,
		.hard_packets = c->config->ipsec_max_packets,
		.soft_packets = ch->soft_packets,
		.tfc_pad = c->config->tfc,
		/* NAT-T (natt.h): ESP in UDP between the IKE SA's ports. */
		.encap = ike->natt.encap,
		.encap_sport = inbound ? ike->remote_port : ike->local_port,
		.encap_dport = inbound ? ike->local_port : ike->remote_port,
	};
}

/* When our kernel tells us to rekey (its soft expiries); none with
 * rekey=no. */
static void child_soft_limits(const struct conn_config *c, bool initiator, struct child_sa *ch)
{
	uint32_t r[3] = { 0, 0, 0 };
	ch->soft_seconds = 0;
	ch->soft_bytes = ch->soft_packets = 0;
	if (!c->rekey || !ike_random((uint8_t *)r, sizeof(r)))
		return;
	ch->soft_seconds = lifetime_rekey_after(c->salifetime, c->rekeymargin, c->rekeyfuzz, !initiator, r[0]);
	ch->soft_bytes = lifetime_soft_limit(c->ipsec_max_bytes, !initiator, r[1]);
	ch->soft_packets = lifetime_soft_limit(c->ipsec_max_packets, !initiator, r[2]);
}

/* The traffic of a tunnel: its two subnets and their protocol and ports. */
struct flow {
	const ip_subnet *local_net, *remote_net;
	const struct protoport *local_pp, *remote_pp;
};

/* One policy of a tunnel between ends for flow. */
static void tunnel_policy(const struct ends *ends, const struct flow *f,
			  bool transport, uint32_t reqid, enum kernel_dir dir, struct kernel_policy *p)
{
	bool out = dir == KERNEL_DIR_OUT;
	*p = (struct kernel_policy){
		.src = out ? *f->local_net : *f->remote_net,
		.dst = out ? *f->remote_net : *f->local_net,
		.src_pp = out ? *f->local_pp : *f->remote_pp,
		.dst_pp = out ? *f->remote_pp : *f->local_pp,
		.dir = dir,
		.mode = transport ? KERNEL_MODE_TRANSPORT : KERNEL_MODE_TUNNEL,
		.tmpl_src = out ? ends->local : ends->remote,
		.tmpl_dst = out ? ends->remote : ends->local,
		.proto = IPPROTO_ESP,
		.reqid = reqid,
		.priority = POLICY_PRIORITY,
	};
}

static void make_policy(const struct ike_sa *ike, const struct child_sa *ch, enum kernel_dir dir,
			struct kernel_policy *p)
{
	struct flow f = { &ch->local_net, &ch->remote_net, &ch->local_pp, &ch->remote_pp };
	tunnel_policy(&ike->ends, &f, ch->transport, ch->reqid, dir, p);
	if (dir != KERNEL_DIR_FWD)
		offload_policy_follow(&ch->offload[dir == KERNEL_DIR_IN ? 0 : 1], p);
}

void child_sa_trap_policy(const struct connection *c, struct kernel_policy *p)
{
	const struct ends *e = &c->ends;
	struct flow f = { &e->local_net, &e->remote_net, &e->local_pp, &e->remote_pp };
	tunnel_policy(e, &f, c->config->type == TYPE_TRANSPORT, c->reqid, KERNEL_DIR_OUT, p);
}

static bool same_flow(const struct kernel_policy *a, const struct kernel_policy *b)
{
	return a->dir == b->dir && a->mode == b->mode &&
	       a->src.prefixlen == b->src.prefixlen && address_eq(&a->src.addr, &b->src.addr) &&
	       a->dst.prefixlen == b->dst.prefixlen && address_eq(&a->dst.addr, &b->dst.addr) &&
	       protoport_eq(&a->src_pp, &b->src_pp) && protoport_eq(&a->dst_pp, &b->dst_pp) &&
	       address_eq(&a->tmpl_src, &b->tmpl_src) && address_eq(&a->tmpl_dst, &b->tmpl_dst);
}

bool child_sa_takes_trap(const struct ike_sa *ike, const struct child_sa *ch, const struct connection *c)
{
	if (!c->oriented)
		return false;
	struct kernel_policy trap, out;
	child_sa_trap_policy(c, &trap);
	make_policy(ike, ch, KERNEL_DIR_OUT, &out);
	return same_flow(&trap, &out);
}

const struct connection *child_sa_trap_conn(const struct ike_sa *ike, const struct tunnel *t,
					    const struct child_sa *ch)
{
	const struct connection *c = conn_find(t->c->config->name);
	return c != NULL && c->routed && child_sa_takes_trap(ike, ch, c) ? c : NULL;
}

static size_t npolicies(const struct child_sa *ch)
{
	return ch->transport ? 2 : 3;	/* fwd only for tunnels */
}

static const enum kernel_dir policy_dirs[] = { KERNEL_DIR_OUT, KERNEL_DIR_IN, KERNEL_DIR_FWD };

/* The kernel holds one policy per selector and direction, so a routed
 * conn's trap and its tunnel's outbound policy cannot both be there: the
 * tunnel's replaces the trap (XFRM_MSG_UPDPOLICY; an add would be EEXIST)
 * and, when the tunnel goes, the trap replaces it again rather than the
 * policy being deleted, so that the next packet raises an acquire. */
static void remove_policies(const struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch, size_t n)
{
	const struct connection *trap = child_sa_trap_conn(ike, t, ch);
	for (size_t i = 0; i < n; i++) {
		struct kernel_policy p;
		struct kernel_err e = {0};
		if (policy_dirs[i] == KERNEL_DIR_OUT && trap != NULL) {
			child_sa_trap_policy(trap, &p);
			kernel->update_policy(&p, &e);
			continue;
		}
		make_policy(ike, ch, policy_dirs[i], &p);
		kernel->del_policy(&p, &e);
	}
}

/* Adds the child's policies; on a refusal, removes the ones added and
 * leaves the refused one in *refused and the kernel's answer in *e. */
static int add_policies(struct ike_sa *ike, const struct tunnel *t, const struct child_sa *ch,
			struct kernel_policy *refused, struct kernel_err *e)
{
	bool over_trap = child_sa_trap_conn(ike, t, ch) != NULL;
	for (size_t i = 0; i < npolicies(ch); i++) {
		struct kernel_policy p;
		*e = (struct kernel_err){0};
		make_policy(ike, ch, policy_dirs[i], &p);
		int r = over_trap && p.dir == KERNEL_DIR_OUT ? kernel->update_policy(&p, e) : kernel->add_policy(&p, e);
		if (r != 0) {
			*refused = p;
			remove_policies(ike, t, ch, i);
			return r;
		}
	}
	return 0;
}

/* The child's KEYMAT (2.17): from SK_d, with PFS the exchange's g^ir,
 * and its nonces; without n, the IKE SA's own (the IKE_AUTH child). */
static bool derive_keymat(const struct ike_sa *ike, const struct child_nonces *n, uint8_t *keymat, size_t len)
{
	const struct buf *ni = n != NULL ? n->ni : &ike->ni, *nr = n != NULL ? n->nr : &ike->nr;
	if (ike->keys == NULL || len > CHILD_KEYMAT_MAX)
		return false;
	/* KEYMAT stays in NSS until the ESP keys leave for the kernel. */
	PK11SymKey *k = child_keymat(ike->keys->prf, ike->keys->sk_d, n != NULL ? n->g_ir : NULL, ni->data,
				     ni->len, nr->data, nr->len, len);
	bool ok = k != NULL && ike_key_bytes(k, keymat, len);
	ike_key_free(k);
	return ok;
}

static void keymat_free(struct child_sa *ch)
{
	secmem_free(ch->keymat, CHILD_KEYMAT_MAX);
	ch->keymat = NULL;
	ch->keymat_len = 0;
	ch->out_pending = false;
}

const struct offload_policy *child_sa_offload_policy(const struct ike_sa *ike, const struct tunnel *t,
						    const struct child_sa *ch)
{
	if (ch->stepped_down)
		return &ike->offload_stepped_down;
	return ike->natt.encap ? &ike->natt.offload : &t->c->offload;
}

/* One direction's SA from KEYMAT, which holds the keys of the exchange's
 * initiator to its responder first; installed under the offload policy. */
static int install_one(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch, bool inbound,
		       const uint8_t *keymat, struct diag *notes)
{
	size_t ek = encr_bytes(&ch->alg), ak = integ_key_bytes(ch->alg.integ);
	const uint8_t *i2r = keymat, *r2i = keymat + ek + ak;
	const uint8_t *keys = inbound == ch->keys_by_us ? r2i : i2r;
	struct kernel_sa sa;
	make_sa(ike, ch, inbound, keys, keys + ek, t->c, &sa);
	/* where the offload budget has this tunnel's SAs go */
	struct offload_policy scratch;
	struct kernel_link kept_from;
	const struct offload_policy *pol =
		offload_balance_policy(t, inbound ? &sa.dst : &sa.src, inbound ? NULL : &ch->offload[0],
				       child_sa_offload_policy(ike, t, ch), &scratch, &kept_from);
	struct sa_offload *got = &ch->offload[inbound ? 0 : 1];
	int r = offload_install_sa(kernel, pol, &sa, got, notes);
	explicit_bzero(&sa, sizeof(sa));
	if (r != 0)
		return r;
	if (kept_from.ifindex > 0 && got->ifindex == 0) {	/* the device it waits for */
		got->ifindex = kept_from.ifindex;
		snprintf(got->dev, sizeof(got->dev), "%s", kept_from.name);
		got->budget_kept = true;
	}
	offload_balance_installed(got);
	return 0;
}

static void del_sa(const ip_address *dst, uint32_t spi)
{
	struct kernel_err e = {0};
	kernel->del_sa(dst, spi, IPPROTO_ESP, &e);
}

static void remove_sas(struct ike_sa *ike, struct child_sa *ch)
{
	del_sa(&ike->ends.local, ch->spi_in);
	offload_balance_removed(&ch->offload[0]);
	if (!ch->out_pending) {
		del_sa(&ike->ends.remote, ch->spi_out);
		offload_balance_removed(&ch->offload[1]);
	}
	keymat_free(ch);
}

/* The child's inbound SA and, unless it waits (CHILD_OUTBOUND_LATER), its
 * outbound one; all or nothing. */
static int install_sas(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch, unsigned how,
		       const uint8_t *keymat, size_t len, struct diag *notes)
{
	int r = install_one(ike, t, ch, true, keymat, notes);
	if (r == 0 && (how & CHILD_OUTBOUND_LATER) && (ch->keymat = secmem_alloc(CHILD_KEYMAT_MAX)) != NULL) {
		memcpy(ch->keymat, keymat, len);
		ch->keymat_len = len;
		ch->out_pending = true;
	} else if (r == 0) {
		r = install_one(ike, t, ch, false, keymat, notes);
		if (r != 0)
			del_sa(&ike->ends.local, ch->spi_in);
	}
	return r;
}

/* The tunnel's policies, which follow its SAs' offload. A device that took
 * the SAs for packet offload may refuse their policies: the SAs are then
 * installed again under what the conn allows instead (crypto offload for
 * hw_offload=auto, software for hw_offload_fallback=yes), and so are the
 * later children of this IKE SA. */
static int install_policies(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch, unsigned how,
			    const uint8_t *keymat, size_t len, struct diag *notes)
{
	struct kernel_policy refused;
	struct kernel_err e;
	int r = add_policies(ike, t, ch, &refused, &e);
	if (r == 0)
		return 0;
	remove_sas(ike, ch);
	if (refused.offload != KERNEL_OFFLOAD_PACKET) {
		diag_add(notes, "kernel refused a policy: %s", e.extack[0] ? e.extack : strerror(e.errnum));
		return r;
	}
	bool in = refused.dir == KERNEL_DIR_IN;
	struct offload_policy retry;
	if (!offload_policy_refused(child_sa_offload_policy(ike, t, ch), &ch->offload[in ? 0 : 1], in ? "inbound" : "outbound",
				    &e, &retry, notes))
		return r;
	ike->packet_policy_refused = true;
	ike->offload_stepped_down = retry;
	ch->stepped_down = true;
	r = install_sas(ike, t, ch, how, keymat, len, notes);
	if (r == 0 && (r = add_policies(ike, t, ch, &refused, &e)) != 0) {
		diag_add(notes, "kernel refused a policy: %s", e.extack[0] ? e.extack : strerror(e.errnum));
		remove_sas(ike, ch);
	}
	return r;
}

int child_sa_install(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch, const struct child_nonces *n,
		     unsigned how, struct diag *notes)
{
	size_t len = 2 * (encr_bytes(&ch->alg) + integ_key_bytes(ch->alg.integ));
	uint8_t keymat[CHILD_KEYMAT_MAX];
	if (!derive_keymat(ike, n, keymat, len)) {
		explicit_bzero(keymat, sizeof(keymat));
		diag_add(notes, "cannot derive the child SA's keys");
		return -EINVAL;
	}
	/* A routed conn's tunnel takes the trap's reqid: the kernel's larval
	 * state for the acquire (spi 0, keyed by reqid, addresses, mode and
	 * protocol) is then replaced by our outbound SA when it is added
	 * (xfrm_state_add deletes the acquire state it matches), instead of
	 * lingering for its 30 s and holding back the acquires of a later
	 * packet once this tunnel is gone. A rekey's child keeps the reqid
	 * of the child it replaces. */
	const struct connection *trap = (how & CHILD_WITH_POLICIES) ? child_sa_trap_conn(ike, t, ch) : NULL;
	if (trap != NULL)
		ch->reqid = trap->reqid;
	ch->keys_by_us = n != NULL ? n->we_started : ike->initiator;
	child_soft_limits(t->c->config, ike->initiator, ch);
	/* A new tunnel's policies follow its SAs: stepped down if the IKE SA
	 * is; a rekey keeps to what its tunnel's policies were made under. */
	if (how & CHILD_WITH_POLICIES)
		ch->stepped_down = ike->packet_policy_refused;
	int r = install_sas(ike, t, ch, how, keymat, len, notes);
	if (r == 0 && (how & CHILD_WITH_POLICIES))
		r = install_policies(ike, t, ch, how, keymat, len, notes);
	explicit_bzero(keymat, sizeof(keymat));
	if (r != 0)
		return r;
	ch->installed = true;
	ch->add_time = time(NULL);
	if (how & CHILD_WITH_POLICIES)
		updown_tunnel_up(ike, t, ch);	/* the tunnel is up, not just this SA */
	return 0;
}

int child_sa_install_outbound(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch, struct diag *notes)
{
	if (!ch->out_pending)
		return 0;
	int r = install_one(ike, t, ch, false, ch->keymat, notes);
	if (r == 0)
		keymat_free(ch);
	return r;
}

int child_sa_update_encap(struct ike_sa *ike, const struct tunnel *t, struct child_sa *ch, struct kernel_err *e)
{
	/* The kernel updates a live SA in place from XFRM_MSG_UPDSA, taking
	 * only its encapsulation, selector and lifetimes from the message
	 * (xfrm_state_update); the message must still name the algorithms
	 * with keys of their lengths, which the kernel checks and discards.
	 * Zeros serve: the SA keeps its own keys. */
	static const uint8_t zeros[CHILD_KEYMAT_MAX];
	struct kernel_sa sa;
	make_sa(ike, ch, false, zeros, zeros, t->c, &sa);
	return kernel->update_sa(&sa, e);
}

void child_sa_drop_outbound(struct child_sa *ch)
{
	keymat_free(ch);
}

void child_sa_remove_one(struct ike_sa *ike, struct child_sa *ch)
{
	if (ch->installed)
		remove_sas(ike, ch);
	keymat_free(ch);
	ch->installed = false;
}

void child_sa_remove_tunnel(struct ike_sa *ike, struct tunnel *t)
{
	bool any = t->child.installed;
	for (size_t i = 0; i < CHILD_RETIRING_MAX; i++) {
		any |= t->retiring[i].installed;
		child_sa_remove_one(ike, &t->retiring[i]);
		t->retiring[i] = (struct child_sa){0};
	}
	/* The policies serve every child of the tunnel; they name the
	 * current one's selectors. */
	if (any) {
		updown_tunnel_down(ike, t, &t->child);
		remove_policies(ike, t, &t->child, npolicies(&t->child));
	}
	child_sa_remove_one(ike, &t->child);
}

void child_sa_remove(struct ike_sa *ike)
{
	for (unsigned k = 0; k < ike->ntunnels; k++)
		child_sa_remove_tunnel(ike, &ike->tunnels[k]);
}

const char *child_sa_offload(const struct child_sa *ch, char *buf, size_t len)
{
	char in[128], out[128];
	sa_offload_str(&ch->offload[0], in, sizeof(in));
	sa_offload_str(&ch->offload[1], out, sizeof(out));
	if (strcmp(in, out) == 0)
		snprintf(buf, len, "%s", in);
	else
		snprintf(buf, len, "in:%s,out:%s", in, out);
	return buf;
}

const char *child_sa_summary(const struct child_sa *ch, char *buf, size_t len)
{
	char alg[ALG_NAME_MAX], off[300];
	struct alg_proposal esp = ch->alg;
	esp.dh = DH_NONE;
	snprintf(buf, len, "{ESP=>0x%08x <0x%08x xfrm=%s esn=%s offload=%s}", ch->spi_out, ch->spi_in,
		 alg_esp_name(&esp, alg), ch->esn ? "yes" : "no", child_sa_offload(ch, off, sizeof(off)));
	return buf;
}
