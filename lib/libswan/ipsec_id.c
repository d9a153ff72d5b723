/* ipsec_id.c: classify and compare IKE identities written as text. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "ip_address.h"
#include "ipsec_id.h"

static const char only_supported[] =
	"only IP addresses, @fqdn, user@fqdn, a DN (CN=..., O=...), %fromcert and %any are supported";

static bool has_space(const char *s)
{
	for (; *s != '\0'; s++)
		if (isspace((unsigned char)*s))
			return true;
	return false;
}

static enum id_kind invalid(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return ID_KIND_INVALID;
}

static enum id_kind classify_percent_word(const char *s, const char **why)
{
	if (strcmp(s, "%any") == 0)
		return ID_KIND_ANY;
	if (strcmp(s, "%fromcert") == 0)
		return ID_KIND_FROMCERT;
	return invalid(why, only_supported);
}

/* "@host": libreswan's "@#hex" (key id), "@~" (DER DN) and "@[...]"
 * (raw) forms are certificate or exotic ids we do not speak. */
static enum id_kind classify_fqdn(const char *s, const char **why)
{
	const char *name = s + 1;
	if (*name == '\0')
		return invalid(why, "'@' must be followed by a name");
	if (strchr("#~[", *name) != NULL)
		return invalid(why, "only @fqdn ids are supported after '@' (no @#, @~ or @[ forms)");
	if (strchr(name, '@') != NULL)
		return invalid(why, only_supported);
	return ID_KIND_FQDN;
}

static enum id_kind classify_user_fqdn(const char *s, const char *at, const char **why)
{
	if (at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return invalid(why, "a user@fqdn id needs one '@' with text on both sides");
	return ID_KIND_USER_FQDN;
}

/* "CN=east, O=Example": an attribute type (a name or a dotted OID), '='
 * and the rest; the full RFC 4514 syntax is NSS's to check (pluto turns
 * the text into DER when the conn is added). */
static bool looks_like_dn(const char *s)
{
	size_t type_len = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
	return type_len > 0 && isalpha((unsigned char)s[0]) && s[type_len + strspn(s + type_len, " ")] == '=';
}

enum id_kind id_classify(const char *s, const char **why)
{
	if (s == NULL || *s == '\0')
		return invalid(why, "empty id");
	if (s[0] != '@' && s[0] != '%' && looks_like_dn(s))
		return ID_KIND_DN;
	if (has_space(s) || strchr(s, '=') != NULL)
		return invalid(why, "a DN id starts with an attribute such as CN= or C=; other ids hold no spaces or '='");
	if (s[0] == '%')
		return classify_percent_word(s, why);
	if (s[0] == '@')
		return classify_fqdn(s, why);
	const char *at = strchr(s, '@');
	if (at != NULL)
		return classify_user_fqdn(s, at, why);
	ip_address a;
	if (address_parse(s, &a))
		return ID_KIND_ADDRESS;
	return invalid(why, "only IP addresses, @fqdn, user@fqdn and %any are supported; write a host name as @name");
}

/* The next character of a DN's text that counts in a comparison: spaces
 * beside an unescaped ',', '+' or '=' do not; *p moves past it. '\0' at
 * the end. */
static char dn_next(const char **p, bool *escaped)
{
	const char *s = *p;
	if (!*escaped) {
		const char *t = s + strspn(s, " ");
		if (*t == '\0' || strchr(",+=", *t) != NULL)
			s = t;	/* spaces before a separator, or at the end */
	}
	char c = *s;
	if (c == '\0') {
		*p = s;
		return c;
	}
	s++;
	bool sep = !*escaped && (c == ',' || c == '+' || c == '=');
	*escaped = !*escaped && c == '\\';
	if (sep)
		while (*s == ' ')
			s++;
	*p = s;
	return c;
}

/* RFC 4514 text compared as X.500 matching mostly does: case-insensitively,
 * ignoring spaces around separators. */
static bool dn_eq(const char *a, const char *b)
{
	bool ea = false, eb = false;
	for (;;) {
		char x = dn_next(&a, &ea), y = dn_next(&b, &eb);
		if (tolower((unsigned char)x) != tolower((unsigned char)y))
			return false;
		if (x == '\0')
			return true;
	}
}

bool id_eq(const char *a, const char *b)
{
	enum id_kind ka = id_classify(a, NULL), kb = id_classify(b, NULL);
	if (ka != kb || ka == ID_KIND_INVALID)
		return false;
	switch (ka) {
	case ID_KIND_ANY:
	case ID_KIND_FROMCERT:
		return true;
	case ID_KIND_DN:
		return dn_eq(a, b);
	case ID_KIND_ADDRESS: {
		ip_address x, y;
		return address_parse(a, &x) && address_parse(b, &y) && address_eq(&x, &y);
	}
	case ID_KIND_FQDN:
	case ID_KIND_USER_FQDN:
		return strcasecmp(a, b) == 0;
	default:
		return false;
	}
}
