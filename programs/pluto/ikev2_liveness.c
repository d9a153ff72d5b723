/* ikev2_liveness.c: is the peer still there? (RFC 7296 1.4; libreswan's
 * dpddelay= for IKEv2). An established IKE SA that has heard nothing from
 * its peer, and seen no ESP arrive from it, for dpddelay sends an empty
 * INFORMATIONAL request; one that goes unanswered for the conn's
 * retransmit-timeout declares the peer dead (ikev2_request_timed_out,
 * which acts by dpdaction=). */
#include <time.h>
#include <event2/event.h>
#include "ikev2_exchange.h"
#include "kernel.h"
#include "pluto.h"

static void arm(struct ike_sa *ike, long ms)
{
	if (ike->liveness == NULL)
		return;
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	evtimer_add(ike->liveness, &tv);
}

/* ESP from the peer, on any tunnel, is as good a sign of life as a message. */
static bool esp_arrived(struct ike_sa *ike)
{
	bool arrived = false;
	for (unsigned k = 0; k < ike->ntunnels; k++) {
		struct tunnel *t = &ike->tunnels[k];
		struct kernel_sa_info info = {0};
		struct kernel_err e = {0};
		if (!t->child.installed ||
		    kernel->get_sa(&ike->ends.local, t->child.spi_in, IPPROTO_ESP, &info, &e) != 0 ||
		    info.bytes == t->last_in_bytes)
			continue;
		t->last_in_bytes = info.bytes;
		arrived = true;
	}
	return arrived;
}

static void inner_empty(struct ike_sa *ike, struct ikev2_builder *b, void *arg)
{
	(void)ike; (void)b; (void)arg;
}

static void check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	struct ike_sa *ike = arg;
	long delay_ms = (long)ike->c->config->dpddelay * 1000;
	if (ike->state != IKE_ESTABLISHED)
		return;
	long quiet = ikev2_ms_since(&ike->last_heard);
	if (quiet < delay_ms) {
		arm(ike, delay_ms - quiet);
		return;
	}
	if (esp_arrived(ike)) {
		clock_gettime(CLOCK_MONOTONIC, &ike->last_heard);
		arm(ike, delay_ms);
		return;
	}
	/* A request of ours already under way says as much, and times out
	 * the same way. */
	if (ike->request.data == NULL) {
		static uint8_t out[IKEV2_MSG_MAX];
		size_t n = ikev2_build_encrypted(ike, INFORMATIONAL, false, ike->next_msgid, inner_empty, NULL,
						 out, sizeof(out));
		if (n > 0) {
			ike_log(ike, LL_DEBUG, "nothing heard from the peer for %u s: checking it is alive",
				ike->c->config->dpddelay);
			ike->request_kind = REQ_LIVENESS;
			ikev2_send_request(ike, out, n);
		}
	}
	arm(ike, delay_ms);
}

void ikev2_liveness_start(struct ike_sa *ike)
{
	clock_gettime(CLOCK_MONOTONIC, &ike->last_heard);
	if (ike->c->config->dpddelay == 0)
		return;
	if (ike->liveness == NULL)
		ike->liveness = evtimer_new(pluto.base, check, ike);
	arm(ike, (long)ike->c->config->dpddelay * 1000);
}

void ikev2_liveness_heard(struct ike_sa *ike)
{
	clock_gettime(CLOCK_MONOTONIC, &ike->last_heard);
}

void ikev2_liveness_answered(struct ike_sa *ike)
{
	ike_log(ike, LL_DEBUG, "the peer answered the liveness check");
}
