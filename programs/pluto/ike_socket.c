/* ike_socket.c: two UDP sockets per local address (ports 500 and 4500),
 * read by the event loop, and found for each message sent through a hash
 * of their address and port: a gateway with a thousand local addresses
 * has two thousand of them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ipsec.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <event2/event.h>
#include "hash_table.h"
#include "ike_socket.h"
#include "ikev2_msg.h"
#include "log.h"
#include "pluto.h"

struct ike_socket {
	ip_address local;
	uint16_t port;
	int fd;
	struct event *ev;
	struct ike_socket *next;
	struct hash_entry by_addr;
};

static struct ike_socket *sockets;
static struct hash_table by_addr;
static ike_receive_fn *receive;

void ike_sockets_init(ike_receive_fn *fn)
{
	receive = fn;
}

ike_receive_fn *ike_receiver(void)
{
	return receive;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct ike_socket *s = arg;
	static uint8_t buf[IKEV2_MSG_MAX];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
	if (n <= 0)
		return;
	ip_address remote;
	uint16_t port;
	if (!address_from_sockaddr((struct sockaddr *)&from, &remote, &port))
		return;
	receive(buf, (size_t)n, &s->local, s->port, &remote, port);
	explicit_bzero(buf, (size_t)n);
}

static uint64_t addr_hash(const ip_address *local, uint16_t port)
{
	/* address_eq's bytes only: an IPv4 address's other 12 may hold anything */
	return hash_pieces(&port, sizeof(port), local->bytes, local->family == AF_INET6 ? 16 : 4);
}

static struct ike_socket *find(const ip_address *local, uint16_t port)
{
	struct ike_socket *s;
	HASH_TABLE_FOR_EACH(&by_addr, addr_hash(local, port), s, struct ike_socket, by_addr) {
		if (address_eq(&s->local, local) && s->port == port)
			return s;
	}
	return NULL;
}

/* IKE itself must never go through IPsec: without a per-socket bypass,
 * the responder's IKE_AUTH answer would be encrypted by the very SA it
 * has just installed, before the initiator has the keys. */
static bool bypass_ipsec(int fd, int family)
{
	int level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	int opt = family == AF_INET ? IP_XFRM_POLICY : IPV6_XFRM_POLICY;
	for (int dir = XFRM_POLICY_IN; dir <= XFRM_POLICY_OUT; dir++) {
		struct xfrm_userpolicy_info pol = {
			.action = XFRM_POLICY_ALLOW,
			.dir = (uint8_t)dir,
			.sel.family = (uint16_t)family,
		};
		if (setsockopt(fd, level, opt, &pol, sizeof(pol)) != 0)
			return false;
	}
	return true;
}

/* While pluto computes a DH the socket must hold what arrives meanwhile,
 * or a flood crowds out a real peer's request in the kernel's queue. */
#define IKE_SOCKET_RCVBUF (4 * 1024 * 1024)

static void enlarge_receive_buffer(int fd)
{
	int size = IKE_SOCKET_RCVBUF;
	/* FORCE goes past net.core.rmem_max, as root; else what is allowed. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

/* On port 4500 the kernel takes ESP in UDP for itself (RFC 3948): what
 * starts with a non-zero SPI is decapsulated, a NAT keepalive dropped,
 * and only IKE (behind its non-ESP marker) reaches pluto. */
static void take_esp_in_udp(int fd, const ip_address *local)
{
	int type = UDP_ENCAP_ESPINUDP;
	if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)) != 0) {
		char text[ADDRESS_STR_MAX];
		llog(LL_WARN, "cannot have the kernel take ESP in UDP on %s port %d: %s; NAT-T tunnels there will carry no traffic",
		     address_str(local, text), IKE_NATT_PORT, strerror(errno));
	}
}

static bool open_port(const ip_address *local, uint16_t port, struct diag *d)
{
	if (find(local, port) != NULL)
		return true;
	char text[ADDRESS_STR_MAX];
	struct sockaddr_storage ss;
	socklen_t len;
	address_to_sockaddr(local, port, &ss, &len);
	int fd = socket(local->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || !bypass_ipsec(fd, local->family) || bind(fd, (struct sockaddr *)&ss, len) != 0) {
		diag_add(d, "cannot listen for IKE on %s port %d: %s", address_str(local, text), port,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	enlarge_receive_buffer(fd);
	if (port == IKE_NATT_PORT)
		take_esp_in_udp(fd, local);
	struct ike_socket *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		close(fd);
		diag_add(d, "out of memory");
		return false;
	}
	s->local = *local;
	s->port = port;
	s->fd = fd;
	s->ev = event_new(pluto.base, fd, EV_READ | EV_PERSIST, on_readable, s);
	event_add(s->ev, NULL);
	s->next = sockets;
	sockets = s;
	hash_table_add(&by_addr, &s->by_addr, addr_hash(local, port));
	llog(LL_INFO, "listening for IKE messages on %s port %d", address_str(local, text), port);
	return true;
}

static bool udp_open(const ip_address *local, struct diag *d)
{
	return open_port(local, IKE_PORT, d) && open_port(local, IKE_NATT_PORT, d);
}

static bool udp_send(const ip_address *local, uint16_t local_port, const ip_address *remote, uint16_t port,
		     const uint8_t *buf, size_t len)
{
	struct ike_socket *s = find(local, local_port);
	if (s == NULL)
		return false;
	struct sockaddr_storage ss;
	socklen_t sl;
	address_to_sockaddr(remote, port, &ss, &sl);
	if (sendto(s->fd, buf, len, 0, (struct sockaddr *)&ss, sl) < 0) {
		char text[ADDRESS_STR_MAX];
		static struct log_limit limit;
		llog_limited(&limit, LL_WARN, "cannot send an IKE message to %s: %s", address_str(remote, text), strerror(errno));
		return false;
	}
	return true;
}

static void udp_close_all(void)
{
	while (sockets != NULL) {
		struct ike_socket *s = sockets;
		sockets = s->next;
		event_free(s->ev);
		close(s->fd);
		free(s);
	}
	hash_table_free(&by_addr);
}

const struct ike_transport ike_udp_transport = {
	.open = udp_open,
	.send = udp_send,
	.close_all = udp_close_all,
};

const struct ike_transport *ike_transport = &ike_udp_transport;
