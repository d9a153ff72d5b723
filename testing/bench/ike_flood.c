/* ike_flood: sends IKE_SA_INIT requests at a fixed rate, for the
 * responder-under-flood benchmark (testing/bench/ike-flood.sh). A test tool:
 * it links nothing of the daemon and knows only the bytes it sends.
 *
 *   ike_flood --dst ADDR --src ADDR[/LEN] --count N --rate PPS --max-seconds S
 *             [--port 500] [--sport 500] [--answer-cookies] [--linger-ms MS] [--burst N]
 *
 * Every request has an initiator SPI of its own and offers one IKE proposal
 * (AES_GCM_16 256, PRF_HMAC_SHA2_512, DH19: the first of pluto's defaults),
 * with a KE that is a valid P-256 point (the curve's generator: any valid
 * point costs the responder the same), so a responder without defences
 * spends a DH and a half-open SA on each. --src with a prefix length spreads
 * the requests over that many source addresses, one after another, set per
 * packet with IP_PKTINFO: the addresses must be local (e.g. `ip route add
 * local 10.9.0.0/16 dev lo`), so that the answers come back here to be
 * counted. --answer-cookies sends each request that is answered N(COOKIE)
 * again with that cookie in front (RFC 7296 2.6), once.
 *
 * Requests leave in bursts of --burst (default 10) at the pace --rate
 * gives: 1,000 a second is ten every 10 ms.
 *
 * It stops after --count requests or --max-seconds, whichever comes first,
 * then goes on counting answers until none has come for --linger-ms
 * (default 1000; at most ten times that), and prints one line of figures,
 * "key=value" separated by spaces (linger: the seconds it waited after the
 * last request; last_answer: when, after the last request, the last answer
 * came). Exit status 1 on a usage or socket error, 0 otherwise. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* RFC 7296 numbers, for the few payloads sent and looked at. */
enum { PT_SA = 33, PT_KE = 34, PT_NONCE = 40, PT_NOTIFY = 41 };
enum { IKE_SA_INIT = 34, FLAG_INITIATOR = 0x08, FLAG_RESPONSE = 0x20 };
enum { N_NO_PROPOSAL_CHOSEN = 14, N_INVALID_KE_PAYLOAD = 17, N_COOKIE = 16390 };

#define HDR_LEN 28
#define NONCE_LEN 32
#define COOKIE_MAX 64

/* The P-256 generator (SEC 2), x then y, as an IKEv2 KE value is laid out. */
static const uint8_t p256_g[64] = {
	0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2,
	0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
	0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16,
	0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5,
};

struct counts {
	unsigned long sent, echoes, send_errors, replies, sa, cookie, no_proposal, invalid_ke,
		other_notify, malformed;
};

static uint8_t pkt[512];	/* the request, built once; SPI and nonce patched */
static size_t pkt_len, nonce_off;
static uint32_t run_id;		/* makes SPIs differ between runs */
static uint8_t *echoed;		/* a bit per request: its cookie went back already */
static unsigned long requests;	/* --count */

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }
static unsigned get16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

/* Appends a generic payload header and body; returns the new length. */
static size_t payload(uint8_t *buf, size_t off, uint8_t next, const uint8_t *body, size_t len)
{
	buf[off] = next;
	buf[off + 1] = 0;
	put16(buf + off + 2, (unsigned)(4 + len));
	memcpy(buf + off + 4, body, len);
	return off + 4 + len;
}

static void build_request(void)
{
	uint8_t sa[40], ke[68], nonce[NONCE_LEN];
	/* Proposal 1, IKE, no SPI, 3 transforms. */
	static const uint8_t prop[] = {
		0, 0, 0, 36, 1, 1, 0, 3,
		3, 0, 0, 12, 1, 0, 0, 20, 0x80, 0x0e, 0x01, 0x00,	/* ENCR AES_GCM_16, 256 bits */
		3, 0, 0, 8, 2, 0, 0, 7,					/* PRF HMAC_SHA2_512 */
		0, 0, 0, 8, 4, 0, 0, 19,				/* DH 19 */
	};
	memcpy(sa, prop, sizeof(prop));
	put16(ke, 19);
	put16(ke + 2, 0);
	memcpy(ke + 4, p256_g, sizeof(p256_g));
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(rand() >> 7);
	memset(pkt, 0, HDR_LEN);
	pkt[16] = PT_SA;
	pkt[17] = 0x20;
	pkt[18] = IKE_SA_INIT;
	pkt[19] = FLAG_INITIATOR;
	size_t off = payload(pkt, HDR_LEN, PT_KE, sa, sizeof(prop));
	off = payload(pkt, off, PT_NONCE, ke, sizeof(ke));
	nonce_off = off + 4;
	off = payload(pkt, off, 0, nonce, sizeof(nonce));
	pkt_len = off;
	put32(pkt + 24, (uint32_t)pkt_len);
}

/* Request i's SPI; its nonce starts with the same 8 bytes, so an answer's
 * SPI is all it takes to rebuild the request it answers. */
static void set_spi(const uint8_t spi[8])
{
	memcpy(pkt, spi, 8);
	memcpy(pkt + nonce_off, spi, 8);
}

static void spi_of(unsigned long i, uint8_t spi[8])
{
	put32(spi, run_id);
	put32(spi + 4, (uint32_t)i);
}

static int sock;
static struct sockaddr_in dst;

/* Sends buf from source address src (network order); false on EAGAIN. */
static bool send_from(const uint8_t *buf, size_t len, uint32_t src, struct counts *c)
{
	union {
		char space[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = &dst, .msg_namelen = sizeof(dst), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.space, .msg_controllen = sizeof(ctl.space),
	};
	memset(&ctl, 0, sizeof(ctl));
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	struct in_pktinfo pi = { .ipi_spec_dst.s_addr = src };
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	if (sendmsg(sock, &mh, 0) >= 0)
		return true;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		return false;
	c->send_errors++;
	return true;	/* counted, not retried: the next one may go */
}

/* The request again, N(COOKIE) first and the rest unchanged (RFC 7296 2.6). */
static void echo_cookie(const uint8_t spi[8], const uint8_t *cookie, size_t len, uint32_t src,
			struct counts *c)
{
	uint8_t out[sizeof(pkt) + 8 + COOKIE_MAX];
	set_spi(spi);
	memcpy(out, pkt, HDR_LEN);
	out[16] = PT_NOTIFY;
	uint8_t n[4 + COOKIE_MAX] = { 0, 0 };	/* protocol 0, no SPI */
	put16(n + 2, N_COOKIE);
	memcpy(n + 4, cookie, len);
	size_t off = payload(out, HDR_LEN, PT_SA, n, 4 + len);
	memcpy(out + off, pkt + HDR_LEN, pkt_len - HDR_LEN);
	off += pkt_len - HDR_LEN;
	put32(out + 24, (uint32_t)off);
	if (send_from(out, off, src, c))
		c->echoes++;
}

/* Counts one answer; with answer_cookies, sends a COOKIE back. */
static void classify(const uint8_t *b, size_t len, uint32_t to, bool answer_cookies, struct counts *c)
{
	c->replies++;
	if (len < HDR_LEN || b[18] != IKE_SA_INIT || !(b[19] & FLAG_RESPONSE)) {
		c->malformed++;
		return;
	}
	unsigned np = b[16];
	size_t off = HDR_LEN;
	while (np != 0 && off + 4 <= len) {
		size_t plen = get16(b + off + 2);
		if (plen < 4 || off + plen > len)
			break;
		if (np == PT_SA) {
			c->sa++;
			return;
		}
		if (np == PT_NOTIFY && plen >= 8) {
			unsigned type = get16(b + off + 6);
			size_t spi_size = b[off + 5], data = off + 8 + spi_size;
			if (type == N_COOKIE) {
				c->cookie++;
				/* Once per request: a responder that answers the echo with
				 * another COOKIE must not keep us in a loop. */
				unsigned long i = (unsigned long)get16(b + 4) << 16 | get16(b + 6);
				if (answer_cookies && data <= off + plen && off + plen - data <= COOKIE_MAX &&
				    get16(b) == (run_id >> 16) && get16(b + 2) == (run_id & 0xffff) &&
				    i < requests && !(echoed[i / 8] & (1u << (i % 8)))) {
					echoed[i / 8] |= (uint8_t)(1u << (i % 8));
					echo_cookie(b, b + data, off + plen - data, to, c);
				}
				return;
			}
			if (type == N_NO_PROPOSAL_CHOSEN)
				c->no_proposal++;
			else if (type == N_INVALID_KE_PAYLOAD)
				c->invalid_ke++;
			else
				c->other_notify++;
			return;
		}
		np = b[off];
		off += plen;
	}
	c->malformed++;
}

/* Reads every answer waiting; the address each was sent to is the source
 * to answer a COOKIE from. */
static void drain(bool answer_cookies, struct counts *c)
{
	for (;;) {
		uint8_t buf[2048];
		union {
			char space[CMSG_SPACE(sizeof(struct in_pktinfo))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
				     .msg_controllen = sizeof(ctl.space) };
		ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT);
		if (n < 0)
			return;
		uint32_t to = 0;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				to = pi.ipi_addr.s_addr;
			}
		}
		classify(buf, (size_t)n, to, answer_cookies, c);
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for an answer or for the deadline (seconds from now), whichever
 * is first; with want_out, also for room in the send buffer. */
static void wait_until(double secs, bool want_out)
{
	if (secs < 0)
		secs = 0;
	struct timespec ts = { .tv_sec = (time_t)secs, .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9) };
	struct pollfd p = { .fd = sock, .events = (short)(POLLIN | (want_out ? POLLOUT : 0)) };
	ppoll(&p, 1, &ts, NULL);
}

static void usage(void)
{
	fprintf(stderr, "usage: ike_flood --dst ADDR --src ADDR[/LEN] --count N --rate PPS --max-seconds S\n"
			"                 [--port P] [--sport P] [--answer-cookies] [--linger-ms MS] [--burst N]\n");
	exit(1);
}

static unsigned long number(const char *s)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		usage();
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' }, { "src", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' }, { "rate", required_argument, NULL, 'r' },
		{ "max-seconds", required_argument, NULL, 't' }, { "port", required_argument, NULL, 'p' },
		{ "sport", required_argument, NULL, 'P' }, { "answer-cookies", no_argument, NULL, 'c' },
		{ "linger-ms", required_argument, NULL, 'l' }, { "burst", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dst_s = NULL, *src_s = NULL;
	unsigned long count = 0, rate = 0, max_s = 0, port = 500, sport = 500, linger_ms = 1000, burst = 10;
	bool answer_cookies = false;
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd': dst_s = optarg; break;
		case 's': src_s = optarg; break;
		case 'n': count = number(optarg); break;
		case 'r': rate = number(optarg); break;
		case 't': max_s = number(optarg); break;
		case 'p': port = number(optarg); break;
		case 'P': sport = number(optarg); break;
		case 'c': answer_cookies = true; break;
		case 'l': linger_ms = number(optarg); break;
		case 'b': burst = number(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || dst_s == NULL || src_s == NULL || count == 0 || rate == 0 || max_s == 0 || burst == 0 ||
	    port > 65535 || sport > 65535)
		usage();

	char src_buf[64];
	unsigned prefix = 32;
	snprintf(src_buf, sizeof(src_buf), "%s", src_s);
	char *slash = strchr(src_buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		prefix = (unsigned)number(slash + 1);
	}
	struct in_addr src0;
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, dst_s, &dst.sin_addr) != 1 || inet_pton(AF_INET, src_buf, &src0) != 1 ||
	    prefix < 8 || prefix > 32)
		usage();
	/* The sources: every host address of the prefix (all of a /31 or /32). */
	uint32_t host_bits = 32 - prefix, nsrc = prefix >= 31 ? 1u << host_bits : (1u << host_bits) - 2;
	uint32_t base = ntohl(src0.s_addr) & (prefix == 32 ? ~0u : ~((1u << host_bits) - 1));
	if (prefix < 31)
		base++;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int one = 1;
	struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons((uint16_t)sport) };
	if (sock < 0 || setsockopt(sock, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) != 0 ||
	    bind(sock, (struct sockaddr *)&any, sizeof(any)) != 0) {
		perror("ike_flood: socket");
		return 1;
	}

	requests = count;
	echoed = calloc(count / 8 + 1, 1);
	if (echoed == NULL) {
		perror("ike_flood");
		return 1;
	}
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	run_id = (uint32_t)rand() << 1 | 1;	/* never zero: an all-zero SPI is invalid */
	build_request();

	struct counts c = { 0 };
	double t0 = now_s(), end = t0 + (double)max_s, elapsed = 0;
	unsigned long i = 0;
	while (i < count) {
		double now = now_s();
		if (now >= end)
			break;
		/* Request i is due at t0 + i / rate. They go out in bursts of
		 * --burst: under TCG a wakeup costs about what a datagram does,
		 * and this process shares the guest's CPUs with the responder.
		 * After a stall, at most four bursts at once, so as not to swamp
		 * our own socket. */
		bool blocked = false;
		for (unsigned long n = 0; n < 4 * burst && i < count && (double)i / (double)rate <= now - t0; n++) {
			uint8_t spi[8];
			spi_of(i, spi);
			set_spi(spi);
			if (!send_from(pkt, pkt_len, htonl(base + (uint32_t)(i % nsrc)), &c)) {
				blocked = true;
				break;
			}
			i++;
		}
		drain(answer_cookies, &c);
		if (i < count) {
			unsigned long last_of_burst = i + burst - 1 < count ? i + burst - 1 : count - 1;
			wait_until(t0 + (double)last_of_burst / (double)rate - now_s(), blocked);
		}
	}
	c.sent = i;
	elapsed = now_s() - t0;
	/* Late answers still count (a busy responder works through its
	 * queue after the flood): wait for them until none has come for
	 * linger_ms, but not past ten times that. */
	double linger = (double)linger_ms / 1000.0, last = now_s(), stop = last + 10 * linger, sent_end = last;
	for (;;) {
		double now = now_s();
		if (now >= last + linger || now >= stop)
			break;
		wait_until((last + linger < stop ? last + linger : stop) - now, false);
		unsigned long before = c.replies;
		drain(answer_cookies, &c);
		if (c.replies != before)
			last = now_s();
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("sent=%lu seconds=%.2f linger=%.2f last_answer=%.2f rate=%.0f sources=%u echoes=%lu send_errors=%lu replies=%lu sa=%lu "
	       "cookie=%lu no_proposal=%lu invalid_ke=%lu other_notify=%lu malformed=%lu cpu=%.2f\n",
	       c.sent, elapsed, now_s() - sent_end, last - sent_end, elapsed > 0 ? (double)c.sent / elapsed : 0.0, nsrc, c.echoes, c.send_errors,
	       c.replies, c.sa, c.cookie, c.no_proposal, c.invalid_ke, c.other_notify, c.malformed,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return 0;
}
