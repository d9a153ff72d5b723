/* ike_socket.h: UDP ports 500 and 4500 on each local address a conn uses,
 * behind a small table of operations so that tests can carry IKE messages
 * between two ends in one process instead (the kernel interface works the
 * same way: kernel.h).
 *
 * Port 4500 is NAT traversal's (RFC 3948): the kernel takes the ESP in UDP
 * that arrives there (the socket is set up with UDP_ENCAP_ESPINUDP) and
 * hands pluto the rest. The transport carries datagrams as they are: the
 * non-ESP marker that IKE messages carry on port 4500 is natt.c's. */
#ifndef IKE_SOCKET_H
#define IKE_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "ip_address.h"

#define IKE_PORT 500
#define IKE_NATT_PORT 4500

/* Every datagram that arrives goes here. */
typedef void ike_receive_fn(uint8_t *buf, size_t len, const ip_address *local, uint16_t local_port,
			    const ip_address *remote, uint16_t remote_port);

struct ike_transport {
	/* Listen on local, ports 500 and 4500; true when already listening. */
	bool (*open)(const ip_address *local, struct diag *d);
	/* One datagram from local's socket of local_port. */
	bool (*send)(const ip_address *local, uint16_t local_port, const ip_address *remote, uint16_t port,
		     const uint8_t *buf, size_t len);
	void (*close_all)(void);
};

extern const struct ike_transport ike_udp_transport;
/* The transport pluto uses; tests may point it at a double. */
extern const struct ike_transport *ike_transport;

void ike_sockets_init(ike_receive_fn *fn);
ike_receive_fn *ike_receiver(void);

static inline bool ike_socket_open(const ip_address *local, struct diag *d)
{
	return ike_transport->open(local, d);
}

static inline bool ike_send(const ip_address *local, uint16_t local_port, const ip_address *remote,
			    uint16_t port, const uint8_t *buf, size_t len)
{
	return ike_transport->send(local, local_port, remote, port, buf, len);
}

static inline void ike_sockets_close(void)
{
	ike_transport->close_all();
}

#endif
