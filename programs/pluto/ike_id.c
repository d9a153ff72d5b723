/* ike_id.c: @fqdn travels as ID_FQDN without the '@'; user@fqdn as
 * ID_RFC822_ADDR; addresses as ID_IPV4_ADDR / ID_IPV6_ADDR; a DN as
 * ID_DER_ASN1_DN, its DER made from and read into RFC 4514 text by NSS. */
#include <stdio.h>
#include <string.h>
#include <cert.h>
#include <secasn1.h>
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

/* The DER of a DN's text, or NULL; SECITEM_FreeItem(, PR_TRUE) it. */
static SECItem *dn_der(const char *text)
{
	CERTName *name = CERT_AsciiToName(text);
	if (name == NULL)
		return NULL;
	SECItem *der = SEC_ASN1EncodeItem(NULL, NULL, name, SEC_ASN1_GET(CERT_NameTemplate));
	CERT_DestroyName(name);
	return der;
}

/* NSS's text for name, when that text names it and no other DN: NSS
 * shortens a value whose text runs past 128 octets to its first ones and
 * "...", so two DNs that differ only after that would read as one id
 * (and one of them could be configured as the other's rightid=). The
 * text must parse back to a name equal to the one received (NSS compares
 * string values across string types, as the DER it makes of text may
 * pick other types than the peer's). */
static char *exact_text(CERTName *name)
{
	char *ascii = CERT_NameToAscii(name);
	CERTName *back = ascii != NULL ? CERT_AsciiToName(ascii) : NULL;
	bool same = back != NULL && CERT_CompareName(name, back) == SECEqual;
	if (back != NULL)
		CERT_DestroyName(back);
	if (!same && ascii != NULL) {
		PORT_Free(ascii);
		ascii = NULL;
	}
	return ascii;
}

bool id_dn_text(const uint8_t *der, size_t len, char *text, size_t cap)
{
	SECItem item = { siBuffer, (unsigned char *)der, (unsigned)len };
	PLArenaPool *arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
	if (arena == NULL)
		return false;
	CERTName name;
	memset(&name, 0, sizeof(name));
	char *ascii = SEC_QuickDERDecodeItem(arena, &name, SEC_ASN1_GET(CERT_NameTemplate), &item) == SECSuccess
			      ? exact_text(&name) : NULL;
	PORT_FreeArena(arena, PR_FALSE);
	if (ascii == NULL)
		return false;
	int w = snprintf(text, cap, "%s", ascii);
	PORT_Free(ascii);
	return w > 0 && (size_t)w < cap && id_classify(text, NULL) == ID_KIND_DN;
}

bool id_canonical(const char *text, char *out, size_t cap)
{
	if (id_classify(text, NULL) != ID_KIND_DN) {
		int w = snprintf(out, cap, "%s", text);
		return w >= 0 && (size_t)w < cap;
	}
	SECItem *der = dn_der(text);
	bool ok = der != NULL && der->len <= IKE_DN_DER_MAX && id_dn_text(der->data, der->len, out, cap);
	SECITEM_FreeItem(der, PR_TRUE);
	return ok;
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
	case ID_KIND_DN: {
		SECItem *der = dn_der(text);
		bool ok = der != NULL && put(ID_DER_ASN1_DN, der->data, der->len, body, cap, len);
		SECITEM_FreeItem(der, PR_TRUE);
		return ok;
	}
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
	case ID_DER_ASN1_DN:
		return n <= IKE_DN_DER_MAX && id_dn_text(data, n, text, cap);
	default:
		return false;
	}
}

const char *id_shown(const char *id, char *buf, size_t len)
{
	return escape_str(id, buf, len);
}
