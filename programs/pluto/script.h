/* script.h: running the admin's scripts (leftupdown=) beside the event
 * loop, one at a time and in the order asked, so that a tunnel's down
 * never overtakes its up.
 *
 * A script runs directly (posix_spawn, no shell: its words come from
 * ipsec.conf and its environment may hold a peer's ID), in its own process
 * group, with stdin on /dev/null and its output read by the loop and
 * logged, escaped, on the lines of the logger it was queued with (at most
 * SCRIPT_LINES_MAX lines a run). A run that takes longer than
 * SCRIPT_TIMEOUT_S is killed. Its exit status is logged when it is not 0.
 * At most SCRIPT_QUEUE_MAX wait; more are refused with a line saying so. */
#ifndef SCRIPT_H
#define SCRIPT_H

#include <stdbool.h>
#include "logger.h"

struct event_base;

#define SCRIPT_TIMEOUT_S 20
#define SCRIPT_LINES_MAX 40
#define SCRIPT_QUEUE_MAX 256
#define SCRIPT_DRAIN_S 10	/* at shutdown, for all the down scripts */

/* Queues argv (argv[0] the path) with envp; both are copied. what names
 * the run in log lines ("updown up-client"). false when refused (logged). */
bool script_queue(struct event_base *base, const struct logger *lg, const char *what, char *const argv[],
		  char *const envp[]);
/* Scripts running or waiting. */
unsigned script_pending(void);
/* At shutdown: runs what is queued for up to seconds in all, outside the
 * event loop; what is left then is killed or dropped, saying so. */
void script_drain(unsigned seconds);

#endif
