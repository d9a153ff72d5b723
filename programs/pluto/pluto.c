/* pluto.c: the daemon's shared state and its stop switch. */
#include "log.h"
#include "pluto.h"

struct pluto pluto = {
	.config_path = IPSEC_CONF,
	.secrets_path = IPSEC_SECRETS,
	.rundir = IPSEC_RUNDIR,
	.nssdir = IPSEC_NSSDIR,
	.nsspassword_path = IPSEC_NSSPASSWORD,
};

void pluto_shutdown(const char *why)
{
	if (why != NULL)
		llog(LL_INFO, "shutting down (%s)", why);
	pluto.stopping = true;
	/* At once, not after one more round: answers still queued (shutdown's
	 * own) must wait for main, which sends them once pluto has let go of
	 * its rundir and kernel range. */
	if (pluto.base != NULL)
		event_base_loopbreak(pluto.base);
}
