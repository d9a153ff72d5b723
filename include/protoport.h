/* protoport.h: leftprotoport=/rightprotoport=, the protocol and port one
 * side of a tunnel's traffic is limited to (libreswan's "port selectors").
 *
 * proto 0 means every protocol, port 0 every port of it, as in libreswan
 * (so "17/0" and "17/%any" are the same). Ports are kept only for the
 * protocols whose packets have them. */
#ifndef PROTOPORT_H
#define PROTOPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct protoport {
	uint8_t proto;		/* IP protocol number, 0: all */
	uint16_t port;		/* 0: all */
};

#define PROTOPORT_STR_MAX 16

/* "tcp", "17/1701", "udp/%any", "6/ssh": a protocol by number or name,
 * then optionally a port by number, service name or %any. false with the
 * reason in why (which does not repeat text). */
bool protoport_parse(const char *text, struct protoport *pp, char *why, size_t why_len);
/* "17/1701", "6/%any"; "" for every protocol. */
const char *protoport_str(const struct protoport *pp, char buf[PROTOPORT_STR_MAX]);
bool protoport_eq(const struct protoport *a, const struct protoport *b);
/* Whether packets of proto carry ports that selectors can name. */
bool proto_has_ports(uint8_t proto);

#endif
