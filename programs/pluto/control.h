/* control.h: the whack control socket.
 *
 * RUNDIR/pluto.ctl is a UNIX socket with mode 0600 whose peers must be
 * root (or pluto's own user, when pluto runs unprivileged for tests),
 * checked with SO_PEERCRED. Each client sends one request frame within
 * CONTROL_REQUEST_DEADLINE_S of connecting; the dispatcher given to
 * control_listen answers with lines and one final status through a
 * struct whack_session, possibly later (a negotiation streams progress).
 *
 * A session lives until its status is flushed or its client goes,
 * whichever comes first. Whoever answers later keeps the session's serial,
 * not its pointer, and looks it up when it has something to say. At most
 * CONTROL_SESSIONS_MAX clients are served at once; when pluto runs out of
 * file descriptors it stops accepting for a moment instead of spinning. */
#ifndef CONTROL_H
#define CONTROL_H

#include <stdbool.h>
#include "diag.h"
#include "whack_msg.h"

#define CONTROL_REQUEST_DEADLINE_S 10
#define CONTROL_SESSIONS_MAX 64

struct whack_session;

typedef void control_dispatch_fn(struct whack_session *s, const struct whack_request *r);

bool control_listen(const char *rundir, control_dispatch_fn *dispatch, struct diag *d);
/* No new clients: the socket is closed and unlinked. Those connected
 * stay, to be told how the commands they wait for end. */
void control_stop_listening(void);
/* control_stop_listening, then write what is queued for each client and
 * drop them all. Called after the event loop has stopped. */
void control_close(void);
unsigned control_session_count(void);

/* Send one line of text to the client (several when text has newlines). */
void whack_line(struct whack_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Send the final status and close once it is flushed. The session is
 * gone for the caller after this call. */
void whack_done(struct whack_session *s, int rc);

/* The session's serial, never 0; and the session of a serial, NULL once
 * it has gone (or for 0). */
unsigned whack_serial(const struct whack_session *s);
struct whack_session *whack_by_serial(unsigned serial);

/* Copy the daemon's log lines to this client until whack_done (used while
 * a command runs so the user sees what the log says about it). */
void whack_follow_log(struct whack_session *s);
/* Stop that before whack_done: a command that hands the session to a
 * negotiation, whose own lines reach the client through its logger. */
void whack_unfollow_log(struct whack_session *s);

#endif
