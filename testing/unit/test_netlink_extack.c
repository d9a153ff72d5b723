/* test_netlink_extack.c: errno and extended-ack text read from hand-made
 * NLMSG_ERROR and NLMSG_DONE answers, capped and uncapped, well-formed and
 * not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "netlink_extack.h"

/* A message under construction, 4-byte aligned as the kernel sends it. */
struct answer {
	union {
		struct nlmsghdr h;
		uint8_t bytes[1024];
	} u;
	size_t len;
};

static void put(struct answer *a, const void *p, size_t n)
{
	memcpy(a->u.bytes + a->len, p, n);
	a->len += NLMSG_ALIGN(n);
	a->u.h.nlmsg_len = (uint32_t)a->len;
}

static void put_attr(struct answer *a, uint16_t type, const void *p, size_t n)
{
	struct nlattr at = { .nla_len = (uint16_t)(sizeof(at) + n), .nla_type = type };
	memcpy(a->u.bytes + a->len, &at, sizeof(at));
	memcpy(a->u.bytes + a->len + sizeof(at), p, n);
	a->len += NLA_ALIGN(sizeof(at) + n);
	a->u.h.nlmsg_len = (uint32_t)a->len;
}

/* An NLMSG_ERROR for error, echoing a request of payload bytes unless
 * capped. */
static void start_error(struct answer *a, int error, uint16_t flags, size_t payload)
{
	memset(a, 0, sizeof(*a));
	a->len = NLMSG_HDRLEN;
	a->u.h.nlmsg_type = NLMSG_ERROR;
	a->u.h.nlmsg_flags = flags;
	struct nlmsgerr e = { .error = error };
	e.msg.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + payload);
	e.msg.nlmsg_type = 16;	/* XFRM_MSG_NEWSA */
	put(a, &e, sizeof(e));
	if (!(flags & NLM_F_CAPPED) && payload > 0) {
		uint8_t echo[256];
		memset(echo, 0xee, sizeof(echo));	/* stands for the request, keys and all */
		put(a, echo, payload);
	}
}

static const char offload_msg[] = "Device failed to offload this state";

static void test_positive_ack(void **state)
{
	(void)state;
	struct answer a;
	struct kernel_err e;
	start_error(&a, 0, NLM_F_CAPPED, 0);
	assert_int_equal(netlink_parse_ack(&a.u.h, a.len, &e), 0);
	assert_int_equal(e.errnum, 0);
	assert_string_equal(e.extack, "");
}

static void test_capped_with_text(void **state)
{
	(void)state;
	struct answer a;
	struct kernel_err e;
	start_error(&a, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 200);
	put_attr(&a, NLMSGERR_ATTR_MSG, offload_msg, sizeof(offload_msg));
	assert_int_equal(netlink_parse_ack(&a.u.h, a.len, &e), -EINVAL);
	assert_int_equal(e.errnum, EINVAL);
	assert_string_equal(e.extack, offload_msg);
}

/* Without NETLINK_CAP_ACK the request sits between nlmsgerr and the TLVs;
 * an odd length checks the alignment. */
static void test_uncapped_skips_echo(void **state)
{
	(void)state;
	struct answer a;
	struct kernel_err e;
	start_error(&a, -ENOSPC, NLM_F_ACK_TLVS, 229);
	put_attr(&a, NLMSGERR_ATTR_MSG, offload_msg, sizeof(offload_msg));
	assert_int_equal(netlink_parse_ack(&a.u.h, a.len, &e), -ENOSPC);
	assert_int_equal(e.errnum, ENOSPC);
	assert_string_equal(e.extack, offload_msg);
}

static void test_other_attributes_first(void **state)
{
	(void)state;
	struct answer a;
	struct kernel_err e;
	uint32_t offs = 36;
	start_error(&a, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	put_attr(&a, NLMSGERR_ATTR_OFFS, &offs, sizeof(offs));
	put_attr(&a, NLMSGERR_ATTR_MSG, "Device doesn't support offload with ESN",
		 sizeof("Device doesn't support offload with ESN"));
	assert_int_equal(netlink_parse_ack(&a.u.h, a.len, &e), -EINVAL);
	assert_string_equal(e.extack, "Device doesn't support offload with ESN");
}

static void test_no_tlvs_flag(void **state)
{
	(void)state;
	struct answer a;
	struct kernel_err e;
	start_error(&a, -EEXIST, NLM_F_CAPPED, 0);
	put_attr(&a, NLMSGERR_ATTR_MSG, offload_msg, sizeof(offload_msg));	/* not announced: ignored */
	assert_int_equal(netlink_parse_ack(&a.u.h, a.len, &e), -EEXIST);
	assert_int_equal(e.errnum, EEXIST);
	assert_string_equal(e.extack, "");
}

static void test_truncated(void **state)
{
	(void)state;
	struct answer a;
	struct kernel_err e;
	start_error(&a, -EINVAL, NLM_F_CAPPED, 0);
	assert_int_equal(netlink_parse_ack(&a.u.h, NLMSG_HDRLEN + 4, &e), -EPROTO);
	assert_int_equal(e.errnum, EPROTO);
	a.u.h.nlmsg_len = NLMSG_HDRLEN + 2;
	assert_int_equal(netlink_parse_ack(&a.u.h, a.len, &e), -EPROTO);
}

/* An attribute claiming more than the message holds: the errno stands,
 * the text is left empty, nothing is read past the end. */
static void test_bad_attribute_length(void **state)
{
	(void)state;
	struct answer a;
	struct kernel_err e;
	start_error(&a, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	put_attr(&a, NLMSGERR_ATTR_MSG, offload_msg, sizeof(offload_msg));
	struct nlattr *at = (struct nlattr *)(a.u.bytes + NLMSG_HDRLEN + sizeof(struct nlmsgerr));
	at->nla_len = 900;
	assert_int_equal(netlink_parse_ack(&a.u.h, a.len, &e), -EINVAL);
	assert_string_equal(e.extack, "");
	at->nla_len = 2;	/* shorter than its own header */
	assert_int_equal(netlink_parse_ack(&a.u.h, a.len, &e), -EINVAL);
	assert_string_equal(e.extack, "");
}

/* An uncapped echo claiming more than the message holds. */
static void test_echo_longer_than_message(void **state)
{
	(void)state;
	struct answer a;
	struct kernel_err e;
	start_error(&a, -EINVAL, NLM_F_ACK_TLVS, 16);
	struct nlmsgerr *err = (struct nlmsgerr *)(a.u.bytes + NLMSG_HDRLEN);
	err->msg.nlmsg_len = 4000;
	assert_int_equal(netlink_parse_ack(&a.u.h, a.len, &e), -EINVAL);
	assert_string_equal(e.extack, "");
}

static void test_text_unterminated_and_long(void **state)
{
	(void)state;
	struct answer a;
	struct kernel_err e;
	char text[400];
	memset(text, 'x', sizeof(text));
	start_error(&a, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	put_attr(&a, NLMSGERR_ATTR_MSG, text, sizeof(text));	/* no NUL at all */
	assert_int_equal(netlink_parse_ack(&a.u.h, a.len, &e), -EINVAL);
	assert_int_equal(strlen(e.extack), KERNEL_EXTACK_MAX - 1);
	start_error(&a, -EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	put_attr(&a, NLMSGERR_ATTR_MSG, "short", 5);	/* no NUL, padded */
	assert_int_equal(netlink_parse_ack(&a.u.h, a.len, &e), -EINVAL);
	assert_string_equal(e.extack, "short");
}

static void test_done_with_error(void **state)
{
	(void)state;
	struct answer a;
	struct kernel_err e;
	memset(&a, 0, sizeof(a));
	a.len = NLMSG_HDRLEN;
	a.u.h.nlmsg_type = NLMSG_DONE;
	a.u.h.nlmsg_flags = NLM_F_ACK_TLVS;
	int status = -ENOBUFS;
	put(&a, &status, sizeof(status));
	put_attr(&a, NLMSGERR_ATTR_MSG, "dump failed", sizeof("dump failed"));
	assert_int_equal(netlink_parse_done(&a.u.h, a.len, &e), -ENOBUFS);
	assert_string_equal(e.extack, "dump failed");
	status = 0;
	memcpy(a.u.bytes + NLMSG_HDRLEN, &status, sizeof(status));
	assert_int_equal(netlink_parse_done(&a.u.h, a.len, &e), 0);
	assert_int_equal(e.errnum, 0);
}

/* An error field that holds no errno (INT_MIN has no negation; past
 * 4095 is no errno) is a malformed answer, never undefined arithmetic. */
static void test_error_out_of_range(void **state)
{
	(void)state;
	static const int bad[] = { INT_MIN, INT_MIN + 1, -4096, 4096, INT_MAX };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct answer a;
		struct kernel_err e;
		start_error(&a, bad[i], NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
		put_attr(&a, NLMSGERR_ATTR_MSG, offload_msg, sizeof(offload_msg));
		assert_int_equal(netlink_parse_ack(&a.u.h, a.len, &e), -EPROTO);
		assert_int_equal(e.errnum, EPROTO);

		memset(&a, 0, sizeof(a));
		a.len = NLMSG_HDRLEN;
		a.u.h.nlmsg_type = NLMSG_DONE;
		put(&a, &bad[i], sizeof(bad[i]));
		assert_int_equal(netlink_parse_done(&a.u.h, a.len, &e), -EPROTO);
		assert_int_equal(e.errnum, EPROTO);
	}
	struct answer a;
	struct kernel_err e;
	start_error(&a, -4095, NLM_F_CAPPED, 0);	/* the largest errno there is */
	assert_int_equal(netlink_parse_ack(&a.u.h, a.len, &e), -4095);
}

static void test_kernel_err_set(void **state)
{
	(void)state;
	struct kernel_err e;
	assert_int_equal(kernel_err_set(&e, ENODEV, "no such device"), -ENODEV);
	assert_int_equal(e.errnum, ENODEV);
	assert_string_equal(e.extack, "no such device");
	assert_int_equal(kernel_err_set(NULL, EIO, "x"), -EIO);
	assert_int_equal(kernel_err_set(&e, 0, NULL), 0);
	assert_string_equal(e.extack, "");
}

/* A read's messages in turn, and never a step past the read: the last
 * message here ends short of its padding (nlmsg_len 18, the read 18 bytes
 * after it), which NLMSG_NEXT on an unsigned length would wrap past. */
static void test_messages_of_a_read_are_walked_within_it(void **state)
{
	(void)state;
	uint8_t *buf = calloc(1, 16 + 18);	/* exactly the read: nothing after it */
	assert_non_null(buf);
	struct nlmsghdr *a = (void *)buf, *b = (void *)(buf + 16);
	a->nlmsg_len = 16;
	a->nlmsg_type = NLMSG_NOOP;
	b->nlmsg_len = 18;
	b->nlmsg_type = NLMSG_DONE;
	const struct nlmsghdr *h = netlink_next(buf, 34, NULL);
	assert_ptr_equal(h, a);
	h = netlink_next(buf, 34, h);
	assert_ptr_equal(h, b);
	assert_null(netlink_next(buf, 34, h));
	/* a header that claims more than the read holds is not a message */
	b->nlmsg_len = 19;
	assert_null(netlink_next(buf, 34, a));
	/* nor is what is too short to be a header */
	assert_null(netlink_next(buf, 10, NULL));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages_of_a_read_are_walked_within_it),
		cmocka_unit_test(test_positive_ack),
		cmocka_unit_test(test_capped_with_text),
		cmocka_unit_test(test_uncapped_skips_echo),
		cmocka_unit_test(test_other_attributes_first),
		cmocka_unit_test(test_no_tlvs_flag),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_attribute_length),
		cmocka_unit_test(test_echo_longer_than_message),
		cmocka_unit_test(test_text_unterminated_and_long),
		cmocka_unit_test(test_done_with_error),
		cmocka_unit_test(test_error_out_of_range),
		cmocka_unit_test(test_kernel_err_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
