/* whack_client.c: a request to pluto and its streamed answer
 * (whack_client.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "whack_client.h"

bool whack_ctl_path(char *buf, size_t len, const char *ctlsocket, const char *rundir)
{
	int n = ctlsocket != NULL ? snprintf(buf, len, "%s", ctlsocket)
				  : snprintf(buf, len, "%s/pluto.ctl", rundir != NULL ? rundir : IPSEC_RUNDIR);
	return n >= 0 && (size_t)n < len && (size_t)n < sizeof(((struct sockaddr_un *)0)->sun_path);
}

/* The connected socket, or -1 (said why). */
static int connect_pluto(const char *prog, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "%s: socket path '%s' is too long\n", prog, path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int err = errno;
		fprintf(stderr, "%s: cannot reach pluto at %s: %s%s\n", prog, path, strerror(err),
			err == ENOENT || err == ECONNREFUSED ? " (is pluto running?)" :
			err == EACCES ? " (only root may control pluto)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* MSG_NOSIGNAL: a pluto that closes first (it is stopping) makes this an
 * error to report, not a SIGPIPE that kills ipsec. */
static bool write_full(int fd, const uint8_t *buf, size_t n)
{
	size_t off = 0;
	while (off < n) {
		ssize_t w = send(fd, buf + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		off += (size_t)w;
	}
	return true;
}

static bool read_full(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* Output goes out when pluto has sent nothing more yet: the progress of
 * an --up line by line as it happens, a long listing in a few writes
 * (a write per line made a thousand-line listing into a file slow). */
static void flush_when_idle(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 0) == 0)
		fflush(stdout);
}

/* Prints LINE frames until DONE; returns its status. */
static int read_replies(const char *prog, int fd)
{
	static uint8_t frame[WHACK_FRAME_MAX];
	static struct whack_reply reply;
	for (;;) {
		struct diag d;
		diag_init(&d);
		flush_when_idle(fd);
		if (!read_full(fd, frame, WHACK_HDR_LEN)) {
			fflush(stdout);
			fprintf(stderr, "%s: pluto closed the connection without a result\n", prog);
			return 1;
		}
		long len = whack_frame_len(frame, WHACK_HDR_LEN, &d);
		if (len < 0 || !read_full(fd, frame + WHACK_HDR_LEN, (size_t)len - WHACK_HDR_LEN) ||
		    !whack_decode_reply(frame, (size_t)len, &reply, &d)) {
			fflush(stdout);
			fprintf(stderr, "%s: bad reply from pluto: %s", prog, d.count ? d.text : "truncated\n");
			return 1;
		}
		if (reply.type == WHACK_DONE) {
			fflush(stdout);
			return reply.rc;
		}
		printf("%s\n", reply.text);
	}
}

int whack_client_run(const char *prog, const char *sock, const struct whack_request *r)
{
	static uint8_t frame[WHACK_FRAME_MAX];
	size_t n = whack_encode_request(r, frame, sizeof(frame));
	if (n == 0) {
		fprintf(stderr, "%s: the request does not fit in a frame\n", prog);
		return 1;
	}
	int fd = connect_pluto(prog, sock);
	if (fd < 0)
		return 1;
	if (!write_full(fd, frame, n)) {
		fprintf(stderr, "%s: cannot send to pluto: %s\n", prog, strerror(errno));
		close(fd);
		return 1;
	}
	int rc = read_replies(prog, fd);
	close(fd);
	return rc;
}
