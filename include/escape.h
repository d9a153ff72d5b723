/* escape.h: text that came from outside (a peer's ID, an interface name)
 * made safe to print. Whatever it holds, the result is one line of
 * printable ASCII: a byte outside 0x20-0x7e becomes \xNN and a backslash
 * becomes \\, so no peer can start a new log line, forge a prefix, or send
 * a terminal escape, and the original bytes can still be read back. */
#ifndef ESCAPE_H
#define ESCAPE_H

#include <stddef.h>
#include <stdint.h>

/* Escapes n bytes of in into out (cap bytes, always NUL-terminated); a
 * result that does not fit is cut at a whole escape. Returns out. */
char *escape_bytes(const uint8_t *in, size_t n, char *out, size_t cap);

/* escape_bytes over a NUL-terminated string (in and out must differ). */
char *escape_str(const char *in, char *out, size_t cap);

/* in as the contents of a JSON string: '"' and '\' escaped, control
 * bytes as \u00NN, valid UTF-8 kept as it is, and any byte that is not
 * part of valid UTF-8 as the text \xNN, so the result is valid JSON and
 * valid UTF-8 whatever in holds. Cut at a whole character when it does
 * not fit. */
char *json_escape(const char *in, char *out, size_t cap);

/* Bytes out needs for n input bytes in the worst case, with the NUL. */
#define ESCAPED_MAX(n) (4 * (n) + 1)

#endif
