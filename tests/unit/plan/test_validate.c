/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: validation against the fixture machines (fixtures/README.md).
 * two-node: CPUs 0-3 on node 0, 4-7 on node 1, pool 4G; web runs on 2-3
 * with 1G, old is stopped on 6 with 512M.
 */
#include "plan_fx.h"

#define HEAD "{\"version\":1,\"pool\":{\"size\":\"4G\"},"
#define K "\"kernel\":\"/boot/kpart/bzImage\""
#define PART(name, cpus, mem)                                                                      \
	"{\"name\":\"" name "\",\"cpus\":" cpus ",\"memory\":\"" mem "\"," K "}"

static char *cpus_of(struct fx *f, size_t i)
{
	return cpuset_format(&f->plan->parts[i].cpus);
}

static void test_valid(void **state)
{
	struct fx *f = *state;

	assert_int_equal(check(f, HEAD "\"boot_cpus\":\"0-1\",\"partitions\":["
				       "{\"name\":\"web\",\"cpus\":\"2-3\",\"memory\":\"1G\"," K
				       ",\"initrd\":\"/boot/kpart/initrd.img\"},"
				       "{\"name\":\"db\",\"cpus\":\"4-5\",\"memory\":\"2G\"," K
				       ",\"initrd\":\"/boot/kpart/db-initrd.img\"}]}"),
			 0);
	assert_int_equal(f->ps.n, 0);
}

static void test_cpu0_and_boot_cpus(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(check_all(f, HEAD "\"boot_cpus\":\"0-1\",\"partitions\":[" PART(
					  "a", "\"0-2\"", "4K") "]}"),
			 2);
	p = find_problem(&f->ps, "/partitions/0/cpus", "CPU 0 always stays with the boot kernel");
	assert_non_null(p);
	assert_string_equal(p->holder, "the boot kernel");
	assert_non_null(strstr(p->hint, "free CPUs: 3 (node 0), 4-7 (node 1)"));
	p = find_problem(&f->ps, "/partitions/0/cpus", "CPU 1 is left to the boot kernel");
	assert_non_null(p);
	assert_string_equal(p->holder, "the boot kernel (/boot_cpus is \"0-1\")");
}

static void test_absent_cpus(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(check(f, HEAD "\"partitions\":[" PART("a", "\"7-9,12\"", "4K") "]}"), 1);
	p = find_problem(&f->ps, "/partitions/0/cpus", "CPUs 8-9,12 are not present");
	assert_non_null(p);
	assert_non_null(strstr(p->hint, "present CPUs are 0-7"));
}

static void test_overlap(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(check(f, HEAD "\"partitions\":[" PART("a", "\"1-3\"", "4K") "," PART(
				      "b", "\"3-4\"", "4K") "," PART("c", "\"2,5\"", "4K") "]}"),
			 2);
	p = find_problem(&f->ps, "/partitions/1/cpus",
			 "CPU 3 is also requested by /partitions/0 (a)");
	assert_non_null(p);
	/* CPU 3 is held by the live partition web */
	assert_string_equal(p->holder, "/partitions/0 (a) in this plan; now held by partition web "
				       "(running)");
	assert_problem(&f->ps, "/partitions/2/cpus",
		       "CPU 2 is also requested by /partitions/0 (a)");
}

static void test_placement(void **state)
{
	struct fx *f = *state;
	char *s;

	/* fixed CPUs claim first, whatever their order; count partitions get the
	 * lowest free CPUs of their node */
	assert_int_equal(
	    check(f, HEAD
		  "\"partitions\":[" PART("p1", "{\"count\":2,\"numa_node\":1}", "4K") "," PART(
		      "fixed", "\"4\"", "4K") "," PART("p2", "{\"count\":1,\"numa_node\":1}",
						       "4K") "," PART("any", "{\"count\":2}",
								      "4K") "]}"),
	    0);
	s = cpus_of(f, 0);
	assert_string_equal(s, "5-6");
	free(s);
	s = cpus_of(f, 2);
	assert_string_equal(s, "7");
	free(s);
	s = cpus_of(f, 3); /* any node: node 0 has 1-3 free */
	assert_string_equal(s, "1-2");
	free(s);
	assert_true(f->plan->parts[0].placed);
	assert_false(f->plan->parts[1].placed);
}

static void test_placement_keeps_live_cpus(void **state)
{
	struct fx *f = *state;
	char *s;

	/* web already runs on 2-3 (node 0): a {count: 2, node 0} definition keeps
	 * them, even though a new partition listed first would otherwise take them */
	assert_int_equal(
	    check(f, HEAD
		  "\"partitions\":[" PART("new", "{\"count\":1,\"numa_node\":0}", "4K") "," PART(
		      "web", "{\"count\":2,\"numa_node\":0}", "4K") "]}"),
	    0);
	s = cpus_of(f, 1);
	assert_string_equal(s, "2-3");
	free(s);
	s = cpus_of(f, 0);
	assert_string_equal(s, "1");
	free(s);
}

static void test_placement_moves_when_live_cpus_are_taken(void **state)
{
	struct fx *f = *state;
	char *s;

	assert_int_equal(check(f, HEAD "\"partitions\":[" PART("x", "\"3\"", "4K") "," PART(
				      "web", "{\"count\":2,\"numa_node\":0}", "4K") "]}"),
			 0);
	s = cpus_of(f, 1);
	assert_string_equal(s, "1-2");
	free(s);
}

static void test_placement_errors(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(
	    check(f, HEAD "\"boot_cpus\":\"0,4\",\"partitions\":[" PART(
			 "a", "{\"count\":1,\"numa_node\":5}",
			 "4K") "," PART("b", "\"5\"",
					"4K") "," PART("c", "{\"count\":3,\"numa_node\":1}",
						       "4K") "," PART("d", "{\"count\":9}",
								      "4K") "]}"),
	    3);
	p = find_problem(&f->ps, "/partitions/0/cpus", "NUMA node 5 does not exist");
	assert_non_null(p);
	assert_string_equal(p->hint, "this machine has nodes 0-1");
	p = find_problem(&f->ps, "/partitions/2/cpus",
			 "needs 3 CPUs on NUMA node 1 but only 2 of its CPUs (4-7) are free");
	assert_non_null(p);
	assert_string_equal(p->holder, "the boot kernel (4), b (1)");
	p = find_problem(&f->ps, "/partitions/3/cpus", "needs 9 CPUs but only");
	assert_non_null(p);
}

static void test_placement_spanning_nodes_warns(void **state)
{
	struct fx *f = *state;
	const struct problem *p;
	char *s;

	assert_int_equal(check(f, HEAD "\"partitions\":[" PART("a", "{\"count\":5}", "4K") "]}"),
			 0);
	p = find_problem(&f->ps, "/partitions/0/cpus", "spans nodes");
	assert_non_null(p);
	assert_int_equal(p->severity, PROBLEM_WARNING);
	s = cpus_of(f, 0);
	assert_string_equal(s, "1-5");
	free(s);
}

static void test_memory_beyond_pool(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(
	    check_all(f,
		      HEAD "\"partitions\":[" PART("a", "\"1\"", "1G") "," PART(
			  "b", "\"2\"", "2G") "," PART("c", "\"3\"", "1536M") "," PART("d", "\"4\"",
										       "1G") "]}"),
	    1);
	p = find_problem(&f->ps, "/partitions/2/memory",
			 "need 5632M of memory in total but the pool has 4G (3G already taken");
	assert_non_null(p);
	assert_string_equal(p->holder, "largest: b 2G, c 1536M, a 1G, d 1G");
	assert_string_equal(p->hint, "reduce memory by 1536M, or boot with kpart_pool=5632M and "
				     "update /pool/size");
}

static void test_memory_larger_than_pool(void **state)
{
	struct fx *f = *state;

	assert_int_equal(check_all(f, HEAD "\"partitions\":[" PART("a", "\"1\"", "5G") "]}"), 1);
	assert_problem(&f->ps, "/partitions/0/memory", "5G is more than the whole pool (4G)");
}

static void test_pool_size(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(check(f, "{\"version\":1,\"pool\":{\"size\":\"8G\"},\"partitions\":[]}"),
			 1);
	assert_problem(&f->ps, "/pool/size", "expects a pool of 8G but the machine reserved 4G");
	plan_free(f->plan);
	problems_free(&f->ps);
	problems_init(&f->ps);
	assert_int_equal(
	    check_all(f, "{\"version\":1,\"pool\":{\"size\":\"2G\"},\"partitions\":[" PART(
			     "a", "\"1\"", "3G") "]}"),
	    1);
	p = find_problem(&f->ps, "/pool/size", "more than the 2G this plan uses");
	assert_non_null(p);
	assert_int_equal(p->severity, PROBLEM_WARNING);
	/* the plan's pool size is the limit, not the machine's */
	assert_problem(&f->ps, "/partitions/0/memory", "more than the whole pool (2G)");
}

static void test_files(void **state)
{
	struct fx *f = *state;

	assert_int_equal(
	    check(f,
		  HEAD "\"partitions\":["
		       "{\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/boot/kpart/"
		       "missing\",\"initrd\":\"/boot/kpart/nope.img\"},"
		       "{\"name\":\"b\",\"cpus\":\"2\",\"memory\":\"4K\",\"kernel\":\"/boot/kpart/"
		       "vmlinux\",\"initrd\":\"/boot/kpart/dir\"},"
		       "{\"name\":\"c\",\"cpus\":\"3\",\"memory\":\"4K\",\"kernel\":\"/boot/kpart/"
		       "bzImage32\"},"
		       "{\"name\":\"d\",\"cpus\":\"4\",\"memory\":\"4K\",\"kernel\":\"/boot/kpart/"
		       "missing\"}]}"),
	    6);
	assert_problem(&f->ps, "/partitions/0/kernel", "kernel /boot/kpart/missing does not exist");
	assert_problem(&f->ps, "/partitions/0/initrd",
		       "initrd /boot/kpart/nope.img does not exist");
	assert_problem(&f->ps, "/partitions/1/kernel", "is not a bzImage");
	assert_problem(&f->ps, "/partitions/1/initrd", "is not a regular file");
	assert_problem(&f->ps, "/partitions/2/kernel", "no 64-bit entry point");
	/* the cached verdict is reported again for the second user */
	assert_problem(&f->ps, "/partitions/3/kernel", "does not exist");
}

static void test_duplicate_names(void **state)
{
	struct fx *f = *state;
	const struct problem *p;

	assert_int_equal(check_all(f, HEAD "\"partitions\":[" PART("a", "\"1\"", "4K") "," PART(
					  "b", "\"2\"", "4K") "," PART("a", "\"3\"", "4K") "]}"),
			 1);
	p = find_problem(&f->ps, "/partitions/2/name", "duplicate name \"a\"");
	assert_non_null(p);
	assert_string_equal(p->holder, "/partitions/0");
}

/* The fixture's module has no devices file: it cannot hand devices over. */
static void test_devices_rejected(void **state)
{
	struct fx *f = *state;

	assert_false(f->inv->pci_handoff);
	assert_int_equal(check(f, HEAD "\"partitions\":[{\"name\":\"a\",\"cpus\":\"1\",\"memory\":"
				       "\"4K\"," K ",\"devices\":[\"0000:03:00.0\"]}]}"),
			 1);
	assert_problem(&f->ps, "/partitions/0/devices", "cannot hand PCI devices to partitions");
}

static void test_interface_version(void **state)
{
	struct fx *f = *state;

	f->inv->iface_version = 2;
	assert_int_equal(check(f, HEAD "\"partitions\":[]}"), 1);
	assert_problem(&f->ps, "", "interface is version 2");
}

/* Parse problems and machine problems come out together. */
static void test_everything_at_once(void **state)
{
	struct fx *f = *state;

	f->plan = parse_str(HEAD "\"boot_cpus\":\"0-1\",\"partitions\":["
				 "{\"name\":\"a\",\"cpus\":\"0-1\",\"memory\":\"4K\",\"kernel\":"
				 "\"/boot/kpart/missing\",\"extra\":1},"
				 "{\"name\":\"a\",\"cpus\":\"9\",\"memory\":\"5G\"," K "},"
				 "{\"name\":\".bad\",\"cpus\":\"2\",\"memory\":\"4K\"," K "},"
				 "{\"name\":\"c\",\"cpus\":\"2\",\"memory\":\"4K\"," K "}]}",
			    &f->ps);
	assert_non_null(f->plan);
	/* unknown key, bad name; and of the plan alone: CPU 0, duplicate name, 5G > 4G pool */
	assert_int_equal(f->ps.nerrors, 5);
	size_t n = plan_validate(f->plan, f->inv, &f->ps);
	assert_int_equal(n, 9);
	assert_problem(&f->ps, "/partitions/0/extra", "unknown key");
	assert_problem(&f->ps, "/partitions/2/name", "starts with '.'");
	assert_problem(&f->ps, "/partitions/0/cpus", "CPU 0 always stays");
	assert_problem(&f->ps, "/partitions/0/cpus", "CPU 1 is left to the boot kernel");
	assert_problem(&f->ps, "/partitions/0/kernel", "does not exist");
	assert_problem(&f->ps, "/partitions/1/name", "duplicate name");
	assert_problem(&f->ps, "/partitions/1/cpus", "not present");
	assert_problem(&f->ps, "/partitions/1/memory", "more than the whole pool");
	assert_problem(&f->ps, "/partitions/3/cpus", "CPU 2 is also requested by /partitions/2");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_two_node, fx_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_valid),
	    T(test_cpu0_and_boot_cpus),
	    T(test_absent_cpus),
	    T(test_overlap),
	    T(test_placement),
	    T(test_placement_keeps_live_cpus),
	    T(test_placement_moves_when_live_cpus_are_taken),
	    T(test_placement_errors),
	    T(test_placement_spanning_nodes_warns),
	    T(test_memory_beyond_pool),
	    T(test_memory_larger_than_pool),
	    T(test_pool_size),
	    T(test_files),
	    T(test_duplicate_names),
	    T(test_devices_rejected),
	    T(test_interface_version),
	    T(test_everything_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
