/* secmem.c: see secmem.h. Slots are powers of two from 64 bytes; each
 * size has its own slabs and a free list threaded through free slots. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "secmem.h"

#define SLAB_BYTES (64 * 1024)
#define MIN_SHIFT 6			/* 64-byte slots */
#define NCLASSES 7			/* 64 ... 4096 */

struct slab {
	struct slab *next;
};

struct free_slot {
	struct free_slot *next;
};

static struct slab *slabs;
static struct free_slot *free_lists[NCLASSES];

static int class_of(size_t len)
{
	for (int c = 0; c < NCLASSES; c++) {
		if (len <= (size_t)1 << (MIN_SHIFT + c))
			return c;
	}
	return -1;
}

/* A new slab cut into slots of class c; the first slot holds the slab's
 * own header, so a slab of 64 KiB gives up one slot. */
static int grow(int c)
{
	void *p = mmap(NULL, SLAB_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	madvise(p, SLAB_BYTES, MADV_DONTDUMP);
	mlock(p, SLAB_BYTES);	/* best effort: RLIMIT_MEMLOCK may forbid it */
	struct slab *s = p;
	s->next = slabs;
	slabs = s;
	size_t size = (size_t)1 << (MIN_SHIFT + c);
	for (size_t off = size; off + size <= SLAB_BYTES; off += size) {
		struct free_slot *f = (struct free_slot *)((char *)p + off);
		f->next = free_lists[c];
		free_lists[c] = f;
	}
	return 0;
}

void *secmem_alloc(size_t len)
{
	int c = class_of(len == 0 ? 1 : len);
	if (c < 0)
		return NULL;
	if (free_lists[c] == NULL && grow(c) != 0)
		return NULL;
	struct free_slot *f = free_lists[c];
	free_lists[c] = f->next;
	memset(f, 0, (size_t)1 << (MIN_SHIFT + c));
	return f;
}

void secmem_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	int c = class_of(len == 0 ? 1 : len);
	explicit_bzero(p, (size_t)1 << (MIN_SHIFT + c));
	struct free_slot *f = p;
	f->next = free_lists[c];
	free_lists[c] = f;
}

int secmem_owns(const void *p)
{
	for (struct slab *s = slabs; s != NULL; s = s->next) {
		if ((const char *)p >= (const char *)s && (const char *)p < (const char *)s + SLAB_BYTES)
			return 1;
	}
	return 0;
}
