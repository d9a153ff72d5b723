/* control.h: the whack control socket.
 *
 * RUNDIR/pluto.ctl is a UNIX socket with mode 0600 whose peers must be
 * root (or pluto's own user, when pluto runs unprivileged for tests),
 * checked with SO_PEERCRED. Each client sends one request frame; the
 * handler answers with lines and one final status through a
 * struct whack_session, possibly later (a negotiation streams progress). */
#ifndef CONTROL_H
#define CONTROL_H

#include <stdbool.h>
#include "diag.h"
#include "whack_msg.h"

struct whack_session;

bool control_listen(const char *rundir, struct diag *d);
void control_close(void);	/* stop listening, drop clients, unlink the socket */

/* Send one line of text to the client (several when text has newlines). */
void whack_line(struct whack_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Send the final status and close once it is flushed. The session is
 * gone after this call. */
void whack_done(struct whack_session *s, int rc);

/* Copy the daemon's log lines to this client until whack_done (used while
 * a command runs so the user sees what the log says about it). */
void whack_follow_log(struct whack_session *s);

/* Implemented by the command table (commands.c). */
void command_dispatch(struct whack_session *s, const struct whack_request *r);

#endif
