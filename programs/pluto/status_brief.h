/* status_brief.h: the status commands whose lines scripts written for
 * libreswan parse, in libreswan 4.10's shapes (our additions, such as
 * offload=, come last on a line):
 *   --showstates    one line per IKE SA and per IPsec SA, and a traffic
 *                   line per IPsec SA;
 *   --briefstatus   the counts of conns and SAs;
 *   --globalstatus  settings and counts as key=value lines. */
#ifndef STATUS_BRIEF_H
#define STATUS_BRIEF_H

struct whack_session;

void showstates_show(struct whack_session *s);
void briefstatus_show(struct whack_session *s);
void globalstatus_show(struct whack_session *s);
/* One line: "FIPS mode enabled" or "FIPS mode disabled", as NSS says now. */
void fipsstatus_show(struct whack_session *s);

#endif
