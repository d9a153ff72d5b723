/* whack: send one request to pluto and print its answer as it streams;
 * the exit status is the one pluto sends at the end. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "abspath.h"
#include "version.h"
#include "whack_client.h"

/* The commands whack sends, one table: its options, its usage text and
 * whether a command needs --name come from here. */
struct whack_command {
	const char *option;
	enum whack_op op;
	bool named;
	const char *help;
};

static const struct whack_command commands[] = {
	{ "status", WOP_STATUS, false, "loaded connections and their settings" },
	{ "connectionstatus", WOP_CONNECTIONSTATUS, false, "the connections' part of --status" },
	{ "trafficstatus", WOP_TRAFFICSTATUS, false, "one line per IPsec SA (--json: a JSON array)" },
	{ "showstates", WOP_SHOWSTATES, false, "one line per IKE and IPsec SA, libreswan's shape" },
	{ "briefstatus", WOP_BRIEFSTATUS, false, "counts of connections and SAs" },
	{ "globalstatus", WOP_GLOBALSTATUS, false, "settings and counts as key=value lines" },
	{ "fipsstatus", WOP_FIPSSTATUS, false, "whether pluto's NSS runs in FIPS mode" },
	{ "add", WOP_ADD, true, "load conn NAME from the config file (--config FILE)" },
	{ "replace", WOP_REPLACE, true, "delete conn NAME, add it again, bring it up if it was up" },
	{ "delete", WOP_DELETE, true, "unload a conn and take its SAs down" },
	{ "initiate", WOP_UP, true, "bring a conn up (also --up)" },
	{ "up", WOP_UP, true, NULL },
	{ "terminate", WOP_DOWN, true, "take a conn down (also --down)" },
	{ "down", WOP_DOWN, true, NULL },
	{ "rekey-ike", WOP_REKEY_IKE, true, "rekey its IKE SA now" },
	{ "rekey-ipsec", WOP_REKEY_IPSEC, true, "rekey its IPsec SA now (also --rekey-child)" },
	{ "rekey-child", WOP_REKEY_IPSEC, true, NULL },
	{ "route", WOP_ROUTE, true, "install its trap: traffic starts the negotiation" },
	{ "unroute", WOP_UNROUTE, true, "remove its trap" },
	{ "rereadsecrets", WOP_REREADSECRETS, false, "read ipsec.secrets again" },
	{ "rereadall", WOP_RELOAD, false, "read ipsec.secrets and ipsec.conf again (also --reload)" },
	{ "reload", WOP_RELOAD, false, NULL },
	{ "listen", WOP_LISTEN, false, "look at the host's addresses again and listen on them" },
	{ "offload", WOP_OFFLOAD, false, "interfaces' ESP offload ([--probe] [--device DEV])" },
	{ "shutdown", WOP_SHUTDOWN, false, "stop pluto" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* libreswan's whack options this pluto has no use for yet: each answers
 * with why, never with "unknown option". */
static const struct {
	const char *option, *why;
} unsupported[] = {
	{ "shuntstatus", "pluto installs no bare shunts (no failureshunt= or negotiationshunt=)" },
	{ "listpubkeys", "there are no public keys: only pre-shared keys (authby=secret) are supported" },
	{ "listcerts", "pluto does not use certificates yet; ipsec listcerts lists the NSS database's" },
	{ "rereadcerts", "certificates are not supported yet" },
	{ "fetchcrls", "certificates (and so CRLs) are not supported yet" },
	{ "purgeocsp", "certificates (and so OCSP) are not supported yet" },
};
#define NUNSUPPORTED (sizeof(unsupported) / sizeof(unsupported[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: whack [--ctlsocket PATH | --rundir DIR] [--name NAME] COMMAND\n"
		   "       whack --version | --help\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (commands[i].help == NULL)
			continue;
		char opt[64];
		snprintf(opt, sizeof(opt), "%s--%s", commands[i].named ? "--name NAME " : "", commands[i].option);
		fprintf(f, "  %-30s %s\n", opt, commands[i].help);
	}
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

/* getopt_long's values: a command's is CMD_BASE plus its index in
 * commands[], an unsupported option's UNSUPPORTED_BASE plus its index. */
enum { CMD_BASE = 1000, UNSUPPORTED_BASE = 2000 };

static const struct option plain_options[] = {
	{ "ctlsocket", required_argument, NULL, 'C' },
	{ "rundir", required_argument, NULL, 'R' },
	{ "json", no_argument, NULL, 'j' },
	{ "name", required_argument, NULL, 'n' },
	{ "config", required_argument, NULL, 'c' },
	{ "probe", no_argument, NULL, 'p' },
	{ "device", required_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
};
#define NPLAIN (sizeof(plain_options) / sizeof(plain_options[0]))

static void build_options(struct option *o)
{
	size_t n = 0;
	for (size_t i = 0; i < NPLAIN; i++)
		o[n++] = plain_options[i];
	for (size_t i = 0; i < NCOMMANDS; i++)
		o[n++] = (struct option){ commands[i].option, no_argument, NULL, CMD_BASE + (int)i };
	for (size_t i = 0; i < NUNSUPPORTED; i++)
		o[n++] = (struct option){ unsupported[i].option, no_argument, NULL, UNSUPPORTED_BASE + (int)i };
	o[n] = (struct option){ NULL, 0, NULL, 0 };
}

static void parse(int argc, char **argv, struct whack_request *r, char *sock, size_t socklen)
{
	static struct option longopts[NPLAIN + NCOMMANDS + NUNSUPPORTED + 1];
	build_options(longopts);
	int ch;
	whack_ctl_path(sock, socklen, NULL, NULL);
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch >= CMD_BASE && ch < CMD_BASE + (int)NCOMMANDS) {
			set_op(r, commands[ch - CMD_BASE].op);
			continue;
		}
		if (ch >= UNSUPPORTED_BASE && ch < UNSUPPORTED_BASE + (int)NUNSUPPORTED) {
			fprintf(stderr, "whack: --%s: not supported: %s\n", unsupported[ch - UNSUPPORTED_BASE].option,
				unsupported[ch - UNSUPPORTED_BASE].why);
			exit(3);
		}
		switch (ch) {
		case 'C':
			if (!whack_ctl_path(sock, socklen, optarg, NULL)) {
				fprintf(stderr, "whack: socket path '%s' is too long\n", optarg);
				exit(2);
			}
			break;
		case 'R':
			if (!whack_ctl_path(sock, socklen, NULL, optarg)) {
				fprintf(stderr, "whack: rundir '%s' is too long\n", optarg);
				exit(2);
			}
			break;
		case 'j': r->flags |= WF_JSON; break;
		case 'n': copy_arg(r->name, sizeof(r->name), optarg, "connection name"); break;
		case 'c':
			/* pluto reads it, from its own directory ("/") */
			if (!abspath(optarg, r->config, sizeof(r->config))) {
				fprintf(stderr, "whack: config path '%s' is too long as an absolute path\n", optarg);
				exit(2);
			}
			break;
		case 'p': r->flags |= WF_PROBE; break;
		case 'v': copy_arg(r->device, sizeof(r->device), optarg, "device name"); break;
		case 'V': printf("swan-offload %s\n", SWAN_VERSION); exit(0);
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
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (commands[i].op == r->op && commands[i].named && r->name[0] == '\0') {
			fprintf(stderr, "whack: --%s needs --name NAME\n", whack_op_name(r->op));
			exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	struct whack_request r = {0};
	char sock[WHACK_PATH_MAX];
	parse(argc, argv, &r, sock, sizeof(sock));
	return whack_client_run("whack", sock, &r);
}
