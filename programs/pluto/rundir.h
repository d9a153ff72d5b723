/* rundir.h: the run directory (pluto.ctl, pluto.pid) is pluto's alone.
 *
 * Whoever can write to it can replace the control socket or the pid file
 * under pluto, so pluto starts only with a rundir that is a directory (a
 * symbolic link is refused, whatever it points to), owned by root or by
 * pluto's own user, and writable by neither group nor others. A missing
 * rundir is created mode 0700. */
#ifndef RUNDIR_H
#define RUNDIR_H

#include <stdbool.h>
#include "diag.h"

/* Creates path if missing, then checks it; the reason, naming path, in d. */
bool rundir_prepare(const char *path, struct diag *d);

#endif
