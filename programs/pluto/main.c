/* main.c: pluto's start and end: options, logging, config, the pid lock,
 * the daemon fork, the control socket, then the event loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include "abspath.h"
#include "auto_start.h"
#include "commands.h"
#include "connections.h"
#include "control.h"
#include "crypto_workers.h"
#include "errno_name.h"
#include "ike_crypto.h"
#include "ike_dos.h"
#include "ikev2.h"
#include "offload_balance.h"
#include "ipsecconf.h"
#include "kernel.h"
#include "kernel_caps.h"
#include "log.h"
#include "netns_lock.h"
#include "nss_start.h"
#include "ondemand.h"
#include "pidfile.h"
#include "pluto_secrets.h"
#include "rundir.h"
#include "pluto.h"
#include "reload.h"
#include "script.h"
#include "secrets.h"
#include "updown.h"
#include "version.h"
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

struct options {
	bool nofork, stderrlog, config_given, secrets_given, nssdir_given;
	const char *logfile;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pluto [--config FILE] [--secretsfile FILE] [--rundir DIR] [--nssdir DIR]\n"
		"             [--nsspassword FILE] [--nofork] [--stderrlog] [--logfile FILE] [--debug]\n"
		"       pluto --version | --help\n");
}

/* A path option made absolute, into buf (static: pluto's for its life):
 * the daemon works from "/", and rereads the config and the secrets
 * from there (SIGHUP, whack). */
static const char *absolute_option(const char *path, const char *option, char buf[PATH_MAX])
{
	if (!abspath(path, buf, PATH_MAX)) {
		fprintf(stderr, "pluto: --%s '%s': cannot make it an absolute path\n", option, path);
		exit(2);
	}
	return buf;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static char config_path[PATH_MAX], secrets_path[PATH_MAX], rundir[PATH_MAX], nssdir[PATH_MAX],
		    nsspassword[PATH_MAX];
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "secretsfile", required_argument, NULL, 's' },
		{ "rundir", required_argument, NULL, 'r' },
		{ "nssdir", required_argument, NULL, 'N' },
		{ "nsspassword", required_argument, NULL, 'P' },
		{ "nofork", no_argument, NULL, 'n' },
		{ "stderrlog", no_argument, NULL, 'e' },
		{ "logfile", required_argument, NULL, 'l' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': pluto.config_path = absolute_option(optarg, "config", config_path); o->config_given = true; break;
		case 's': pluto.secrets_path = absolute_option(optarg, "secretsfile", secrets_path); o->secrets_given = true; break;
		case 'r': pluto.rundir = absolute_option(optarg, "rundir", rundir); break;
		case 'N': pluto.nssdir = absolute_option(optarg, "nssdir", nssdir); o->nssdir_given = true; break;
		case 'P': pluto.nsspassword_path = absolute_option(optarg, "nsspassword", nsspassword); break;
		case 'n': o->nofork = true; break;
		case 'e': o->stderrlog = true; break;
		case 'l': o->logfile = optarg; break;
		case 'd': log_set_debug(true); break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("swan-offload %s\n", SWAN_VERSION); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pluto: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		exit(2);
	}
}

/* A missing file is fine only where the user named none: a fresh machine
 * may start pluto before writing /etc/ipsec.conf. A conn with errors is
 * left out (they stay in d, for the log); an error that is not one conn's
 * stops the start. */
/* Two IKE sockets for each local address of a conn: a gateway with a
 * thousand tunnels, each on an address of its own, needs more than the
 * soft limit of 1024 open files. The soft limit is raised to the hard
 * one, as far as that goes; what it cannot reach is said when a socket
 * cannot be opened ("Too many open files"). */
static void raise_open_files_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rlim_t was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		llog(LL_INFO, "open files: the limit is now %llu (it was %llu)", (unsigned long long)rl.rlim_cur,
		     (unsigned long long)was);
}

/* The DH helpers (crypto_workers.h), once NSS is up. */
static bool start_helpers(struct diag *d)
{
	uint32_t n = pluto.conf->setup.nhelpers;
	if (n == NHELPERS_PER_CPU)
		n = crypto_workers_default();
	if (!crypto_workers_start(n, pluto.base, d))
		return false;
	if (n == 0)
		llog(LL_INFO, "nhelpers=0: DH is computed on the event loop");
	else
		llog(LL_INFO, "%u helper thread%s compute DH", n, n == 1 ? "" : "s");
	return true;
}

static bool load_config(const struct options *o, struct diag *d)
{
	if (o->config_given || access(pluto.config_path, F_OK) == 0)
		pluto.conf = ipsecconf_load_good_conns(pluto.config_path, d);
	else if ((pluto.conf = calloc(1, sizeof(*pluto.conf))) != NULL)
		config_setup_defaults(&pluto.conf->setup);
	if (pluto.conf == NULL)
		return false;
	if (!o->secrets_given && pluto.conf->setup.secretsfile != NULL)
		pluto.secrets_path = pluto.conf->setup.secretsfile;
	if (!o->nssdir_given && pluto.conf->setup.nssdir != NULL)
		pluto.nssdir = pluto.conf->setup.nssdir;
	ike_dos_configure(&pluto.conf->setup);
	return true;
}

/* Once logging is set up: what the config said of itself. */
static void log_config_report(const struct diag *errors)
{
	const struct ipsec_conf *conf = pluto.conf;
	llog_lines(LL_INFO, &conf->notes);
	if (conf->nbad_conns == 0)
		return;
	llog_lines(LL_ERROR, errors);
	for (size_t i = 0; i < conf->nbad_conns; i++)
		llog(LL_ERROR, "\"%s\": not loaded: %s has errors in it (above)", conf->bad_conns[i], pluto.config_path);
}

static bool start_logging(const struct options *o, struct diag *d)
{
	const char *logfile = o->logfile;
	if (logfile == NULL && !o->stderrlog && pluto.conf->setup.logfile != NULL)
		logfile = pluto.conf->setup.logfile;
	const char *debug = pluto.conf->setup.plutodebug;
	if (debug != NULL && strcmp(debug, "none") != 0)
		log_set_debug(true);
	if (logfile != NULL)
		return log_to_file(logfile, d);
	if (!o->stderrlog && !o->nofork)
		log_to_syslog("pluto");
	return true;
}

/* The parent waits until the child listens (or says why it could not), so
 * `ipsec start` returns with a pluto that answers, or with its error. */
static int ready_fd = -1;
static bool keep_stderr;	/* --stderrlog without --nofork: stderr is the log */

static void daemonize(void)
{
	int p[2];
	if (pipe(p) != 0) {
		fprintf(stderr, "pluto: pipe: %s\n", strerror(errno));
		exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "pluto: fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(p[1]);
		char msg[1024];
		ssize_t n = read(p[0], msg, sizeof(msg) - 1);
		if (n > 0 && msg[0] == '+')
			exit(0);
		if (n > 0) {
			msg[n] = '\0';
			fprintf(stderr, "%s", msg + 1);
		} else {
			fprintf(stderr, "pluto: the daemon exited before it was ready\n");
		}
		exit(1);
	}
	close(p[0]);
	ready_fd = p[1];
	setsid();
	/* hold no directory busy (an unmountable one); paths are absolute */
	if (chdir("/") != 0)
		fprintf(stderr, "pluto: chdir /: %s\n", strerror(errno));
	pidfile_update();
}

static void report_ready(const struct diag *d)
{
	if (ready_fd < 0)
		return;
	char msg[sizeof(d->text) + 1];
	int n = snprintf(msg, sizeof(msg), "%c%s", diag_failed(d) ? '-' : '+', d->text);
	if (write(ready_fd, msg, (size_t)n) < 0) {
		/* The parent is gone; nothing left to tell. */
	}
	close(ready_fd);
	ready_fd = -1;
	if (!diag_failed(d)) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		if (!keep_stderr)
			dup2(null, 2);
		if (null > 2)
			close(null);
	}
}

/* Tells systemd (Type=notify) how pluto is: READY=1 once the control
 * socket and the IKE ports are up, RELOADING=1 and STOPPING=1. Without
 * libsystemd, or not started by systemd (no NOTIFY_SOCKET), it does
 * nothing. */
static void notify_systemd(const char *state)
{
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what; (void)arg;
	if (sig == SIGHUP) {
		notify_systemd("RELOADING=1");
		pluto_reload("SIGHUP");
		notify_systemd("READY=1");
	} else
		pluto_shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* Loads the conns that are not auto=ignore, opens their IKE ports and
 * routes the auto=ondemand ones (a trap that cannot be installed is
 * logged: the conn stays loaded, to be brought up or routed by hand).
 * A port that cannot be bound on an address of this host fails the start
 * (it is added to d): pluto would run deaf to that conn's peers. A conn
 * with no address of this host opens no port and loads all the same: its
 * address may yet come. A conn that does not load is logged and skipped. */
static bool load_auto_conns(struct diag *d)
{
	bool listening = true;
	conn_batch_begin();	/* one look at this host's addresses for all of them */
	for (size_t i = 0; i < pluto.conf->nconns; i++) {
		const struct conn_config *cfg = &pluto.conf->conns[i];
		if (cfg->auto_mode == AUTO_IGNORE)
			continue;
		struct diag errors, notes;
		diag_init(&errors);
		diag_init(&notes);
		bool replaced;
		struct connection *c = conn_load(cfg, pluto.conf->setup.fips, &replaced, &errors, &notes);
		if (c == NULL) {
			llog(LL_ERROR, "\"%s\": not loaded: %s", cfg->name,
			     diag_oneline(&errors, NULL));
			continue;
		}
		conn_log_lines(c, LL_WARN, &notes);
		conn_log(c, LL_INFO, "added IKEv2 connection");
		if (!ikev2_listen(c, &errors)) {
			diag_add(d, "\"%s\": %s; not starting", cfg->name, diag_oneline(&errors, NULL));
			listening = false;
		}
		diag_init(&errors);
		if (cfg->auto_mode == AUTO_ONDEMAND && !ondemand_route(c, &errors))
			conn_log(c, LL_WARN, "auto=ondemand: %s", diag_oneline(&errors, NULL));
	}
	conn_batch_end();
	return listening;
}

/* The keyword whose limit an SA reached. */
static const char *expiry_limit(enum kernel_expiry e)
{
	return e == KERNEL_EXPIRY_BYTES ? "ipsec-max-bytes" : e == KERNEL_EXPIRY_PACKETS ? "ipsec-max-packets" : "salifetime";
}

static void log_kernel_event(void *arg, const struct kernel_event *ev)
{
	(void)arg;
	char a[ADDRESS_STR_MAX];
	switch (ev->type) {
	case KERNEL_EV_ACQUIRE:
		ondemand_acquire(ev);
		break;
	case KERNEL_EV_EXPIRE_SOFT:
	case KERNEL_EV_EXPIRE_HARD:
		llog(LL_INFO, "kernel: %s expire of %s.%08x@%s (%s)", ev->type == KERNEL_EV_EXPIRE_SOFT ? "soft" : "hard",
		     ev->proto == IPPROTO_AH ? "ah" : "esp", ev->spi, address_str(&ev->dst, a), expiry_limit(ev->expiry));
		if (ev->type == KERNEL_EV_EXPIRE_HARD)
			ikev2_child_expired(&ev->dst, ev->spi, expiry_limit(ev->expiry));
		else
			ikev2_child_soft_expired(&ev->dst, ev->spi);
		break;
	}
}

/* Which end of each conn is this host was worked out when it was loaded;
 * when the host's addresses change, it is worked out again, and pluto
 * listens on any local end that has just appeared. */
static void addresses_changed(void *arg)
{
	(void)arg;
	conn_orient_all();
	for (struct connection *c = conn_first(); c != NULL; c = c->next) {
		struct diag d;
		diag_init(&d);
		if (!ikev2_listen(c, &d))
			conn_log(c, LL_WARN, "%s", diag_oneline(&d, NULL));
	}
}

static bool kernel_started;	/* opened: shut down (and flushed) at the end */

/* What the kernel's offload code takes (kernel_caps.h): asked once, after
 * the flush, so the add-time rules of every conn follow this kernel. */
static void log_kernel_caps(void)
{
	struct diag lines;
	diag_init(&lines);
	kernel_caps_learn(kernel, &lines);
	llog_lines(LL_INFO, &lines);
}

/* The kernel side of start-up: open XFRM, remove what a previous pluto
 * left behind (a crash must not leave stale SAs), and listen for events. */
static bool start_kernel(struct diag *d)
{
	struct kernel_err e = {0};
	if (kernel->init(&e) != 0) {
		diag_add(d, "cannot open the kernel's XFRM interface: %s", e.extack[0] ? e.extack : strerror(e.errnum));
		return false;
	}
	kernel_started = true;
	if (kernel->flush(PLUTO_REQID_MIN, PLUTO_REQID_MAX, &e) != 0)
		llog(LL_WARN, "kernel: could not remove SAs and policies left by an earlier pluto: %s (%s)",
		     e.extack[0] ? e.extack : strerror(e.errnum), errno_name(e.errnum));
	else
		llog(LL_INFO, "kernel: using %s; removed any SAs and policies an earlier pluto left (reqids %#x-%#x)",
		     kernel->name, PLUTO_REQID_MIN, PLUTO_REQID_MAX);
	log_kernel_caps();
	updown_remove_leftover_routes("start");	/* an earlier pluto's: traffic would take them in the clear */
	if (kernel->watch_events(pluto.base, log_kernel_event, NULL, &e) != 0)
		llog(LL_WARN, "kernel: cannot listen for acquire and expire events: %s (%s)",
		     e.extack[0] ? e.extack : strerror(e.errnum), errno_name(e.errnum));
	if (kernel->watch_addresses(pluto.base, addresses_changed, NULL, &e) != 0)
		llog(LL_WARN, "kernel: cannot follow the host's address changes (conns are matched to addresses only when added): %s (%s)",
		     e.extack[0] ? e.extack : strerror(e.errnum), errno_name(e.errnum));
	return true;
}

static void stop_kernel(void)
{
	struct kernel_err e = {0};
	updown_remove_leftover_routes("stop");	/* any the records lost track of */
	if (kernel->flush(PLUTO_REQID_MIN, PLUTO_REQID_MAX, &e) != 0)
		llog(LL_WARN, "kernel: could not remove this pluto's SAs and policies: %s (%s)",
		     e.extack[0] ? e.extack : strerror(e.errnum), errno_name(e.errnum));
	kernel->shutdown();
}

/* Undoes what start-up did, in an order that matters: the kernel range
 * is flushed while this pluto still holds the namespace lock (a pluto
 * started after must keep its SAs), and the clients get their final
 * status only after the pid file and the lock are given back, so that
 * `ipsec stop` returns once a new pluto can start. */
static void stop_daemon(void)
{
	notify_systemd("STOPPING=1");
	pluto.stopping = true;
	control_stop_listening();
	crypto_workers_stop();		/* before the SAs their jobs are for go */
	offload_balance_stop();
	auto_start_end();		/* the auto=start conns not yet brought up */
	ikev2_shutdown();
	script_drain(SCRIPT_DRAIN_S);	/* the tunnels' down scripts */
	updown_shutdown();		/* the routed conns' routes */
	conn_delete_all();
	if (kernel_started)
		stop_kernel();
	ike_crypto_shutdown();
	pidfile_release();
	netns_lock_release();
	control_close();
}

/* After the fork: undo, then tell the waiting parent why. */
static void fail(const struct diag *d)
{
	llog(LL_ERROR, "pluto: %s", diag_oneline(d, NULL));
	stop_daemon();
	report_ready(d);
	exit(1);
}

int main(int argc, char **argv)
{
	/* First, before any secret is read: no core dump of pluto, and no
	 * other user reads its memory through ptrace or /proc. Key memory is
	 * kept out of dumps as well (secmem.h), should dumping come back. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		llog(LL_WARN, "pluto: cannot turn core dumps off: %s", strerror(errno));
	struct options o = {0};
	struct diag d;
	diag_init(&d);
	parse_options(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	/* SIGHUP reloads (reload.h) once the event loop handles it; until
	 * then it must not end pluto either. */
	signal(SIGHUP, SIG_IGN);

	/* Errors go to stderr, where `ipsec start` shows them, until the fork.
	 * The secrets are read once logging is set up: their warnings are
	 * logged. */
	if (!load_config(&o, &d)) {
		fprintf(stderr, "%s", d.text);
		fprintf(stderr, "pluto: not started: the configuration has errors\n");
		return 1;
	}
	if (!start_logging(&o, &d)) {
		fprintf(stderr, "pluto: %s", d.text);
		return 1;
	}
	log_config_report(&d);
	diag_init(&d);
	if (!pluto_secrets_load(o.secrets_given || pluto.conf->setup.secretsfile != NULL, &d) ||
	    !rundir_prepare(pluto.rundir, &d) || !pidfile_claim(pluto.rundir, &d)) {
		fprintf(stderr, "pluto: %s", d.text);
		return 1;
	}
	keep_stderr = o.stderrlog && o.logfile == NULL;
	if (!o.nofork)
		daemonize();

	pluto.base = event_base_new();
	if (pluto.base == NULL) {
		diag_add(&d, "cannot create the event loop");
		fail(&d);
	}
	struct event *sigterm = evsignal_new(pluto.base, SIGTERM, on_signal, NULL);
	struct event *sigint = evsignal_new(pluto.base, SIGINT, on_signal, NULL);
	struct event *sighup = evsignal_new(pluto.base, SIGHUP, on_signal, NULL);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	evsignal_add(sighup, NULL);
	/* Before anything touches the kernel: another pluto in this network
	 * namespace owns the same reqid range. */
	raise_open_files_limit();
	if (!netns_lock_claim(&d) || !nss_start(&d) || !start_helpers(&d) || !start_kernel(&d))
		fail(&d);
	ikev2_init();
	offload_balance_start(pluto.base, pluto.conf->setup.offload_interval, pluto.conf->setup.offload_budget);
	if (!load_auto_conns(&d) || !control_listen(pluto.rundir, command_dispatch, &d))
		fail(&d);

	llog(LL_INFO, "pluto %s started (pid %ld), listening on %s/pluto.ctl", SWAN_VERSION, (long)getpid(),
	     pluto.rundir);
	auto_start_begin();
	report_ready(&d);
	char ready[64];
	snprintf(ready, sizeof(ready), "READY=1\nMAINPID=%ld", (long)getpid());
	notify_systemd(ready);

	event_base_dispatch(pluto.base);

	stop_daemon();
	event_free(sigterm);
	event_free(sigint);
	event_free(sighup);
	event_base_free(pluto.base);
	ipsecconf_free(pluto.conf);
	secrets_free(pluto.secrets);
	llog(LL_INFO, "pluto stopped");
	log_close();
	return 0;
}
