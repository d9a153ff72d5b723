/* secmem.h: memory for keys. What secmem_alloc returns is zeroed, kept
 * out of core dumps (MADV_DONTDUMP), locked in RAM where the limits allow
 * (so it is never written to swap), and wiped by secmem_free. Blocks come
 * from page-aligned slabs of fixed-size slots, so many small keys do not
 * cost a page each. */
#ifndef SECMEM_H
#define SECMEM_H

#include <stddef.h>

#define SECMEM_MAX 4096		/* the largest block */

void *secmem_alloc(size_t len);		/* NULL when len > SECMEM_MAX or out of memory */
void secmem_free(void *p, size_t len);	/* p may be NULL; len as allocated */
/* Whether p lies in secure memory (for tests and assertions). */
int secmem_owns(const void *p);

#endif
