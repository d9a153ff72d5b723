/* ikev2_ike_auth.c: IKE_AUTH (RFC 7296 1.2, 2.15), both roles, with a
 * pre-shared key or a certificate's signature (ikev2_cert.h), and the
 * child SA it carries.
 *
 * The responder installs the child SA, offload decided, before it
 * answers: with hw_offload_fallback=no a refused offload ends in an error
 * notify, never in a tunnel that exists on one side only. An initiator
 * whose own install fails deletes the IKE SA so the peer keeps nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "child_sa.h"
#include "ike_id.h"
#include "ikev2_cert.h"
#include "ikev2_exchange.h"
#include "ipsec_id.h"
#include "natt.h"
#include "offload_probe.h"
#include "pluto.h"
#include "secrets.h"

static bool same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t diff = 0;	/* constant time: AUTH is a secret-derived value */
	for (size_t i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

static const struct psk_entry *find_psk(struct ike_sa *ike, const char *remote_id)
{
	const struct psk_entry *psk = secrets_find_psk(pluto.secrets, ike->ends.local_id, remote_id);
	char local[IKE_ID_SHOWN_MAX], remote[IKE_ID_SHOWN_MAX];
	if (psk == NULL)
		ike_log(ike, LL_ERROR, "no pre-shared key in %s for %s and %s", pluto.secrets_path,
			id_shown(ike->ends.local_id, local, sizeof(local)), id_shown(remote_id, remote, sizeof(remote)));
	return psk;
}

/* What a side's AUTH covers: its own first message, the other's nonce,
 * and its ID under its SK_p. */
struct auth_inputs {
	const struct buf *first, *nonce;
	PK11SymKey *sk_p;
};

static struct auth_inputs auth_inputs(const struct ike_sa *ike, bool by_initiator)
{
	bool ours = by_initiator == ike->initiator;
	return (struct auth_inputs){
		.first = ours ? &ike->init_sent : &ike->init_rcvd,
		.nonce = by_initiator ? &ike->nr : &ike->ni,
		.sk_p = by_initiator ? ike->keys->sk_pi : ike->keys->sk_pr,
	};
}

/* The AUTH a side sends (or must send) with a PSK. */
static bool compute_auth(const struct ike_sa *ike, const struct psk_entry *psk, bool by_initiator,
			 const uint8_t *id_body, size_t id_len, uint8_t *out)
{
	struct auth_inputs in = auth_inputs(ike, by_initiator);
	return psk_auth(ike->keys->prf, psk->psk, psk->psk_len, in.first->data, in.first->len, in.nonce->data,
			in.nonce->len, in.sk_p, id_body, id_len, out);
}

/* The octets a side signs (malloc'd, *len bytes), or NULL. */
static uint8_t *signed_octets(const struct ike_sa *ike, bool by_initiator, const uint8_t *id_body, size_t id_len,
			      size_t *len)
{
	struct auth_inputs in = auth_inputs(ike, by_initiator);
	return auth_signed_octets(ike->keys->prf, in.first->data, in.first->len, in.nonce->data, in.nonce->len,
				  in.sk_p, id_body, id_len, len);
}

/* The text of the peer's ID payload of type id_type in m, or false with
 * the reason logged. */
static bool read_peer_id(struct ike_sa *ike, const struct ikev2_msg *m, uint8_t id_type, char *id, size_t len)
{
	const struct ikev2_payload *idp = ikev2_find(m, id_type);
	if (idp == NULL || ikev2_find(m, PT_AUTH) == NULL) {
		ike_log(ike, LL_ERROR, "authentication failed: the peer sent no %s or AUTH payload",
			id_type == PT_IDi ? "IDi" : "IDr");
		return false;
	}
	if (!id_from_wire(idp->body, idp->len, id, len)) {
		ike_log(ike, LL_ERROR, "authentication failed: the peer's ID is of a type this pluto does not support, holds a NUL, reads as an ID of another kind or is over %d bytes",
			IKE_ID_TEXT_MAX - 2);
		return false;
	}
	return true;
}

/* The peer's signature and certificate, for the conn whose other end
 * signs. */
static bool check_peer_signature(struct ike_sa *ike, const struct ikev2_msg *m, const struct ikev2_payload *idp,
				 const struct ikev2_auth *auth, const char *id)
{
	size_t len;
	uint8_t *octets = signed_octets(ike, !ike->initiator, idp->body, idp->len, &len);
	if (octets == NULL) {
		ike_log(ike, LL_ERROR, "out of memory checking the peer's AUTH");
		return false;
	}
	bool ok = ikev2_cert_check_auth(ike, m, auth, id, octets, len);
	free(octets);
	return ok;
}

static void peer_authenticated(struct ike_sa *ike, const char *id)
{
	snprintf(ike->ends.remote_id, sizeof(ike->ends.remote_id), "%s", id);
	ike->peer_authenticated = true;
}

/* Checks the peer's AUTH (of its ID payload id_type) against the PSK of
 * the IKE SA's IDs, or its signature when the conn's other end signs; the
 * peer's ID is id, read by read_peer_id. */
static bool check_peer_auth(struct ike_sa *ike, const struct ikev2_msg *m, uint8_t id_type, const char *id)
{
	const struct ikev2_payload *idp = ikev2_find(m, id_type), *authp = ikev2_find(m, PT_AUTH);
	struct ikev2_auth auth;
	struct diag d;
	diag_init(&d);
	char shown[IKE_ID_SHOWN_MAX];
	if (!ikev2_parse_auth(authp, &auth, &d)) {
		ike_log(ike, LL_ERROR, "authentication failed: the peer's AUTH payload is malformed");
		return false;
	}
	if (authby_signs(ike->ends.remote_auth)) {
		if (!check_peer_signature(ike, m, idp, &auth, id))
			return false;
		peer_authenticated(ike, id);
		return true;
	}
	const struct psk_entry *psk = find_psk(ike, id);
	if (psk == NULL)
		return false;
	if (auth.method != AUTH_SHARED_KEY_MIC) {
		ike_log(ike, LL_ERROR, "authentication failed: the peer uses AUTH method %u; the conn expects of it a pre-shared key (2)",
			auth.method);
		return false;
	}
	uint8_t want[IKE_PRF_MAX];
	bool ok = compute_auth(ike, psk, !ike->initiator, idp->body, idp->len, want) &&
		  auth.len == prf_len(ike->keys->prf) && same_bytes(auth.data, want, auth.len);
	explicit_bzero(want, sizeof(want));
	if (!ok) {
		ike_log(ike, LL_ERROR, "authentication failed: the peer's AUTH does not match the pre-shared key for '%s' (do the PSKs differ?)",
			id_shown(id, shown, sizeof(shown)));
		return false;
	}
	snprintf(ike->peer_auth, sizeof(ike->peer_auth), "a pre-shared key");
	peer_authenticated(ike, id);
	return true;
}

/* Whether the conn takes any ID of the peer: %any, or %fromcert (the
 * one its certificate proves). */
static bool any_peer_id(const char *remote_id)
{
	enum id_kind k = id_classify(remote_id, NULL);
	return k == ID_KIND_ANY || k == ID_KIND_FROMCERT;
}

/* The initiator: the responder's ID must be the one the conn expects. */
static bool authenticate_responder(struct ike_sa *ike, const struct ikev2_msg *m)
{
	char id[IKE_ID_TEXT_MAX], shown[IKE_ID_SHOWN_MAX], expected[IKE_ID_SHOWN_MAX];
	if (!read_peer_id(ike, m, PT_IDr, id, sizeof(id)))
		return false;
	if (!any_peer_id(ike->ends.remote_id) && !id_eq(ike->ends.remote_id, id)) {
		ike_log(ike, LL_ERROR, "authentication failed: the peer says it is '%s', the conn expects '%s'",
			id_shown(id, shown, sizeof(shown)), id_shown(ike->ends.remote_id, expected, sizeof(expected)));
		return false;
	}
	return check_peer_auth(ike, m, PT_IDr, id);
}

/* Our CERT, CERTREQ and AUTH payloads when we sign. */
static bool add_signature(struct ike_sa *ike, struct ikev2_builder *b, const uint8_t *id_body, size_t id_len)
{
	size_t len;
	uint8_t *octets = signed_octets(ike, ike->initiator, id_body, id_len, &len);
	bool ok = octets != NULL && ikev2_cert_add_auth(ike, b, octets, len);
	free(octets);
	return ok;
}

/* Our ID and AUTH payloads (and the certificate payloads that go with a
 * signature). */
static bool add_id_and_auth(struct ike_sa *ike, struct ikev2_builder *b, uint8_t id_type)
{
	uint8_t body[4 + IKE_DN_DER_MAX], auth[IKE_PRF_MAX];
	size_t len;
	if (!id_to_wire(ike->ends.local_id, body, sizeof(body), &len)) {
		char shown[IKE_ID_SHOWN_MAX];
		ike_log(ike, LL_ERROR, "cannot send '%s' as an IKE identity",
			id_shown(ike->ends.local_id, shown, sizeof(shown)));
		return false;
	}
	if (authby_signs(ike->ends.local_auth)) {
		ikev2_add(b, id_type, body, len);
		return add_signature(ike, b, body, len);
	}
	const struct psk_entry *psk = find_psk(ike, ike->ends.remote_id);
	if (psk == NULL || !compute_auth(ike, psk, ike->initiator, body, len, auth))
		return false;
	ikev2_add(b, id_type, body, len);
	ikev2_cert_add_request(ike, b);
	ikev2_add_auth(b, AUTH_SHARED_KEY_MIC, auth, prf_len(ike->keys->prf));
	explicit_bzero(auth, sizeof(auth));
	return true;
}

/* A peer that starts a new IKE SA of a conn and authenticates as the same
 * ID has lost the old one it started (it restarted, or its Delete was
 * lost): as libreswan's uniqueids=yes does, the old SA and its child go,
 * so the new child's policies can take their place. Only SAs the peer
 * started are replaced, so crossing initiations from both ends do not
 * delete each other. */
static void replace_older(struct ike_sa *ike)
{
	const char *name = ike->c->config->name;
	struct ike_sa *old = ike_sa_next_of_conn(NULL, name);
	while (old != NULL) {
		struct ike_sa *next = ike_sa_next_of_conn(old, name);
		if (old != ike && !old->initiator && !ike->initiator && old->state == IKE_ESTABLISHED &&
		    address_eq(&old->ends.remote, &ike->ends.remote) && id_eq(old->ends.remote_id, ike->ends.remote_id)) {
			ike_log(old, LL_INFO, "the peer started IKE SA #%u in its place; deleting this one", ike->serial);
			old->attempt_over = true;
			ikev2_send_delete(old, 1);
		}
		old = next;
	}
}

/* Whether a tunnel (its child, or one it replaced) or a routed conn's
 * trap holds reqid r. */
static bool reqid_in_use(uint32_t r)
{
	for (const struct ike_sa *s = ike_sa_first(); s != NULL; s = s->next) {
		for (unsigned k = 0; k < s->ntunnels; k++) {
			const struct tunnel *t = &s->tunnels[k];
			if (t->child.reqid == r)
				return true;
			for (size_t i = 0; i < CHILD_RETIRING_MAX; i++)
				if (t->retiring[i].serial != 0 && t->retiring[i].reqid == r)
					return true;
		}
	}
	for (const struct connection *c = conn_first(); c != NULL; c = c->next)
		if (c->reqid == r)
			return true;
	return false;
}

/* A reqid of pluto's range (below PROBE_REQID, which stays the probes')
 * that no live tunnel holds: rekeys keep a tunnel's for its whole life,
 * and two tunnels of one reqid would share their updown record. */
uint32_t ikev2_free_reqid(unsigned serial)
{
	const uint32_t range = PROBE_REQID - PLUTO_REQID_MIN;
	for (uint32_t i = 0; i < range; i++) {
		uint32_t r = PLUTO_REQID_MIN + (serial + i) % range;
		if (!reqid_in_use(r))
			return r;
	}
	return PLUTO_REQID_MIN + serial % range;	/* all taken: cannot happen below the SA caps */
}

/* Both ends authenticated: the IKE SA is up, each of its tunnels gets a
 * reqid, and IKE_AUTH's child, of the tunnel of the pair numbered pair, a
 * serial. That tunnel, or NULL when out of memory. */
static struct tunnel *established(struct ike_sa *ike, unsigned pair)
{
	char peer[ADDRESS_STR_MAX], id[IKE_ID_SHOWN_MAX];
	ike_sa_set_state(ike, IKE_ESTABLISHED);
	ike_log(ike, LL_INFO, "established IKE SA with %s; authenticated peer '%s' with %s",
		ikev2_peer_text(ike, peer), id_shown(ike->ends.remote_id, id, sizeof(id)), ike->peer_auth);
	if ((ike->tunnels == NULL && !ike_sa_make_tunnels(ike)) || pair >= ike->ntunnels) {
		ike_log(ike, LL_ERROR, "out of memory for the IKE SA's tunnels");
		return NULL;
	}
	struct tunnel *t = &ike->tunnels[pair];
	t->child.serial = next_serial();
	for (unsigned k = 0; k < ike->ntunnels; k++)
		ike->tunnels[k].child.reqid = ikev2_free_reqid(t->child.serial + k);
	replace_older(ike);
	ikev2_liveness_start(ike);
	ikev2_rekey_schedule_ike(ike);
	natt_keepalive_start(ike);
	return t;
}

/* INITIAL_CONTACT speaks for the pair of authenticated identities (RFC
 * 7296 2.4): the peer's, and ours. A peer with tunnels to two of our
 * addresses, each its own ID, has two such pairs. */
static bool same_peer(const struct ike_sa *a, const struct ike_sa *b)
{
	return address_eq(&a->ends.remote, &b->ends.remote) && id_eq(a->ends.remote_id, b->ends.remote_id) &&
	       id_eq(a->ends.local_id, b->ends.local_id);
}

/* Whether old was established before ike began (its IKE_SA_INIT came
 * in): serials count up across IKE and child SAs, and the child's is
 * drawn when its IKE SA is established. */
static bool established_before(const struct ike_sa *old, const struct ike_sa *ike)
{
	for (unsigned k = 0; k < old->ntunnels; k++) {
		if (old->tunnels[k].child.serial != 0 && old->tunnels[k].child.serial < ike->serial)
			return true;
	}
	return false;
}

/* The peer's INITIAL_CONTACT (RFC 7296 2.4): it has no other IKE SA with
 * us (it restarted), so whatever we still hold with it from before is
 * stale and goes, without a word to it. Only from before: a peer bringing
 * up several conns at once sends INITIAL_CONTACT in each, and the SAs it
 * made since it started afresh are not stale. */
static void forget_stale(struct ike_sa *ike)
{
	struct ike_sa *old = ike_sa_first();
	while (old != NULL) {
		struct ike_sa *next = old->next;
		if (old != ike && old->peer_authenticated && same_peer(old, ike) && established_before(old, ike)) {
			ike_log(old, LL_INFO, "the peer started afresh (INITIAL_CONTACT in IKE SA #%u): dropping this stale SA",
				ike->serial);
			old->attempt_over = true;
			child_sa_remove(old);
			ike_sa_free(old, 1);
		}
		old = next;
	}
}

/* Whether ours is the first IKE SA with this peer (since pluto started, or
 * since the last one went): then IKE_AUTH says INITIAL_CONTACT. */
static bool first_contact(const struct ike_sa *ike)
{
	for (const struct ike_sa *other = ike_sa_first(); other != NULL; other = other->next) {
		if (other != ike && other->peer_authenticated && address_eq(&other->ends.remote, &ike->ends.remote))
			return false;
	}
	return true;
}

static void log_child_up(struct ike_sa *ike, const struct tunnel *t)
{
	char summary[512];
	child_log(ike, t, &t->child, LL_INFO, "IPsec SA established %s mode %s", t->child.transport ? "transport" : "tunnel",
		  child_sa_summary(&t->child, summary, sizeof(summary)));
}

/* Installs IKE_AUTH's child, of tunnel t; its diagnostics logged, -errno
 * when refused. */
static int install_child(struct ike_sa *ike, struct tunnel *t)
{
	struct diag notes;
	diag_init(&notes);
	int r = child_sa_install(ike, t, &t->child, NULL, CHILD_WITH_POLICIES, &notes);
	child_log_lines(ike, t, &t->child, r == 0 ? LL_WARN : LL_ERROR, &notes);
	t->ever_up |= r == 0;
	return r;
}

/* The tunnels IKE_AUTH did not carry: a child each, over CREATE_CHILD_SA,
 * one exchange at a time. */
static void want_other_children(struct ike_sa *ike, const struct tunnel *auth)
{
	for (unsigned k = 0; k < ike->ntunnels; k++)
		ike->tunnels[k].want_rekey |= &ike->tunnels[k] != auth;
	ikev2_send_next(ike);
}

/* ---- initiator ---- */

struct auth_request_arg {
	bool ok;
};

static void inner_auth_request(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	struct auth_request_arg *a = arg;
	a->ok = add_id_and_auth(ike, b, PT_IDi);
	if (!a->ok)
		return;
	if (first_contact(ike))
		ikev2_add_notify(b, 0, NULL, 0, N_INITIAL_CONTACT, NULL, 0);
	static struct alg_proposals esp;
	struct tunnel *t = &ike->tunnels[0];
	ikev2_add_child_request(ike, t, &t->child, ikev2_child_proposals(ike, t, DH_NONE, &esp), b);
}

void ikev2_send_auth_request(struct ike_sa *ike)
{
	static uint8_t out[IKEV2_MSG_MAX];
	struct auth_request_arg a = { false };
	/* IKE_AUTH carries the first pair's child */
	size_t n = ike_sa_make_tunnels(ike) ?
		ikev2_build_encrypted(ike, IKE_AUTH, false, ike->next_msgid, inner_auth_request, &a, out, sizeof(out)) : 0;
	if (!a.ok || n == 0) {
		ikev2_fail(ike);
		return;
	}
	ike_sa_set_state(ike, IKE_I_AUTH_SENT);
	ikev2_send_request(ike, out, n);
	ike_log(ike, LL_INFO, "sent IKE_AUTH request (%s)", alg_ike_name(&ike->ike_alg, (char[ALG_NAME_MAX]){0}));
}

void ikev2_auth_response_notify(struct ike_sa *ike, struct ikev2_rx *rx)
{
	struct ikev2_notify n;
	char peer[ADDRESS_STR_MAX];
	if (ikev2_error_notify(&rx->m, &n) != NULL && n.type == N_AUTHENTICATION_FAILED)
		ike_log(ike, LL_ERROR, "%s rejected our authentication (AUTHENTICATION_FAILED): check the %s and IDs on both ends",
			ikev2_peer_text(ike, peer),
			authby_signs(ike->ends.local_auth) ? "certificates, their CAs" : "pre-shared keys");
	else if (ikev2_error_notify(&rx->m, &n) != NULL)
		ike_log(ike, LL_ERROR, "%s refused IKE_AUTH: %s", ikev2_peer_text(ike, peer), ikev2_notify_name(n.type));
	else
		ike_log(ike, LL_ERROR, "the IKE_AUTH response has neither IDr and AUTH nor an error");
	ikev2_fail(ike);
}

void ikev2_auth_response(struct ike_sa *ike, struct ikev2_rx *rx)
{
	struct ikev2_notify n;
	char peer[ADDRESS_STR_MAX];
	if (!authenticate_responder(ike, &rx->m)) {
		ikev2_send_delete(ike, 1);
		return;
	}
	ike_keys_auth_done(ike->keys);	/* both AUTHs are done */
	struct tunnel *t = established(ike, 0);
	if (t == NULL) {
		ikev2_send_delete(ike, 1);
		return;
	}
	if (ikev2_error_notify(&rx->m, &n) != NULL) {
		child_log(ike, t, &t->child, LL_ERROR, "the peer refused the child SA: %s", ikev2_notify_name(n.type));
		ikev2_send_delete(ike, 1);
		return;
	}
	static struct alg_proposals esp;
	if (!ikev2_read_child_answer(ike, t, &t->child, ikev2_child_proposals(ike, t, DH_NONE, &esp), &rx->m)) {
		ikev2_send_delete(ike, 1);
		return;
	}
	int r = install_child(ike, t);
	if (r != 0) {
		child_log(ike, t, &t->child, LL_ERROR, "IPsec SA not installed; deleting the IKE SA so %s keeps no SA either",
			  ikev2_peer_text(ike, peer));
		ike->failure_kind = retry_kind_of_install(r);
		ikev2_send_delete(ike, 1);
		return;
	}
	ike->attempt_over = true;
	if (!ike->c->unloaded)
		conn_forget_failures(ike->c);
	log_child_up(ike, t);
	logger_whack_done(&ike->log, 0);
	want_other_children(ike, t);
}

/* ---- responder ---- */

/* The conn of a responder's IKE SA was chosen at IKE_SA_INIT by the two
 * addresses alone. At IKE_AUTH the peer's IDs choose among the conns
 * between those addresses (RFC 7296 2.9; libreswan switches conns the
 * same way), before its AUTH is checked, so the PSK is the one for the
 * IDs of the conn that will carry the tunnel: a conn fits when its other
 * end's ID is the peer's (or %any, with a PSK for the two IDs), and its
 * own ID the one the peer asked for in IDr, if it sent one. Among the
 * conns that fit, a named ID beats %any, and the conn chosen so far beats
 * the rest. Once the peer has authenticated, its traffic selectors choose
 * among the conns that fit with the same IDs on our side. */
struct conn_fit {
	const struct ike_sa *ike;	/* what IKE_SA_INIT agreed must suit the conn too */
	const char *peer_id;		/* IDi as sent */
	const char *our_id;		/* IDr as sent, or the ID the peer authenticated to */
	bool named;			/* this pass takes only a named peer ID */
	const struct ikev2_msg *ts;	/* when set, the traffic selectors must fit too */
};

/* A conn the IKE SA moves to must allow what IKE_SA_INIT agreed under the
 * first one: its algorithms, and NAT-T if that was negotiated. */
static bool suits_init(const struct connection *c, const struct ike_sa *ike)
{
	return alg_proposals_include(c->config->ike_proposals, &ike->ike_alg) &&
	       (!ike->natt.negotiated || natt_wanted(c->config));
}

static bool fits_ids(const struct connection *c, const struct ends *ends, void *arg)
{
	const struct conn_fit *f = arg;
	if (f->our_id != NULL && !id_eq(ends->local_id, f->our_id))
		return false;
	bool fits;
	if (any_peer_id(ends->remote_id))	/* a signature, or a PSK for the two IDs, must prove it */
		fits = !f->named && (authby_signs(ends->remote_auth) ||
				     secrets_find_psk(pluto.secrets, ends->local_id, f->peer_id) != NULL);
	else
		fits = id_eq(ends->remote_id, f->peer_id);
	return fits && (f->ts == NULL || ikev2_ts_fit(f->ts, ends, c->config->narrowing, NULL)) && suits_init(c, f->ike);
}

/* The conn that fits f best (see above), with its ends; NULL for none. */
static struct connection *best_fit(const struct ike_sa *ike, struct conn_fit *f, struct ends *ends)
{
	for (int pass = 0; pass < 2; pass++) {
		f->named = pass == 0;
		if (fits_ids(ike->c, &ike->ends, f)) {
			*ends = ike->ends;
			return ike->c;
		}
		struct connection *c = conn_for_peer_matching(&ike->ends.local, &ike->ends.remote, fits_ids, f, ends);
		if (c != NULL)
			return c;
	}
	return NULL;
}

/* The IKE SA is now of conn c, its ends those given; why goes in the log. */
static void take_conn(struct ike_sa *ike, struct connection *c, const struct ends *ends, const char *why)
{
	bool moved = c != ike->c;
	if (moved)
		ike_log(ike, LL_INFO, "%s are those of conn \"%s\"%s: it takes this IKE SA", why, c->config->name,
			c->instance_text);
	ike->ends = *ends;
	ike_sa_set_conn(ike, c);
	struct logger was = ike->log;	/* the whack following, the first error kept */
	logger_init_instance(&ike->log, c->config->name, c->instance_text, ike->serial);
	ike->log.whack = was.whack;
	ike->log.first_error = was.first_error;
	ike->log.first_error_len = was.first_error_len;
	if (moved)
		natt_conn_changed(ike);
}

/* Chooses the conn by the peer's IDs, before its AUTH is checked; false
 * (logged) when none fits. */
static bool take_conn_of_ids(struct ike_sa *ike, const char *peer_id, const char *our_id)
{
	struct conn_fit f = { .ike = ike, .peer_id = peer_id, .our_id = our_id };
	struct ends ends;
	struct connection *c = best_fit(ike, &f, &ends);
	if (c == NULL) {
		char peer[ADDRESS_STR_MAX], ours[ADDRESS_STR_MAX], shown[IKE_ID_SHOWN_MAX], asked[IKE_ID_SHOWN_MAX];
		char alg[ALG_NAME_MAX];
		ike_log(ike, LL_ERROR, "authentication failed: no conn from %s to %s fits the peer's ID '%s'%s%s%s (and allows %s%s)",
			address_str(&ike->ends.remote, peer), address_str(&ike->ends.local, ours),
			id_shown(peer_id, shown, sizeof(shown)), our_id != NULL ? " with our ID '" : "",
			our_id != NULL ? id_shown(our_id, asked, sizeof(asked)) : "", our_id != NULL ? "'" : "",
			alg_ike_name(&ike->ike_alg, alg), ike->natt.negotiated ? " with NAT-T" : "");
		return false;
	}
	take_conn(ike, c, &ends, "the peer's IDs");
	return true;
}

/* The authenticated peer's traffic selectors choose among the conns that
 * fit its IDs; none fitting leaves the conn as it is (and the child is
 * refused with TS_UNACCEPTABLE). */
static void take_conn_of_request(struct ike_sa *ike, const struct ikev2_msg *m)
{
	if (ikev2_ts_fit(m, &ike->ends, ike->c->config->narrowing, NULL))
		return;
	struct conn_fit f = { .ike = ike, .peer_id = ike->ends.remote_id, .our_id = ike->ends.local_id, .ts = m };
	struct ends ends;
	struct connection *c = best_fit(ike, &f, &ends);
	if (c == NULL || c == ike->c)
		return;
	snprintf(ends.remote_id, sizeof(ends.remote_id), "%s", ike->ends.remote_id);	/* as authenticated */
	take_conn(ike, c, &ends, "the peer's traffic selectors");
}

/* A conn other than the IKE SA's (nor one of its name: a replaced one's
 * successor), and no template: its tunnels may join the IKE SA when its
 * IDs are those the IKE SA authenticated, as the conn switch finds them
 * (fits_ids), with a PSK both ways as every conn here has. */
/* Whether ends would authenticate both sides as ike's did: the same
 * authby= each way (a PSK, or a signature), and for our signature the
 * same certificate. */
static bool same_auth(const struct ends *ends, const struct ike_sa *ike)
{
	const char *ours = ends->local_cert != NULL ? ends->local_cert : "", *its = ike->ends.local_cert;
	return ends->remote_auth == ike->ends.remote_auth && ends->local_auth == ike->ends.local_auth &&
	       (!authby_signs(ends->local_auth) || strcmp(ours, its != NULL ? its : "") == 0);
}

static bool fits_other_conn(const struct connection *c, const struct ends *ends, void *arg)
{
	const struct conn_fit *f = arg;
	return c != f->ike->c && strcmp(c->config->name, f->ike->c->config->name) != 0 && !conn_is_template(c) &&
	       same_auth(ends, f->ike) && fits_ids(c, ends, arg);
}

struct connection *ikev2_other_conn_for_child(const struct ike_sa *ike, const struct ikev2_msg *m,
					      struct ends *ends, unsigned *pair)
{
	struct conn_fit f = { .ike = ike, .peer_id = ike->ends.remote_id, .our_id = ike->ends.local_id, .ts = m };
	for (int pass = 0; pass < 2; pass++) {
		f.named = pass == 0;
		struct connection *c = conn_for_peer_matching(&ike->ends.local, &ike->ends.remote, fits_other_conn,
							      &f, ends);
		if (c != NULL) {
			snprintf(ends->remote_id, sizeof(ends->remote_id), "%s", ike->ends.remote_id);	/* as authenticated */
			ikev2_ts_fit(m, ends, c->config->narrowing, pair);
			return c;
		}
	}
	return NULL;
}

struct ike_sa *ikev2_ike_sa_to_join(const struct connection *c)
{
	for (struct ike_sa *ike = ike_sa_first(); ike != NULL; ike = ike->next) {
		if (ike->state == IKE_ESTABLISHED && ike->replaced_by == 0 && ike->peer_authenticated &&
		    strcmp(ike->c->config->name, c->config->name) != 0 &&
		    address_eq(&ike->ends.local, &c->ends.local) && address_eq(&ike->ends.remote, &c->ends.remote) &&
		    id_eq(ike->ends.local_id, c->ends.local_id) && id_eq(ike->ends.remote_id, c->ends.remote_id) &&
		    same_auth(&c->ends, ike) && suits_init(c, ike))
			return ike;
	}
	return NULL;
}

/* A peer on a template conn (right=%any) gets an instance of its own. */
static bool instantiate(struct ike_sa *ike)
{
	if (!conn_is_template(ike->c))
		return true;
	struct connection *inst = conn_instantiate(ike->c, &ike->ends);
	if (inst == NULL) {
		ike_log(ike, LL_ERROR, "out of memory making an instance of the conn");
		return false;
	}
	struct ends ends = ike->ends;
	take_conn(ike, inst, &ends, "the peer's address and ID");
	conn_unref(inst);	/* the IKE SA's reference is the one it lives by */
	return true;
}

/* The peer's ID (IDi, and IDr if it sent one) chooses the conn; then its
 * AUTH is checked against that conn's PSK. */
static bool authenticate_initiator(struct ike_sa *ike, const struct ikev2_msg *m)
{
	ikev2_cert_read(ike, m);	/* its CERTREQ */
	char id[IKE_ID_TEXT_MAX], our_id[IKE_ID_TEXT_MAX];
	if (!read_peer_id(ike, m, PT_IDi, id, sizeof(id)))
		return false;
	const struct ikev2_payload *idr = ikev2_find(m, PT_IDr);
	if (idr != NULL && !id_from_wire(idr->body, idr->len, our_id, sizeof(our_id))) {
		ike_log(ike, LL_ERROR, "authentication failed: the ID the peer asks us to be (IDr) is of a type this pluto does not support");
		return false;
	}
	return take_conn_of_ids(ike, id, idr != NULL ? our_id : NULL) && check_peer_auth(ike, m, PT_IDi, id);
}

struct auth_response_arg {
	const struct child_sa *child;
	const struct ikev2_sa_payload *chosen;	/* NULL: the child failed */
	uint16_t child_error;
	bool ok;
};

static void inner_auth_response(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	struct auth_response_arg *a = arg;
	a->ok = add_id_and_auth(ike, b, PT_IDr);
	if (!a->ok)
		return;
	if (a->chosen == NULL)
		ikev2_add_notify(b, 0, NULL, 0, a->child_error, NULL, 0);
	else
		ikev2_add_child_answer(ike, a->child, b, a->chosen);
}

/* The child the initiator asked for, of tunnel t, installed; 0 or the
 * notify to answer. */
static uint16_t responder_child(struct ike_sa *ike, struct tunnel *t, const struct ikev2_msg *m,
				struct ikev2_sa_payload *chosen)
{
	static struct alg_proposals esp;
	if (ike->ntunnels > 1)	/* the pair the selectors fit, not the first */
		ikev2_child_pair_selectors(t, &t->child);
	uint16_t err = ikev2_choose_child(ike, t, &t->child, ikev2_child_proposals(ike, t, DH_NONE, &esp), m, chosen);
	if (err != 0)
		return err;
	/* NAT made its SAs ones the NIC cannot take (natt.h), and software is refused. */
	int r = ike->natt.offload_refused ? -EOPNOTSUPP : install_child(ike, t);
	struct connection *c = ike->c;
	if (r != 0) {
		child_log(ike, t, &t->child, LL_ERROR, "IPsec SA not installed; answering NO_PROPOSAL_CHOSEN");
		/* Kept for --status; the initiator decides whether to try again. */
		if (!c->unloaded)
			retry_note(&c->retry, retry_kind_of_install(r), ike->failure, time(NULL));
		return N_NO_PROPOSAL_CHOSEN;
	}
	if (!c->unloaded)
		conn_forget_failures(c);
	return 0;
}

void ikev2_auth_request(struct ike_sa *ike, struct ikev2_rx *rx)
{
	if (!authenticate_initiator(ike, &rx->m)) {
		ikev2_respond_notify(ike, rx, N_AUTHENTICATION_FAILED, NULL, 0);
		ikev2_fail(ike);
		return;
	}
	take_conn_of_request(ike, &rx->m);
	if (!instantiate(ike)) {
		ikev2_respond_notify(ike, rx, N_AUTHENTICATION_FAILED, NULL, 0);
		ikev2_fail(ike);
		return;
	}
	if (ikev2_has_notify(&rx->m, N_INITIAL_CONTACT))
		forget_stale(ike);
	unsigned pair = 0;	/* none fitting: the first refuses it (TS_UNACCEPTABLE) */
	ikev2_ts_fit(&rx->m, &ike->ends, ike->c->config->narrowing, &pair);
	struct tunnel *t = established(ike, pair);
	if (t == NULL) {
		ikev2_respond_notify(ike, rx, N_AUTHENTICATION_FAILED, NULL, 0);
		ikev2_fail(ike);
		return;
	}
	static struct ikev2_sa_payload chosen;
	struct auth_response_arg a = { .child = &t->child, .chosen = &chosen };
	a.child_error = responder_child(ike, t, &rx->m, &chosen);
	if (a.child_error != 0)
		a.chosen = NULL;
	static uint8_t out[IKEV2_MSG_MAX];
	size_t n = ikev2_build_encrypted(ike, IKE_AUTH, true, rx->m.hdr.msgid, inner_auth_response, &a, out, sizeof(out));
	ike_keys_auth_done(ike->keys);	/* our AUTH is in the response */
	if (!a.ok || n == 0) {
		ikev2_fail(ike);
		return;
	}
	ikev2_send_response(ike, rx, out, n);
	if (t->child.installed)
		log_child_up(ike, t);
}
