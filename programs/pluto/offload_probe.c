/* offload_probe.c: `ipsec offload` and its --probe. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "errno_name.h"
#include "escape.h"
#include "offload.h"
#include "offload_probe.h"

/* What a probe tries: the transforms NICs are known to differ on. */
static const struct alg_proposal candidates[] = {
	{ .encr = ENCR_AES_GCM_16, .encr_keylen = 128 },
	{ .encr = ENCR_AES_GCM_16, .encr_keylen = 256 },
	{ .encr = ENCR_CHACHA20_POLY1305, .encr_keylen = 256 },
	{ .encr = ENCR_AES_CBC, .encr_keylen = 128, .integ = INTEG_HMAC_SHA1_96 },
	{ .encr = ENCR_AES_CBC, .encr_keylen = 128, .integ = INTEG_HMAC_SHA2_256_128 },
	{ .encr = ENCR_AES_CBC, .encr_keylen = 256, .integ = INTEG_HMAC_SHA2_512_256 },
};
#define NCANDIDATES (sizeof(candidates) / sizeof(candidates[0]))

/* SPIs 1-255 are reserved (RFC 4303), so no negotiated SA can have them. */
#define PROBE_SPI_BASE 0x80u

#define KNOWN_MAX 16
static struct device_probe known[KNOWN_MAX];
static size_t nknown;

const struct device_probe *offload_probe_known(const char *dev)
{
	for (size_t i = 0; i < nknown; i++) {
		if (strcmp(known[i].dev, dev) == 0)
			return &known[i];
	}
	return NULL;
}

void offload_probe_forget_all(void)
{
	nknown = 0;
}

static bool same_alg(const struct alg_proposal *a, const struct alg_proposal *b)
{
	return a->encr == b->encr && a->encr_keylen == b->encr_keylen && a->integ == b->integ;
}

bool offload_probe_esn(const struct device_probe *p)
{
	for (size_t i = 0; p != NULL && i < p->n; i++) {
		if (p->r[i].esn && p->r[i].outcome == PROBE_OFFLOADED)
			return true;
	}
	return false;
}

/* A full table refuses every transform alike: that says nothing of them. */
static bool says_something(const struct probe_result *r)
{
	return !(r->outcome == PROBE_REFUSED && r->err.errnum == ENOSPC);
}

/* Tallies the telling results without ESN that match: the same transform
 * (whole), or only the same cipher. */
static void tally(const struct device_probe *p, const struct alg_proposal *alg, bool whole,
		  unsigned *tried, unsigned *offloaded)
{
	*tried = *offloaded = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct probe_result *r = &p->r[i];
		bool match = whole ? same_alg(&r->alg, alg) : r->alg.encr == alg->encr;
		if (r->esn || !match || !says_something(r))
			continue;
		(*tried)++;
		*offloaded += r->outcome == PROBE_OFFLOADED;
	}
}

enum offload_verdict offload_probe_verdict(const struct device_probe *p, const struct alg_proposal *alg)
{
	if (p == NULL)
		return OFFLOAD_UNKNOWN;
	unsigned tried, offloaded;
	tally(p, alg, true, &tried, &offloaded);
	if (tried == 2)		/* both directions */
		return offloaded == 2 ? OFFLOAD_KNOWN : OFFLOAD_REFUSED;
	tally(p, alg, false, &tried, &offloaded);
	return tried > 0 && offloaded == 0 ? OFFLOAD_REFUSED : OFFLOAD_UNKNOWN;
}

void offload_order_proposals(const struct device_probe *p, struct alg_proposals *ps)
{
	if (p == NULL)
		return;
	struct alg_proposals sorted = { .n = 0 };
	for (enum offload_verdict v = OFFLOAD_KNOWN; v <= OFFLOAD_REFUSED; v++) {
		for (size_t i = 0; i < ps->n; i++) {
			if (offload_probe_verdict(p, &ps->p[i]) == v)
				sorted.p[sorted.n++] = ps->p[i];
		}
	}
	*ps = sorted;
}

void offload_keep_known(const struct device_probe *p, struct alg_proposals *ps)
{
	size_t kept = 0;
	for (size_t i = 0; i < ps->n; i++) {
		if (offload_probe_verdict(p, &ps->p[i]) == OFFLOAD_KNOWN)
			ps->p[kept++] = ps->p[i];
	}
	ps->n = kept;
}

const struct device_probe *offload_probe_for(const struct kernel_ops *k, const ip_address *local)
{
	struct kernel_link link;
	struct kernel_err e = {0};
	if (k->link_for_address(local, &link, &e) != 0)
		return NULL;
	return offload_probe_known(link.name);
}

/* Throwaway keys: zeros are as good as any for an SA that carries nothing. */
static const uint8_t zero_key[64];

static void probe_sa(const struct alg_proposal *alg, bool esn, bool inbound, uint32_t spi,
		     int ifindex, struct kernel_sa *sa)
{
	*sa = (struct kernel_sa){
		.spi = spi, .proto = IPPROTO_ESP, .mode = KERNEL_MODE_TRANSPORT,
		.reqid = PROBE_REQID, .inbound = inbound,
		.encr = alg->encr, .encr_key = zero_key,
		.encr_key_len = alg->encr_keylen / 8 + encr_salt_bytes(alg->encr),
		.integ = alg->integ, .integ_key = zero_key, .integ_key_len = integ_key_bytes(alg->integ),
		.esn = esn, .replay_window = 32,
		.offload = KERNEL_OFFLOAD_CRYPTO, .offload_ifindex = ifindex,
	};
	/* Documentation addresses (RFC 5737), the local one first. */
	address_parse(inbound ? "192.0.2.2" : "192.0.2.1", &sa->src);
	address_parse(inbound ? "192.0.2.1" : "192.0.2.2", &sa->dst);
	sa->src_sel = subnet_from_address(&sa->src);
	sa->dst_sel = subnet_from_address(&sa->dst);
}

static void try_one(const struct kernel_ops *k, struct device_probe *p, const struct alg_proposal *alg,
		    bool esn, bool inbound)
{
	if (p->n >= PROBE_RESULTS_MAX)
		return;
	struct probe_result *r = &p->r[p->n];
	*r = (struct probe_result){ .alg = *alg, .esn = esn, .inbound = inbound };
	struct kernel_sa sa;
	probe_sa(alg, esn, inbound, PROBE_SPI_BASE + (uint32_t)p->n, p->ifindex, &sa);
	p->n++;
	if (k->add_sa(&sa, &r->err) != 0) {
		r->outcome = PROBE_REFUSED;
		return;
	}
	struct kernel_sa_info info = {0};
	struct kernel_err e = {0};
	bool offloaded = k->get_sa(&sa.dst, sa.spi, sa.proto, &info, &e) == 0 &&
			 info.offloaded && info.offload_ifindex == p->ifindex;
	r->outcome = offloaded ? PROBE_OFFLOADED : PROBE_SOFTWARE;
	k->del_sa(&sa.dst, sa.spi, sa.proto, &e);
}

static const char *outcome_text(const struct probe_result *r, char *buf, size_t len)
{
	switch (r->outcome) {
	case PROBE_OFFLOADED: return "offloaded";
	case PROBE_SOFTWARE: return "accepted, but runs in software";
	case PROBE_REFUSED: break;
	}
	snprintf(buf, len, "refused: %s (%s)", r->err.extack[0] ? r->err.extack : strerror(r->err.errnum),
		 errno_name(r->err.errnum));
	return buf;
}

/* One line per transform, both directions on it. */
static void report_results(const struct device_probe *p, struct diag *lines)
{
	for (size_t i = 0; i + 1 < p->n; i += 2) {
		const struct probe_result *out = &p->r[i], *in = &p->r[i + 1];
		char name[ALG_NAME_MAX], a[320], b[320];
		alg_esp_name(&out->alg, name);
		const char *o = outcome_text(out, a, sizeof(a)), *n = outcome_text(in, b, sizeof(b));
		if (strcmp(o, n) == 0)
			diag_add(lines, "%s: %s%s: %s", p->dev, name, out->esn ? " with ESN" : "", o);
		else
			diag_add(lines, "%s: %s%s: outbound %s; inbound %s", p->dev, name,
				 out->esn ? " with ESN" : "", o, n);
	}
}

/* A probe that met only a full table learned nothing worth keeping. */
static void remember(const struct device_probe *p)
{
	size_t telling = 0;
	for (size_t i = 0; i < p->n; i++)
		telling += says_something(&p->r[i]);
	if (telling == 0)
		return;
	struct device_probe *slot = (struct device_probe *)offload_probe_known(p->dev);
	if (slot == NULL && nknown < KNOWN_MAX)
		slot = &known[nknown++];
	if (slot != NULL)
		*slot = *p;
}

int offload_probe(const struct kernel_ops *k, const char *dev, struct device_probe *out, struct diag *lines)
{
	*out = (struct device_probe){0};
	snprintf(out->dev, sizeof(out->dev), "%s", dev);
	out->ifindex = (int)if_nametoindex(dev);
	if (out->ifindex == 0) {
		diag_add(lines, "%s: no such interface", dev);
		return -ENODEV;
	}
	diag_add(lines, "%s: probing ESP crypto offload with throwaway SAs (SPIs 0x%x-0x%x, reqid %u), each removed at once",
		 dev, PROBE_SPI_BASE, PROBE_SPI_BASE + 2 * (unsigned)NCANDIDATES + 1, PROBE_REQID);
	for (size_t i = 0; i < NCANDIDATES; i++) {
		try_one(k, out, &candidates[i], false, false);
		try_one(k, out, &candidates[i], false, true);
	}
	/* ESN matters only where something was offloaded without it. */
	for (size_t i = 0; i < NCANDIDATES; i++) {
		if (offload_probe_verdict(out, &candidates[i]) == OFFLOAD_KNOWN) {
			try_one(k, out, &candidates[i], true, false);
			try_one(k, out, &candidates[i], true, true);
			break;
		}
	}
	report_results(out, lines);

	struct kernel_err e = {0};
	int r = k->flush(PROBE_REQID, PROBE_REQID, &e);
	if (r != 0)
		diag_add(lines, "%s: could not sweep probe SAs (reqid %u): %s (%s)", dev, PROBE_REQID,
			 e.extack[0] ? e.extack : strerror(e.errnum), errno_name(e.errnum));
	remember(out);
	return 0;
}

/* "AES_GCM_16_128, AES_GCM_16_128 with ESN", or "nothing". */
static const char *offloaded_list(const struct device_probe *p, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i + 1 < p->n && used < len; i += 2) {
		if (p->r[i].outcome == PROBE_OFFLOADED && p->r[i + 1].outcome == PROBE_OFFLOADED) {
			char alg[ALG_NAME_MAX];
			alg_esp_name(&p->r[i].alg, alg);
			used += (size_t)snprintf(buf + used, len - used, "%s%s%s",
						 used ? ", " : "", alg, p->r[i].esn ? " with ESN" : "");
		}
	}
	return buf[0] ? buf : "nothing";
}

/* ---- a conn that asks for offload ---- */

/* "warning: ", except where software is the expected way down (auto). */
static const char *warning(const struct offload_policy *pol)
{
	return pol->mode == HW_OFFLOAD_AUTO ? "" : "warning: ";
}

/* What becomes of the conn's SAs when the device does not take them. */
static const char *outlook(const struct offload_policy *pol)
{
	if (pol->mode == HW_OFFLOAD_AUTO)
		return "its SAs will run in software (hw_offload=auto)";
	return pol->fallback ? "its SAs will run in software (hw_offload_fallback=yes)"
			     : "its IPsec SAs will be refused (hw_offload_fallback=no)";
}

/* The probe of link, made now when this pluto has none. */
static const struct device_probe *probe_once(const struct kernel_ops *k, const struct kernel_link *link,
					     const struct conn_config *c, struct diag *probe_lines)
{
	const struct device_probe *p = offload_probe_known(link->name);
	if (p != NULL)
		return p;
	static struct device_probe fresh;
	diag_add(probe_lines, "offload: probing %s once, as this conn asks for hw_offload=%s there",
		 link->name, hw_offload_name(c->hw_offload));
	if (offload_probe(k, link->name, &fresh, probe_lines) != 0)
		return NULL;
	p = offload_probe_known(link->name);
	if (p != NULL)
		diag_add(probe_lines, "offload: what the probe of %s found is kept for the life of pluto", link->name);
	else
		diag_add(probe_lines, "offload: %s's SA table is full, so its probe learned nothing; it is probed again when the next conn that asks for offload there is added",
			 link->name);
	return p;
}

/* A warning when the probe refused every transform of esp=. */
static void check_esp(const struct device_probe *p, const struct conn_config *c,
		      const struct offload_policy *pol, struct diag *notes)
{
	char refused[512] = "", can[512];
	size_t used = 0;
	if (c->esp_proposals->n == 0)
		return;
	for (size_t i = 0; i < c->esp_proposals->n; i++) {
		const struct alg_proposal *alg = &c->esp_proposals->p[i];
		if (offload_probe_verdict(p, alg) != OFFLOAD_REFUSED)
			return;
		char name[ALG_NAME_MAX];
		if (used < sizeof(refused))
			used += (size_t)snprintf(refused + used, sizeof(refused) - used, "%s%s",
						 used ? ", " : "", alg_esp_name(alg, name));
	}
	diag_add(notes, "%shw_offload=%s: %s cannot offload any transform of esp=%s (%s): its probe found it offloads %s; %s",
		 warning(pol), hw_offload_name(c->hw_offload), p->dev, c->esp != NULL ? c->esp : "(default)", refused,
		 offloaded_list(p, can, sizeof(can)), outlook(pol));
}

/* A warning when esn=yes asks for what the probe saw refused. */
static void check_esn(const struct device_probe *p, const struct conn_config *c,
		      const struct offload_policy *pol, struct diag *notes)
{
	bool tried = false;
	for (size_t i = 0; i < p->n; i++)
		tried |= p->r[i].esn && says_something(&p->r[i]);
	if (c->esn == YNA_YES && tried && !offload_probe_esn(p))
		diag_add(notes, "%shw_offload=%s with esn=yes: %s cannot offload SAs with extended sequence numbers, as its probe found - try esn=no; %s",
			 warning(pol), hw_offload_name(c->hw_offload), p->dev, outlook(pol));
}

void offload_check_device(const struct kernel_ops *k, const struct conn_config *c,
			  const struct offload_policy *pol, const ip_address *local,
			  struct diag *probe_lines, struct diag *notes)
{
	if (pol->mode == HW_OFFLOAD_NO)
		return;
	struct kernel_link link;
	struct offload_features f = {0};
	struct kernel_err e = {0};
	if (k->link_for_address(local, &link, &e) != 0)
		return;		/* not this host's conn: nothing to offload to */
	if (k->offload_features(link.name, &f, &e) != 0 || !f.esp_hw_offload) {
		diag_add(notes, "%shw_offload=%s: %s has no ESP offload (esp-hw-offload is off); %s",
			 warning(pol), hw_offload_name(c->hw_offload), link.name, outlook(pol));
		return;
	}
	const struct device_probe *p = probe_once(k, &link, c, probe_lines);
	if (p == NULL)
		return;
	check_esp(p, c, pol, notes);
	check_esn(p, c, pol, notes);
}

static const char *onoff(bool b)
{
	return b ? "on" : "off";
}

static void report_device(const struct kernel_ops *k, const char *name, int ifindex, struct diag *lines)
{
	struct offload_features f = {0};
	struct kernel_err e = {0};
	char shown[ESCAPED_MAX(IF_NAMESIZE)];	/* a name is any bytes its creator chose */
	escape_str(name, shown, sizeof(shown));
	if (k->offload_features(name, &f, &e) != 0) {
		diag_add(lines, "%s: cannot read its features: %s (%s)", shown,
			 e.extack[0] ? e.extack : strerror(e.errnum), errno_name(e.errnum));
		return;
	}
	unsigned n = offload_count_on(k, ifindex);
	diag_add(lines, "%s: esp-hw-offload %s, esp-tx-csum-hw-offload %s, tx-esp-segmentation %s; %u SA%s offloaded now",
		 shown, onoff(f.esp_hw_offload), onoff(f.esp_tx_csum_hw_offload), onoff(f.tx_esp_segmentation),
		 n, n == 1 ? "" : "s");
	const struct device_probe *p = offload_probe_known(name);
	if (p == NULL)
		return;
	char accepted[512];
	diag_add(lines, "%s:   probed: offloads %s", shown, offloaded_list(p, accepted, sizeof(accepted)));
}

void offload_report(const struct kernel_ops *k, const char *dev, struct diag *lines)
{
	diag_add(lines, "kernel: packet offload %s", k->has_packet_offload() ?
		 "available" : "not available (it needs Linux 6.2 or later); crypto offload only");
	diag_add(lines, "kernel: crypto offload of UDP-encapsulated (NAT-T) SAs %s", k->has_encap_offload() ?
		 "available" : "not available (this kernel refuses it)");
	if (dev != NULL) {
		int ifindex = (int)if_nametoindex(dev);
		char shown[ESCAPED_MAX(IF_NAMESIZE)];
		if (ifindex == 0)
			diag_add(lines, "%s: no such interface", escape_str(dev, shown, sizeof(shown)));
		else
			report_device(k, dev, ifindex, lines);
		return;
	}
	struct if_nameindex *ifs = if_nameindex();
	if (ifs == NULL) {
		diag_add(lines, "cannot list interfaces: %s", strerror(errno));
		return;
	}
	for (struct if_nameindex *i = ifs; i->if_index != 0; i++) {
		if (strcmp(i->if_name, "lo") != 0)
			report_device(k, i->if_name, (int)i->if_index, lines);
	}
	if_freenameindex(ifs);
}
