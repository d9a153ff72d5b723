/* kernel.c: the kernel operations pluto uses: XFRM, unless a test points
 * this at a double. */
#include "kernel.h"

const struct kernel_ops *kernel = &kernel_xfrm_ops;
