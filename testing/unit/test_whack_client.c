/* Unit tests for the whack client (whack_client.h): the control socket's
 * path, and a request answered by a pretend pluto in a child process:
 * the streamed lines printed (the first before pluto sends more: the
 * progress of an --up shows as it happens) and pluto's status returned;
 * an answer cut short, a malformed one and no pluto at all each give
 * status 1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "whack_client.h"

static void test_ctl_path(void **state)
{
	(void)state;
	char buf[64];
	assert_true(whack_ctl_path(buf, sizeof(buf), "/x/y.ctl", "/run/other"));
	assert_string_equal(buf, "/x/y.ctl");
	assert_true(whack_ctl_path(buf, sizeof(buf), NULL, "/run/other"));
	assert_string_equal(buf, "/run/other/pluto.ctl");
	assert_true(whack_ctl_path(buf, sizeof(buf), NULL, NULL));
	assert_string_equal(buf, IPSEC_RUNDIR "/pluto.ctl");
	char small[12], big[512];
	assert_false(whack_ctl_path(small, sizeof(small), NULL, "/run/other"));
	assert_false(whack_ctl_path(small, sizeof(small), "/a/long/path.ctl", NULL));
	/* fits the buffer, not a socket address */
	char rundir[200];
	memset(rundir, 'r', sizeof(rundir) - 1);
	rundir[sizeof(rundir) - 1] = '\0';
	assert_false(whack_ctl_path(big, sizeof(big), NULL, rundir));
}

enum answer { ANSWER_WHOLE, ANSWER_CUT, ANSWER_GARBAGE };

struct pretend_pluto {
	char dir[64], sock[96], out[96];	/* out: where the client's stdout goes */
	int listener;
	pid_t pid;
};

static void write_all(int fd, const uint8_t *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w <= 0)
			_exit(3);
		buf += w;
		n -= (size_t)w;
	}
}

/* Whether the client printed something into path within 10 s. */
static bool printed(const char *path)
{
	for (int i = 0; i < 1000; i++) {
		struct stat st;
		if (stat(path, &st) == 0 && st.st_size > 0)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return false;
}

/* The child: one client, whose request must be --up of "west"; then the
 * answer asked for. Exits 0 when the request was as expected (and the
 * first line of a whole answer was printed before the rest was sent). */
static void serve(int listener, enum answer how, const char *out)
{
	int fd = accept(listener, NULL, NULL);
	if (fd < 0)
		_exit(2);
	uint8_t frame[WHACK_FRAME_MAX];
	size_t have = 0;
	long len = 0;
	struct diag d;
	diag_init(&d);
	while ((len = whack_frame_len(frame, have, &d)) == 0 || (size_t)len > have) {
		ssize_t r = read(fd, frame + have, sizeof(frame) - have);
		if (r <= 0 || len < 0)
			_exit(2);
		have += (size_t)r;
	}
	struct whack_request r;
	if (len < 0 || !whack_decode_request(frame, (size_t)len, &r, &d) || r.op != WOP_UP ||
	    strcmp(r.name, "west") != 0)
		_exit(1);
	size_t n = whack_encode_line("\"west\" #1: initiating", frame, sizeof(frame));
	write_all(fd, frame, n);
	if (how == ANSWER_GARBAGE) {
		memset(frame, 0xff, WHACK_HDR_LEN);
		write_all(fd, frame, WHACK_HDR_LEN);
	} else if (how == ANSWER_WHOLE) {
		if (!printed(out))
			_exit(4);
		n = whack_encode_line("\"west\" #2: IPsec SA established", frame, sizeof(frame));
		write_all(fd, frame, n);
		n = whack_encode_done(3, frame, sizeof(frame));
		write_all(fd, frame, n);
	}
	close(fd);
	_exit(0);
}

static void pluto_start(struct pretend_pluto *p, enum answer how)
{
	snprintf(p->dir, sizeof(p->dir), "/tmp/test_whack_client.XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	snprintf(p->sock, sizeof(p->sock), "%s/pluto.ctl", p->dir);
	snprintf(p->out, sizeof(p->out), "%s/stdout", p->dir);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", p->sock);
	p->listener = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(p->listener >= 0);
	assert_int_equal(bind(p->listener, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(p->listener, 1), 0);
	fflush(NULL);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0)
		serve(p->listener, how, p->out);
}

/* The child's verdict on the request it got. */
static int pluto_stop(struct pretend_pluto *p)
{
	int status = 0;
	assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
	close(p->listener);
	unlink(p->sock);
	unlink(p->out);
	rmdir(p->dir);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* whack_client_run with stdout into the file path: its status, what it
 * printed in out. */
static int run_captured(const char *sock, const char *path, char *out, size_t len)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	/* fully buffered, as into a file or pipe, even when the tests run on
	 * a terminal: only the client's own flushes may show a line early */
	setvbuf(stdout, NULL, _IOFBF, BUFSIZ);
	struct whack_request r = { .op = WOP_UP };
	strcpy(r.name, "west");
	int rc = whack_client_run("test", sock, &r);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	ssize_t n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

static void test_streamed_answer(void **state)
{
	(void)state;
	struct pretend_pluto p;
	pluto_start(&p, ANSWER_WHOLE);
	char out[256];
	assert_int_equal(run_captured(p.sock, p.out, out, sizeof(out)), 3);
	assert_int_equal(pluto_stop(&p), 0);
	assert_string_equal(out, "\"west\" #1: initiating\n\"west\" #2: IPsec SA established\n");
}

static void test_cut_answer(void **state)
{
	(void)state;
	struct pretend_pluto p;
	pluto_start(&p, ANSWER_CUT);
	char out[256];
	assert_int_equal(run_captured(p.sock, p.out, out, sizeof(out)), 1);
	assert_int_equal(pluto_stop(&p), 0);
	assert_string_equal(out, "\"west\" #1: initiating\n");
}

static void test_malformed_answer(void **state)
{
	(void)state;
	struct pretend_pluto p;
	pluto_start(&p, ANSWER_GARBAGE);
	char out[256];
	assert_int_equal(run_captured(p.sock, p.out, out, sizeof(out)), 1);
	assert_int_equal(pluto_stop(&p), 0);
}

static void test_no_pluto(void **state)
{
	(void)state;
	char out[64];
	char path[] = "/tmp/test_whack_client.out.XXXXXX";
	close(mkstemp(path));
	assert_int_equal(run_captured("/nonexistent/test_whack_client/pluto.ctl", path, out, sizeof(out)), 1);
	assert_string_equal(out, "");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl_path),
		cmocka_unit_test(test_streamed_answer),
		cmocka_unit_test(test_cut_answer),
		cmocka_unit_test(test_malformed_answer),
		cmocka_unit_test(test_no_pluto),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
