/* SPDX-License-Identifier: MIT */
/* Unit tests: cpusets and cpulists, memory sizes, partition names. */
#include "testutil.h"

#include <errno.h>

static void roundtrip(const char *in, const char *out, unsigned count)
{
	struct cpuset s;
	char err[128];
	char *f;

	cpuset_init(&s);
	assert_int_equal(cpuset_parse(&s, in, err, sizeof(err)), 0);
	assert_int_equal(cpuset_count(&s), count);
	f = cpuset_format(&s);
	assert_string_equal(f, out);
	free(f);
	cpuset_free(&s);
}

static void test_cpulist_parse_format(void **state)
{
	(void)state;
	roundtrip("0-3,8", "0-3,8", 5);
	roundtrip(" 2 , 5-6\n", "2,5-6", 3);
	roundtrip("", "", 0);
	roundtrip("7,6,5,1", "1,5-7", 4);
	roundtrip("63-65,127,128", "63-65,127-128", 5);
	roundtrip("3-3", "3", 1);
	roundtrip("0-4095", "0-4095", 4096);
}

static void test_cpulist_errors(void **state)
{
	struct cpuset s;
	char err[128];

	(void)state;
	cpuset_init(&s);
	assert_int_equal(cpuset_parse(&s, "3-1", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "backwards"));
	assert_int_equal(cpuset_parse(&s, "a", err, sizeof(err)), -EINVAL);
	assert_int_equal(cpuset_parse(&s, "1,,2", err, sizeof(err)), -EINVAL);
	assert_int_equal(cpuset_parse(&s, "1-", err, sizeof(err)), -EINVAL);
	assert_int_equal(cpuset_parse(&s, "1 2", err, sizeof(err)), -EINVAL);
	assert_int_equal(cpuset_parse(&s, "-1", err, sizeof(err)), -EINVAL);
	assert_int_equal(cpuset_parse(&s, "99999999999", err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "too large"));
	assert_int_equal(cpuset_parse(&s, "1,", NULL, 0), -EINVAL);
	cpuset_free(&s);
}

static void test_cpuset_ops(void **state)
{
	struct cpuset a, b, c;
	int i, n = 0;

	(void)state;
	cpuset_init(&a);
	cpuset_init(&b);
	cpuset_init(&c);
	assert_true(cpuset_empty(&a));
	assert_int_equal(cpuset_next(&a, 0), -1);
	cpuset_set(&a, 63);
	cpuset_set(&a, 64);
	cpuset_set(&a, 200);
	assert_true(cpuset_test(&a, 64));
	assert_false(cpuset_test(&a, 65));
	assert_false(cpuset_test(&a, 100000));
	assert_int_equal(cpuset_next(&a, 0), 63);
	assert_int_equal(cpuset_next(&a, 65), 200);
	assert_int_equal(cpuset_next(&a, 201), -1);
	for (i = cpuset_next(&a, 0); i >= 0; i = cpuset_next(&a, (unsigned)i + 1))
		n++;
	assert_int_equal(n, 3);
	assert_int_equal(cpuset_set(&a, CPUSET_MAX_CPUS), -ERANGE);

	/* sets of different word counts compare by content */
	cpuset_set(&b, 63);
	cpuset_set(&b, 64);
	assert_true(cpuset_subset(&b, &a));
	assert_false(cpuset_subset(&a, &b));
	assert_false(cpuset_equal(&a, &b));
	cpuset_clear(&a, 200);
	assert_true(cpuset_equal(&a, &b));
	assert_true(cpuset_equal(&b, &a));

	cpuset_set(&a, 5);
	assert_int_equal(cpuset_and(&c, &a, &b), 0);
	assert_int_equal(cpuset_count(&c), 2);
	assert_int_equal(cpuset_or(&c, &a), 0);
	assert_int_equal(cpuset_count(&c), 3);
	cpuset_andnot(&c, &b);
	assert_int_equal(cpuset_count(&c), 1);
	assert_true(cpuset_test(&c, 5));
	assert_int_equal(cpuset_copy(&c, &b), 0);
	assert_true(cpuset_equal(&c, &b));
	cpuset_zero(&c);
	assert_true(cpuset_empty(&c));
	cpuset_free(&a);
	cpuset_free(&b);
	cpuset_free(&c);
}

static void test_sizes(void **state)
{
	uint64_t v;
	char buf[32];

	(void)state;
	assert_int_equal(plan_parse_size("1G", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(plan_parse_size("512M", &v), 0);
	assert_int_equal(v, 512ull << 20);
	assert_int_equal(plan_parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(plan_parse_size("2T", &v), 0);
	assert_int_equal(v, 2ull << 40);
	assert_int_equal(plan_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(plan_parse_size("", &v), -EINVAL);
	assert_int_equal(plan_parse_size("1X", &v), -EINVAL);
	assert_int_equal(plan_parse_size("1GB", &v), -EINVAL);
	assert_int_equal(plan_parse_size(" 1G", &v), -EINVAL);
	assert_int_equal(plan_parse_size("-1", &v), -EINVAL);
	assert_int_equal(plan_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(plan_parse_size("16777216T", &v), -ERANGE);

	assert_string_equal(plan_format_size(1ull << 30, buf), "1G");
	assert_string_equal(plan_format_size(1536ull << 20, buf), "1536M");
	assert_string_equal(plan_format_size(4100ull << 10, buf), "4100K");
	assert_string_equal(plan_format_size(1234, buf), "1234");
	assert_string_equal(plan_format_size(0, buf), "0");
	assert_string_equal(plan_format_size(3ull << 40, buf), "3T");
}

static void test_names(void **state)
{
	(void)state;
	assert_null(plan_name_problem("web-0"));
	assert_null(plan_name_problem("a.b_C9"));
	assert_null(plan_name_problem("0123456789012345678901234567890")); /* 31 */
	assert_string_equal(plan_name_problem(""), "is empty");
	assert_string_equal(plan_name_problem(".hidden"), "starts with '.'");
	assert_string_equal(plan_name_problem("-rf"), "starts with '-'");
	assert_null(plan_name_problem("a-"));
	assert_string_equal(plan_name_problem("console"), "is reserved (console, echo, control)");
	assert_non_null(plan_name_problem("echo"));
	assert_non_null(plan_name_problem("control"));
	assert_null(plan_name_problem("consoles"));
	assert_string_equal(plan_name_problem("01234567890123456789012345678901"), /* 32 */
			    "is longer than 31 characters");
	assert_string_equal(plan_name_problem("a/b"), "has a character outside [A-Za-z0-9_.-]");
	assert_string_equal(plan_name_problem("a b"), "has a character outside [A-Za-z0-9_.-]");
	assert_string_equal(plan_name_problem("caf\xc3\xa9"),
			    "has a character outside [A-Za-z0-9_.-]");
	assert_string_equal(plan_name_problem("version"), "is the name of a top-level kpart file");
	assert_string_equal(plan_name_problem("pool_free"),
			    "is the name of a top-level kpart file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cpulist_parse_format),
	    cmocka_unit_test(test_cpulist_errors),
	    cmocka_unit_test(test_cpuset_ops),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
