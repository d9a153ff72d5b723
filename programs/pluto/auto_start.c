/* auto_start.c: see auto_start.h. */
#include <stdlib.h>
#include <event2/event.h>
#include "auto_start.h"
#include "connections.h"
#include "ikev2.h"
#include "pluto.h"

static struct {
	struct event *ev;
	struct connection **conns;	/* references, in file order */
	size_t n, next;
} starting;

static void drop_waiting(void)
{
	while (starting.next < starting.n)
		conn_unref(starting.conns[starting.next++]);
	free(starting.conns);
	starting.conns = NULL;
	starting.n = starting.next = 0;
}

/* Brings up the next conn still loaded as it was; true when one was. */
static bool start_next(void)
{
	while (starting.next < starting.n) {
		struct connection *c = starting.conns[starting.next++];
		bool now = !c->unloaded && !pluto.stopping;
		if (now)
			ikev2_initiate(c, 0);
		conn_unref(c);
		if (now)
			return true;
	}
	return false;
}

static void on_turn(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	static const struct timeval at_once = { 0, 0 };
	if (start_next() && starting.next < starting.n)
		evtimer_add(starting.ev, &at_once);
	else
		drop_waiting();
}

void auto_start_begin(void)
{
	size_t n = 0;
	for (struct connection *c = conn_first(); c != NULL; c = c->next)
		n += c->config->auto_mode == AUTO_START;
	if (n == 0)
		return;
	if (starting.ev == NULL)
		starting.ev = evtimer_new(pluto.base, on_turn, NULL);
	starting.conns = calloc(n, sizeof(*starting.conns));
	if (starting.ev == NULL || starting.conns == NULL) {
		free(starting.conns);
		starting.conns = NULL;
		/* out of memory: all at once, then */
		for (struct connection *c = conn_first(); c != NULL; c = c->next) {
			if (c->config->auto_mode == AUTO_START)
				ikev2_initiate(c, 0);
		}
		return;
	}
	for (struct connection *c = conn_first(); c != NULL; c = c->next) {
		if (c->config->auto_mode == AUTO_START)
			starting.conns[starting.n++] = conn_ref(c);
	}
	on_turn(-1, 0, NULL);
}

size_t auto_start_waiting(void)
{
	return starting.n - starting.next;
}

void auto_start_end(void)
{
	drop_waiting();
	if (starting.ev != NULL)
		event_free(starting.ev);
	starting.ev = NULL;
}
