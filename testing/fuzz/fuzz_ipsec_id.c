/* libFuzzer target: IKE identities, as text (leftid=, ipsec.secrets) and
 * as the ID payload body (ike_id.c).
 *
 * The input is read twice. As text: id_classify gives a reason for what
 * it refuses, id_eq is reflexive on valid ids, and what id_to_wire
 * accepts comes back from id_from_wire as the same identity, whose wire
 * form is the same bytes again. As a received ID payload body:
 * id_from_wire stays within its buffer, NUL-terminates what it writes,
 * and the text it gives, when it reads as an id at all, goes back to the
 * same type and data (a DN: a DN again, since NSS writes DNs its own
 * way). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <nss.h>
#include "ike_id.h"
#include "ikev2_msg.h"
#include "ipsec_id.h"

#define WIRE_MAX 512	/* longer ids must be refused by id_to_wire, not overrun it */
#define TEXT_MAX 258	/* "@" + 256 octets + NUL: a little over pluto's own 256 */

/* The type octet and the data must match; the reserved octets need not. */
static bool same_wire(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && alen >= 4 && a[0] == b[0] && memcmp(a + 4, b + 4, alen - 4) == 0;
}

/* text as the heap string of exactly its length, so ASan sees overreads. */
static void try_text(const char *text)
{
	const char *why = NULL;
	enum id_kind kind = id_classify(text, &why);
	if (kind == ID_KIND_INVALID) {
		if (why == NULL || id_eq(text, text))
			abort();
		return;
	}
	if (!id_eq(text, text))
		abort();
	uint8_t wire[WIRE_MAX], again[WIRE_MAX];
	size_t len, again_len;
	if (!id_to_wire(text, wire, sizeof(wire), &len)) {
		/* every valid id can be sent but %any, %fromcert (the
		 * certificate's subject is sent) and a DN NSS cannot read */
		if (kind != ID_KIND_ANY && kind != ID_KIND_FROMCERT && kind != ID_KIND_DN &&
		    strlen(text) + 4 <= sizeof(wire))
			abort();
		return;
	}
	char back[TEXT_MAX];
	if (len > sizeof(back) - 2 + 4)
		return;		/* too long for pluto to have received */
	if (kind == ID_KIND_DN) {
		/* NSS writes the DN its own way (quoting, attribute names):
		 * it reads back as a DN, whose DER is what was sent */
		if (id_from_wire(wire, len, back, sizeof(back)) &&
		    (id_classify(back, NULL) != ID_KIND_DN || !id_to_wire(back, again, sizeof(again), &again_len) ||
		     again[0] != wire[0]))
			abort();
		return;
	}
	if (!id_from_wire(wire, len, back, sizeof(back)) || id_classify(back, NULL) != kind ||
	    !id_eq(text, back) || !id_to_wire(back, again, sizeof(again), &again_len) ||
	    !same_wire(wire, len, again, again_len))
		abort();
}

/* The text of a received body is kept as sent when it is no id at all;
 * an id it reads as must be of the body's type, with the same data. */
static void check_back(const uint8_t *body, size_t size, const char *text)
{
	uint8_t again[WIRE_MAX];
	size_t again_len;
	enum id_kind kind = id_classify(text, NULL);
	if (kind == ID_KIND_INVALID)
		return;
	if (kind == ID_KIND_DN) {
		/* the DER NSS makes of its own text may pick other string
		 * types than the peer's; it is a DN all the same */
		if (body[0] != ID_DER_ASN1_DN)
			abort();
		return;
	}
	if (!id_to_wire(text, again, sizeof(again), &again_len) ||
	    !same_wire(body, size, again, again_len))
		abort();
}

/* Output buffers from too small to pluto's own size. */
static const size_t caps[] = { 1, 2, 3, 8, 17, 45, 46, 64, 65, TEXT_MAX };

/* A received body, at exactly its length on the heap like each output
 * buffer, so ASan sees a read or write past either. A short buffer must
 * be refused, not overrun. */
static void try_wire(const uint8_t *data, size_t size)
{
	uint8_t *body = malloc(size ? size : 1);
	if (body == NULL)
		abort();
	memcpy(body, data, size);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		char *text = malloc(caps[i]);
		if (text == NULL)
			abort();
		memset(text, 'x', caps[i]);
		if (id_from_wire(body, size, text, caps[i])) {
			if (strnlen(text, caps[i]) == caps[i])
				abort();
			check_back(body, size, text);
		}
		free(text);
	}
	free(body);
}

/* NSS reads and writes DNs (its OID tables want it initialised). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (NSS_NoDB_Init(NULL) != SECSuccess)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	try_text(text);
	free(text);
	try_wire(data, size);
	return 0;
}
