/* pluto_secrets.c: see pluto_secrets.h. */
#include <stdlib.h>
#include <unistd.h>
#include "log.h"
#include "pluto.h"
#include "pluto_secrets.h"
#include "secrets.h"

static bool file_named;	/* a missing file is an error, not "no PSKs" */

/* The secrets as the file says now, or NULL with the reasons in d. */
static struct secrets *read_secrets(struct diag *d)
{
	if (!file_named && access(pluto.secrets_path, F_OK) != 0)
		return calloc(1, sizeof(struct secrets));
	struct diag warnings;
	diag_init(&warnings);
	struct secrets *s = secrets_load_warn(pluto.secrets_path, d, &warnings);
	llog_lines(LL_WARN, &warnings);
	return s;
}

bool pluto_secrets_load(bool must_exist, struct diag *d)
{
	file_named = must_exist;
	pluto.secrets = read_secrets(d);
	return pluto.secrets != NULL;
}

bool pluto_secrets_reread(const char *why)
{
	struct diag d;
	diag_init(&d);
	struct secrets *fresh = read_secrets(&d);
	if (fresh == NULL) {
		llog_lines(LL_ERROR, &d);
		llog(LL_ERROR, "%s: %s has errors; keeping the %zu PSK entr%s loaded before",
		     why, pluto.secrets_path, pluto.secrets->n, pluto.secrets->n == 1 ? "y" : "ies");
		return false;
	}
	secrets_free(pluto.secrets);
	pluto.secrets = fresh;
	llog(LL_INFO, "%s: loaded %zu PSK entr%s from %s", why, fresh->n, fresh->n == 1 ? "y" : "ies",
	     pluto.secrets_path);
	return true;
}
