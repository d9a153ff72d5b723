/* errno_name.h: the symbolic name of an errno, as users search for it. */
#ifndef ERRNO_NAME_H
#define ERRNO_NAME_H

/* "EINVAL", "ENOSPC", ...; "errno N" for one not in the table (the buffer
 * is static: use the result before the next call). */
const char *errno_name(int errnum);

#endif
