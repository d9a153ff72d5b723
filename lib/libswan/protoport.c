/* protoport.c: parsing and printing leftprotoport= values. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "protoport.h"

/* The names of protocols used with port selectors; others by number. A
 * table rather than /etc/protocols, so that a config means the same on
 * every machine. */
static const struct {
	const char *name;
	uint8_t proto;
} proto_names[] = {
	{ "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "gre", 47 },
	{ "ipv6-icmp", 58 }, { "icmpv6", 58 }, { "sctp", 132 }, { "udplite", 136 },
};

bool proto_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

static bool all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
	}
	return true;
}

static bool parse_number(const char *s, unsigned long max, unsigned long *out)
{
	if (!all_digits(s) || strlen(s) > 5)
		return false;
	*out = strtoul(s, NULL, 10);
	return *out <= max;
}

static bool parse_proto(const char *s, uint8_t *proto)
{
	unsigned long n;
	if (parse_number(s, 255, &n)) {
		*proto = (uint8_t)n;
		return true;
	}
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
		if (strcmp(s, proto_names[i].name) == 0) {
			*proto = proto_names[i].proto;
			return true;
		}
	}
	return false;
}

static const char *proto_name(uint8_t proto)
{
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
		if (proto_names[i].proto == proto)
			return proto_names[i].name;
	}
	return NULL;
}

static bool parse_port(const char *s, uint8_t proto, uint16_t *port)
{
	unsigned long n;
	if (strcmp(s, "%any") == 0) {
		*port = 0;
		return true;
	}
	if (parse_number(s, 65535, &n)) {
		*port = (uint16_t)n;
		return true;
	}
	const char *pname = proto_name(proto);
	const struct servent *se = pname != NULL ? getservbyname(s, pname) : NULL;
	if (se == NULL)
		return false;
	*port = ntohs((uint16_t)se->s_port);
	return true;
}

bool protoport_parse(const char *text, struct protoport *pp, char *why, size_t why_len)
{
	char buf[64];
	if (strlen(text) >= sizeof(buf)) {
		snprintf(why, why_len, "too long");
		return false;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	char *slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	*pp = (struct protoport){ 0, 0 };
	if (strcmp(buf, "%any") != 0 && !parse_proto(buf, &pp->proto)) {
		snprintf(why, why_len, "expected a protocol number 0-255 or tcp, udp, icmp, ipv6-icmp, sctp, udplite or gre");
		return false;
	}
	if (slash == NULL)
		return true;
	if (!parse_port(slash + 1, pp->proto, &pp->port)) {
		snprintf(why, why_len, "expected a port number 0-65535, a service name or %%any after the protocol");
		return false;
	}
	if (pp->port != 0 && !proto_has_ports(pp->proto)) {
		snprintf(why, why_len, "%s",
			 pp->proto == 1 || pp->proto == 58 ?
			 "ICMP type and code selectors are not supported; give the protocol alone" :
			 "only tcp, udp, sctp and udplite have ports");
		return false;
	}
	return true;
}

const char *protoport_str(const struct protoport *pp, char buf[PROTOPORT_STR_MAX])
{
	if (pp->proto == 0)
		buf[0] = '\0';
	else if (pp->port == 0)
		snprintf(buf, PROTOPORT_STR_MAX, "%u/%%any", pp->proto);
	else
		snprintf(buf, PROTOPORT_STR_MAX, "%u/%u", pp->proto, pp->port);
	return buf;
}

bool protoport_eq(const struct protoport *a, const struct protoport *b)
{
	return a->proto == b->proto && a->port == b->port;
}
