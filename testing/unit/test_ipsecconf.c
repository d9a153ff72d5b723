/* test_ipsecconf.c: ipsec.conf, every accepted form and every error, with
 * the file:line text a user would see. Each test gets its own directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "../../lib/libswan/keywords.h"
#include "libreswan_keywords.h"
#include <errno.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "ipsecconf.h"
#include "conf_test_files.h"

struct fixture {
	struct tmpdir dir;
	struct diag d;
	struct ipsec_conf *conf;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	tmpdir_make(&f->dir);
	diag_init(&f->d);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ipsecconf_free(f->conf);
	tmpdir_remove(&f->dir);
	free(f);
	return 0;
}

/* Writes text as DIR/ipsec.conf and loads it. */
static struct ipsec_conf *load(struct fixture *f, const char *text)
{
	tmpdir_write(&f->dir, "ipsec.conf", text);
	char path[PATH_MAX];
	tmpdir_file_path(&f->dir, "ipsec.conf", path);
	ipsecconf_free(f->conf);
	diag_init(&f->d);
	f->conf = ipsecconf_load(path, &f->d);
	return f->conf;
}

static const struct conn_config *load_one(struct fixture *f, const char *text)
{
	struct ipsec_conf *c = load(f, text);
	if (c == NULL)
		fail_msg("load failed:\n%s", f->d.text);
	assert_int_equal(f->d.count, 0);
	assert_int_equal(c->nconns, 1);
	return &c->conns[0];
}

/* A file that must fail with exactly one error, this one. */
static void expect_one_error(struct fixture *f, const char *text, const char *line)
{
	assert_null(load(f, text));
	assert_diag_line(&f->d, &f->dir, "%s", line);
	if (f->d.count != 1)
		fail_msg("expected one error, got %d:\n%s", f->d.count, f->d.text);
}

static const char *subnet_text(const ip_subnet *s)
{
	static char buf[ADDRESS_STR_MAX];
	return subnet_str(s, buf);
}

/* Accepted forms */

static void test_minimal_conn_and_defaults(void **state)
{
	struct fixture *f = *state;
	const struct conn_config *c = load_one(f,
		"conn myconn\n"
		"    left=192.168.7.1\n"
		"    right=192.168.7.11\n");
	char path[PATH_MAX];
	tmpdir_file_path(&f->dir, "ipsec.conf", path);
	assert_string_equal(c->name, "myconn");
	assert_string_equal(c->file, path);
	assert_int_equal(c->line, 1);
	assert_string_equal(c->left.host_text, "192.168.7.1");
	assert_string_equal(c->right.host_text, "192.168.7.11");
	assert_false(c->left.host_any);
	assert_false(c->left.has_subnet);
	assert_string_equal(subnet_text(&c->left.subnet), "192.168.7.1/32");
	assert_string_equal(subnet_text(&c->right.subnet), "192.168.7.11/32");
	assert_null(c->left.id);
	assert_null(c->right.id);
	assert_int_equal(c->authby, AUTHBY_SECRET);
	assert_int_equal(c->auto_mode, AUTO_IGNORE);
	assert_int_equal(c->type, TYPE_TUNNEL);
	assert_int_equal(c->phase2, PHASE2_ESP);
	assert_null(c->ike);
	assert_null(c->esp);
	assert_true(c->ike_proposals->n > 0);
	assert_true(c->esp_proposals->n > 0);
	assert_int_equal(c->ikelifetime, 8 * 3600);
	assert_int_equal(c->salifetime, 8 * 3600);
	assert_true(c->rekey);
	assert_int_equal(c->rekeymargin, 9 * 60);
	assert_int_equal(c->rekeyfuzz, 100);
	assert_int_equal(c->dpddelay, 0);
	assert_int_equal(c->dpdtimeout, 0);
	assert_true(c->pfs);
	assert_int_equal(c->esn, YNA_AUTO);
	assert_int_equal(c->encapsulation, YNA_AUTO);
	assert_true(c->nat_keepalive);
	assert_int_equal(c->tfc, 0);
	assert_int_equal(c->hw_offload, HW_OFFLOAD_NO);
	assert_true(c->hw_offload_fallback);
	/* no config setup: its defaults */
	assert_false(f->conf->setup.fips);
	assert_null(f->conf->setup.logfile);
	assert_null(f->conf->setup.plutodebug);
	assert_int_equal(f->conf->setup.keep_alive, 20);
}

static void test_every_keyword(void **state)
{
	struct fixture *f = *state;
	struct ipsec_conf *conf = load(f,
		"config setup\n"
		"    fips=yes\n"
		"    logfile=/var/log/pluto.log\n"
		"    plutodebug=\"base crypt\"\n"
		"    protostack=netkey\n"
		"    uniqueids=no\n"
		"    keep-alive=45s\n"
		"\n"
		"conn full\n"
		"    left=10.0.0.1\n"
		"    right=10.0.0.2\n"
		"    leftsubnet=192.168.1.0/24\n"
		"    rightsubnet=192.168.2.0/24\n"
		"    leftid=@left.example.com\n"
		"    rightid=road@example.com\n"
		"    authby=secret\n"
		"    auto=start\n"
		"    type=transport\n"
		"    phase2=ah\n"
		"    ike=aes256-sha2_256;modp2048\n"
		"    esp=aes_gcm256-null\n"
		"    ikelifetime=2h\n"
		"    salifetime=30m\n"
		"    rekey=no\n"
		"    rekeymargin=45s\n"
		"    rekeyfuzz=50%\n"
		"    dpddelay=10\n"
		"    dpdtimeout=1m\n"
		"    pfs=no\n"
		"    esn=yes\n"
		"    encapsulation=no\n"
		"    nat-keepalive=no\n"
		"    tfc=1500\n"
		"    keyexchange=ikev2\n"
		"    hw_offload=packet\n"
		"    hw_offload_fallback=no\n");
	if (conf == NULL)
		fail_msg("%s", f->d.text);
	assert_true(conf->setup.fips);
	assert_string_equal(conf->setup.logfile, "/var/log/pluto.log");
	assert_string_equal(conf->setup.plutodebug, "base crypt");
	assert_int_equal(conf->setup.keep_alive, 45);
	const struct conn_config *c = ipsecconf_find(conf, "full");
	assert_non_null(c);
	assert_int_equal(c->line, 9);
	assert_true(c->left.has_subnet);
	assert_string_equal(subnet_text(&c->left.subnet), "192.168.1.0/24");
	assert_string_equal(subnet_text(&c->right.subnet), "192.168.2.0/24");
	assert_string_equal(c->left.id, "@left.example.com");
	assert_string_equal(c->right.id, "road@example.com");
	assert_int_equal(c->auto_mode, AUTO_START);
	assert_int_equal(c->type, TYPE_TRANSPORT);
	assert_int_equal(c->phase2, PHASE2_AH);
	assert_string_equal(c->ike, "aes256-sha2_256;modp2048");
	assert_string_equal(c->esp, "aes_gcm256-null");
	assert_true(c->ike_proposals->n > 0);
	assert_true(c->esp_proposals->n > 0);
	assert_int_equal(c->ikelifetime, 7200);
	assert_int_equal(c->salifetime, 1800);
	assert_false(c->rekey);
	assert_int_equal(c->rekeymargin, 45);
	assert_int_equal(c->rekeyfuzz, 50);
	assert_int_equal(c->dpddelay, 10);
	assert_int_equal(c->dpdtimeout, 60);
	assert_false(c->pfs);
	assert_int_equal(c->esn, YNA_YES);
	assert_int_equal(c->encapsulation, YNA_NO);
	assert_false(c->nat_keepalive);
	assert_int_equal(c->tfc, 1500);
	assert_int_equal(c->hw_offload, HW_OFFLOAD_PACKET);
	assert_false(c->hw_offload_fallback);
}

static void test_enum_values(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *kw, *value; size_t off; int want; } cases[] = {
		{ "auto", "ignore", offsetof(struct conn_config, auto_mode), AUTO_IGNORE },
		{ "auto", "add", offsetof(struct conn_config, auto_mode), AUTO_ADD },
		{ "auto", "ondemand", offsetof(struct conn_config, auto_mode), AUTO_ONDEMAND },
		{ "auto", "route", offsetof(struct conn_config, auto_mode), AUTO_ONDEMAND },
		{ "type", "tunnel", offsetof(struct conn_config, type), TYPE_TUNNEL },
		{ "phase2", "esp", offsetof(struct conn_config, phase2), PHASE2_ESP },
		{ "authby", "psk", offsetof(struct conn_config, authby), AUTHBY_SECRET },
		{ "esn", "no", offsetof(struct conn_config, esn), YNA_NO },
		{ "esn", "either", offsetof(struct conn_config, esn), YNA_AUTO },
		{ "encapsulation", "yes", offsetof(struct conn_config, encapsulation), YNA_YES },
		{ "encapsulation", "auto", offsetof(struct conn_config, encapsulation), YNA_AUTO },
		{ "hw_offload", "no", offsetof(struct conn_config, hw_offload), HW_OFFLOAD_NO },
		{ "hw_offload", "yes", offsetof(struct conn_config, hw_offload), HW_OFFLOAD_YES },
		{ "hw_offload", "crypto", offsetof(struct conn_config, hw_offload), HW_OFFLOAD_CRYPTO },
		{ "hw_offload", "auto", offsetof(struct conn_config, hw_offload), HW_OFFLOAD_AUTO },
		{ "nic-offload", "yes", offsetof(struct conn_config, hw_offload), HW_OFFLOAD_YES },
		{ "nic-offload", "no", offsetof(struct conn_config, hw_offload), HW_OFFLOAD_NO },
		{ "nic-offload", "auto", offsetof(struct conn_config, hw_offload), HW_OFFLOAD_AUTO },
		{ "nic-offload", "crypto", offsetof(struct conn_config, hw_offload), HW_OFFLOAD_CRYPTO },
		{ "nic-offload", "packet", offsetof(struct conn_config, hw_offload), HW_OFFLOAD_PACKET },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\t%s=%s\n",
			 cases[i].kw, cases[i].value);
		const struct conn_config *c = load_one(f, text);
		int got;
		memcpy(&got, (const char *)c + cases[i].off, sizeof(got));
		if (got != cases[i].want)
			fail_msg("%s=%s gave %d, not %d", cases[i].kw, cases[i].value, got, cases[i].want);
	}
}

static void test_check_only_keywords(void **state)
{
	struct fixture *f = *state;
	static const char *const lines[] = {
		"keyexchange=ike", "keyexchange=ikev2", "ikev2=insist", "ikev2=permit",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "config setup\n\tprotostack=xfrm\n\tuniqueids=yes\n"
			 "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\t%s\n", lines[i]);
		load_one(f, text);
	}
}

static void test_salifetime_aliases(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "salifetime", "lifetime", "keylife" };
	for (size_t i = 0; i < 3; i++) {
		char text[256];
		snprintf(text, sizeof(text), "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\t%s=1h\n", names[i]);
		assert_int_equal(load_one(f, text)->salifetime, 3600);
	}
	const struct conn_config *c = load_one(f,
		"conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tphase2alg=aes128-sha1\n");
	assert_string_equal(c->esp, "aes128-sha1");
}

static void test_durations(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *text; uint32_t seconds; } good[] = {
		{ "0", 0 }, { "30", 30 }, { "30s", 30 }, { "5m", 300 }, { "2h", 7200 },
		{ "1d", 86400 }, { "4294967295", 4294967295u }, { "49710d", 49710u * 86400 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tdpddelay=%s\n", good[i].text);
		assert_int_equal(load_one(f, text)->dpddelay, good[i].seconds);
	}
	static const char *const bad[] = {
		"1w", "h", "-1", "1.5h", "+5", "5 m", "0x10", "4294967296", "49711d", "5mm", "99999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tdpddelay=\"%s\"\n", bad[i]);
		assert_null(load(f, text));
		assert_int_equal(f->d.count, 1);
		char prefix[64];
		snprintf(prefix, sizeof(prefix), "ipsec.conf:4: keyword 'dpddelay': ");
		if (strstr(f->d.text, prefix) == NULL)
			fail_msg("%s: %s", bad[i], f->d.text);
	}
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tdpddelay=1w\n",
			 "ipsec.conf:4: keyword 'dpddelay': invalid value '1w' (expected a duration: a number of seconds, or a number followed by s, m, h or d)");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tikelifetime=0\n",
			 "ipsec.conf:4: keyword 'ikelifetime': invalid value '0' (must be from 1s to 4294967295s)");
}

static void test_layout_forms(void **state)
{
	struct fixture *f = *state;
	struct ipsec_conf *conf = load(f,
		"# a comment in column 0\n"
		"version 2.0   # trailing comment\n"
		"\n"
		"config setup  # comment after a section header\n"
		"\tlogfile = \"/var/log/with space # not a comment.log\"\n"
		"  # an indented comment\n"
		"\n"
		"\tfips=no\t# trailing comment after a value\n"
		"conn \"quoted\"\r\n"
		"\tleft=10.0.0.1\r\n"
		"\n"
		"# a comment between keywords\n"
		"\tright =10.0.0.2\n"
		"\tleftid= \"@spaced\"\n"
		"config setup\n"
		"\tplutodebug=all\n");
	if (conf == NULL)
		fail_msg("%s", f->d.text);
	assert_string_equal(conf->setup.logfile, "/var/log/with space # not a comment.log");
	assert_string_equal(conf->setup.plutodebug, "all");
	assert_false(conf->setup.fips);
	assert_int_equal(conf->nconns, 1);
	assert_string_equal(conf->conns[0].name, "quoted");
	assert_string_equal(conf->conns[0].right.host_text, "10.0.0.2");
	assert_string_equal(conf->conns[0].left.id, "@spaced");
	load_one(f, "version 2\nconn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n");
}

static void test_ipv6_and_any(void **state)
{
	struct fixture *f = *state;
	const struct conn_config *c = load_one(f,
		"conn six\n"
		"\tleft=2001:db8::1\n"
		"\tright=%any\n"
		"\tleftsubnet=2001:db8:1::/48\n"
		"\trightsubnet=2001:db8:2::/48\n"
		"\tauto=add\n");
	assert_int_equal(c->left.host.family, AF_INET6);
	assert_true(c->right.host_any);
	assert_false(address_is_set(&c->right.host));
	assert_string_equal(c->right.host_text, "%any");
	assert_string_equal(subnet_text(&c->right.subnet), "2001:db8:2::/48");
	/* %defaultroute and host names: addresses pluto finds later */
	c = load_one(f, "conn dr\n\tleft=%defaultroute\n\tright=vpn-1.example.net\n\tauto=add\n");
	assert_true(c->left.host_defaultroute);
	assert_false(c->left.host_dns);
	assert_true(c->right.host_dns);
	assert_false(address_is_set(&c->left.host) || address_is_set(&c->right.host));
	assert_string_equal(c->right.host_text, "vpn-1.example.net");
	/* %any without a subnet: no traffic selector known before the peer comes */
	c = load_one(f, "conn rw\n\tleft=192.0.2.1\n\tright=%any\n\tauto=add\n");
	assert_false(address_is_set(&c->right.subnet.addr));
	/* IPv6 traffic over IPv4 hosts is fine */
	c = load_one(f,
		"conn sixinfour\n\tleft=192.0.2.1\n\tright=192.0.2.2\n"
		"\tleftsubnet=2001:db8:1::/48\n\trightsubnet=2001:db8:2::/48\n");
	assert_int_equal(c->left.subnet.addr.family, AF_INET6);
}

/* own keywords > also= targets in the order written (depth first) > %default */
static void test_default_and_also_precedence(void **state)
{
	struct fixture *f = *state;
	struct ipsec_conf *conf = load(f,
		"conn base\n"				/* 1 */
		"\tleft=10.0.0.1\n"
		"\tleftsubnet=10.1.0.0/16\n"
		"\thw_offload=crypto\n"
		"\tdpddelay=30\n"
		"\talso=basebase\n"
		"\tauto=ignore\n"
		"\n"
		"conn basebase\n"			/* 9 */
		"\tdpddelay=99\n"
		"\tdpdtimeout=120\n"
		"\tike=aes128-sha1\n"
		"\tauto=ignore\n"
		"\n"
		"conn other\n"				/* 15 */
		"\ttfc=100\n"
		"\tdpdtimeout=5\n"
		"\tauto=ignore\n"
		"\n"
		"conn x\n"				/* 20 */
		"\talso=base\n"
		"\talso=other\n"
		"\tright=10.0.0.2\n"
		"\thw_offload=packet\n"
		"\tauto=add\n"
		"\n"
		"conn %default\n"			/* 27: after the conns, applies all the same */
		"\tesp=aes_gcm128-null\n"
		"\tikelifetime=1h\n"
		"\thw_offload=auto\n"
		"\ttfc=7\n"
		"\tauto=start\n");
	if (conf == NULL)
		fail_msg("%s", f->d.text);
	assert_int_equal(conf->nconns, 4);	/* auto=ignore conns are listed; %default is not */
	assert_null(ipsecconf_find(conf, "%default"));
	const struct conn_config *x = ipsecconf_find(conf, "x");
	assert_non_null(x);
	assert_int_equal(x->line, 20);
	assert_int_equal(x->hw_offload, HW_OFFLOAD_PACKET);	/* own */
	assert_int_equal(x->auto_mode, AUTO_ADD);		/* own over %default */
	assert_string_equal(x->left.host_text, "10.0.0.1");	/* also=base */
	assert_string_equal(subnet_text(&x->left.subnet), "10.1.0.0/16");
	assert_int_equal(x->dpddelay, 30);			/* base over basebase */
	assert_int_equal(x->dpdtimeout, 120);			/* basebase (via base) over other: written first */
	assert_string_equal(x->ike, "aes128-sha1");		/* basebase */
	assert_int_equal(x->tfc, 100);				/* other over %default */
	assert_string_equal(x->esp, "aes_gcm128-null");	/* %default */
	assert_int_equal(x->ikelifetime, 3600);		/* %default */
	const struct conn_config *base = ipsecconf_find(conf, "base");
	assert_int_equal(base->hw_offload, HW_OFFLOAD_CRYPTO);
	assert_int_equal(base->auto_mode, AUTO_IGNORE);
	assert_null(base->right.host_text);	/* a fragment: no right= and no error */
	const struct conn_config *other = ipsecconf_find(conf, "other");
	assert_int_equal(other->hw_offload, HW_OFFLOAD_AUTO);	/* %default fills it */
	assert_null(ipsecconf_find(conf, "nope"));
}

static void test_default_with_also(void **state)
{
	struct fixture *f = *state;
	const struct conn_config *c = NULL;
	struct ipsec_conf *conf = load(f,
		"conn %default\n\talso=common\n\tpfs=no\n"
		"conn common\n\tauto=ignore\n\tesn=yes\n\tpfs=yes\n"
		"conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n");
	if (conf == NULL)
		fail_msg("%s", f->d.text);
	c = ipsecconf_find(conf, "c");
	assert_int_equal(c->esn, YNA_YES);
	assert_false(c->pfs);
}

/* Two targets sharing a base: fine, and the first written still wins. */
static void test_also_diamond(void **state)
{
	struct fixture *f = *state;
	struct ipsec_conf *conf = load(f,
		"conn d\n\tleft=10.0.0.1\n\tpfs=no\n\tauto=ignore\n"
		"conn b\n\talso=d\n\ttfc=1\n\tauto=ignore\n"
		"conn c\n\talso=d\n\ttfc=2\n\tpfs=yes\n\tauto=ignore\n"
		"conn a\n\talso=b\n\talso=c\n\tright=10.0.0.2\n\tauto=add\n");
	if (conf == NULL)
		fail_msg("%s", f->d.text);
	const struct conn_config *a = ipsecconf_find(conf, "a");
	assert_int_equal(a->tfc, 1);		/* b before c */
	assert_false(a->pfs);			/* d, reached through b, before c */
	assert_string_equal(a->left.host_text, "10.0.0.1");
}

static void test_include_glob_relative(void **state)
{
	struct fixture *f = *state;
	tmpdir_write(&f->dir, "conf.d/20-b.conf",
		"conn b\n\tleft=10.0.0.1\n\tright=10.0.0.3\n"
		"include sub/*.inc\n");			/* relative to conf.d/ */
	tmpdir_write(&f->dir, "conf.d/10-a.conf",
		"conn a\n\tleft=10.0.0.1\n\tright=10.0.0.2\n");
	tmpdir_write(&f->dir, "conf.d/sub/c.inc",
		"conn c\n\talso=a\n\tright=10.0.0.4\n");
	tmpdir_write(&f->dir, "conf.d/ignored.txt", "this is not read\n");
	tmpdir_write(&f->dir, "plain.conf", "config setup\n\tfips=yes\n");
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/"), 0);	/* relative to the file, not to the cwd */
	struct ipsec_conf *conf = load(f,
		"conn first\n\tleft=10.0.0.1\n\tright=10.0.0.9\n"
		"include conf.d/*.conf\n"
		"include plain.conf\n"
		"include nothing.d/*.conf\n"	/* matches nothing: fine */
		"conn last\n\tleft=10.0.0.1\n\tright=10.0.0.8\n");
	assert_int_equal(chdir(cwd), 0);
	if (conf == NULL)
		fail_msg("%s", f->d.text);
	assert_int_equal(conf->nconns, 5);
	static const char *const order[] = { "first", "a", "b", "c", "last" };
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(conf->conns[i].name, order[i]);
	assert_true(conf->setup.fips);
	char path[PATH_MAX];
	tmpdir_file_path(&f->dir, "conf.d/sub/c.inc", path);
	assert_string_equal(conf->conns[3].file, path);
	assert_string_equal(conf->conns[3].left.host_text, "10.0.0.1");
}

static void test_include_errors_name_the_included_file(void **state)
{
	struct fixture *f = *state;
	tmpdir_write(&f->dir, "inc/bad.conf", "conn b\n\tleft=10.0.0.1\n\tright=10.0.0.3\n\thw_offload=maybe\n");
	assert_null(load(f, "include inc/bad.conf\n"));
	assert_diag_line(&f->d, &f->dir, "inc/bad.conf:4: keyword 'hw_offload': invalid value 'maybe' (expected no, yes, crypto, packet or auto)");
	assert_int_equal(f->d.count, 1);
}

/* Errors */

static void test_file_not_found(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	tmpdir_file_path(&f->dir, "missing.conf", path);
	diag_init(&f->d);
	assert_null(ipsecconf_load(path, &f->d));
	assert_diag_line(&f->d, &f->dir, "missing.conf: cannot open: No such file or directory");
	assert_int_equal(f->d.count, 1);
}

/* Root reads anything, so as root the load runs in a child that has
 * become nobody; the answer comes back in its exit status. */
static void test_file_unreadable(void **state)
{
	struct fixture *f = *state;
	tmpdir_write(&f->dir, "secret.conf", "conn a\n");
	char path[PATH_MAX];
	tmpdir_file_path(&f->dir, "secret.conf", path);
	assert_int_equal(chmod(path, 0), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(2);
		struct diag d;
		diag_init(&d);
		struct ipsec_conf *c = ipsecconf_load(path, &d);
		bool ok = c == NULL && d.count == 1 && diag_has_line_in(&d, &f->dir, "secret.conf: cannot open: Permission denied");
		_exit(ok ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_include_missing_plain_file(void **state)
{
	struct fixture *f = *state;
	struct ipsec_conf *c = load(f, "# x\ninclude nope.conf\nconn a\n\tleft=10.0.0.1\n\tright=10.0.0.2\n");
	assert_non_null(c);
	assert_int_equal(c->nconns, 1);
	assert_int_equal(c->notes.count, 1);
	assert_diag_line(&c->notes, &f->dir, "ipsec.conf:2: include: '%s/nope.conf' does not exist; skipped", f->dir.path);

}

static void test_include_loops(void **state)
{
	struct fixture *f = *state;
	char line[PATH_MAX + 100];
	char self[PATH_MAX];
	tmpdir_file_path(&f->dir, "ipsec.conf", self);
	snprintf(line, sizeof(line), "ipsec.conf:2: include '%s': include loop: the file is already being read", self);
	expect_one_error(f, "conn a\ninclude ipsec.conf\n", line);

	/* ipsec.conf -> a.conf -> d/b.conf -> ../ipsec.conf */
	tmpdir_write(&f->dir, "a.conf", "include d/*.conf\n");
	tmpdir_write(&f->dir, "d/b.conf", "\n\ninclude ../ipsec.conf\n");
	snprintf(line, sizeof(line), "d/b.conf:3: include '%s/d/../ipsec.conf': include loop: the file is already being read",
		 f->dir.path);
	expect_one_error(f, "include a.conf\n", line);
}

static void test_unknown_keyword(void **state)
{
	struct fixture *f = *state;
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\thw_ofload=yes\n",
			 "ipsec.conf:4: keyword 'hw_ofload': unknown keyword");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftckaid=x\n",
			 "ipsec.conf:4: keyword 'leftckaid': not supported: name the certificate by its nickname in leftcert=");
}

/* libreswan's keywords that pluto does not implement: a notice when the
 * value asks for what pluto does anyway, else an error with the reason;
 * right twins as left; x- keywords silently. */
static void test_keyword_fates(void **state)
{
	struct fixture *f = *state;
	const char *base = "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n";
	char text[512];
	snprintf(text, sizeof(text), "config setup\n\tseedbits=4\n\tlogtime=yes\n%s\tcompress=no\n"
		 "\trequire-id-on-certificate=yes\n\tx-mine=anything\n\tx_also=1\n", base);
	struct ipsec_conf *c = load(f, text);
	if (c == NULL)
		fail_msg("load failed:\n%s", f->d.text);
	assert_int_equal(c->notes.count, 4);
	assert_diag_line(&c->notes, &f->dir, "ipsec.conf:2: keyword 'seedbits' has no effect here: NSS seeds its own random generator");
	assert_diag_line(&c->notes, &f->dir, "ipsec.conf:7: keyword 'compress' has no effect here: IPComp is not supported");
	assert_diag_line(&c->notes, &f->dir, "ipsec.conf:8: keyword 'require-id-on-certificate' has no effect here: the peer's ID is always checked against its certificate");
	snprintf(text, sizeof(text), "%s\tcompress=yes\n", base);
	expect_one_error(f, text, "ipsec.conf:4: keyword 'compress': value 'yes' is not supported: IPComp is not supported");
	snprintf(text, sizeof(text), "%s\trightca=%%same\n", base);
	expect_one_error(f, text, "ipsec.conf:4: keyword 'rightca': not supported: any CA the NSS database trusts is accepted; leftca= is not supported");
	snprintf(text, sizeof(text), "%s\tnhelpers=2\n", base);
	expect_one_error(f, text, "ipsec.conf:4: keyword 'nhelpers': not allowed in conn 'c' (it belongs in config setup)");
	/* nhelpers= is pluto's own now (crypto_workers.h) */
	c = load(f, "config setup\n\tnhelpers=0\n");
	assert_non_null(c);
	assert_int_equal(c->setup.nhelpers, 0);
	assert_int_equal(c->notes.count, 0);
	c = load(f, "config setup\n\tnhelpers=3\n");
	assert_non_null(c);
	assert_int_equal(c->setup.nhelpers, 3);
	c = load(f, "config setup\n\tlogtime=yes\n");
	assert_non_null(c);
	assert_int_equal(c->setup.nhelpers, NHELPERS_PER_CPU);
	assert_null(load(f, "config setup\n\tnhelpers=65\n"));
	expect_one_error(f, "config setup\n\tmobike=no\n",
			 "ipsec.conf:2: keyword 'mobike': not allowed in config setup (it belongs in a conn section)");
}

/* libreswan 5's auto=up and auto=keep; replay-window=; secretsfile=. */
static void test_libreswan_spellings(void **state)
{
	struct fixture *f = *state;
	const struct conn_config *c = load_one(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tauto=up\n\treplay-window=0\n");
	assert_int_equal(c->auto_mode, AUTO_START);
	assert_int_equal(c->replay_window, 0);
	c = load_one(f, "config setup\n\tsecretsfile=/etc/ipsec.d/x.secrets\nconn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tauto=keep\n");
	assert_int_equal(c->auto_mode, AUTO_START);
	assert_int_equal(c->replay_window, 128);
	assert_string_equal(f->conf->setup.secretsfile, "/etc/ipsec.d/x.secrets");
	c = load_one(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tipsec-max-bytes=1GiB\n\tipsec-max-packets=3Mi\n");
	assert_true(c->ipsec_max_bytes == UINT64_C(1) << 30);
	assert_true(c->ipsec_max_packets == UINT64_C(3) << 20);
	c = load_one(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tipsec-max-bytes=8EiB\n\tipsec-max-packets=1000\n");
	assert_true(c->ipsec_max_bytes == UINT64_C(1) << 63);
	assert_true(c->ipsec_max_packets == 1000);
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tipsec-max-bytes=9EiB\n",
			 "ipsec.conf:4: keyword 'ipsec-max-bytes': invalid value '9EiB' (expected a count from 1 to 2^63, optionally followed by KiB, MiB, GiB, TiB, PiB or EiB)");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tipsec-max-packets=1KB\n",
			 "ipsec.conf:4: keyword 'ipsec-max-packets': invalid value '1KB' (expected a count from 1 to 2^63, optionally followed by KiB, MiB, GiB, TiB, PiB or EiB)");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\treplay-window=4097\n",
			 "ipsec.conf:4: keyword 'replay-window': invalid value '4097' (must be from 0 to 4096)");
}

/* Every keyword of libreswan's ipsec.conf(5) is implemented or has a fate,
 * in the section libreswan has it in. */
static void assert_known(const char *name, enum kw_section section)
{
	const struct keyword *kw = keyword_lookup(name);
	const struct kw_fate *fate = keyword_fate(name);
	if (kw == NULL && fate == NULL)
		fail_msg("libreswan's keyword '%s' is unknown to pluto", name);
	if ((kw != NULL ? kw->section : fate->section) != section)
		fail_msg("libreswan's keyword '%s' is in another section", name);
}

static void test_every_libreswan_keyword_has_a_fate(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(libreswan_conn_keywords) / sizeof(libreswan_conn_keywords[0]); i++) {
		const char *name = libreswan_conn_keywords[i];
		assert_known(name, KWS_CONN);
		if (strncmp(name, "left", 4) == 0) {
			char right[64];
			snprintf(right, sizeof(right), "right%s", name + 4);
			assert_known(right, KWS_CONN);
		}
	}
	for (size_t i = 0; i < sizeof(libreswan_setup_keywords) / sizeof(libreswan_setup_keywords[0]); i++)
		assert_known(libreswan_setup_keywords[i], KWS_SETUP);
}

/* What pluto loads: every conn without an error, whatever the others have;
 * a conn drawing on a section with an error (also=, %default) is left out
 * too. The strict load still fails as a whole. */
static void test_good_conns_load_past_bad_ones(void **state)
{
	struct fixture *f = *state;
	static const char text[] =
		"conn good\n\tleft=10.0.0.1\n\tright=10.0.0.2\n"
		"conn bad\n\tleft=10.0.0.1\n\tright=10.0.0.3\n\thw_ofload=yes\n"
		"conn base\n\tesp=nonsense\n\tauto=ignore\n"
		"conn user\n\tleft=10.0.0.1\n\tright=10.0.0.4\n\talso=base\n"
		"conn good2\n\tleft=10.0.0.1\n\tright=10.0.0.5\n\tcompress=no\n";
	assert_null(load(f, text));
	tmpdir_write(&f->dir, "ipsec.conf", text);
	char path[PATH_MAX];
	tmpdir_file_path(&f->dir, "ipsec.conf", path);
	struct diag d;
	diag_init(&d);
	struct ipsec_conf *c = ipsecconf_load_good_conns(path, &d);
	assert_non_null(c);
	assert_int_equal(d.count, 2);
	assert_int_equal(c->nconns, 2);
	assert_non_null(ipsecconf_find(c, "good"));
	assert_non_null(ipsecconf_find(c, "good2"));
	assert_int_equal(c->nbad_conns, 3);
	assert_true(ipsecconf_is_bad_conn(c, "bad"));
	assert_true(ipsecconf_is_bad_conn(c, "base"));
	assert_true(ipsecconf_is_bad_conn(c, "user"));
	assert_false(ipsecconf_is_bad_conn(c, "good"));
	assert_int_equal(c->notes.count, 1);
	ipsecconf_free(c);

	/* an error in %default leaves every conn out, but pluto still starts */
	tmpdir_write(&f->dir, "ipsec.conf", "conn %default\n\tpfs=maybe\nconn a\n\tleft=10.0.0.1\n\tright=10.0.0.2\n");
	diag_init(&d);
	c = ipsecconf_load_good_conns(path, &d);
	assert_non_null(c);
	assert_int_equal(c->nconns, 0);
	assert_true(ipsecconf_is_bad_conn(c, "a"));
	ipsecconf_free(c);

	/* config setup and syntax errors are the whole file's */
	tmpdir_write(&f->dir, "ipsec.conf", "config setup\n\tfips=maybe\nconn a\n\tleft=10.0.0.1\n\tright=10.0.0.2\n");
	diag_init(&d);
	assert_null(ipsecconf_load_good_conns(path, &d));
	tmpdir_write(&f->dir, "ipsec.conf", "conn a\n\tleft=10.0.0.1\nright=10.0.0.2\n");
	diag_init(&d);
	assert_null(ipsecconf_load_good_conns(path, &d));
}

static void test_bad_values(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *line, *error; } cases[] = {
		{ "hw_offload=maybe", "keyword 'hw_offload': invalid value 'maybe' (expected no, yes, crypto, packet or auto)" },
		{ "nic-offload=maybe", "keyword 'nic-offload': invalid value 'maybe' (expected no, yes, crypto, packet or auto)" },
		{ "hw_offload_fallback=perhaps", "keyword 'hw_offload_fallback': invalid value 'perhaps' (expected yes or no)" },
		{ "auto=begin", "keyword 'auto': invalid value 'begin' (expected ignore, add, start or ondemand)" },
		{ "type=passthrough", "keyword 'type': invalid value 'passthrough' (expected tunnel or transport)" },
		{ "esn=maybe", "keyword 'esn': invalid value 'maybe' (expected yes, no or either)" },
		{ "encapsulation=either", "keyword 'encapsulation': invalid value 'either' (expected yes, no or auto)" },
		{ "phase2=ipcomp", "keyword 'phase2': invalid value 'ipcomp' (expected esp or ah)" },
		{ "authby=null", "keyword 'authby': value 'null' is not supported: authby= takes secret (pre-shared keys), rsasig or ecdsa (certificates); null, never and EAP are not supported" },
		{ "leftauth=eaponly", "keyword 'leftauth': value 'eaponly' is not supported: authby= takes secret (pre-shared keys), rsasig or ecdsa (certificates); null, never and EAP are not supported" },
		{ "leftsendcert=sometimes", "keyword 'leftsendcert': invalid value 'sometimes' (expected sendifasked, always or never)" },
		{ "rightcert=", "keyword 'rightcert': missing value" },
		{ "keyexchange=ikev1", "keyword 'keyexchange': value 'ikev1' is not supported: only IKEv2 is supported (keyexchange=ikev2 or ike)" },
		{ "ikev2=never", "keyword 'ikev2': value 'never' is not supported: only IKEv2 is supported (ikev2=insist)" },
		{ "tfc=65536", "keyword 'tfc': invalid value '65536' (must be from 0 to 65535)" },
		{ "tfc=1k", "keyword 'tfc': invalid value '1k' (expected a number of bytes)" },
		{ "rekey=1", "keyword 'rekey': invalid value '1' (expected yes or no)" },
		{ "rekeyfuzz=50%%", "keyword 'rekeyfuzz': invalid value '50%%' (expected a percentage)" },
		{ "rekeyfuzz=1001", "keyword 'rekeyfuzz': invalid value '1001' (must be from 0 to 1000)" },
		{ "leftsubnet=10.0.0.1/8", "keyword 'leftsubnet': invalid value '10.0.0.1/8' (expected a subnet such as 10.0.1.0/24 or 2001:db8::/64, with no address bits set past the prefix length)" },
		{ "leftsubnet=10.0.0.0/8,2001:db8::/32", "keyword 'leftsubnet': invalid value '10.0.0.0/8,2001:db8::/32' (its subnets are not all of one address family)" },
		{ "leftsubnets={10.0.0.0/8 10.0.0.1/8}", "keyword 'leftsubnets': invalid value '10.0.0.1/8' (expected a subnet such as 10.0.1.0/24 or 2001:db8::/64, with no address bits set past the prefix length)" },
		{ "leftsubnets={10.1.0.0/16", "keyword 'leftsubnets': unterminated list (no closing '}')" },
		{ "leftsubnets={10.1.0.0/16 10.1.2.0/24}", "keyword 'leftsubnets': invalid value '{10.1.0.0/16 10.1.2.0/24}' (10.1.2.0/24 overlaps another subnet of the list)" },
		{ "rightsubnet=10.1.0.0/16,10.1.0.0/16", "keyword 'rightsubnet': invalid value '10.1.0.0/16,10.1.0.0/16' (10.1.0.0/16 overlaps another subnet of the list)" },
		{ "rightsubnets=10.1.0.0/16,10.2.0.0/16,10.3.0.0/16,10.4.0.0/16,10.5.0.0/16,10.6.0.0/16,10.7.0.0/16,10.8.0.0/16,10.9.0.0/16", "keyword 'rightsubnets': invalid value '10.1.0.0/16,10.2.0.0/16,10.3.0.0/16,10.4.0.0/16,10.5.0.0/16,10.6.0.0/16,10.7.0.0/16,10.8.0.0/16,10.9.0.0/16' (at most 8 subnets per side)" },
		{ "rightid=\"=US, O=Example\"", "keyword 'rightid': invalid value '=US, O=Example' (a DN id starts with an attribute such as CN= or C=; other ids hold no spaces or '=')" },
		{ "rightid=vpn.example.com", "keyword 'rightid': invalid value 'vpn.example.com' (only IP addresses, @fqdn, user@fqdn and %any are supported; write a host name as @name)" },
		{ "leftid=", "keyword 'leftid': missing value" },
		{ "leftprotoport=tcp/99999", "keyword 'leftprotoport': invalid value 'tcp/99999' (expected a port number 0-65535, a service name or %any after the protocol)" },
		{ "leftprotoport=ospf", "keyword 'leftprotoport': invalid value 'ospf' (expected a protocol number 0-255 or tcp, udp, icmp, ipv6-icmp, sctp, udplite or gre)" },
		{ "rightprotoport=icmp/2048", "keyword 'rightprotoport': invalid value 'icmp/2048' (ICMP type and code selectors are not supported; give the protocol alone)" },
		{ "rightprotoport=47/1", "keyword 'rightprotoport': invalid value '47/1' (only tcp, udp, sctp and udplite have ports)" },
		{ "narrowing=maybe", "keyword 'narrowing': invalid value 'maybe' (expected yes or no)" },
		{ "ikelifetime=\"\"", "keyword 'ikelifetime': missing value" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256], line[512];
		snprintf(text, sizeof(text), "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\t%s\n", cases[i].line);
		snprintf(line, sizeof(line), "ipsec.conf:4: %s", cases[i].error);
		expect_one_error(f, text, line);
	}
}

static void test_bad_hosts(void **state)
{
	struct fixture *f = *state;
	expect_one_error(f, "conn c\n\tleft=vpn_example.com\n\tright=10.0.0.2\n",
			 "ipsec.conf:2: keyword 'left': invalid value 'vpn_example.com' (expected an IP address, a host name, %any or %defaultroute)");
	expect_one_error(f, "conn c\n\tleft=%defaultrout\n\tright=10.0.0.2\n",
			 "ipsec.conf:2: keyword 'left': invalid value '%defaultrout' (expected an IP address, a host name, %any or %defaultroute)");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=-vpn.example\n",
			 "ipsec.conf:3: keyword 'right': invalid value '-vpn.example' (expected an IP address, a host name, %any or %defaultroute)");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=vpn..example\n",
			 "ipsec.conf:3: keyword 'right': invalid value 'vpn..example' (expected an IP address, a host name, %any or %defaultroute)");
	expect_one_error(f, "conn c\n\tleft=%any\n\tright=%any\n",
			 "ipsec.conf:3: conn 'c': keyword 'right': left and right cannot both be %any");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=2001:db8::2\n",
			 "ipsec.conf:3: conn 'c': keyword 'right': address family IPv6 differs from left='s IPv4");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftsubnet=10.1.0.0/16\n\trightsubnet=2001:db8::/32\n",
			 "ipsec.conf:5: conn 'c': keyword 'rightsubnet': address family differs between the two sides' subnets (left IPv4, right IPv6)");
	/* one side's subnet is its host when it has no subnet= */
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftsubnet=2001:db8::/32\n",
			 "ipsec.conf:4: conn 'c': keyword 'leftsubnet': address family differs between the two sides' subnets (left IPv6, right IPv4)");
}

/* leftsourceip= and leftupdown=: parsed, stored per side, and sourceip
 * checked against that side's traffic. */
static void test_sourceip_and_updown(void **state)
{
	struct fixture *f = *state;
	const struct conn_config *c = load_one(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n"
					     "\tleftsubnet=10.1.0.0/24\n\tleftsourceip=10.1.0.1\n"
					     "\trightsubnet=10.2.0.0/24\n\trightsourceip=10.2.0.9\n"
					     "\tleftupdown=\"/usr/local/sbin/my-updown --verbose\"\n\trightupdown=%disabled\n");
	char a[ADDRESS_STR_MAX];
	assert_true(c->left.has_sourceip);
	assert_string_equal(address_str(&c->left.sourceip, a), "10.1.0.1");
	assert_string_equal(address_str(&c->right.sourceip, a), "10.2.0.9");
	assert_string_equal(c->left.updown, "/usr/local/sbin/my-updown --verbose");
	assert_string_equal(c->right.updown, "%disabled");
	struct conn_config *copy = conn_config_dup(c);
	assert_string_equal(copy->left.updown, "/usr/local/sbin/my-updown --verbose");
	assert_ptr_not_equal(copy->left.updown, c->left.updown);
	conn_config_free(copy);
	c = load_one(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n");
	assert_false(c->left.has_sourceip);
	assert_null(c->left.updown);
	/* without leftsubnet=, the host itself is the side's traffic */
	load_one(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftsourceip=10.0.0.1\n");

	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftsubnet=10.1.0.0/24\n\tleftsourceip=10.9.0.1\n",
			 "ipsec.conf:5: conn 'c': keyword 'leftsourceip': 10.9.0.1 is not inside leftsubnet=10.1.0.0/24");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\trightsourceip=10.0.0.1\n",
			 "ipsec.conf:4: conn 'c': keyword 'rightsourceip': 10.0.0.1 is not inside this side's traffic (without rightsubnet=, the host 10.0.0.2/32 alone)");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftsubnet=10.1.0.0/24\n\tleftsourceip=2001:db8::1\n",
			 "ipsec.conf:5: conn 'c': keyword 'leftsourceip': 2001:db8::1 is not inside leftsubnet=10.1.0.0/24");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftsourceip=gateway\n",
			 "ipsec.conf:4: keyword 'leftsourceip': invalid value 'gateway' (expected an IP address of this host inside its subnet)");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftsourceip=%config\n",
			 "ipsec.conf:4: keyword 'leftsourceip': invalid value '%config' (only an IP address is supported: there is no mode config)");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftupdown=\"ipsec _updown\"\n",
			 "ipsec.conf:4: keyword 'leftupdown': invalid value 'ipsec _updown' (expected %disabled or the absolute path of a script, optionally followed by arguments; no shell is involved)");
}

/* One protocol for both sides: a side without one takes the other's, with
 * every port; two different ones are an error. */
static void test_protoports(void **state)
{
	struct fixture *f = *state;
	const struct conn_config *c = load_one(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftprotoport=udp/1701\n");
	assert_int_equal(c->left.protoport.proto, 17);
	assert_int_equal(c->left.protoport.port, 1701);
	assert_int_equal(c->right.protoport.proto, 17);
	assert_int_equal(c->right.protoport.port, 0);
	assert_false(c->narrowing);
	c = load_one(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\trightprotoport=6/%any\n\tnarrowing=yes\n");
	assert_int_equal(c->left.protoport.proto, 6);
	assert_int_equal(c->right.protoport.port, 0);
	assert_true(c->narrowing);
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftprotoport=tcp\n\trightprotoport=udp/53\n",
			 "ipsec.conf:5: conn 'c': keyword 'rightprotoport': protocol 17 differs from leftprotoport='s 6 (both sides carry one protocol)");
}

static void test_missing_left_right(void **state)
{
	struct fixture *f = *state;
	expect_one_error(f, "\nconn c\n\tright=10.0.0.2\n\tauto=add\n",
			 "ipsec.conf:2: conn 'c': keyword 'left': missing (every conn needs left= and right=, unless auto=ignore)");
	assert_null(load(f, "conn c\n\tauto=start\n"));
	assert_int_equal(f->d.count, 2);
	assert_diag_line(&f->d, &f->dir, "ipsec.conf:1: conn 'c': keyword 'right': missing (every conn needs left= and right=, unless auto=ignore)");
	/* auto=ignore: a fragment for also= */
	load_one(f, "conn c\n\tright=10.0.0.2\n");
	/* auto=add from %default makes it required */
	assert_null(load(f, "conn %default\n\tauto=add\nconn c\n\tright=10.0.0.2\n"));
	assert_diag_line(&f->d, &f->dir, "ipsec.conf:3: conn 'c': keyword 'left': missing (every conn needs left= and right=, unless auto=ignore)");
	/* a bad left= is reported as bad, not also as missing */
	expect_one_error(f, "conn c\n\tleft=no_where\n\tright=10.0.0.2\n\tauto=add\n",
			 "ipsec.conf:2: keyword 'left': invalid value 'no_where' (expected an IP address, a host name, %any or %defaultroute)");
}

static void test_duplicates(void **state)
{
	struct fixture *f = *state;
	char line[PATH_MAX + 200];
	/* the message names where the first one is, with its full path */
	snprintf(line, sizeof(line), "ipsec.conf:4: keyword 'left': duplicate (already set at %s/ipsec.conf:2)", f->dir.path);
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleft=10.0.0.3\n", line);
	snprintf(line, sizeof(line), "ipsec.conf:5: keyword 'phase2alg': duplicate: 'esp' is the same keyword and is already set at %s/ipsec.conf:4",
		 f->dir.path);
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tesp=aes128-sha1\n\tphase2alg=aes128-sha1\n", line);
	snprintf(line, sizeof(line), "ipsec.conf:5: keyword 'hw_offload': duplicate: 'nic-offload' is the same keyword and is already set at %s/ipsec.conf:4",
		 f->dir.path);
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tnic-offload=yes\n\thw_offload=yes\n", line);
	snprintf(line, sizeof(line), "ipsec.conf:5: keyword 'keylife': duplicate: 'lifetime' is the same keyword and is already set at %s/ipsec.conf:4",
		 f->dir.path);
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tlifetime=1h\n\tkeylife=1h\n", line);
	/* two config setup sections are one: a keyword in both is a duplicate */
	snprintf(line, sizeof(line), "ipsec.conf:4: keyword 'fips': duplicate (already set at %s/ipsec.conf:2)", f->dir.path);
	expect_one_error(f, "config setup\n\tfips=yes\nconfig setup\n\tfips=no\n", line);
	snprintf(line, sizeof(line), "ipsec.conf:4: conn 'c': duplicate conn name (first defined at %s/ipsec.conf:1)", f->dir.path);
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\nconn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n", line);
	/* several also= are not duplicates */
	assert_non_null(load(f, "conn a\n\tauto=ignore\nconn b\n\tauto=ignore\n"
			    "conn c\n\talso=a\n\talso=b\n\tleft=10.0.0.1\n\tright=10.0.0.2\n"));
	assert_int_equal(f->conf->nconns, 3);
}

static void test_also_errors(void **state)
{
	struct fixture *f = *state;
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\talso=nowhere\n",
			 "ipsec.conf:4: keyword 'also': conn 'nowhere' not found");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\talso=%default\n",
			 "ipsec.conf:4: keyword 'also': conn '%default' not found");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\talso=c\n",
			 "ipsec.conf:4: keyword 'also': loop: c -> c");
	expect_one_error(f,
		"conn a\n\talso=b\n\tauto=ignore\n"
		"conn b\n\talso=d\n\tauto=ignore\n"
		"conn d\n\talso=a\n\tauto=ignore\n"
		"conn x\n\talso=a\n\tleft=10.0.0.1\n\tright=10.0.0.2\n",
		"ipsec.conf:8: keyword 'also': loop: a -> b -> d -> a");
	expect_one_error(f, "config setup\n\talso=x\n",
			 "ipsec.conf:2: keyword 'also': not allowed in config setup (it belongs in a conn section)");
}

/* An error in a conn that others include is reported once. */
static void test_errors_in_also_target_reported_once(void **state)
{
	struct fixture *f = *state;
	expect_one_error(f,
		"conn base\n\thw_offload=maybe\n\tauto=ignore\n"
		"conn a\n\talso=base\n\tleft=10.0.0.1\n\tright=10.0.0.2\n"
		"conn b\n\talso=base\n\tleft=10.0.0.1\n\tright=10.0.0.3\n",
		"ipsec.conf:2: keyword 'hw_offload': invalid value 'maybe' (expected no, yes, crypto, packet or auto)");
}

static void test_wrong_section(void **state)
{
	struct fixture *f = *state;
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tfips=yes\n",
			 "ipsec.conf:4: keyword 'fips': not allowed in conn 'c' (it belongs in config setup)");
	expect_one_error(f, "config setup\n\thw_offload=yes\n",
			 "ipsec.conf:2: keyword 'hw_offload': not allowed in config setup (it belongs in a conn section)");
	expect_one_error(f, "config setup\n\tprotostack=klips\n",
			 "ipsec.conf:2: keyword 'protostack': value 'klips' is not supported: only the Linux XFRM stack is supported (protostack=xfrm or netkey)");
	expect_one_error(f, "config setup\n\tuniqueids=sometimes\n",
			 "ipsec.conf:2: keyword 'uniqueids': invalid value 'sometimes' (expected yes or no)");
}

static void test_syntax_errors(void **state)
{
	struct fixture *f = *state;
	expect_one_error(f, "\tleft=10.0.0.1\nconn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n",
			 "ipsec.conf:1: keyword 'left': outside any section (keywords go under 'conn NAME' or 'config setup')");
	expect_one_error(f, "conn c\nleft=10.0.0.1\n\tleft=10.0.0.1\n\tright=10.0.0.2\n",
			 "ipsec.conf:2: keyword 'left': must be indented under a 'conn NAME' or 'config setup' line");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftid=\"@open\n",
			 "ipsec.conf:4: keyword 'leftid': unterminated quote");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftid=@a @b\n",
			 "ipsec.conf:4: keyword 'leftid': unexpected text after the value (quote a value that contains blanks)");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftid\n",
			 "ipsec.conf:4: keyword 'leftid': expected '=' and a value");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\t=x\n",
			 "ipsec.conf:4: expected keyword=value");
	expect_one_error(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tinclude x.conf\n",
			 "ipsec.conf:4: 'include' must start at the beginning of the line (it is not a keyword)");
	expect_one_error(f, "config foo\n",
			 "ipsec.conf:1: config 'foo': unknown section (the only one is 'config setup')");
	expect_one_error(f, "conn\n", "ipsec.conf:1: conn: missing argument");
	expect_one_error(f, "conn a b\n", "ipsec.conf:1: conn 'a': unexpected text after it");
	expect_one_error(f, "conn %other\n",
			 "ipsec.conf:1: conn '%other': invalid name (only %default may start with '%'; no blanks, quotes, '#', '=' or ',')");
	expect_one_error(f, "version 3\n", "ipsec.conf:1: version '3': unsupported (expected 2 or 2.0)");
	expect_one_error(f, "setup\n",
			 "ipsec.conf:1: unexpected 'setup' (expected 'conn NAME', 'config setup', 'include' or 'version')");
	expect_one_error(f, "include \"x\n", "ipsec.conf:1: include: unterminated quote");
}

static void test_alg_errors_carry_location(void **state)
{
	struct fixture *f = *state;
	assert_null(load(f, "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tesp=bogus99-nothing\n\tike=bogus-x\n"));
	assert_int_equal(f->d.count, 2);
	char want[PATH_MAX];
	snprintf(want, sizeof(want), "%s/ipsec.conf:4: keyword 'esp': ", f->dir.path);
	assert_non_null(strstr(f->d.text, want));
	snprintf(want, sizeof(want), "%s/ipsec.conf:5: keyword 'ike': ", f->dir.path);
	assert_non_null(strstr(f->d.text, want));
}

/* One pass finds every error; nothing of the file is returned. */
static void test_all_errors_collected(void **state)
{
	struct fixture *f = *state;
	assert_null(load(f,
		"config setup\n"			/* 1 */
		"\tfips=maybe\n"			/* 2 */
		"conn good\n"				/* 3 */
		"\tleft=10.0.0.1\n"
		"\tright=10.0.0.2\n"
		"conn bad\n"				/* 6 */
		"\thw_ofload=yes\n"			/* 7 */
		"\tesp=aes128-sha1\n"
		"\tphase2alg=aes128-sha1\n"		/* 9 */
		"\tleft=some_where\n"			/* 10 */
		"\tright=10.0.0.2\n"
		"\talso=missing\n"			/* 12 */
		"\tleftid=\"unterminated\n"		/* 13 */
		"conn good\n"				/* 14 */
		"\tleft=10.0.0.1\n"
		"\tright=10.0.0.2\n"
		"include nope.conf\n"			/* 17: a notice */
		"\tauto=add\n"));			/* 18: outside any section after include */
	assert_diag_line(&f->d, &f->dir, "ipsec.conf:2: keyword 'fips': invalid value 'maybe' (expected yes or no)");
	assert_diag_line(&f->d, &f->dir, "ipsec.conf:7: keyword 'hw_ofload': unknown keyword");
	assert_diag_line(&f->d, &f->dir, "ipsec.conf:10: keyword 'left': invalid value 'some_where' (expected an IP address, a host name, %%any or %%defaultroute)");
	assert_diag_line(&f->d, &f->dir, "ipsec.conf:12: keyword 'also': conn 'missing' not found");
	assert_diag_line(&f->d, &f->dir, "ipsec.conf:13: keyword 'leftid': unterminated quote");
	assert_diag_line(&f->d, &f->dir, "ipsec.conf:18: keyword 'auto': outside any section (keywords go under 'conn NAME' or 'config setup')");
	assert_non_null(strstr(f->d.text, "ipsec.conf:9: keyword 'phase2alg': duplicate"));
	assert_non_null(strstr(f->d.text, "ipsec.conf:14: conn 'good': duplicate conn name"));
	/* (the missing include of line 17 is a notice, not an error) */
	assert_int_equal(f->d.count, 8);
}

static void test_diag_keeps_earlier_errors(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	tmpdir_write(&f->dir, "ok.conf", "conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n");
	tmpdir_file_path(&f->dir, "ok.conf", path);
	struct diag d;
	diag_init(&d);
	diag_add(&d, "an earlier, unrelated error");
	/* a good file loads even when the caller's diag already holds errors */
	struct ipsec_conf *c = ipsecconf_load(path, &d);
	assert_non_null(c);
	assert_int_equal(d.count, 1);
	ipsecconf_free(c);
}

static void test_dup_outlives_config(void **state)
{
	struct fixture *f = *state;
	const struct conn_config *c = load_one(f,
		"conn c\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tleftid=@a\n\tesp=aes_gcm256-null\n\thw_offload=crypto\n");
	struct conn_config *copy = conn_config_dup(c);
	assert_ptr_not_equal(copy->name, c->name);
	assert_ptr_not_equal(copy->left.host_text, c->left.host_text);
	ipsecconf_free(f->conf);
	f->conf = NULL;
	assert_string_equal(copy->name, "c");
	assert_string_equal(copy->left.host_text, "10.0.0.1");
	assert_string_equal(copy->left.id, "@a");
	assert_null(copy->right.id);
	assert_string_equal(copy->esp, "aes_gcm256-null");
	assert_null(copy->ike);
	assert_int_equal(copy->hw_offload, HW_OFFLOAD_CRYPTO);
	assert_true(copy->esp_proposals->n > 0);
	conn_config_free(copy);
	conn_config_free(NULL);
	ipsecconf_free(NULL);
}

/* A conn's proposal lists are shared: conns that write the same ike= and
 * esp= (in their own sections, or through conn %default), and conns that
 * write none (the defaults), hold one copy of each list between them; a
 * copy of a config holds the same one and keeps it when the config it
 * came from is freed; the last one freed takes the lists with it. */
static void test_proposal_lists_are_shared(void **state)
{
	struct fixture *f = *state;
	size_t before = alg_proposals_shared_count();
	const struct ipsec_conf *conf = load(f,
		"conn %default\n\tesp=aes128-sha2_256\n"
		"conn a\n\tleft=10.0.0.1\n\tright=10.0.0.2\n\tike=aes_gcm256-sha2_256;dh19\n"
		"conn b\n\tleft=10.0.0.3\n\tright=10.0.0.4\n\tike=aes_gcm256-sha2_256;dh19\n"
		"conn c\n\tleft=10.0.0.5\n\tright=10.0.0.6\n\tike=aes_gcm256-sha2_256;dh19\n\tesp=aes_gcm128-null\n"
		"conn d\n\tleft=10.0.0.7\n\tright=10.0.0.8\n"
		"conn e\n\tleft=10.0.0.9\n\tright=10.0.0.10\n");
	if (conf == NULL)
		fail_msg("load failed:\n%s", f->d.text);
	const struct conn_config *a = &conf->conns[0], *b = &conf->conns[1], *c = &conf->conns[2],
		*d = &conf->conns[3], *e = &conf->conns[4];
	assert_ptr_equal(a->ike_proposals, b->ike_proposals);
	assert_ptr_equal(a->ike_proposals, c->ike_proposals);
	assert_ptr_equal(a->esp_proposals, b->esp_proposals);	/* from conn %default */
	assert_ptr_not_equal(a->esp_proposals, c->esp_proposals);
	assert_ptr_equal(d->ike_proposals, e->ike_proposals);	/* the defaults */
	assert_ptr_not_equal(d->ike_proposals, a->ike_proposals);
	assert_int_equal(a->ike_proposals->n, 1);
	assert_int_equal(c->esp_proposals->p[0].encr, ENCR_AES_GCM_16);
	assert_int_equal(d->ike_proposals->n, 168);
	/* the ike= list, the default IKE list, two esp= lists */
	assert_int_equal(alg_proposals_shared_count(), before + 4);

	struct conn_config *copy = conn_config_dup(c);
	assert_ptr_equal(copy->esp_proposals, c->esp_proposals);
	ipsecconf_free(f->conf);
	f->conf = NULL;
	/* c's own lists stay while the copy holds them */
	assert_int_equal(alg_proposals_shared_count(), before + 2);
	assert_int_equal(copy->esp_proposals->n, 1);
	assert_int_equal(copy->esp_proposals->p[0].encr, ENCR_AES_GCM_16);
	assert_int_equal(copy->esp_proposals->p[0].encr_keylen, 128);
	conn_config_free(copy);
	assert_int_equal(alg_proposals_shared_count(), before);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(hw_offload_name(HW_OFFLOAD_NO), "no");
	assert_string_equal(hw_offload_name(HW_OFFLOAD_YES), "yes");
	assert_string_equal(hw_offload_name(HW_OFFLOAD_CRYPTO), "crypto");
	assert_string_equal(hw_offload_name(HW_OFFLOAD_PACKET), "packet");
	assert_string_equal(hw_offload_name(HW_OFFLOAD_AUTO), "auto");
	assert_string_equal(auto_mode_name(AUTO_IGNORE), "ignore");
	assert_string_equal(auto_mode_name(AUTO_ADD), "add");
	assert_string_equal(auto_mode_name(AUTO_START), "start");
	assert_string_equal(auto_mode_name(AUTO_ONDEMAND), "ondemand");
	assert_string_equal(yna_name(YNA_YES, "either"), "yes");
	assert_string_equal(yna_name(YNA_NO, "either"), "no");
	assert_string_equal(yna_name(YNA_AUTO, "either"), "either");
	assert_string_equal(yna_name(YNA_AUTO, NULL), "auto");
}

static void test_empty_file(void **state)
{
	struct fixture *f = *state;
	struct ipsec_conf *c = load(f, "");
	assert_non_null(c);
	assert_int_equal(c->nconns, 0);
	assert_null(ipsecconf_find(c, "x"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_minimal_conn_and_defaults),
		T(test_every_keyword),
		T(test_enum_values),
		T(test_check_only_keywords),
		T(test_salifetime_aliases),
		T(test_durations),
		T(test_layout_forms),
		T(test_ipv6_and_any),
		T(test_default_and_also_precedence),
		T(test_default_with_also),
		T(test_also_diamond),
		T(test_include_glob_relative),
		T(test_include_errors_name_the_included_file),
		T(test_file_not_found),
		T(test_file_unreadable),
		T(test_include_missing_plain_file),
		T(test_include_loops),
		T(test_unknown_keyword),
		T(test_bad_values),
		T(test_bad_hosts),
		T(test_sourceip_and_updown),
		T(test_protoports),
		T(test_keyword_fates),
		T(test_libreswan_spellings),
		T(test_every_libreswan_keyword_has_a_fate),
		T(test_good_conns_load_past_bad_ones),
		T(test_missing_left_right),
		T(test_duplicates),
		T(test_also_errors),
		T(test_errors_in_also_target_reported_once),
		T(test_wrong_section),
		T(test_syntax_errors),
		T(test_alg_errors_carry_location),
		T(test_all_errors_collected),
		T(test_diag_keeps_earlier_errors),
		T(test_dup_outlives_config),
		T(test_proposal_lists_are_shared),
		T(test_names),
		T(test_empty_file),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
