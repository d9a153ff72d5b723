/* control.c: accept whack clients, read one request frame each, hand it
 * to the dispatcher, stream the answer back. */
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

/* After running out of descriptors, accepting waits this long. */
#define ACCEPT_PAUSE_MS 500

struct whack_session {
	unsigned serial;
	struct bufferevent *bev;
	struct event *deadline;	/* until the request is complete */
	bool request_seen;	/* one request per connection */
	bool finished;		/* whack_done called; close when flushed */
	struct whack_session *next;
};

static struct evconnlistener *listener;
static struct event *accept_resume;
static control_dispatch_fn *dispatcher;
static struct whack_session *sessions;	/* every live session */
static unsigned nsessions, last_serial;
static char socket_path[PATH_MAX];
static struct whack_session *log_follower;

unsigned control_session_count(void)
{
	return nsessions;
}

unsigned whack_serial(const struct whack_session *s)
{
	return s->serial;
}

struct whack_session *whack_by_serial(unsigned serial)
{
	for (struct whack_session *s = sessions; serial != 0 && s != NULL; s = s->next) {
		if (s->serial == serial)
			return s;
	}
	return NULL;
}

static void stop_following(struct whack_session *s)
{
	if (log_follower == s) {
		log_follower = NULL;
		log_set_tee(NULL, NULL);
	}
}

static void session_free(struct whack_session *s)
{
	for (struct whack_session **pp = &sessions; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			nsessions--;
			break;
		}
	}
	stop_following(s);
	if (s->deadline != NULL)
		event_free(s->deadline);
	if (s->bev != NULL)
		bufferevent_free(s->bev);
	free(s);
}

static void send_frame(struct whack_session *s, const uint8_t *frame, size_t n)
{
	if (n > 0)
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

void whack_unfollow_log(struct whack_session *s)
{
	stop_following(s);
}

static void close_when_flushed(struct bufferevent *bev, void *arg)
{
	struct whack_session *s = arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		session_free(s);
}

/* The client closed or failed: nothing more can reach it. */
static void client_gone(struct bufferevent *bev, short what, void *arg)
{
	(void)bev; (void)what;
	session_free(arg);
}

void whack_done(struct whack_session *s, int rc)
{
	uint8_t frame[64];
	stop_following(s);
	s->finished = true;
	send_frame(s, frame, whack_encode_done(rc, frame, sizeof(frame)));
	bufferevent_disable(s->bev, EV_READ);
	/* A client that stops reading does not keep its place for ever. The
	 * loop's clock is the one it read before this callback began: after
	 * a command that took long (a probe under a slow kernel) the timeout
	 * would already be past, and the result dropped unsent. */
	event_base_update_cache_time(pluto.base);
	bufferevent_set_timeouts(s->bev, NULL, &(struct timeval){ .tv_sec = CONTROL_REQUEST_DEADLINE_S });
	bufferevent_setcb(s->bev, NULL, close_when_flushed, client_gone, s);
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
		s->request_seen = true;
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
	event_del(s->deadline);
	if (!ok) {
		reject(s, &d);
		return;
	}
	llog(LL_DEBUG, "whack: %s request", whack_op_name(r.op));
	dispatcher(s, &r);
}

static void client_event(struct bufferevent *bev, short what, void *arg)
{
	struct whack_session *s = arg;
	size_t pending = evbuffer_get_length(bufferevent_get_input(bev));
	if ((what & BEV_EVENT_EOF) && !s->request_seen && pending > 0) {
		/* The client closed its side mid-frame; it may still read. */
		struct diag d;
		diag_init(&d);
		diag_add(&d, "whack message: truncated, the client stopped after %zu bytes", pending);
		s->request_seen = true;
		event_del(s->deadline);
		reject(s, &d);
		return;
	}
	/* Gone, whether or not a command is still running for it: a command
	 * that answers later finds no session by its serial. */
	session_free(s);
}

static void request_overdue(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	llog(LL_WARN, "whack: dropped a client that sent no complete request in %d seconds",
	     CONTROL_REQUEST_DEADLINE_S);
	session_free(arg);
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

/* A session for the client on fd; NULL (fd closed) when there is no memory. */
static struct whack_session *session_new(int fd)
{
	struct whack_session *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		close(fd);
		return NULL;
	}
	s->bev = bufferevent_socket_new(pluto.base, fd, BEV_OPT_CLOSE_ON_FREE);
	s->deadline = evtimer_new(pluto.base, request_overdue, s);
	if (s->bev == NULL || s->deadline == NULL) {
		if (s->bev != NULL)
			bufferevent_free(s->bev);	/* closes fd */
		else
			close(fd);
		if (s->deadline != NULL)
			event_free(s->deadline);
		free(s);
		return NULL;
	}
	do
		s->serial = ++last_serial;
	while (s->serial == 0);
	/* An absolute deadline: a client trickling a byte at a time does not
	 * get to keep its session. */
	evtimer_add(s->deadline, &(struct timeval){ .tv_sec = CONTROL_REQUEST_DEADLINE_S });
	bufferevent_setcb(s->bev, client_read, NULL, client_event, s);
	bufferevent_enable(s->bev, EV_READ);
	s->next = sessions;
	sessions = s;
	nsessions++;
	return s;
}

static void client_accept(struct evconnlistener *l, evutil_socket_t fd,
			  struct sockaddr *sa, int salen, void *arg)
{
	(void)l; (void)sa; (void)salen; (void)arg;
	if (!peer_allowed(fd)) {
		close(fd);
		return;
	}
	if (nsessions >= CONTROL_SESSIONS_MAX) {
		static struct log_limit refusals;
		llog_limited(&refusals, LL_WARN, "whack: refused a client: %d are being served already",
			     CONTROL_SESSIONS_MAX);
		close(fd);
		return;
	}
	if (session_new(fd) == NULL)	/* which has closed fd */
		llog(LL_ERROR, "whack: out of memory accepting a client");
}

static void resume_accepting(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	if (listener != NULL)
		evconnlistener_enable(listener);
}

/* accept() failed: out of descriptors, most likely. Retrying at once
 * would spin; wait until some have been given back. */
static void accept_failed(struct evconnlistener *l, void *arg)
{
	(void)arg;
	int err = EVUTIL_SOCKET_ERROR();
	llog(LL_WARN, "whack: cannot accept a client: %s; pausing for %d ms", strerror(err), ACCEPT_PAUSE_MS);
	evconnlistener_disable(l);
	evtimer_add(accept_resume, &(struct timeval){ .tv_usec = ACCEPT_PAUSE_MS * 1000 });
}

bool control_listen(const char *rundir, control_dispatch_fn *dispatch, struct diag *d)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/pluto.ctl", rundir);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path)) {
		diag_add(d, "control socket path '%s/pluto.ctl' is too long", rundir);
		return false;
	}
	strcpy(socket_path, sun.sun_path);
	dispatcher = dispatch;
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
	accept_resume = evtimer_new(pluto.base, resume_accepting, NULL);
	evconnlistener_set_error_cb(listener, accept_failed);
	return true;
}

void control_stop_listening(void)
{
	if (accept_resume != NULL)
		event_free(accept_resume);
	accept_resume = NULL;
	if (listener == NULL)
		return;
	evconnlistener_free(listener);
	listener = NULL;
	unlink(socket_path);
}

void control_close(void)
{
	control_stop_listening();
	/* The loop has stopped: write what is queued (a final status, such as
	 * shutdown's own) straight to the sockets before closing them. */
	for (struct whack_session *s = sessions; s != NULL; s = s->next) {
		struct evbuffer *out = bufferevent_get_output(s->bev);
		/* The bufferevent froze the buffer's start for itself. */
		evbuffer_unfreeze(out, 1);
		evbuffer_write(out, bufferevent_getfd(s->bev));
	}
	while (sessions != NULL)
		session_free(sessions);
}
