/* ip_address.h: IPv4/IPv6 addresses and subnets, parsed and printed. */
#ifndef IP_ADDRESS_H
#define IP_ADDRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

typedef struct {
	int family;		/* AF_INET, AF_INET6, or 0 for unset */
	uint8_t bytes[16];	/* network order; IPv4 uses the first 4 */
} ip_address;

typedef struct {
	ip_address addr;	/* the network (host bits cleared) */
	unsigned prefixlen;
} ip_subnet;

#define ADDRESS_STR_MAX 64	/* fits "ffff:...:ffff/128" */

bool address_parse(const char *s, ip_address *out);
bool subnet_parse(const char *s, ip_subnet *out);	/* "a/len"; a bare address is /32 or /128 */
const char *address_str(const ip_address *a, char buf[ADDRESS_STR_MAX]);
const char *subnet_str(const ip_subnet *s, char buf[ADDRESS_STR_MAX]);
bool address_is_set(const ip_address *a);
bool address_eq(const ip_address *a, const ip_address *b);
unsigned address_bits(const ip_address *a);	/* 32 or 128, 0 when unset */
ip_subnet subnet_from_address(const ip_address *a);
bool subnet_contains(const ip_subnet *s, const ip_address *a);
/* To and from struct sockaddr_storage, with a port in host order. */
void address_to_sockaddr(const ip_address *a, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);
bool address_from_sockaddr(const struct sockaddr *sa, ip_address *a, uint16_t *port);

#endif
