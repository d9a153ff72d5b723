/* ipsec_id.h: the IKE identities users write in leftid=/rightid= and in
 * ipsec.secrets, kept as text: an IP address, @fqdn, user@fqdn, a
 * Distinguished Name in RFC 4514's text form ("CN=east, O=Example, C=CA",
 * most specific first), %fromcert (the subject of the end's certificate)
 * or %any. */
#ifndef IPSEC_ID_H
#define IPSEC_ID_H

#include <stdbool.h>

enum id_kind {
	ID_KIND_INVALID,
	ID_KIND_ANY,		/* %any */
	ID_KIND_ADDRESS,	/* 192.0.2.1, 2001:db8::1 */
	ID_KIND_FQDN,		/* @host.example.com */
	ID_KIND_USER_FQDN,	/* user@example.com */
	ID_KIND_DN,		/* CN=east, O=Example */
	ID_KIND_FROMCERT,	/* %fromcert */
};

/* The kind of s; for ID_KIND_INVALID, *why (when why is not NULL) says
 * what is wrong in words a user can act on. */
enum id_kind id_classify(const char *s, const char **why);

/* The same identity: addresses compare by value, @fqdn and user@fqdn
 * case-insensitively, DNs case-insensitively and regardless of spaces
 * around ',', '+' and '='; %any equals only %any, %fromcert only
 * %fromcert; invalid ids equal nothing. */
bool id_eq(const char *a, const char *b);

#endif
