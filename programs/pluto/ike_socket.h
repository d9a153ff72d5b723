/* ike_socket.h: UDP port 500 on each local address a conn uses. */
#ifndef IKE_SOCKET_H
#define IKE_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "ip_address.h"

#define IKE_PORT 500

/* Every datagram that arrives goes here. */
typedef void ike_receive_fn(uint8_t *buf, size_t len, const ip_address *local,
			    const ip_address *remote, uint16_t remote_port);

void ike_sockets_init(ike_receive_fn *fn);
/* A socket bound to local:500, made the first time it is asked for. */
bool ike_socket_open(const ip_address *local, struct diag *d);
bool ike_send(const ip_address *local, const ip_address *remote, uint16_t port,
	      const uint8_t *buf, size_t len);
void ike_sockets_close(void);

#endif
