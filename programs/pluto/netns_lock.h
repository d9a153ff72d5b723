/* netns_lock.h: one pluto per network namespace.
 *
 * XFRM state is per network namespace, and pluto removes every SA and
 * policy with a reqid in its range (PLUTO_REQID_MIN-MAX) at start and at
 * exit, so two plutos in one namespace would remove each other's. The pid
 * file cannot prevent that: it is per rundir. The lock is an abstract UNIX
 * socket with a fixed name: abstract names are per network namespace, and
 * the kernel frees the name when its holder dies, however it dies. */
#ifndef NETNS_LOCK_H
#define NETNS_LOCK_H

#include <stdbool.h>
#include "diag.h"

/* Takes this namespace's lock (pluto.base's loop then answers those who
 * ask who holds it). Fails, naming the holder's pid, when another process
 * has it; nothing else is touched then. */
bool netns_lock_claim(struct diag *d);
/* Gives the lock back (at exit; the kernel would do it anyway). */
void netns_lock_release(void);

#endif
