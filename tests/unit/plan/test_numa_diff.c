/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: applying plans to a machine with NUMA pools. partd writes
 * numa_node between cpus and memory, compares it with what the kernel
 * reads back ("auto" = no "numa_node" in the plan), and orders the cpus,
 * numa_node and memory writes of all partitions so that the kernel, which
 * checks each of them against every node's pool and what the other
 * partitions ask of it at that moment, accepts every one (and every undo).
 *
 * The last tests run diffs through a model of those kernel checks
 * (kmod/pool.c kpart_pool_check, kmod/fs.c): hand-made moves that only
 * work in the right order, and a few thousand random machines and plans.
 */
#include "plan_fx.h"

#include <errno.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MiB (1ull << 20)
#define GiB (1ull << 30)

#define HEAD "{\"version\":1,\"pool\":{\"size\":\"8G\"},\"partitions\":["
#define K "\"kernel\":\"/boot/kpart/bzImage\""
#define WEB                                                                                        \
	"{\"name\":\"web\",\"cpus\":\"4-5\",\"memory\":\"1G\"," K ",\"cmdline\":\"console="        \
	"ttyS1\"}"
#define BATCH                                                                                      \
	"{\"name\":\"batch\",\"cpus\":\"6\",\"memory\":\"512M\"," K                                \
	",\"cmdline\":\"console=ttyS1\"}"
#define DB_AS(node)                                                                                \
	"{\"name\":\"db\",\"cpus\":\"2-3\",\"memory\":\"2G\"," node K                              \
	",\"cmdline\":\"console=ttyS1\",\"autostart\":false}"

static struct inventory *numa_pool(const char *file_root)
{
	return load_fixture("numa-pool", file_root);
}

static int setup(void **state)
{
	*state = fx_new(numa_pool);
	return 0;
}

/* "op name [attr old>new]" per action, as in test_diff.c */
static const char *diff(struct fx *f, const char *plan_text)
{
	if (check(f, plan_text)) {
		dump_problems(&f->ps);
		fail_msg("plan does not validate");
	}
	return fx_diff_text(f);
}

static void test_numa_node_read_back(void **state)
{
	struct fx *f = *state;

	/* db's file says 1, web's and batch's auto: no "numa_node" is auto */
	assert_string_equal(diff(f, HEAD WEB "," BATCH "," DB_AS("\"numa_node\":1,") "]}"), "");
}

static void test_numa_node_to_auto(void **state)
{
	struct fx *f = *state;

	/* db from node 1 to its CPUs' node 0: memory back first, then the node,
	 * then the memory again (writing auto with 2G would ask node 0 for 2G
	 * while node 1 still holds it: fine here, but not in general) */
	assert_string_equal(diff(f, HEAD WEB "," BATCH "," DB_AS("") "]}"),
			    "set db memory 2147483648>0\n"
			    "set db numa_node 1>auto\n"
			    "set db memory 0>2147483648\n");
}

static void test_numa_node_new_partition(void **state)
{
	struct fx *f = *state;

	assert_string_equal(
	    diff(f, HEAD WEB "," BATCH "," DB_AS(
			"\"numa_node\":1,") ",{\"name\":\"p\",\"cpus\":\"1\",\"memory\":\"256M\","
					    "\"numa_node\":0," K ",\"autostart\":false}]}"),
	    "create p\n"
	    "set p cpus NULL>1\n"
	    "set p numa_node NULL>0\n"
	    "set p memory NULL>268435456\n"
	    "set p kernel NULL>/boot/kpart/bzImage\n");
}

static void test_numa_node_running_partition(void **state)
{
	struct fx *f = *state;

	/* a running partition is stopped, changed and started again */
	assert_string_equal(diff(f,
				 HEAD "{\"name\":\"web\",\"cpus\":\"4-5\",\"memory\":\"1G\","
				      "\"numa_node\":0," K ",\"cmdline\":\"console=ttyS1\"}," BATCH
				      "," DB_AS("\"numa_node\":1,") "]}"),
			    "stop web\n"
			    "set web memory 1073741824>0\n"
			    "set web numa_node auto>0\n"
			    "set web memory 0>1073741824\n"
			    "start web\n");
	assert_string_equal(f->as.v[0].why, "definition changed: numa_node");
}

static void test_remove_gives_memory_back_first(void **state)
{
	struct fx *f = *state;

	/* emptying db's cpus with 2G would spread them over the pool by size */
	assert_string_equal(diff(f, HEAD WEB "," BATCH "]}"), "set db memory 2147483648>0\n"
							      "set db cpus 2-3>\n"
							      "delete db\n");
	/* undoing the delete puts numa_node back before the memory */
	assert_string_equal(f->as.v[2].restore[5], "1");
}

static void test_cpus_within_node_need_no_release(void **state)
{
	struct fx *f = *state;

	/* CPU 5 to 7: both node 1, the memory stays where it is */
	assert_string_equal(diff(f, HEAD "{\"name\":\"web\",\"cpus\":\"4,7\",\"memory\":\"1G\"," K
					 ",\"cmdline\":\"console=ttyS1\"}," BATCH
					 "," DB_AS("\"numa_node\":1,") "]}"),
			    "stop web\n"
			    "set web cpus 4-5>4\n"
			    "set web cpus 4>4,7\n"
			    "start web\n");
}

/* ---------------------------------------------------- the kernel's checks */

struct kpart_model {
	const struct inventory *inv; /* topology and pools */
	struct mpart {
		char name[KPART_NAME_MAX];
		struct cpuset cpus;
		int node;
		uint64_t memory;
		bool running;
	} p[16];
	size_t n;
	char why[256];
};

static struct mpart *mfind(struct kpart_model *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->p[i].name, name))
			return &m->p[i];
	return NULL;
}

static void model_free(struct kpart_model *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		cpuset_free(&m->p[i].cpus);
	m->n = 0;
}

/* kpart_pool_check: would p with these CPUs, node and memory fit next to the others? */
static bool fits(struct kpart_model *m, const struct mpart *p, const struct cpuset *cpus, int node,
		 uint64_t memory)
{
	size_t nn = m->inv->npool_nodes, i, k;
	uint64_t mine[8] = {0}, other[8] = {0}, s[8];

	assert_true(nn <= 8);
	if (pool_shares(m->inv, cpus, node, memory, mine))
		return false;
	for (i = 0; i < m->n; i++) {
		if (&m->p[i] == p || !m->p[i].memory)
			continue;
		assert_int_equal(
		    pool_shares(m->inv, &m->p[i].cpus, m->p[i].node, m->p[i].memory, s), 0);
		for (k = 0; k < nn; k++)
			other[k] += s[k];
	}
	for (k = 0; k < nn; k++)
		if (mine[k] && mine[k] + other[k] > m->inv->pool_nodes[k].size) {
			snprintf(m->why, sizeof(m->why),
				 "node %d: %llu MiB asked there, %llu MiB of %llu MiB claimed by "
				 "others",
				 m->inv->pool_nodes[k].node, (unsigned long long)(mine[k] >> 20),
				 (unsigned long long)(other[k] >> 20),
				 (unsigned long long)(m->inv->pool_nodes[k].size >> 20));
			return false;
		}
	return true;
}

/* One write to NAME/attr as kmod/fs.c takes it; 0 or -errno with m->why. */
static int model_write(struct kpart_model *m, const char *name, const char *attr, const char *value)
{
	struct mpart *p = mfind(m, name);
	size_t i;

	if (!p) {
		snprintf(m->why, sizeof(m->why), "no partition %s", name);
		return -ENOENT;
	}
	if (p->running &&
	    (!strcmp(attr, "cpus") || !strcmp(attr, "memory") || !strcmp(attr, "numa_node"))) {
		snprintf(m->why, sizeof(m->why), "%s is busy", name);
		return -EBUSY;
	}
	if (!strcmp(attr, "cpus")) {
		struct cpuset s;
		int r = 0;

		cpuset_init(&s);
		assert_int_equal(cpuset_parse(&s, value, NULL, 0), 0);
		for (i = 0; i < m->n; i++) {
			struct cpuset both;

			cpuset_init(&both);
			cpuset_and(&both, &s, &m->p[i].cpus);
			if (&m->p[i] != p && !cpuset_empty(&both)) {
				snprintf(m->why, sizeof(m->why), "cpus %s: held by %s", value,
					 m->p[i].name);
				r = -EBUSY;
			}
			cpuset_free(&both);
		}
		if (!r && !fits(m, p, &s, p->node, p->memory))
			r = -ENOMEM;
		if (!r)
			cpuset_copy(&p->cpus, &s);
		cpuset_free(&s);
		return r;
	}
	if (!strcmp(attr, "memory")) {
		uint64_t v = strtoull(value, NULL, 10);

		if (!fits(m, p, &p->cpus, p->node, v))
			return -ENOMEM;
		p->memory = v;
		return 0;
	}
	if (!strcmp(attr, "numa_node")) {
		int node = strcmp(value, "auto") ? atoi(value) : -1;

		if (node >= 0 && !inventory_pool_node(m->inv, node)) {
			snprintf(m->why, sizeof(m->why), "no pool on node %d", node);
			return -EINVAL;
		}
		if (!fits(m, p, &p->cpus, node, p->memory))
			return -ENOMEM;
		p->node = node;
		return 0;
	}
	return 0; /* kernel, initrd, cmdline, console, smt_split: no pool rules */
}

static int model_mkdir(struct kpart_model *m, const char *name)
{
	struct mpart *p;

	if (mfind(m, name))
		return -EEXIST;
	assert_true(m->n < ARRAY_SIZE(m->p));
	p = &m->p[m->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	cpuset_init(&p->cpus);
	p->node = -1;
	return 0;
}

static int model_rmdir(struct kpart_model *m, const char *name)
{
	struct mpart *p = mfind(m, name);

	if (!p)
		return -ENOENT;
	if (p->running)
		return -EBUSY;
	cpuset_free(&p->cpus);
	*p = m->p[--m->n];
	return 0;
}

/* plan_action_exec and plan_action_undo against the model. */
static int model_action(struct kpart_model *m, const struct plan_action *a, bool undo)
{
	static const char *const attrs[] = {"kernel",  "initrd",    "cmdline",
					    "console", "smt_split", "numa_node"};
	struct mpart *p = mfind(m, a->name);
	size_t i;
	int r;

	switch (a->type) {
	case ACT_STOP:
		if (undo) {
			if (a->old_state == PART_RUNNING || a->old_state == PART_STARTING)
				p->running = true;
		} else {
			p->running = false;
		}
		return 0;
	case ACT_START:
		if (!undo && (!p->memory || cpuset_empty(&p->cpus))) {
			snprintf(m->why, sizeof(m->why), "start %s without cpus or memory",
				 a->name);
			return -EINVAL;
		}
		p->running = !undo;
		return 0;
	case ACT_CREATE:
		return undo ? model_rmdir(m, a->name) : model_mkdir(m, a->name);
	case ACT_DELETE:
		if (!undo)
			return model_rmdir(m, a->name);
		r = model_mkdir(m, a->name);
		for (i = 0; !r && i < ARRAY_SIZE(attrs); i++)
			if (a->restore[i] && a->restore[i][0])
				r = model_write(m, a->name, attrs[i], a->restore[i]);
		return r;
	case ACT_SET:
		if (undo && !a->old)
			return 0;
		return model_write(m, a->name, a->attr, undo ? a->old : a->value);
	}
	return -EINVAL;
}

static void model_load(struct kpart_model *m, const struct inventory *inv)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->inv = inv;
	for (i = 0; i < inv->nparts; i++) {
		struct mpart *p = &m->p[m->n++];

		snprintf(p->name, sizeof(p->name), "%s", inv->parts[i].name);
		cpuset_init(&p->cpus);
		cpuset_copy(&p->cpus, &inv->parts[i].cpus);
		p->node = inv->parts[i].mem_node;
		p->memory = inv->parts[i].memory;
		p->running = inv->parts[i].state == PART_RUNNING;
	}
}

/* Every action, then every undo in reverse order, accepted by the model. */
static void run_in_model(const struct inventory *inv, const struct plan_actions *as,
			 const char *what)
{
	struct kpart_model m;
	char line[512];
	size_t i;

	model_load(&m, inv);
	for (i = 0; i < m.n; i++) /* the kernel took it so */
		if (!fits(&m, &m.p[i], &m.p[i].cpus, m.p[i].node, m.p[i].memory))
			fail_msg("%s: the live state does not fit: %s", what, m.why);
	for (i = 0; i < as->n; i++)
		if (model_action(&m, &as->v[i], false)) {
			for (size_t j = 0; j < as->n; j++)
				fprintf(stderr, "  %s\n",
					plan_action_format(&as->v[j], line, sizeof(line)));
			fail_msg("%s: the kernel refuses action %zu (%s): %s", what, i,
				 plan_action_format(&as->v[i], line, sizeof(line)), m.why);
		}
	for (i = as->n; i-- > 0;)
		if (model_action(&m, &as->v[i], true))
			fail_msg("%s: the kernel refuses undoing action %zu (%s): %s", what, i,
				 plan_action_format(&as->v[i], line, sizeof(line)), m.why);
	/* undone: as it was */
	assert_int_equal(m.n, inv->nparts);
	for (i = 0; i < inv->nparts; i++) {
		struct mpart *p = mfind(&m, inv->parts[i].name);

		assert_non_null(p);
		assert_true(cpuset_equal(&p->cpus, &inv->parts[i].cpus));
		assert_int_equal(p->memory, inv->parts[i].memory);
		assert_int_equal(p->node, inv->parts[i].mem_node);
	}
	model_free(&m);
}

/*
 * CPUs 1-3 on node 0 and 4-7 on node 1 (0 on node 0), 4G of pool on each.
 * Partitions name:cpus:memory(MiB):node, stopped.
 */
static struct inventory *machine(const char *const *parts, size_t n)
{
	struct inventory *inv = inventory_new();
	size_t i;
	unsigned c;

	for (c = 0; c < 8; c++)
		assert_int_equal(inventory_add_cpu(inv, c, c < 4 ? 0 : 1), 0);
	inv->numa_pool = true;
	inv->npool_nodes = 2;
	inv->pool_nodes = calloc(2, sizeof(*inv->pool_nodes));
	for (i = 0; i < 2; i++)
		inv->pool_nodes[i] = (struct pool_node){.node = (int)i,
							.size = 4 * GiB,
							.free = 4 * GiB,
							.largest = 4 * GiB,
							.ranges = 1};
	inv->pool_size = 8 * GiB;
	for (i = 0; i < n; i++) {
		char name[32], cpus[32];
		unsigned long long mem;
		int node;
		struct inv_partition *p;

		assert_int_equal(
		    sscanf(parts[i], "%31[^:]:%31[^:]:%llu:%d", name, cpus, &mem, &node), 4);
		p = inventory_add_partition(inv, name);
		assert_int_equal(cpuset_parse(&p->cpus, cpus, NULL, 0), 0);
		cpuset_or(&inv->assigned, &p->cpus);
		p->memory = mem * MiB;
		p->mem_node = node;
		free(p->kernel);
		p->kernel = strdup("/boot/kpart/bzImage");
	}
	inventory_sort(inv);
	return inv;
}

static void move(const char *const *live, size_t nlive, const char *plan_text, const char *what)
{
	struct inventory *inv = machine(live, nlive);
	char *root = make_file_root();
	struct problems ps;
	struct plan *plan;
	struct plan_actions as;

	inv->file_root = strdup(root);
	problems_init(&ps);
	plan_actions_init(&as);
	plan = parse_str(plan_text, &ps);
	assert_non_null(plan);
	if (plan_validate(plan, inv, &ps)) {
		dump_problems(&ps);
		fail_msg("%s: the plan does not validate", what);
	}
	assert_int_equal(plan_diff(plan, inv, &as), 0);
	run_in_model(inv, &as, what);
	plan_actions_free(&as);
	plan_free(plan);
	problems_free(&ps);
	inventory_free(inv);
	remove_tree(root);
	free(root);
}

#define PLAN4G "{\"version\":1,\"pool\":{\"size\":\"8G\"},\"partitions\":["
#define PART(name, cpus, mem, extra)                                                               \
	"{\"name\":\"" name "\",\"cpus\":\"" cpus "\",\"memory\":\"" mem "\"," extra K             \
	",\"autostart\":false}"

static void test_swap_nodes_by_cpus(void **state)
{
	static const char *const live[] = {"a:1-2:3072:-1", "b:4-5:3072:-1"};

	(void)state;
	/* a and b trade CPUs, so their 3G trade nodes: either cpus write with
	 * the memory still claimed would ask 6G of one node */
	move(live, 2, PLAN4G PART("a", "4-5", "3G", "") "," PART("b", "1-2", "3G", "") "]}",
	     "swap by cpus");
}

static void test_swap_nodes_by_numa_node(void **state)
{
	static const char *const live[] = {"a:1:3072:0", "b:4:3072:1"};

	(void)state;
	move(live, 2,
	     PLAN4G PART("a", "1", "3G", "\"numa_node\":1,") "," PART("b", "4", "3G",
								      "\"numa_node\":0,") "]}",
	     "swap by numa_node");
}

static void test_shrink_and_move(void **state)
{
	/* a spans both nodes (2G each) and moves to node 1 while shrinking to
	 * 3G; b leaves node 1 for node 0 and grows; c fills node 1 */
	static const char *const live[] = {"a:1,4:4096:-1", "b:5-6:1024:-1", "c:7:1024:1"};

	(void)state;
	move(live, 3,
	     PLAN4G PART("a", "4-5", "3G", "") "," PART("b", "1-2", "2G", "") "," PART(
		 "c", "7", "1G", "\"numa_node\":1,") "]}",
	     "shrink and move");
}

static void test_give_cpus_back_within_fit(void **state)
{
	/* a keeps CPU 1 and gives 4 back: with its 2G still claimed, the kept
	 * CPU alone would put them all on node 0, where b holds 3G */
	static const char *const live[] = {"a:1,4:2048:-1", "b:2-3:3072:-1"};

	(void)state;
	move(live, 2, PLAN4G PART("a", "1,5", "2G", "") "," PART("b", "2-3", "3G", "") "]}",
	     "give CPUs back");
}

static void test_removed_partition_on_full_node(void **state)
{
	/* gone: a (node 1); its cpus emptied with 3G claimed would spread them
	 * by pool size, 1.5G to node 0, which b fills */
	static const char *const live[] = {"a:4:3072:-1", "b:1:4096:-1"};

	(void)state;
	move(live, 2, PLAN4G PART("b", "1", "4G", "") "]}", "remove");
}

/* ---------------------------------------------------------------- random */

static unsigned rnd(unsigned *seed, unsigned n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) % n;
}

/* A random cpulist of 1-3 CPUs from 1-7 not in *taken (added to it), or "" */
static void random_cpus(unsigned *seed, struct cpuset *taken, char *out, size_t len)
{
	unsigned want = 1 + rnd(seed, 3), c, got = 0, tries;
	struct cpuset s;
	char *t;

	cpuset_init(&s);
	for (tries = 0; tries < 20 && got < want; tries++) {
		c = 1 + rnd(seed, 7);
		if (!cpuset_test(taken, c) && !cpuset_test(&s, c)) {
			cpuset_set(&s, c);
			got++;
		}
	}
	cpuset_or(taken, &s);
	t = cpuset_format(&s);
	snprintf(out, len, "%s", t ? t : "");
	free(t);
	cpuset_free(&s);
}

static void test_random_plans(void **state)
{
	static const char *const names[] = {"a", "b", "c", "d"};
	char *root = make_file_root();
	unsigned seed = 42, round, valid = 0, moved = 0;

	(void)state;
	for (round = 0; round < 3000; round++) {
		char lines[4][64], text[2048], cpus[32];
		const char *live[4];
		struct cpuset taken;
		struct inventory *inv;
		struct kpart_model m;
		struct problems ps;
		struct plan *plan;
		struct plan_actions as;
		size_t nlive = 0, i, len;

		/* a live configuration the kernel took, write by write */
		cpuset_init(&taken);
		for (i = 0; i < 4; i++) {
			if (rnd(&seed, 3) == 0)
				continue;
			random_cpus(&seed, &taken, cpus, sizeof(cpus));
			if (!cpus[0])
				continue;
			snprintf(lines[nlive], sizeof(lines[nlive]), "%s:%s:%u:%d", names[i], cpus,
				 512 * (1 + rnd(&seed, 6)), (int)rnd(&seed, 3) - 1);
			live[nlive] = lines[nlive];
			nlive++;
		}
		cpuset_free(&taken);
		inv = machine(live, nlive);
		inv->file_root = strdup(root);
		model_load(&m, inv);
		for (i = 0; i < m.n; i++) /* keep only what fits, as the kernel would */
			if (!fits(&m, &m.p[i], &m.p[i].cpus, m.p[i].node, m.p[i].memory)) {
				m.p[i].memory = 0;
				inventory_find(inv, m.p[i].name)->memory = 0;
			}
		for (i = 0; i < inv->nparts; i++)
			if (inv->parts[i].memory && rnd(&seed, 2))
				inv->parts[i].state = PART_RUNNING;
		model_free(&m);

		/* a random plan */
		cpuset_init(&taken);
		len = (size_t)snprintf(text, sizeof(text), PLAN4G);
		for (i = 0; i < 4; i++) {
			int node = (int)rnd(&seed, 3) - 1;
			char extra[32] = "";

			if (rnd(&seed, 4) == 0)
				continue;
			random_cpus(&seed, &taken, cpus, sizeof(cpus));
			if (!cpus[0])
				continue;
			if (node >= 0)
				snprintf(extra, sizeof(extra), "\"numa_node\":%d,", node);
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"%s{\"name\":\"%s\",\"cpus\":\"%s\",\"memory\":"
						"\"%uM\",%s" K ",\"autostart\":%s}",
						text[len - 1] == '[' ? "" : ",", names[i], cpus,
						512 * (1 + rnd(&seed, 6)), extra,
						rnd(&seed, 2) ? "true" : "false");
		}
		snprintf(text + len, sizeof(text) - len, "]}");
		cpuset_free(&taken);

		problems_init(&ps);
		plan_actions_init(&as);
		plan = parse_str(text, &ps);
		assert_non_null(plan);
		if (!plan_validate(plan, inv, &ps)) {
			char what[2600];

			valid++;
			assert_int_equal(plan_diff(plan, inv, &as), 0);
			for (i = 0; i < as.n; i++)
				if (as.v[i].type == ACT_SET && !strcmp(as.v[i].attr, "memory") &&
				    as.v[i].phase == PHASE_RELEASE && !strcmp(as.v[i].value, "0"))
					moved++;
			snprintf(what, sizeof(what), "round %u, plan %s", round, text);
			run_in_model(inv, &as, what);
		}
		plan_actions_free(&as);
		plan_free(plan);
		problems_free(&ps);
		inventory_free(inv);
	}
	/* enough plans got through validation, and moved memory, to mean something */
	assert_true(valid > 500);
	assert_true(moved > 300);
	remove_tree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_numa_node_read_back, setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_numa_node_to_auto, setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_numa_node_new_partition, setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_numa_node_running_partition, setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_remove_gives_memory_back_first, setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_cpus_within_node_need_no_release, setup,
					    fx_teardown),
	    cmocka_unit_test(test_swap_nodes_by_cpus),
	    cmocka_unit_test(test_swap_nodes_by_numa_node),
	    cmocka_unit_test(test_shrink_and_move),
	    cmocka_unit_test(test_give_cpus_back_within_fit),
	    cmocka_unit_test(test_removed_partition_on_full_node),
	    cmocka_unit_test(test_random_plans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
