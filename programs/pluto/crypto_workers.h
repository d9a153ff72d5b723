/* crypto_workers.h: expensive cryptography off the event loop.
 *
 * A job's compute step runs on one of a small pool of helper threads
 * (config setup nhelpers=; the default is one per online CPU), its done
 * step afterwards on the event loop, which learns of finished jobs
 * through an eventfd. With no helpers (nhelpers=0, and in the unit tests
 * and fuzz targets unless they start some) submitting a job runs both
 * steps at once, before crypto_job_submit returns: the daemon behaves as
 * if there were no pool, deterministically.
 *
 * The compute step touches only what the job holds: no logging, no SA,
 * no conn (the SA it is for may be gone when it ends: the done step looks
 * it up again, by serial). NSS may be called from any thread. The done
 * step owns the job: it frees it, wiping any secret in it, in every case,
 * including when job->cancelled says pluto is stopping and the result is
 * not to be used. */
#ifndef CRYPTO_WORKERS_H
#define CRYPTO_WORKERS_H

#include <stdbool.h>
#include <event2/event.h>
#include "diag.h"

struct crypto_job {
	void (*compute)(struct crypto_job *job);	/* on a helper thread */
	void (*done)(struct crypto_job *job);		/* on the event loop */
	bool cancelled;		/* pluto is stopping: done only frees */
	struct crypto_job *next;	/* the pool's queues */
};

/* n helper threads (0: none, everything inline) whose results come back
 * to base; false, with d, when threads or the eventfd cannot be had. */
bool crypto_workers_start(unsigned n, struct event_base *base, struct diag *d);
/* Queues the job (or, without helpers, runs it through). */
void crypto_job_submit(struct crypto_job *job);
/* Stops the helpers: each job not yet computed, or computed but not yet
 * handed back, gets its done step with cancelled set; a job being
 * computed is waited for. Then no helpers again. */
void crypto_workers_stop(void);
/* Helper threads running; jobs queued or being computed, not yet done. */
unsigned crypto_workers_count(void);
unsigned crypto_jobs_pending(void);
/* nhelpers='s default: the online CPUs (at least 1). */
unsigned crypto_workers_default(void);

#endif
