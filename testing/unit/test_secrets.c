/* test_secrets.c: ipsec.secrets forms, PSK matching precedence, and errors
 * that name file and line but never show the secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "secmem.h"
#include "secrets.h"
#include "conf_test_files.h"

/* Every secret in the error tests contains this; no error may. */
#define SECRET_MARK "s3cr3t"

struct fixture {
	struct tmpdir dir;
	struct diag d;
	struct secrets *s;
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
	secrets_free(f->s);
	tmpdir_remove(&f->dir);
	free(f);
	return 0;
}

static struct secrets *load(struct fixture *f, const char *text)
{
	tmpdir_write(&f->dir, "ipsec.secrets", text);
	char path[PATH_MAX];
	tmpdir_file_path(&f->dir, "ipsec.secrets", path);
	secrets_free(f->s);
	diag_init(&f->d);
	f->s = secrets_load(path, &f->d);
	return f->s;
}

static struct secrets *load_ok(struct fixture *f, const char *text)
{
	if (load(f, text) == NULL)
		fail_msg("load failed:\n%s", f->d.text);
	assert_int_equal(f->d.count, 0);
	return f->s;
}

static void assert_no_secret_in(const struct diag *d)
{
	if (strstr(d->text, SECRET_MARK) != NULL)
		fail_msg("an error shows the secret:\n%s", d->text);
}

static void expect_one_error(struct fixture *f, const char *text, const char *line)
{
	assert_null(load(f, text));
	assert_no_secret_in(&f->d);
	assert_diag_line(&f->d, &f->dir, "%s", line);
	if (f->d.count != 1)
		fail_msg("expected one error, got %d:\n%s", f->d.count, f->d.text);
}

static void assert_psk(const struct psk_entry *e, const char *psk)
{
	assert_non_null(e);
	assert_int_equal(e->psk_len, strlen(psk));
	assert_memory_equal(e->psk, psk, e->psk_len);
}

static void assert_ids(const struct psk_entry *e, size_t n, ...)
{
	assert_int_equal(e->nids, n);
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(e->ids[i], va_arg(ap, const char *));
	va_end(ap);
}

/* Forms */

static void test_forms(void **state)
{
	struct fixture *f = *state;
	struct secrets *s = load_ok(f,
		"# a comment\n"
		"192.0.2.1 192.0.2.2 : PSK \"secret one\"\n"		/* 2 */
		"@east @west : PSK \"has # hash\"   # comment\n"		/* 3 */
		": PSK \"anyany\"\n"					/* 4 */
		"%any : PSK \"one any\"\n"				/* 5 */
		"road@example.com @gw : PSK 'single \"quoted\"'\n"	/* 6 */
		"@a @b : PSK 0x0102_0A0b\n"				/* 7 */
		"@g: psk \"glued colon\"\r\n"				/* 8 */
		"2001:db8::1 2001:db8::2 : PSK \"v6\"\n"		/* 9 */
		"\n"
		"@c @d :\n"						/* 11 */
		"    PSK \"on the next line\"\n"
		"@e\n"							/* 13 */
		"  # a comment inside an entry\n"
		"\t@f : PSK \"ids on two lines\"\n");
	assert_int_equal(s->n, 10);
	assert_ids(&s->entries[0], 2, "192.0.2.1", "192.0.2.2");
	assert_psk(&s->entries[0], "secret one");
	assert_int_equal(s->entries[0].line, 2);
	char path[PATH_MAX];
	tmpdir_file_path(&f->dir, "ipsec.secrets", path);
	assert_string_equal(s->entries[0].file, path);
	assert_psk(&s->entries[1], "has # hash");
	assert_ids(&s->entries[2], 0);
	assert_psk(&s->entries[2], "anyany");
	assert_ids(&s->entries[3], 1, "%any");
	assert_ids(&s->entries[4], 2, "road@example.com", "@gw");
	assert_psk(&s->entries[4], "single \"quoted\"");
	assert_int_equal(s->entries[5].psk_len, 4);
	assert_memory_equal(s->entries[5].psk, "\x01\x02\x0a\x0b", 4);
	assert_ids(&s->entries[6], 1, "@g");
	assert_psk(&s->entries[6], "glued colon");
	assert_ids(&s->entries[7], 2, "2001:db8::1", "2001:db8::2");
	assert_ids(&s->entries[8], 2, "@c", "@d");
	assert_psk(&s->entries[8], "on the next line");
	assert_int_equal(s->entries[8].line, 11);
	assert_ids(&s->entries[9], 2, "@e", "@f");
	assert_int_equal(s->entries[9].line, 13);
}

static void test_empty_file(void **state)
{
	struct fixture *f = *state;
	struct secrets *s = load_ok(f, "# nothing\n\n");
	assert_int_equal(s->n, 0);
	assert_null(secrets_find_psk(s, "@a", "@b"));
}

static void test_include(void **state)
{
	struct fixture *f = *state;
	tmpdir_write(&f->dir, "ipsec.d/b.secrets", "@b1 @b2 : PSK \"b\"\ninclude more/c.inc\n");
	tmpdir_write(&f->dir, "ipsec.d/a.secrets", "@a1 @a2 : PSK \"a\"\n");
	tmpdir_write(&f->dir, "ipsec.d/more/c.inc", "@c1 @c2 : PSK \"c\"\n");
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/"), 0);
	struct secrets *s = load(f,
		"@x @y : PSK \"x\"\n"
		"include ipsec.d/*.secrets   # relative to this file\n"
		"include none.d/*.secrets\n"
		"@z @w : PSK \"z\"\n");
	assert_int_equal(chdir(cwd), 0);
	if (s == NULL)
		fail_msg("%s", f->d.text);
	assert_int_equal(s->n, 5);
	static const char *const order[] = { "@x", "@a1", "@b1", "@c1", "@z" };
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(s->entries[i].ids[0], order[i]);
	char path[PATH_MAX];
	tmpdir_file_path(&f->dir, "ipsec.d/more/c.inc", path);
	assert_string_equal(s->entries[3].file, path);
}

/* Matching */

static void test_match_precedence(void **state)
{
	struct fixture *f = *state;
	struct secrets *s = load_ok(f,
		": PSK \"anyany\"\n"
		"%any @west : PSK \"any-west\"\n"
		"@east : PSK \"east-only\"\n"
		"@east @west : PSK \"east-west\"\n"
		"@east @west : PSK \"east-west-second\"\n"
		"192.0.2.1 2001:db8::2 : PSK \"addrs\"\n"
		"me@example.com @gw : PSK \"user\"\n");
	assert_psk(secrets_find_psk(s, "@east", "@west"), "east-west");
	assert_psk(secrets_find_psk(s, "@WEST", "@East"), "east-west");	/* either order, any case */
	assert_psk(secrets_find_psk(s, "@east", "@other"), "east-only");
	assert_psk(secrets_find_psk(s, "@other", "@east"), "east-only");
	assert_psk(secrets_find_psk(s, "@x", "@west"), "any-west");
	assert_psk(secrets_find_psk(s, "@x", "@y"), "anyany");
	assert_psk(secrets_find_psk(s, "192.0.2.1", "2001:DB8:0::2"), "addrs");
	assert_psk(secrets_find_psk(s, "@gw", "ME@EXAMPLE.COM"), "user");
	assert_psk(secrets_find_psk(s, NULL, NULL), "anyany");
}

static void test_match_none(void **state)
{
	struct fixture *f = *state;
	struct secrets *s = load_ok(f, "@a @b : PSK \"ab\"\n@c : PSK \"c\"\n");
	assert_null(secrets_find_psk(s, "@a", "@x"));
	assert_null(secrets_find_psk(s, "@x", "@y"));
	assert_null(secrets_find_psk(s, "@a", NULL));
	assert_psk(secrets_find_psk(s, "@x", "@c"), "c");
	assert_psk(secrets_find_psk(s, "@b", "@a"), "ab");
	assert_null(secrets_find_psk(NULL, "@a", "@b"));

	s = load_ok(f, "@c %any : PSK \"c-any\"\n@c @x : PSK \"cx\"\n");
	assert_psk(secrets_find_psk(s, "@x", "@c"), "cx");
	assert_psk(secrets_find_psk(s, "@c", "@y"), "c-any");
	assert_null(secrets_find_psk(s, "@a", "@y"));
}

/* Errors */

static void test_errors_never_show_the_secret(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *text, *error; } cases[] = {
		{ "@a @b PSK \"" SECRET_MARK "\"\n",
		  "ipsec.secrets:1: expected ID ID : PSK \"secret\" (no ':' found; after an IPv6 address it needs a blank before it)" },
		{ "@a @b : \"" SECRET_MARK "\"\n",
		  "ipsec.secrets:1: expected PSK after ':' (only PSK secrets are supported)" },
		{ "@a @b : " SECRET_MARK "\n",
		  "ipsec.secrets:1: expected PSK after ':' (only PSK secrets are supported)" },
		{ "@a @b : PSK " SECRET_MARK "\n",
		  "ipsec.secrets:1: the PSK must be a \"quoted string\" or 0x hex" },
		{ "\n@a @b : PSK \"" SECRET_MARK "\n",
		  "ipsec.secrets:2: unterminated quote (the line is not shown: it may hold a secret)" },
		{ "@a @b :\n  PSK '" SECRET_MARK "\n",
		  "ipsec.secrets:2: unterminated quote (the line is not shown: it may hold a secret)" },
		{ "@a @b : PSK \"" SECRET_MARK "\" extra\n",
		  "ipsec.secrets:1: unexpected text after the PSK (one secret per entry; quote a PSK that contains blanks)" },
		{ "@a @b : PSK " SECRET_MARK " and more\n",
		  "ipsec.secrets:1: unexpected text after the PSK (one secret per entry; quote a PSK that contains blanks)" },
		{ "@a @b : PSK 0x" SECRET_MARK "\n",
		  "ipsec.secrets:1: invalid hex PSK (expected 0x followed by an even number of hex digits)" },
		{ "@a @b : PSK 0x123\n",
		  "ipsec.secrets:1: invalid hex PSK (expected 0x followed by an even number of hex digits)" },
		{ "@a @b : PSK 0x\n",
		  "ipsec.secrets:1: invalid hex PSK (expected 0x followed by an even number of hex digits)" },
		{ "@a @b : PSK 0s" SECRET_MARK "\n",
		  "ipsec.secrets:1: base64 (0s) PSKs are not supported; write the PSK as a \"quoted string\" or in 0x hex" },
		{ "@a @b : PSK \"\"\n", "ipsec.secrets:1: empty PSK" },
		{ "@a @b : PSK\n", "ipsec.secrets:1: missing the PSK after 'PSK'" },
		{ "@a @b :\n", "ipsec.secrets:1: expected PSK \"secret\" after ':'" },
		{ "@a @b : RSA {\n\tModulus: 0x" SECRET_MARK "\n\t}\n",
		  "ipsec.secrets:1: RSA secrets are not supported (only PSK)" },
		{ "@a @b : XAUTH \"" SECRET_MARK "\"\n",
		  "ipsec.secrets:1: XAUTH secrets are not supported (only PSK)" },
		/* a secret glued to a colon, with the real ':' forgotten */
		{ "@a PSK " SECRET_MARK ":\n", "ipsec.secrets:1: expected PSK \"secret\" after ':'" },
		{ "@a a\"b \"" SECRET_MARK "\n", "ipsec.secrets:1: unbalanced quotes" },
		{ "\"" SECRET_MARK "\" : PSK \"x\"\n",
		  "ipsec.secrets:1: quoted ids are not supported (a DN's PSK is not: certificates authenticate DNs); ids go before ':'" },
		{ "host.example.com @b : PSK \"" SECRET_MARK "\"\n",
		  "ipsec.secrets:1: id 'host.example.com': only IP addresses, @fqdn, user@fqdn and %any are supported; write a host name as @name" },
		{ "%fromcert : PSK \"" SECRET_MARK "\"\n",
		  "ipsec.secrets:1: id '%fromcert': %fromcert stands for a certificate's subject, which a PSK does not authenticate" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_one_error(f, cases[i].text, cases[i].error);
}

static void test_all_errors_collected(void **state)
{
	struct fixture *f = *state;
	assert_null(load(f,
		"@ok1 @ok2 : PSK \"fine\"\n"			/* 1 */
		"@a @b : PSK " SECRET_MARK "\n"			/* 2 */
		"@c @d : PSK \"" SECRET_MARK "\n"		/* 3 */
		"@e @f : PSK \"fine too\"\n"			/* 4 */
		"bad.id @g : PSK \"" SECRET_MARK "\"\n"		/* 5 */
		"include missing.secrets\n"			/* 6 */
		"@h @i : PSK \"\"\n"));				/* 7 */
	assert_no_secret_in(&f->d);
	assert_int_equal(f->d.count, 5);
	assert_diag_line(&f->d, &f->dir, "ipsec.secrets:2: the PSK must be a \"quoted string\" or 0x hex");
	assert_diag_line(&f->d, &f->dir, "ipsec.secrets:3: unterminated quote (the line is not shown: it may hold a secret)");
	assert_diag_line(&f->d, &f->dir, "ipsec.secrets:5: id 'bad.id': only IP addresses, @fqdn, user@fqdn and %%any are supported; write a host name as @name");
	assert_diag_line(&f->d, &f->dir, "ipsec.secrets:6: include: cannot open '%s/missing.secrets': No such file or directory", f->dir.path);
	assert_diag_line(&f->d, &f->dir, "ipsec.secrets:7: empty PSK");
}

static void test_file_errors(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	tmpdir_file_path(&f->dir, "none.secrets", path);
	assert_null(secrets_load(path, &f->d));
	assert_diag_line(&f->d, &f->dir, "none.secrets: cannot open: No such file or directory");

	char line[PATH_MAX + 100];
	tmpdir_file_path(&f->dir, "ipsec.secrets", path);
	snprintf(line, sizeof(line), "ipsec.secrets:2: include '%s': include loop: the file is already being read", path);
	expect_one_error(f, "@a @b : PSK \"x\"\ninclude ipsec.secrets\n", line);

	tmpdir_write(&f->dir, "d/one.secrets", "include ../ipsec.secrets\n");
	snprintf(line, sizeof(line), "d/one.secrets:1: include '%s/d/../ipsec.secrets': include loop: the file is already being read",
		 f->dir.path);
	expect_one_error(f, "include d/*.secrets\n", line);

	expect_one_error(f, "include\n", "ipsec.secrets:1: include: expected one file name or pattern");
	expect_one_error(f, "include a b\n", "ipsec.secrets:1: include: expected one file name or pattern");
}

/* An error inside an included file names that file. */
static void test_error_in_included_file(void **state)
{
	struct fixture *f = *state;
	tmpdir_write(&f->dir, "inc/x.secrets", "\n\n@a @b : PSK " SECRET_MARK "\n");
	expect_one_error(f, "include inc/x.secrets\n",
			 "inc/x.secrets:3: the PSK must be a \"quoted string\" or 0x hex");
}

/* Key memory */

static void test_psks_live_in_key_memory(void **state)
{
	struct fixture *f = *state;
	struct secrets *s = load_ok(f, "@a @b : PSK \"quoted\"\n@c @d : PSK 0x0102_0304\n");
	assert_int_equal(s->n, 2);
	assert_true(secmem_owns(s->entries[0].psk));
	assert_true(secmem_owns(s->entries[1].psk));
	assert_false(secmem_owns(s->entries[0].ids[0]));	/* ids are no secret */
}

/* Writes an entry whose quoted PSK is n bytes of 'k', or 0x and 2n digits. */
static char *entry_with_psk_of(size_t n, bool hex)
{
	size_t cap = 2 * n + 64;
	char *text = malloc(cap);
	int used = snprintf(text, cap, "@a @b : PSK %s", hex ? "0x" : "\"");
	memset(text + used, hex ? 'a' : 'k', hex ? 2 * n : n);
	used += (int)(hex ? 2 * n : n);
	snprintf(text + used, cap - (size_t)used, "%s\n", hex ? "" : "\"");
	return text;
}

static void test_psk_longer_than_key_memory_is_an_error(void **state)
{
	struct fixture *f = *state;
	for (int hex = 0; hex <= 1; hex++) {
		char *text = entry_with_psk_of(SECMEM_MAX, hex);
		struct secrets *s = load_ok(f, text);
		assert_int_equal(s->entries[0].psk_len, SECMEM_MAX);
		assert_true(secmem_owns(s->entries[0].psk));
		free(text);
		text = entry_with_psk_of(SECMEM_MAX + 1, hex);
		expect_one_error(f, text, "ipsec.secrets:1: the PSK is longer than 4096 bytes, the most pluto keeps in key memory");
		free(text);
	}
}

/* File modes */

/* Loads DIR/ipsec.secrets, made mode `mode`, asking for warnings. */
static struct secrets *load_with_mode(struct fixture *f, const char *text, mode_t mode, struct diag *warnings)
{
	tmpdir_write(&f->dir, "ipsec.secrets", text);
	char path[PATH_MAX];
	tmpdir_file_path(&f->dir, "ipsec.secrets", path);
	assert_int_equal(chmod(path, mode), 0);
	secrets_free(f->s);
	diag_init(&f->d);
	diag_init(warnings);
	f->s = secrets_load_warn(path, &f->d, warnings);
	return f->s;
}

static void test_exposed_file_is_loaded_with_a_warning(void **state)
{
	struct fixture *f = *state;
	static const mode_t exposed[] = { 0640, 0620, 0604, 0602, 0644, 0666 };
	struct diag w;
	for (size_t i = 0; i < sizeof(exposed) / sizeof(exposed[0]); i++) {
		assert_non_null(load_with_mode(f, "@a @b : PSK \"kept\"\n", exposed[i], &w));
		assert_psk(secrets_find_psk(f->s, "@a", "@b"), "kept");
		assert_int_equal(w.count, 1);
		char path[PATH_MAX];
		tmpdir_file_path(&f->dir, "ipsec.secrets", path);
		char want[PATH_MAX * 2 + 200];
		snprintf(want, sizeof(want), "warning: %s has mode %04o: group or others may read or change the "
			 "secrets in it; it is loaded all the same, but run chmod 600 %s\n", path, (unsigned)exposed[i], path);
		assert_string_equal(w.text, want);
	}
}

static void test_private_file_gives_no_warning(void **state)
{
	struct fixture *f = *state;
	static const mode_t private[] = { 0600, 0400, 0700, 0611 };
	struct diag w;
	for (size_t i = 0; i < sizeof(private) / sizeof(private[0]); i++) {
		assert_non_null(load_with_mode(f, "@a @b : PSK \"kept\"\n", private[i], &w));
		assert_int_equal(w.count, 0);
	}
}

/* Each file is checked: an included one names itself. */
static void test_exposed_include_is_named(void **state)
{
	struct fixture *f = *state;
	tmpdir_write(&f->dir, "inc/x.secrets", "@c @d : PSK \"included\"\n");
	char inc[PATH_MAX];
	tmpdir_file_path(&f->dir, "inc/x.secrets", inc);
	assert_int_equal(chmod(inc, 0644), 0);
	struct diag w;
	assert_non_null(load_with_mode(f, "include inc/x.secrets\n", 0600, &w));
	assert_int_equal(w.count, 1);
	assert_non_null(strstr(w.text, inc));
	assert_non_null(strstr(w.text, "mode 0644"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_forms),
		T(test_empty_file),
		T(test_include),
		T(test_match_precedence),
		T(test_match_none),
		T(test_errors_never_show_the_secret),
		T(test_all_errors_collected),
		T(test_file_errors),
		T(test_error_in_included_file),
		T(test_psks_live_in_key_memory),
		T(test_psk_longer_than_key_memory_is_an_error),
		T(test_exposed_file_is_loaded_with_a_warning),
		T(test_private_file_gives_no_warning),
		T(test_exposed_include_is_named),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
