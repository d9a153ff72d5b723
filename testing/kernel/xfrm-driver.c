/* xfrm-driver: drives the XFRM kernel backend (kernel_xfrm_ops) directly,
 * with fixed test keys, so kernel scenarios and the benchmark can check
 * what the backend does on a real kernel. A test tool, not a user feature:
 * the keys are public constants.
 *
 *   xfrm-driver add-pair  --src A --dst B --spi-out X --spi-in Y --esp ALG [SA options]
 *   xfrm-driver add-sa    --src A --dst B --spi X --esp ALG [--in] [--count N] [SA options]
 *                         --count N: N SAs with SPIs X, X+1, ... in one process (filling a
 *                         NIC's SA table costs one process start, not N); stops at the
 *                         first refusal, leaving those before it installed
 *   xfrm-driver update-sa (the same options: XFRM_MSG_UPDSA)
 *   xfrm-driver get       --dst B --spi X       offload state and counters
 *   xfrm-driver del       --dst B --spi X
 *   xfrm-driver list                            every SA, one line each
 *   xfrm-driver flush     --reqid LO[-HI]       SAs and policies in that range
 *   xfrm-driver add-policy --src-net S --dst-net D --dir in|out|fwd [--src A --dst B] [--reqid N]
 *   xfrm-driver features  DEV                   ESP offload features (ethtool)
 *   xfrm-driver link      ADDR                  the interface holding ADDR
 *   xfrm-driver packet-offload                  yes/no: does the kernel have it (probed)
 *   xfrm-driver caps                            the start-up probe's lines (kernel_caps.h),
 *                                               then packet=yes|no encap=yes|no
 *   xfrm-driver watch     --seconds N [--count N] acquire and expire events
 *   xfrm-driver conn      --config F --name N --spi-out X --spi-in Y [--reqid N]
 *                         a conn's SA pair through pluto's offload policy (offload.c):
 *                         its diagnostics and each SA's offload= as trafficstatus shows it
 *   xfrm-driver bench     --pairs N --src A --dst B --esp ALG [SA options]
 *   xfrm-driver cycles    --count N --src A --dst B --esp ALG [SA options]
 *
 * SA options: --offload DEV, --packet, --esn, --transport, --reqid N,
 * --replay N, --sel-src NET --sel-dst NET, --encap SPORT:DPORT, --tfc N,
 * --soft-bytes N --hard-bytes N --soft-seconds N --hard-seconds N.
 * --esp takes our esp= syntax (aes_gcm128, aes128-sha1, chacha20_poly1305);
 * the first proposal is used.
 *
 * Errors print as "error: WHAT: ENAME (errno N): extack text" and exit 1. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <event2/event.h>
#include "alg.h"
#include "errno_name.h"
#include "ipsecconf.h"
#include "kernel.h"
#include "kernel_caps.h"
#include "log.h"
#include "offload.h"

static struct event_base *base;

struct args {
	ip_address src, dst;
	ip_subnet src_net, dst_net, sel_src, sel_dst;
	uint32_t spi, spi_in, spi_out;
	struct alg_proposal alg;
	bool have_alg, inbound, esn, transport, packet;
	char offload_dev[IF_NAMESIZE];
	uint32_t reqid, reqid_hi, replay, tfc;
	bool encap;
	uint16_t encap_sport, encap_dport;
	uint64_t soft_bytes, hard_bytes, soft_seconds, hard_seconds;
	enum kernel_dir dir;
	unsigned count, seconds;
	const char *config, *name;
};

static int fail(const char *what, int r, const struct kernel_err *e)
{
	int errnum = e->errnum != 0 ? e->errnum : -r;
	printf("error: %s: %s (errno %d)%s%s\n", what, errno_name(errnum), errnum,
	       e->extack[0] != '\0' ? ": " : "", e->extack);
	return 1;
}

static void usage_exit(const char *why)
{
	fprintf(stderr, "xfrm-driver: %s (see the comment at the top of testing/kernel/xfrm-driver.c)\n", why);
	exit(2);
}

static void parse_address(const char *s, ip_address *a)
{
	if (!address_parse(s, a))
		usage_exit("not an address");
}

static void parse_subnet(const char *s, ip_subnet *n)
{
	if (!subnet_parse(s, n))
		usage_exit("not a subnet");
}

static uint64_t parse_number(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0')
		usage_exit("not a number");
	return v;
}

static void parse_esp(const char *s, struct args *a)
{
	struct alg_proposals ps;
	struct diag d;
	diag_init(&d);
	if (!alg_parse_esp(s, &ps, &d)) {
		fprintf(stderr, "xfrm-driver: %s", d.text);
		exit(2);
	}
	a->alg = ps.p[0];
	a->have_alg = true;
}

static void parse_reqids(const char *s, struct args *a)
{
	char lo[32];
	const char *dash = strchr(s, '-');
	if (dash == NULL) {
		a->reqid = a->reqid_hi = (uint32_t)parse_number(s);
		return;
	}
	snprintf(lo, sizeof(lo), "%.*s", (int)(dash - s), s);
	a->reqid = (uint32_t)parse_number(lo);
	a->reqid_hi = (uint32_t)parse_number(dash + 1);
}

static void parse_encap(const char *s, struct args *a)
{
	unsigned sport, dport;
	if (sscanf(s, "%u:%u", &sport, &dport) != 2 || sport > 65535 || dport > 65535)
		usage_exit("--encap takes SPORT:DPORT");
	a->encap = true;
	a->encap_sport = (uint16_t)sport;
	a->encap_dport = (uint16_t)dport;
}

static enum kernel_dir parse_dir(const char *s)
{
	if (strcmp(s, "in") == 0)
		return KERNEL_DIR_IN;
	if (strcmp(s, "out") == 0)
		return KERNEL_DIR_OUT;
	if (strcmp(s, "fwd") == 0)
		return KERNEL_DIR_FWD;
	usage_exit("--dir takes in, out or fwd");
	return KERNEL_DIR_OUT;
}

static void parse_args(int argc, char **argv, struct args *a)
{
	enum { O_SRC = 256, O_DST, O_SPI, O_SPI_IN, O_SPI_OUT, O_ESP, O_IN, O_ESN, O_TRANSPORT,
	       O_OFFLOAD, O_PACKET, O_REQID, O_REPLAY, O_SEL_SRC, O_SEL_DST, O_ENCAP, O_TFC,
	       O_SOFT_BYTES, O_HARD_BYTES, O_SOFT_SECONDS, O_HARD_SECONDS, O_SRC_NET, O_DST_NET,
	       O_DIR, O_COUNT, O_SECONDS, O_PAIRS, O_CONFIG, O_NAME };
	static const struct option opts[] = {
		{ "src", required_argument, NULL, O_SRC }, { "dst", required_argument, NULL, O_DST },
		{ "spi", required_argument, NULL, O_SPI }, { "spi-in", required_argument, NULL, O_SPI_IN },
		{ "spi-out", required_argument, NULL, O_SPI_OUT }, { "esp", required_argument, NULL, O_ESP },
		{ "in", no_argument, NULL, O_IN }, { "esn", no_argument, NULL, O_ESN },
		{ "transport", no_argument, NULL, O_TRANSPORT }, { "offload", required_argument, NULL, O_OFFLOAD },
		{ "packet", no_argument, NULL, O_PACKET }, { "reqid", required_argument, NULL, O_REQID },
		{ "replay", required_argument, NULL, O_REPLAY }, { "sel-src", required_argument, NULL, O_SEL_SRC },
		{ "sel-dst", required_argument, NULL, O_SEL_DST }, { "encap", required_argument, NULL, O_ENCAP },
		{ "tfc", required_argument, NULL, O_TFC }, { "soft-bytes", required_argument, NULL, O_SOFT_BYTES },
		{ "hard-bytes", required_argument, NULL, O_HARD_BYTES },
		{ "soft-seconds", required_argument, NULL, O_SOFT_SECONDS },
		{ "hard-seconds", required_argument, NULL, O_HARD_SECONDS },
		{ "src-net", required_argument, NULL, O_SRC_NET }, { "dst-net", required_argument, NULL, O_DST_NET },
		{ "dir", required_argument, NULL, O_DIR }, { "count", required_argument, NULL, O_COUNT },
		{ "seconds", required_argument, NULL, O_SECONDS }, { "pairs", required_argument, NULL, O_PAIRS },
		{ "config", required_argument, NULL, O_CONFIG }, { "name", required_argument, NULL, O_NAME },
		{ NULL, 0, NULL, 0 },
	};
	a->reqid = a->reqid_hi = PLUTO_REQID_MIN;
	a->replay = 32;
	a->dir = KERNEL_DIR_OUT;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case O_SRC: parse_address(optarg, &a->src); break;
		case O_DST: parse_address(optarg, &a->dst); break;
		case O_SPI: a->spi = (uint32_t)parse_number(optarg); break;
		case O_SPI_IN: a->spi_in = (uint32_t)parse_number(optarg); break;
		case O_SPI_OUT: a->spi_out = (uint32_t)parse_number(optarg); break;
		case O_ESP: parse_esp(optarg, a); break;
		case O_IN: a->inbound = true; break;
		case O_ESN: a->esn = true; break;
		case O_TRANSPORT: a->transport = true; break;
		case O_OFFLOAD: snprintf(a->offload_dev, sizeof(a->offload_dev), "%s", optarg); break;
		case O_PACKET: a->packet = true; break;
		case O_REQID: parse_reqids(optarg, a); break;
		case O_REPLAY: a->replay = (uint32_t)parse_number(optarg); break;
		case O_SEL_SRC: parse_subnet(optarg, &a->sel_src); break;
		case O_SEL_DST: parse_subnet(optarg, &a->sel_dst); break;
		case O_ENCAP: parse_encap(optarg, a); break;
		case O_TFC: a->tfc = (uint32_t)parse_number(optarg); break;
		case O_SOFT_BYTES: a->soft_bytes = parse_number(optarg); break;
		case O_HARD_BYTES: a->hard_bytes = parse_number(optarg); break;
		case O_SOFT_SECONDS: a->soft_seconds = parse_number(optarg); break;
		case O_HARD_SECONDS: a->hard_seconds = parse_number(optarg); break;
		case O_SRC_NET: parse_subnet(optarg, &a->src_net); break;
		case O_DST_NET: parse_subnet(optarg, &a->dst_net); break;
		case O_DIR: a->dir = parse_dir(optarg); break;
		case O_COUNT: a->count = (unsigned)parse_number(optarg); break;
		case O_SECONDS: a->seconds = (unsigned)parse_number(optarg); break;
		case O_PAIRS: a->count = (unsigned)parse_number(optarg); break;
		case O_CONFIG: a->config = optarg; break;
		case O_NAME: a->name = optarg; break;
		default: usage_exit("unknown option");
		}
	}
	if (optind < argc)
		usage_exit("unexpected argument");
}

/* --- SAs with fixed test keys --------------------------------------------------- */

/* Public test keys: bytes 0x01, 0x02, ... (the largest key is 36 bytes). */
static const uint8_t test_key[64] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
	25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46,
	47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64,
};

/* HMAC keys are up to 64 bytes (SHA-512): another public pattern. */
static const uint8_t test_integ_key[64] = {
	[0] = 0xa0, [1] = 0xa1, [2] = 0xa2, [3] = 0xa3, [31] = 0xbf, [63] = 0xff,
};

static void need_sa_args(const struct args *a)
{
	if (!address_is_set(&a->src) || !address_is_set(&a->dst))
		usage_exit("--src and --dst are needed");
	if (!a->have_alg)
		usage_exit("--esp is needed");
}

static int offload_ifindex(const struct args *a)
{
	if (a->offload_dev[0] == '\0')
		return 0;
	int ifindex = (int)if_nametoindex(a->offload_dev);
	if (ifindex == 0) {
		printf("error: no interface %s\n", a->offload_dev);
		exit(1);
	}
	return ifindex;
}

/* The SA from src to dst with spi; inbound marks the one we receive on. */
static struct kernel_sa make_sa(const struct args *a, const ip_address *src, const ip_address *dst,
				uint32_t spi, bool inbound, int ifindex)
{
	struct kernel_sa sa = {
		.src = *src, .dst = *dst, .spi = spi, .proto = IPPROTO_ESP,
		.mode = a->transport ? KERNEL_MODE_TRANSPORT : KERNEL_MODE_TUNNEL,
		.reqid = a->reqid, .inbound = inbound,
		.encr = a->alg.encr, .encr_key = test_key,
		.encr_key_len = a->alg.encr_keylen / 8 + encr_salt_bytes(a->alg.encr),
		.integ = a->alg.integ, .integ_key = test_integ_key,
		.integ_key_len = integ_key_bytes(a->alg.integ),
		.esn = a->esn, .replay_window = a->replay,
		.soft_bytes = a->soft_bytes, .hard_bytes = a->hard_bytes,
		.soft_seconds = a->soft_seconds, .hard_seconds = a->hard_seconds,
		.encap = a->encap, .encap_sport = a->encap_sport, .encap_dport = a->encap_dport,
		.tfc_pad = a->tfc,
		.offload = ifindex == 0 ? KERNEL_OFFLOAD_NONE : a->packet ? KERNEL_OFFLOAD_PACKET : KERNEL_OFFLOAD_CRYPTO,
		.offload_ifindex = ifindex,
	};
	sa.src_sel = a->sel_src;
	sa.dst_sel = a->sel_dst;
	if (inbound) {
		sa.src_sel = a->sel_dst;
		sa.dst_sel = a->sel_src;
	}
	return sa;
}

static const char *dir_name(bool inbound)
{
	return inbound ? "inbound" : "outbound";
}

static int install_one(const struct kernel_sa *sa, bool update)
{
	struct kernel_err e;
	char what[128], dst[ADDRESS_STR_MAX];
	int r = update ? kernel->update_sa(sa, &e) : kernel->add_sa(sa, &e);
	snprintf(what, sizeof(what), "%s %s SA esp.%08x@%s", update ? "update" : "add",
		 dir_name(sa->inbound), sa->spi, address_str(&sa->dst, dst));
	if (r != 0)
		return fail(what, r, &e);
	printf("%s %s SA esp.%08x@%s\n", update ? "updated" : "added", dir_name(sa->inbound), sa->spi, dst);
	return 0;
}

static int add_one(const struct kernel_sa *sa)
{
	return install_one(sa, false);
}

static int cmd_add_sa(const struct args *a, bool update)
{
	need_sa_args(a);
	if (a->spi == 0)
		usage_exit("--spi is needed");
	int ifindex = offload_ifindex(a);
	unsigned n = a->count != 0 ? a->count : 1;
	for (unsigned i = 0; i < n; i++) {
		struct kernel_sa sa = make_sa(a, &a->src, &a->dst, a->spi + i, a->inbound, ifindex);
		if (install_one(&sa, update) != 0)
			return 1;
	}
	return 0;
}

/* Outbound src->dst with spi-out, then inbound dst->src with spi-in (as
 * seen from src's host). Stops at the first refusal. */
static int cmd_add_pair(const struct args *a)
{
	need_sa_args(a);
	if (a->spi_in == 0 || a->spi_out == 0)
		usage_exit("--spi-in and --spi-out are needed");
	int ifindex = offload_ifindex(a);
	struct kernel_sa out = make_sa(a, &a->src, &a->dst, a->spi_out, false, ifindex);
	struct kernel_sa in = make_sa(a, &a->dst, &a->src, a->spi_in, true, ifindex);
	int r = add_one(&out);
	return r != 0 ? r : add_one(&in);
}

static void print_sa_info(const ip_address *dst, uint32_t spi, uint32_t reqid, const struct kernel_sa_info *i)
{
	char d[ADDRESS_STR_MAX], dev[IF_NAMESIZE] = "-";
	if (i->offloaded && if_indextoname((unsigned)i->offload_ifindex, dev) == NULL)
		snprintf(dev, sizeof(dev), "?");
	printf("esp.%08x@%s reqid=%u offloaded=%s ifindex=%d dev=%s packet=%s bytes=%" PRIu64
	       " packets=%" PRIu64 " add_time=%" PRIu64 "\n",
	       spi, address_str(dst, d), reqid, i->offloaded ? "yes" : "no", i->offload_ifindex, dev,
	       i->offload_packet ? "yes" : "no", i->bytes, i->packets, i->add_time);
}

static int cmd_get(const struct args *a)
{
	if (!address_is_set(&a->dst) || a->spi == 0)
		usage_exit("--dst and --spi are needed");
	struct kernel_sa_info info;
	struct kernel_err e;
	int r = kernel->get_sa(&a->dst, a->spi, IPPROTO_ESP, &info, &e);
	if (r != 0)
		return fail("get SA", r, &e);
	print_sa_info(&a->dst, a->spi, 0, &info);
	return 0;
}

static int cmd_del(const struct args *a)
{
	if (!address_is_set(&a->dst) || a->spi == 0)
		usage_exit("--dst and --spi are needed");
	struct kernel_err e;
	int r = kernel->del_sa(&a->dst, a->spi, IPPROTO_ESP, &e);
	if (r != 0)
		return fail("delete SA", r, &e);
	printf("deleted esp.%08x\n", a->spi);
	return 0;
}

static void print_entry(void *arg, const struct kernel_sa_entry *sa)
{
	unsigned *n = arg;
	(*n)++;
	print_sa_info(&sa->dst, sa->spi, sa->reqid, &sa->info);
}

static int cmd_list(void)
{
	unsigned n = 0;
	struct kernel_err e;
	int r = kernel->list_sas(print_entry, &n, &e);
	if (r != 0)
		return fail("list SAs", r, &e);
	printf("%u SAs\n", n);
	return 0;
}

static int cmd_flush(const struct args *a)
{
	struct kernel_err e;
	int r = kernel->flush(a->reqid, a->reqid_hi, &e);
	if (r != 0)
		return fail("flush", r, &e);
	printf("flushed reqid %u-%u\n", a->reqid, a->reqid_hi);
	return 0;
}

static int cmd_add_policy(const struct args *a)
{
	if (!address_is_set(&a->src_net.addr) || !address_is_set(&a->dst_net.addr))
		usage_exit("--src-net and --dst-net are needed");
	int ifindex = offload_ifindex(a);
	struct kernel_policy p = {
		.src = a->src_net, .dst = a->dst_net, .dir = a->dir,
		.mode = a->transport ? KERNEL_MODE_TRANSPORT : KERNEL_MODE_TUNNEL,
		.tmpl_src = a->src, .tmpl_dst = a->dst, .proto = IPPROTO_ESP,
		.reqid = a->reqid, .priority = 1000,
		.offload = ifindex != 0 && a->packet ? KERNEL_OFFLOAD_PACKET : KERNEL_OFFLOAD_NONE,
		.offload_ifindex = ifindex,
	};
	struct kernel_err e;
	int r = kernel->add_policy(&p, &e);
	if (r != 0)
		return fail("add policy", r, &e);
	printf("added policy\n");
	return 0;
}

/* What pluto's start-up probe learns of this kernel (kernel_caps.h). */
static int cmd_caps(bool verbose)
{
	struct diag lines;
	diag_init(&lines);
	kernel_caps_learn(kernel, &lines);
	if (verbose)
		printf("%spacket=%s encap=%s\n", lines.text, kernel->has_packet_offload() ? "yes" : "no",
		       kernel->has_encap_offload() ? "yes" : "no");
	else
		printf("%s\n", kernel->has_packet_offload() ? "yes" : "no");
	return 0;
}

static int cmd_features(const char *dev)
{
	struct offload_features f;
	struct kernel_err e;
	int r = kernel->offload_features(dev, &f, &e);
	if (r != 0)
		return fail("ethtool features", r, &e);
	printf("%s: esp-hw-offload: %s\n", dev, f.esp_hw_offload ? "on" : "off");
	printf("%s: esp-tx-csum-hw-offload: %s\n", dev, f.esp_tx_csum_hw_offload ? "on" : "off");
	printf("%s: tx-esp-segmentation: %s\n", dev, f.tx_esp_segmentation ? "on" : "off");
	return 0;
}

static int cmd_link(const char *addr)
{
	ip_address a;
	parse_address(addr, &a);
	struct kernel_link link;
	struct kernel_err e;
	int r = kernel->link_for_address(&a, &link, &e);
	if (r != 0)
		return fail("link for address", r, &e);
	printf("%s: ifindex=%d dev=%s\n", addr, link.ifindex, link.name);
	return 0;
}

/* --- events -------------------------------------------------------------------- */

static const char *event_name(enum kernel_event_type t)
{
	switch (t) {
	case KERNEL_EV_ACQUIRE: return "acquire";
	case KERNEL_EV_EXPIRE_SOFT: return "expire-soft";
	case KERNEL_EV_EXPIRE_HARD: return "expire-hard";
	}
	return "?";
}

struct watch {
	unsigned seen, want;
};

static void on_event(void *arg, const struct kernel_event *ev)
{
	struct watch *w = arg;
	char s[ADDRESS_STR_MAX], d[ADDRESS_STR_MAX], ss[ADDRESS_STR_MAX], sd[ADDRESS_STR_MAX];
	printf("event %s src=%s dst=%s proto=%u spi=%08x sel=%s->%s\n", event_name(ev->type),
	       address_str(&ev->src, s), address_str(&ev->dst, d), ev->proto, ev->spi,
	       subnet_str(&ev->sel_src, ss), subnet_str(&ev->sel_dst, sd));
	fflush(stdout);
	if (++w->seen >= w->want && w->want > 0)
		event_base_loopexit(base, NULL);
}

static int cmd_watch(const struct args *a)
{
	base = event_base_new();
	struct watch w = { 0, a->count };
	struct kernel_err e;
	int r = kernel->watch_events(base, on_event, &w, &e);
	if (r != 0)
		return fail("watch events", r, &e);
	printf("watching\n");
	fflush(stdout);
	struct timeval tv = { .tv_sec = a->seconds != 0 ? a->seconds : 10 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	printf("%u events\n", w.seen);
	kernel->shutdown();
	event_base_free(base);
	return 0;
}

/* --- benchmark ------------------------------------------------------------------- */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* SPIs of pair i: outbound 0x10000 + 2i, inbound one more. */
static uint32_t bench_spi(unsigned i, bool inbound)
{
	return 0x10000u + 2 * i + (inbound ? 1 : 0);
}

/* Pair i gets reqid + i, as each conn of a daemon has its own: the kernel
 * hashes SAs by addresses and reqid, and one shared reqid would make every
 * add walk one ever longer chain. */
static int bench_add(const struct args *a, unsigned i, int ifindex)
{
	struct kernel_sa out = make_sa(a, &a->src, &a->dst, bench_spi(i, false), false, ifindex);
	struct kernel_sa in = make_sa(a, &a->dst, &a->src, bench_spi(i, true), true, ifindex);
	out.reqid += i;
	in.reqid += i;
	struct kernel_err e;
	int r = kernel->add_sa(&out, &e);
	if (r == 0)
		r = kernel->add_sa(&in, &e);
	return r != 0 ? fail("bench add", r, &e) : 0;
}

static int bench_del(const struct args *a, unsigned i)
{
	struct kernel_err e;
	int r = kernel->del_sa(&a->dst, bench_spi(i, false), IPPROTO_ESP, &e);
	if (r == 0)
		r = kernel->del_sa(&a->src, bench_spi(i, true), IPPROTO_ESP, &e);
	return r != 0 ? fail("bench delete", r, &e) : 0;
}

/* N pairs added, then all deleted: rates for each phase and the whole. */
static int cmd_bench(const struct args *a)
{
	need_sa_args(a);
	unsigned n = a->count != 0 ? a->count : 1000;
	int ifindex = offload_ifindex(a);
	double t0 = now();
	for (unsigned i = 0; i < n; i++) {
		if (bench_add(a, i, ifindex) != 0)
			return 1;
	}
	double t1 = now();
	for (unsigned i = 0; i < n; i++) {
		if (bench_del(a, i) != 0)
			return 1;
	}
	double t2 = now();
	unsigned sas = 2 * n;
	printf("backend: %u SAs added in %.3f s (%.0f SAs/s), deleted in %.3f s (%.0f SAs/s), "
	       "add+delete %.0f SAs/s\n", sas, t1 - t0, sas / (t1 - t0), t2 - t1, sas / (t2 - t1),
	       sas / (t2 - t0));
	return 0;
}

/* count cycles of: add a pair, delete it. Per-pair cost in microseconds;
 * with --offload this is the cost of an offloaded install. */
static int cmd_cycles(const struct args *a)
{
	need_sa_args(a);
	unsigned n = a->count != 0 ? a->count : 1000;
	int ifindex = offload_ifindex(a);
	double t0 = now();
	for (unsigned i = 0; i < n; i++) {
		if (bench_add(a, 0, ifindex) != 0 || bench_del(a, 0) != 0)
			return 1;
	}
	double t = now() - t0;
	printf("cycles: %u add+delete pair cycles (%s) in %.3f s: %.1f us per SA add+delete\n",
	       n, ifindex != 0 ? a->offload_dev : "software", t, t / (2.0 * n) * 1e6);
	return 0;
}

/* --- a conn's SAs through the offload policy ------------------------------------- */

static void print_notes(const char *name, const struct diag *notes)
{
	const char *p = notes->text;
	while (*p != '\0') {
		int len = (int)strcspn(p, "\n");
		printf("\"%s\" #1: %.*s\n", name, len, p);
		p += len + (p[len] == '\n');
	}
}

/* The conn's SAs as pluto installs them once IKE has keys: left is local,
 * the first esp= proposal, the test keys. */
static void conn_sa(const struct args *a, const struct conn_config *c, bool inbound, struct kernel_sa *sa)
{
	struct args sa_args = *a;
	sa_args.alg = c->esp_proposals->p[0];
	sa_args.esn = c->esn == YNA_YES;
	sa_args.transport = c->type == TYPE_TRANSPORT;
	sa_args.tfc = c->tfc;
	sa_args.sel_src = c->left.has_subnet ? c->left.subnet : subnet_from_address(&c->left.host);
	sa_args.sel_dst = c->right.has_subnet ? c->right.subnet : subnet_from_address(&c->right.host);
	if (inbound)
		*sa = make_sa(&sa_args, &c->right.host, &c->left.host, a->spi_in, true, 0);
	else
		*sa = make_sa(&sa_args, &c->left.host, &c->right.host, a->spi_out, false, 0);
}

static int cmd_conn(const struct args *a)
{
	if (a->config == NULL || a->name == NULL || a->spi_in == 0 || a->spi_out == 0)
		usage_exit("conn needs --config, --name, --spi-in and --spi-out");
	struct diag d, notes;
	diag_init(&d);
	diag_init(&notes);
	struct ipsec_conf *conf = ipsecconf_load(a->config, &d);
	if (conf == NULL) {
		printf("error: %s", d.text);
		return 1;
	}
	/* What pluto learns at start-up decides the add-time rules here too. */
	struct diag caps;
	diag_init(&caps);
	kernel_caps_learn(kernel, &caps);
	const struct conn_config *c = ipsecconf_find(conf, a->name);
	struct offload_policy pol;
	int rc = 1;
	if (c == NULL) {
		printf("error: no conn %s\n", a->name);
	} else if (!offload_check_conn(c, conf->setup.fips, kernel, &pol, &d, &notes)) {
		print_notes(a->name, &notes);
		printf("\"%s\": not added: %s", a->name, d.text);
	} else {
		struct kernel_sa in, out;
		struct sa_offload got[2];
		conn_sa(a, c, true, &in);
		conn_sa(a, c, false, &out);
		int r = offload_install_pair(kernel, &pol, &in, &out, got, &notes);
		print_notes(a->name, &notes);
		if (r == 0) {
			char text[128], dst[ADDRESS_STR_MAX];
			printf("\"%s\" #1: inbound esp.%08x@%s offload=%s\n", a->name, in.spi,
			       address_str(&in.dst, dst), sa_offload_str(&got[0], text, sizeof(text)));
			printf("\"%s\" #1: outbound esp.%08x@%s offload=%s\n", a->name, out.spi,
			       address_str(&out.dst, dst), sa_offload_str(&got[1], text, sizeof(text)));
			rc = 0;
		} else {
			printf("\"%s\" #1: SA pair not installed: %s\n", a->name, errno_name(-r));
		}
	}
	ipsecconf_free(conf);
	return rc;
}

int main(int argc, char **argv)
{
	log_to_stderr();
	if (getenv("XFRM_DRIVER_DEBUG") != NULL)
		log_set_debug(true);
	if (argc < 2)
		usage_exit("a command is needed");
	const char *cmd = argv[1];
	struct args a;
	memset(&a, 0, sizeof(a));
	const char *operand = argc > 2 && argv[2][0] != '-' ? argv[2] : NULL;
	optind = operand != NULL ? 3 : 2;
	parse_args(argc, argv, &a);

	struct kernel_err e;
	int r = kernel->init(&e);
	if (r != 0)
		return fail("init", r, &e);
	int rc;
	if (strcmp(cmd, "add-pair") == 0) rc = cmd_add_pair(&a);
	else if (strcmp(cmd, "add-sa") == 0) rc = cmd_add_sa(&a, false);
	else if (strcmp(cmd, "update-sa") == 0) rc = cmd_add_sa(&a, true);
	else if (strcmp(cmd, "get") == 0) rc = cmd_get(&a);
	else if (strcmp(cmd, "del") == 0) rc = cmd_del(&a);
	else if (strcmp(cmd, "list") == 0) rc = cmd_list();
	else if (strcmp(cmd, "flush") == 0) rc = cmd_flush(&a);
	else if (strcmp(cmd, "add-policy") == 0) rc = cmd_add_policy(&a);
	else if (strcmp(cmd, "features") == 0 && operand != NULL) rc = cmd_features(operand);
	else if (strcmp(cmd, "link") == 0 && operand != NULL) rc = cmd_link(operand);
	else if (strcmp(cmd, "packet-offload") == 0) rc = cmd_caps(false);
	else if (strcmp(cmd, "caps") == 0) rc = cmd_caps(true);
	else if (strcmp(cmd, "watch") == 0) return cmd_watch(&a);
	else if (strcmp(cmd, "conn") == 0) rc = cmd_conn(&a);
	else if (strcmp(cmd, "bench") == 0) rc = cmd_bench(&a);
	else if (strcmp(cmd, "cycles") == 0) rc = cmd_cycles(&a);
	else usage_exit("unknown command");
	kernel->shutdown();
	return rc;
}
