/* libFuzzer target: any bytes pluto may read from its control socket.
 * Decoding must never crash or read out of bounds; whatever decodes must
 * encode again to a frame that decodes to the same request. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "whack_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d;
	diag_init(&d);
	long len = whack_frame_len(data, size, &d);
	if (len <= 0 || (size_t)len > size)
		return 0;
	struct whack_request r, again;
	if (whack_decode_request(data, (size_t)len, &r, &d)) {
		static uint8_t buf[WHACK_FRAME_MAX];
		size_t n = whack_encode_request(&r, buf, sizeof(buf));
		if (n == 0 || !whack_decode_request(buf, n, &again, &d) ||
		    memcmp(&r, &again, sizeof(r)) != 0)
			abort();
	}
	struct whack_reply reply;
	whack_decode_reply(data, (size_t)len, &reply, &d);
	return 0;
}
