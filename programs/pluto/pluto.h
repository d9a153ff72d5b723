/* pluto.h: what the daemon's modules share: its settings, the event base,
 * and the way to stop it. The state lives in pluto.c, inside the library
 * the unit tests link, so no module needs main.c. */
#ifndef PLUTO_H
#define PLUTO_H

#include <stdbool.h>
#include <event2/event.h>

struct ipsec_conf;
struct secrets;

struct pluto {
	const char *config_path;	/* --config */
	const char *secrets_path;	/* --secretsfile */
	const char *rundir;		/* --rundir: pluto.ctl and pluto.pid */
	const char *nssdir;		/* --nssdir, else config setup nssdir=: the NSS database */
	const char *nsspassword_path;	/* --nsspassword: the NSS database's password (nss_password.h) */
	struct event_base *base;
	struct ipsec_conf *conf;	/* as loaded at start: config setup lives here */
	struct secrets *secrets;
	bool stopping;			/* pluto_shutdown was called */
};

extern struct pluto pluto;

/* Ask the event loop to finish after the callback running now; cleanup
 * happens in main. */
void pluto_shutdown(const char *why);

#endif
