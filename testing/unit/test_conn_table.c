/* Unit tests of the conn table (connections.h) at the scale of a gateway
 * with thousands of conns: every conn is found by name in file order; a
 * replaced conn keeps its place; deleting the first, a middle or the last
 * one leaves the rest linked; and loading many conns in a batch orients
 * them all from one dump of this host's addresses, not from one lookup for
 * each conn, while a conn added alone is looked up on its own; and what
 * a loaded conn costs in memory (its structs' sizes are printed too);
 * and IKE SAs found by their conn's name among many. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <malloc.h>
#include "connections.h"
#include "ike_sa.h"
#include "diag.h"
#include "ipsecconf.h"
#include "kernel_double.h"

enum { MANY = 2000 };

/* The host holds 10.1.x.y, the addresses of "its" ends; the other ends
 * are 10.2.x.y. The double's own link_for_address calls anything local,
 * so a conn oriented by it alone would take left as its local end. */
static unsigned dumps, lookups;
static bool dump_fails;

static void host_addr(char *s, size_t len, unsigned side, unsigned i)
{
	snprintf(s, len, "10.%u.%u.%u", side, i / 250, i % 250 + 1);
}

static int t_list_addresses(kernel_address_fn *fn, void *arg, struct kernel_err *e)
{
	dumps++;
	if (dump_fails) {
		e->errnum = EIO;
		return -EIO;
	}
	for (unsigned i = 0; i < MANY; i++) {
		char s[32];
		ip_address a;
		host_addr(s, sizeof(s), 1, i);
		assert_true(address_parse(s, &a));
		fn(arg, &a);
	}
	return 0;
}

static int t_link_for_address(const ip_address *a, struct kernel_link *link, struct kernel_err *e)
{
	lookups++;
	return d_link_for_address(a, link, e);
}

static struct kernel_ops table_ops;

/* n conns c0..c(n-1); the odd ones name this host as right. */
static struct ipsec_conf *many_conns(unsigned n)
{
	char path[] = "/tmp/test_conn_table.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	for (unsigned i = 0; i < n; i++) {
		char here[32], there[32];
		host_addr(here, sizeof(here), 1, i);
		host_addr(there, sizeof(there), 2, i);
		fprintf(f, "conn c%u\n\tleft=%s\n\tright=%s\n\tauthby=secret\n\tauto=add\n", i,
			i % 2 ? there : here, i % 2 ? here : there);
	}
	fclose(f);
	struct diag d;
	diag_init(&d);
	struct ipsec_conf *conf = ipsecconf_load(path, &d);
	unlink(path);
	assert_non_null(conf);
	return conf;
}

static struct connection *load(const struct conn_config *cfg, bool *replaced)
{
	struct diag errors, notes;
	diag_init(&errors);
	diag_init(&notes);
	struct connection *c = conn_load(cfg, false, replaced, &errors, &notes);
	assert_non_null(c);
	return c;
}

static int setup(void **state)
{
	(void)state;
	memset(&dbl, 0, sizeof(dbl));
	table_ops = double_ops;
	table_ops.link_for_address = t_link_for_address;
	table_ops.list_addresses = t_list_addresses;
	kernel = &table_ops;
	dumps = lookups = 0;
	dump_fails = false;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	conn_delete_all();
	assert_int_equal(conn_count(), 0);
	assert_null(conn_first());
	return 0;
}

static void test_a_batch_orients_many_conns_from_one_dump(void **state)
{
	(void)state;
	struct ipsec_conf *conf = many_conns(MANY);
	bool replaced;
	conn_batch_begin();
	conn_batch_begin();	/* nested: still one dump */
	for (size_t i = 0; i < conf->nconns; i++)
		load(&conf->conns[i], &replaced);
	conn_batch_end();
	conn_batch_end();
	assert_int_equal(dumps, 1);
	assert_int_equal(lookups, 0);
	assert_int_equal(conn_count(), MANY);
	/* file order, each found by its name, its local end the host's */
	unsigned i = 0;
	for (struct connection *c = conn_first(); c != NULL; c = c->next, i++) {
		char name[16], here[32];
		snprintf(name, sizeof(name), "c%u", i);
		host_addr(here, sizeof(here), 1, i);
		assert_string_equal(c->config->name, name);
		assert_ptr_equal(conn_find(name), c);
		assert_true(c->oriented);
		assert_string_equal(address_str(&c->ends.local, (char[ADDRESS_STR_MAX]){0}), here);
	}
	assert_int_equal(i, MANY);
	assert_null(conn_find("c2000"));
	/* orienting them all again (an address change): one more dump */
	conn_orient_all();
	assert_int_equal(dumps, 2);
	assert_int_equal(lookups, 0);
	ipsecconf_free(conf);
}

static void test_a_conn_loaded_alone_is_looked_up_alone(void **state)
{
	(void)state;
	struct ipsec_conf *conf = many_conns(2);
	bool replaced;
	load(&conf->conns[0], &replaced);
	assert_int_equal(dumps, 0);
	assert_true(lookups >= 1);
	/* a dump that fails: each end is looked up as without a batch */
	dump_fails = true;
	lookups = 0;
	conn_batch_begin();
	load(&conf->conns[1], &replaced);
	conn_batch_end();
	assert_int_equal(dumps, 1);
	assert_true(lookups >= 1);
	assert_true(conn_find("c1")->oriented);
	ipsecconf_free(conf);
}

static void assert_order(const char *const *names, size_t n)
{
	size_t i = 0;
	for (struct connection *c = conn_first(); c != NULL; c = c->next, i++) {
		assert_true(i < n);
		assert_string_equal(c->config->name, names[i]);
	}
	assert_int_equal(i, n);
	assert_int_equal(conn_count(), n);
}

static void test_replacing_keeps_the_place_and_deleting_unlinks(void **state)
{
	(void)state;
	struct ipsec_conf *conf = many_conns(5);
	bool replaced;
	for (size_t i = 0; i < conf->nconns; i++) {
		load(&conf->conns[i], &replaced);
		assert_false(replaced);
	}
	struct connection *old = conn_ref(conn_find("c2"));
	struct connection *now = load(&conf->conns[2], &replaced);
	assert_true(replaced);
	assert_ptr_not_equal(now, old);
	assert_true(old->unloaded);
	assert_ptr_equal(conn_find("c2"), now);
	conn_unref(old);
	assert_order((const char *[]){ "c0", "c1", "c2", "c3", "c4" }, 5);
	/* the last one replaced: still last */
	load(&conf->conns[4], &replaced);
	assert_true(replaced);
	assert_order((const char *[]){ "c0", "c1", "c2", "c3", "c4" }, 5);
	assert_true(conn_delete("c0"));
	assert_true(conn_delete("c4"));
	assert_true(conn_delete("c2"));
	assert_false(conn_delete("c2"));
	assert_null(conn_find("c2"));
	assert_order((const char *[]){ "c1", "c3" }, 2);
	/* added again: at the end */
	load(&conf->conns[0], &replaced);
	assert_false(replaced);
	assert_order((const char *[]){ "c1", "c3", "c0" }, 3);
	assert_true(conn_delete("c1"));
	assert_true(conn_delete("c3"));
	assert_true(conn_delete("c0"));
	assert_order(NULL, 0);
	/* an emptied table takes conns again */
	load(&conf->conns[3], &replaced);
	assert_order((const char *[]){ "c3" }, 1);
	ipsecconf_free(conf);
}

/* Every SA of a conn's name, met once by ike_sa_next_of_conn. */
static unsigned sas_of(const char *name)
{
	unsigned n = 0;
	for (struct ike_sa *ike = ike_sa_next_of_conn(NULL, name); ike != NULL; ike = ike_sa_next_of_conn(ike, name)) {
		assert_string_equal(ike->c->config->name, name);
		n++;
	}
	return n;
}

/* IKE SAs are found by their conn's name (a hash: status and each
 * initiation ask, for every conn): among many conns each with its SAs,
 * the newest standing for it, all of its SAs once each, and none once
 * they moved to another conn or were freed. */
static void test_ike_sas_are_found_by_their_conns_name(void **state)
{
	(void)state;
	enum { CONNS = 300, EACH = 3 };
	struct ipsec_conf *conf = many_conns(CONNS);
	bool replaced;
	for (size_t i = 0; i < conf->nconns; i++)
		load(&conf->conns[i], &replaced);
	struct ike_sa *sa[CONNS][EACH];
	for (unsigned i = 0; i < CONNS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "c%u", i);
		for (unsigned k = 0; k < EACH; k++)
			sa[i][k] = ike_sa_new(conn_find(name), true, 0);
	}
	assert_int_equal(ike_sa_count(), CONNS * EACH);
	assert_ptr_equal(ike_sa_of_conn("c7"), sa[7][EACH - 1]);
	assert_int_equal(sas_of("c7"), EACH);
	assert_null(ike_sa_of_conn("c9999"));
	assert_int_equal(sas_of("c9999"), 0);
	/* the newest of c7 is rekeyed away: the one before stands for it */
	sa[7][EACH - 1]->replaced_by = 1;
	assert_ptr_equal(ike_sa_of_conn("c7"), sa[7][EACH - 2]);
	/* a responder's SA that IKE_AUTH gives to another conn */
	ike_sa_set_conn(sa[7][0], conn_find("c8"));
	assert_int_equal(sas_of("c7"), EACH - 1);
	assert_int_equal(sas_of("c8"), EACH + 1);
	for (unsigned i = 0; i < CONNS; i++) {
		for (unsigned k = 0; k < EACH; k++)
			ike_sa_free(sa[i][k], 0);
	}
	assert_int_equal(sas_of("c8"), 0);
	assert_null(ike_sa_first());
	ipsecconf_free(conf);
}

/* The heap in use, as glibc's malloc counts it; 0 under a malloc of
 * another's (ASan, valgrind), where nothing can be measured. */
static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}

static void print_sizes(void)
{
	printf("# sizeof: struct connection %zu (ends %zu, log %zu, retry %zu, offload %zu), "
	       "struct conn_config %zu (end_config %zu each), a shared proposal list %zu\n",
	       sizeof(struct connection), sizeof(struct ends), sizeof(struct logger), sizeof(struct conn_retry),
	       sizeof(struct offload_policy), sizeof(struct conn_config), sizeof(struct end_config),
	       sizeof(struct alg_proposals));
}

/* Budgets, in bytes of heap a conn: what pluto holds for a loaded conn
 * (its struct connection and its copy of the config), and that with the
 * config it keeps from the file. Both were above 13,000 while a config
 * held its proposal lists as two 5 kB arrays, and struct connection its
 * why texts as fixed buffers. */
enum { LOADED_CONN_BUDGET = 4096, CONFIG_AND_CONN_BUDGET = 6144 };

static void test_a_loaded_conn_costs_little_memory(void **state)
{
	(void)state;
	print_sizes();
	/* no proposal list inside a config: it holds the shared ones */
	assert_true(sizeof(struct conn_config) < sizeof(struct alg_proposals));
	size_t start = heap_in_use();
	struct ipsec_conf *conf = many_conns(MANY);
	size_t parsed = heap_in_use();
	bool replaced;
	conn_batch_begin();
	for (size_t i = 0; i < conf->nconns; i++)
		load(&conf->conns[i], &replaced);
	conn_batch_end();
	size_t loaded = heap_in_use();
	if (start == 0 || loaded <= parsed) {
		ipsecconf_free(conf);
		printf("# skipped: the heap in use cannot be read here (ASan or valgrind replaces glibc's malloc); "
		       "the plain build (make check-unit) checks the budget\n");
		skip();
	}
	size_t per_loaded = (loaded - parsed) / MANY, per_all = (loaded - start) / MANY;
	printf("# heap a conn: %zu bytes loaded, %zu with its config from the file (%d conns)\n",
	       per_loaded, per_all, MANY);
	assert_true(per_loaded < LOADED_CONN_BUDGET);
	assert_true(per_all < CONFIG_AND_CONN_BUDGET);
	ipsecconf_free(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_batch_orients_many_conns_from_one_dump, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_conn_loaded_alone_is_looked_up_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replacing_keeps_the_place_and_deleting_unlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ike_sas_are_found_by_their_conns_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_loaded_conn_costs_little_memory, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
