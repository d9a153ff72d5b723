/* nssdb.h: ipsec initnss, checknss, import and listcerts: pluto's NSS
 * database (libreswan's sql: format, default IPSEC_NSSDIR), kept with
 * NSS's own tools, certutil and pk12util (Debian's libnss3-tools), as
 * libreswan's ipsec does. Each returns the exit status for ipsec, having
 * said on stderr what went wrong. */
#ifndef NSSDB_H
#define NSSDB_H

/* A new database; an error when one is there already. With no password,
 * unless pwfile (not NULL) names an NSS password file (nss_password.h):
 * then with the password of its "NSS Certificate DB" line (certutil -f). */
int nssdb_init(const char *dir, const char *pwfile);
/* The database made when missing (no password), else checked that NSS
 * opens it (listing needs no password). */
int nssdb_check(const char *dir);
/* pk12util imports file (a PKCS #12 bundle: certificate, key, chain);
 * extra words go to pk12util (-W PASSWORD, for a script). A database
 * locked by a password gets it from pwfile, when not NULL (pk12util -k
 * reads the NSS password file's TOKEN:PASSWORD lines itself). */
int nssdb_import(const char *dir, const char *pwfile, const char *file, char *const *extra, int nextra);
/* certutil lists the certificates with their nicknames and trust. */
int nssdb_list(const char *dir);

#endif
