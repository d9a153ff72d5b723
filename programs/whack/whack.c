/* whack: send one request to pluto and print its answer as it streams;
 * the exit status is the one pluto sends at the end. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "whack_msg.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: whack [--ctlsocket PATH | --rundir DIR] COMMAND\n"
		"commands:\n"
		"  --status                      loaded connections and their settings\n"
		"  --trafficstatus [--json]      one line per IPsec SA\n"
		"  --name NAME --add [--config FILE]   load conn NAME from the config file\n"
		"  --name NAME --delete          unload a conn\n"
		"  --name NAME --initiate        bring a conn up (also --up)\n"
		"  --name NAME --terminate       take a conn down (also --down)\n"
		"  --name NAME --rekey-ike       rekey its IKE SA now\n"
		"  --name NAME --rekey-ipsec     rekey its IPsec SA now\n"
		"  --name NAME --route           install its trap: traffic starts the negotiation\n"
		"  --name NAME --unroute         remove its trap\n"
		"  --offload [--probe] [--device DEV]   interfaces' ESP offload\n"
		"  --shutdown                    stop pluto\n");
}

static void set_op(struct whack_request *r, enum whack_op op)
{
	if (r->op != WOP_NONE && r->op != op) {
		fprintf(stderr, "whack: give one command at a time (--%s and --%s)\n",
			whack_op_name(r->op), whack_op_name(op));
		exit(2);
	}
	r->op = op;
}

static void copy_arg(char *dst, size_t cap, const char *src, const char *what)
{
	if (strlen(src) >= cap) {
		fprintf(stderr, "whack: %s '%s' is too long (at most %zu characters)\n", what, src, cap - 1);
		exit(2);
	}
	strcpy(dst, src);
}

static void parse(int argc, char **argv, struct whack_request *r, char *sock, size_t socklen)
{
	static const struct option longopts[] = {
		{ "ctlsocket", required_argument, NULL, 'C' },
		{ "rundir", required_argument, NULL, 'R' },
		{ "status", no_argument, NULL, 's' },
		{ "trafficstatus", no_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "name", required_argument, NULL, 'n' },
		{ "add", no_argument, NULL, 'a' },
		{ "config", required_argument, NULL, 'c' },
		{ "delete", no_argument, NULL, 'D' },
		{ "initiate", no_argument, NULL, 'u' },
		{ "up", no_argument, NULL, 'u' },
		{ "terminate", no_argument, NULL, 'd' },
		{ "down", no_argument, NULL, 'd' },
		{ "rekey-ike", no_argument, NULL, 'K' },
		{ "rekey-ipsec", no_argument, NULL, 'k' },
		{ "rekey-child", no_argument, NULL, 'k' },
		{ "route", no_argument, NULL, 'r' },
		{ "unroute", no_argument, NULL, 'U' },
		{ "offload", no_argument, NULL, 'o' },
		{ "probe", no_argument, NULL, 'p' },
		{ "device", required_argument, NULL, 'v' },
		{ "shutdown", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	snprintf(sock, socklen, "%s/pluto.ctl", IPSEC_RUNDIR);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C': copy_arg(sock, socklen, optarg, "socket path"); break;
		case 'R':
			if (snprintf(sock, socklen, "%s/pluto.ctl", optarg) >= (int)socklen) {
				fprintf(stderr, "whack: rundir '%s' is too long\n", optarg);
				exit(2);
			}
			break;
		case 's': set_op(r, WOP_STATUS); break;
		case 't': set_op(r, WOP_TRAFFICSTATUS); break;
		case 'j': r->flags |= WF_JSON; break;
		case 'n': copy_arg(r->name, sizeof(r->name), optarg, "connection name"); break;
		case 'a': set_op(r, WOP_ADD); break;
		case 'c': copy_arg(r->config, sizeof(r->config), optarg, "config path"); break;
		case 'D': set_op(r, WOP_DELETE); break;
		case 'u': set_op(r, WOP_UP); break;
		case 'd': set_op(r, WOP_DOWN); break;
		case 'K': set_op(r, WOP_REKEY_IKE); break;
		case 'k': set_op(r, WOP_REKEY_IPSEC); break;
		case 'r': set_op(r, WOP_ROUTE); break;
		case 'U': set_op(r, WOP_UNROUTE); break;
		case 'o': set_op(r, WOP_OFFLOAD); break;
		case 'p': r->flags |= WF_PROBE; break;
		case 'v': copy_arg(r->device, sizeof(r->device), optarg, "device name"); break;
		case 'S': set_op(r, WOP_SHUTDOWN); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "whack: unexpected argument '%s'\n", argv[optind]);
		exit(2);
	}
	if (r->op == WOP_NONE) {
		usage(stderr);
		exit(2);
	}
	bool named = r->op == WOP_ADD || r->op == WOP_DELETE || r->op == WOP_UP || r->op == WOP_DOWN ||
		     r->op == WOP_REKEY_IKE || r->op == WOP_REKEY_IPSEC || r->op == WOP_ROUTE || r->op == WOP_UNROUTE;
	if (named && r->name[0] == '\0') {
		fprintf(stderr, "whack: --%s needs --name NAME\n", whack_op_name(r->op));
		exit(2);
	}
}

static int connect_pluto(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "whack: socket path '%s' is too long\n", path);
		exit(2);
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int err = errno;
		fprintf(stderr, "whack: cannot reach pluto at %s: %s%s\n", path, strerror(err),
			err == ENOENT || err == ECONNREFUSED ? " (is pluto running?)" :
			err == EACCES ? " (only root may control pluto)" : "");
		exit(1);
	}
	return fd;
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

/* Prints LINE frames until DONE; returns its status. */
static int read_replies(int fd)
{
	static uint8_t frame[WHACK_FRAME_MAX];
	struct whack_reply reply;
	for (;;) {
		struct diag d;
		diag_init(&d);
		if (!read_full(fd, frame, WHACK_HDR_LEN)) {
			fprintf(stderr, "whack: pluto closed the connection without a result\n");
			return 1;
		}
		long len = whack_frame_len(frame, WHACK_HDR_LEN, &d);
		if (len < 0 || !read_full(fd, frame + WHACK_HDR_LEN, (size_t)len - WHACK_HDR_LEN) ||
		    !whack_decode_reply(frame, (size_t)len, &reply, &d)) {
			fprintf(stderr, "whack: bad reply from pluto: %s", d.count ? d.text : "truncated\n");
			return 1;
		}
		if (reply.type == WHACK_DONE)
			return reply.rc;
		printf("%s\n", reply.text);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	struct whack_request r = {0};
	char sock[WHACK_PATH_MAX];
	parse(argc, argv, &r, sock, sizeof(sock));

	uint8_t frame[WHACK_FRAME_MAX];
	size_t n = whack_encode_request(&r, frame, sizeof(frame));
	int fd = connect_pluto(sock);
	size_t off = 0;
	while (off < n) {
		ssize_t w = write(fd, frame + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "whack: cannot send to pluto: %s\n", strerror(errno));
			return 1;
		}
		off += (size_t)w;
	}
	int rc = read_replies(fd);
	close(fd);
	return rc;
}
