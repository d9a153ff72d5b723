/* whack_msg.c: encode and decode whack frames; every length is checked
 * against what arrived before anything is read. */
#include <arpa/inet.h>
#include <string.h>
#include "whack_msg.h"

enum whack_attr {
	WA_OP = 1,	/* u16 */
	WA_FLAGS = 2,	/* u32 */
	WA_NAME = 3,	/* string, no NUL on the wire */
	WA_CONFIG = 4,
	WA_DEVICE = 5,
	WA_TEXT = 6,
	WA_RC = 7,	/* u32, two's complement */
	WA_MAX_,
};

struct writer {
	uint8_t *buf;
	size_t len, used;
	bool full;
};

static void put_bytes(struct writer *w, const void *p, size_t n)
{
	if (w->full || w->len - w->used < n) {
		w->full = true;
		return;
	}
	memcpy(w->buf + w->used, p, n);
	w->used += n;
}

static void put_u16(struct writer *w, uint16_t v)
{
	v = htons(v);
	put_bytes(w, &v, sizeof(v));
}

static void put_u32(struct writer *w, uint32_t v)
{
	v = htonl(v);
	put_bytes(w, &v, sizeof(v));
}

static void put_attr(struct writer *w, enum whack_attr type, const void *p, size_t n)
{
	if (n > UINT16_MAX) {
		w->full = true;
		return;
	}
	put_u16(w, type);
	put_u16(w, (uint16_t)n);
	put_bytes(w, p, n);
}

static void put_attr_u32(struct writer *w, enum whack_attr type, uint32_t v)
{
	v = htonl(v);
	put_attr(w, type, &v, sizeof(v));
}

static void put_attr_str(struct writer *w, enum whack_attr type, const char *s)
{
	if (s[0] != '\0')
		put_attr(w, type, s, strlen(s));
}

static void begin_frame(struct writer *w, uint8_t *buf, size_t len, enum whack_frame_type type)
{
	*w = (struct writer){ .buf = buf, .len = len };
	put_u32(w, WHACK_MAGIC);
	put_u16(w, WHACK_VERSION);
	put_u16(w, type);
	put_u32(w, 0);		/* length, filled in by end_frame */
}

static size_t end_frame(struct writer *w)
{
	if (w->full || w->used > WHACK_FRAME_MAX)
		return 0;
	uint32_t total = htonl((uint32_t)w->used);
	memcpy(w->buf + 8, &total, sizeof(total));
	return w->used;
}

size_t whack_encode_request(const struct whack_request *r, uint8_t *buf, size_t len)
{
	struct writer w;
	begin_frame(&w, buf, len, WHACK_REQUEST);
	uint16_t op = htons((uint16_t)r->op);
	put_attr(&w, WA_OP, &op, sizeof(op));
	put_attr_u32(&w, WA_FLAGS, r->flags);
	put_attr_str(&w, WA_NAME, r->name);
	put_attr_str(&w, WA_CONFIG, r->config);
	put_attr_str(&w, WA_DEVICE, r->device);
	return end_frame(&w);
}

size_t whack_encode_line(const char *text, uint8_t *buf, size_t len)
{
	struct writer w;
	begin_frame(&w, buf, len, WHACK_LINE);
	size_t n = strnlen(text, WHACK_TEXT_MAX - 1);
	put_attr(&w, WA_TEXT, text, n);
	return end_frame(&w);
}

size_t whack_encode_done(int rc, uint8_t *buf, size_t len)
{
	struct writer w;
	begin_frame(&w, buf, len, WHACK_DONE);
	put_attr_u32(&w, WA_RC, (uint32_t)rc);
	return end_frame(&w);
}

static uint16_t get_u16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return ntohs(v);
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

long whack_frame_len(const uint8_t *buf, size_t have, struct diag *d)
{
	if (have < WHACK_HDR_LEN)
		return 0;
	if (get_u32(buf) != WHACK_MAGIC) {
		diag_add(d, "whack message: bad magic (not a whack client, or a different program)");
		return -1;
	}
	uint16_t version = get_u16(buf + 4);
	if (version != WHACK_VERSION) {
		diag_add(d, "whack message: version %u, this pluto speaks version %u (mismatched whack and pluto?)",
			 version, WHACK_VERSION);
		return -1;
	}
	uint32_t total = get_u32(buf + 8);
	if (total < WHACK_HDR_LEN || total > WHACK_FRAME_MAX) {
		diag_add(d, "whack message: length %u out of range", total);
		return -1;
	}
	return (long)total;
}

/* Walks the attributes of one frame, calling fn for each; stops at the
 * first malformed or rejected attribute. */
typedef bool attr_fn(void *ctx, enum whack_attr type, const uint8_t *val, size_t n, struct diag *d);

static bool walk_attrs(const uint8_t *buf, size_t len, enum whack_frame_type want,
		       attr_fn *fn, void *ctx, struct diag *d)
{
	long total = whack_frame_len(buf, len, d);
	if (total <= 0) {
		if (total == 0)
			diag_add(d, "whack message: truncated header (%zu bytes)", len);
		return false;
	}
	if ((size_t)total != len) {
		diag_add(d, "whack message: header says %ld bytes, %zu arrived", total, len);
		return false;
	}
	if (get_u16(buf + 6) != want && !(want == WHACK_LINE && get_u16(buf + 6) == WHACK_DONE)) {
		diag_add(d, "whack message: unexpected frame type %u", get_u16(buf + 6));
		return false;
	}
	uint32_t seen = 0;
	size_t off = WHACK_HDR_LEN;
	while (off < len) {
		if (len - off < 4) {
			diag_add(d, "whack message: truncated attribute header at byte %zu", off);
			return false;
		}
		uint16_t type = get_u16(buf + off), n = get_u16(buf + off + 2);
		off += 4;
		if (n > len - off) {
			diag_add(d, "whack message: attribute %u claims %u bytes, %zu left", type, n, len - off);
			return false;
		}
		if (type == 0 || type >= WA_MAX_) {
			diag_add(d, "whack message: unknown attribute %u", type);
			return false;
		}
		if (seen & (1u << type)) {
			diag_add(d, "whack message: attribute %u repeated", type);
			return false;
		}
		seen |= 1u << type;
		if (!fn(ctx, type, buf + off, n, d))
			return false;
		off += n;
	}
	return true;
}

static bool copy_str(char *dst, size_t cap, const uint8_t *val, size_t n, const char *what, struct diag *d)
{
	if (n >= cap) {
		diag_add(d, "whack message: %s too long (%zu bytes, at most %zu)", what, n, cap - 1);
		return false;
	}
	if (memchr(val, '\0', n) != NULL) {
		diag_add(d, "whack message: %s contains a NUL byte", what);
		return false;
	}
	memcpy(dst, val, n);
	dst[n] = '\0';
	return true;
}

static bool want_len(size_t n, size_t want, const char *what, struct diag *d)
{
	if (n != want)
		diag_add(d, "whack message: %s has %zu bytes, expected %zu", what, n, want);
	return n == want;
}

static bool request_attr(void *ctx, enum whack_attr type, const uint8_t *val, size_t n, struct diag *d)
{
	struct whack_request *r = ctx;
	switch (type) {
	case WA_OP:
		if (!want_len(n, 2, "operation", d))
			return false;
		r->op = get_u16(val);
		return true;
	case WA_FLAGS:
		if (!want_len(n, 4, "flags", d))
			return false;
		r->flags = get_u32(val);
		return true;
	case WA_NAME:
		return copy_str(r->name, sizeof(r->name), val, n, "connection name", d);
	case WA_CONFIG:
		return copy_str(r->config, sizeof(r->config), val, n, "config path", d);
	case WA_DEVICE:
		return copy_str(r->device, sizeof(r->device), val, n, "device name", d);
	default:
		diag_add(d, "whack message: attribute %u does not belong in a request", type);
		return false;
	}
}

bool whack_decode_request(const uint8_t *buf, size_t len, struct whack_request *r, struct diag *d)
{
	memset(r, 0, sizeof(*r));
	if (!walk_attrs(buf, len, WHACK_REQUEST, request_attr, r, d))
		return false;
	if (r->op <= WOP_NONE || r->op >= WOP_MAX_) {
		diag_add(d, "whack message: unknown operation %d", (int)r->op);
		return false;
	}
	return true;
}

static bool reply_attr(void *ctx, enum whack_attr type, const uint8_t *val, size_t n, struct diag *d)
{
	struct whack_reply *r = ctx;
	switch (type) {
	case WA_TEXT:
		if (r->type != WHACK_LINE) {
			diag_add(d, "whack message: text in a frame that is not a line");
			return false;
		}
		return copy_str(r->text, sizeof(r->text), val, n, "text", d);
	case WA_RC:
		if (r->type != WHACK_DONE) {
			diag_add(d, "whack message: status in a frame that is not the end");
			return false;
		}
		if (!want_len(n, 4, "status", d))
			return false;
		r->rc = (int)get_u32(val);
		return true;
	default:
		diag_add(d, "whack message: attribute %u does not belong in a reply", type);
		return false;
	}
}

bool whack_decode_reply(const uint8_t *buf, size_t len, struct whack_reply *r, struct diag *d)
{
	memset(r, 0, sizeof(*r));
	if (len >= WHACK_HDR_LEN)
		r->type = get_u16(buf + 6);
	return walk_attrs(buf, len, WHACK_LINE, reply_attr, r, d);
}

const char *whack_op_name(enum whack_op op)
{
	static const char *const names[] = {
		[WOP_STATUS] = "status", [WOP_TRAFFICSTATUS] = "trafficstatus",
		[WOP_ADD] = "add", [WOP_DELETE] = "delete", [WOP_UP] = "up",
		[WOP_DOWN] = "down", [WOP_SHUTDOWN] = "shutdown", [WOP_OFFLOAD] = "offload",
		[WOP_REKEY_IKE] = "rekey-ike", [WOP_REKEY_IPSEC] = "rekey-ipsec",
		[WOP_ROUTE] = "route", [WOP_UNROUTE] = "unroute",
		[WOP_SHOWSTATES] = "showstates", [WOP_BRIEFSTATUS] = "briefstatus",
		[WOP_GLOBALSTATUS] = "globalstatus", [WOP_CONNECTIONSTATUS] = "connectionstatus",
		[WOP_REREADSECRETS] = "rereadsecrets", [WOP_RELOAD] = "reload",
		[WOP_LISTEN] = "listen", [WOP_REPLACE] = "replace", [WOP_FIPSSTATUS] = "fipsstatus",
	};
	if (op > WOP_NONE && op < WOP_MAX_ && names[op] != NULL)
		return names[op];
	return "unknown";
}
