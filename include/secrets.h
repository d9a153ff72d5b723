/* secrets.h: ipsec.secrets, PSK entries, loaded all-or-nothing.
 *
 * Entries look like `ID ID : PSK "secret"` (IDs: addresses, @fqdn,
 * user@fqdn, %any; none means %any %any), with `include` globs, comments and
 * 0x hex secrets. Errors name file and line, never the secret. The secret
 * bytes live in key memory (secmem.h: kept out of core dumps and swap) and
 * are wiped when freed; a PSK longer than SECMEM_MAX is an error. */
#ifndef SECRETS_H
#define SECRETS_H

#include <stddef.h>
#include <stdint.h>
#include "diag.h"

struct psk_entry {
	char **ids;		/* as written, "%any" included */
	size_t nids;
	uint8_t *psk;
	size_t psk_len;
	char *file;
	int line;
};

struct secrets {
	struct psk_entry *entries;
	size_t n;
};

struct secrets *secrets_load(const char *path, struct diag *d);
/* secrets_load, and a line in warnings for each file read (includes too)
 * that group or others may read or write: naming it, its mode and the
 * chmod that fixes it. Such a file is loaded all the same. */
struct secrets *secrets_load_warn(const char *path, struct diag *d, struct diag *warnings);
void secrets_free(struct secrets *s);	/* wipes every secret */

/* The PSK for a pair of ids, chosen as libreswan does: an entry naming both
 * ids beats one naming one of them with %any, which beats %any %any; among
 * equals, the first in the file. Ids compare as written after normalising
 * (addresses by value, @fqdn and user@fqdn case-insensitively; see
 * ipsec_id.h). An entry with one id means that id and %any, no id means
 * %any %any; an entry that names ids applies only to pairs holding one of
 * them. Either id may be NULL (unknown yet): it matches only %any.
 * NULL when no entry matches. */
const struct psk_entry *secrets_find_psk(const struct secrets *s,
					 const char *local_id, const char *remote_id);

#endif
