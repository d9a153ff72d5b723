/* retry.c: the backoff after failed attempts, and what --status says of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "retry.h"

enum attempt_failure retry_kind_of_install(int err)
{
	return err == -ENOSPC ? ATTEMPT_CAPACITY : ATTEMPT_CONFIG;
}

/* REVIVE_FIRST_S after a lost tunnel; RETRY_FIRST_S after the first
 * failed attempt (a lost tunnel is not one), doubling, at most RETRY_MAX_S. */
static unsigned delay_after(const struct conn_retry *r)
{
	if (r->kind == ATTEMPT_LOST && r->failures == 1)
		return REVIVE_FIRST_S;
	unsigned attempts = r->began_lost ? r->failures - 1 : r->failures, d = RETRY_FIRST_S;
	for (unsigned i = 1; i < attempts && d < RETRY_MAX_S; i++)
		d *= 2;
	return d < RETRY_MAX_S ? d : RETRY_MAX_S;
}

void retry_note(struct conn_retry *r, enum attempt_failure kind, const char *why, time_t now)
{
	r->failures++;
	if (r->failures == 1)
		r->began_lost = kind == ATTEMPT_LOST;
	r->kind = kind;
	free(r->why);
	r->why = strndup(why, RETRY_WHY_MAX - 1);	/* NULL when memory is short: reads as "" */
	r->failed_at = now;
}

unsigned retry_plan_next(struct conn_retry *r, bool keep_up, time_t now)
{
	r->next_at = 0;
	if (!keep_up || r->failures == 0 || r->kind == ATTEMPT_CONFIG)
		return 0;
	unsigned d = delay_after(r);
	r->next_at = now + d;
	return d;
}

const char *retry_plan(const struct conn_retry *r, time_t now, char *buf, size_t len)
{
	if (r->next_at != 0)
		snprintf(buf, len, "next attempt in %lld s", (long long)(r->next_at > now ? r->next_at - now : 0));
	else if (r->failures > 0 && r->kind == ATTEMPT_CONFIG)
		snprintf(buf, len, "not retried until the conn is replaced (ipsec auto --add)");
	else
		buf[0] = '\0';
	return buf;
}

const char *retry_status(const struct conn_retry *r, time_t now, char *buf, size_t len)
{
	if (r->failures == 0) {
		buf[0] = '\0';
		return buf;
	}
	char plan[96];
	retry_plan(r, now, plan, sizeof(plan));
	if (r->kind == ATTEMPT_LOST && r->failures == 1)
		snprintf(buf, len, "the tunnel was lost %lld s ago: %s%s%s", (long long)(now - r->failed_at),
			 retry_why(r), plan[0] ? "; " : "", plan);
	else
		snprintf(buf, len, "%u failed attempt%s in a row, the last %lld s ago: %s%s%s", r->failures,
			 r->failures == 1 ? "" : "s", (long long)(now - r->failed_at), retry_why(r),
			 plan[0] ? "; " : "", plan);
	return buf;
}

const char *retry_why(const struct conn_retry *r)
{
	return r->why != NULL ? r->why : "";
}

void retry_reset(struct conn_retry *r)
{
	free(r->why);
	*r = (struct conn_retry){0};
}
