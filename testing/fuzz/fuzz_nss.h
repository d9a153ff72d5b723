/* fuzz_nss.h: NSS started once for the targets that need it (no
 * database); a target cannot run without it, so a failure aborts. */
#ifndef FUZZ_NSS_H
#define FUZZ_NSS_H

#include <stdio.h>
#include <stdlib.h>
#include "ike_crypto.h"

static void fuzz_start_nss(void)
{
	struct diag d;
	diag_init(&d);
	if (!ike_crypto_init(&d)) {
		fprintf(stderr, "%s", d.text);
		abort();
	}
}

#endif
