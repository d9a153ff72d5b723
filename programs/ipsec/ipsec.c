/* ipsec: the front command users type, in libreswan's spelling. It turns
 * each subcommand into a run of pluto or whack, except addconn
 * --checkconfig, which it answers itself by loading the config. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ipsecconf.h"

#define MAX_ARGS 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ipsec COMMAND [ARGS]\n"
		"  start [PLUTO OPTIONS]        start pluto (see pluto --help)\n"
		"  stop                         stop pluto\n"
		"  status                       ipsec whack --status\n"
		"  trafficstatus [--json]       ipsec whack --trafficstatus\n"
		"  auto --add|--delete|--up|--down|--replace|--route|--unroute NAME [--config FILE] [--ctlsocket PATH]\n"
		"  addconn --config FILE --checkconfig   check a config, print its errors\n"
		"  addconn [--config FILE] NAME          same as auto --add NAME\n"
		"  offload [--probe] [DEVICE]   interfaces' ESP offload features\n"
		"  whack ARGS                   run whack\n"
		"  pluto ARGS                   run pluto\n"
		"Common options: --ctlsocket PATH, --rundir DIR (before or after the command).\n");
}

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

static void run(const char *program, struct argv_builder *a)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", execdir(), program);
	a->v[0] = path;
	execv(path, a->v);
	fprintf(stderr, "ipsec: cannot run %s: %s\n", path, strerror(errno));
	exit(1);
}

/* The control options ipsec takes anywhere and hands on to whack. */
struct control {
	const char *ctlsocket, *rundir, *config;
};

static bool take_control_option(char **argv, int *i, int argc, struct control *c)
{
	const char **slot = NULL;
	if (strcmp(argv[*i], "--ctlsocket") == 0)
		slot = &c->ctlsocket;
	else if (strcmp(argv[*i], "--rundir") == 0)
		slot = &c->rundir;
	else if (strcmp(argv[*i], "--config") == 0)
		slot = &c->config;
	if (slot == NULL)
		return false;
	if (*i + 1 >= argc) {
		fprintf(stderr, "ipsec: %s needs a value\n", argv[*i]);
		exit(2);
	}
	*slot = argv[++*i];
	return true;
}

static void push_control(struct argv_builder *a, const struct control *c)
{
	if (c->ctlsocket != NULL) {
		push(a, "--ctlsocket");
		push(a, c->ctlsocket);
	}
	if (c->rundir != NULL) {
		push(a, "--rundir");
		push(a, c->rundir);
	}
}

static void whack_simple(const struct control *c, const char *opt, const char *extra)
{
	struct argv_builder a = { .n = 1 };
	push_control(&a, c);
	push(&a, opt);
	if (extra != NULL)
		push(&a, extra);
	run("whack", &a);
}

static void whack_named(const struct control *c, const char *opt, const char *name)
{
	struct argv_builder a = { .n = 1 };
	push_control(&a, c);
	push(&a, "--name");
	push(&a, name);
	push(&a, opt);
	if (strcmp(opt, "--add") == 0) {
		char abs[PATH_MAX];
		/* pluto reads the file itself, from its own working directory. */
		const char *config = c->config != NULL ? c->config : IPSEC_CONF;
		if (realpath(config, abs) == NULL) {
			fprintf(stderr, "ipsec: cannot read config '%s': %s\n", config, strerror(errno));
			exit(1);
		}
		push(&a, "--config");
		push(&a, strdup(abs));
	}
	run("whack", &a);
}

static int cmd_auto(int argc, char **argv, struct control *c)
{
	const char *op = NULL, *name = NULL;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (take_control_option(argv, &i, argc, c))
			continue;
		if (strcmp(s, "--add") == 0 || strcmp(s, "--delete") == 0 || strcmp(s, "--up") == 0 ||
		    strcmp(s, "--down") == 0 || strcmp(s, "--replace") == 0 || strcmp(s, "--route") == 0 ||
		    strcmp(s, "--unroute") == 0) {
			if (op != NULL) {
				fprintf(stderr, "ipsec auto: give one of --add, --delete, --up, --down, --replace, --route, --unroute\n");
				return 2;
			}
			op = s;
		} else if (s[0] != '-' && name == NULL) {
			name = s;
		} else {
			fprintf(stderr, "ipsec auto: unexpected argument '%s'\n", s);
			return 2;
		}
	}
	if (op == NULL || name == NULL) {
		fprintf(stderr, "usage: ipsec auto --add|--delete|--up|--down|--replace|--route|--unroute NAME [--config FILE]\n");
		return 2;
	}
	/* pluto's add replaces a loaded conn of the same name. */
	if (strcmp(op, "--replace") == 0)
		op = "--add";
	whack_named(c, op, name);
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

static int cmd_addconn(int argc, char **argv, struct control *c)
{
	bool check = false;
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (take_control_option(argv, &i, argc, c))
			continue;
		if (strcmp(argv[i], "--checkconfig") == 0)
			check = true;
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			fprintf(stderr, "ipsec addconn: unexpected argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (check)
		return check_config(c->config != NULL ? c->config : IPSEC_CONF);
	if (name == NULL) {
		fprintf(stderr, "usage: ipsec addconn --config FILE --checkconfig | ipsec addconn [--config FILE] NAME\n");
		return 2;
	}
	whack_named(c, "--add", name);
	return 1;
}

static int cmd_offload(int argc, char **argv, struct control *c)
{
	struct argv_builder a = { .n = 1 };
	const char *dev = NULL;
	bool probe = false;
	for (int i = 1; i < argc; i++) {
		if (take_control_option(argv, &i, argc, c))
			continue;
		if (strcmp(argv[i], "--probe") == 0)
			probe = true;
		else if (argv[i][0] != '-' && dev == NULL)
			dev = argv[i];
		else {
			fprintf(stderr, "ipsec offload: unexpected argument '%s'\n", argv[i]);
			return 2;
		}
	}
	push_control(&a, c);
	push(&a, "--offload");
	if (probe)
		push(&a, "--probe");
	if (dev != NULL) {
		push(&a, "--device");
		push(&a, dev);
	}
	run("whack", &a);
	return 1;
}

/* Passes the words after the subcommand straight through. */
static void pass_through(const char *program, int argc, char **argv, const struct control *c)
{
	struct argv_builder a = { .n = 1 };
	if (strcmp(program, "whack") == 0)
		push_control(&a, c);
	else if (c->rundir != NULL) {
		push(&a, "--rundir");
		push(&a, c->rundir);
	}
	for (int i = 1; i < argc; i++)
		push(&a, argv[i]);
	run(program, &a);
}

int main(int argc, char **argv)
{
	struct control c = {0};
	int i = 1;
	while (i < argc && argv[i][0] == '-' && take_control_option(argv, &i, argc, &c))
		i++;
	if (i >= argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "help") == 0) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	const char *cmd = argv[i];
	int sub_argc = argc - i;
	char **sub_argv = argv + i;

	if (strcmp(cmd, "start") == 0 || strcmp(cmd, "pluto") == 0)
		pass_through("pluto", sub_argc, sub_argv, &c);
	if (strcmp(cmd, "whack") == 0)
		pass_through("whack", sub_argc, sub_argv, &c);
	if (strcmp(cmd, "auto") == 0)
		return cmd_auto(sub_argc, sub_argv, &c);
	if (strcmp(cmd, "addconn") == 0)
		return cmd_addconn(sub_argc, sub_argv, &c);
	if (strcmp(cmd, "offload") == 0)
		return cmd_offload(sub_argc, sub_argv, &c);

	/* The remaining subcommands take only the control options. */
	for (int j = 1; j < sub_argc; j++) {
		if (!take_control_option(sub_argv, &j, sub_argc, &c) &&
		    !(strcmp(cmd, "trafficstatus") == 0 && strcmp(sub_argv[j], "--json") == 0)) {
			fprintf(stderr, "ipsec %s: unexpected argument '%s'\n", cmd, sub_argv[j]);
			return 2;
		}
	}
	if (strcmp(cmd, "stop") == 0)
		whack_simple(&c, "--shutdown", NULL);
	if (strcmp(cmd, "status") == 0)
		whack_simple(&c, "--status", NULL);
	if (strcmp(cmd, "trafficstatus") == 0)
		whack_simple(&c, "--trafficstatus", sub_argc > 1 && strcmp(sub_argv[sub_argc - 1], "--json") == 0 ? "--json" : NULL);
	fprintf(stderr, "ipsec: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
