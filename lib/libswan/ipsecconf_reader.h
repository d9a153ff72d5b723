/* ipsecconf_reader.h: the ipsec.conf file format, without its meaning.
 *
 * Turns files into sections of `keyword=value` entries, each remembering
 * where it was written. It knows the layout (`config setup`, `conn NAME`,
 * indented bodies, `include`, `version 2`, comments, quotes) but no keyword:
 * checking keywords and values is keywords.h's job. */
#ifndef IPSECCONF_READER_H
#define IPSECCONF_READER_H

#include <stdbool.h>
#include <stddef.h>
#include "diag.h"

struct conf_entry {
	char *keyword;		/* as written */
	char *value;		/* quotes removed; may be empty */
	const char *file;	/* owned by the conf_doc */
	int line;
};

enum conf_section_kind { CONF_SETUP, CONF_CONN };

/* Several `config setup` sections, or several `conn %default` sections,
 * are read as one: their entries add up in the order read. */
struct conf_section {
	enum conf_section_kind kind;
	char *name;		/* the conn's name ("%default" too); NULL for config setup */
	const char *file;	/* where the (first) header is */
	int line;
	struct conf_entry *entries;
	size_t nentries, cap;
};

struct conf_doc {
	struct conf_section *sections;	/* in the order read */
	size_t nsections, cap;
	char **files;		/* every file name entries point to */
	size_t nfiles, files_cap;
};

/* Reads path and everything it includes into doc. Every syntax error is
 * added to d and reading goes on, so that one pass finds them all; the
 * doc holds what could be read. false when there was any error, or when
 * path itself could not be opened (then doc is empty). */
/* A literal include that names no file is a notice, as in libreswan;
 * every other problem an error. */
bool conf_read(const char *path, struct conf_doc *doc, struct diag *d, struct diag *notes);
void conf_doc_free(struct conf_doc *doc);

#endif
