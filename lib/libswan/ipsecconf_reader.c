/* ipsecconf_reader.c: lines of ipsec.conf into sections of entries.
 *
 * A line that starts in column 0 is a directive (`config setup`,
 * `conn NAME`, `include PATTERN`, `version 2`); an indented line is a
 * `keyword=value` of the section above it. `#` outside quotes starts a
 * comment. Errors are collected and reading continues. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "include_glob.h"
#include "ipsecconf_reader.h"
#include "xalloc.h"

#define NO_SECTION ((size_t)-1)

struct reader {
	struct conf_doc *doc;
	struct diag *d;
	struct diag *notes;
	struct include_stack stack;
	size_t current;		/* section that indented lines go to, or NO_SECTION */
};

/* Where a line came from, for error messages. */
struct where {
	const char *file;
	int line;
};

static void read_file(struct reader *r, const char *path, const struct where *from);

static const char *intern_file(struct conf_doc *doc, const char *path)
{
	doc->files = xgrow(doc->files, &doc->files_cap, doc->nfiles, sizeof(*doc->files));
	doc->files[doc->nfiles] = xstrdup(path);
	return doc->files[doc->nfiles++];
}

/* Tokens */

enum token { TOKEN_NONE, TOKEN_WORD, TOKEN_UNTERMINATED };

static void skip_space(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

static bool rest_is_empty(const char *p)
{
	skip_space(&p);
	return *p == '\0' || *p == '#';
}

/* A "quoted string" (no escapes, as in libreswan) or a run of characters
 * up to a blank or a comment. */
static enum token next_word(const char **p, char **out)
{
	skip_space(p);
	if (**p == '\0' || **p == '#')
		return TOKEN_NONE;
	const char *start = *p;
	if (*start == '"') {
		const char *end = strchr(start + 1, '"');
		if (end == NULL)
			return TOKEN_UNTERMINATED;
		*out = xstrndup(start + 1, (size_t)(end - start - 1));
		*p = end + 1;
		return TOKEN_WORD;
	}
	if (*start == '{') {	/* libreswan's lists, leftsubnets={a b}: one word, braces kept */
		const char *end = strchr(start + 1, '}');
		if (end == NULL)
			return TOKEN_UNTERMINATED;
		*out = xstrndup(start, (size_t)(end - start + 1));
		*p = end + 1;
		return TOKEN_WORD;
	}
	while (**p != '\0' && **p != ' ' && **p != '\t' && **p != '#')
		(*p)++;
	*out = xstrndup(start, (size_t)(*p - start));
	return TOKEN_WORD;
}

/* Reads the one word a directive takes and checks nothing follows it:
 * NULL (with the error reported) when it is missing or not alone. */
static char *directive_argument(struct reader *r, const struct where *w,
				const char *directive, const char *p)
{
	char *arg = NULL;
	switch (next_word(&p, &arg)) {
	case TOKEN_NONE:
		diag_add(r->d, "%s:%d: %s: missing argument", w->file, w->line, directive);
		return NULL;
	case TOKEN_UNTERMINATED:
		diag_add(r->d, "%s:%d: %s: unterminated quote", w->file, w->line, directive);
		return NULL;
	case TOKEN_WORD:
		break;
	}
	if (!rest_is_empty(p)) {
		diag_add(r->d, "%s:%d: %s '%s': unexpected text after it", w->file, w->line, directive, arg);
		free(arg);
		return NULL;
	}
	return arg;
}

/* Sections */

static bool same_section(const struct conf_section *s, enum conf_section_kind kind, const char *name)
{
	if (s->kind != kind)
		return false;
	return kind == CONF_SETUP || strcmp(s->name, name) == 0;
}

/* config setup and conn %default merge with an earlier one; any other
 * conn is new (a duplicate name is reported later, with both places). */
static void open_section(struct reader *r, const struct where *w,
			 enum conf_section_kind kind, const char *name)
{
	struct conf_doc *doc = r->doc;
	bool mergeable = kind == CONF_SETUP || strcmp(name, "%default") == 0;
	for (size_t i = 0; mergeable && i < doc->nsections; i++) {
		if (same_section(&doc->sections[i], kind, name)) {
			r->current = i;
			return;
		}
	}
	doc->sections = xgrow(doc->sections, &doc->cap, doc->nsections, sizeof(*doc->sections));
	struct conf_section *s = &doc->sections[doc->nsections];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->name = name != NULL ? xstrdup(name) : NULL;
	s->file = w->file;
	s->line = w->line;
	r->current = doc->nsections++;
}

static bool valid_conn_name(const char *name)
{
	if (name[0] == '%')
		return strcmp(name, "%default") == 0;
	for (const char *c = name; *c != '\0'; c++)
		if (isspace((unsigned char)*c) || strchr("\"'#=,", *c) != NULL)
			return false;
	return name[0] != '\0';
}

/* Directives (column 0) */

static void read_conn_header(struct reader *r, const struct where *w, const char *rest)
{
	char *name = directive_argument(r, w, "conn", rest);
	if (name == NULL) {
		r->current = NO_SECTION;
		return;
	}
	if (valid_conn_name(name)) {
		open_section(r, w, CONF_CONN, name);
	} else {
		diag_add(r->d, "%s:%d: conn '%s': invalid name (only %%default may start with '%%'; no blanks, quotes, '#', '=' or ',')",
			 w->file, w->line, name);
		r->current = NO_SECTION;
	}
	free(name);
}

static void read_config_header(struct reader *r, const struct where *w, const char *rest)
{
	char *what = directive_argument(r, w, "config", rest);
	r->current = NO_SECTION;
	if (what == NULL)
		return;
	if (strcmp(what, "setup") == 0)
		open_section(r, w, CONF_SETUP, NULL);
	else
		diag_add(r->d, "%s:%d: config '%s': unknown section (the only one is 'config setup')",
			 w->file, w->line, what);
	free(what);
}

static void read_version(struct reader *r, const struct where *w, const char *rest)
{
	char *v = directive_argument(r, w, "version", rest);
	if (v != NULL && strcmp(v, "2") != 0 && strcmp(v, "2.0") != 0)
		diag_add(r->d, "%s:%d: version '%s': unsupported (expected 2 or 2.0)", w->file, w->line, v);
	free(v);
}

static void read_include(struct reader *r, const struct where *w, const char *rest)
{
	/* Whatever the included files hold, the section above the include
	 * has ended: an indented line after it would be ambiguous. */
	r->current = NO_SECTION;
	char *pattern = directive_argument(r, w, "include", rest);
	if (pattern == NULL)
		return;
	struct include_paths paths;
	if (include_expand(w->file, w->line, pattern, &paths, r->d)) {
		for (size_t i = 0; i < paths.n; i++) {
			read_file(r, paths.paths[i], w);
			r->current = NO_SECTION;
		}
	}
	include_paths_free(&paths);
	free(pattern);
}

/* A column-0 line that is not a directive. Naming the keyword of a
 * `keyword=value` helps with the common mistake of forgetting to indent. */
static void report_stray_line(struct reader *r, const struct where *w, const char *word, const char *line)
{
	const char *eq = strchr(line, '=');
	const char *hash = strchr(line, '#');
	if (eq != NULL && (hash == NULL || eq < hash)) {
		const char *start = line;
		skip_space(&start);
		const char *end = eq;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		diag_add(r->d, "%s:%d: keyword '%.*s': must be indented under a 'conn NAME' or 'config setup' line",
			 w->file, w->line, (int)(end - start), start);
		return;
	}
	diag_add(r->d, "%s:%d: unexpected '%s' (expected 'conn NAME', 'config setup', 'include' or 'version')",
		 w->file, w->line, word);
}

static void read_directive_line(struct reader *r, const struct where *w, const char *line)
{
	const char *p = line;
	char *word = NULL;
	switch (next_word(&p, &word)) {
	case TOKEN_NONE:
		return;
	case TOKEN_UNTERMINATED:
		diag_add(r->d, "%s:%d: unterminated quote", w->file, w->line);
		return;
	case TOKEN_WORD:
		break;
	}
	if (strcmp(word, "conn") == 0)
		read_conn_header(r, w, p);
	else if (strcmp(word, "config") == 0)
		read_config_header(r, w, p);
	else if (strcmp(word, "include") == 0)
		read_include(r, w, p);
	else if (strcmp(word, "version") == 0)
		read_version(r, w, p);
	else
		report_stray_line(r, w, word, line);
	free(word);
}

/* Keyword lines (indented) */

static bool is_keyword_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static void add_entry(struct reader *r, const struct where *w, char *keyword, char *value)
{
	struct conf_section *s = &r->doc->sections[r->current];
	s->entries = xgrow(s->entries, &s->cap, s->nentries, sizeof(*s->entries));
	s->entries[s->nentries++] = (struct conf_entry) {
		.keyword = keyword,
		.value = value,
		.file = w->file,
		.line = w->line,
	};
}

/* The value after '=': quoted, bare, or empty. false when it is broken;
 * the error is reported. */
static bool read_value(struct reader *r, const struct where *w, const char *keyword,
		       const char *p, char **value)
{
	skip_space(&p);
	switch (next_word(&p, value)) {
	case TOKEN_NONE:
		*value = xstrdup("");
		return true;
	case TOKEN_UNTERMINATED:
		diag_add(r->d, "%s:%d: keyword '%s': unterminated %s", w->file, w->line, keyword,
			 *p == '{' ? "list (no closing '}')" : "quote");
		return false;
	case TOKEN_WORD:
		break;
	}
	if (!rest_is_empty(p)) {
		diag_add(r->d, "%s:%d: keyword '%s': unexpected text after the value (quote a value that contains blanks)",
			 w->file, w->line, keyword);
		free(*value);
		*value = NULL;
		return false;
	}
	return true;
}

static bool is_directive(const char *word)
{
	return strcmp(word, "conn") == 0 || strcmp(word, "config") == 0 ||
	       strcmp(word, "include") == 0 || strcmp(word, "version") == 0;
}

static void read_keyword_line(struct reader *r, const struct where *w, const char *line)
{
	const char *p = line;
	skip_space(&p);
	if (*p == '\0' || *p == '#')
		return;
	const char *start = p;
	while (is_keyword_char(*p))
		p++;
	if (p == start) {
		diag_add(r->d, "%s:%d: expected keyword=value", w->file, w->line);
		return;
	}
	char *keyword = xstrndup(start, (size_t)(p - start));
	skip_space(&p);
	char *value = NULL;
	if (*p != '=') {
		if (is_directive(keyword))
			diag_add(r->d, "%s:%d: '%s' must start at the beginning of the line (it is not a keyword)",
				 w->file, w->line, keyword);
		else
			diag_add(r->d, "%s:%d: keyword '%s': expected '=' and a value", w->file, w->line, keyword);
	} else if (read_value(r, w, keyword, p + 1, &value)) {
		if (r->current != NO_SECTION) {
			add_entry(r, w, keyword, value);
			return;	/* the section owns them now */
		}
		diag_add(r->d, "%s:%d: keyword '%s': outside any section (keywords go under 'conn NAME' or 'config setup')",
			 w->file, w->line, keyword);
	}
	free(keyword);
	free(value);
}

/* Files */

static void strip_newline(char *line)
{
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
}

static void read_lines(struct reader *r, FILE *f, const char *file)
{
	char *line = NULL;
	size_t cap = 0;
	struct where w = { .file = file, .line = 0 };
	while (getline(&line, &cap, f) != -1) {
		w.line++;
		strip_newline(line);
		if (line[0] == ' ' || line[0] == '\t')
			read_keyword_line(r, &w, line);
		else
			read_directive_line(r, &w, line);
	}
	if (ferror(f))
		diag_add(r->d, "%s: read error: %s", file, strerror(errno));
	free(line);
}

static void report_open_error(struct reader *r, const char *path, const struct where *from, int err)
{
	if (from != NULL && err == ENOENT)
		diag_add(r->notes, "%s:%d: include: '%s' does not exist; skipped", from->file, from->line, path);
	else if (from != NULL)
		diag_add(r->d, "%s:%d: include: cannot open '%s': %s", from->file, from->line, path, strerror(err));
	else
		diag_add(r->d, "%s: cannot open: %s", path, strerror(err));
}

static void read_file(struct reader *r, const char *path, const struct where *from)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		report_open_error(r, path, from, errno);
		return;
	}
	if (include_push(&r->stack, path, from ? from->file : NULL, from ? from->line : 0, r->d)) {
		r->current = NO_SECTION;	/* an included file starts outside any section */
		read_lines(r, f, intern_file(r->doc, path));
		include_pop(&r->stack);
	}
	fclose(f);
}

bool conf_read(const char *path, struct conf_doc *doc, struct diag *d, struct diag *notes)
{
	memset(doc, 0, sizeof(*doc));
	struct reader r = { .doc = doc, .d = d, .notes = notes, .current = NO_SECTION };
	int errors_before = d->count;
	read_file(&r, path, NULL);
	return d->count == errors_before;
}

void conf_doc_free(struct conf_doc *doc)
{
	for (size_t i = 0; i < doc->nsections; i++) {
		struct conf_section *s = &doc->sections[i];
		for (size_t j = 0; j < s->nentries; j++) {
			free(s->entries[j].keyword);
			free(s->entries[j].value);
		}
		free(s->entries);
		free(s->name);
	}
	free(doc->sections);
	for (size_t i = 0; i < doc->nfiles; i++)
		free(doc->files[i]);
	free(doc->files);
	memset(doc, 0, sizeof(*doc));
}
