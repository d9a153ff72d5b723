/* ipsecconf_sections.c: check entries, link also=, cut loops, resolve. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ipsecconf_sections.h"
#include "xalloc.h"

enum visit { NOT_VISITED, ON_PATH, DONE };

static bool is_default(const struct conf_section *s)
{
	return s->kind == CONF_CONN && strcmp(s->name, "%default") == 0;
}

/* Entries */

static void report_misplaced(const struct conf_section *s, const struct conf_entry *e,
			     enum kw_section section, struct diag *d)
{
	if (section == KWS_SETUP)
		diag_add(d, "%s:%d: keyword '%s': not allowed in conn '%s' (it belongs in config setup)",
			 e->file, e->line, e->keyword, s->name);
	else
		diag_add(d, "%s:%d: keyword '%s': not allowed in config setup (it belongs in a conn section)",
			 e->file, e->line, e->keyword);
}

static void report_duplicate(const struct conf_entry *e, const struct conf_entry *first, struct diag *d)
{
	if (strcmp(e->keyword, first->keyword) == 0)
		diag_add(d, "%s:%d: keyword '%s': duplicate (already set at %s:%d)",
			 e->file, e->line, e->keyword, first->file, first->line);
	else
		diag_add(d, "%s:%d: keyword '%s': duplicate: '%s' is the same keyword and is already set at %s:%d",
			 e->file, e->line, e->keyword, first->keyword, first->file, first->line);
}

/* libreswan's user keywords, x-name or x_name, are for scripts: no
 * effect, and no notice. */
static bool is_user_keyword(const char *name)
{
	return name[0] == 'x' && (name[1] == '-' || name[1] == '_') && name[2] != '\0';
}

/* A libreswan keyword that pluto does not implement: a notice when the
 * value asks for nothing pluto would do differently, else an error. */
static void take_fate(const struct conf_section *s, const struct conf_entry *e, const struct kw_fate *f,
		      struct diag *d, struct diag *notes)
{
	if ((s->kind == CONF_CONN) != (f->section == KWS_CONN))
		report_misplaced(s, e, f->section, d);
	else if (keyword_fate_accepts(f, e->value))
		diag_add(notes, "%s:%d: keyword '%s' has no effect here: %s", e->file, e->line, e->keyword, f->why);
	else if (f->fate == KF_REFUSED)
		diag_add(d, "%s:%d: keyword '%s': not supported: %s", e->file, e->line, e->keyword, f->why);
	else
		diag_add(d, "%s:%d: keyword '%s': value '%s' is not supported: %s",
			 e->file, e->line, e->keyword, e->value, f->why);
}

/* Looks the keyword up; false when it has no place here (reported as an
 * error, or as a notice when it is accepted without effect). */
static bool find_keyword(const struct conf_section *s, struct checked_entry *ce, struct diag *d,
			 struct diag *notes)
{
	const struct conf_entry *e = ce->e;
	const struct keyword *kw = keyword_lookup(e->keyword);
	if (kw == NULL) {
		const struct kw_fate *f = keyword_fate(e->keyword);
		if (f != NULL)
			take_fate(s, e, f, d, notes);
		else if (!is_user_keyword(e->keyword))
			diag_add(d, "%s:%d: keyword '%s': unknown keyword", e->file, e->line, e->keyword);
		return false;
	}
	bool in_conn = s->kind == CONF_CONN;
	if (in_conn != (kw->section == KWS_CONN)) {
		report_misplaced(s, e, kw->section, d);
		return false;
	}
	ce->kw = kw;
	return true;
}

static void check_entry(const struct conf_section *s, struct checked_entry *ce,
			const struct checked_entry *seen[KW_COUNT], struct diag *d, struct diag *notes)
{
	if (!find_keyword(s, ce, d, notes))
		return;
	const struct keyword *kw = ce->kw;
	/* also= may be given several times: each names one more conn. */
	if (kw->id != KW_ALSO) {
		if (seen[kw->id] != NULL) {
			report_duplicate(ce->e, seen[kw->id]->e, d);
			ce->duplicate = true;
			return;
		}
		seen[kw->id] = ce;
	}
	char why[KW_WHY_MAX];
	if (keyword_parse(kw, ce->e->value, &ce->v, why))
		ce->valid = true;
	else
		diag_add(d, "%s:%d: keyword '%s': %s", ce->e->file, ce->e->line, ce->e->keyword, why);
}

static void check_section_entries(const struct conf_section *s, struct checked_section *cs, struct diag *d,
				  struct diag *notes)
{
	const struct checked_entry *seen[KW_COUNT] = { NULL };
	int before = d->count;
	cs->s = s;
	cs->n = s->nentries;
	cs->entries = xzalloc(s->nentries * sizeof(*cs->entries));
	for (size_t i = 0; i < s->nentries; i++) {
		cs->entries[i].e = &s->entries[i];
		check_entry(s, &cs->entries[i], seen, d, notes);
	}
	cs->errors += d->count - before;
}

/* Conn names */

static void check_duplicate_name(struct checked_doc *cd, size_t i, struct diag *d)
{
	const struct conf_section *s = cd->sections[i].s;
	for (size_t j = 0; j < i; j++) {
		const struct conf_section *t = cd->sections[j].s;
		if (t->kind == CONF_CONN && strcmp(t->name, s->name) == 0) {
			diag_add(d, "%s:%d: conn '%s': duplicate conn name (first defined at %s:%d)",
				 s->file, s->line, s->name, t->file, t->line);
			cd->sections[i].duplicate_name = true;
			cd->sections[i].errors++;
			return;
		}
	}
}

/* The conn also= may name: not %default, which applies by itself. */
static struct checked_section *find_conn(const struct checked_doc *cd, const char *name)
{
	for (size_t i = 0; i < cd->n; i++) {
		struct checked_section *cs = &cd->sections[i];
		if (cs->s->kind == CONF_CONN && !is_default(cs->s) && !cs->duplicate_name &&
		    strcmp(cs->s->name, name) == 0)
			return cs;
	}
	return NULL;
}

static void link_also(const struct checked_doc *cd, struct checked_section *cs, struct diag *d)
{
	for (size_t i = 0; i < cs->n; i++) {
		struct checked_entry *ce = &cs->entries[i];
		if (!ce->valid || ce->kw->id != KW_ALSO)
			continue;
		ce->also = find_conn(cd, ce->e->value);
		if (ce->also == NULL) {
			diag_add(d, "%s:%d: keyword 'also': conn '%s' not found",
				 ce->e->file, ce->e->line, ce->e->value);
			cs->errors++;
		}
	}
}

/* also= loops: a depth-first search over also= links. A link back to a
 * conn still on the path closes a loop; it is reported (once: each such
 * link is found once) and cut, so that resolving always ends. */

static void report_loop(struct checked_section **path, size_t depth,
			const struct checked_entry *closing, struct diag *d)
{
	char text[512];
	size_t used = 0;
	size_t start = 0;
	while (start < depth && path[start] != closing->also)
		start++;
	for (size_t i = start; i < depth && used < sizeof(text); i++) {
		int w = snprintf(text + used, sizeof(text) - used, "%s -> ", path[i]->s->name);
		used += w > 0 ? (size_t)w : 0;
	}
	if (used < sizeof(text))
		snprintf(text + used, sizeof(text) - used, "%s", closing->also->s->name);
	diag_add(d, "%s:%d: keyword 'also': loop: %s", closing->e->file, closing->e->line, text);
}

static void cut_loops_from(struct checked_section *cs, struct checked_section **path,
			   size_t depth, struct diag *d)
{
	cs->visit = ON_PATH;
	path[depth++] = cs;
	for (size_t i = 0; i < cs->n; i++) {
		struct checked_entry *ce = &cs->entries[i];
		if (ce->also == NULL)
			continue;
		if (ce->also->visit == ON_PATH) {
			report_loop(path, depth, ce, d);
			ce->also = NULL;
			cs->errors++;
		} else if (ce->also->visit == NOT_VISITED) {
			cut_loops_from(ce->also, path, depth, d);
		}
	}
	cs->visit = DONE;
}

static void cut_loops(struct checked_doc *cd, struct diag *d)
{
	struct checked_section **path = xzalloc(cd->n * sizeof(*path));
	for (size_t i = 0; i < cd->n; i++)
		if (cd->sections[i].visit == NOT_VISITED)
			cut_loops_from(&cd->sections[i], path, 0, d);
	free(path);
}

void check_sections(const struct conf_doc *doc, struct checked_doc *out, struct diag *d,
		    struct diag *notes)
{
	memset(out, 0, sizeof(*out));
	out->n = doc->nsections;
	out->sections = xzalloc(doc->nsections * sizeof(*out->sections));
	for (size_t i = 0; i < doc->nsections; i++) {
		struct checked_section *cs = &out->sections[i];
		check_section_entries(&doc->sections[i], cs, d, notes);
		if (cs->s->kind == CONF_SETUP)
			out->setup = cs;
		else if (is_default(cs->s))
			out->conn_default = cs;
		else
			check_duplicate_name(out, i, d);
	}
	for (size_t i = 0; i < out->n; i++)
		link_also(out, &out->sections[i], d);
	cut_loops(out, d);
}

void checked_doc_free(struct checked_doc *cd)
{
	for (size_t i = 0; i < cd->n; i++) {
		struct checked_section *cs = &cd->sections[i];
		for (size_t j = 0; j < cs->n; j++)
			keyword_value_free(cs->entries[j].kw, &cs->entries[j].v);
		free(cs->entries);
	}
	free(cd->sections);
	memset(cd, 0, sizeof(*cd));
}

/* Resolving */

static void take_own_keywords(const struct checked_section *cs, struct resolved_conn *r)
{
	for (size_t i = 0; i < cs->n; i++) {
		const struct checked_entry *ce = &cs->entries[i];
		if (ce->kw == NULL || ce->duplicate || ce->kw->id == KW_ALSO)
			continue;
		if (r->by_kw[ce->kw->id] == NULL)
			r->by_kw[ce->kw->id] = ce;
	}
}

/* Depth first through also=; a section reached twice (two targets that
 * share a base) adds nothing the second time, so it is skipped. */
static void take_keywords(const struct checked_doc *cd, const struct checked_section *cs,
			  bool *taken, struct resolved_conn *r)
{
	size_t index = (size_t)(cs - cd->sections);
	if (taken[index])
		return;
	taken[index] = true;
	r->errors += cs->errors;
	take_own_keywords(cs, r);
	for (size_t i = 0; i < cs->n; i++)
		if (cs->entries[i].also != NULL)
			take_keywords(cd, cs->entries[i].also, taken, r);
}

void resolve_conn(const struct checked_doc *cd, const struct checked_section *conn,
		  struct resolved_conn *r)
{
	memset(r, 0, sizeof(*r));
	bool *taken = xzalloc(cd->n * sizeof(*taken));
	take_keywords(cd, conn, taken, r);
	if (cd->conn_default != NULL)
		take_keywords(cd, cd->conn_default, taken, r);
	free(taken);
}
