/* auto_start.h: the auto=start conns brought up once pluto is up, in
 * file order, one for each pass of the event loop rather than all in one
 * go: each initiation computes a DH key share, and with a thousand conns
 * the answers to the first requests would otherwise wait, unread, until
 * the last share was made, and be retransmitted meanwhile.
 *
 * A conn is brought up when its turn comes only if it is still the one
 * loaded at the start: one deleted or replaced meanwhile (a reload,
 * whack --delete or --add) is left to what deleted or replaced it, which
 * brings up what its config says (a reload brings up a replacing
 * auto=start conn at once; one now auto=add stays down). */
#ifndef AUTO_START_H
#define AUTO_START_H

#include <stddef.h>

/* Takes the loaded auto=start conns (a reference to each) and brings up
 * the first; the rest follow from the event loop. */
void auto_start_begin(void);
/* How many are still waiting for their turn. */
size_t auto_start_waiting(void);
/* Drops those still waiting (pluto stops). */
void auto_start_end(void);

#endif
