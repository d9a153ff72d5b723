/* test_conn_config_diff.c: conn_config_same, which a reload trusts to
 * leave unchanged conns (and their tunnels) alone and replace changed
 * ones: every keyword's change is seen and named; where the conn is
 * written, and the address pluto filled in for a host name, are not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "ipsecconf.h"
#include "conf_test_files.h"

static const char *const base_lines[] = {
	"left=192.0.2.1", "right=192.0.2.2", "leftsubnet=10.1.0.0/16", "rightsubnet=10.2.0.0/16",
	"authby=secret", "auto=add",
};
#define NBASE (sizeof(base_lines) / sizeof(base_lines[0]))
#define BASE "conn c\n\tleft=192.0.2.1\n\tright=192.0.2.2\n\tleftsubnet=10.1.0.0/16\n\trightsubnet=10.2.0.0/16\n" \
	"\tauthby=secret\n\tauto=add\n"

/* BASE with change in the place of the line of its keyword, or added;
 * a rightsubnets= change takes rightsubnet='s place. */
static void base_with(const char *change, char *text, size_t len)
{
	size_t keylen = strcspn(change, "=");
	if (strncmp(change, "rightsubnets=", keylen + 1) == 0)
		keylen = strlen("rightsubnet");
	bool placed = false;
	int n = snprintf(text, len, "conn c\n");
	for (size_t i = 0; i < NBASE; i++) {
		bool same_key = strncmp(base_lines[i], change, keylen) == 0 && base_lines[i][keylen] == '=';
		n += snprintf(text + n, len - (size_t)n, "\t%s\n", same_key ? change : base_lines[i]);
		placed = placed || same_key;
	}
	if (!placed)
		snprintf(text + n, len - (size_t)n, "\t%s\n", change);
}

/* The one conn of text, loaded from its own file. */
static struct conn_config *load_conn(const char *text)
{
	struct tmpdir dir;
	tmpdir_make(&dir);
	tmpdir_write(&dir, "ipsec.conf", text);
	char path[PATH_MAX];
	tmpdir_file_path(&dir, "ipsec.conf", path);
	struct diag d;
	diag_init(&d);
	struct ipsec_conf *conf = ipsecconf_load(path, &d);
	if (conf == NULL)
		fail_msg("load failed:\n%s", d.text);
	assert_int_equal(conf->nconns, 1);
	struct conn_config *c = conn_config_dup(&conf->conns[0]);
	ipsecconf_free(conf);
	tmpdir_remove(&dir);
	return c;
}

static void test_same_config_is_same(void **state)
{
	(void)state;
	struct conn_config *a = load_conn(BASE), *b = load_conn(BASE);
	char what[64] = "";
	assert_true(conn_config_same(a, b, what, sizeof(what)));
	struct conn_config *dup = conn_config_dup(a);
	assert_true(conn_config_same(a, dup, what, sizeof(what)));
	conn_config_free(a);
	conn_config_free(b);
	conn_config_free(dup);
}

/* Other lines before it, another order of its keywords: no change. */
static void test_moved_conn_is_same(void **state)
{
	(void)state;
	struct conn_config *a = load_conn(BASE);
	struct conn_config *b = load_conn("# a comment\n\nconn c\n\tauto=add\n\tauthby=secret\n\trightsubnet=10.2.0.0/16\n"
					  "\tleftsubnet=10.1.0.0/16\n\tright=192.0.2.2\n\tleft=192.0.2.1\n");
	char what[64] = "";
	assert_int_not_equal(a->line, b->line);
	assert_true(conn_config_same(a, b, what, sizeof(what)));
	conn_config_free(a);
	conn_config_free(b);
}

/* Each keyword changed alone is a change, named by its keyword. */
static void test_each_change_is_named(void **state)
{
	(void)state;
	static const struct { const char *line, *what; } changes[] = {
		{ "left=192.0.2.9", "left" },
		{ "right=%any", "right" },
		{ "leftsubnet=10.9.0.0/16", "leftsubnet" },
		{ "rightsubnets=10.2.0.0/16,10.3.0.0/16", "rightsubnet" },
		{ "leftid=@a.example", "leftid" },
		{ "rightid=@b.example", "rightid" },
		{ "leftsourceip=10.1.0.1", "leftsourceip" },
		{ "leftupdown=%disabled", "leftupdown" },
		{ "leftprotoport=udp/1701", "leftprotoport" },
		{ "auto=start", "auto" },
		{ "type=transport", "type" },
		{ "ike=aes256-sha2_256;modp2048", "ike" },
		{ "esp=aes_gcm128-null", "esp" },
		{ "ikelifetime=2h", "ikelifetime" },
		{ "salifetime=2h", "salifetime" },
		{ "ipsec-max-bytes=1000000", "ipsec-max-bytes" },
		{ "ipsec-max-packets=1000", "ipsec-max-packets" },
		{ "rekey=no", "rekey" },
		{ "rekeymargin=1m", "rekeymargin" },
		{ "rekeyfuzz=50%", "rekeyfuzz" },
		{ "dpddelay=10", "dpddelay" },
		{ "pfs=no", "pfs" },
		{ "esn=yes", "esn" },
		{ "encapsulation=yes", "encapsulation" },
		{ "nat-keepalive=no", "nat-keepalive" },
		{ "tfc=100", "tfc" },
		{ "replay-window=64", "replay-window" },
		{ "fragmentation=no", "fragmentation" },
		{ "hw_offload=crypto", "hw_offload" },
		{ "retransmit-timeout=10s", "retransmit-timeout" },
	};
	struct conn_config *a = load_conn(BASE);
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		char text[1024], what[64] = "";
		base_with(changes[i].line, text, sizeof(text));
		struct conn_config *b = load_conn(text);
		if (conn_config_same(a, b, what, sizeof(what)))
			fail_msg("%s: seen as no change", changes[i].line);
		if (strcmp(what, changes[i].what) != 0)
			fail_msg("%s: named '%s', not '%s'", changes[i].line, what, changes[i].what);
		assert_false(conn_config_same(b, a, what, sizeof(what)));
		conn_config_free(b);
	}
	conn_config_free(a);
}

/* An end written as a host name is compared as written: the address
 * pluto found for it after loading is not part of the config. */
static void test_host_name_compares_as_written(void **state)
{
	(void)state;
	const char *text = "conn c\n\tleft=192.0.2.1\n\tright=gw.example.invalid\n\tauthby=secret\n\tauto=add\n";
	struct conn_config *a = load_conn(text), *b = load_conn(text);
	assert_true(a->right.host_dns);
	assert_true(address_parse("198.51.100.7", &a->right.host));
	char what[64] = "";
	assert_true(conn_config_same(a, b, what, sizeof(what)));
	conn_config_free(a);
	conn_config_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_config_is_same),
		cmocka_unit_test(test_moved_conn_is_same),
		cmocka_unit_test(test_each_change_is_named),
		cmocka_unit_test(test_host_name_compares_as_written),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
