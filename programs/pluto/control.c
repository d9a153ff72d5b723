/* control.c: accept whack clients, read one request frame each, hand it
 * to the command table, stream the answer back. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include "control.h"
#include "log.h"
#include "pluto.h"

/* A client that sends nothing useful for this long is dropped. */
#define CLIENT_READ_TIMEOUT_S 10

struct whack_session {
	struct bufferevent *bev;
	bool request_seen;	/* one request per connection */
	bool finished;		/* whack_done called; close when flushed */
	bool peer_gone;		/* the client left first: answer into the void */
	struct whack_session *next;
};

static struct evconnlistener *listener;
static struct whack_session *sessions;	/* every live session, for shutdown */
static char socket_path[PATH_MAX];
static struct whack_session *log_follower;

static void session_free(struct whack_session *s)
{
	for (struct whack_session **pp = &sessions; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	if (log_follower == s) {
		log_follower = NULL;
		log_set_tee(NULL, NULL);
	}
	if (s->bev != NULL)
		bufferevent_free(s->bev);
	free(s);
}

static void send_frame(struct whack_session *s, const uint8_t *frame, size_t n)
{
	if (s->peer_gone || n == 0)
		return;
	bufferevent_write(s->bev, frame, n);
}

static void send_text_lines(struct whack_session *s, const char *text)
{
	uint8_t frame[WHACK_TEXT_MAX + 64];
	const char *p = text;
	do {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		char line[WHACK_TEXT_MAX];
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		send_frame(s, frame, whack_encode_line(line, frame, sizeof(frame)));
		p = nl != NULL ? nl + 1 : NULL;
	} while (p != NULL && *p != '\0');
}

void whack_line(struct whack_session *s, const char *fmt, ...)
{
	char text[WHACK_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	send_text_lines(s, text);
}

static void follower_tee(void *arg, enum log_level level, const char *line)
{
	(void)level;
	send_text_lines(arg, line);
}

void whack_follow_log(struct whack_session *s)
{
	log_follower = s;
	log_set_tee(follower_tee, s);
}

static void close_when_flushed(struct bufferevent *bev, void *arg)
{
	struct whack_session *s = arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		session_free(s);
}

void whack_done(struct whack_session *s, int rc)
{
	uint8_t frame[64];
	if (log_follower == s) {
		log_follower = NULL;
		log_set_tee(NULL, NULL);
	}
	s->finished = true;
	if (s->peer_gone) {
		session_free(s);
		return;
	}
	send_frame(s, frame, whack_encode_done(rc, frame, sizeof(frame)));
	bufferevent_disable(s->bev, EV_READ);
	bufferevent_setcb(s->bev, NULL, close_when_flushed, NULL, s);
	close_when_flushed(s->bev, s);
}

static void reject(struct whack_session *s, const struct diag *d)
{
	llog(LL_WARN, "whack: rejected a malformed request: %s", diag_oneline(d, NULL));
	whack_line(s, "pluto: %s", d->text);
	whack_done(s, 1);
}

static void client_read(struct bufferevent *bev, void *arg)
{
	struct whack_session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t have = evbuffer_get_length(in);
	uint8_t hdr[WHACK_HDR_LEN];
	struct diag d;
	diag_init(&d);

	if (s->request_seen) {
		/* Anything after the request is ignored rather than queued. */
		evbuffer_drain(in, have);
		return;
	}
	if (have < WHACK_HDR_LEN)
		return;
	evbuffer_copyout(in, hdr, sizeof(hdr));
	long total = whack_frame_len(hdr, sizeof(hdr), &d);
	if (total < 0) {
		evbuffer_drain(in, have);
		reject(s, &d);
		return;
	}
	if (have < (size_t)total)
		return;		/* the rest is still on its way */

	uint8_t *frame = malloc((size_t)total);
	if (frame == NULL) {
		llog(LL_ERROR, "whack: out of memory reading a request");
		session_free(s);
		return;
	}
	evbuffer_remove(in, frame, (size_t)total);
	struct whack_request r;
	bool ok = whack_decode_request(frame, (size_t)total, &r, &d);
	free(frame);
	s->request_seen = true;
	if (!ok) {
		reject(s, &d);
		return;
	}
	bufferevent_set_timeouts(bev, NULL, NULL);
	llog(LL_DEBUG, "whack: %s request", whack_op_name(r.op));
	command_dispatch(s, &r);
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	struct whack_session *s = arg;
	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		llog(LL_WARN, "whack: dropped a client that sent no complete request in %d seconds",
		     CLIENT_READ_TIMEOUT_S);
	size_t pending = evbuffer_get_length(bufferevent_get_input(s->bev));
	if ((what & BEV_EVENT_EOF) && !s->request_seen && pending > 0) {
		/* The client closed its side mid-frame; it may still read. */
		struct diag d;
		diag_init(&d);
		diag_add(&d, "whack message: truncated, the client stopped after %zu bytes", pending);
		s->request_seen = true;
		reject(s, &d);
		return;
	}
	if (!s->request_seen || s->finished) {
		session_free(s);
		return;
	}
	/* The client went away while its command runs: let the command finish
	 * and call whack_done, which frees the session. */
	s->peer_gone = true;
	bufferevent_free(s->bev);
	s->bev = NULL;
}

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		llog(LL_WARN, "whack: cannot read the client's credentials: %s", strerror(errno));
		return false;
	}
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	llog(LL_WARN, "whack: refused a client with uid %u (pid %d): only root may control pluto",
	     (unsigned)cred.uid, (int)cred.pid);
	return false;
}

static void client_accept(struct evconnlistener *l, evutil_socket_t fd,
			  struct sockaddr *sa, int salen, void *arg)
{
	(void)l; (void)sa; (void)salen; (void)arg;
	if (!peer_allowed(fd)) {
		close(fd);
		return;
	}
	struct whack_session *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		close(fd);
		return;
	}
	s->bev = bufferevent_socket_new(pluto.base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		close(fd);
		free(s);
		return;
	}
	struct timeval tv = { .tv_sec = CLIENT_READ_TIMEOUT_S };
	bufferevent_set_timeouts(s->bev, &tv, NULL);
	bufferevent_setcb(s->bev, client_read, NULL, client_event, s);
	bufferevent_enable(s->bev, EV_READ);
	s->next = sessions;
	sessions = s;
}

bool control_listen(const char *rundir, struct diag *d)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/pluto.ctl", rundir);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		diag_add(d, "control socket path '%s/pluto.ctl' is too long", rundir);
		return false;
	}
	strcpy(socket_path, sun.sun_path);
	/* We hold the pid file lock, so a socket here is a dead pluto's. */
	unlink(socket_path);

	mode_t old = umask(0177);	/* the socket is born 0600 */
	listener = evconnlistener_new_bind(pluto.base, client_accept, NULL,
					   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
					   (struct sockaddr *)&sun, sizeof(sun));
	int err = errno;
	umask(old);
	if (listener == NULL) {
		diag_add(d, "cannot listen on '%s': %s", socket_path, strerror(err));
		return false;
	}
	chmod(socket_path, 0600);
	return true;
}

void control_close(void)
{
	/* The loop has stopped: write what is queued (a final status, such as
	 * shutdown's own) straight to the sockets before closing them. */
	for (struct whack_session *s = sessions; s != NULL; s = s->next) {
		if (s->bev != NULL) {
			struct evbuffer *out = bufferevent_get_output(s->bev);
			/* The bufferevent froze the buffer's start for itself. */
			evbuffer_unfreeze(out, 1);
			evbuffer_write(out, bufferevent_getfd(s->bev));
		}
	}
	while (sessions != NULL)
		session_free(sessions);
	if (listener == NULL)
		return;
	evconnlistener_free(listener);
	listener = NULL;
	unlink(socket_path);
}
