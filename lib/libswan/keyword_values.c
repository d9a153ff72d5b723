/* keyword_values.c: parse a keyword's value according to its type.
 *
 * Each reason says what was wrong and what would have been right, in the
 * words of ipsec.conf(5), so that the one error line is enough to fix it. */
#include <stdarg.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "ipsec_id.h"
#include "keywords.h"

static bool fail(char why[KW_WHY_MAX], const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(char why[KW_WHY_MAX], const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, KW_WHY_MAX, fmt, ap);
	va_end(ap);
	return false;
}

/* Numbers */

/* Decimal digits only (no sign, no spaces, no 0x): the longest prefix is
 * taken, *end points after it; false when there is none or it overflows. */
/* Digits up to max, and where they end. */
static bool parse_digits_to(const char *s, uint64_t max, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	*end = p;
	return p != s;
}

static bool parse_digits(const char *s, uint64_t *out, const char **end)
{
	return parse_digits_to(s, UINT32_MAX, out, end);
}

static uint64_t duration_unit(char suffix)
{
	switch (suffix) {
	case '\0':
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	default:
		return 0;
	}
}

static void format_duration(uint32_t seconds, char *buf, size_t len)
{
	if (seconds % 86400 == 0 && seconds > 0)
		snprintf(buf, len, "%ud", seconds / 86400);
	else if (seconds % 3600 == 0 && seconds > 0)
		snprintf(buf, len, "%uh", seconds / 3600);
	else if (seconds % 60 == 0 && seconds > 0)
		snprintf(buf, len, "%um", seconds / 60);
	else
		snprintf(buf, len, "%us", seconds);
}

static bool check_range(const struct keyword *kw, uint64_t v, const char *text,
			bool duration, char why[KW_WHY_MAX])
{
	uint64_t max = kw->max ? kw->max : UINT32_MAX;
	if (v >= kw->min && v <= max)
		return true;
	char lo[32], hi[32];
	if (duration) {
		format_duration(kw->min, lo, sizeof(lo));
		format_duration((uint32_t)max, hi, sizeof(hi));
	} else {
		snprintf(lo, sizeof(lo), "%u", kw->min);
		snprintf(hi, sizeof(hi), "%llu", (unsigned long long)max);
	}
	return fail(why, "invalid value '%s' (must be from %s to %s)", text, lo, hi);
}

static bool parse_duration(const struct keyword *kw, const char *text, union kw_value *v,
			   char why[KW_WHY_MAX])
{
	uint64_t n;
	const char *end;
	uint64_t unit = 0;
	if (parse_digits(text, &n, &end) && (end[0] == '\0' || end[1] == '\0'))
		unit = duration_unit(end[0]);
	if (unit == 0)
		return fail(why, "invalid value '%s' (expected a duration: a number of seconds, or a number followed by s, m, h or d)",
			    text);
	if (!check_range(kw, n * unit, text, true, why))
		return false;
	v->number = (uint32_t)(n * unit);
	return true;
}

static bool parse_count(const struct keyword *kw, const char *text, union kw_value *v,
			const char *noun, char why[KW_WHY_MAX])
{
	uint64_t n;
	const char *end;
	if (!parse_digits(text, &n, &end) || (*end != '\0' && !(kw->type == KT_PERCENT && strcmp(end, "%") == 0)))
		return fail(why, "invalid value '%s' (expected %s)", text, noun);
	if (!check_range(kw, n, text, false, why))
		return false;
	v->number = (uint32_t)n;
	return true;
}

/* libreswan's ipsec-max-bytes=/-packets=: binary multiples, KiB or Ki,
 * up to its default of 2^63 (which is no limit to speak of). */
static bool parse_limit(const char *text, union kw_value *v, char why[KW_WHY_MAX])
{
	static const char *const units[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	uint64_t n;
	const char *end;
	if (parse_digits_to(text, UINT64_C(1) << 63, &n, &end) && n > 0) {
		for (unsigned i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t ul = strlen(units[i]);
			if (strncmp(end, units[i], ul) != 0 || !(end[ul] == '\0' || strcmp(end + ul, "B") == 0))
				continue;
			if (n > (UINT64_C(1) << 63) >> (10 * i))
				break;
			v->limit = n << (10 * i);
			return true;
		}
	}
	return fail(why, "invalid value '%s' (expected a count from 1 to 2^63, optionally followed by KiB, MiB, GiB, TiB, PiB or EiB)",
		    text);
}

/* Words */

static bool parse_yesno(const char *text, union kw_value *v, char why[KW_WHY_MAX])
{
	if (strcasecmp(text, "yes") == 0)
		v->yes = true;
	else if (strcasecmp(text, "no") == 0)
		v->yes = false;
	else
		return fail(why, "invalid value '%s' (expected yes or no)", text);
	return true;
}

/* "a, b or c" from the list, aliases left out. */
static void expected_words(const struct kw_enum *e, char *buf, size_t len)
{
	size_t n = 0, used = 0;
	for (const struct kw_enum_value *ev = e->values; ev->name != NULL; ev++)
		if (!ev->alias)
			n++;
	buf[0] = '\0';
	size_t i = 0;
	for (const struct kw_enum_value *ev = e->values; ev->name != NULL && used < len; ev++) {
		if (ev->alias)
			continue;
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		int w = snprintf(buf + used, len - used, "%s%s", sep, ev->name);
		if (w < 0)
			return;
		used += (size_t)w;
		i++;
	}
}

static bool parse_enum(const struct keyword *kw, const char *text, union kw_value *v,
		       char why[KW_WHY_MAX])
{
	const struct kw_enum *e = kw->values;
	for (const struct kw_enum_value *ev = e->values; ev->name != NULL; ev++) {
		if (strcasecmp(ev->name, text) == 0) {
			v->enum_value = ev->value;
			return true;
		}
	}
	if (e->unsupported != NULL)
		return fail(why, "value '%s' is not supported: %s", text, e->unsupported);
	char words[200];
	expected_words(e, words, sizeof(words));
	return fail(why, "invalid value '%s' (expected %s)", text, words);
}

/* Addresses and ids */

/* A DNS name (RFC 1123 labels): not an address, so it holds a letter. */
static bool is_host_name(const char *text)
{
	size_t len = strlen(text), label = 0;
	bool letter = false;
	if (len == 0 || len > 253 || text[0] == '.' || text[0] == '-')
		return false;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return false;
		letter |= isalpha((unsigned char)*p) != 0;
		if (++label > 63)
			return false;
	}
	return letter && text[len - 1] != '-';
}

static bool parse_host(const char *text, union kw_value *v, char why[KW_WHY_MAX])
{
	memset(&v->host, 0, sizeof(v->host));
	if (strcmp(text, "%any") == 0) {
		v->host.any = true;
		return true;
	}
	if (strcmp(text, "%defaultroute") == 0) {
		v->host.defaultroute = true;
		return true;
	}
	if (address_parse(text, &v->host.addr))
		return true;
	if (is_host_name(text)) {
		v->host.dns = true;
		return true;
	}
	return fail(why, "invalid value '%s' (expected an IP address, a host name, %%any or %%defaultroute)", text);
}

/* Whether one of two subnets holds the other (or they are the same). */
static bool subnets_overlap(const ip_subnet *a, const ip_subnet *b)
{
	return subnet_contains(a, &b->addr) || subnet_contains(b, &a->addr);
}

/* One subnet, or libreswan's lists: "10.0.1.0/24,10.0.2.0/24" or
 * "{10.0.1.0/24 10.0.2.0/24}", all of one family and none overlapping
 * another (two tunnels would carry the same traffic). */
static bool parse_subnet(const char *text, union kw_value *v, char why[KW_WHY_MAX])
{
	char list[IPSEC_SUBNETS_MAX * 64], *save = NULL;
	size_t len = strlen(text);
	if (len >= sizeof(list))
		return fail(why, "invalid value: longer than %zu characters", sizeof(list) - 1);
	memcpy(list, text, len + 1);
	char *s = list;
	if (s[0] == '{' && len > 1 && s[len - 1] == '}') {
		s[len - 1] = '\0';
		s++;
	}
	v->subnets.n = 0;
	for (char *one = strtok_r(s, ", \t", &save); one != NULL; one = strtok_r(NULL, ", \t", &save)) {
		ip_subnet *net = &v->subnets.net[v->subnets.n];
		if (v->subnets.n == IPSEC_SUBNETS_MAX)
			return fail(why, "invalid value '%s' (at most %d subnets per side)", text, IPSEC_SUBNETS_MAX);
		/* subnet_parse also refuses 10.0.1.5/24: say so, it is a common slip. */
		if (!subnet_parse(one, net))
			return fail(why, "invalid value '%s' (expected a subnet such as 10.0.1.0/24 or 2001:db8::/64, with no address bits set past the prefix length)",
				    one);
		if (net->addr.family != v->subnets.net[0].addr.family)
			return fail(why, "invalid value '%s' (its subnets are not all of one address family)", text);
		for (unsigned i = 0; i < v->subnets.n; i++) {
			if (subnets_overlap(&v->subnets.net[i], net))
				return fail(why, "invalid value '%s' (%s overlaps another subnet of the list)", text, one);
		}
		v->subnets.n++;
	}
	if (v->subnets.n == 0)
		return fail(why, "missing value");
	return true;
}

static bool parse_sourceip(const char *text, union kw_value *v, char why[KW_WHY_MAX])
{
	memset(&v->host, 0, sizeof(v->host));
	if (address_parse(text, &v->host.addr))
		return true;
	if (text[0] == '%')
		return fail(why, "invalid value '%s' (only an IP address is supported: there is no mode config)", text);
	return fail(why, "invalid value '%s' (expected an IP address of this host inside its subnet)", text);
}

/* pluto runs the script itself, without a shell: the words of the value
 * are its path and arguments, so the path must say where it is. */
static bool parse_updown(const char *text, char why[KW_WHY_MAX])
{
	if (strcmp(text, "%disabled") == 0)
		return true;
	for (const char *c = text; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return fail(why, "invalid value (a control character)");
	if (text[0] != '/')
		return fail(why, "invalid value '%s' (expected %%disabled or the absolute path of a script, optionally followed by arguments; no shell is involved)",
			    text);
	return true;
}

static bool parse_protoport(const char *text, union kw_value *v, char why[KW_WHY_MAX])
{
	char reason[200];
	if (protoport_parse(text, &v->protoport, reason, sizeof(reason)))
		return true;
	return fail(why, "invalid value '%s' (%s)", text, reason);
}

static bool parse_id(const char *text, char why[KW_WHY_MAX])
{
	const char *reason;
	if (id_classify(text, &reason) != ID_KIND_INVALID)
		return true;
	return fail(why, "invalid value '%s' (%s)", text, reason);
}

/* Algorithms: alg.h reports into a diag; its lines become the reason,
 * joined on one line since the caller prefixes file, line and keyword. */
static bool reason_from_diag(const struct diag *scratch, const char *text, char why[KW_WHY_MAX])
{
	size_t n = scratch->len;
	while (n > 0 && scratch->text[n - 1] == '\n')
		n--;
	if (n == 0)
		return fail(why, "invalid value '%s'", text);
	fail(why, "%.*s", (int)n, scratch->text);
	for (char *c = why; *c != '\0'; c++)
		if (*c == '\n')
			*c = ' ';
	return false;
}


static bool parse_proposals(const struct keyword *kw, const char *text, union kw_value *v,
			    char why[KW_WHY_MAX])
{
	struct diag scratch;
	diag_init(&scratch);
	static struct alg_proposals parsed;	/* 5 kB: not on the stack */
	bool ok = kw->type == KT_IKE ? alg_parse_ike(text, &parsed, &scratch)
				     : alg_parse_esp(text, &parsed, &scratch);
	if (!ok)
		return reason_from_diag(&scratch, text, why);
	v->proposals = alg_proposals_share(&parsed);
	return true;
}

void keyword_value_free(const struct keyword *kw, union kw_value *v)
{
	if (kw != NULL && (kw->type == KT_IKE || kw->type == KT_ESP)) {
		alg_proposals_unref(v->proposals);
		v->proposals = NULL;
	}
}

bool keyword_parse(const struct keyword *kw, const char *text, union kw_value *v,
		   char why[KW_WHY_MAX])
{
	memset(v, 0, sizeof(*v));
	if (text[0] == '\0')
		return fail(why, "missing value");
	switch (kw->type) {
	case KT_STRING:
	case KT_CONN_NAME:
		return true;
	case KT_HOST:
		return parse_host(text, v, why);
	case KT_SUBNET:
		return parse_subnet(text, v, why);
	case KT_SOURCEIP:
		return parse_sourceip(text, v, why);
	case KT_UPDOWN:
		return parse_updown(text, why);
	case KT_PROTOPORT:
		return parse_protoport(text, v, why);
	case KT_ID:
		return parse_id(text, why);
	case KT_ENUM:
		return parse_enum(kw, text, v, why);
	case KT_YESNO:
		return parse_yesno(text, v, why);
	case KT_DURATION:
		return parse_duration(kw, text, v, why);
	case KT_BYTES:
		return parse_count(kw, text, v, "a number of bytes", why);
	case KT_NUMBER:
		return parse_count(kw, text, v, "a whole number", why);
	case KT_PERCENT:
		return parse_count(kw, text, v, "a percentage", why);
	case KT_LIMIT:
		return parse_limit(text, v, why);
	case KT_IKE:
	case KT_ESP:
		return parse_proposals(kw, text, v, why);
	}
	return fail(why, "internal error: keyword without a type");
}
