/* commands.h: what pluto does for each whack request (the dispatcher
 * main.c gives to control_listen). */
#ifndef COMMANDS_H
#define COMMANDS_H

#include "control.h"

void command_dispatch(struct whack_session *s, const struct whack_request *r);

#endif
