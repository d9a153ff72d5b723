/* netns_lock.c: see netns_lock.h. The holder listens on the name so that
 * a pluto refused the lock can connect and learn who holds it from
 * SO_PEERCRED; connections are accepted and closed at once so that they
 * never fill the backlog. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "kernel.h"
#include "netns_lock.h"
#include "pluto.h"

/* Fixed: every pluto of this kind must find the same name. */
#define LOCK_NAME "swan-offload/pluto/reqids"

static int lock_fd = -1;
static struct event *drain_ev;

/* The abstract address: a NUL, then the name, no terminator. */
static socklen_t lock_address(struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path + 1, LOCK_NAME, strlen(LOCK_NAME));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(LOCK_NAME));
}

static void drain(evutil_socket_t fd, short what, void *arg)
{
	(void)what; (void)arg;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c >= 0)
		close(c);
}

/* Why the lock is not ours, with the holder's pid when it can be read. */
static void describe_holder(struct diag *d)
{
	struct sockaddr_un sun;
	socklen_t len = lock_address(&sun);
	struct ucred cred = { .pid = 0 };
	socklen_t clen = sizeof(cred);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	bool known = fd >= 0 && connect(fd, (struct sockaddr *)&sun, len) == 0 &&
		     getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 && cred.pid > 0;
	if (fd >= 0)
		close(fd);
	if (!known)
		diag_add(d, "another pluto runs in this network namespace (its pid cannot be read); "
			 "it owns the SAs and policies with reqids %#x-%#x, so this one does not start",
			 PLUTO_REQID_MIN, PLUTO_REQID_MAX);
	else if (cred.uid != 0 && cred.uid != geteuid())
		diag_add(d, "the lock on this network namespace's reqids %#x-%#x is held by pid %d of uid %u, "
			 "neither root nor this pluto's user; this one does not start",
			 PLUTO_REQID_MIN, PLUTO_REQID_MAX, (int)cred.pid, (unsigned)cred.uid);
	else
		diag_add(d, "another pluto (pid %d) runs in this network namespace; it owns the SAs and "
			 "policies with reqids %#x-%#x, so this one does not start",
			 (int)cred.pid, PLUTO_REQID_MIN, PLUTO_REQID_MAX);
}

bool netns_lock_claim(struct diag *d)
{
	struct sockaddr_un sun;
	socklen_t len = lock_address(&sun);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		diag_add(d, "cannot create the network namespace lock: %s", strerror(errno));
		return false;
	}
	if (bind(fd, (struct sockaddr *)&sun, len) != 0) {
		int err = errno;
		close(fd);
		if (err == EADDRINUSE)
			describe_holder(d);
		else
			diag_add(d, "cannot take the network namespace lock: %s", strerror(err));
		return false;
	}
	drain_ev = event_new(pluto.base, fd, EV_READ | EV_PERSIST, drain, NULL);
	if (listen(fd, 16) != 0 || drain_ev == NULL || event_add(drain_ev, NULL) != 0) {
		diag_add(d, "cannot listen on the network namespace lock: %s", strerror(errno));
		if (drain_ev != NULL)
			event_free(drain_ev);
		drain_ev = NULL;
		close(fd);
		return false;
	}
	lock_fd = fd;
	return true;
}

void netns_lock_release(void)
{
	if (drain_ev != NULL)
		event_free(drain_ev);
	drain_ev = NULL;
	if (lock_fd >= 0)
		close(lock_fd);
	lock_fd = -1;
}
