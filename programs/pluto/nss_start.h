/* nss_start.h: pluto's NSS at start. NSS on the database (pluto.nssdir)
 * when there is one; FIPS mode when config setup says fips=yes; when the
 * database's keys need a password, its key token logged in with the
 * password the NSS password file (pluto.nsspassword_path, nss_password.h)
 * gives under that token's name; and one line saying what became of the
 * database (a warning when its keys cannot be used: then pluto runs with
 * pre-shared keys only). No password is ever logged, and the one read is
 * wiped once NSS has checked it. */
#ifndef NSS_START_H
#define NSS_START_H

#include <stdbool.h>
#include "diag.h"

/* False, with the reason in d, only when pluto must not start: NSS does
 * not start at all, or fips=yes and NSS cannot enter FIPS mode. */
bool nss_start(struct diag *d);

#endif
