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
/* Room for an ID's text, as struct ends keeps it, and for it shown. */
#define IKE_ID_TEXT_MAX 256
#define IKE_ID_SHOWN_MAX (4 * IKE_ID_TEXT_MAX + 1)

/* A DN's DER is at most this long, sent or received. */
#define IKE_DN_DER_MAX 1024

/* NSS's RFC 4514 text of a DN's DER, into text; false when the DER is
 * no Name, the Name is empty, the text does not fit, or the text does
 * not name exactly this DN (NSS shortens long values to "..."). */
bool id_dn_text(const uint8_t *der, size_t len, char *text, size_t cap);

/* text as it is compared with IDs from the wire: a DN in NSS's RFC 4514
 * form (text from the wire is in that form too), any other id as it is;
 * false when a DN does not parse or the result does not fit in cap. */
bool id_canonical(const char *text, char *out, size_t cap);

/* Text for a received ID payload body: "192.0.2.1", "@host", "user@host",
 * a DN as RFC 4514 text ("CN=east,O=Example");
 * false for types we do not support, for an ID holding a NUL, for data
 * that reads as an id of another kind (an ID_RFC822_ADDR of "192.0.2.1"
 * is not that address), and for text that does not fit in cap. The bytes
 * are kept as the peer sent them, so they compare with what the conn and
 * ipsec.secrets say (a UTF-8 name included): show them only through
 * id_shown. */
bool id_from_wire(const uint8_t *body, size_t len, char *text, size_t cap);

/* id as it may be printed: escaped (escape.h), since a peer chose it. */
const char *id_shown(const char *id, char *buf, size_t len);

#endif
