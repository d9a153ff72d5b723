/* escape.c: see escape.h. */
#include <stdio.h>
#include <string.h>
#include "escape.h"

char *escape_bytes(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return out;
	for (size_t i = 0; i < n; i++) {
		char one[5];
		size_t len;
		if (in[i] == '\\') {
			memcpy(one, "\\\\", 3);
			len = 2;
		} else if (in[i] >= 0x20 && in[i] <= 0x7e) {
			one[0] = (char)in[i];
			one[1] = '\0';
			len = 1;
		} else {
			snprintf(one, sizeof(one), "\\x%02x", in[i]);
			len = 4;
		}
		if (o + len >= cap)
			break;
		memcpy(out + o, one, len);
		o += len;
	}
	out[o] = '\0';
	return out;
}

char *escape_str(const char *in, char *out, size_t cap)
{
	return escape_bytes((const uint8_t *)in, strlen(in), out, cap);
}

/* The length of the valid UTF-8 sequence at p (1-4), or 0 when the bytes
 * there are not one (overlong forms, surrogates and values past U+10FFFF
 * are not valid). */
static size_t utf8_len(const unsigned char *p)
{
	size_t n;
	uint32_t cp;
	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
		cp = cp << 6 | (p[i] & 0x3f);
	}
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

char *json_escape(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return out;
	for (const unsigned char *p = (const unsigned char *)in; *p != '\0';) {
		char one[8];
		size_t len = utf8_len(p), take = len;
		if (*p == '"' || *p == '\\') {
			one[0] = '\\';
			one[1] = (char)*p;
			len = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(one, sizeof(one), "\\u%04x", *p);
			len = 6;
		} else if (len == 0) {
			snprintf(one, sizeof(one), "\\\\x%02x", *p);
			len = 5;
			take = 1;
		} else {
			memcpy(one, p, len);
		}
		if (take == 0)
			take = 1;
		if (o + len >= cap)
			break;
		memcpy(out + o, one, len);
		o += len;
		p += take;
	}
	out[o] = '\0';
	return out;
}
