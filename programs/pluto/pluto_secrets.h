/* pluto_secrets.h: pluto's PSKs, pluto.secrets, read from
 * pluto.secrets_path at start and again on request. Every read logs a warning for a secrets file that
 * group or others may read or write (the file is loaded all the same). */
#ifndef PLUTO_SECRETS_H
#define PLUTO_SECRETS_H

#include <stdbool.h>
#include "diag.h"

/* At start, once logging is set up. A missing file counts as empty,
 * unless must_exist (the user named it): then, like any error in it, it
 * is a reason in d, and pluto.secrets is left NULL. */
bool pluto_secrets_load(bool must_exist, struct diag *d);
/* Reads the file again (on SIGHUP, as libreswan's `ipsec rereadsecrets`):
 * when it reads without error its PSKs replace the loaded ones, and how
 * many were loaded is logged; otherwise the errors are logged and the
 * PSKs loaded before are kept (and false is returned). why starts the log
 * lines. */
bool pluto_secrets_reread(const char *why);

#endif
