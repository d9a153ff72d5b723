/* ike_dos.c: see ike_dos.h. */
#include <stdlib.h>
#include <string.h>
#include "hash_table.h"
#include "ike_crypto.h"
#include "ike_dos.h"
#include "ikev2_msg.h"
#include "log.h"

struct peer_load {
	struct hash_entry entry;
	ip_address addr;		/* an IPv6 address cut to its /64 */
	unsigned halfopen;		/* all of them */
	unsigned verified;		/* those whose cookie came back */
};

struct cookie_secret {
	uint8_t version;
	uint8_t key[2][16];
	time_t made;
	bool set;
};

/* COOKIEs sent, counted in windows of halfopen-ike-timeout. */
struct cookie_rate {
	time_t window_start;
	unsigned this_window, last_window;
};

static struct config_setup limits;
static bool configured;
static struct hash_table peers;
static unsigned total;
static struct cookie_secret current, previous;
static struct cookie_rate sent;
static bool was_busy;
static struct log_limit transitions;	/* a count hovering at the threshold */

void ike_dos_configure(const struct config_setup *setup)
{
	limits = *setup;
	configured = true;
}

const struct config_setup *ike_dos_settings(void)
{
	if (!configured) {
		config_setup_defaults(&limits);
		configured = true;
	}
	return &limits;
}

/* One peer for the caps: an address, or for IPv6 its /64, which a
 * single host may be given whole. */
static ip_address peer_key(const ip_address *a)
{
	ip_address k = *a;
	if (k.family == AF_INET6)
		memset(k.bytes + 8, 0, sizeof(k.bytes) - 8);
	return k;
}

static uint64_t addr_hash(const ip_address *k)
{
	return hash_pieces(&k->family, sizeof(k->family), k->bytes, sizeof(k->bytes));
}

static struct peer_load *peer_find(const ip_address *a)
{
	ip_address k = peer_key(a);
	uint64_t h = addr_hash(&k);
	struct peer_load *p;
	HASH_TABLE_FOR_EACH(&peers, h, p, struct peer_load, entry) {
		if (address_eq(&p->addr, &k))
			return p;
	}
	return NULL;
}

void ike_dos_halfopen_add(const ip_address *peer, bool verified)
{
	total++;
	struct peer_load *p = peer_find(peer);
	if (p == NULL) {
		p = calloc(1, sizeof(*p));
		if (p == NULL)
			return;		/* this peer goes uncounted; the total still holds */
		p->addr = peer_key(peer);
		hash_table_add(&peers, &p->entry, addr_hash(&p->addr));
	}
	p->halfopen++;
	p->verified += verified;
}

void ike_dos_halfopen_del(const ip_address *peer, bool verified)
{
	if (total > 0)
		total--;
	struct peer_load *p = peer_find(peer);
	if (p == NULL)
		return;
	if (verified && p->verified > 0)
		p->verified--;
	if (--p->halfopen == 0) {
		hash_table_del(&peers, &p->entry);
		free(p);
	}
}

unsigned ike_dos_halfopen_total(void)
{
	return total;
}

unsigned ike_dos_halfopen_of(const ip_address *peer)
{
	struct peer_load *p = peer_find(peer);
	return p != NULL ? p->halfopen : 0;
}

static void roll_window(time_t now)
{
	time_t len = ike_dos_settings()->halfopen_ike_timeout;
	if (now - sent.window_start < len && now >= sent.window_start)
		return;
	sent.last_window = now - sent.window_start < 2 * len ? sent.this_window : 0;
	sent.this_window = 0;
	sent.window_start = now;
}

bool ike_dos_busy(time_t now)
{
	const struct config_setup *s = ike_dos_settings();
	roll_window(now);
	bool flooded = sent.this_window + sent.last_window >= s->ddos_ike_threshold;
	bool busy = s->ddos_mode == DDOS_BUSY ||
		    (s->ddos_mode == DDOS_AUTO && (total >= s->ddos_ike_threshold || flooded));
	if (busy != was_busy && s->ddos_mode == DDOS_AUTO)
		llog_limited(&transitions, LL_WARN, busy ? "%u half-open IKE SAs (ddos-ike-threshold=%u): IKE_SA_INIT must now carry a cookie"
				   : "%u half-open IKE SAs, below ddos-ike-threshold=%u, and no flood of requests without cookies: IKE_SA_INIT needs no cookie again",
		     total, s->ddos_ike_threshold);
	was_busy = busy;
	return busy;
}

static bool new_secret(struct cookie_secret *s, uint8_t version, time_t now)
{
	s->version = version;
	s->made = now;
	s->set = ike_random(&s->key[0][0], sizeof(s->key));
	return s->set;
}

/* The current secret, renewed when it has served its time. */
static const struct cookie_secret *secret_now(time_t now)
{
	if (!current.set) {
		new_secret(&current, 1, now);
	} else if (now - current.made >= 2 * IKE_COOKIE_SECRET_LIFETIME_S || now < current.made) {
		/* Unused for long: the one before is too old to honour. */
		explicit_bzero(&previous, sizeof(previous));
		new_secret(&current, (uint8_t)(current.version + 1), now);
	} else if (now - current.made >= IKE_COOKIE_SECRET_LIFETIME_S) {
		previous = current;
		new_secret(&current, (uint8_t)(current.version + 1), now);
	}
	return current.set ? &current : NULL;
}

static bool cookie_mac(const struct cookie_secret *s, const ip_address *remote, const uint8_t spi_i[8],
		       const uint8_t *nonce, size_t nonce_len, uint8_t cookie[IKE_COOKIE_LEN])
{
	/* Ni | IPi | SPIi, as RFC 7296 2.6 suggests. */
	uint8_t tail[16 + 8];
	size_t addr_len = remote->family == AF_INET6 ? 16 : 4;
	memcpy(tail, remote->bytes, addr_len);
	memcpy(tail + addr_len, spi_i, 8);
	cookie[0] = s->version;
	for (int k = 0; k < 2; k++) {
		uint64_t mac = siphash24(s->key[k], nonce, nonce_len, tail, addr_len + 8);
		for (int i = 0; i < 8; i++)
			cookie[1 + 8 * k + i] = (uint8_t)(mac >> (56 - 8 * i));
	}
	return true;
}

bool ike_dos_make_cookie(const ip_address *remote, const uint8_t spi_i[8],
			 const uint8_t *nonce, size_t nonce_len, time_t now,
			 uint8_t cookie[IKE_COOKIE_LEN])
{
	const struct cookie_secret *s = secret_now(now);
	return s != NULL && cookie_mac(s, remote, spi_i, nonce, nonce_len, cookie);
}

static bool cookie_valid(const ip_address *remote, const uint8_t spi_i[8], const uint8_t *nonce,
			 size_t nonce_len, const uint8_t *cookie, size_t cookie_len, time_t now)
{
	if (cookie == NULL || cookie_len != IKE_COOKIE_LEN)
		return false;
	if (secret_now(now) == NULL)
		return false;
	const struct cookie_secret *s = cookie[0] == current.version ? &current :
					cookie[0] == previous.version && previous.set ? &previous : NULL;
	uint8_t want[IKE_COOKIE_LEN];
	bool ok = s != NULL && cookie_mac(s, remote, spi_i, nonce, nonce_len, want);
	uint8_t diff = 0;	/* constant time: the MAC is secret-derived */
	for (size_t i = 0; ok && i < IKE_COOKIE_LEN; i++)
		diff |= want[i] ^ cookie[i];
	return ok && diff == 0;
}

enum ike_dos_verdict ike_dos_admit(const ip_address *remote, const uint8_t spi_i[8],
				   const uint8_t *nonce, size_t nonce_len,
				   const uint8_t *cookie, size_t cookie_len, time_t now, bool *verified)
{
	const struct config_setup *s = ike_dos_settings();
	const struct peer_load *p = peer_find(remote);
	unsigned with_cookie = p != NULL ? p->verified : 0;
	unsigned without = p != NULL ? p->halfopen - p->verified : 0;
	/* Half the per-peer share, rounded up: strongSwan's 3 of 5. */
	unsigned peer_cookie_threshold = (s->max_halfopen_ike_per_peer + 1) / 2;
	*verified = cookie != NULL && cookie_valid(remote, spi_i, nonce, nonce_len, cookie, cookie_len, now);
	bool busy = ike_dos_busy(now);
	if (!*verified && s->ddos_mode != DDOS_UNLIMITED && (busy || without >= peer_cookie_threshold)) {
		sent.this_window++;
		return IKE_DOS_SEND_COOKIE;
	}
	if ((*verified ? with_cookie : without) >= s->max_halfopen_ike_per_peer)
		return IKE_DOS_DROP_PEER;
	if (total >= s->max_halfopen_ike)
		return IKE_DOS_DROP_TOTAL;
	return IKE_DOS_ADMIT;
}

void ike_dos_reset(void)
{
	for (size_t i = 0; i < peers.nbuckets; i++) {
		struct hash_entry *e = peers.buckets[i];
		while (e != NULL) {
			struct hash_entry *next = e->next;
			free(HASH_CONTAINER(e, struct peer_load, entry));
			e = next;
		}
	}
	hash_table_free(&peers);
	total = 0;
	was_busy = false;
	memset(&sent, 0, sizeof(sent));
	explicit_bzero(&current, sizeof(current));
	explicit_bzero(&previous, sizeof(previous));
}
