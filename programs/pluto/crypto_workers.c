/* crypto_workers.c: the helper threads (crypto_workers.h).
 *
 * One mutex guards two FIFO lists: jobs to compute, and jobs computed
 * for the event loop. Helpers wait on a condition variable for work;
 * each finished job is appended to the done list and the eventfd is
 * written, which wakes the event loop whatever it was waiting for. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "crypto_workers.h"

/* More helpers than this buy nothing but memory on any host we run on. */
#define CRYPTO_WORKERS_MAX 64

struct job_list {
	struct crypto_job *head, *tail;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct job_list queued, finished;
	unsigned pending;	/* submitted, not yet handed to done */
	bool stopping;
	pthread_t threads[CRYPTO_WORKERS_MAX];
	unsigned nthreads;
	int efd;
	struct event *ev;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER, .efd = -1 };

static void push(struct job_list *l, struct crypto_job *job)
{
	job->next = NULL;
	if (l->tail != NULL)
		l->tail->next = job;
	else
		l->head = job;
	l->tail = job;
}

static struct crypto_job *pop(struct job_list *l)
{
	struct crypto_job *job = l->head;
	if (job != NULL) {
		l->head = job->next;
		if (l->head == NULL)
			l->tail = NULL;
		job->next = NULL;
	}
	return job;
}

static void wake_loop(void)
{
	uint64_t one = 1;
	while (write(pool.efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void *helper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (pool.queued.head == NULL && !pool.stopping)
			pthread_cond_wait(&pool.work, &pool.lock);
		if (pool.stopping)
			break;
		struct crypto_job *job = pop(&pool.queued);
		pthread_mutex_unlock(&pool.lock);
		job->compute(job);
		pthread_mutex_lock(&pool.lock);
		push(&pool.finished, job);
		wake_loop();
	}
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

/* Hands the finished jobs to their done steps, without the lock held:
 * a done step may submit another job. */
static void deliver(bool cancelled)
{
	pthread_mutex_lock(&pool.lock);
	struct job_list ready = pool.finished;
	pool.finished = (struct job_list){ NULL, NULL };
	pthread_mutex_unlock(&pool.lock);
	struct crypto_job *job;
	while ((job = pop(&ready)) != NULL) {
		pool.pending--;
		job->cancelled = cancelled;
		job->done(job);
	}
}

static void on_finished(evutil_socket_t fd, short what, void *arg)
{
	(void)what; (void)arg;
	uint64_t n;
	while (read(fd, &n, sizeof(n)) < 0 && errno == EINTR)
		;
	deliver(false);
}

bool crypto_workers_start(unsigned n, struct event_base *base, struct diag *d)
{
	if (n == 0)
		return true;
	if (n > CRYPTO_WORKERS_MAX)
		n = CRYPTO_WORKERS_MAX;
	pool.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pool.efd < 0) {
		diag_add(d, "crypto helpers: cannot make an eventfd: %s", strerror(errno));
		return false;
	}
	pool.ev = event_new(base, pool.efd, EV_READ | EV_PERSIST, on_finished, NULL);
	if (pool.ev == NULL || event_add(pool.ev, NULL) != 0) {
		diag_add(d, "crypto helpers: cannot watch the eventfd");
		crypto_workers_stop();
		return false;
	}
	pool.stopping = false;
	for (unsigned i = 0; i < n; i++) {
		int err = pthread_create(&pool.threads[i], NULL, helper, NULL);
		if (err != 0) {
			diag_add(d, "crypto helpers: cannot start thread %u of %u: %s", i + 1, n, strerror(err));
			crypto_workers_stop();
			return false;
		}
		pool.nthreads++;
	}
	return true;
}

void crypto_job_submit(struct crypto_job *job)
{
	job->cancelled = false;
	if (pool.nthreads == 0) {
		job->compute(job);
		job->done(job);
		return;
	}
	pool.pending++;
	pthread_mutex_lock(&pool.lock);
	push(&pool.queued, job);
	pthread_cond_signal(&pool.work);
	pthread_mutex_unlock(&pool.lock);
}

void crypto_workers_stop(void)
{
	pthread_mutex_lock(&pool.lock);
	pool.stopping = true;
	pthread_cond_broadcast(&pool.work);
	pthread_mutex_unlock(&pool.lock);
	for (unsigned i = 0; i < pool.nthreads; i++)
		pthread_join(pool.threads[i], NULL);
	pool.nthreads = 0;
	/* What was never computed goes back with what was: cancelled. */
	struct crypto_job *job;
	while ((job = pop(&pool.queued)) != NULL)
		push(&pool.finished, job);
	deliver(true);
	if (pool.ev != NULL)
		event_free(pool.ev);
	pool.ev = NULL;
	if (pool.efd >= 0)
		close(pool.efd);
	pool.efd = -1;
	pool.stopping = false;
}

unsigned crypto_workers_count(void)
{
	return pool.nthreads;
}

unsigned crypto_jobs_pending(void)
{
	return pool.pending;
}

unsigned crypto_workers_default(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > CRYPTO_WORKERS_MAX ? CRYPTO_WORKERS_MAX : (unsigned)n;
}
