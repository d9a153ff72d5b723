/* offload.c: which offload each SA asks for, what the kernel made of it,
 * and the one line that tells the user. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "errno_name.h"
#include "escape.h"
#include "offload.h"

/* ---- add-time rules ---- */

/* Whether the kernel lets mode's SAs in UDP (NAT-T) reach the device:
 * packet offload of them since 6.2, crypto offload since the kernel's
 * probe says so (6.12 does; 6.1 refuses: kernel_caps.h). */
static bool encap_offload_ok(enum hw_offload mode, const struct kernel_ops *k)
{
	return k->has_encap_offload() || (mode == HW_OFFLOAD_PACKET && k->has_packet_offload());
}

struct addtime_reason {
	const char *text;	/* for the user's line */
	const char *why;	/* short, for trafficstatus' software(...) */
};

/* The first reason this conn's SAs cannot be offloaded that is known
 * before any negotiation; false when there is none. */
static bool addtime_reason(const struct conn_config *c, bool fips, const struct kernel_ops *k,
			   struct addtime_reason *r)
{
	if (fips) {
		*r = (struct addtime_reason){ "fips=yes: keys must not leave the crypto boundary for the NIC", "fips" };
	} else if (c->phase2 == PHASE2_AH) {
		*r = (struct addtime_reason){ "phase2=ah: only ESP can be offloaded", "AH" };
	} else if (c->tfc > 0) {
		*r = (struct addtime_reason){ "tfc=: TFC padding cannot be offloaded", "TFC padding" };
	} else if (c->encapsulation == YNA_YES && !encap_offload_ok(c->hw_offload, k)) {
		*r = (struct addtime_reason){ "encapsulation=yes: this kernel cannot offload NAT-T (UDP-encapsulated) SAs", "NAT-T" };
	} else if (c->hw_offload == HW_OFFLOAD_PACKET && !k->has_packet_offload()) {
		*r = (struct addtime_reason){ "this kernel has no packet offload (it needs Linux 6.2 or later); hw_offload=crypto may work",
					      "no packet offload in kernel" };
	} else {
		return false;
	}
	return true;
}

/* What a reason found does to the conn's SAs: software with a note, or
 * (hw_offload_fallback=no) a refusal; pol gets what is left. */
static bool apply_reason(const struct conn_config *c, const struct addtime_reason *r, struct offload_policy *pol,
			 struct diag *errors, struct diag *notes)
{
	const char *asked = hw_offload_name(c->hw_offload);
	if (c->hw_offload == HW_OFFLOAD_AUTO) {
		diag_add(notes, "hw_offload=auto: %s; this conn's SAs run in software", r->text);
	} else if (c->hw_offload_fallback) {
		diag_add(notes, "warning: hw_offload=%s refused: %s; this conn's SAs will run in software (hw_offload_fallback=yes)",
			 asked, r->text);
	} else {
		diag_add(errors, "hw_offload=%s refused: %s; not adding this conn (hw_offload_fallback=no)", asked, r->text);
		return false;
	}
	pol->mode = HW_OFFLOAD_NO;
	snprintf(pol->software_why, sizeof(pol->software_why), "%s", r->why);
	return true;
}

bool offload_check_conn(const struct conn_config *c, bool fips, const struct kernel_ops *k,
			struct offload_policy *pol, struct diag *errors, struct diag *notes)
{
	*pol = (struct offload_policy){ .mode = c->hw_offload, .fallback = c->hw_offload_fallback };
	struct addtime_reason r;
	if (c->hw_offload == HW_OFFLOAD_NO || !addtime_reason(c, fips, k, &r))
		return true;
	return apply_reason(c, &r, pol, errors, notes);
}

/* The same rule as encapsulation=yes, applied when NAT is found. */
bool offload_check_encap(const struct conn_config *c, const struct kernel_ops *k, const struct offload_policy *conn_pol,
			 struct offload_policy *pol, struct diag *errors, struct diag *notes)
{
	*pol = *conn_pol;
	if (pol->mode == HW_OFFLOAD_NO || encap_offload_ok(pol->mode, k))
		return true;
	struct addtime_reason r = { "NAT was detected, and this kernel cannot offload NAT-T (UDP-encapsulated) SAs", "NAT-T" };
	struct diag refusal;
	diag_init(&refusal);
	if (apply_reason(c, &r, pol, &refusal, notes))
		return true;
	diag_add(errors, "hw_offload=%s refused: %s; not bringing this IKE SA's tunnel up (hw_offload_fallback=no)",
		 hw_offload_name(c->hw_offload), r.text);
	return false;
}

/* ---- policies ---- */

void offload_policy_follow(const struct sa_offload *sa, struct kernel_policy *p)
{
	bool packet = sa->state == SA_OFFLOAD_PACKET && sa->ifindex > 0;
	p->offload = packet ? KERNEL_OFFLOAD_PACKET : KERNEL_OFFLOAD_NONE;
	p->offload_ifindex = packet ? sa->ifindex : 0;
}

bool offload_policy_refused(const struct offload_policy *pol, const struct sa_offload *sa,
			    const char *policy, const struct kernel_err *e,
			    struct offload_policy *retry, struct diag *notes)
{
	bool stepping = pol->mode == HW_OFFLOAD_AUTO;
	bool may = stepping || pol->fallback;
	diag_add(notes, "hw_offload: %s took the SAs for packet offload but refused their %s policy: %s (%s); "
		 "hint: %s offloads SAs but not policies - try hw_offload=crypto; %s",
		 sa->dev, policy, e->extack[0] ? e->extack : strerror(e->errnum), errno_name(e->errnum), sa->dev,
		 stepping ? "installing the SAs again for crypto offload (hw_offload=auto)"
		 : may ? "installing the SAs again in software (hw_offload_fallback=yes)"
		       : "not installing them (hw_offload_fallback=no)");
	if (!may)
		return false;
	*retry = *pol;
	if (stepping) {
		retry->mode = HW_OFFLOAD_CRYPTO;
		retry->fallback = true;		/* auto's last step is software */
	} else {
		retry->mode = HW_OFFLOAD_NO;
		snprintf(retry->software_why, sizeof(retry->software_why), "policy offload refused by %s", sa->dev);
	}
	return true;
}

/* ---- names ---- */

const char *sa_name(const struct kernel_sa *sa, char *buf, size_t len)
{
	char dst[ADDRESS_STR_MAX];
	snprintf(buf, len, "%s.%08x@%s", sa->proto == IPPROTO_AH ? "ah" : "esp", sa->spi,
		 address_str(&sa->dst, dst));
	return buf;
}

static const char *sa_alg_name(const struct kernel_sa *sa, char buf[ALG_NAME_MAX])
{
	size_t salt = encr_salt_bytes(sa->encr);
	struct alg_proposal p = {
		.encr = sa->encr,
		.encr_keylen = sa->encr_key_len > salt ? (unsigned)(sa->encr_key_len - salt) * 8 : 0,
		.integ = sa->integ,
	};
	return alg_esp_name(&p, buf);
}

const char *sa_offload_raw(const struct sa_offload *o, char *buf, size_t len)
{
	switch (o->state) {
	case SA_OFFLOAD_NONE: snprintf(buf, len, "none"); break;
	case SA_OFFLOAD_CRYPTO: snprintf(buf, len, "crypto(%s)", o->dev); break;
	case SA_OFFLOAD_PACKET: snprintf(buf, len, "packet(%s)", o->dev); break;
	case SA_OFFLOAD_SOFTWARE: snprintf(buf, len, "software(%s)", o->why); break;
	}
	return buf;
}

const char *sa_offload_str(const struct sa_offload *o, char *buf, size_t len)
{
	/* An interface's name is any bytes its creator chose: escaped. */
	char raw[SA_OFFLOAD_RAW_MAX];
	return escape_str(sa_offload_raw(o, raw, sizeof(raw)), buf, len);
}

static const char *mode_word(enum kernel_offload m)
{
	return m == KERNEL_OFFLOAD_PACKET ? "packet offload" : "crypto offload";
}

/* ---- the install ---- */

/* What one install is working with, so the helpers below stay small. */
struct attempt {
	const struct kernel_ops *k;
	const struct offload_policy *pol;
	struct kernel_sa *sa;
	struct sa_offload *out;
	struct diag *notes;
	struct kernel_link link;
	char alg[ALG_NAME_MAX];
	unsigned held;			/* SAs offloaded on the device when it said full */
};

static const char *direction(const struct attempt *a)
{
	return a->sa->inbound ? "inbound" : "outbound";
}

/* How to act on a refusal: the trailing clause of the diagnostic. */
static const char *fallback_action(const struct attempt *a)
{
	if (a->pol->mode == HW_OFFLOAD_AUTO)
		return "running this SA in software (hw_offload=auto)";
	return a->pol->fallback ? "running this SA in software (hw_offload_fallback=yes)"
				: "not installing this SA (hw_offload_fallback=no)";
}

static bool may_fall_back(const struct attempt *a)
{
	return a->pol->mode == HW_OFFLOAD_AUTO || a->pol->fallback;
}

static void hint_for(const struct attempt *a, const struct kernel_err *e, enum kernel_offload mode,
		     char *buf, size_t len)
{
	const struct kernel_sa *sa = a->sa;
	if (strstr(e->extack, "ESN") != NULL)
		snprintf(buf, len, "this device cannot offload SAs with extended sequence numbers - try esn=no");
	else if (e->errnum == ENOSPC)
		snprintf(buf, len, "the SA table of %s is full (%u SAs offloaded there now) - with offload-budget=yes (the default) pluto gives it to the busiest tunnels at their rekeys, hw_offload_priority= first",
			 a->link.name, a->held);
	else if (strstr(e->extack, "Encapsulation") != NULL || strstr(e->extack, "TFC") != NULL)
		snprintf(buf, len, sa->encap ? "this kernel cannot offload NAT-T (UDP-encapsulated) SAs"
					     : "TFC padding cannot be offloaded - remove tfc=");
	else if (strstr(e->extack, "Unrecognized flags") != NULL)
		snprintf(buf, len, "this kernel has no packet offload (Linux 6.2 or later) - try hw_offload=crypto");
	else if (mode == KERNEL_OFFLOAD_PACKET)
		snprintf(buf, len, "%s has no packet offload (this kernel has, the device's driver has not) - try hw_offload=crypto",
			 a->link.name);
	else if (strstr(e->extack, "Type doesn't support") != NULL)
		snprintf(buf, len, "only ESP SAs can be offloaded");
	else if (!encr_is_aead(sa->encr))
		snprintf(buf, len, "this NIC offloads only AEAD algorithms such as AES_GCM_16 - try esp=aes_gcm128-null");
	else if (sa->encr == ENCR_AES_GCM_16 && sa->encr_key_len != 16 + encr_salt_bytes(sa->encr))
		snprintf(buf, len, "many NICs offload AES_GCM_16 only with a 128-bit key - try esp=aes_gcm128-null");
	else
		snprintf(buf, len, "the driver's own reason is in the kernel log (dmesg)");
}

struct ifcount {
	int ifindex;
	unsigned n;
};

static void count_offloaded(void *arg, const struct kernel_sa_entry *sa)
{
	struct ifcount *c = arg;
	if (sa->info.offloaded && sa->info.offload_ifindex == c->ifindex)
		c->n++;
}

unsigned offload_count_on(const struct kernel_ops *k, int ifindex)
{
	struct ifcount c = { ifindex, 0 };
	struct kernel_err e = {0};
	k->list_sas(count_offloaded, &c, &e);
	return c.n;
}

/* The SA without offload: the fallback, or what hw_offload=no asks for. */
static int install_in_software(struct attempt *a, const char *why)
{
	struct kernel_err e = {0};
	a->sa->offload = KERNEL_OFFLOAD_NONE;
	a->sa->offload_ifindex = 0;
	int r = a->k->add_sa(a->sa, &e);
	if (r < 0) {
		char name[64];
		diag_add(a->notes, "kernel refused %s SA %s (%s): %s (%s)", direction(a),
			 sa_name(a->sa, name, sizeof(name)), a->alg,
			 e.extack[0] ? e.extack : strerror(e.errnum), errno_name(e.errnum));
		return r;
	}
	if (why == NULL) {
		a->out->state = SA_OFFLOAD_NONE;
	} else {
		a->out->state = SA_OFFLOAD_SOFTWARE;
		snprintf(a->out->why, sizeof(a->out->why), "%s", why);
	}
	return 0;
}

/* The device cannot take offload at all (no interface, no esp-hw-offload). */
static int device_unusable(struct attempt *a, const char *what, const char *why)
{
	char name[64];
	diag_add(a->notes, "hw_offload: %s for %s SA %s (%s); %s", what,
		 direction(a), sa_name(a->sa, name, sizeof(name)), a->alg, fallback_action(a));
	if (!may_fall_back(a))
		return -EOPNOTSUPP;
	return install_in_software(a, why);
}

/* The kernel took the SA: read it back and believe only what it says. */
static int check_installed(struct attempt *a, enum kernel_offload mode)
{
	struct kernel_sa_info info = {0};
	struct kernel_err e = {0};
	char name[64], why[96];
	sa_name(a->sa, name, sizeof(name));
	if (a->k->get_sa(&a->sa->dst, a->sa->spi, a->sa->proto, &info, &e) == 0 &&
	    info.offloaded && info.offload_ifindex == a->link.ifindex &&
	    info.offload_packet == (mode == KERNEL_OFFLOAD_PACKET)) {
		a->out->state = mode == KERNEL_OFFLOAD_PACKET ? SA_OFFLOAD_PACKET : SA_OFFLOAD_CRYPTO;
		snprintf(a->out->dev, sizeof(a->out->dev), "%s", a->link.name);
		a->out->ifindex = a->link.ifindex;
		return 0;
	}
	diag_add(a->notes, "hw_offload: %s accepted %s SA %s (%s) for %s but the kernel runs it in software "
		 "(the device has no offload support in its driver); %s",
		 a->link.name, direction(a), name, a->alg, mode_word(mode),
		 may_fall_back(a) ? "keeping it in software" : "removing it (hw_offload_fallback=no)");
	if (!may_fall_back(a)) {
		a->k->del_sa(&a->sa->dst, a->sa->spi, a->sa->proto, &e);
		return -EOPNOTSUPP;
	}
	a->out->state = SA_OFFLOAD_SOFTWARE;
	snprintf(why, sizeof(why), "not offloaded by %s", a->link.name);
	snprintf(a->out->why, sizeof(a->out->why), "%s", why);
	return 0;
}

/* One line for a refusal: device, SA, algorithm, the kernel's words and
 * errno, a hint, and what happens next. */
static void note_refusal(struct attempt *a, const struct kernel_err *e, enum kernel_offload mode,
			 const char *action)
{
	char name[64], hint[256];
	hint_for(a, e, mode, hint, sizeof(hint));
	diag_add(a->notes, "hw_offload: %s refused %s SA %s (%s)%s: %s (%s); hint: %s; %s",
		 a->link.name, direction(a), sa_name(a->sa, name, sizeof(name)), a->alg,
		 mode == KERNEL_OFFLOAD_PACKET ? " for packet offload" : "",
		 e->extack[0] ? e->extack : strerror(e->errnum), errno_name(e->errnum), hint, action);
}

/* The modes to try, best first. */
static size_t modes_to_try(const struct attempt *a, enum kernel_offload modes[2])
{
	switch (a->pol->mode) {
	case HW_OFFLOAD_AUTO:
		if (a->k->has_packet_offload()) {
			modes[0] = KERNEL_OFFLOAD_PACKET;
			modes[1] = KERNEL_OFFLOAD_CRYPTO;
			return 2;
		}
		modes[0] = KERNEL_OFFLOAD_CRYPTO;
		return 1;
	case HW_OFFLOAD_PACKET:
		modes[0] = KERNEL_OFFLOAD_PACKET;
		return 1;
	default:
		modes[0] = KERNEL_OFFLOAD_CRYPTO;
		return 1;
	}
}

/* An SA in software because the device refused it: which device, and
 * whether for a full table (offload_balance.h learns its size). */
static void refused_by(struct attempt *a, bool full)
{
	snprintf(a->out->dev, sizeof(a->out->dev), "%s", a->link.name);
	a->out->ifindex = a->link.ifindex;
	a->out->table_full = full;
	a->out->table_held = full ? a->held : 0;
}

static int try_offload(struct attempt *a)
{
	enum kernel_offload modes[2];
	size_t n = modes_to_try(a, modes);
	struct kernel_err e = {0};
	for (size_t i = 0; i < n; i++) {
		a->sa->offload = modes[i];
		a->sa->offload_ifindex = a->link.ifindex;
		e = (struct kernel_err){0};
		if (a->k->add_sa(a->sa, &e) == 0)
			return check_installed(a, modes[i]);
		if (e.errnum == ENOSPC)
			a->held = offload_count_on(a->k, a->link.ifindex);
		if (i + 1 < n) {
			note_refusal(a, &e, modes[i], "trying crypto offload (hw_offload=auto)");
			continue;
		}
		note_refusal(a, &e, modes[i], fallback_action(a));
	}
	if (!may_fall_back(a))
		return -(e.errnum ? e.errnum : EINVAL);
	char why[96];
	snprintf(why, sizeof(why), "%s refused: %s", a->link.name,
		 e.errnum == ENOSPC ? "table full" : errno_name(e.errnum));
	int r = install_in_software(a, why);
	if (r == 0)
		refused_by(a, e.errnum == ENOSPC);
	return r;
}

int offload_install_sa(const struct kernel_ops *k, const struct offload_policy *pol,
		       struct kernel_sa *sa, struct sa_offload *out, struct diag *notes)
{
	struct attempt a = { .k = k, .pol = pol, .sa = sa, .out = out, .notes = notes };
	*out = (struct sa_offload){0};
	sa_alg_name(sa, a.alg);
	if (pol->mode == HW_OFFLOAD_NO)
		return install_in_software(&a, pol->software_why[0] ? pol->software_why : NULL);

	const ip_address *local = sa->inbound ? &sa->dst : &sa->src;
	char addr[ADDRESS_STR_MAX], what[160], why[96];
	struct kernel_err e = {0};
	if (k->link_for_address(local, &a.link, &e) != 0) {
		snprintf(a.link.name, sizeof(a.link.name), "?");
		snprintf(what, sizeof(what), "no interface holds the local address %s", address_str(local, addr));
		return device_unusable(&a, what, "no device for local address");
	}
	struct offload_features f = {0};
	if (k->offload_features(a.link.name, &f, &e) != 0 || !f.esp_hw_offload) {
		snprintf(what, sizeof(what), "%s has no ESP offload (esp-hw-offload is off)", a.link.name);
		snprintf(why, sizeof(why), "no esp-hw-offload on %s", a.link.name);
		return device_unusable(&a, what, why);
	}
	return try_offload(&a);
}

int offload_install_pair(const struct kernel_ops *k, const struct offload_policy *pol,
			 struct kernel_sa *in, struct kernel_sa *outbound,
			 struct sa_offload out[2], struct diag *notes)
{
	int r = offload_install_sa(k, pol, in, &out[0], notes);
	if (r != 0)
		return r;
	r = offload_install_sa(k, pol, outbound, &out[1], notes);
	if (r != 0) {
		struct kernel_err e = {0};
		k->del_sa(&in->dst, in->spi, in->proto, &e);
	}
	return r;
}
