/* script.c: one script at a time, its output and exit followed by the
 * event loop (a short poll timer: no SIGCHLD handler to share with
 * libevent), or by script_drain() at shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <event2/event.h>
#include "escape.h"
#include "script.h"

#define POLL_MS 50
#define LINE_MAX_BYTES 512

struct script {
	struct logger log;
	char what[64];
	char **argv, **envp;
	pid_t pid;
	int out_fd;
	struct timespec started;
	bool killed;
	char line[LINE_MAX_BYTES];
	size_t line_len;
	unsigned lines;
	struct script *next;
};

static struct {
	struct script *head, *tail;	/* head runs when pid != 0 */
	unsigned n;
	struct event *tick;
	struct event_base *base;
} q;

static void strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* NULL when out of memory. */
static char **strv_dup(char *const v[])
{
	size_t n = 0;
	while (v[n] != NULL)
		n++;
	char **copy = calloc(n + 1, sizeof(*copy));
	for (size_t i = 0; copy != NULL && i < n; i++) {
		if ((copy[i] = strdup(v[i])) == NULL) {
			strv_free(copy);
			return NULL;
		}
	}
	return copy;
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* --- output ----------------------------------------------------------------------- */

static void log_line(struct script *s)
{
	if (s->lines < SCRIPT_LINES_MAX) {
		char shown[4 * LINE_MAX_BYTES + 1];
		escape_bytes((const uint8_t *)s->line, s->line_len, shown, sizeof(shown));
		logger_log(&s->log, LL_INFO, "%s: %s", s->what, shown);
	} else if (s->lines == SCRIPT_LINES_MAX) {
		logger_log(&s->log, LL_INFO, "%s: more output, not logged", s->what);
	}
	s->lines++;
	s->line_len = 0;
}

static void take_output(struct script *s, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || s->line_len == sizeof(s->line))
			log_line(s);
		if (buf[i] != '\n')
			s->line[s->line_len++] = buf[i];
	}
}

/* What the pipe holds now; false at its end. */
static bool read_output(struct script *s)
{
	char buf[1024];
	for (;;) {
		ssize_t n = read(s->out_fd, buf, sizeof(buf));
		if (n > 0) {
			take_output(s, buf, (size_t)n);
			continue;
		}
		return n < 0 && (errno == EAGAIN || errno == EINTR);
	}
}

/* --- running --------------------------------------------------------------------- */

static int spawn(struct script *s)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return errno;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);	/* pluto ignores these; the script must not inherit that */
	sigaddset(&dfl, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setpgroup(&at, 0);	/* its own group: a timeout kills all of it */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	int r = posix_spawn(&s->pid, s->argv[0], &fa, &at, s->argv, s->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		s->pid = 0;
		return r;
	}
	s->out_fd = p[0];
	fcntl(s->out_fd, F_SETFL, fcntl(s->out_fd, F_GETFL) | O_NONBLOCK);
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	return 0;
}

static void log_exit(struct script *s, int status)
{
	if (s->killed)
		logger_log(&s->log, LL_ERROR, "%s: %s ran for more than %d s and was killed", s->what, s->argv[0],
			   SCRIPT_TIMEOUT_S);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		logger_log(&s->log, LL_ERROR, "%s: %s exited with status %d", s->what, s->argv[0], WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		logger_log(&s->log, LL_ERROR, "%s: %s was killed by signal %d", s->what, s->argv[0], WTERMSIG(status));
}

static void script_free(struct script *s)
{
	strv_free(s->argv);
	strv_free(s->envp);
	free(s);
}

static void pop_head(void)
{
	struct script *s = q.head;
	q.head = s->next;
	if (q.head == NULL)
		q.tail = NULL;
	q.n--;
	script_free(s);
}

/* Starts the head; those that cannot start are logged and dropped. */
static void start_next(void)
{
	while (q.head != NULL && q.head->pid == 0) {
		int r = spawn(q.head);
		if (r == 0)
			return;
		logger_log(&q.head->log, LL_ERROR, "%s: cannot run %s: %s", q.head->what, q.head->argv[0], strerror(r));
		pop_head();
	}
}

/* Follows the running script: output, timeout, exit. true once it ended
 * (reaped and dropped). */
static bool follow(struct script *s)
{
	bool open = s->out_fd >= 0 && read_output(s);
	if (!open && s->out_fd >= 0) {	/* its end: nothing more to wait for there */
		close(s->out_fd);
		s->out_fd = -1;
	}
	if (!s->killed && seconds_since(&s->started) > SCRIPT_TIMEOUT_S) {
		kill(-s->pid, SIGKILL);
		s->killed = true;
	}
	int status = 0;
	pid_t w = waitpid(s->pid, &status, WNOHANG);
	if (w == 0)
		return false;
	if (open)
		read_output(s);	/* what it wrote just before it ended */
	if (s->line_len > 0)
		log_line(s);
	if (s->out_fd >= 0)
		close(s->out_fd);
	if (w == s->pid)
		log_exit(s, status);
	return true;
}

static void arm_tick(void);

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	if (q.head != NULL && q.head->pid != 0 && follow(q.head)) {
		pop_head();
		start_next();
	}
	arm_tick();
}

static void drop_tick(void)
{
	if (q.tick != NULL)
		event_free(q.tick);
	q.tick = NULL;
}

/* The timer runs only while a script does. */
static void arm_tick(void)
{
	if (q.head == NULL || q.base == NULL) {
		drop_tick();
		return;
	}
	if (q.tick == NULL)
		q.tick = evtimer_new(q.base, on_tick, NULL);
	struct timeval tv = { .tv_sec = 0, .tv_usec = POLL_MS * 1000 };
	if (q.tick != NULL)
		evtimer_add(q.tick, &tv);
}

bool script_queue(struct event_base *base, const struct logger *lg, const char *what, char *const argv[],
		  char *const envp[])
{
	if (q.n >= SCRIPT_QUEUE_MAX) {
		logger_log(lg, LL_ERROR, "%s: not run: %u scripts are waiting already", what, q.n);
		return false;
	}
	struct script *s = calloc(1, sizeof(*s));
	if (s == NULL || (s->argv = strv_dup(argv)) == NULL || (s->envp = strv_dup(envp)) == NULL) {
		logger_log(lg, LL_ERROR, "%s: not run: out of memory", what);
		if (s != NULL)
			script_free(s);
		return false;
	}
	s->log = *lg;
	s->log.whack = 0;		/* lines come later, when the client may be gone */
	s->log.first_error = NULL;
	snprintf(s->what, sizeof(s->what), "%s", what);
	s->out_fd = -1;
	if (q.tail != NULL)
		q.tail->next = s;
	else
		q.head = s;
	q.tail = s;
	q.n++;
	q.base = base;
	start_next();
	arm_tick();
	return true;
}

unsigned script_pending(void)
{
	return q.n;
}

void script_drain(unsigned seconds)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	start_next();
	while (q.head != NULL && seconds_since(&t0) < seconds) {
		struct pollfd p = { .fd = q.head->out_fd, .events = POLLIN };
		poll(&p, 1, POLL_MS);
		if (follow(q.head)) {
			pop_head();
			start_next();
		}
	}
	while (q.head != NULL) {
		struct script *s = q.head;
		if (s->pid != 0) {
			kill(-s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			if (s->out_fd >= 0)
				close(s->out_fd);
			logger_log(&s->log, LL_WARN, "%s: killed: pluto is stopping", s->what);
		} else {
			logger_log(&s->log, LL_WARN, "%s: not run: pluto is stopping", s->what);
		}
		pop_head();
	}
	drop_tick();
}
