/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: NUMA pools (issue 9). The kpart files pool_range, pool_nodes,
 * NAME/memory_range and NAME/numa_node, the rule that splits a partition's
 * memory over the nodes (the kernel's kpart_pool_shares), the plan's
 * per-partition "numa_node", and validation per node: capacity, unknown
 * nodes and fragmentation.
 *
 * fixtures/numa-pool (fixtures/README.md): CPUs 0-3 on node 0, 4-7 on node
 * 1; a 4G pool on each node (node 1 in two ranges, 2.5G free in pieces of
 * at most 1G) and a 32M low reserve. web runs on 4-5 with 1G, batch on 6
 * with 512M (both auto, so from node 1), db is stopped on 2-3 with 2G and
 * numa_node 1: node 1 has 3.5G committed.
 *
 * Built with the library's sources under ASan/UBSan: the parsers' error
 * paths must not leak or read past a line.
 */
#include "testutil.h"

#include <errno.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MiB (1ull << 20)
#define GiB (1ull << 30)

#define HEAD "{\"version\":1,\"pool\":{\"size\":\"8G\"},\"partitions\":["
#define K "\"kernel\":\"/boot/kpart/bzImage\""
/* the fixture's partitions as they are (db not started by the plan) */
#define WEB "{\"name\":\"web\",\"cpus\":\"4-5\",\"memory\":\"1G\"," K "}"
#define BATCH "{\"name\":\"batch\",\"cpus\":\"6\",\"memory\":\"512M\"," K "}"
#define DB                                                                                         \
	"{\"name\":\"db\",\"cpus\":\"2-3\",\"memory\":\"2G\",\"numa_node\":1," K                   \
	",\"autostart\":false}"

/* ---------------------------------------------------------------- parsing */

static void test_ranges_parse(void **state)
{
	struct mem_range *r;
	size_t n;
	char err[160], *s;

	(void)state;
	assert_int_equal(mem_ranges_parse("0x100000000-0x1bfffffff node 1\n"
					  "\n"
					  "  0x7e000000-0x7fffffff  node 0 low \n",
					  &r, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].start, 0x100000000ull);
	assert_int_equal(r[0].end, 0x1bfffffffull);
	assert_int_equal(r[0].node, 1);
	assert_false(r[0].low);
	assert_int_equal(r[1].start, 0x7e000000ull);
	assert_int_equal(r[1].node, 0);
	assert_true(r[1].low);
	s = mem_ranges_format(r, n);
	assert_string_equal(s, "0x100000000-0x1bfffffff,0x7e000000-0x7fffffff");
	free(s);
	free(r);

	/* the one-line format of modules before NUMA pools: node unknown */
	assert_int_equal(mem_ranges_parse("0x100000000-0x1ffffffff\n", &r, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].node, -1);
	free(r);

	/* a stopped partition's memory_range: an empty line */
	assert_int_equal(mem_ranges_parse("\n", &r, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_null(r);
	s = mem_ranges_format(NULL, 0);
	assert_string_equal(s, "");
	free(s);
}

static void test_ranges_malformed(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
	    {"0x1000-0x1fff node 1\n0x2000-0x1fff node 1\n", "line 2: range 0x2000-0x1fff ends"},
	    {"0x1000-\n", "line 1: \"0x1000-\" is not a range"},
	    {"4096-8191 node 0\n", "line 1: \"4096-8191\" is not a range"},
	    {"0x1000-0x1fffz node 0\n", "is not a range"},
	    {"0x1000-0x1fff node\n", "line 1: expected \"0xSTART-0xEND node N\""},
	    {"0x1000-0x1fff nodes 1\n", "expected \"node N\" after the range, got \"nodes 1\""},
	    {"0x1000-0x1fff node x\n", "got \"node x\""},
	    {"0x1000-0x1fff node -1\n", "got \"node -1\""},
	    {"0x1000-0x1fff node 99999\n", "got \"node 99999\""},
	    {"0x1000-0x1fff node 1 high\n", "unknown word \"high\""},
	    {"\n\n0x1000-0x1fff node 1 low x\n", "line 3: expected"},
	    {"0x10000000000000000-0x1 node 0\n", "is not a range"},
	};
	struct mem_range *r = (struct mem_range *)1;
	size_t n = 7, i;
	char err[160];

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(mem_ranges_parse(bad[i].text, &r, &n, err, sizeof(err)), -EINVAL);
		assert_null(r);
		assert_int_equal(n, 0);
		if (!strstr(err, bad[i].want))
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].text, err, bad[i].want);
	}
	/* a short buffer is cut, not overrun */
	assert_int_equal(mem_ranges_parse("0x1-0x0\n", &r, &n, err, 12), -EINVAL);
	assert_string_equal(err, "line 1: ran");
}

static void test_pool_nodes_parse(void **state)
{
	struct pool_node *v, low;
	size_t n;
	char err[160];

	(void)state;
	/* nodes come sorted; keys of a later module are ignored */
	assert_int_equal(
	    pool_nodes_parse("node 1 size 4294967296 free 1073741824 committed 3221225472 "
			     "largest 536870912 ranges 3 hugepages 7\n"
			     "node 0 size 3221225472 free 3221225472 committed 1073741824 "
			     "largest 3221225472 ranges 2\n"
			     "low size 33554432 free 33554432 ranges 1\n",
			     &v, &n, &low, err, sizeof(err)),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].node, 0);
	assert_int_equal(v[0].size, 3 * GiB);
	assert_int_equal(v[0].committed, GiB);
	assert_int_equal(v[0].ranges, 2);
	assert_int_equal(v[1].node, 1);
	assert_int_equal(v[1].free, GiB);
	assert_int_equal(v[1].largest, 512 * MiB);
	assert_int_equal(v[1].ranges, 3);
	assert_int_equal(low.node, -1);
	assert_int_equal(low.size, 32 * MiB);
	assert_int_equal(low.ranges, 1);
	free(v);

	/* no low reserve, no nodes */
	assert_int_equal(pool_nodes_parse("", &v, &n, &low, err, sizeof(err)), 0);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(low.size, 0);
}

static void test_pool_nodes_malformed(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
	    {"node 0 size 1 free 1 committed 0 largest 1\n", "line 1: no ranges"},
	    {"node 0 free 1 committed 0 largest 1 ranges 1\n", "line 1: no size"},
	    {"node 0 size 10 free 1 committed 0 largest 1 ranges 1\nlow size 4\n",
	     "line 2: no free"},
	    {"node 0 size 1G free 1 committed 0 largest 1 ranges 1\n",
	     "size \"1G\" is not a number"},
	    {"node 0 size 10 free 1 committed -1 largest 1 ranges 1\n", "committed \"-1\""},
	    {"node 0 size 10 free 1 committed 0 largest 1 ranges 1 size 10\n",
	     "size appears twice"},
	    {"node 0 size 10 free 1 committed 0 largest 1 ranges\n", "\"ranges\" has no value"},
	    {"node 0 size 10 free 20 committed 0 largest 1 ranges 1\n",
	     "free 20 is more than size 10"},
	    {"node 2 size 1 free 1 committed 0 largest 1 ranges 1\n"
	     "node 2 size 1 free 1 committed 0 largest 1 ranges 1\n",
	     "line 2: node 2 appears twice"},
	    {"low size 1 free 1 ranges 1\nlow size 1 free 1 ranges 1\n", "a second low reserve"},
	    {"nodes 0 size 1\n",
	     "expected \"node N size ...\" or \"low size ...\", got \"nodes 0\""},
	    {"node x size 1\n", "got \"node x\""},
	    {"node\n", "got \"node\""},
	    {"node 0 size 10 free 1 committed 0 largest 1 ranges 99999999999\n",
	     "ranges \"99999999999\" is not a number"},
	    {"node 0 size 18446744073709551616 free 1 committed 0 largest 1 ranges 1\n",
	     "is not a number"},
	};
	struct pool_node *v = (struct pool_node *)1, low;
	size_t n = 3, i;
	char err[160];

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(pool_nodes_parse(bad[i].text, &v, &n, &low, err, sizeof(err)),
				 -EINVAL);
		assert_null(v);
		assert_int_equal(n, 0);
		if (!strstr(err, bad[i].want))
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].text, err, bad[i].want);
	}
}

/* -------------------------------------------------------------- inventory */

static void test_inventory_fixture(void **state)
{
	struct inventory *inv = load_fixture("numa-pool", NULL);
	const struct inv_partition *p;
	struct json_object *j, *pool, *o, *a;

	(void)state;
	assert_true(inv->numa_pool);
	assert_int_equal(inv->pool_size, 8 * GiB + 32 * MiB);
	assert_int_equal(inventory_pool_for_partitions(inv), 8 * GiB);
	assert_int_equal(inv->npool_nodes, 2);
	assert_int_equal(inv->pool_nodes[1].node, 1);
	assert_int_equal(inv->pool_nodes[1].committed, 3584 * MiB);
	assert_int_equal(inv->pool_nodes[1].largest, GiB);
	assert_non_null(inventory_pool_node(inv, 1));
	assert_null(inventory_pool_node(inv, 2));
	assert_int_equal(inv->pool_low.size, 32 * MiB);
	assert_int_equal(inv->pool_low.free, 28 * MiB);
	assert_int_equal(inv->npool_ranges, 4);
	assert_true(inv->pool_ranges[3].low);
	assert_int_equal(inv->pool_ranges[2].node, 1);
	assert_string_equal(inv->pool_range, "0x100000000-0x1ffffffff,0x200000000-0x27fffffff,"
					     "0x280000000-0x2ffffffff,0x7e000000-0x7fffffff");

	p = inventory_find(inv, "web");
	assert_int_equal(p->mem_node, -1);
	assert_int_equal(p->nranges, 2);
	assert_int_equal(p->ranges[0].start, 0x240000000ull);
	assert_int_equal(p->ranges[0].node, 1);
	assert_int_equal(p->ranges[1].end, 0x7e1fffffull);
	assert_string_equal(p->memory_range, "0x240000000-0x27fffffff,0x7e000000-0x7e1fffff");
	p = inventory_find(inv, "db");
	assert_int_equal(p->mem_node, 1);
	assert_int_equal(p->nranges, 0);
	assert_string_equal(p->memory_range, "");

	j = inventory_to_json(inv);
	assert_true(json_object_object_get_ex(j, "pool", &pool));
	/* the keys from before NUMA pools stay */
	assert_int_equal(json_object_get_int64(json_object_object_get(pool, "size")),
			 (int64_t)(8 * GiB + 32 * MiB));
	assert_int_equal(json_object_get_int64(json_object_object_get(pool, "available")),
			 (int64_t)(4608 * MiB));
	assert_non_null(json_object_object_get(pool, "range"));
	assert_int_equal(json_object_get_int64(json_object_object_get(pool, "for_partitions")),
			 (int64_t)(8 * GiB));
	a = json_object_object_get(pool, "nodes");
	assert_int_equal(json_object_array_length(a), 2);
	o = json_object_array_get_idx(a, 1);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "node")), 1);
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "free")),
			 (int64_t)(2560 * MiB));
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "largest")), (int64_t)GiB);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "ranges")), 2);
	o = json_object_object_get(pool, "low");
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "free")),
			 (int64_t)(28 * MiB));
	a = json_object_object_get(pool, "ranges");
	assert_int_equal(json_object_array_length(a), 4);
	o = json_object_array_get_idx(a, 3);
	assert_true(json_object_get_boolean(json_object_object_get(o, "low")));
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "start")), 0x7e000000);

	/* partitions: numa_node "auto" or a number, memory_ranges */
	a = json_object_object_get(j, "partitions");
	o = json_object_array_get_idx(a, 1); /* db */
	assert_int_equal(json_object_get_int(json_object_object_get(o, "numa_node")), 1);
	assert_int_equal(json_object_array_length(json_object_object_get(o, "memory_ranges")), 0);
	o = json_object_array_get_idx(a, 2); /* web */
	assert_string_equal(json_object_get_string(json_object_object_get(o, "numa_node")), "auto");
	a = json_object_object_get(o, "memory_ranges");
	assert_int_equal(json_object_array_length(a), 2);
	o = json_object_array_get_idx(a, 0);
	assert_int_equal(json_object_get_int64(json_object_object_get(o, "end")), 0x27fffffffll);
	assert_int_equal(json_object_get_int(json_object_object_get(o, "node")), 1);
	assert_false(json_object_get_boolean(json_object_object_get(o, "low")));
	json_object_put(j);
	inventory_free(inv);

	/* a module before NUMA pools: no per-node figures, ranges without node */
	inv = load_fixture("two-node", NULL);
	assert_false(inv->numa_pool);
	assert_int_equal(inv->npool_nodes, 0);
	assert_int_equal(inventory_pool_for_partitions(inv), 4 * GiB);
	assert_int_equal(inv->npool_ranges, 1);
	assert_int_equal(inv->pool_ranges[0].node, -1);
	assert_int_equal(inventory_find(inv, "web")->mem_node, -1);
	j = inventory_to_json(inv);
	pool = json_object_object_get(j, "pool");
	assert_false(json_object_get_boolean(json_object_object_get(pool, "numa")));
	assert_int_equal(json_object_array_length(json_object_object_get(pool, "nodes")), 0);
	json_object_put(j);
	inventory_free(inv);
}

/* A writable copy of fixture name with file (below its kpart/) replaced by text. */
static char *fixture_with(const char *name, const char *file, const char *text)
{
	char *dir = strdup("/tmp/kpart-numa-test.XXXXXX"), cmd[1200], path[1200];

	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp -r '%s/%s/.' '%s'", FIXTURES_DIR, name, dir);
	assert_int_equal(system(cmd), 0);
	if (file) {
		snprintf(path, sizeof(path), "%s/kpart/%s", dir, file);
		assert_int_equal(kp_write_file(path, text), 0);
	}
	return dir;
}

static struct inventory *read_copy(const char *dir, char *err, size_t errlen)
{
	char k[1200], s[1200];

	snprintf(k, sizeof(k), "%s/kpart", dir);
	snprintf(s, sizeof(s), "%s/sys", dir);
	return inventory_read(k, s, err, errlen);
}

static void test_inventory_malformed(void **state)
{
	static const struct {
		const char *file, *text, *want;
	} bad[] = {
	    {"pool_nodes",
	     "node 0 size 4294967296 free 4294967296 committed 0 largest 4294967296 ranges 1\n"
	     "node 1 size 4294967296 free lots\n",
	     "/kpart/pool_nodes line 2: free \"lots\" is not a number"},
	    {"pool_range", "0x100000000-0x1ffffffff node 0\nsomewhere\n",
	     "/kpart/pool_range line 2: \"somewhere\" is not a range"},
	    {"web/memory_range", "0x240000000-0x27fffffff node one\n",
	     "/kpart/web/memory_range line 1: expected \"node N\""},
	    {"db/numa_node", "near\n", "/kpart/db/numa_node: \"near\" is neither auto nor a node"},
	};
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		char *dir = fixture_with("numa-pool", bad[i].file, bad[i].text);

		err[0] = '\0';
		assert_null(read_copy(dir, err, sizeof(err)));
		if (!strstr(err, bad[i].want))
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].file, err, bad[i].want);
		remove_tree(dir);
		free(dir);
	}
}

/* ------------------------------------------------------------- share rule */

/*
 * CPUs 0-3 on node 0, 4-5 on node 1, 6-7 on node 2; pools on nodes 0 (4G)
 * and 1 (2G), none on node 2.
 */
static struct inventory *three_nodes(void)
{
	struct inventory *inv = inventory_new();
	unsigned c;

	for (c = 0; c < 8; c++)
		assert_int_equal(inventory_add_cpu(inv, c, c < 4 ? 0 : c < 6 ? 1 : 2), 0);
	inv->numa_pool = true;
	inv->npool_nodes = 2;
	inv->pool_nodes = calloc(2, sizeof(*inv->pool_nodes));
	inv->pool_nodes[0] = (struct pool_node){
	    .node = 0, .size = 4 * GiB, .free = 4 * GiB, .largest = 4 * GiB, .ranges = 1};
	inv->pool_nodes[1] = (struct pool_node){
	    .node = 1, .size = 2 * GiB, .free = 2 * GiB, .largest = 2 * GiB, .ranges = 1};
	inv->pool_size = 6 * GiB;
	return inv;
}

static void shares_of(const struct inventory *inv, const char *cpus, int node, uint64_t size,
		      uint64_t want0, uint64_t want1)
{
	struct cpuset s;
	uint64_t sh[2] = {7, 7};

	cpuset_init(&s);
	assert_int_equal(cpuset_parse(&s, cpus, NULL, 0), 0);
	assert_int_equal(pool_shares(inv, &s, node, size, sh), 0);
	if (sh[0] != want0 || sh[1] != want1)
		fail_msg("cpus %s node %d size %llu: shares %llu, %llu; want %llu, %llu", cpus,
			 node, (unsigned long long)size, (unsigned long long)sh[0],
			 (unsigned long long)sh[1], (unsigned long long)want0,
			 (unsigned long long)want1);
	cpuset_free(&s);
}

static void test_shares(void **state)
{
	struct inventory *inv = three_nodes();
	uint64_t sh[2];

	(void)state;
	/* by how many of its CPUs each pool node has */
	shares_of(inv, "1-2,4", -1, 3 * GiB, 2 * GiB, GiB);
	shares_of(inv, "4-5", -1, GiB, 0, GiB);
	/* CPUs on a node without pool do not count */
	shares_of(inv, "1,6-7", -1, GiB, GiB, 0);
	/* none on a pool node: by pool size (4G : 2G) */
	shares_of(inv, "6-7", -1, 3 * GiB, 2 * GiB, GiB);
	shares_of(inv, "", -1, 3 * GiB, 2 * GiB, GiB);
	/* rounded down to 2M, the rest to the node with most CPUs: 10M over 1:2
	 * is 2M + 6M, and 2M left over for node 1 */
	shares_of(inv, "1,4-5", -1, 10 * MiB, 2 * MiB, 8 * MiB);
	/* a tie goes to the lower node: 3M + 3M -> 2M + 2M, the rest to node 0 */
	shares_of(inv, "1,4", -1, 6 * MiB, 4 * MiB, 2 * MiB);
	/* a named node takes it all, wherever the CPUs are */
	shares_of(inv, "1-3", 1, 5 * GiB, 0, 5 * GiB);
	shares_of(inv, "1", -1, 0, 0, 0);
	/* a node without pool */
	assert_int_equal(pool_shares(inv, NULL, 2, GiB, sh), -ENOENT);
	assert_int_equal(sh[0] + sh[1], 0);
	/* large sizes do not overflow: 1 TiB over 3 CPUs */
	shares_of(inv, "1-2,4", -1, 1ull << 40, 349526ull * 2 * MiB, 174762ull * 2 * MiB);
	inv->npool_nodes = 0;
	assert_int_equal(pool_shares(inv, NULL, -1, GiB, sh), -ENOENT);
	inv->npool_nodes = 2;
	inventory_free(inv);
}

/* ------------------------------------------------------------- validation */

struct fx {
	char *root, *copy;
	struct inventory *inv;
	struct problems ps;
	struct plan *plan;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->root = make_file_root();
	f->inv = load_fixture("numa-pool", f->root);
	problems_init(&f->ps);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	plan_free(f->plan);
	problems_free(&f->ps);
	inventory_free(f->inv);
	remove_tree(f->root);
	if (f->copy) {
		remove_tree(f->copy);
		free(f->copy);
	}
	free(f->root);
	free(f);
	return 0;
}

/* Validate against fixture machine name with file replaced by text (NULL: as it is). */
static void use_machine(struct fx *f, const char *name, const char *file, const char *text)
{
	char err[512];

	inventory_free(f->inv);
	f->copy = fixture_with(name, file, text);
	f->inv = read_copy(f->copy, err, sizeof(err));
	if (!f->inv)
		fail_msg("%s", err);
	f->inv->file_root = strdup(f->root);
}

static size_t check(struct fx *f, const char *text)
{
	f->plan = parse_str(text, &f->ps);
	if (!f->plan || f->ps.nerrors) {
		dump_problems(&f->ps);
		fail_msg("plan does not parse");
	}
	return plan_validate(f->plan, f->inv, &f->ps);
}

static const struct problem *expect(struct fx *f, enum problem_severity sev, const char *path,
				    const char *message)
{
	const struct problem *p = find_problem(&f->ps, path, message);

	if (!p || p->severity != sev) {
		dump_problems(&f->ps);
		fail_msg("no %s at %s: %s", sev == PROBLEM_ERROR ? "error" : "warning", path,
			 message);
	}
	return p;
}

static void test_fits(void **state)
{
	struct fx *f = *state;

	/* 3.5G of node 1's 4G, as the kernel has it: valid, nothing to warn about */
	assert_int_equal(check(f, HEAD WEB "," BATCH "," DB "]}"), 0);
	assert_int_equal(f->ps.n, 0);
}

static void test_node_capacity(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	/* p1 on CPU 7 (node 1) adds 2G there: 5.5G of 4G; node 0 has room */
	assert_int_equal(check(f, HEAD WEB "," BATCH "," DB
					   ",{\"name\":\"p1\",\"cpus\":\"7\",\"memory\":\"2G\"," K
					   "}]}"),
			 1);
	p = expect(f, PROBLEM_ERROR, "/partitions/3/memory",
		   "node 1: partitions ask 5632 MiB there, its pool has 4096 MiB");
	assert_string_equal(p->holder, "on node 1: db 2048 MiB (numa_node), p1 2048 MiB, web "
				       "1024 MiB, batch 512 MiB");
	assert_string_equal(p->hint,
			    "move CPUs of these partitions to another node or set \"numa_node\" "
			    "(node 0 has 4096 MiB unclaimed), shrink their memory, or boot with "
			    "kpart_pool=node0:4G,node1:5632M and update /pool/size");
	/* the whole pool would do: per node only */
	assert_null(find_problem(&f->ps, NULL, "in total"));
}

static void test_node_capacity_fixed_by_numa_node(void **state)
{
	struct fx *f = *state;

	/* db's 2G on node 0 instead: 3.5G on node 1 */
	assert_int_equal(check(f, HEAD WEB
			       "," BATCH ",{\"name\":\"db\",\"cpus\":\"2-3\",\"memory\":\"2G\"," K
			       ",\"numa_node\":0,\"autostart\":false},"
			       "{\"name\":\"p1\",\"cpus\":\"7\",\"memory\":\"2G\"," K "}]}"),
			 0);
	/* and with "numa_node" naming the full node, the error points at it */
	plan_free(f->plan);
	problems_free(&f->ps);
	problems_init(&f->ps);
	assert_int_equal(
	    check(f, HEAD WEB "," BATCH ",{\"name\":\"db\",\"cpus\":\"2-3\",\"memory\":\"2G\"," K
			      ",\"numa_node\":0,\"autostart\":false},"
			      "{\"name\":\"p1\",\"cpus\":\"1\",\"memory\":\"3G\",\"numa_node\":1," K
			      "}]}"),
	    1);
	expect(f, PROBLEM_ERROR, "/partitions/3/numa_node",
	       "node 1: partitions ask 4608 MiB there, its pool has 4096 MiB");
}

static void test_unknown_node(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(
	    check(f, HEAD WEB
		  ",{\"name\":\"p2\",\"cpus\":\"1\",\"memory\":\"1G\",\"numa_node\":3," K "}]}"),
	    1);
	p = expect(f, PROBLEM_ERROR, "/partitions/1/numa_node", "NUMA node 3 does not exist here");
	assert_non_null(strstr(p->hint, "nodes with pool memory: 0 (4096 MiB), 1 (4096 MiB)"));
}

static void test_node_without_pool(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	use_machine(f, "numa-pool", "pool_nodes",
		    "node 0 size 4294967296 free 4294967296 committed 0 largest 4294967296 "
		    "ranges 1\n");
	assert_int_equal(
	    check(f, "{\"version\":1,\"pool\":{\"size\":\"4G\"},\"partitions\":["
		     "{\"name\":\"p\",\"cpus\":\"1\",\"memory\":\"1G\",\"numa_node\":1," K "}]}"),
	    1);
	p = expect(f, PROBLEM_ERROR, "/partitions/0/numa_node",
		   "the pool has no memory on NUMA node 1");
	assert_non_null(strstr(p->hint, "nodes with pool memory: 0 (4096 MiB);"));
}

static void test_old_module(void **state)
{
	struct fx *f = *state;

	/* no pool_nodes: numa_node cannot be written, a warning only */
	use_machine(f, "two-node", NULL, NULL);
	assert_int_equal(
	    check(f, "{\"version\":1,\"pool\":{\"size\":\"4G\"},\"partitions\":["
		     "{\"name\":\"p\",\"cpus\":\"1\",\"memory\":\"1G\",\"numa_node\":1," K "}]}"),
	    0);
	expect(f, PROBLEM_WARNING, "/partitions/0/numa_node",
	       "this kpart module predates NUMA pools");
}

#define P1_2G "{\"name\":\"p1\",\"cpus\":\"7\",\"memory\":\"2G\"," K "}"

static void test_fragmented_warning(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	/* db leaves, p1 takes 2G of node 1, whose largest free piece is 1G */
	assert_int_equal(check(f, HEAD WEB "," BATCH "," P1_2G "]}"), 0);
	p = expect(f, PROBLEM_WARNING, "/partitions/2/memory",
		   "node 1 has 2560 MiB free in pieces of at most 1024 MiB: p1's 2048 MiB will "
		   "come in several ranges");
	assert_int_equal(f->ps.n, 1);
	(void)p;
	/* a partition that is not started now gets no warning */
	plan_free(f->plan);
	problems_free(&f->ps);
	problems_init(&f->ps);
	assert_int_equal(check(f, HEAD WEB
			       "," BATCH
			       ",{\"name\":\"p1\",\"cpus\":\"7\",\"memory\":\"2G\",\"autostart\":"
			       "false," K "}]}"),
			 0);
	assert_int_equal(f->ps.n, 0);
}

static const char *const tiny_node1 =
    "node 0 size 4294967296 free 4294967296 committed 0 largest 4294967296 ranges 1\n"
    "node 1 size 4294967296 free 2684354560 committed 3758096384 largest 33554432 ranges 2\n"
    "low size 33554432 free 29360128 ranges 1\n";

static void test_fragmented_boot_range(void **state)
{
	struct fx *f = *state;

	/* node 1's largest free piece is 32M: p1's boot range cannot be there */
	use_machine(f, "numa-pool", "pool_nodes", tiny_node1);
	assert_int_equal(check(f, HEAD WEB "," BATCH "," P1_2G "]}"), 1);
	expect(f, PROBLEM_ERROR, "/partitions/2/memory",
	       "node 1's largest free piece is 32 MiB: p1's boot range (boot area and kernel, "
	       "64 MiB there) cannot be contiguous");
}

static void test_fragmented_boot_range_reclaimed(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	/* the same, but the plan stops batch (its memory changes): its 512M on
	 * node 1 comes back first and may join pieces, so a warning */
	use_machine(f, "numa-pool", "pool_nodes", tiny_node1);
	assert_int_equal(check(f, HEAD WEB ",{\"name\":\"batch\",\"cpus\":\"6\",\"memory\":"
					   "\"256M\"," K "}," P1_2G "]}"),
			 0);
	p = expect(f, PROBLEM_WARNING, "/partitions/2/memory",
		   "node 1's largest free piece is 32 MiB: p1's boot range");
	assert_non_null(strstr(p->hint, "the partitions this apply stops may free one"));
}

static void test_fragmented_too_many_ranges(void **state)
{
	struct fx *f = *state;

	/* p1 on CPUs 1 and 7: 1G from each node, the boot range on node 0; node
	 * 1 in 8M pieces would need 128 ranges */
	use_machine(f, "numa-pool", "pool_nodes",
		    "node 0 size 4294967296 free 4294967296 committed 0 largest 4294967296 "
		    "ranges 1\n"
		    "node 1 size 4294967296 free 2684354560 committed 3758096384 largest 8388608 "
		    "ranges 2\n");
	assert_int_equal(check(f, HEAD WEB "," BATCH
					   ",{\"name\":\"p1\",\"cpus\":\"1,7\",\"memory\":\"2G\"," K
					   "}]}"),
			 1);
	expect(f, PROBLEM_ERROR, "/partitions/2/memory",
	       "node 1 has 2560 MiB free in pieces of at most 8 MiB: p1's 1024 MiB there would "
	       "need more than the 63 ranges a partition may have");
	assert_null(find_problem(&f->ps, NULL, "boot range"));
}

/* ---------------------------------------------------------- plan parsing */

static void test_parse_numa_node(void **state)
{
	static const struct {
		const char *value, *want;
	} bad[] = {
	    {"-1", "numa_node -1 is not a NUMA node number (0-1023)"},
	    {"1024", "numa_node 1024 is not a NUMA node number (0-1023)"},
	    {"\"1\"", "must be a NUMA node number (0-1023), not a string"},
	    {"\"auto\"", "must be a NUMA node number (0-1023), not a string"},
	    {"1.5", "not a fractional number"},
	    {"true", "not a boolean"},
	    {"null", "not null"},
	};
	char text[512];
	struct problems ps;
	struct plan *plan;
	struct json_object *j, *p;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		const struct problem *pr;

		snprintf(text, sizeof(text),
			 HEAD "{\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"1G\",\"numa_node\":%s," K
			      "}]}",
			 bad[i].value);
		problems_init(&ps);
		plan = parse_str(text, &ps);
		assert_non_null(plan);
		pr = find_problem(&ps, "/partitions/0/numa_node", bad[i].want);
		if (!pr || pr->severity != PROBLEM_ERROR) {
			dump_problems(&ps);
			fail_msg("numa_node %s: no error \"%s\"", bad[i].value, bad[i].want);
		}
		assert_int_equal(ps.nerrors, 1);
		assert_true(plan->parts[0].invalid & PLAN_F_NODE);
		assert_int_equal(plan->parts[0].mem_node, -1);
		plan_free(plan);
		problems_free(&ps);
	}
	problems_init(&ps);
	plan = parse_str(HEAD
			 "{\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"1G\",\"numa_node\":1023," K
			 "},{\"name\":\"b\",\"cpus\":{\"count\":1,\"numa_node\":1},\"memory\":"
			 "\"1G\",\"numa_node\":0," K "},{\"name\":\"c\",\"cpus\":\"2\",\"memory\":"
			 "\"1G\"," K "}]}",
			 &ps);
	assert_non_null(plan);
	assert_int_equal(ps.n, 0);
	assert_int_equal(plan->parts[0].mem_node, 1023);
	/* the partition's numa_node is its memory's; cpus.numa_node its CPUs' */
	assert_int_equal(plan->parts[1].mem_node, 0);
	assert_int_equal(plan->parts[1].numa_node, 1);
	assert_int_equal(plan->parts[2].mem_node, -1);
	j = plan_to_json(plan);
	p = json_object_array_get_idx(json_object_object_get(j, "partitions"), 1);
	assert_int_equal(json_object_get_int(json_object_object_get(p, "memory_node")), 0);
	assert_int_equal(json_object_get_int(json_object_object_get(p, "numa_node")), 1);
	p = json_object_array_get_idx(json_object_object_get(j, "partitions"), 2);
	assert_null(json_object_object_get(p, "memory_node"));
	json_object_put(j);
	plan_free(plan);
	problems_free(&ps);

	/* a partition may not be called pool_nodes */
	assert_non_null(plan_name_problem("pool_nodes"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ranges_parse),
	    cmocka_unit_test(test_ranges_malformed),
	    cmocka_unit_test(test_pool_nodes_parse),
	    cmocka_unit_test(test_pool_nodes_malformed),
	    cmocka_unit_test(test_inventory_fixture),
	    cmocka_unit_test(test_inventory_malformed),
	    cmocka_unit_test(test_shares),
	    cmocka_unit_test_setup_teardown(test_fits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node_capacity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node_capacity_fixed_by_numa_node, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_node, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node_without_pool, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_old_module, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fragmented_warning, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fragmented_boot_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fragmented_boot_range_reclaimed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fragmented_too_many_ranges, setup, teardown),
	    cmocka_unit_test(test_parse_numa_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
