/* ike_id.c: @fqdn travels as ID_FQDN without the '@'; user@fqdn as
 * ID_RFC822_ADDR; addresses as ID_IPV4_ADDR / ID_IPV6_ADDR. */
#include <stdio.h>
#include <string.h>
#include "escape.h"
#include "ike_id.h"
#include "ikev2_msg.h"
#include "ip_address.h"
#include "ipsec_id.h"

static bool put(uint8_t type, const void *data, size_t n, uint8_t *body, size_t cap, size_t *len)
{
	if (n + 4 > cap)
		return false;
	body[0] = type;
	body[1] = body[2] = body[3] = 0;
	memcpy(body + 4, data, n);
	*len = n + 4;
	return true;
}

bool id_to_wire(const char *text, uint8_t *body, size_t cap, size_t *len)
{
	ip_address a;
	switch (id_classify(text, NULL)) {
	case ID_KIND_ADDRESS:
		if (!address_parse(text, &a))
			return false;
		return put(a.family == AF_INET ? ID_IPV4_ADDR : ID_IPV6_ADDR, a.bytes,
			   address_bits(&a) / 8, body, cap, len);
	case ID_KIND_FQDN:
		return put(ID_FQDN, text + 1, strlen(text + 1), body, cap, len);
	case ID_KIND_USER_FQDN:
		return put(ID_RFC822_ADDR, text, strlen(text), body, cap, len);
	default:
		return false;
	}
}

/* The text is all the rest of pluto sees: an ID_RFC822_ADDR of
 * "192.0.2.1", "%any" or "@east" must not pass for that address, for any
 * id, or for that FQDN. Text that is no id at all may stay: it equals no
 * id, so no conn or secret takes it for one. */
static bool reads_as_other_kind(const char *text, enum id_kind kind)
{
	enum id_kind k = id_classify(text, NULL);
	return k != kind && k != ID_KIND_INVALID;
}

bool id_from_wire(const uint8_t *body, size_t len, char *text, size_t cap)
{
	if (len < 4)
		return false;
	const uint8_t *data = body + 4;
	size_t n = len - 4;
	ip_address a = {0};
	switch (body[0]) {
	case ID_IPV4_ADDR:
	case ID_IPV6_ADDR:
		if (n != (body[0] == ID_IPV4_ADDR ? 4u : 16u) || cap < ADDRESS_STR_MAX)
			return false;
		a.family = body[0] == ID_IPV4_ADDR ? AF_INET : AF_INET6;
		memcpy(a.bytes, data, n);
		address_str(&a, text);
		return true;
	case ID_FQDN:
	case ID_RFC822_ADDR: {
		if (memchr(data, '\0', n) != NULL)
			return false;
		int w = snprintf(text, cap, "%s%.*s", body[0] == ID_FQDN ? "@" : "", (int)n, (const char *)data);
		return w >= 0 && (size_t)w < cap &&
		       !reads_as_other_kind(text, body[0] == ID_FQDN ? ID_KIND_FQDN : ID_KIND_USER_FQDN);
	}
	default:
		return false;
	}
}

const char *id_shown(const char *id, char *buf, size_t len)
{
	return escape_str(id, buf, len);
}
