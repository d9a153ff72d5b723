/* ike_id.h: identities between the text users write (leftid=, secrets)
 * and the ID payload (RFC 7296 3.5). */
#ifndef IKE_ID_H
#define IKE_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The ID payload body (type, 3 reserved bytes, data) for text; false when
 * the text is not an identity we can send (%any). */
bool id_to_wire(const char *text, uint8_t *body, size_t cap, size_t *len);
/* Text for a received ID payload body: "192.0.2.1", "@host", "user@host";
 * false for types we do not support, and for data that reads as an id of
 * another kind (an ID_RFC822_ADDR of "192.0.2.1" is not that address). */
bool id_from_wire(const uint8_t *body, size_t len, char *text, size_t cap);

#endif
