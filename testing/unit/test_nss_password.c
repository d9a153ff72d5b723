/* test_nss_password.c: the NSS password file (nss_password.h): the line
 * of the token asked for, comments and blank lines, line ends, long
 * lines, and errors that name file and line but never show a password. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "nss_password.h"
#include "secmem.h"
#include "conf_test_files.h"

#define TOKEN "NSS Certificate DB"
#define FIPS_TOKEN "NSS FIPS 140-2 Certificate DB"
#define SECRET_MARK "s3cr3t"	/* in every password of the error tests */

struct fixture {
	struct tmpdir dir;
	struct diag d, warnings;
	char *password;
	char path[PATH_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	tmpdir_make(&f->dir);
	tmpdir_file_path(&f->dir, "nsspassword", f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	nss_password_free(f->password);
	tmpdir_remove(&f->dir);
	free(f);
	return 0;
}

static enum nss_password_found find_in(struct fixture *f, const char *text, const char *token)
{
	tmpdir_write(&f->dir, "nsspassword", text);
	chmod(f->path, 0600);
	nss_password_free(f->password);
	diag_init(&f->d);
	diag_init(&f->warnings);
	return nss_password_find(f->path, token, &f->password, &f->d, &f->warnings);
}

static void expect_password(struct fixture *f, const char *text, const char *token, const char *want)
{
	assert_int_equal(find_in(f, text, token), NSS_PASSWORD_FOUND);
	assert_int_equal(f->d.count, 0);
	assert_non_null(f->password);
	assert_string_equal(f->password, want);
	assert_true(secmem_owns(f->password));
}

static void test_the_tokens_line(void **state)
{
	struct fixture *f = *state;
	const char *two = FIPS_TOKEN ":fips-pw\n" TOKEN ":db-pw\n";
	expect_password(f, two, TOKEN, "db-pw");
	expect_password(f, two, FIPS_TOKEN, "fips-pw");
	/* the first line of a token counts */
	expect_password(f, TOKEN ":first\n" TOKEN ":second\n", TOKEN, "first");
	/* a token's name is matched whole, case and all */
	assert_int_equal(find_in(f, "NSS Certificate DB2:x\nnss certificate db:y\n", TOKEN), NSS_PASSWORD_NO_TOKEN);
	assert_null(f->password);
	assert_int_equal(f->d.count, 0);
}

/* The password is the rest of the line: ':', '#' and blanks are its own. */
static void test_the_rest_of_the_line(void **state)
{
	struct fixture *f = *state;
	expect_password(f, TOKEN ":a:b # c \n", TOKEN, "a:b # c ");
	expect_password(f, TOKEN ":\n", TOKEN, "");
}

static void test_comments_blank_lines_and_line_ends(void **state)
{
	struct fixture *f = *state;
	expect_password(f, "# the database's password\n\n   \n\t# indented comment\n" TOKEN ":pw\n\n", TOKEN, "pw");
	expect_password(f, TOKEN ":no-newline", TOKEN, "no-newline");
	expect_password(f, TOKEN ":crlf\r\n", TOKEN, "crlf");
	assert_int_equal(find_in(f, "", TOKEN), NSS_PASSWORD_NO_TOKEN);
	assert_int_equal(find_in(f, "# only a comment\n", TOKEN), NSS_PASSWORD_NO_TOKEN);
}

static void test_long_lines(void **state)
{
	struct fixture *f = *state;
	/* longer than the first line buffer: getline grows it */
	size_t n = 10000;
	char *text = calloc(1, n + 64);
	snprintf(text, n + 64, "%s:%0*d\n", "some other token", (int)n, 0);
	strcat(text, TOKEN ":after-a-long-line\n");
	expect_password(f, text, TOKEN, "after-a-long-line");
	/* the longest password key memory holds, and one byte more */
	char *pw = malloc(SECMEM_MAX);
	memset(pw, 'p', SECMEM_MAX - 1);
	pw[SECMEM_MAX - 1] = '\0';
	snprintf(text, n + 64, "%s:%s\n", TOKEN, pw);
	expect_password(f, text, TOKEN, pw);
	snprintf(text, n + 64, "%s:%sq\n", TOKEN, pw);
	assert_int_equal(find_in(f, text, TOKEN), NSS_PASSWORD_ERROR);
	assert_null(f->password);
	assert_true(diag_has_line_in(&f->d, &f->dir, "nsspassword:1: the password is longer than 4095 bytes, the most pluto keeps in key memory"));
	free(pw);
	free(text);
}

static void test_line_without_colon(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(find_in(f, "# comment\n" TOKEN ":good\n" SECRET_MARK "-bare\n", TOKEN), NSS_PASSWORD_ERROR);
	assert_null(f->password);
	assert_int_equal(f->d.count, 1);
	assert_true(diag_has_line_in(&f->d, &f->dir,
		"nsspassword:3: expected TOKEN:PASSWORD (no ':' found; the line is not shown: it may hold a password)"));
	assert_null(strstr(f->d.text, SECRET_MARK));
	assert_int_equal(find_in(f, ":" SECRET_MARK "\n", TOKEN), NSS_PASSWORD_ERROR);
	assert_true(diag_has_line_in(&f->d, &f->dir, "nsspassword:1: expected TOKEN:PASSWORD (no token name before ':')"));
	assert_null(strstr(f->d.text, SECRET_MARK));
}

static void test_no_file(void **state)
{
	struct fixture *f = *state;
	diag_init(&f->d);
	assert_int_equal(nss_password_find(f->path, TOKEN, &f->password, &f->d, NULL), NSS_PASSWORD_NO_FILE);
	assert_null(f->password);
	assert_int_equal(f->d.count, 0);
	/* a directory where the file should be cannot be read: an error */
	assert_int_equal(nss_password_find(f->dir.path, TOKEN, &f->password, &f->d, NULL), NSS_PASSWORD_ERROR);
	assert_int_equal(f->d.count, 1);
}

/* The same check as ipsec.secrets gets (secret_file.h). */
static void test_exposed_file_warns(void **state)
{
	struct fixture *f = *state;
	find_in(f, TOKEN ":pw\n", TOKEN);
	assert_int_equal(f->warnings.count, 0);
	assert_int_equal(chmod(f->path, 0644), 0);
	nss_password_free(f->password);
	diag_init(&f->d);
	assert_int_equal(nss_password_find(f->path, TOKEN, &f->password, &f->d, &f->warnings), NSS_PASSWORD_FOUND);
	assert_int_equal(f->warnings.count, 1);
	assert_non_null(strstr(f->warnings.text, "has mode 0644: group or others may read or change the secrets in it"));
	assert_null(strstr(f->warnings.text, "pw\n"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_the_tokens_line),
		T(test_the_rest_of_the_line),
		T(test_comments_blank_lines_and_line_ends),
		T(test_long_lines),
		T(test_line_without_colon),
		T(test_no_file),
		T(test_exposed_file_warns),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
