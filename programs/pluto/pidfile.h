/* pidfile.h: one pluto per rundir, enforced by a lock on the pid file. */
#ifndef PIDFILE_H
#define PIDFILE_H

#include <stdbool.h>
#include "diag.h"

/* Creates and locks RUNDIR/pluto.pid, writing our pid. Fails with a reason
 * naming the running pluto when another one holds the lock, and when
 * pluto.pid is a symbolic link (it is never followed). */
bool pidfile_claim(const char *rundir, struct diag *d);
/* After fork: rewrite the pid (the lock is inherited by the child). */
void pidfile_update(void);
void pidfile_release(void);

#endif
