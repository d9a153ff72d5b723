/* nss_password.c: see nss_password.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "nss_password.h"
#include "secmem.h"
#include "secret_file.h"


struct password_search {
	const char *path, *token;
	struct diag *d;
	char *found;		/* key memory */
	size_t found_cap;
	bool errors;
};

static bool is_comment_or_blank(const char *line)
{
	line += strspn(line, " \t");
	return *line == '\0' || *line == '#';
}

static void take_password(struct password_search *s, int lineno, const char *password)
{
	size_t len = strlen(password);
	if (len + 1 > SECMEM_MAX) {
		diag_add(s->d, "%s:%d: the password is longer than %d bytes, the most pluto keeps in key memory",
			 s->path, lineno, SECMEM_MAX - 1);
		s->errors = true;
		return;
	}
	s->found = secmem_alloc(len + 1);
	if (s->found == NULL) {
		diag_add(s->d, "%s:%d: out of key memory for the password", s->path, lineno);
		s->errors = true;
		return;
	}
	memcpy(s->found, password, len + 1);
	s->found_cap = len + 1;
}

/* Every line is checked, also after the token's: an error anywhere in the
 * file means the file is not what its writer meant. */
static void read_password_line(void *arg, int lineno, char *line)
{
	struct password_search *s = arg;
	if (is_comment_or_blank(line))
		return;
	char *colon = strchr(line, ':');
	if (colon == NULL) {
		/* the line may be a bare password: it is not shown */
		diag_add(s->d, "%s:%d: expected TOKEN:PASSWORD (no ':' found; the line is not shown: it may hold a password)",
			 s->path, lineno);
		s->errors = true;
		return;
	}
	if (colon == line) {
		diag_add(s->d, "%s:%d: expected TOKEN:PASSWORD (no token name before ':')", s->path, lineno);
		s->errors = true;
		return;
	}
	*colon = '\0';
	if (s->found == NULL && !s->errors && strcmp(line, s->token) == 0)
		take_password(s, lineno, colon + 1);
}

enum nss_password_found nss_password_find(const char *path, const char *token, char **password,
					  struct diag *d, struct diag *warnings)
{
	*password = NULL;
	struct secret_file sf;
	if (!secret_file_open(&sf, path, warnings)) {
		if (errno == ENOENT)
			return NSS_PASSWORD_NO_FILE;
		diag_add(d, "%s: cannot open: %s", path, strerror(errno));
		return NSS_PASSWORD_ERROR;
	}
	int errors_before = d->count;
	struct password_search s = { .path = path, .token = token, .d = d };
	secret_file_lines(&sf, read_password_line, &s, d);
	secret_file_close(&sf);
	if (s.errors || d->count != errors_before) {
		secmem_free(s.found, s.found_cap);
		return NSS_PASSWORD_ERROR;
	}
	if (s.found == NULL)
		return NSS_PASSWORD_NO_TOKEN;
	*password = s.found;
	return NSS_PASSWORD_FOUND;
}

void nss_password_free(char *password)
{
	if (password != NULL)
		secmem_free(password, strlen(password) + 1);
}
