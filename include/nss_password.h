/* nss_password.h: libreswan's NSS password file (/etc/ipsec.d/nsspassword
 * by default): the password of each NSS token that needs one, a line
 * each, `TOKEN:PASSWORD`. TOKEN is the token's name as NSS gives it ("NSS
 * Certificate DB" for a database's keys; "NSS FIPS 140-2 Certificate DB"
 * when NSS runs in FIPS mode); the password is the rest of the line, to
 * its end (it may hold ':', '#' and blanks). Blank lines and lines whose
 * first non-blank character is '#' are comments. The NSS tools read the
 * same file (certutil -f, pk12util -k).
 *
 * The file is read all-or-nothing: a line that is none of these is an
 * error naming file and line, and then no password is taken from it.
 * Errors never show a password. The password found is in key memory
 * (secmem.h), and every buffer that held the file is wiped. */
#ifndef NSS_PASSWORD_H
#define NSS_PASSWORD_H

#include <stddef.h>
#include "diag.h"

enum nss_password_found {
	NSS_PASSWORD_FOUND,	/* *password set: free with nss_password_free */
	NSS_PASSWORD_NO_FILE,	/* the file does not exist */
	NSS_PASSWORD_NO_TOKEN,	/* the file has no line for the token */
	NSS_PASSWORD_ERROR,	/* cannot be read, or has errors: lines in d */
};

/* The password for token in the file at path; on the first line that
 * names it (later ones are ignored). warnings (may be NULL) gets a line
 * when the file is exposed (secret_file.h). The password is
 * NUL-terminated. */
enum nss_password_found nss_password_find(const char *path, const char *token, char **password,
					  struct diag *d, struct diag *warnings);
/* Wipes and frees a password nss_password_find returned; NULL is fine. */
void nss_password_free(char *password);

#endif
