/* child_sa.c: keys from KEYMAT into two kernel SAs and their policies. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "child_sa.h"
#include "kernel.h"

#define REPLAY_WINDOW 128
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
		.inbound = inbound,
		.encr = ch->alg.encr, .encr_key = ekey, .encr_key_len = encr_bytes(&ch->alg),
		.integ = ch->alg.integ, .integ_key = akey, .integ_key_len = integ_key_bytes(ch->alg.integ),
		.esn = ch->esn,
		.replay_window = REPLAY_WINDOW,
		.hard_seconds = c->config->salifetime,
		.soft_seconds = c->config->salifetime > c->config->rekeymargin ?
			c->config->salifetime - c->config->rekeymargin : 0,
		.tfc_pad = c->config->tfc,
	};
}

/* One policy of a tunnel between ends for local_net <-> remote_net. */
static void tunnel_policy(const struct ends *ends, const ip_subnet *local_net, const ip_subnet *remote_net,
			  bool transport, uint32_t reqid, enum kernel_dir dir, struct kernel_policy *p)
{
	bool out = dir == KERNEL_DIR_OUT;
	*p = (struct kernel_policy){
		.src = out ? *local_net : *remote_net,
		.dst = out ? *remote_net : *local_net,
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
	tunnel_policy(&ike->ends, &ch->local_net, &ch->remote_net, ch->transport, ch->reqid, dir, p);
}

void child_sa_trap_policy(const struct connection *c, struct kernel_policy *p)
{
	tunnel_policy(&c->ends, &c->ends.local_net, &c->ends.remote_net, c->config->type == TYPE_TRANSPORT,
		      c->reqid, KERNEL_DIR_OUT, p);
}

static bool same_flow(const struct kernel_policy *a, const struct kernel_policy *b)
{
	return a->dir == b->dir && a->mode == b->mode &&
	       a->src.prefixlen == b->src.prefixlen && address_eq(&a->src.addr, &b->src.addr) &&
	       a->dst.prefixlen == b->dst.prefixlen && address_eq(&a->dst.addr, &b->dst.addr) &&
	       address_eq(&a->tmpl_src, &b->tmpl_src) && address_eq(&a->tmpl_dst, &b->tmpl_dst);
}

bool child_sa_takes_trap(const struct ike_sa *ike, const struct connection *c)
{
	if (!c->oriented)
		return false;
	struct kernel_policy trap, out;
	child_sa_trap_policy(c, &trap);
	make_policy(ike, &ike->child, KERNEL_DIR_OUT, &out);
	return same_flow(&trap, &out);
}

const struct connection *child_sa_trap_conn(const struct ike_sa *ike)
{
	const struct connection *c = conn_find(ike->c->config->name);
	return c != NULL && c->routed && child_sa_takes_trap(ike, c) ? c : NULL;
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
static void remove_policies(const struct ike_sa *ike, size_t n)
{
	const struct connection *trap = child_sa_trap_conn(ike);
	for (size_t i = 0; i < n; i++) {
		struct kernel_policy p;
		struct kernel_err e = {0};
		if (policy_dirs[i] == KERNEL_DIR_OUT && trap != NULL) {
			child_sa_trap_policy(trap, &p);
			kernel->update_policy(&p, &e);
			continue;
		}
		make_policy(ike, &ike->child, policy_dirs[i], &p);
		kernel->del_policy(&p, &e);
	}
}

static int add_policies(struct ike_sa *ike, struct diag *notes)
{
	bool over_trap = child_sa_trap_conn(ike) != NULL;
	for (size_t i = 0; i < npolicies(&ike->child); i++) {
		struct kernel_policy p;
		struct kernel_err e = {0};
		make_policy(ike, &ike->child, policy_dirs[i], &p);
		int r = over_trap && p.dir == KERNEL_DIR_OUT ? kernel->update_policy(&p, &e) : kernel->add_policy(&p, &e);
		if (r != 0) {
			diag_add(notes, "kernel refused a policy: %s", e.extack[0] ? e.extack : strerror(e.errnum));
			remove_policies(ike, i);
			return r;
		}
	}
	return 0;
}

int child_sa_install(struct ike_sa *ike, const struct connection *c, struct diag *notes)
{
	struct child_sa *ch = &ike->child;
	/* A routed conn's tunnel takes the trap's reqid: the kernel's larval
	 * state for the acquire (spi 0, keyed by reqid, addresses, mode and
	 * protocol) is then replaced by our outbound SA when it is added
	 * (xfrm_state_add deletes the acquire state it matches), instead of
	 * lingering for its 30 s and holding back the acquires of a later
	 * packet once this tunnel is gone. */
	const struct connection *trap = child_sa_trap_conn(ike);
	if (trap != NULL)
		ch->reqid = trap->reqid;
	size_t ek = encr_bytes(&ch->alg), ak = integ_key_bytes(ch->alg.integ);
	uint8_t keymat[2 * (IKE_KEY_MAX + IKE_KEY_MAX)];
	if (ike->keys == NULL ||
	    !child_keymat(ike->keys->prf, ike->keys->sk_d, ike->keys->d_len, NULL, 0,
			  ike->ni.data, ike->ni.len, ike->nr.data, ike->nr.len, keymat, 2 * (ek + ak))) {
		diag_add(notes, "cannot derive the child SA's keys");
		return -EINVAL;
	}
	/* KEYMAT holds the initiator-to-responder keys first. */
	const uint8_t *i2r = keymat, *r2i = keymat + ek + ak;
	const uint8_t *in_keys = ike->initiator ? r2i : i2r, *out_keys = ike->initiator ? i2r : r2i;
	struct kernel_sa in, out;
	make_sa(ike, ch, true, in_keys, in_keys + ek, c, &in);
	make_sa(ike, ch, false, out_keys, out_keys + ek, c, &out);
	int r = offload_install_pair(kernel, &c->offload, &in, &out, ch->offload, notes);
	explicit_bzero(keymat, sizeof(keymat));
	explicit_bzero(&in, sizeof(in));
	explicit_bzero(&out, sizeof(out));
	if (r != 0)
		return r;
	r = add_policies(ike, notes);
	if (r != 0) {
		struct kernel_err e = {0};
		kernel->del_sa(&ike->ends.local, ch->spi_in, IPPROTO_ESP, &e);
		kernel->del_sa(&ike->ends.remote, ch->spi_out, IPPROTO_ESP, &e);
		return r;
	}
	ch->installed = true;
	ch->add_time = time(NULL);
	return 0;
}

void child_sa_remove(struct ike_sa *ike)
{
	struct child_sa *ch = &ike->child;
	if (!ch->installed)
		return;
	struct kernel_err e = {0};
	remove_policies(ike, npolicies(ch));
	kernel->del_sa(&ike->ends.local, ch->spi_in, IPPROTO_ESP, &e);
	kernel->del_sa(&ike->ends.remote, ch->spi_out, IPPROTO_ESP, &e);
	ch->installed = false;
}

const char *child_sa_offload(const struct ike_sa *ike, char *buf, size_t len)
{
	char in[128], out[128];
	sa_offload_str(&ike->child.offload[0], in, sizeof(in));
	sa_offload_str(&ike->child.offload[1], out, sizeof(out));
	if (strcmp(in, out) == 0)
		snprintf(buf, len, "%s", in);
	else
		snprintf(buf, len, "in:%s,out:%s", in, out);
	return buf;
}

const char *child_sa_summary(const struct ike_sa *ike, char *buf, size_t len)
{
	const struct child_sa *ch = &ike->child;
	char alg[ALG_NAME_MAX], off[300];
	struct alg_proposal esp = ch->alg;
	esp.dh = DH_NONE;
	snprintf(buf, len, "{ESP=>0x%08x <0x%08x xfrm=%s esn=%s offload=%s}", ch->spi_out, ch->spi_in,
		 alg_esp_name(&esp, alg), ch->esn ? "yes" : "no", child_sa_offload(ike, off, sizeof(off)));
	return buf;
}
