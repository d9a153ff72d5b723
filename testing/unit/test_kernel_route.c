/* test_kernel_route.c: the rtnetlink requests for a tunnel's route, as
 * the kernel will read them. What the kernel does with them is shown by
 * the VM scenario ike-routes-updown. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/rtnetlink.h>
#include "kernel_route.h"

/* The attribute of type in the request, or NULL. */
static const struct rtattr *attr(const struct nlmsghdr *h, unsigned short type)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rt));
	for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == type)
			return a;
	return NULL;
}

static void assert_attr_address(const struct nlmsghdr *h, unsigned short type, const char *text)
{
	ip_address want;
	assert_true(address_parse(text, &want));
	const struct rtattr *a = attr(h, type);
	assert_non_null(a);
	assert_int_equal(RTA_PAYLOAD(a), address_bits(&want) / 8);
	assert_memory_equal(RTA_DATA(a), want.bytes, address_bits(&want) / 8);
}

/* pluto's own protocol and metric: a removal matches only pluto's route */
static void assert_pluto_route(const struct nlmsghdr *h)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	assert_int_equal(rt->rtm_protocol, KERNEL_ROUTE_PROTOCOL);
	/* not one that admins' tools and network managers use */
	assert_true(rt->rtm_protocol > RTPROT_STATIC && rt->rtm_protocol != RTPROT_DHCP && rt->rtm_protocol != RTPROT_RA);
	const struct rtattr *metric = attr(h, RTA_PRIORITY);
	assert_non_null(metric);
	assert_int_equal(RTA_PAYLOAD(metric), sizeof(uint32_t));
	assert_int_equal(*(const uint32_t *)RTA_DATA(metric), KERNEL_ROUTE_METRIC);
}

static void test_add_request(void **state)
{
	(void)state;
	struct kernel_route r = { .ifindex = 7 };
	assert_true(subnet_parse("10.2.0.0/24", &r.dst));
	assert_true(address_parse("192.0.2.2", &r.gateway));
	assert_true(address_parse("10.1.0.1", &r.prefsrc));
	uint8_t buf[256];
	size_t n = kernel_route_msg(&r, RTM_NEWROUTE, 42, buf, sizeof(buf));
	assert_true(n > 0);
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
	assert_int_equal(h->nlmsg_len, n);
	assert_int_equal(h->nlmsg_type, RTM_NEWROUTE);
	assert_int_equal(h->nlmsg_seq, 42);
	/* EXCL: an existing route is reported (EEXIST), never replaced */
	assert_int_equal(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	const struct rtmsg *rt = NLMSG_DATA(h);
	assert_int_equal(rt->rtm_family, AF_INET);
	assert_int_equal(rt->rtm_dst_len, 24);
	assert_int_equal(rt->rtm_table, RT_TABLE_MAIN);
	assert_pluto_route(h);
	assert_int_equal(rt->rtm_type, RTN_UNICAST);
	assert_attr_address(h, RTA_DST, "10.2.0.0");
	assert_attr_address(h, RTA_GATEWAY, "192.0.2.2");
	assert_attr_address(h, RTA_PREFSRC, "10.1.0.1");
	const struct rtattr *oif = attr(h, RTA_OIF);
	assert_non_null(oif);
	assert_int_equal(*(const uint32_t *)RTA_DATA(oif), 7);
}

static void test_delete_request_without_gateway_or_source(void **state)
{
	(void)state;
	struct kernel_route r = { .ifindex = 3 };
	assert_true(subnet_parse("2001:db8:2::/48", &r.dst));
	uint8_t buf[256];
	size_t n = kernel_route_msg(&r, RTM_DELROUTE, 1, buf, sizeof(buf));
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
	assert_true(n > 0);
	assert_int_equal(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	const struct rtmsg *rt = NLMSG_DATA(h);
	assert_int_equal(rt->rtm_family, AF_INET6);
	assert_int_equal(rt->rtm_dst_len, 48);
	assert_pluto_route(h);
	assert_int_equal(rt->rtm_scope, RT_SCOPE_NOWHERE);	/* IPv4: whatever the route's scope */
	assert_attr_address(h, RTA_DST, "2001:db8:2::");
	assert_null(attr(h, RTA_GATEWAY));
	assert_null(attr(h, RTA_PREFSRC));
	/* too small a buffer: nothing, not a cut request */
	assert_int_equal(kernel_route_msg(&r, RTM_DELROUTE, 1, buf, 40), 0);
}

/* A dump's route read back: pluto's (its protocol) with what removing it
 * needs; another protocol's is not pluto's to remove. */
static void test_a_dumped_route_is_pluto_s_by_its_protocol(void **state)
{
	(void)state;
	struct kernel_route r = { .ifindex = 4 }, back;
	assert_true(subnet_parse("2001:db8:9::/48", &r.dst));
	assert_true(address_parse("2001:db8::1", &r.gateway));
	assert_true(address_parse("2001:db8:1::1", &r.prefsrc));
	uint8_t buf[256];
	assert_true(kernel_route_msg(&r, RTM_NEWROUTE, 1, buf, sizeof(buf)) > 0);
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	assert_true(kernel_route_parse_ours(h, &back));
	assert_int_equal(back.dst.prefixlen, 48);
	assert_true(address_eq(&back.dst.addr, &r.dst.addr));
	assert_true(address_eq(&back.gateway, &r.gateway));
	assert_true(address_eq(&back.prefsrc, &r.prefsrc));
	assert_int_equal(back.ifindex, 4);
	((struct rtmsg *)NLMSG_DATA(h))->rtm_protocol = RTPROT_BOOT;	/* `ip route add`'s */
	assert_false(kernel_route_parse_ours(h, &back));
	((struct rtmsg *)NLMSG_DATA(h))->rtm_protocol = KERNEL_ROUTE_PROTOCOL;
	((struct rtmsg *)NLMSG_DATA(h))->rtm_table = RT_TABLE_LOCAL;
	assert_false(kernel_route_parse_ours(h, &back));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_request),
		cmocka_unit_test(test_delete_request_without_gateway_or_source),
		cmocka_unit_test(test_a_dumped_route_is_pluto_s_by_its_protocol),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
