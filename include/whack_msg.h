/* whack_msg.h: the wire format between whack (or ipsec) and pluto.
 *
 * Every message is a frame: a 12-byte header (magic "WHK1", version, type,
 * total length, all in network order) followed by attributes, each a
 * 2-byte type, 2-byte length and value. Decoding checks every length
 * against what arrived; anything malformed is an error value, never a
 * crash. A request is one frame; pluto answers with any number of LINE
 * frames (text for the user) and one DONE frame carrying the exit status. */
#ifndef WHACK_MSG_H
#define WHACK_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "diag.h"

#define WHACK_MAGIC		0x57484b31u	/* "WHK1" */
#define WHACK_VERSION		1
#define WHACK_HDR_LEN		12
#define WHACK_FRAME_MAX		65536
#define WHACK_NAME_MAX		128
#define WHACK_PATH_MAX		1024
#define WHACK_TEXT_MAX		4096

enum whack_frame_type {
	WHACK_REQUEST = 1,
	WHACK_LINE = 2,
	WHACK_DONE = 3,
};

enum whack_op {
	WOP_NONE = 0,
	WOP_STATUS,
	WOP_TRAFFICSTATUS,
	WOP_ADD,		/* name, config: load the conn NAME from that file */
	WOP_DELETE,		/* name */
	WOP_UP,			/* name */
	WOP_DOWN,		/* name */
	WOP_SHUTDOWN,
	WOP_OFFLOAD,		/* device (optional), WF_PROBE */
	WOP_REKEY_IKE,		/* name */
	WOP_REKEY_IPSEC,	/* name */
	WOP_ROUTE,		/* name: install its trap (on demand) */
	WOP_UNROUTE,		/* name */
	WOP_SHOWSTATES,		/* one line per IKE and IPsec SA (libreswan's shape) */
	WOP_BRIEFSTATUS,	/* the totals */
	WOP_GLOBALSTATUS,	/* key=value lines of settings and counts */
	WOP_CONNECTIONSTATUS,	/* --status without the global lines */
	WOP_REREADSECRETS,	/* read ipsec.secrets again */
	WOP_RELOAD,		/* secrets, then the conns of ipsec.conf (SIGHUP) */
	WOP_LISTEN,		/* look at the host's addresses again, listen */
	WOP_REPLACE,		/* name, config: delete, add, and up if it was up */
	WOP_FIPSSTATUS,		/* whether NSS runs in FIPS mode */
	WOP_MAX_,
};

#define WF_JSON		0x1u
#define WF_PROBE	0x2u

struct whack_request {
	enum whack_op op;
	uint32_t flags;
	char name[WHACK_NAME_MAX];
	char config[WHACK_PATH_MAX];
	char device[64];
};

struct whack_reply {
	enum whack_frame_type type;	/* WHACK_LINE or WHACK_DONE */
	char text[WHACK_TEXT_MAX];	/* LINE */
	int rc;				/* DONE: the client's exit status */
};

/* Encoders return the frame length, or 0 when buf is too small. */
size_t whack_encode_request(const struct whack_request *r, uint8_t *buf, size_t len);
size_t whack_encode_line(const char *text, uint8_t *buf, size_t len);
size_t whack_encode_done(int rc, uint8_t *buf, size_t len);

/* How long the frame starting at buf is: 0 when fewer than WHACK_HDR_LEN
 * bytes are there yet, -1 (with a reason in d) when the header is bad. */
long whack_frame_len(const uint8_t *buf, size_t have, struct diag *d);

/* Decode one whole frame (len from whack_frame_len). */
bool whack_decode_request(const uint8_t *buf, size_t len, struct whack_request *r, struct diag *d);
bool whack_decode_reply(const uint8_t *buf, size_t len, struct whack_reply *r, struct diag *d);

const char *whack_op_name(enum whack_op op);

#endif
