/* whack_client.h: one request to pluto over its control socket, the
 * answer printed as it streams.
 *
 * whack and ipsec both send requests this way: `ipsec auto --up` talks
 * to pluto itself instead of starting whack, which saves a program start
 * (a good part of a single tunnel's setup time on a slow machine). */
#ifndef WHACK_CLIENT_H
#define WHACK_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include "whack_msg.h"

/* The control socket's path into buf: ctlsocket when given, else
 * pluto.ctl in rundir, else in the compiled-in rundir. False when it
 * does not fit buf or a socket address. */
bool whack_ctl_path(char *buf, size_t len, const char *ctlsocket, const char *rundir);

/* Sends r to the pluto at sock and prints each line of its answer on
 * stdout as it comes. Returns the status pluto ends the answer with, or
 * 1 when pluto cannot be reached or its answer is cut or malformed (said
 * on stderr, after "prog: "). */
int whack_client_run(const char *prog, const char *sock, const struct whack_request *r);

#endif
