/* status.h: what `whack --status` and `--trafficstatus` print. */
#ifndef STATUS_H
#define STATUS_H

#include <stdbool.h>

struct whack_session;

void status_show(struct whack_session *s);
void trafficstatus_show(struct whack_session *s, bool json);

#endif
