/* ipsec: the front command users type, in libreswan's spelling (its 4.x
 * verbs and 5.x's short ones). Every subcommand is a row of one table,
 * subcommands[]: `ipsec --help` is printed from it, and the options each
 * takes are checked against it. Options are parsed with getopt_long in any
 * position, before or after the subcommand and its NAME. A subcommand
 * becomes a request to pluto over its control socket (most: the request
 * whack would send, sent from here), a run of pluto (start) or whack
 * (ipsec whack), or is answered here (version, help, checkconfig); one
 * this daemon has no use for answers "not supported: why" with exit
 * status 3. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "ipsecconf.h"
#include "nssdb.h"
#include "version.h"
#include "whack_client.h"

#define MAX_ARGS 64
#define EXIT_UNSUPPORTED 3

/* The options of the subcommands, each a bit: a subcommand lists those it
 * takes; --ctlsocket, --rundir and --help every one takes. */
enum {
	OPT_JSON = 1 << 0,		/* --json */
	OPT_CONFIG = 1 << 1,		/* --config FILE */
	OPT_CHECKCONFIG = 1 << 2,	/* --checkconfig */
	OPT_PROBE = 1 << 3,		/* --probe */
	OPT_AUTO_OPS = 1 << 4,		/* --add, --up, ... (ipsec auto) */
	OPT_NSSDIR = 1 << 5,		/* --nssdir DIR */
	OPT_NSSPASSWORD = 1 << 6,	/* --nsspassword FILE */
};

/* What the command line said, options and words in their order. */
struct invocation {
	const char *ctlsocket, *rundir, *config, *nssdir, *nsspassword;
	unsigned opts_given;		/* OPT_* seen */
	const char *auto_op;		/* ipsec auto's --add etc., as given */
	int nwords;
	char *words[MAX_ARGS];		/* the words that are not options, after the subcommand */
};

struct subcommand;
typedef int run_fn(const struct subcommand *sc, struct invocation *inv);

struct subcommand {
	const char *name;
	const char *args;		/* for the usage line */
	const char *help;		/* NULL: an alias, left out of --help */
	run_fn *run;
	enum whack_op whack_op;		/* for run_whack and run_named */
	unsigned opts;			/* OPT_* it takes */
	const char *unsupported;	/* why it is not supported, or NULL */
};

static const struct subcommand subcommands[];
static const size_t nsubcommands;

/* ---- running whack and pluto ---- */

static bool has_whack(const char *dir)
{
	char path[PATH_MAX + 8];
	snprintf(path, sizeof(path), "%s/whack", dir);
	return access(path, X_OK) == 0;
}

/* Where pluto and whack live: $IPSEC_EXECDIR; else beside this program (a
 * build tree) or in ../libexec/ipsec from it (an install, wherever its
 * PREFIX); else the libexec directory compiled in. */
static const char *execdir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("IPSEC_EXECDIR");
	if (env != NULL && env[0] != '\0')
		return env;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		const char *bindir = dirname(self);
		snprintf(dir, sizeof(dir), "%s", bindir);
		if (has_whack(dir))
			return dir;
		snprintf(dir, sizeof(dir), "%s/../libexec/ipsec", bindir);
		if (has_whack(dir))
			return dir;
	}
	return IPSEC_LIBEXECDIR;
}

struct argv_builder {
	char *v[MAX_ARGS + 1];
	int n;
};

static void push(struct argv_builder *a, const char *s)
{
	if (a->n >= MAX_ARGS) {
		fprintf(stderr, "ipsec: too many arguments\n");
		exit(2);
	}
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
}

static const char *program_path(const char *program)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", execdir(), program);
	return path;
}

static void run(const char *program, struct argv_builder *a)
{
	const char *path = program_path(program);
	a->v[0] = (char *)path;
	execv(path, a->v);
	fprintf(stderr, "ipsec: cannot run %s: %s\n", path, strerror(errno));
	exit(1);
}

static void push_control(struct argv_builder *a, const struct invocation *inv)
{
	if (inv->ctlsocket != NULL) {
		push(a, "--ctlsocket");
		push(a, inv->ctlsocket);
	}
	if (inv->rundir != NULL) {
		push(a, "--rundir");
		push(a, inv->rundir);
	}
}

/* pluto reads the config itself, from its own working directory. */
static const char *absolute_config(const struct invocation *inv)
{
	static char abs[PATH_MAX];
	const char *config = inv->config != NULL ? inv->config : IPSEC_CONF;
	if (realpath(config, abs) == NULL) {
		fprintf(stderr, "ipsec: cannot read config '%s': %s\n", config, strerror(errno));
		exit(1);
	}
	return abs;
}

/* ---- requests to pluto: sent here, not through whack (a program
 * start less) ---- */

/* The control socket the options name. */
static const char *ctl_path(const struct invocation *inv)
{
	static char sock[WHACK_PATH_MAX];
	if (!whack_ctl_path(sock, sizeof(sock), inv->ctlsocket, inv->rundir)) {
		fprintf(stderr, "ipsec: the control socket's path is too long for a socket address\n");
		exit(2);
	}
	return sock;
}

/* Copies src into a request's field of size cap; exits when too long. */
static void copy_field(char *dst, size_t cap, const char *src, const char *what)
{
	if (strlen(src) >= cap) {
		fprintf(stderr, "ipsec: %s '%s' is too long (at most %zu characters)\n", what, src, cap - 1);
		exit(2);
	}
	strcpy(dst, src);
}

/* Sends r and prints pluto's answer: pluto's exit status for it. */
static int send_request(const struct invocation *inv, const struct whack_request *r)
{
	return whack_client_run("ipsec", ctl_path(inv), r);
}

/* OP for conn NAME; add and replace read the config. */
static int whack_named(const struct invocation *inv, enum whack_op op, const char *name)
{
	struct whack_request r = { .op = op };
	if (name[0] == '\0') {
		fprintf(stderr, "ipsec: the connection name is empty\n");
		exit(2);
	}
	copy_field(r.name, sizeof(r.name), name, "connection name");
	if (op == WOP_ADD || op == WOP_REPLACE)
		copy_field(r.config, sizeof(r.config), absolute_config(inv), "config path");
	return send_request(inv, &r);
}

/* ---- the subcommands ---- */

static void print_usage_of(FILE *f, const struct subcommand *sc)
{
	fprintf(f, "usage: ipsec %s%s%s\n", sc->name, sc->args[0] ? " " : "", sc->args);
}

static int usage_of(const struct subcommand *sc)
{
	print_usage_of(stderr, sc);
	return 2;
}

static int no_words(const struct subcommand *sc, const struct invocation *inv)
{
	if (inv->nwords == 0)
		return 0;
	fprintf(stderr, "ipsec %s: unexpected argument '%s'\n", sc->name, inv->words[0]);
	return usage_of(sc);
}

/* A status or control request without a conn name. */
static int run_whack(const struct subcommand *sc, struct invocation *inv)
{
	if (no_words(sc, inv) != 0)
		return 2;
	struct whack_request r = { .op = sc->whack_op };
	if (inv->opts_given & OPT_JSON)
		r.flags |= WF_JSON;
	return send_request(inv, &r);
}

/* libreswan 5's short verbs: ipsec up NAME, and so on. */
static int run_named(const struct subcommand *sc, struct invocation *inv)
{
	if (inv->nwords != 1)
		return usage_of(sc);
	return whack_named(inv, sc->whack_op, inv->words[0]);
}

/* ipsec auto --OP NAME: libreswan 4's way of saying the same. */
static const struct {
	const char *option;
	enum whack_op whack_op;
	bool named;
} auto_ops[] = {
	{ "add", WOP_ADD, true }, { "delete", WOP_DELETE, true }, { "up", WOP_UP, true },
	{ "down", WOP_DOWN, true }, { "replace", WOP_REPLACE, true }, { "route", WOP_ROUTE, true },
	{ "unroute", WOP_UNROUTE, true }, { "ondemand", WOP_ROUTE, true },
	{ "status", WOP_STATUS, false }, { "rereadsecrets", WOP_REREADSECRETS, false },
	{ "rereadall", WOP_RELOAD, false }, { "listen", WOP_LISTEN, false },
	{ "ready", WOP_LISTEN, false },
};
#define NAUTO_OPS (sizeof(auto_ops) / sizeof(auto_ops[0]))

static int run_auto(const struct subcommand *sc, struct invocation *inv)
{
	const char *op = inv->auto_op;
	if (op == NULL)
		return usage_of(sc);
	for (size_t i = 0; i < NAUTO_OPS; i++) {
		if (strcmp(op, auto_ops[i].option) != 0)
			continue;
		if (!auto_ops[i].named) {
			const struct subcommand plain = { .name = "auto", .args = sc->args, .whack_op = auto_ops[i].whack_op };
			return run_whack(&plain, inv);
		}
		if (inv->nwords != 1)
			return usage_of(sc);
		return whack_named(inv, auto_ops[i].whack_op, inv->words[0]);
	}
	return 1;
}

static int check_config(const char *path)
{
	struct diag d;
	diag_init(&d);
	struct ipsec_conf *conf = ipsecconf_load(path, &d);
	if (conf == NULL) {
		fprintf(stderr, "%s", d.text);
		fprintf(stderr, "ipsec addconn: %s: %d error%s\n", path, d.count, d.count == 1 ? "" : "s");
		return 1;
	}
	/* What libreswan's keywords do not do here, as pluto logs it. */
	fprintf(stderr, "%s", conf->notes.text);
	ipsecconf_free(conf);
	return 0;
}

static int run_checkconfig(const struct subcommand *sc, struct invocation *inv)
{
	if (no_words(sc, inv) != 0)
		return 2;
	return check_config(inv->config != NULL ? inv->config : IPSEC_CONF);
}

static int run_addconn(const struct subcommand *sc, struct invocation *inv)
{
	if (inv->opts_given & OPT_CHECKCONFIG)
		return run_checkconfig(sc, inv);
	if (inv->nwords != 1)
		return usage_of(sc);
	return whack_named(inv, WOP_ADD, inv->words[0]);
}

static int run_offload(const struct subcommand *sc, struct invocation *inv)
{
	if (inv->nwords > 1)
		return usage_of(sc);
	struct whack_request r = { .op = WOP_OFFLOAD };
	if (inv->opts_given & OPT_PROBE)
		r.flags |= WF_PROBE;
	if (inv->nwords == 1)
		copy_field(r.device, sizeof(r.device), inv->words[0], "device name");
	return send_request(inv, &r);
}

/* pluto's own options go to pluto as they are; --rundir given to ipsec
 * too. */
static void start_pluto(const struct invocation *inv, int argc, char **argv)
{
	struct argv_builder a = { .n = 1 };
	if (inv->rundir != NULL) {
		push(&a, "--rundir");
		push(&a, inv->rundir);
	}
	for (int i = 0; i < argc; i++)
		push(&a, argv[i]);
	run("pluto", &a);
}

/* Whether a pluto answers on the control socket sock: no socket (ENOENT)
 * or one no process listens on (ECONNREFUSED: a crashed pluto's) means no
 * pluto runs; any other failure is whack's to report. */
static bool pluto_listens(const char *sock)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(sock) >= sizeof(sun.sun_path))
		return true;
	strcpy(sun.sun_path, sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	int r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	int err = errno;
	close(fd);
	return r == 0 || (err != ENOENT && err != ECONNREFUSED);
}

/* ipsec stop, when pluto is running; its exit status. */
static int stop_pluto(const struct invocation *inv, bool quiet_if_not_running)
{
	if (quiet_if_not_running && !pluto_listens(ctl_path(inv)))
		return 0;
	struct whack_request r = { .op = WOP_SHUTDOWN };
	return send_request(inv, &r);
}

static int run_version(const struct subcommand *sc, struct invocation *inv)
{
	(void)sc; (void)inv;
	printf("swan-offload %s (IKEv2 daemon pluto, libreswan-compatible commands)\n", SWAN_VERSION);
	return 0;
}

static int run_directory(const struct subcommand *sc, struct invocation *inv)
{
	(void)sc; (void)inv;
	printf("%s\n", execdir());
	return 0;
}

/* The names of the rows that pick(row) selects, on one line after title. */
static void name_list(FILE *f, const char *title, bool (*pick)(const struct subcommand *sc))
{
	fprintf(f, "%s", title);
	for (size_t i = 0; i < nsubcommands; i++) {
		if (pick(&subcommands[i]))
			fprintf(f, " %s", subcommands[i].name);
	}
	fprintf(f, "\n");
}

static bool is_alias(const struct subcommand *sc)
{
	return sc->help == NULL && sc->unsupported == NULL;
}

static bool is_unsupported(const struct subcommand *sc)
{
	return sc->unsupported != NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ipsec [--rundir DIR | --ctlsocket PATH] COMMAND [ARGS] [OPTIONS]\n"
		   "Options go before or after the command, in any order.\n"
		   "Commands:\n");
	for (size_t i = 0; i < nsubcommands; i++) {
		const struct subcommand *sc = &subcommands[i];
		if (sc->help == NULL || sc->unsupported != NULL)
			continue;
		char left[96];
		snprintf(left, sizeof(left), "%s%s%s", sc->name, sc->args[0] ? " " : "", sc->args);
		if (strlen(left) > 28)
			fprintf(f, "  %s\n  %-28s %s\n", left, "", sc->help);
		else
			fprintf(f, "  %-28s %s\n", left, sc->help);
	}
	name_list(f, "Also, as libreswan spells them (and --version, --help, --status ...):", is_alias);
	name_list(f, "libreswan's, not supported here (each says why):", is_unsupported);
	fprintf(f, "Every command takes --rundir DIR or --ctlsocket PATH to reach a pluto not in %s.\n",
		IPSEC_RUNDIR);
}

/* ---- the NSS database (nssdb.h) ---- */

static const char *nssdir_of(const struct invocation *inv)
{
	return inv->nssdir != NULL ? inv->nssdir : IPSEC_NSSDIR;
}

/* The NSS password file for import: the one named, else pluto's default
 * when it is there (a database without a password needs none). */
static const char *nsspassword_of(const struct invocation *inv)
{
	if (inv->nsspassword != NULL)
		return inv->nsspassword;
	return access(IPSEC_NSSPASSWORD, F_OK) == 0 ? IPSEC_NSSPASSWORD : NULL;
}

/* initnss: a password only when --nsspassword names its file. */
static int run_initnss(const struct subcommand *sc, struct invocation *inv)
{
	int rc = no_words(sc, inv);
	return rc != 0 ? rc : nssdb_init(nssdir_of(inv), inv->nsspassword);
}

static int run_checknss(const struct subcommand *sc, struct invocation *inv)
{
	int rc = no_words(sc, inv);
	return rc != 0 ? rc : nssdb_check(nssdir_of(inv));
}

static int run_import(const struct subcommand *sc, struct invocation *inv)
{
	if (inv->nwords < 1) {
		fprintf(stderr, "ipsec import: name the PKCS #12 file to import\n");
		return usage_of(sc);
	}
	return nssdb_import(nssdir_of(inv), nsspassword_of(inv), inv->words[0], inv->words + 1, inv->nwords - 1);
}

static int run_listcerts(const struct subcommand *sc, struct invocation *inv)
{
	int rc = no_words(sc, inv);
	return rc != 0 ? rc : nssdb_list(nssdir_of(inv));
}

static int run_help(const struct subcommand *sc, struct invocation *inv)
{
	(void)sc; (void)inv;
	usage(stdout);
	return 0;
}

/* start, pluto, whack and restart are handled in main: they pass their
 * arguments on untouched. These are their rows' run functions' stand-in. */
static int run_passthrough(const struct subcommand *sc, struct invocation *inv)
{
	(void)inv;
	fprintf(stderr, "ipsec %s: internal error: not a pass-through\n", sc->name);
	return 1;
}

#define NO_ARGS ""
static const struct subcommand subcommands[] = {
	{ "start", "[PLUTO OPTIONS]", "start pluto (see pluto --help)", run_passthrough, WOP_NONE, 0, NULL },
	{ "stop", NO_ARGS, "stop pluto (whack --shutdown)", run_whack, WOP_SHUTDOWN, 0, NULL },
	{ "restart", "[PLUTO OPTIONS]", "stop pluto if it runs, then start it", run_passthrough, WOP_NONE, 0, NULL },
	{ "status", NO_ARGS, "conns, their settings and SAs (whack --status)", run_whack, WOP_STATUS, 0, NULL },
	{ "connectionstatus", NO_ARGS, "the conns' part of status", run_whack, WOP_CONNECTIONSTATUS, 0, NULL },
	{ "trafficstatus", "[--json]", "one line per IPsec SA: bytes, offload", run_whack, WOP_TRAFFICSTATUS, OPT_JSON, NULL },
	{ "traffic", "[--json]", NULL, run_whack, WOP_TRAFFICSTATUS, OPT_JSON, NULL },
	{ "showstates", NO_ARGS, "one line per IKE and IPsec SA", run_whack, WOP_SHOWSTATES, 0, NULL },
	{ "briefstatus", NO_ARGS, "counts of conns and SAs", run_whack, WOP_BRIEFSTATUS, 0, NULL },
	{ "globalstatus", NO_ARGS, "settings and counts, key=value", run_whack, WOP_GLOBALSTATUS, 0, NULL },
	{ "fipsstatus", NO_ARGS, "whether the running pluto's NSS is in FIPS mode", run_whack, WOP_FIPSSTATUS, 0,
	  NULL },
	{ "add", "NAME [--config FILE]", "load conn NAME from ipsec.conf (replacing a loaded one)", run_named, WOP_ADD, OPT_CONFIG, NULL },
	{ "delete", "NAME", "take conn NAME down and unload it", run_named, WOP_DELETE, 0, NULL },
	{ "up", "NAME", "bring conn NAME up; returns once it is up or failed", run_named, WOP_UP, 0, NULL },
	{ "down", "NAME", "take conn NAME down, telling the peer", run_named, WOP_DOWN, 0, NULL },
	{ "replace", "NAME [--config FILE]", "delete and add NAME; up again if it was up", run_named, WOP_REPLACE, OPT_CONFIG, NULL },
	{ "route", "NAME", "install NAME's trap: traffic brings it up", run_named, WOP_ROUTE, 0, NULL },
	{ "ondemand", "NAME", "the same as route", run_named, WOP_ROUTE, 0, NULL },
	{ "unroute", "NAME", "remove NAME's trap", run_named, WOP_UNROUTE, 0, NULL },
	{ "auto", "--add|--delete|--up|--down|--replace|--route|--unroute NAME [--config FILE]",
	  "libreswan 4's spelling of the verbs above (also --status, --rereadsecrets, --listen)",
	  run_auto, WOP_NONE, OPT_AUTO_OPS | OPT_CONFIG, NULL },
	{ "rereadsecrets", NO_ARGS, "read ipsec.secrets again", run_whack, WOP_REREADSECRETS, 0, NULL },
	{ "secrets", NO_ARGS, NULL, run_whack, WOP_REREADSECRETS, 0, NULL },
	{ "rereadall", NO_ARGS, "read ipsec.secrets and ipsec.conf again (as SIGHUP)", run_whack, WOP_RELOAD, 0, NULL },
	{ "reload", NO_ARGS, NULL, run_whack, WOP_RELOAD, 0, NULL },
	{ "listen", NO_ARGS, "look at the host's addresses again, listen on them", run_whack, WOP_LISTEN, 0, NULL },
	{ "checkconfig", "[--config FILE]", "check ipsec.conf; errors name file, line, keyword", run_checkconfig, WOP_NONE, OPT_CONFIG, NULL },
	{ "addconn", "--checkconfig [--config FILE] | NAME", "libreswan's addconn: check a config, or add NAME",
	  run_addconn, WOP_NONE, OPT_CONFIG | OPT_CHECKCONFIG, NULL },
	{ "offload", "[--probe] [DEVICE]", "interfaces' ESP offload, and the SAs they hold", run_offload, WOP_NONE, OPT_PROBE, NULL },
	{ "whack", "ARGS", "run whack with ARGS", run_passthrough, WOP_NONE, 0, NULL },
	{ "pluto", "ARGS", "run pluto with ARGS", run_passthrough, WOP_NONE, 0, NULL },
	{ "version", NO_ARGS, "print the version (also --version)", run_version, WOP_NONE, 0, NULL },
	{ "directory", NO_ARGS, "where pluto and whack are (also --directory)", run_directory, WOP_NONE, 0, NULL },
	{ "initnss", "[--nssdir DIR] [--nsspassword FILE]",
	  "make the NSS database (certutil), with no password or the one in FILE", run_initnss, WOP_NONE,
	  OPT_NSSDIR | OPT_NSSPASSWORD, NULL },
	{ "checknss", "[--nssdir DIR]", "make the NSS database when missing, else check it opens", run_checknss, WOP_NONE,
	  OPT_NSSDIR, NULL },
	{ "import", "FILE.p12 [--nssdir DIR] [--nsspassword FILE] [-- PK12UTIL OPTIONS]",
	  "import a certificate and key (pk12util)", run_import, WOP_NONE, OPT_NSSDIR | OPT_NSSPASSWORD, NULL },
	{ "listcerts", "[--nssdir DIR]", "the NSS database's certificates (certutil -L)", run_listcerts, WOP_NONE,
	  OPT_NSSDIR, NULL },
	{ "help", NO_ARGS, "this list (also --help, -h)", run_help, WOP_NONE, 0, NULL },
	/* libreswan's that this daemon has no use for yet: each says why. */
	{ "shuntstatus", NO_ARGS, NULL, NULL, WOP_NONE, 0,
	  "pluto installs no bare shunts (failureshunt= and negotiationshunt= take only none and hold)" },
	{ "newhostkey", NO_ARGS, NULL, NULL, WOP_NONE, 0,
	  "only pre-shared keys (authby=secret) are supported" },
	{ "showhostkey", NO_ARGS, NULL, NULL, WOP_NONE, 0, "only pre-shared keys (authby=secret) are supported" },
	{ "fetchcrls", NO_ARGS, NULL, NULL, WOP_NONE, 0, "certificates (and so CRLs) are not supported yet" },
	{ "crls", NO_ARGS, NULL, NULL, WOP_NONE, 0, "certificates (and so CRLs) are not supported yet" },
	{ "checknflog", NO_ARGS, NULL, NULL, WOP_NONE, 0, "pluto adds no NFLOG or iptables rules (nflog= has no effect here)" },
	{ "stopnflog", NO_ARGS, NULL, NULL, WOP_NONE, 0, "pluto adds no NFLOG or iptables rules (nflog= has no effect here)" },
	{ "setup", "start|stop|restart", NULL, NULL, WOP_NONE, 0,
	  "use ipsec start, ipsec stop, ipsec restart, or systemctl start|stop|restart ipsec" },
	{ "barf", NO_ARGS, NULL, NULL, WOP_NONE, 0,
	  "use ipsec status, ipsec showstates, ip xfrm state and the log" },
	{ "verify", NO_ARGS, NULL, NULL, WOP_NONE, 0, "ipsec checkconfig checks the config; the rest is not written yet" },
	{ "purgeocsp", NO_ARGS, NULL, NULL, WOP_NONE, 0, "certificates (and so OCSP) are not supported yet" },
	{ "listall", NO_ARGS, NULL, NULL, WOP_NONE, 0, "there are no keys or certificates to list: pre-shared keys only" },
	{ "rsasigkey", NO_ARGS, NULL, NULL, WOP_NONE, 0, "only pre-shared keys (authby=secret) are supported" },
	{ "ecdsasigkey", NO_ARGS, NULL, NULL, WOP_NONE, 0, "only pre-shared keys (authby=secret) are supported" },
	{ "letsencrypt", NO_ARGS, NULL, NULL, WOP_NONE, 0, "certificates are not supported yet" },
	{ "look", NO_ARGS, NULL, NULL, WOP_NONE, 0, "use ipsec showstates, ip xfrm state and ip xfrm policy" },
	{ "showroute", NO_ARGS, NULL, NULL, WOP_NONE, 0, "use ip route get ADDRESS" },
	{ "readwriteconf", NO_ARGS, NULL, NULL, WOP_NONE, 0, "use ipsec checkconfig (and ipsec status for what was loaded)" },
	{ "sniff", NO_ARGS, NULL, NULL, WOP_NONE, 0, "use tcpdump -i DEV udp port 500 or esp" },
};
static const size_t nsubcommands = sizeof(subcommands) / sizeof(subcommands[0]);

static const struct subcommand *find_subcommand(const char *name)
{
	for (size_t i = 0; i < nsubcommands; i++) {
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	}
	return NULL;
}

/* ---- the command line ---- */

/* libreswan spells some subcommands as options: --version, --help, -h,
 * --directory, --status ... The subcommand a word names, or NULL. */
static const struct subcommand *subcommand_word(const char *w)
{
	if (strcmp(w, "-h") == 0)
		return find_subcommand("help");
	if (strcmp(w, "--versioncode") == 0)
		return find_subcommand("version");
	if (w[0] == '-' && w[1] == '-')
		return find_subcommand(w + 2);
	return w[0] == '-' ? NULL : find_subcommand(w);
}

/* The options that take a value, so that the subcommand is found past them. */
static bool takes_value(const char *w)
{
	return strcmp(w, "--rundir") == 0 || strcmp(w, "--ctlsocket") == 0 || strcmp(w, "--config") == 0 ||
	       strcmp(w, "--nssdir") == 0 || strcmp(w, "--nsspassword") == 0;
}

/* Where the subcommand is in argv: past the leading options. 0: none. */
static int find_subcommand_index(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (takes_value(argv[i])) {
			i++;
			continue;
		}
		/* Other options (--json, --rundir=DIR) may come first too. */
		if (argv[i][0] != '-' || subcommand_word(argv[i]) != NULL)
			return i;
	}
	return 0;
}

static void need(const struct subcommand *sc, unsigned opt, const char *name)
{
	if ((sc->opts & opt) == 0) {
		fprintf(stderr, "ipsec %s: option --%s is not one it takes\n", sc->name, name);
		exit(usage_of(sc));
	}
}

enum { LO_CTLSOCKET = 1000, LO_RUNDIR, LO_CONFIG, LO_JSON, LO_CHECKCONFIG, LO_PROBE, LO_HELP, LO_NSSDIR, LO_NSSPASSWORD, LO_AUTO };

/* The options every subcommand is parsed with (the auto ops added). */
static const struct option ipsec_options[] = {
	{ "ctlsocket", required_argument, NULL, LO_CTLSOCKET },
	{ "rundir", required_argument, NULL, LO_RUNDIR },
	{ "config", required_argument, NULL, LO_CONFIG },
	{ "json", no_argument, NULL, LO_JSON },
	{ "checkconfig", no_argument, NULL, LO_CHECKCONFIG },
	{ "probe", no_argument, NULL, LO_PROBE },
	{ "nssdir", required_argument, NULL, LO_NSSDIR },
	{ "nsspassword", required_argument, NULL, LO_NSSPASSWORD },
	{ "help", no_argument, NULL, LO_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Every option, wherever it stands; the words left, in order, except the
 * subcommand's own (at argv[sc_at]). */
static void parse_options(int argc, char **argv, int sc_at, const struct subcommand *sc, struct invocation *inv)
{
	static struct option longopts[16 + NAUTO_OPS];
	size_t n = 0;
	for (size_t i = 0; ipsec_options[i].name != NULL; i++)
		longopts[n++] = ipsec_options[i];
	for (size_t i = 0; i < NAUTO_OPS; i++)
		longopts[n++] = (struct option){ auto_ops[i].option, no_argument, NULL, LO_AUTO + (int)i };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };

	/* The subcommand's word is taken out; getopt_long permutes the rest. */
	char *args[MAX_ARGS + 1];
	int nargs = 0;
	for (int i = 0; i < argc && nargs < MAX_ARGS; i++) {
		if (i != sc_at)
			args[nargs++] = argv[i];
	}
	args[nargs] = NULL;
	opterr = 0;
	optind = 1;
	int ch;
	while ((ch = getopt_long(nargs, args, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case LO_CTLSOCKET: inv->ctlsocket = optarg; break;
		case LO_RUNDIR: inv->rundir = optarg; break;
		case LO_CONFIG: need(sc, OPT_CONFIG, "config"); inv->config = optarg; break;
		case LO_JSON: need(sc, OPT_JSON, "json"); inv->opts_given |= OPT_JSON; break;
		case LO_CHECKCONFIG: need(sc, OPT_CHECKCONFIG, "checkconfig"); inv->opts_given |= OPT_CHECKCONFIG; break;
		case LO_PROBE: need(sc, OPT_PROBE, "probe"); inv->opts_given |= OPT_PROBE; break;
		case LO_NSSDIR: need(sc, OPT_NSSDIR, "nssdir"); inv->nssdir = optarg; break;
		case LO_NSSPASSWORD: need(sc, OPT_NSSPASSWORD, "nsspassword"); inv->nsspassword = optarg; break;
		case LO_HELP:
			print_usage_of(stdout, sc);
			if (sc->help != NULL)
				printf("  %s\n", sc->help);
			exit(0);
		case ':':
			fprintf(stderr, "ipsec %s: %s needs a value\n", sc->name, args[optind - 1]);
			exit(2);
		case '?':
			fprintf(stderr, "ipsec %s: unknown option '%s'\n", sc->name, args[optind - 1]);
			exit(usage_of(sc));
		default:
			need(sc, OPT_AUTO_OPS, auto_ops[ch - LO_AUTO].option);
			if (inv->auto_op != NULL) {
				fprintf(stderr, "ipsec auto: give one of --add, --delete, --up, --down, --replace, --route, --unroute\n");
				exit(2);
			}
			inv->auto_op = auto_ops[ch - LO_AUTO].option;
			break;
		}
	}
	for (int i = optind; i < nargs; i++)
		inv->words[inv->nwords++] = args[i];
}

/* The leading --rundir and --ctlsocket of a pass-through subcommand. */
static void leading_control(int sc_at, char **argv, struct invocation *inv)
{
	for (int i = 1; i < sc_at; i++) {
		const char **slot = strncmp(argv[i], "--rundir", 8) == 0 ? &inv->rundir :
				    strncmp(argv[i], "--ctlsocket", 11) == 0 ? &inv->ctlsocket :
				    strncmp(argv[i], "--config", 8) == 0 ? &inv->config : NULL;
		const char *eq = strchr(argv[i], '=');
		if (slot != NULL)
			*slot = eq != NULL ? eq + 1 : argv[++i];
	}
}

/* The rundir among pluto's own options (--rundir DIR or --rundir=DIR, as
 * getopt reads them for ipsec and for pluto); the others are pluto's. */
static void pluto_rundir(int argc, char **argv, struct invocation *inv)
{
	char *args[MAX_ARGS + 1] = { "ipsec" };
	int nargs = 1;
	for (int i = 0; i < argc && nargs < MAX_ARGS; i++)
		args[nargs++] = argv[i];	/* a copy: getopt_long permutes it */
	args[nargs] = NULL;
	opterr = 0;
	optind = 1;
	int ch;
	while ((ch = getopt_long(nargs, args, ":", ipsec_options, NULL)) != -1) {
		if (ch == LO_RUNDIR)
			inv->rundir = optarg;
	}
}

static int pass_through(const struct subcommand *sc, int sc_at, int argc, char **argv)
{
	struct invocation inv = {0};
	leading_control(sc_at, argv, &inv);
	int rest = argc - sc_at - 1;
	char **restv = argv + sc_at + 1;
	if (strcmp(sc->name, "whack") == 0) {
		struct argv_builder a = { .n = 1 };
		push_control(&a, &inv);
		for (int i = 0; i < rest; i++)
			push(&a, restv[i]);
		run("whack", &a);
	}
	if (strcmp(sc->name, "restart") == 0) {
		pluto_rundir(rest, restv, &inv);
		int rc = stop_pluto(&inv, true);
		if (rc != 0)
			return rc;
	}
	start_pluto(&inv, rest, restv);
	return 1;
}

int main(int argc, char **argv)
{
	int sc_at = find_subcommand_index(argc, argv);
	if (sc_at == 0) {
		if (argc > 1)
			fprintf(stderr, "ipsec: no command in '%s'\n", argv[argc > 1 ? 1 : 0]);
		usage(stderr);
		return 2;
	}
	const struct subcommand *sc = subcommand_word(argv[sc_at]);
	if (sc == NULL) {
		fprintf(stderr, "ipsec: unknown command '%s'; ipsec --help lists them\n", argv[sc_at]);
		return 2;
	}
	if (sc->unsupported != NULL) {
		fprintf(stderr, "ipsec %s: not supported: %s\n", sc->name, sc->unsupported);
		return EXIT_UNSUPPORTED;
	}
	if (sc->run == run_passthrough)
		return pass_through(sc, sc_at, argc, argv);
	struct invocation inv = {0};
	parse_options(argc, argv, sc_at, sc, &inv);
	return sc->run(sc, &inv);
}
