/* errno_name.c: the errnos netlink and sockets give back, by name. */
#include <errno.h>
#include <stdio.h>
#include "errno_name.h"

const char *errno_name(int errnum)
{
	static const struct { int num; const char *name; } names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
		{ EINTR, "EINTR" }, { EIO, "EIO" }, { ENXIO, "ENXIO" },
		{ E2BIG, "E2BIG" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" },
		{ EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
		{ EINVAL, "EINVAL" }, { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" },
		{ ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" },
		{ ENOBUFS, "ENOBUFS" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ EPROTONOSUPPORT, "EPROTONOSUPPORT" }, { EAFNOSUPPORT, "EAFNOSUPPORT" },
		{ EADDRNOTAVAIL, "EADDRNOTAVAIL" }, { ENETUNREACH, "ENETUNREACH" },
		{ ENETDOWN, "ENETDOWN" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ ECONNREFUSED, "ECONNREFUSED" }, { EHOSTUNREACH, "EHOSTUNREACH" },
		{ EMSGSIZE, "EMSGSIZE" }, { ENOPROTOOPT, "ENOPROTOOPT" },
		{ EPROTO, "EPROTO" }, { ENODATA, "ENODATA" },
	};
	static char other[32];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].num == errnum)
			return names[i].name;
	}
	snprintf(other, sizeof(other), "errno %d", errnum);
	return other;
}
