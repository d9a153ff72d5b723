/* libFuzzer target: ipsec.secrets, read by secrets_load with its includes.
 *
 * The input is the secrets file and up to three files it may include
 * (input_files.h says how it is split and why includes cannot leave the
 * private directory). Loading must never crash, leak or hang; it gives
 * every entry with no error, or NULL with at least one. Secrets that load
 * are asked for a PSK as pluto asks: by pairs of the ids they name, by
 * %any and by ids not known yet, and the answer is one of their entries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "input_files.h"
#include "ipsec_id.h"
#include "secrets.h"

static void check_found(const struct secrets *s, const struct psk_entry *e)
{
	if (e != NULL && (e < s->entries || e >= s->entries + s->n))
		abort();
}

/* Each lookup scans every entry, so each entry asks a few, not one per
 * pair of its ids: the fuzzer's time goes to loading. */
static void check_entry(const struct secrets *s, const struct psk_entry *e)
{
	if (e->psk == NULL || e->psk_len == 0 || e->file == NULL || e->line <= 0)
		abort();
	for (size_t i = 0; i < e->nids; i++) {
		if (id_classify(e->ids[i], NULL) == ID_KIND_INVALID)
			abort();	/* ids are checked at load */
		check_found(s, secrets_find_psk(s, e->ids[i], NULL));
		check_found(s, secrets_find_psk(s, "%any", e->ids[i]));
		/* an entry matches any two of its ids, but for %any %any when
		 * it also names an id: it is about that id then */
		const char *other = e->ids[(i + 1) % e->nids];
		if (secrets_find_psk(s, e->ids[i], other) == NULL &&
		    (strcmp(e->ids[i], "%any") != 0 || strcmp(other, "%any") != 0))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!input_files_allowed(data, size))
		return -1;	/* not added to the corpus */
	const char *path = input_files_write(data, size);
	if (path == NULL)
		abort();	/* the fuzzer cannot work without its files */
	struct diag d;
	diag_init(&d);
	struct secrets *s = secrets_load(path, &d);
	if ((s == NULL) == (d.count == 0))
		abort();	/* NULL exactly when there is an error */
	for (size_t i = 0; s != NULL && i < s->n; i++)
		check_entry(s, &s->entries[i]);
	check_found(s, secrets_find_psk(s, NULL, NULL));
	secrets_free(s);
	return 0;
}
