/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: hardware threads of a core stay with one kernel. Reading the
 * core grouping (the kpart file cpu_cores, sysfs thread_siblings_list, or
 * nothing), the "smt_split" plan key, validation of cpulists that split a
 * core, placement by count in whole cores, and the order of smt_split and
 * cpus writes in a diff (checked against a model of the kernel's rules).
 *
 * The machine built by hand: CPUs 0-7, two threads per core (0-1, 2-3,
 * 4-5, 6-7), node 0: 0-3, node 1: 4-7, a 4G pool.
 */
#include "plan_fx.h"

#include <errno.h>

#define HEAD "{\"version\":1,\"pool\":{\"size\":\"4G\"},"
#define K "\"kernel\":\"/boot/kpart/bzImage\""
/* A plan of the partitions given (PART and SPLIT, joined by ",") */
#define PLAN(parts) HEAD "\"partitions\":[" parts "]}"
#define PART(name, cpus) "{\"name\":\"" name "\",\"cpus\":" cpus ",\"memory\":\"64M\"," K "}"
#define SPLIT(name, cpus)                                                                          \
	"{\"name\":\"" name "\",\"cpus\":" cpus ",\"smt_split\":true,\"memory\":\"64M\"," K "}"

/* ------------------------------------------------------------- machines */

static void add_core(struct inventory *inv, const char *list)
{
	struct cpuset s;

	cpuset_init(&s);
	assert_int_equal(cpuset_parse(&s, list, NULL, 0), 0);
	assert_int_equal(inventory_add_core(inv, &s), 0);
	cpuset_free(&s);
}

static struct inventory *smt_machine(const char *file_root)
{
	struct inventory *inv = inventory_new();
	unsigned c;

	assert_non_null(inv);
	for (c = 0; c < 8; c++)
		assert_int_equal(inventory_add_cpu(inv, c, c < 4 ? 0 : 1), 0);
	add_core(inv, "0-1");
	add_core(inv, "2-3");
	add_core(inv, "4-5");
	add_core(inv, "6-7");
	inv->pool_size = inv->pool_free = inv->pool_available = 4ull << 30;
	inv->file_root = strdup(file_root);
	return inv;
}

/* A live partition on the hand-built machine. */
static struct inv_partition *live(struct inventory *inv, const char *name, const char *cpus,
				  bool smt_split, enum part_state st)
{
	struct inv_partition *p = inventory_add_partition(inv, name);

	assert_non_null(p);
	assert_int_equal(cpuset_parse(&p->cpus, cpus, NULL, 0), 0);
	p->smt_split = smt_split;
	p->state = st;
	p->memory = 64ull << 20;
	free(p->kernel);
	p->kernel = strdup("/boot/kpart/bzImage");
	inventory_sort(inv);
	cpuset_or(&inv->assigned, &p->cpus);
	return p;
}

static void put(const char *root, const char *rel, const char *content)
{
	char path[1024], *slash;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	/* make the directories on the way */
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	write_bytes(path, content, strlen(content));
}

static char *tmp_root(void)
{
	char *root = strdup("/tmp/kpart-smt-test.XXXXXX");

	assert_non_null(mkdtemp(root));
	return root;
}

static struct inventory *read_root(const char *root)
{
	char k[600], s[600], err[256] = "";
	struct inventory *inv;

	snprintf(k, sizeof(k), "%s/kpart", root);
	snprintf(s, sizeof(s), "%s/sys", root);
	inv = inventory_read(k, s, err, sizeof(err));
	if (!inv)
		fail_msg("inventory_read(%s): %s", root, err);
	return inv;
}

static void assert_core(const struct inventory *inv, unsigned c, const char *want)
{
	struct cpuset s;
	char *t;

	cpuset_init(&s);
	assert_int_equal(inventory_core_of(inv, c, &s), 0);
	t = cpuset_format(&s);
	if (strcmp(t, want))
		fail_msg("core of CPU %u is %s, expected %s", c, t, want);
	free(t);
	cpuset_free(&s);
}

static const char *json_path_str(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, a, &v));
	if (b)
		assert_true(json_object_object_get_ex(v, b, &v));
	return json_object_get_string(v);
}

/* ------------------------------------------------------------ inventory */

static void test_cores_from_kpart(void **state)
{
	char *root = tmp_root();
	struct inventory *inv;
	struct json_object *j, *cores, *parts;

	(void)state;
	put(root, "sys/devices/system/cpu/present", "0-7\n");
	/* sysfs says otherwise: the kpart file wins (it knows offline CPUs too) */
	put(root, "sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "0,4\n");
	put(root, "kpart/version", "1\n");
	put(root, "kpart/pool_size", "4294967296\n");
	put(root, "kpart/cpu_cores", "0-1\n2-3\n4-5\n6-7\n");
	put(root, "kpart/split/cpus", "3\n");
	put(root, "kpart/split/smt_split", "1\n");
	put(root, "kpart/split/state", "stopped\n");
	put(root, "kpart/whole/cpus", "4-5\n");
	put(root, "kpart/whole/smt_split", "0\n");
	put(root, "kpart/older/cpus", "6-7\n"); /* a module without smt_split */
	inv = read_root(root);

	assert_int_equal(inv->cores_source, CORES_KPART);
	assert_false(inv->no_smt_split);
	assert_int_equal(inv->threads_per_core, 2);
	assert_core(inv, 0, "0-1");
	assert_core(inv, 3, "2-3");
	assert_core(inv, 4, "4-5");
	assert_core(inv, 7, "6-7");
	assert_int_equal(inventory_core_size(inv, 6), 2);
	assert_true(inventory_find(inv, "split")->smt_split);
	assert_false(inventory_find(inv, "whole")->smt_split);
	assert_false(inventory_find(inv, "older")->smt_split);

	j = inventory_to_json(inv);
	assert_int_equal(json_object_get_int(json_object_object_get(
			     json_object_object_get(j, "cpus"), "threads_per_core")),
			 2);
	assert_string_equal(json_path_str(j, "cpus", "cores_from"), "kpart");
	assert_true(json_object_object_get_ex(json_object_object_get(j, "cpus"), "cores", &cores));
	assert_string_equal(json_object_to_json_string_ext(cores, JSON_C_TO_STRING_PLAIN),
			    "[\"0-1\",\"2-3\",\"4-5\",\"6-7\"]");
	assert_true(json_object_object_get_ex(j, "partitions", &parts));
	/* sorted: older, split, whole */
	assert_false(json_object_get_boolean(
	    json_object_object_get(json_object_array_get_idx(parts, 0), "smt_split")));
	assert_true(json_object_get_boolean(
	    json_object_object_get(json_object_array_get_idx(parts, 1), "smt_split")));
	json_object_put(j);
	inventory_free(inv);
	remove_tree(root);
	free(root);
}

static void test_cores_from_sysfs(void **state)
{
	char *root = tmp_root();
	struct inventory *inv;
	struct json_object *j, *cores;
	static const char *const sib[] = {"0,4", "1,5", "2,6", NULL, "0,4", "1,5", "2,6", NULL};
	char rel[128];
	unsigned c;

	(void)state;
	put(root, "sys/devices/system/cpu/present", "0-7\n");
	/* threads N and N+4 share a core; 3 and 7 are offline: no topology there */
	for (c = 0; c < 8; c++) {
		if (!sib[c])
			continue;
		snprintf(rel, sizeof(rel),
			 "sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", c);
		put(root, rel, sib[c]);
	}
	put(root, "kpart/version", "1\n");
	inv = read_root(root);

	assert_int_equal(inv->cores_source, CORES_SYSFS);
	assert_true(inv->no_smt_split); /* an older module: no cpu_cores, no smt_split */
	assert_int_equal(inv->threads_per_core, 2);
	assert_core(inv, 0, "0,4");
	assert_core(inv, 5, "1,5");
	assert_core(inv, 6, "2,6");
	assert_core(inv, 3, "3");
	assert_core(inv, 7, "7");
	j = inventory_to_json(inv);
	assert_string_equal(json_path_str(j, "cpus", "cores_from"), "sysfs");
	assert_true(json_object_object_get_ex(json_object_object_get(j, "cpus"), "cores", &cores));
	assert_string_equal(json_object_to_json_string_ext(cores, JSON_C_TO_STRING_PLAIN),
			    "[\"0,4\",\"1,5\",\"2,6\",\"3\",\"7\"]");
	json_object_put(j);
	inventory_free(inv);
	remove_tree(root);
	free(root);
}

static void test_cores_unknown(void **state)
{
	struct inventory *inv = load_fixture("flat", NULL);
	struct json_object *j, *cores;
	unsigned c;

	(void)state;
	/* neither cpu_cores nor sysfs topology: every CPU is a core of its own */
	assert_int_equal(inv->cores_source, CORES_NONE);
	assert_int_equal(inv->threads_per_core, 1);
	for (c = 0; c < 4; c++)
		assert_int_equal(inventory_core_size(inv, c), 1);
	j = inventory_to_json(inv);
	assert_string_equal(json_path_str(j, "cpus", "cores_from"), "none");
	assert_true(json_object_object_get_ex(json_object_object_get(j, "cpus"), "cores", &cores));
	assert_int_equal(json_object_array_length(cores), 4);
	json_object_put(j);
	inventory_free(inv);
}

static void test_add_core_by_hand(void **state)
{
	struct inventory *inv = inventory_new();

	(void)state;
	assert_int_equal(inventory_add_cpu(inv, 0, 0), 0);
	assert_int_equal(inventory_add_cpu(inv, 1, 0), 0);
	assert_int_equal(inventory_add_cpu(inv, 2, 0), 0);
	assert_int_equal(inv->threads_per_core, 1);
	assert_core(inv, 1, "1");
	add_core(inv, "0-1,9"); /* 9 is not present: left out */
	assert_core(inv, 1, "0-1");
	add_core(inv, "1-2"); /* 1 is taken already: 2 stays alone */
	assert_core(inv, 2, "2");
	assert_core(inv, 0, "0-1");
	assert_int_equal(inv->threads_per_core, 2);
	inventory_free(inv);
}

/* ------------------------------------------------------------ plan format */

static void test_parse_key(void **state)
{
	struct problems ps;
	struct plan *p;
	struct json_object *j, *v;

	(void)state;
	problems_init(&ps);
	p = parse_str(PLAN(SPLIT("a", "\"2\"") "," PART("b", "\"4-5\"")), &ps);
	assert_non_null(p);
	assert_no_errors(&ps);
	assert_int_equal(ps.n, 0); /* not an unknown key */
	assert_true(p->parts[0].smt_split);
	assert_false(p->parts[1].smt_split); /* default */
	j = plan_to_json(p);
	assert_true(json_object_object_get_ex(j, "partitions", &v));
	assert_true(json_object_get_boolean(
	    json_object_object_get(json_object_array_get_idx(v, 0), "smt_split")));
	json_object_put(j);
	plan_free(p);
	problems_free(&ps);

	problems_init(&ps);
	p = parse_str(HEAD "\"partitions\":[{\"name\":\"a\",\"cpus\":\"2-3\",\"smt_split\":1,"
			   "\"memory\":\"64M\"," K "}]}",
		      &ps);
	assert_non_null(p);
	assert_problem(&ps, "/partitions/0/smt_split", "must be true or false, not a number");
	plan_free(p);
	problems_free(&ps);
}

/* ------------------------------------------------------------ validation */

static int setup(void **state)
{
	*state = fx_new(smt_machine);
	return 0;
}

static void assert_cpus(struct fx *f, size_t i, const char *want)
{
	char *s = cpuset_format(&f->plan->parts[i].cpus);

	if (strcmp(s, want)) {
		dump_problems(&f->ps);
		fail_msg("partition %zu got CPUs %s, expected %s", i, s, want);
	}
	free(s);
}

static const struct problem *must_find(struct fx *f, const char *path, const char *needle)
{
	const struct problem *p = find_problem(&f->ps, path, needle);

	if (!p) {
		dump_problems(&f->ps);
		fail_msg("no problem at %s containing \"%s\"", path, needle);
	}
	return p;
}

static void test_whole_cores_are_fine(void **state)
{
	struct fx *f = *state;

	assert_int_equal(check(f, PLAN(PART("a", "\"2-5\"") "," PART("b", "\"6-7\""))), 0);
	assert_int_equal(f->ps.n, 0);
}

static void test_sibling_left_to_boot_kernel(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(check(f, PLAN(PART("a", "\"2\""))), 1);
	p = must_find(f, "/partitions/0/cpus",
		      "CPU 2 shares a core with CPU 3, which this partition does not get");
	assert_int_equal(p->severity, PROBLEM_ERROR);
	assert_string_equal(p->holder, "the boot kernel (no partition of this plan gets CPU 3)");
	assert_string_equal(p->hint, "add CPU 3, or set \"smt_split\": true");
}

static void test_sibling_in_other_partition(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(check(f, PLAN(PART("a", "\"2,4-5\"") "," PART("b", "\"3\""))), 2);
	p = must_find(f, "/partitions/0/cpus", "CPU 2 shares a core with CPU 3,");
	assert_string_equal(p->holder, "/partitions/1 (b) in this plan");
	assert_string_equal(p->hint, "drop CPU 2, or set \"smt_split\": true");
	p = must_find(f, "/partitions/1/cpus", "CPU 3 shares a core with CPU 2,");
	assert_string_equal(p->holder, "/partitions/0 (a) in this plan");
}

static void test_sibling_is_cpu0(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(check(f, PLAN(PART("a", "\"1-3\""))), 1);
	p = must_find(f, "/partitions/0/cpus",
		      "CPU 1 shares a core with CPU 0, which this partition does not get");
	assert_string_equal(p->holder, "the boot kernel (CPU 0 always stays with it)");
	assert_string_equal(p->hint, "drop CPU 1, or set \"smt_split\": true");
}

static void test_sibling_in_boot_cpus(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(
	    check(f, HEAD "\"boot_cpus\":\"0-2\",\"partitions\":[" PART("a", "\"3-5\"") "]}"), 1);
	p = must_find(f, "/partitions/0/cpus", "CPU 3 shares a core with CPU 2");
	assert_string_equal(p->holder, "the boot kernel (/boot_cpus is \"0-2\")");
}

static void test_several_split_cores(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	/* one problem per partition, naming the other threads it leaves out */
	assert_int_equal(check(f, PLAN(PART("a", "\"2,4,6\""))), 1);
	p = must_find(f, "/partitions/0/cpus",
		      "CPU 2 shares a core with CPU 3, which this partition does not get (nor "
		      "CPUs 5,7, other threads of its cores)");
	assert_string_equal(p->hint, "add CPUs 3,5,7, or set \"smt_split\": true");
}

static void test_smt_split_allows_it(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(check(f, PLAN(SPLIT("a", "\"1,2\"") "," SPLIT("b", "\"3\""))), 0);
	/* a warning says what is shared */
	p = must_find(f, "/partitions/0/cpus", "CPU 1 shares a core with CPU 0");
	assert_int_equal(p->severity, PROBLEM_WARNING);
	assert_non_null(strstr(p->holder, "the boot kernel (CPU 0 always stays with it)"));
	assert_non_null(strstr(p->holder, "/partitions/1 (b) in this plan"));
	assert_non_null(strstr(p->hint, "caches, TLBs and branch predictors"));
	p = must_find(f, "/partitions/1/cpus", "CPU 3 shares a core with CPU 2");
	assert_int_equal(p->severity, PROBLEM_WARNING);
}

/* Without SMT (or without knowing about it) nothing changes. */
static void test_no_smt_machine(void **state)
{
	struct fx *f = *state;

	inventory_free(f->inv);
	f->inv = inventory_new();
	for (unsigned c = 0; c < 8; c++)
		inventory_add_cpu(f->inv, c, 0);
	f->inv->pool_size = 4ull << 30;
	f->inv->file_root = strdup(f->root);
	assert_int_equal(check(f, PLAN(PART("a", "\"1\"") "," PART("b", "{\"count\":3}"))), 0);
	assert_int_equal(f->ps.n, 0);
	assert_cpus(f, 1, "2-4");
}

/* ------------------------------------------------------------- placement */

static void test_count_takes_whole_cores(void **state)
{
	struct fx *f = *state;

	/* CPU 1 is free but its core is CPU 0's: a count never takes it; a
	 * cpulist that splits core 4-5 (allowed) leaves its other half out too */
	assert_int_equal(check(f, PLAN(PART("a", "{\"count\":2}") "," SPLIT("x", "\"5\"") "," PART(
				      "b", "{\"count\":2}"))),
			 0);
	assert_cpus(f, 0, "2-3");
	assert_cpus(f, 2, "6-7");
	assert_null(find_problem(&f->ps, "/partitions/0/cpus", NULL));
	assert_null(find_problem(&f->ps, "/partitions/2/cpus", NULL));
}

static void test_count_numa_whole_cores(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(check(f, PLAN(PART("a", "{\"count\":4}"))), 0);
	assert_cpus(f, 0, "4-7"); /* node 0 has only one whole free core (2-3) */
	plan_free(f->plan);
	problems_free(&f->ps);

	/* node 1 has 4-7, x takes half of core 4-5: one whole core is left */
	assert_int_equal(
	    check(f, PLAN(SPLIT("x", "\"4\"") "," PART("a", "{\"count\":4,\"numa_node\":1}"))), 1);
	p = must_find(f, "/partitions/1/cpus",
		      "needs 4 CPUs on NUMA node 1 but only 2 of its CPUs (4-7) are free in "
		      "whole cores");
	assert_int_equal(p->severity, PROBLEM_ERROR);
}

static void test_count_that_splits_a_core(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(check(f, PLAN(PART("a", "{\"count\":3}") "," PART(
				      "b", "{\"count\":1,\"numa_node\":1}"))),
			 2);
	p = must_find(f, "/partitions/0/cpus/count",
		      "count 3 would split a core: this machine has 2 threads per core");
	assert_string_equal(p->hint, "ask for 2 or 4 CPUs, or set \"smt_split\": true");
	p = must_find(f, "/partitions/1/cpus/count", "count 1 would split a core");
	assert_string_equal(p->hint, "ask for 2 CPUs, or set \"smt_split\": true");
	assert_true(cpuset_empty(&f->plan->parts[0].cpus));
}

static void test_count_with_smt_split(void **state)
{
	struct fx *f = *state;

	/* whole cores first, then the free half of a core split already (CPU 0's) */
	assert_int_equal(check(f, PLAN(SPLIT("a", "{\"count\":3}") "," PART("b", "{\"count\":4}"))),
			 0);
	assert_cpus(f, 0, "1-3");
	assert_cpus(f, 1, "4-7");
	must_find(f, "/partitions/0/cpus", "CPU 1 shares a core with CPU 0");
}

/* Cores of different sizes (performance cores with two threads, efficiency
 * cores with one): counts are made of whole cores that add up exactly. */
static void test_count_mixed_cores(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	inventory_free(f->inv);
	f->inv = inventory_new();
	for (unsigned c = 0; c < 7; c++)
		inventory_add_cpu(f->inv, c, 0);
	add_core(f->inv, "0-1");
	add_core(f->inv, "2-3");
	add_core(f->inv, "4-5");
	f->inv->pool_size = 4ull << 30;
	f->inv->file_root = strdup(f->root);
	assert_int_equal(check(f, PLAN(PART("a", "{\"count\":3}") "," PART("b", "{\"count\":1}"))),
			 1);
	assert_cpus(f, 0, "2-3,6"); /* a core of 2 and one of 1; 4-5 would not fit */
	p = must_find(f, "/partitions/1/cpus",
		      "no whole free cores of NUMA node 0 add up to exactly 1 CPU");
	assert_int_equal(p->severity, PROBLEM_ERROR);
}

static void test_keep_live_only_whole(void **state)
{
	struct fx *f = *state;

	/* a live partition that splits core 2-3 and 4-5 is moved to whole cores
	 * once the plan does not allow splitting; a whole one stays */
	live(f->inv, "p", "3-4", true, PART_STOPPED);
	live(f->inv, "q", "6-7", false, PART_STOPPED);
	assert_int_equal(check(f, PLAN(PART("q", "{\"count\":2}") "," PART("p", "{\"count\":2}"))),
			 0);
	assert_cpus(f, 0, "6-7");
	assert_cpus(f, 1, "2-3");
}

/* ------------------------------------------------------------------ diff */

/*
 * The kernel's rules for cpus and smt_split (kmod/cpu.c, kmod/fs.c) on the
 * hand-built machine: a cpus write that splits a core is refused while
 * smt_split is 0, and smt_split 0 is refused while cpus split a core. A
 * module older than smt_split refuses neither (and has no smt_split file).
 */
struct model {
	char name[KPART_NAME_MAX];
	struct cpuset cpus;
	bool smt;
	bool exists;
};

static bool splits(const struct inventory *inv, const struct cpuset *s)
{
	for (int c = cpuset_next(s, 0); c >= 0; c = cpuset_next(s, (unsigned)c + 1))
		for (unsigned t = inv->sibling[c]; t != (unsigned)c; t = inv->sibling[t])
			if (!cpuset_test(s, t))
				return true;
	return false;
}

static struct model *model_of(struct model *m, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(m[i].name, name))
			return &m[i];
	fail_msg("no model partition %s", name);
	return NULL;
}

static void model_apply(const struct inventory *inv, struct model *m, size_t n,
			const struct plan_action *a, const char *value)
{
	struct model *p = model_of(m, n, a->name);

	if (a->type == ACT_CREATE) {
		p->exists = true;
		p->smt = false;
		cpuset_zero(&p->cpus);
	} else if (a->type == ACT_DELETE) {
		p->exists = false;
	} else if (a->type == ACT_SET && !strcmp(a->attr, "cpus")) {
		struct cpuset s;

		cpuset_init(&s);
		assert_int_equal(cpuset_parse(&s, value, NULL, 0), 0);
		if (!p->smt && !inv->no_smt_split && splits(inv, &s))
			fail_msg("%s: cpus '%s' refused: splits a core while smt_split is 0",
				 a->name, value);
		cpuset_copy(&p->cpus, &s);
		cpuset_free(&s);
	} else if (a->type == ACT_SET && !strcmp(a->attr, "smt_split")) {
		bool v = !strcmp(value, "1");

		if (inv->no_smt_split)
			fail_msg("%s: no smt_split file in a module older than it", a->name);
		if (!v && splits(inv, &p->cpus))
			fail_msg("%s: smt_split 0 refused: its cpus split a core", a->name);
		p->smt = v;
	}
}

/*
 * Run the actions through the model, starting from the live partitions,
 * then undo them in reverse order: both must get through.
 */
static void model_run(struct fx *f)
{
	struct model m[8];
	size_t n = 0, i;

	memset(m, 0, sizeof(m));
	for (i = 0; i < f->inv->nparts; i++, n++) {
		snprintf(m[n].name, sizeof(m[n].name), "%s", f->inv->parts[i].name);
		cpuset_copy(&m[n].cpus, &f->inv->parts[i].cpus);
		m[n].smt = f->inv->parts[i].smt_split;
		m[n].exists = true;
	}
	for (i = 0; i < f->plan->nparts; i++)
		if (!inventory_find(f->inv, f->plan->parts[i].name))
			snprintf(m[n++].name, sizeof(m[0].name), "%s", f->plan->parts[i].name);
	for (i = 0; i < f->as.n; i++)
		model_apply(f->inv, m, n, &f->as.v[i], f->as.v[i].value);
	for (i = f->as.n; i-- > 0;) {
		const struct plan_action *a = &f->as.v[i];

		if (a->type == ACT_SET && a->old)
			model_apply(f->inv, m, n, a, a->old);
	}
	for (i = 0; i < n; i++)
		cpuset_free(&m[i].cpus);
}

/* Validate plan_text (must pass), render its diff (fx_diff_text) and run it on the model. */
static const char *diff(struct fx *f, const char *plan_text)
{
	if (check(f, plan_text)) {
		dump_problems(&f->ps);
		fail_msg("plan does not validate");
	}
	fx_diff_text(f);
	model_run(f);
	return f->text;
}

static void test_diff_new_partitions(void **state)
{
	struct fx *f = *state;

	/* smt_split 1 before cpus; a partition without the key gets no smt_split write */
	assert_string_equal(diff(f, PLAN(SPLIT("a", "\"3\"") "," PART("b", "\"4-5\""))),
			    "create a\n"
			    "create b\n"
			    "set a smt_split NULL>1\n"
			    "set a cpus NULL>3\n"
			    "set a memory NULL>67108864\n"
			    "set a kernel NULL>/boot/kpart/bzImage\n"
			    "set b cpus NULL>4-5\n"
			    "set b memory NULL>67108864\n"
			    "set b kernel NULL>/boot/kpart/bzImage\n"
			    "start a\n"
			    "start b\n");
}

static void test_diff_unchanged(void **state)
{
	struct fx *f = *state;

	live(f->inv, "a", "2-3", false, PART_RUNNING);
	live(f->inv, "s", "5", true, PART_RUNNING);
	assert_string_equal(diff(f, PLAN(PART("a", "\"2-3\"") "," SPLIT("s", "\"5\""))), "");
}

static void test_diff_split_before_release(void **state)
{
	struct fx *f = *state;

	/* 2-3 -> 3: the release phase writes the CPUs kept (3), half a core:
	 * smt_split 1 must come first */
	live(f->inv, "a", "2-3", false, PART_RUNNING);
	assert_string_equal(diff(f, PLAN(SPLIT("a", "\"3\""))), "stop a\n"
								"set a smt_split 0>1\n"
								"set a cpus 2-3>3\n"
								"start a\n");
	assert_string_equal(f->as.v[0].why, "definition changed: cpus smt_split");
	assert_int_equal(f->as.v[1].phase, PHASE_RELEASE);
}

static void test_diff_split_before_configure(void **state)
{
	struct fx *f = *state;

	/* growing: nothing released, smt_split 1 leads the configure writes */
	live(f->inv, "a", "2-3", false, PART_STOPPED);
	assert_string_equal(diff(f, PLAN(SPLIT("a", "\"2-4\""))), "set a smt_split 0>1\n"
								  "set a cpus 2-3>2-4\n"
								  "start a\n");
	assert_int_equal(f->as.v[0].phase, PHASE_CONFIGURE);
}

static void test_diff_unsplit_after_cpus(void **state)
{
	struct fx *f = *state;

	/* back to whole cores: smt_split 0 after the last cpus write */
	live(f->inv, "a", "3-4", true, PART_STOPPED);
	assert_string_equal(diff(f, HEAD "\"partitions\":[{\"name\":\"a\",\"cpus\":\"2-3\","
					 "\"memory\":\"64M\"," K ",\"autostart\":false}]}"),
			    "set a cpus 3-4>3\n"
			    "set a cpus 3>2-3\n"
			    "set a smt_split 1>0\n");
}

static void test_diff_smt_split_alone(void **state)
{
	struct fx *f = *state;

	/* like cmdline: the kernel takes it only while stopped */
	live(f->inv, "a", "2-3", true, PART_RUNNING);
	assert_string_equal(diff(f, PLAN(PART("a", "\"2-3\""))), "stop a\n"
								 "set a smt_split 1>0\n"
								 "start a\n");
	assert_string_equal(f->as.v[0].why, "definition changed: smt_split");
}

/*
 * A module older than smt_split: there is no file to write, and the live
 * value (read as false) must not make the partition look changed on every
 * apply.
 */
static void test_diff_module_without_smt_split(void **state)
{
	struct fx *f = *state;

	f->inv->no_smt_split = true;
	live(f->inv, "a", "3", false, PART_RUNNING);
	assert_string_equal(diff(f, PLAN(SPLIT("a", "\"3\"") "," SPLIT("b", "\"5\""))),
			    "create b\n"
			    "set b cpus NULL>5\n"
			    "set b memory NULL>67108864\n"
			    "set b kernel NULL>/boot/kpart/bzImage\n"
			    "start b\n");
	must_find(f, "/partitions/0/smt_split", "this kpart module predates smt_split");
}

static void test_diff_delete_restores_smt_split(void **state)
{
	struct fx *f = *state;
	char *kfs = tmp_root(), err[256], path[600];
	char *s;
	size_t i;

	live(f->inv, "gone", "3", true, PART_STOPPED);
	live(f->inv, "plain", "4-5", false, PART_STOPPED);
	assert_string_equal(diff(f, HEAD "\"partitions\":[]}"), "set gone cpus 3>\n"
								"set gone memory 67108864>0\n"
								"delete gone\n"
								"set plain cpus 4-5>\n"
								"set plain memory 67108864>0\n"
								"delete plain\n");
	assert_string_equal(f->as.v[2].restore[4], "1");
	assert_string_equal(f->as.v[5].restore[4], "");
	/* undoing the delete writes smt_split before the cpus undo needs it */
	for (i = 0; i < f->as.n; i++)
		if (f->as.v[i].type == ACT_DELETE &&
		    plan_action_undo(kfs, &f->as.v[i], err, sizeof(err)))
			fail_msg("undo: %s", err);
	snprintf(path, sizeof(path), "%s/gone/smt_split", kfs);
	s = slurp(path);
	assert_string_equal(s, "1");
	free(s);
	snprintf(path, sizeof(path), "%s/plain/smt_split", kfs);
	assert_int_not_equal(access(path, F_OK), 0);
	remove_tree(kfs);
	free(kfs);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fx_teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cores_from_kpart),
	    cmocka_unit_test(test_cores_from_sysfs),
	    cmocka_unit_test(test_cores_unknown),
	    cmocka_unit_test(test_add_core_by_hand),
	    cmocka_unit_test(test_parse_key),
	    T(test_whole_cores_are_fine),
	    T(test_sibling_left_to_boot_kernel),
	    T(test_sibling_in_other_partition),
	    T(test_sibling_is_cpu0),
	    T(test_sibling_in_boot_cpus),
	    T(test_several_split_cores),
	    T(test_smt_split_allows_it),
	    T(test_no_smt_machine),
	    T(test_count_takes_whole_cores),
	    T(test_count_numa_whole_cores),
	    T(test_count_that_splits_a_core),
	    T(test_count_with_smt_split),
	    T(test_count_mixed_cores),
	    T(test_keep_live_only_whole),
	    T(test_diff_new_partitions),
	    T(test_diff_unchanged),
	    T(test_diff_split_before_release),
	    T(test_diff_split_before_configure),
	    T(test_diff_unsplit_after_cpus),
	    T(test_diff_smt_split_alone),
	    T(test_diff_module_without_smt_split),
	    T(test_diff_delete_restores_smt_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
