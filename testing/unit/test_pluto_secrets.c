/* test_pluto_secrets.c: pluto's secrets read again (SIGHUP): a good file
 * replaces the PSKs and says how many; a bad one leaves them as they were
 * and says why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "log.h"
#include "pluto.h"
#include "pluto_secrets.h"
#include "secrets.h"
#include "conf_test_files.h"

struct fixture {
	struct tmpdir dir;
	char path[PATH_MAX];
	char log[8192];		/* every line logged, each ending in '\n' */
};

static void keep_line(void *arg, enum log_level level, const char *line)
{
	(void)level;
	struct fixture *f = arg;
	size_t used = strlen(f->log);
	snprintf(f->log + used, sizeof(f->log) - used, "%s\n", line);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	tmpdir_make(&f->dir);
	tmpdir_file_path(&f->dir, "ipsec.secrets", f->path);
	pluto.secrets_path = f->path;
	tmpdir_write(&f->dir, "ipsec.secrets", "@a @b : PSK \"first\"\n@c @d : PSK \"second\"\n");
	chmod(f->path, 0600);
	struct diag d;
	diag_init(&d);
	if (!pluto_secrets_load(true, &d))
		fail_msg("load failed:\n%s", d.text);
	log_set_tee(keep_line, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	log_set_tee(NULL, NULL);
	secrets_free(pluto.secrets);
	pluto.secrets = NULL;
	pluto.secrets_path = NULL;
	tmpdir_remove(&f->dir);
	free(f);
	return 0;
}

static void assert_logged(const struct fixture *f, const char *line)
{
	char want[PATH_MAX + 300];
	snprintf(want, sizeof(want), "%s\n", line);
	if (strstr(f->log, want) == NULL)
		fail_msg("not logged: %s\nthe log was:\n%s", line, f->log);
}

static void assert_psk_is(const char *local, const char *remote, const char *psk)
{
	const struct psk_entry *e = secrets_find_psk(pluto.secrets, local, remote);
	assert_non_null(e);
	assert_int_equal(e->psk_len, strlen(psk));
	assert_memory_equal(e->psk, psk, e->psk_len);
}

static void test_good_file_replaces_the_psks(void **state)
{
	struct fixture *f = *state;
	tmpdir_write(&f->dir, "ipsec.secrets", "@a @b : PSK \"changed\"\n@e @f : PSK \"new\"\n@g @h : PSK \"more\"\n");
	pluto_secrets_reread("SIGHUP");
	assert_int_equal(pluto.secrets->n, 3);
	assert_psk_is("@a", "@b", "changed");
	assert_psk_is("@e", "@f", "new");
	assert_null(secrets_find_psk(pluto.secrets, "@c", "@d"));
	char line[PATH_MAX + 100];
	snprintf(line, sizeof(line), "SIGHUP: loaded 3 PSK entries from %s", f->path);
	assert_logged(f, line);
}

static void test_bad_file_keeps_the_psks(void **state)
{
	struct fixture *f = *state;
	const struct secrets *before = pluto.secrets;
	tmpdir_write(&f->dir, "ipsec.secrets", "@a @b : PSK \"changed\"\n@c @d : RSA \"nope\"\n");
	pluto_secrets_reread("SIGHUP");
	assert_ptr_equal(pluto.secrets, before);
	assert_int_equal(pluto.secrets->n, 2);
	assert_psk_is("@a", "@b", "first");
	assert_psk_is("@c", "@d", "second");
	char line[PATH_MAX + 100];
	snprintf(line, sizeof(line), "%s:2: RSA secrets are not supported (only PSK)", f->path);
	assert_logged(f, line);
	snprintf(line, sizeof(line), "SIGHUP: %s has errors; keeping the 2 PSK entries loaded before", f->path);
	assert_logged(f, line);
}

/* The file was named: its vanishing is an error, not "no PSKs". */
static void test_missing_file_keeps_the_psks(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(unlink(f->path), 0);
	pluto_secrets_reread("SIGHUP");
	assert_int_equal(pluto.secrets->n, 2);
	assert_psk_is("@a", "@b", "first");
	char line[PATH_MAX + 100];
	snprintf(line, sizeof(line), "SIGHUP: %s has errors; keeping the 2 PSK entries loaded before", f->path);
	assert_logged(f, line);
}

static void test_every_read_warns_about_an_exposed_file(void **state)
{
	struct fixture *f = *state;
	chmod(f->path, 0644);
	pluto_secrets_reread("SIGHUP");
	assert_int_equal(pluto.secrets->n, 2);
	char line[2 * PATH_MAX + 200];
	snprintf(line, sizeof(line), "warning: %s has mode 0644: group or others may read or change the secrets "
		 "in it; it is loaded all the same, but run chmod 600 %s", f->path, f->path);
	assert_logged(f, line);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_good_file_replaces_the_psks),
		T(test_bad_file_keeps_the_psks),
		T(test_missing_file_keeps_the_psks),
		T(test_every_read_warns_about_an_exposed_file),
	};
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
