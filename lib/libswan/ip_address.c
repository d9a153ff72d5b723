/* ip_address.c: IPv4/IPv6 addresses and subnets.
 *
 * Only numeric forms are accepted (inet_pton's), never host names: the
 * config must not depend on DNS at load time. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "ip_address.h"

static size_t family_bytes(int family)
{
	switch (family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

bool address_parse(const char *s, ip_address *out)
{
	ip_address a;
	memset(&a, 0, sizeof(a));
	/* inet_pton wants the whole string to be the address: "10.1.2.3x",
	 * "10.1.2" and "fe80::1%eth0" are all refused. */
	if (inet_pton(AF_INET, s, a.bytes) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.bytes) == 1)
		a.family = AF_INET6;
	else
		return false;
	*out = a;
	return true;
}

/* A decimal prefix length no larger than max; no sign, no spaces. */
static bool parse_prefixlen(const char *s, unsigned max, unsigned *out)
{
	if (*s == '\0' || strlen(s) > 3)
		return false;
	unsigned v = 0;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static bool host_bits_clear(const ip_address *a, unsigned prefixlen)
{
	size_t n = family_bytes(a->family);
	for (size_t i = 0; i < n; i++) {
		unsigned first_bit = (unsigned)i * 8;
		uint8_t host_mask;
		if (prefixlen >= first_bit + 8)
			host_mask = 0;
		else if (prefixlen <= first_bit)
			host_mask = 0xff;
		else
			host_mask = (uint8_t)(0xff >> (prefixlen - first_bit));
		if (a->bytes[i] & host_mask)
			return false;
	}
	return true;
}

bool subnet_parse(const char *s, ip_subnet *out)
{
	const char *slash = strchr(s, '/');
	if (slash == NULL) {
		ip_address a;
		if (!address_parse(s, &a))
			return false;
		*out = subnet_from_address(&a);
		return true;
	}
	char addr_text[ADDRESS_STR_MAX];
	size_t addr_len = (size_t)(slash - s);
	if (addr_len == 0 || addr_len >= sizeof(addr_text))
		return false;
	memcpy(addr_text, s, addr_len);
	addr_text[addr_len] = '\0';

	ip_subnet sn;
	unsigned prefixlen;
	if (!address_parse(addr_text, &sn.addr) ||
	    !parse_prefixlen(slash + 1, address_bits(&sn.addr), &prefixlen))
		return false;
	/* "10.1.2.3/24" is refused rather than silently widened: it is
	 * usually a typo for an address or for 10.1.2.0/24. */
	if (!host_bits_clear(&sn.addr, prefixlen))
		return false;
	sn.prefixlen = prefixlen;
	*out = sn;
	return true;
}

const char *address_str(const ip_address *a, char buf[ADDRESS_STR_MAX])
{
	if (!address_is_set(a) ||
	    inet_ntop(a->family, a->bytes, buf, ADDRESS_STR_MAX) == NULL)
		strcpy(buf, "<unset>");
	return buf;
}

const char *subnet_str(const ip_subnet *s, char buf[ADDRESS_STR_MAX])
{
	char addr[ADDRESS_STR_MAX];
	if (!address_is_set(&s->addr)) {
		strcpy(buf, "<unset>");
		return buf;
	}
	/* INET6_ADDRSTRLEN (46) + "/128" fits ADDRESS_STR_MAX; the check
	 * only keeps the compiler sure of it. */
	int n = snprintf(buf, ADDRESS_STR_MAX, "%s/%u", address_str(&s->addr, addr), s->prefixlen);
	if (n < 0 || n >= ADDRESS_STR_MAX)
		strcpy(buf, "<unset>");
	return buf;
}

bool address_is_set(const ip_address *a)
{
	return family_bytes(a->family) != 0;
}

bool address_eq(const ip_address *a, const ip_address *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->bytes, b->bytes, family_bytes(a->family)) == 0;
}

unsigned address_bits(const ip_address *a)
{
	return (unsigned)family_bytes(a->family) * 8;
}

ip_subnet subnet_from_address(const ip_address *a)
{
	ip_subnet s;
	memset(&s, 0, sizeof(s));
	if (address_is_set(a)) {
		s.addr = *a;
		s.prefixlen = address_bits(a);
	}
	return s;
}

bool subnet_contains(const ip_subnet *s, const ip_address *a)
{
	if (!address_is_set(&s->addr) || s->addr.family != a->family)
		return false;
	unsigned full = s->prefixlen / 8, rest = s->prefixlen % 8;
	if (memcmp(s->addr.bytes, a->bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (s->addr.bytes[full] & mask) == (a->bytes[full] & mask);
}

void address_to_sockaddr(const ip_address *a, uint16_t port,
			 struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	switch (a->family) {
	case AF_INET: {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a->bytes, 4);
		*len = sizeof(*sin);
		break;
	}
	case AF_INET6: {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, a->bytes, 16);
		*len = sizeof(*sin6);
		break;
	}
	default:
		ss->ss_family = AF_UNSPEC;
		*len = 0;
		break;
	}
}

bool address_from_sockaddr(const struct sockaddr *sa, ip_address *a, uint16_t *port)
{
	ip_address out;
	memset(&out, 0, sizeof(out));
	uint16_t p;
	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		out.family = AF_INET;
		memcpy(out.bytes, &sin->sin_addr, 4);
		p = ntohs(sin->sin_port);
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		out.family = AF_INET6;
		memcpy(out.bytes, &sin6->sin6_addr, 16);
		p = ntohs(sin6->sin6_port);
		break;
	}
	default:
		return false;
	}
	*a = out;
	if (port != NULL)
		*port = p;
	return true;
}
