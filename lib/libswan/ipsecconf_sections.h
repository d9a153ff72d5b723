/* ipsecconf_sections.h: what the sections of an ipsec.conf mean, before
 * they become structs.
 *
 * Every entry is checked once, where it is written (known keyword, right
 * section, no duplicate, value of the right type), so an error in a conn
 * that others include with also= is reported once, not once per user.
 * also= links are followed to their targets and loops are cut; then a
 * conn's keywords are resolved: its own first, then its also= targets in
 * the order written (depth first), then conn %default. */
#ifndef IPSECCONF_SECTIONS_H
#define IPSECCONF_SECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include "diag.h"
#include "ipsecconf_reader.h"
#include "keywords.h"

struct checked_section;

struct checked_entry {
	const struct conf_entry *e;
	const struct keyword *kw;	/* NULL when unknown or in the wrong section */
	bool duplicate;			/* a second setting of kw in its section */
	bool valid;			/* kw known, allowed, not a duplicate, value parsed */
	union kw_value v;
	struct checked_section *also;	/* also=: the target; NULL when missing or a loop */
};

struct checked_section {
	const struct conf_section *s;
	struct checked_entry *entries;
	size_t n;
	bool duplicate_name;		/* a conn whose name an earlier conn has */
	int errors;			/* reported about this section's own entries */
	int visit;			/* loop search state */
};

struct checked_doc {
	struct checked_section *sections;	/* as in the conf_doc */
	size_t n;
	struct checked_section *setup;		/* NULL when there is none */
	struct checked_section *conn_default;	/* NULL when there is none */
};

/* Checks everything in doc, reporting errors into d and, into notes, the
 * libreswan keywords accepted without effect (keywords.h's fates); out
 * refers into doc. */
void check_sections(const struct conf_doc *doc, struct checked_doc *out, struct diag *d,
		    struct diag *notes);
void checked_doc_free(struct checked_doc *cd);

/* The entry that decides each keyword of a conn, NULL where none does.
 * Entries with bad values are included (the keyword is set, just not
 * usable), so one error does not cause a second "missing" one. */
struct resolved_conn {
	const struct checked_entry *by_kw[KW_COUNT];
	int errors;		/* in the sections it draws from, %default included */
};

void resolve_conn(const struct checked_doc *cd, const struct checked_section *conn,
		  struct resolved_conn *r);

#endif
