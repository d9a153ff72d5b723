/* nss_start.c: see nss_start.h. */
#include <limits.h>
#include <stdio.h>
#include "ike_crypto.h"
#include "ipsecconf.h"
#include "log.h"
#include "nss_password.h"
#include "nss_start.h"
#include "pluto.h"

#define LINE_MAX_LEN (2 * PATH_MAX + 512)

/* "its 2 certificates can be listed but its keys not used; ...": what a
 * locked database still gives. */
static void locked_tail(const struct nss_db_open *db, char *buf, size_t len)
{
	snprintf(buf, len, ": its %u certificate%s can be listed but its keys not used; pre-shared keys only",
		 db->certs, db->certs == 1 ? "" : "s");
}

/* Logs the key token in with its password from the file; the rest of the
 * database's line (after its name) into out. True when it is unlocked. */
static bool unlock(const struct nss_db_open *db, char *out, size_t len)
{
	const char *file = pluto.nsspassword_path;
	char token[256], tail[128];
	locked_tail(db, tail, sizeof(tail));
	if (!ike_crypto_key_token(token, sizeof(token))) {
		snprintf(out, len, "needs a password, but NSS names no token for its keys%s", tail);
		return false;
	}
	struct diag errors, warnings;
	diag_init(&errors);
	diag_init(&warnings);
	char *password;
	enum nss_password_found found = nss_password_find(file, token, &password, &errors, &warnings);
	llog_lines(LL_WARN, &warnings);
	llog_lines(LL_ERROR, &errors);
	switch (found) {
	case NSS_PASSWORD_NO_FILE:
		snprintf(out, len, "needs a password for token '%s', but there is no %s (one line %s:PASSWORD)%s",
			 token, file, token, tail);
		return false;
	case NSS_PASSWORD_NO_TOKEN:
		snprintf(out, len, "needs a password for token '%s', but %s has no line for it (%s:PASSWORD)%s",
			 token, file, token, tail);
		return false;
	case NSS_PASSWORD_ERROR:
		snprintf(out, len, "needs a password for token '%s', but %s cannot be used (the errors above)%s", token,
			 file, tail);
		return false;
	case NSS_PASSWORD_FOUND:
		break;
	}
	const char *why = NULL;
	bool ok = ike_crypto_login(password, &why);
	nss_password_free(password);
	if (ok)
		snprintf(out, len, "opened: %u certificate%s; the password for token '%s' from %s was accepted",
			 db->certs, db->certs == 1 ? "" : "s", token, file);
	else
		snprintf(out, len, "needs a password for token '%s', and the one in %s is wrong (%s)%s", token, file,
			 why, tail);
	return ok;
}

/* What became of the database once NSS is set up, for its line after
 * its name; true when its keys can be used. */
static bool describe(const struct nss_db_open *db, char *rest, size_t len)
{
	bool usable = false;
	switch (db->state) {
	case NSS_DB_MISSING:
		snprintf(rest, len, "is missing (no cert9.db; run ipsec initnss): no certificates, pre-shared keys only");
		break;
	case NSS_DB_UNREADABLE:
		snprintf(rest, len, "cannot be opened (%s): no certificates, pre-shared keys only", db->nss_error);
		break;
	case NSS_DB_OPEN:
		snprintf(rest, len, "opened: %u certificate%s", db->certs, db->certs == 1 ? "" : "s");
		usable = true;
		break;
	case NSS_DB_LOCKED:
		usable = unlock(db, rest, len);
		break;
	}
	return usable;
}

/* fips=yes that is not FIPS would be worse than none: no start. */
static bool enter_fips(struct diag *d)
{
	struct diag why;
	diag_init(&why);
	if (ike_crypto_enter_fips(&why))
		return true;
	diag_add(d, "fips=yes: NSS cannot enter FIPS mode: %s; not starting", diag_oneline(&why, "no reason given"));
	return false;
}

bool nss_start(struct diag *d)
{
	struct nss_db_open db;
	if (!ike_crypto_init_db(pluto.nssdir, &db, d))
		return false;
	bool fips = pluto.conf->setup.fips;
	/* FIPS mode first: it swaps the key slot for its FIPS twin, a token
	 * of another name, which is the one to log in. */
	if (fips && !enter_fips(d))
		return false;
	char rest[LINE_MAX_LEN];
	bool usable = describe(&db, rest, sizeof(rest));
	llog(usable ? LL_INFO : LL_WARN, "NSS database %s %s", pluto.nssdir, rest);
	if (fips)
		llog(LL_INFO, "fips=yes: NSS is in FIPS mode (%s)",
		     db.state == NSS_DB_OPEN || db.state == NSS_DB_LOCKED ? "on its database" : "its internal module");
	return true;
}
