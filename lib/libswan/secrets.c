/* secrets.c: ipsec.secrets PSK entries, read all-or-nothing.
 *
 * An entry starts on a line in column 0 and goes on over the indented lines
 * that follow (libreswan lets the secret sit on its own line). Nothing that
 * could be part of a secret is ever copied into an error: errors name the
 * file, the line and what was expected, and quote only ids and fixed
 * words. Every buffer that held a secret is wiped before it is freed, and
 * the PSKs themselves live in key memory (secmem.h): never in a core dump
 * or swap. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "include_glob.h"
#include "ipsec_id.h"
#include "secmem.h"
#include "secret_file.h"
#include "secrets.h"
#include "xalloc.h"

struct secrets_reader {
	struct diag *d;
	struct diag *warnings;	/* NULL: the caller wants none */
	struct include_stack stack;
	struct secrets *out;
	size_t cap;
};

/* The text of one entry, joined from its lines, comments removed. */
struct pending {
	char *text;
	size_t len, cap;
	const char *file;
	int line;		/* where the entry starts */
	bool active;
	bool broken;		/* an error was already reported for it */
};

static void read_secrets_file(struct secrets_reader *r, const char *path,
			      const char *from, int from_line);

static void wipe_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

/* Entries */

static void psk_entry_clear(struct psk_entry *e)
{
	for (size_t i = 0; i < e->nids; i++)
		free(e->ids[i]);
	free(e->ids);
	secmem_free(e->psk, e->psk_len);
	free(e->file);
	memset(e, 0, sizeof(*e));
}

void secrets_free(struct secrets *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		psk_entry_clear(&s->entries[i]);
	free(s->entries);
	free(s);
}

/* Tokens: blank-separated words; "..." and '...' are one word each. */

struct token {
	const char *start;
	size_t len;
	bool quoted;
};

#define MAX_TOKENS 64

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits text into tokens; NULL, or why it cannot. */
static const char *tokenize(const char *text, struct token *tokens, size_t *n)
{
	*n = 0;
	const char *p = text;
	for (;;) {
		while (is_blank(*p))
			p++;
		if (*p == '\0')
			return NULL;
		if (*n == MAX_TOKENS)
			return "too many words in one entry";
		struct token *t = &tokens[(*n)++];
		if (*p == '"' || *p == '\'') {
			/* a quote inside a word (a"b) can leave this one open */
			const char *end = strchr(p + 1, *p);
			if (end == NULL)
				return "unbalanced quotes";
			*t = (struct token) { p + 1, (size_t)(end - p - 1), true };
			p = end + 1;
		} else {
			const char *start = p;
			while (*p != '\0' && !is_blank(*p))
				p++;
			*t = (struct token) { start, (size_t)(p - start), false };
		}
	}
}

static bool token_is(const struct token *t, const char *word)
{
	return !t->quoted && t->len == strlen(word) && strncasecmp(t->start, word, t->len) == 0;
}

/* ":" alone, or glued to an id that has no colon of its own ("@east:");
 * an IPv6 address needs the blank before its ':'. Sets *glued then. */
static bool token_is_separator(const struct token *t, bool *glued)
{
	*glued = false;
	if (t->quoted || t->len == 0 || t->start[t->len - 1] != ':')
		return false;
	if (t->len == 1)
		return true;
	if (memchr(t->start, ':', t->len - 1) != NULL)
		return false;
	*glued = true;
	return true;
}

/* Secrets */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 0x hex digits, '_' allowed between them for readability: how many
 * bytes they make, or -1 when they are not an even number of hex digits. */
static long hex_length(const struct token *t)
{
	size_t digits = 0;
	for (size_t i = 2; i < t->len; i++) {
		if (t->start[i] != '_' && hex_value(t->start[i]) < 0)
			return -1;
		digits += t->start[i] != '_';
	}
	return digits == 0 || digits % 2 != 0 ? -1 : (long)(digits / 2);
}

static void decode_hex(const struct token *t, uint8_t *out)
{
	size_t n = 0, digits = 0;
	int high = 0;
	for (size_t i = 2; i < t->len; i++) {
		if (t->start[i] == '_')
			continue;
		int v = hex_value(t->start[i]);
		if (digits++ % 2 == 0)
			high = v;
		else
			out[n++] = (uint8_t)(high << 4 | v);
	}
}

#define STR_(x) #x
#define STR(x) STR_(x)

/* Key memory for a PSK of len bytes, or NULL with *why. */
static uint8_t *psk_alloc(size_t len, const char **why)
{
	uint8_t *p = len <= SECMEM_MAX ? secmem_alloc(len) : NULL;
	if (p == NULL && len > SECMEM_MAX)
		*why = "the PSK is longer than " STR(SECMEM_MAX) " bytes, the most pluto keeps in key memory";
	else if (p == NULL)
		*why = "out of key memory for the PSK";
	return p;
}

/* The secret token; NULL with *why when it is not one. Never quotes it. */
static bool decode_secret(const struct token *t, uint8_t **psk, size_t *len, const char **why)
{
	if (t->quoted) {
		if (t->len == 0) {
			*why = "empty PSK";
			return false;
		}
		if ((*psk = psk_alloc(t->len, why)) == NULL)
			return false;
		memcpy(*psk, t->start, t->len);
		*len = t->len;
		return true;
	}
	if (t->len >= 2 && t->start[0] == '0' && (t->start[1] == 'x' || t->start[1] == 'X')) {
		long n = hex_length(t);
		if (n < 0) {
			*why = "invalid hex PSK (expected 0x followed by an even number of hex digits)";
			return false;
		}
		if ((*psk = psk_alloc((size_t)n, why)) == NULL)
			return false;
		decode_hex(t, *psk);
		*len = (size_t)n;
		return true;
	}
	if (t->len >= 2 && t->start[0] == '0' && (t->start[1] == 's' || t->start[1] == 'S')) {
		*why = "base64 (0s) PSKs are not supported; write the PSK as a \"quoted string\" or in 0x hex";
		return false;
	}
	*why = "the PSK must be a \"quoted string\" or 0x hex";
	return false;
}

/* Other libreswan secret types, named so the error can say which. */
static const char *other_secret_type(const struct token *t)
{
	static const char *const types[] = { "RSA", "ECDSA", "XAUTH", "EAP", "PIN", "PPK", "NTLM", "BPSK" };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (token_is(t, types[i]))
			return types[i];
	return NULL;
}

/* Entry parsing */

struct entry_parse {
	struct secrets_reader *r;
	const struct pending *p;
};

static void entry_error(const struct entry_parse *ep, const char *what)
{
	diag_add(ep->r->d, "%s:%d: %s", ep->p->file, ep->p->line, what);
}

static bool check_ids(const struct entry_parse *ep, const struct token *ids, size_t n)
{
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		const struct token *t = &ids[i];
		if (t->quoted) {
			entry_error(ep, "quoted ids are not supported (a DN's PSK is not: certificates authenticate DNs); ids go before ':'");
			ok = false;
			continue;
		}
		char *id = xstrndup(t->start, t->len);
		const char *why;
		enum id_kind kind = id_classify(id, &why);
		if (kind == ID_KIND_FROMCERT)
			why = "%fromcert stands for a certificate's subject, which a PSK does not authenticate";
		if (kind == ID_KIND_INVALID || kind == ID_KIND_FROMCERT) {
			diag_add(ep->r->d, "%s:%d: id '%s': %s", ep->p->file, ep->p->line, id, why);
			ok = false;
		}
		free(id);
	}
	return ok;
}

/* Where ':' is, and how many ids come before it. */
static bool find_separator(const struct token *tokens, size_t n, size_t *sep, size_t *nids)
{
	for (size_t i = 0; i < n; i++) {
		bool glued;
		if (token_is_separator(&tokens[i], &glued)) {
			*sep = i;
			*nids = glued ? i + 1 : i;
			return true;
		}
	}
	return false;
}

static void add_entry(struct secrets_reader *r, const struct pending *p,
		      const struct token *ids, size_t nids, uint8_t *psk, size_t psk_len)
{
	struct secrets *s = r->out;
	s->entries = xgrow(s->entries, &r->cap, s->n, sizeof(*s->entries));
	struct psk_entry *e = &s->entries[s->n++];
	memset(e, 0, sizeof(*e));
	e->ids = xzalloc((nids ? nids : 1) * sizeof(*e->ids));
	for (size_t i = 0; i < nids; i++)
		e->ids[i] = xstrndup(ids[i].start, ids[i].len);
	e->nids = nids;
	e->psk = psk;
	e->psk_len = psk_len;
	e->file = xstrdup(p->file);
	e->line = p->line;
}

/* What follows ':' must be exactly PSK and one secret. false with what
 * is wrong in why, in words that never include the text found there. */
static bool check_secret_part(const struct token *tokens, size_t n, size_t type_at,
			      char *why, size_t why_len)
{
	const char *other = type_at < n ? other_secret_type(&tokens[type_at]) : NULL;
	const char *wrong = NULL;
	if (type_at >= n)
		wrong = "expected PSK \"secret\" after ':'";
	else if (other != NULL)
		wrong = "secrets are not supported (only PSK)";
	else if (!token_is(&tokens[type_at], "PSK"))
		wrong = "expected PSK after ':' (only PSK secrets are supported)";
	else if (type_at + 1 >= n)
		wrong = "missing the PSK after 'PSK'";
	else if (type_at + 2 < n)
		wrong = "unexpected text after the PSK (one secret per entry; quote a PSK that contains blanks)";
	if (wrong == NULL)
		return true;
	snprintf(why, why_len, "%s%s%s", other ? other : "", other ? " " : "", wrong);
	return false;
}

/* The shape is checked before the ids: only once ':' PSK "secret" is
 * found can the words before ':' be shown as ids without risking that
 * one of them is a misplaced secret. */
static void parse_entry_tokens(const struct entry_parse *ep, const struct token *tokens, size_t n)
{
	size_t sep, nids;
	if (!find_separator(tokens, n, &sep, &nids)) {
		entry_error(ep, "expected ID ID : PSK \"secret\" (no ':' found; after an IPv6 address it needs a blank before it)");
		return;
	}
	char wrong[160];
	if (!check_secret_part(tokens, n, sep + 1, wrong, sizeof(wrong))) {
		entry_error(ep, wrong);
		return;
	}
	uint8_t *psk = NULL;
	size_t psk_len = 0;
	const char *why;
	if (!decode_secret(&tokens[sep + 2], &psk, &psk_len, &why)) {
		entry_error(ep, why);
		return;
	}
	struct token ids[MAX_TOKENS];
	memcpy(ids, tokens, nids * sizeof(*ids));
	if (nids > sep)		/* "@east:": the id without its ':' */
		ids[nids - 1].len--;
	if (!check_ids(ep, ids, nids)) {
		secmem_free(psk, psk_len);
		return;
	}
	add_entry(ep->r, ep->p, ids, nids, psk, psk_len);
}

static void finish_entry(struct secrets_reader *r, struct pending *p)
{
	if (p->active && !p->broken) {
		struct token tokens[MAX_TOKENS];
		size_t n;
		struct entry_parse ep = { r, p };
		const char *why = tokenize(p->text, tokens, &n);
		if (why != NULL)
			entry_error(&ep, why);
		else
			parse_entry_tokens(&ep, tokens, n);
	}
	if (p->text != NULL)
		explicit_bzero(p->text, p->cap);
	p->len = 0;
	p->active = false;
	p->broken = false;
}

/* Lines */

/* Removes a comment ('#' outside quotes); false when a quote is left
 * open (the line may hold a secret, so it is not shown). */
static bool strip_comment(char *line)
{
	char quote = '\0';
	for (char *c = line; *c != '\0'; c++) {
		if (quote != '\0') {
			if (*c == quote)
				quote = '\0';
		} else if (*c == '"' || *c == '\'') {
			quote = *c;
		} else if (*c == '#') {
			*c = '\0';
			break;
		}
	}
	return quote == '\0';
}

static bool is_blank_line(const char *line)
{
	while (is_blank(*line))
		line++;
	return *line == '\0';
}

static void append_to_entry(struct pending *p, const char *text)
{
	size_t n = strlen(text);
	size_t need = p->len + n + 2;
	if (need > p->cap) {
		/* grow by hand: realloc would leave a copy of the secret behind */
		size_t cap = need * 2;
		char *bigger = xzalloc(cap);
		if (p->text != NULL)
			memcpy(bigger, p->text, p->len);
		wipe_free(p->text, p->cap);
		p->text = bigger;
		p->cap = cap;
	}
	p->text[p->len++] = ' ';
	memcpy(p->text + p->len, text, n);
	p->len += n;
	p->text[p->len] = '\0';
}

/* "include PATTERN" in column 0; true when the line was one. */
static bool read_include_line(struct secrets_reader *r, const char *file, int line, char *text)
{
	if (strncmp(text, "include", 7) != 0 || (text[7] != '\0' && !is_blank(text[7])))
		return false;
	char *pattern = text + 7;
	while (is_blank(*pattern))
		pattern++;
	char *end = pattern + strlen(pattern);
	while (end > pattern && is_blank(end[-1]))
		*--end = '\0';
	if (*pattern == '\0' || strpbrk(pattern, " \t") != NULL) {
		diag_add(r->d, "%s:%d: include: expected one file name or pattern", file, line);
		return true;
	}
	struct include_paths paths;
	if (include_expand(file, line, pattern, &paths, r->d))
		for (size_t i = 0; i < paths.n; i++)
			read_secrets_file(r, paths.paths[i], file, line);
	include_paths_free(&paths);
	return true;
}

/* One line of the file being read, as secret_file_lines hands it over. */
struct line_reader {
	struct secrets_reader *r;
	struct pending *p;
	const char *file;
};

static void read_line(void *arg, int lineno, char *line)
{
	struct line_reader *lr = arg;
	struct secrets_reader *r = lr->r;
	struct pending *p = lr->p;
	const char *file = lr->file;
	bool continues = is_blank(line[0]);
	bool closed = strip_comment(line);
	if (!continues) {
		if (is_blank_line(line) && closed)
			return;	/* a comment line does not end an entry */
		finish_entry(r, p);
		if (closed && read_include_line(r, file, lineno, line))
			return;
	} else if (is_blank_line(line) && closed) {
		return;
	}
	if (!p->active) {
		p->active = true;
		p->file = file;
		p->line = lineno;
	}
	if (!closed) {
		diag_add(r->d, "%s:%d: unterminated quote (the line is not shown: it may hold a secret)", file, lineno);
		p->broken = true;
		return;
	}
	append_to_entry(p, line);
}

static void read_secrets_file(struct secrets_reader *r, const char *path,
			      const char *from, int from_line)
{
	struct secret_file sf;
	if (!secret_file_open(&sf, path, r->warnings)) {
		if (from != NULL)
			diag_add(r->d, "%s:%d: include: cannot open '%s': %s", from, from_line, path, strerror(errno));
		else
			diag_add(r->d, "%s: cannot open: %s", path, strerror(errno));
		return;
	}
	if (include_push(&r->stack, path, from, from_line, r->d)) {
		struct pending p = { 0 };
		struct line_reader lr = { r, &p, path };
		secret_file_lines(&sf, read_line, &lr, r->d);
		finish_entry(r, &p);
		wipe_free(p.text, p.cap);
		include_pop(&r->stack);
	}
	secret_file_close(&sf);
}

struct secrets *secrets_load(const char *path, struct diag *d)
{
	return secrets_load_warn(path, d, NULL);
}

struct secrets *secrets_load_warn(const char *path, struct diag *d, struct diag *warnings)
{
	struct secrets_reader r = { .d = d, .warnings = warnings };
	r.out = xzalloc(sizeof(*r.out));
	int errors_before = d->count;
	read_secrets_file(&r, path, NULL, 0);
	if (d->count != errors_before) {
		secrets_free(r.out);
		return NULL;
	}
	return r.out;
}

/* Matching */

/* How well an entry fits: -1 no match, 0 %any %any, 1 one id named, 2 both.
 * No id means %any %any; one id means that id and %any. Each side must be
 * named or covered by %any, and an entry that names ids is about those
 * ids: "@c %any" is not a PSK for @a and @x. */
static int match_score(const struct psk_entry *e, const char *local_id, const char *remote_id)
{
	bool has_any = e->nids < 2, names_ids = false;
	bool local_named = false, remote_named = false;
	for (size_t i = 0; i < e->nids; i++) {
		if (strcmp(e->ids[i], "%any") == 0) {
			has_any = true;
			continue;
		}
		names_ids = true;
		local_named |= local_id != NULL && id_eq(e->ids[i], local_id);
		remote_named |= remote_id != NULL && id_eq(e->ids[i], remote_id);
	}
	if ((!local_named && !has_any) || (!remote_named && !has_any))
		return -1;
	if (names_ids && !local_named && !remote_named)
		return -1;
	return (int)local_named + (int)remote_named;
}

const struct psk_entry *secrets_find_psk(const struct secrets *s,
					 const char *local_id, const char *remote_id)
{
	const struct psk_entry *best = NULL;
	int best_score = -1;
	for (size_t i = 0; s != NULL && i < s->n; i++) {
		int score = match_score(&s->entries[i], local_id, remote_id);
		if (score > best_score) {	/* strictly: the first of equals stays */
			best = &s->entries[i];
			best_score = score;
		}
	}
	return best;
}
