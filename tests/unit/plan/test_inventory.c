/* SPDX-License-Identifier: MIT */
/* Unit tests: reading fixture machines, and performing actions on a copy. */
#include "testutil.h"

#include <errno.h>

static void test_two_node(void **state)
{
	struct inventory *inv = load_fixture("two-node", NULL);
	const struct inv_partition *p;
	char *s;
	int c;

	(void)state;
	assert_int_equal(inv->iface_version, 1);
	assert_int_equal(cpuset_count(&inv->present), 8);
	assert_int_equal(inv->ncpus, 8);
	assert_int_equal(inv->nnodes, 2);
	/* node cpulists list online CPUs only; cpuN/nodeM links give the rest */
	for (c = 0; c < 8; c++)
		assert_int_equal(inv->cpu_node[c], c < 4 ? 0 : 1);
	s = cpuset_format(&inv->node_cpus[0]);
	assert_string_equal(s, "0-3");
	free(s);
	assert_int_equal(inv->pool_size, 4ull << 30);
	assert_int_equal(inv->pool_free, 2560ull << 20);
	/* two-node's module predates NUMA pools: one pool_range line without a
	 * node, no pool_nodes (fixtures/numa-pool has the current format) */
	assert_string_equal(inv->pool_range, "0x100000000-0x1ffffffff");
	assert_int_equal(inv->npool_ranges, 1);
	assert_int_equal(inv->pool_ranges[0].start, 0x100000000ull);
	assert_int_equal(inv->pool_ranges[0].end, 0x1ffffffffull);
	assert_int_equal(inv->pool_ranges[0].node, -1);
	assert_false(inv->numa_pool);
	s = cpuset_format(&inv->assigned);
	assert_string_equal(s, "2-3,6");
	free(s);

	assert_int_equal(inv->nparts, 2);
	assert_string_equal(inv->parts[0].name, "old"); /* sorted */
	p = inventory_find(inv, "web");
	assert_non_null(p);
	assert_int_equal(p->state, PART_RUNNING);
	assert_int_equal(p->memory, 1ull << 30);
	assert_string_equal(p->kernel, "/boot/kpart/bzImage");
	assert_string_equal(p->initrd, "/boot/kpart/initrd.img");
	assert_string_equal(p->cmdline, "console=ttyS1 quiet");
	assert_string_equal(p->console, "ttyS1");
	assert_string_equal(p->exit_reason, "none");
	assert_int_equal(p->boot_count, 1);
	p = inventory_find(inv, "old");
	assert_non_null(p);
	assert_int_equal(p->state, PART_STOPPED);
	assert_string_equal(p->initrd, ""); /* the file is empty (see test_partition_files) */
	assert_string_equal(p->exit_reason, "poweroff");
	assert_int_equal(p->boot_count, 3);
	assert_null(inventory_find(inv, "nope"));
	inventory_free(inv);
}

static void test_flat(void **state)
{
	struct inventory *inv = load_fixture("flat", NULL);
	int c;

	(void)state;
	assert_int_equal(inv->nnodes, 1);
	for (c = 0; c < 4; c++)
		assert_int_equal(inv->cpu_node[c], 0);
	assert_int_equal(inv->nparts, 0);
	assert_true(cpuset_empty(&inv->assigned));
	inventory_free(inv);
}

static void test_missing(void **state)
{
	char err[256], k[512], s[512];

	(void)state;
	snprintf(s, sizeof(s), "%s/two-node/sys", FIXTURES_DIR);
	assert_null(inventory_read("/nonexistent/kpart", s, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/kpart does not exist: is kpart.ko loaded?"));
	/* a directory without "version" is an unmounted mount point */
	assert_null(inventory_read(s, s, err, sizeof(err)));
	assert_non_null(strstr(err, "not mounted"));
	snprintf(k, sizeof(k), "%s/two-node/kpart", FIXTURES_DIR);
	assert_null(inventory_read(k, "/nonexistent", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot read /nonexistent/devices/system/cpu/present"));
}

static void test_to_json(void **state)
{
	struct inventory *inv = load_fixture("two-node", NULL);
	struct json_object *j = inventory_to_json(inv), *v, *w;

	(void)state;
	assert_true(json_object_object_get_ex(j, "cpus", &v));
	assert_string_equal(json_object_get_string(json_object_object_get(v, "unassigned")),
			    "1,4-5,7");
	assert_int_equal(json_object_get_int(json_object_object_get(v, "count")), 8);
	assert_true(json_object_object_get_ex(j, "numa_nodes", &v));
	assert_int_equal(json_object_array_length(v), 2);
	w = json_object_array_get_idx(v, 1);
	assert_string_equal(json_object_get_string(json_object_object_get(w, "cpus")), "4-7");
	assert_string_equal(json_object_get_string(json_object_object_get(w, "assigned")), "6");
	assert_true(json_object_object_get_ex(j, "pool", &v));
	assert_int_equal(json_object_get_int64(json_object_object_get(v, "free")), 2560ll << 20);
	assert_true(json_object_object_get_ex(j, "partitions", &v));
	w = json_object_array_get_idx(v, 1);
	assert_string_equal(json_object_get_string(json_object_object_get(w, "name")), "web");
	assert_string_equal(json_object_get_string(json_object_object_get(w, "state")), "running");
	assert_int_equal(json_object_get_int(json_object_object_get(w, "cpu_count")), 2);
	json_object_put(j);
	inventory_free(inv);
}

static void test_build_by_hand(void **state)
{
	struct inventory *inv = inventory_new();
	struct inv_partition *p;

	(void)state;
	assert_int_equal(inventory_add_cpu(inv, 0, 0), 0);
	assert_int_equal(inventory_add_cpu(inv, 5, 3), 0);
	assert_int_equal(inventory_add_cpu(inv, 6, -1), 0);
	assert_int_equal(inv->ncpus, 7);
	assert_int_equal(inv->nnodes, 4);
	assert_int_equal(inv->cpu_node[6], -1);
	assert_int_equal(inventory_add_cpu(inv, 70000, 0), -ERANGE);
	p = inventory_add_partition(inv, "zeta");
	assert_non_null(p);
	assert_non_null(inventory_add_partition(inv, "alpha"));
	assert_null(inventory_add_partition(inv, "0123456789012345678901234567890123"));
	inventory_sort(inv);
	assert_string_equal(inv->parts[0].name, "alpha");
	assert_non_null(inventory_find(inv, "zeta"));
	inventory_remove_partition(inv, "alpha");
	assert_int_equal(inv->nparts, 1);
	assert_null(inventory_find(inv, "alpha"));
	inventory_free(inv);
}

/* A writable copy of fixtures/two-node/kpart. */
static char *copy_kernfs(void)
{
	char *dir = strdup("/tmp/kpart-kernfs-test.XXXXXX"), cmd[1200];

	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp -r '%s/two-node/kpart/.' '%s'", FIXTURES_DIR, dir);
	assert_int_equal(system(cmd), 0);
	return dir;
}

/* Plain directories cannot be rmdir'ed with files in them; kernfs directories can. */
static void empty_dir(const char *root, const char *name)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "rm -f '%s/%s'/*", root, name);
	assert_int_equal(system(cmd), 0);
}

static char *attr(const char *root, const char *name, const char *a)
{
	char path[1200];

	snprintf(path, sizeof(path), "%s/%s/%s", root, name, a);
	return slurp(path);
}

#define assert_attr(root, name, a, want)                                                           \
	do {                                                                                       \
		char *v_ = attr(root, name, a);                                                    \
		assert_string_equal(v_, want);                                                     \
		free(v_);                                                                          \
	} while (0)

static bool exists(const char *root, const char *name)
{
	char path[1200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	return stat(path, &st) == 0;
}

static void test_exec_and_undo(void **state)
{
	char *files = make_file_root(), *kfs = copy_kernfs(), err[512];
	struct inventory *inv;
	struct problems ps;
	struct plan *plan;
	struct plan_actions as;
	size_t i;
	char s[512];

	(void)state;
	snprintf(s, sizeof(s), "%s/two-node/sys", FIXTURES_DIR);
	inv = inventory_read(kfs, s, err, sizeof(err));
	assert_non_null(inv);
	inv->file_root = strdup(files);
	problems_init(&ps);
	plan_actions_init(&as);
	plan = parse_str("{\"version\":1,\"pool\":{\"size\":\"4G\"},\"partitions\":["
			 "{\"name\":\"web\",\"cpus\":\"3-4\",\"memory\":\"1G\",\"kernel\":\"/boot/"
			 "kpart/bzImage\",\"initrd\":\"/boot/kpart/initrd.img\",\"cmdline\":"
			 "\"console=ttyS1 quiet\"},"
			 "{\"name\":\"db\",\"cpus\":\"6\",\"memory\":\"512M\",\"kernel\":\"/boot/"
			 "kpart/bzImage\",\"cmdline\":\"db=1\"}]}",
			 &ps);
	assert_non_null(plan);
	assert_int_equal(plan_validate(plan, inv, &ps), 0);
	assert_int_equal(plan_diff(plan, inv, &as), 0);

	for (i = 0; i < as.n; i++) {
		if (as.v[i].type == ACT_DELETE)
			empty_dir(kfs, as.v[i].name);
		if (plan_action_exec(kfs, &as.v[i], err, sizeof(err)))
			fail_msg("action %zu: %s", i, err);
	}
	assert_false(exists(kfs, "old"));
	assert_attr(kfs, "web", "cpus", "3-4");
	assert_attr(kfs, "web", "control", "start");
	assert_attr(kfs, "db", "cpus", "6");
	assert_attr(kfs, "db", "memory", "536870912");
	assert_attr(kfs, "db", "cmdline", "db=1");
	assert_attr(kfs, "db", "control", "start");

	/* what the exec left in web/control must not pass for what the undo writes */
	snprintf(s, sizeof(s), "%s/web/control", kfs);
	assert_int_equal(kp_write_file(s, "untouched"), 0);
	for (i = as.n; i-- > 0;) {
		if (as.v[i].type == ACT_CREATE)
			empty_dir(kfs, as.v[i].name);
		if (plan_action_undo(kfs, &as.v[i], err, sizeof(err)))
			fail_msg("undo %zu: %s", i, err);
	}
	assert_false(exists(kfs, "db"));
	assert_attr(kfs, "web", "cpus", "2-3");
	assert_attr(kfs, "web", "control", "start"); /* it ran before: started again */
	assert_attr(kfs, "old", "cpus", "6");
	assert_attr(kfs, "old", "memory", "536870912");
	assert_attr(kfs, "old", "kernel", "/boot/kpart/bzImage");
	assert_attr(kfs, "old", "console", "none");

	/* errors name the file and say what the errno means there */
	as.v[0].type = ACT_SET;
	as.v[0].attr = "cpus";
	snprintf(as.v[0].name, sizeof(as.v[0].name), "ghost");
	free(as.v[0].value);
	as.v[0].value = strdup("1");
	assert_int_equal(plan_action_exec(kfs, &as.v[0], err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/ghost/cpus"));
	as.v[0].type = ACT_CREATE;
	snprintf(as.v[0].name, sizeof(as.v[0].name), "web");
	assert_int_equal(plan_action_exec(kfs, &as.v[0], err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "a partition of that name already exists"));

	plan_actions_free(&as);
	plan_free(plan);
	problems_free(&ps);
	inventory_free(inv);
	remove_tree(kfs);
	remove_tree(files);
	free(kfs);
	free(files);
}

/*
 * Values come from the partition's files, and a file that cannot be read
 * gives "": the fixture's empty files cannot tell the two apart.
 */
static void test_partition_files(void **state)
{
	char *kfs = copy_kernfs(), err[256], s[512], path[1200];
	struct inventory *inv;
	const struct inv_partition *p;

	(void)state;
	snprintf(path, sizeof(path), "%s/old/initrd", kfs);
	assert_int_equal(kp_write_file(path, "/boot/kpart/old-initrd.img"), 0);
	snprintf(path, sizeof(path), "%s/old/cmdline", kfs);
	assert_int_equal(kp_write_file(path, "console=ttyS1 old=1"), 0);
	snprintf(path, sizeof(path), "%s/web/console", kfs);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/web/exit_reason", kfs);
	assert_int_equal(kp_write_file(path, "panic"), 0);
	snprintf(s, sizeof(s), "%s/two-node/sys", FIXTURES_DIR);
	inv = inventory_read(kfs, s, err, sizeof(err));
	assert_non_null(inv);
	p = inventory_find(inv, "old");
	assert_non_null(p);
	assert_string_equal(p->initrd, "/boot/kpart/old-initrd.img");
	assert_string_equal(p->cmdline, "console=ttyS1 old=1");
	p = inventory_find(inv, "web");
	assert_non_null(p);
	assert_string_equal(p->console, ""); /* no file */
	assert_string_equal(p->exit_reason, "panic");
	assert_string_equal(p->initrd, "/boot/kpart/initrd.img");
	inventory_free(inv);
	remove_tree(kfs);
	free(kfs);
}

static void test_state_and_refresh(void **state)
{
	char *kfs = copy_kernfs(), err[256], s[512], path[1200];
	struct inventory *inv;
	int e;

	(void)state;
	snprintf(s, sizeof(s), "%s/two-node/sys", FIXTURES_DIR);
	inv = inventory_read(kfs, s, err, sizeof(err));
	assert_non_null(inv);
	assert_int_equal(kernfs_read_state(kfs, "web", &e), PART_RUNNING);
	assert_int_equal(e, 0);
	assert_int_equal(kernfs_read_state(kfs, "ghost", &e), PART_UNKNOWN);
	assert_int_equal(e, -ENOENT);

	inventory_find(inv, "web")->hold = true;
	snprintf(path, sizeof(path), "%s/web/state", kfs);
	assert_int_equal(kp_write_file(path, "crashed"), 0);
	assert_int_equal(inventory_refresh_partition(inv, kfs, "web"), 0);
	assert_int_equal(inventory_find(inv, "web")->state, PART_CRASHED);
	assert_true(inventory_find(inv, "web")->hold); /* partd's flag survives */

	snprintf(path, sizeof(path), "%s/aaa", kfs);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(inventory_refresh_partition(inv, kfs, "aaa"), 0);
	assert_string_equal(inv->parts[0].name, "aaa");
	assert_int_equal(inv->parts[0].state, PART_UNKNOWN); /* no state file */
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(inventory_refresh_partition(inv, kfs, "aaa"), -ENOENT);
	assert_int_equal(inv->nparts, 2);

	inventory_free(inv);
	remove_tree(kfs);
	free(kfs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_node),	    cmocka_unit_test(test_flat),
	    cmocka_unit_test(test_missing),	    cmocka_unit_test(test_to_json),
	    cmocka_unit_test(test_build_by_hand),   cmocka_unit_test(test_exec_and_undo),
	    cmocka_unit_test(test_partition_files), cmocka_unit_test(test_state_and_refresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
