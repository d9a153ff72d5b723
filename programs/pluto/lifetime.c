/* lifetime.c: when an SA is due for rekeying (lifetime.h). */
#include "lifetime.h"

uint64_t lifetime_soft_limit(uint64_t limit, bool responder, uint32_t random)
{
	if (limit == 0)
		return 0;
	uint64_t base = responder ? limit / 2 : limit / 4;
	/* Up to 12% of the limit, in 1/65536 steps (128 bits: no overflow,
	 * and small limits are spread too). */
	uint64_t fuzz = (uint64_t)(((unsigned __int128)(limit / 100 * 12 + limit % 100 * 12 / 100) * (random >> 16)) >> 16);
	uint64_t soft = base + fuzz;
	return soft == 0 ? 1 : soft;
}

uint32_t lifetime_rekey_after(uint32_t lifetime, uint32_t margin, uint32_t fuzz_percent, bool responder,
			      uint32_t random)
{
	/* At most 2^32 s times 10: 16 bits of chance keep the product in range. */
	uint64_t fuzz = (uint64_t)margin * fuzz_percent / 100;
	uint64_t before = margin + (fuzz * (random >> 16) >> 16);
	if (responder)
		before /= 2;
	/* A margin as long as the lifetime leaves half of it. */
	if (before >= lifetime)
		before = lifetime / 2;
	uint64_t after = lifetime - before;
	return after > 0 ? (uint32_t)after : 1;
}
