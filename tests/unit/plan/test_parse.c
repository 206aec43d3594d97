/* SPDX-License-Identifier: MIT */
/* Unit tests: plan parsing and the schema rules checked in C. */
#include "testutil.h"

#include <errno.h>

/* A plan with one partition whose body is P (a JSON object's members). */
#define ONE(P) "{\"version\":1,\"pool\":{\"size\":\"4G\"},\"partitions\":[{" P "}]}"
#define GOOD_PART                                                                                  \
	"\"name\":\"web\",\"cpus\":\"2-3\",\"memory\":\"1G\",\"kernel\":\"/boot/kpart/bzImage\""

/* Parse expecting a plan object back; returns it (caller frees). */
static struct plan *must_parse(const char *text, struct problems *ps)
{
	struct plan *p = parse_str(text, ps);

	if (!p) {
		dump_problems(ps);
		fail_msg("plan_parse returned NULL");
	}
	return p;
}

static void test_minimal(void **state)
{
	struct problems ps;
	struct plan *p;
	const struct plan_partition *pp;

	(void)state;
	problems_init(&ps);
	p = must_parse(ONE(GOOD_PART), &ps);
	assert_int_equal(ps.n, 0);
	assert_int_equal(p->version, 1);
	assert_int_equal(p->pool_size, 4ull << 30);
	assert_int_equal(cpuset_count(&p->boot_cpus), 1);
	assert_true(cpuset_test(&p->boot_cpus, 0));
	assert_int_equal(p->nparts, 1);
	pp = &p->parts[0];
	assert_string_equal(pp->name, "web");
	assert_int_equal(pp->cpus_mode, PLAN_CPUS_LIST);
	assert_int_equal(cpuset_count(&pp->cpus), 2);
	assert_int_equal(pp->memory, 1ull << 30);
	assert_string_equal(pp->kernel, "/boot/kpart/bzImage");
	assert_null(pp->initrd);
	assert_null(pp->cmdline);
	assert_null(pp->console);
	assert_true(pp->autostart); /* default */
	assert_int_equal(pp->invalid, 0);
	assert_ptr_equal(plan_find(p, "web"), pp);
	assert_null(plan_find(p, "nope"));
	plan_free(p);
	problems_free(&ps);
}

static void test_full_partition(void **state)
{
	struct problems ps;
	struct plan *p;
	const struct plan_partition *pp;

	(void)state;
	problems_init(&ps);
	p = must_parse(
	    "{\"version\":1,\"description\":\"d\",\"boot_cpus\":\"1-2\","
	    "\"pool\":{\"size\":8589934592,\"description\":\"x\"},\"partitions\":["
	    "{\"name\":\"a.b-c_d\",\"description\":\"x\",\"cpus\":{\"count\":4,"
	    "\"numa_node\":1},\"memory\":268435456,\"kernel\":\"/k\",\"initrd\":\"/i\","
	    "\"cmdline\":\"console=ttyS1 x=//y\",\"console\":\"io:0x2f8\","
	    "\"devices\":[\"0000:03:00.0\",\"04:1f.7\"],\"autostart\":false},"
	    "{\"name\":\"n2\",\"cpus\":{\"count\":1},\"memory\":\"4K\",\"kernel\":\"/k\","
	    "\"initrd\":\"\",\"console\":\"none\"}]}",
	    &ps);
	assert_int_equal(ps.n, 0);
	assert_string_equal(p->description, "d");
	assert_true(cpuset_test(&p->boot_cpus, 0)); /* CPU 0 is always added */
	assert_int_equal(cpuset_count(&p->boot_cpus), 3);
	assert_int_equal(p->pool_size, 8ull << 30);
	pp = &p->parts[0];
	assert_int_equal(pp->cpus_mode, PLAN_CPUS_COUNT);
	assert_int_equal(pp->cpu_count, 4);
	assert_int_equal(pp->numa_node, 1);
	assert_int_equal(pp->memory, 256ull << 20);
	assert_string_equal(pp->initrd, "/i");
	assert_string_equal(pp->cmdline, "console=ttyS1 x=//y");
	assert_string_equal(pp->console, "io:0x2f8");
	assert_int_equal(pp->ndevices, 2);
	assert_string_equal(pp->devices[0], "0000:03:00.0");
	assert_string_equal(pp->devices[1], "0000:04:1f.7"); /* domain 0000 added */
	assert_false(pp->autostart);
	pp = &p->parts[1];
	assert_int_equal(pp->numa_node, -1);
	assert_null(pp->initrd); /* "" means none */
	assert_string_equal(pp->console, "none");
	assert_int_equal(pp->index, 1);
	plan_free(p);
	problems_free(&ps);
}

static void test_comments(void **state)
{
	struct problems ps;
	struct plan *p;

	(void)state;
	problems_init(&ps);
	p = must_parse(
	    "// leading comment\n"
	    "{ /* block\n comment */ \"version\": 1, // trailing\n"
	    "  \"pool\": {\"size\": \"1G\"},\n"
	    "  \"partitions\": [ { \"name\": \"a\", \"cpus\": \"1\", \"memory\": \"4K\",\n"
	    "    \"kernel\": \"/k\", \"cmdline\": \"url=http://x/*y*/ z\" } ] }\n"
	    "/* done */\n",
	    &ps);
	assert_int_equal(ps.n, 0);
	/* comment markers inside strings are text */
	assert_string_equal(p->parts[0].cmdline, "url=http://x/*y*/ z");
	plan_free(p);
	problems_free(&ps);
}

static void test_malformed(void **state)
{
	static const struct {
		const char *text, *needle;
	} cases[] = {
	    {"{\"version\":1,\n\"pool\":{\"size\":1},}", "line 2, column 19"},
	    {"{\"version\":1", "malformed JSON"},
	    {"{\"a\": 'x'}", "malformed JSON at line 1"},
	    {"{} {}", "malformed JSON"},
	    {"{\"a\":1} /* open", "never closed"},
	    {"", "empty"},
	    {"  \n// only a comment\n", "empty"},
	    {"[1,2,]", "malformed JSON"},
	    {"{\"a\":01}", "malformed JSON"},
	    {"{\"a\":1}\0x", "NUL"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct problems ps;
		struct plan *p;
		size_t len = strlen(cases[i].text);

		if (strstr(cases[i].needle, "NUL"))
			len += 2;
		problems_init(&ps);
		p = plan_parse(cases[i].text, len, &ps);
		assert_null(p);
		assert_int_equal(ps.nerrors, 1);
		assert_string_equal(ps.v[0].path, "");
		assert_problem(&ps, "", cases[i].needle);
		problems_free(&ps);
	}
}

static void test_not_an_object(void **state)
{
	struct problems ps;
	struct plan *p;

	(void)state;
	problems_init(&ps);
	p = must_parse("[]", &ps);
	assert_problem(&ps, "", "must be a JSON object, not an array");
	plan_free(p);
	problems_free(&ps);
}

static void test_duplicate_keys(void **state)
{
	struct problems ps;
	struct plan *p;

	(void)state;
	problems_init(&ps);
	p = must_parse("{\"version\":1,\"pool\":{\"size\":\"1G\"},\"partitions\":[{\"name\":\"a\","
		       "\"cpus\":\"1\",\n\"memory\":\"4K\",\"memory\":\"8K\",\"kernel\":\"/k\"}],"
		       "\"version\":1}",
		       &ps);
	assert_problem(&ps, "/partitions/0/memory", "duplicate key \"memory\" (line 2, column 15)");
	assert_problem(&ps, "/version", "duplicate key \"version\"");
	assert_int_equal(ps.nerrors, 2);
	plan_free(p);
	problems_free(&ps);
}

/* What JSON does not allow and json-c lets through (issue 13, fix 2). */
static void test_json_strictness(void **state)
{
	static const struct {
		const char *text, *needle;
	} cases[] = {
	    {"{\"version\":1, 'pool':{}}", "line 1, column 15: a single quote"},
	    {"{'version':1}", "a single quote"},
	    {"{\"description\":\"a\tb\"}", "a control character inside a string"},
	    {"{\"description\":\"a\\u0000b\"}", "\\u0000"},
	    {"{\"description\\u0000\":1}", "\\u0000"},
	    {"{\"description\":\"\\ud800\"}", "lone high surrogate"},
	    {"{\"description\":\"\\udc00x\"}", "lone low surrogate"},
	};
	struct problems ps;
	struct plan *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		problems_init(&ps);
		p = parse_str(cases[i].text, &ps);
		assert_null(p);
		assert_int_equal(ps.nerrors, 1);
		assert_problem(&ps, "", cases[i].needle);
		problems_free(&ps);
	}
	/* quotes and escapes JSON does allow */
	problems_init(&ps);
	p = must_parse("{\"version\":1,\"pool\":{\"size\":\"1G\"},\"partitions\":[],"
		       "\"description\":\"it's \\ud83d\\ude00 \\u00e9 \\n\\\"\"} // it's",
		       &ps);
	assert_int_equal(ps.n, 0);
	assert_string_equal(p->description, "it's \xf0\x9f\x98\x80 \xc3\xa9 \n\"");
	plan_free(p);
	problems_free(&ps);
}

/* A key is a duplicate however it is spelled: escapes are decoded first. */
static void test_duplicate_keys_escaped(void **state)
{
	static const char *const texts[] = {
	    "{\"version\":1,\"pool\":{\"size\":\"1G\"},\"partitions\":[],\"p\\u0061rtitions\":[]}",
	    "{\"version\":1,\"pool\":{\"size\":\"1G\"},\"partitions\":[],\"\\u0070artitions\":[]}",
	    "{\"version\":1,\"pool\":{\"size\":\"1G\"},\"partitions\":[],\"partitions\\/\":[],"
	    "\"partitions/\":1}",
	};
	struct problems ps;
	struct plan *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		problems_init(&ps);
		p = parse_str(texts[i], &ps);
		if (!find_problem(&ps, NULL, "duplicate key")) {
			dump_problems(&ps);
			fail_msg("no duplicate key found in %s", texts[i]);
		}
		plan_free(p);
		problems_free(&ps);
	}
}

/* The shared reader's limits (fix 3, 4): the same for files and text. */
static void test_read_limits(void **state)
{
	char *root = make_file_root(), path[600], err[256], *big, *t;
	size_t len;
	struct problems ps;

	(void)state;
	snprintf(path, sizeof(path), "%s/nul.json", root);
	write_bytes(path, "{}\0", 3);
	assert_null(plan_read_text(path, &len, err, sizeof(err)));
	assert_non_null(strstr(err, "NUL byte"));
	problems_init(&ps);
	assert_null(plan_load_file(path, &ps));
	assert_problem(&ps, "", "NUL byte");
	problems_free(&ps);

	big = malloc(PLAN_TEXT_MAX + 1);
	assert_non_null(big);
	memset(big, ' ', PLAN_TEXT_MAX + 1);
	snprintf(path, sizeof(path), "%s/big.json", root);
	write_bytes(path, big, PLAN_TEXT_MAX + 1);
	assert_null(plan_read_text(path, &len, err, sizeof(err)));
	assert_string_equal(err, "plan too large (4194305 bytes, limit 4194304)");
	assert_int_equal(plan_check_text(big, PLAN_TEXT_MAX + 1, err, sizeof(err)), -EFBIG);
	assert_string_equal(err, "plan too large (4194305 bytes, limit 4194304)");
	problems_init(&ps);
	assert_null(plan_parse(big, PLAN_TEXT_MAX + 1, &ps));
	assert_problem(&ps, "", "plan too large");
	problems_free(&ps);
	/* at the limit it is read */
	write_bytes(path, big, PLAN_TEXT_MAX);
	t = plan_read_text(path, &len, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(len, PLAN_TEXT_MAX);
	free(t);
	free(big);
	remove_tree(root);
	free(root);
}

static void test_unknown_keys(void **state)
{
	struct problems ps;
	struct plan *p;
	const struct problem *pr;

	(void)state;
	problems_init(&ps);
	p = must_parse("{\"version\":1,\"pool\":{\"size\":\"1G\",\"start\":0},\"partitons\":[],"
		       "\"partitions\":[{" GOOD_PART ",\"memroy\":\"1G\",\"zzz\":1,"
		       "\"cpus\":{\"count\":1,\"node\":0}}]}",
		       &ps);
	pr = find_problem(&ps, "/partitions/0/memroy", "unknown key \"memroy\"");
	assert_non_null(pr);
	assert_string_equal(pr->hint, "did you mean \"memory\"?");
	pr = find_problem(&ps, "/partitons", "unknown key");
	assert_non_null(pr);
	assert_string_equal(pr->hint, "did you mean \"partitions\"?");
	assert_problem(&ps, "/pool/start", "unknown key \"start\" in pool");
	assert_problem(&ps, "/partitions/0/zzz", "unknown key");
	/* the duplicate "cpus" key is reported by the scanner */
	assert_problem(&ps, "/partitions/0/cpus", "duplicate key");
	plan_free(p);
	problems_free(&ps);
}

static void test_missing_required(void **state)
{
	struct problems ps;
	struct plan *p;

	(void)state;
	problems_init(&ps);
	p = must_parse("{\"partitions\":[{}]}", &ps);
	assert_problem(&ps, "", "missing required key \"version\"");
	assert_problem(&ps, "", "missing required key \"pool\"");
	assert_problem(&ps, "/partitions/0", "missing required key \"name\"");
	assert_problem(&ps, "/partitions/0", "missing required key \"cpus\"");
	assert_problem(&ps, "/partitions/0", "missing required key \"memory\"");
	assert_problem(&ps, "/partitions/0", "missing required key \"kernel\"");
	assert_int_equal(ps.nerrors, 6);
	assert_true(p->parts[0].invalid & PLAN_F_NAME);
	assert_true(p->parts[0].invalid & PLAN_F_CPUS);
	plan_free(p);
	problems_free(&ps);

	problems_init(&ps);
	p = must_parse("{\"version\":1,\"pool\":{}}", &ps);
	assert_problem(&ps, "/pool", "missing required key \"size\"");
	assert_problem(&ps, "", "missing required key \"partitions\"");
	plan_free(p);
	problems_free(&ps);
}

static void test_version(void **state)
{
	struct problems ps;
	struct plan *p;

	(void)state;
	problems_init(&ps);
	p = must_parse("{\"version\":2,\"future\":true}", &ps);
	assert_int_equal(ps.n, 1); /* nothing else: a newer format may have other keys */
	assert_problem(&ps, "/version", "newer than this software");
	plan_free(p);
	problems_free(&ps);

	problems_init(&ps);
	p = must_parse("{\"version\":\"1\",\"pool\":{\"size\":1},\"partitions\":[]}", &ps);
	assert_problem(&ps, "/version", "positive whole number");
	plan_free(p);
	problems_free(&ps);
}

/* The hints the parser gives for names and paths. */
#define NAME_HINT                                                                                  \
	"names become directories under /sys/fs/kpart: use 1-31 characters from A-Z a-z 0-9 _ . "  \
	"-, not starting with '.'"
#define PATH_HINT "the kernel opens the file itself; give the full path, starting with '/'"

#define HANG_HINT "seconds the partition may stay hung before partd acts (leave it out for 30)"
#define STOP_HINT                                                                                  \
	"seconds partd waits for the partition to power off before killing it (leave it out for "  \
	"60)"

/* partd's policy fields: defaults, values, and what plan_to_json says */
static void test_policy(void **state)
{
	struct problems ps;
	struct plan *p;
	struct json_object *o, *part;

	(void)state;
	problems_init(&ps);
	p = must_parse(ONE(GOOD_PART), &ps);
	assert_int_equal(p->parts[0].on_hang, PLAN_HANG_NONE);
	assert_int_equal(p->parts[0].hang_timeout, 30);
	assert_int_equal(p->parts[0].stop_timeout, 0);
	plan_free(p);
	p = must_parse(ONE(GOOD_PART ",\"on_hang\":\"restart\",\"hang_timeout\":0,"
				     "\"stop_timeout\":3600"),
		       &ps);
	assert_int_equal(ps.n, 0);
	assert_int_equal(p->parts[0].on_hang, PLAN_HANG_RESTART);
	assert_int_equal(p->parts[0].hang_timeout, 0);
	assert_int_equal(p->parts[0].stop_timeout, 3600);
	o = plan_to_json(p);
	part = json_object_array_get_idx(json_object_object_get(o, "partitions"), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(part, "on_hang")),
			    "restart");
	assert_int_equal(json_object_get_int(json_object_object_get(part, "hang_timeout")), 0);
	assert_int_equal(json_object_get_int(json_object_object_get(part, "stop_timeout")), 3600);
	json_object_put(o);
	plan_free(p);
	p = must_parse(ONE(GOOD_PART ",\"on_hang\":\"kill\",\"stop_timeout\":1"), &ps);
	assert_int_equal(ps.n, 0);
	assert_int_equal(p->parts[0].on_hang, PLAN_HANG_KILL);
	assert_int_equal(p->parts[0].stop_timeout, 1);
	assert_string_equal(plan_on_hang_name(p->parts[0].on_hang), "kill");
	plan_free(p);
	p = must_parse(ONE(GOOD_PART ",\"on_hang\":\"none\""), &ps);
	assert_int_equal(ps.n, 0);
	assert_int_equal(p->parts[0].on_hang, PLAN_HANG_NONE);
	plan_free(p);
	problems_free(&ps);
}

static void test_bad_values(void **state)
{
	static const struct {
		const char *part, *path, *needle, *hint; /* hint: NULL for none */
	} cases[] = {
	    {"\"name\":\"a/b\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\"",
	     "/partitions/0/name", "outside [A-Za-z0-9_.-]", NAME_HINT},
	    {"\"name\":\".x\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\"",
	     "/partitions/0/name", "starts with '.'", NAME_HINT},
	    {"\"name\":\"pool_size\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\"",
	     "/partitions/0/name", "top-level kpart file", NAME_HINT},
	    {"\"name\":7,\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\"", "/partitions/0/name",
	     "must be a string, not a number", NULL},
	    {"\"name\":\"a\",\"cpus\":\"3-1\",\"memory\":\"4K\",\"kernel\":\"/k\"",
	     "/partitions/0/cpus", "runs backwards", "write CPUs like \"2-3,6\""},
	    {"\"name\":\"a\",\"cpus\":\"\",\"memory\":\"4K\",\"kernel\":\"/k\"",
	     "/partitions/0/cpus", "empty", "a partition needs at least one CPU"},
	    {"\"name\":\"a\",\"cpus\":3,\"memory\":\"4K\",\"kernel\":\"/k\"", "/partitions/0/cpus",
	     "must be a cpulist string or an object",
	     "write \"2-3\" or {\"count\": 2, \"numa_node\": 0}"},
	    {"\"name\":\"a\",\"cpus\":{\"count\":0},\"memory\":\"4K\",\"kernel\":\"/k\"",
	     "/partitions/0/cpus/count", "at least 1", NULL},
	    {"\"name\":\"a\",\"cpus\":{\"numa_node\":0},\"memory\":\"4K\",\"kernel\":\"/k\"",
	     "/partitions/0/cpus", "missing required key \"count\"",
	     "write {\"count\": 4, \"numa_node\": 0} or a cpulist"},
	    {"\"name\":\"a\",\"cpus\":{\"count\":1,\"numa_node\":-1},\"memory\":\"4K\","
	     "\"kernel\":\"/k\"",
	     "/partitions/0/cpus/numa_node", "NUMA node number", NULL},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"12X\",\"kernel\":\"/k\"",
	     "/partitions/0/memory", "\"12X\" is not a size",
	     "write bytes as a number, or a string like \"512M\" or \"2G\" (suffixes K, M, G, T "
	     "are powers of 1024)"},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":0,\"kernel\":\"/k\"", "/partitions/0/memory",
	     "must not be 0", NULL},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":1000,\"kernel\":\"/k\"",
	     "/partitions/0/memory", "not a multiple of 4K", "use 4K"},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":-4096,\"kernel\":\"/k\"",
	     "/partitions/0/memory", "negative", NULL},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":1.5,\"kernel\":\"/k\"",
	     "/partitions/0/memory", "not a fractional number", NULL},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":true,\"kernel\":\"/k\"",
	     "/partitions/0/memory", "not a boolean", NULL},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"boot/k\"",
	     "/partitions/0/kernel", "not absolute", PATH_HINT},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\",\"initrd\":\"i\"",
	     "/partitions/0/initrd", "not absolute", PATH_HINT},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/"
	     "k\",\"cmdline\":\"a\\nb\"",
	     "/partitions/0/cmdline", "one line", NULL},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\","
	     "\"console\":\"ttyUSB0\"",
	     "/partitions/0/console", "not a UART",
	     "write ttyS0-ttyS3 (the legacy ports), an I/O port like \"io:0x2f8\", or \"none\""},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\","
	     "\"console\":\"ttyS5\"",
	     "/partitions/0/console", "console ttyS5 has no legacy I/O port the kernel knows",
	     "write ttyS0-ttyS3 (the legacy ports), an I/O port like \"io:0x2f8\", or \"none\""},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\","
	     "\"devices\":[\"0000:03:20.0\"]",
	     "/partitions/0/devices/0", "not a PCI address",
	     "write DOMAIN:BUS:DEVICE.FUNCTION in hex, like \"0000:03:00.0\" (or \"03:00.0\" in "
	     "domain 0000); device 00-1f, function 0-7"},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\",\"devices\":\"x\"",
	     "/partitions/0/devices", "must be an array", NULL},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/"
	     "k\",\"autostart\":\"yes\"",
	     "/partitions/0/autostart", "true or false", NULL},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\","
	     "\"on_hang\":\"reboot\"",
	     "/partitions/0/on_hang", "on_hang \"reboot\" is not an action",
	     "write \"none\", \"kill\" or \"restart\""},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\",\"on_hang\":true",
	     "/partitions/0/on_hang", "must be a string, not a boolean", NULL},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\","
	     "\"hang_timeout\":-1",
	     "/partitions/0/hang_timeout", "hang_timeout -1 is out of range (0-86400 seconds)",
	     HANG_HINT},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\","
	     "\"hang_timeout\":\"30s\"",
	     "/partitions/0/hang_timeout", "must be a number of seconds, not a string", HANG_HINT},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\","
	     "\"stop_timeout\":0",
	     "/partitions/0/stop_timeout", "stop_timeout 0 is out of range (1-3600 seconds)",
	     STOP_HINT},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\","
	     "\"stop_timeout\":3601",
	     "/partitions/0/stop_timeout", "stop_timeout 3601 is out of range (1-3600 seconds)",
	     STOP_HINT},
	    {"\"name\":\"a\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\","
	     "\"stop_timeout\":1.5",
	     "/partitions/0/stop_timeout", "must be a number of seconds, not a fractional number",
	     STOP_HINT},
	    {"\"name\":\"pool_quarantined\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\"",
	     "/partitions/0/name", "top-level kpart file", NAME_HINT},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		struct problems ps;
		struct plan *p;

		snprintf(text, sizeof(text), ONE("%s"), cases[i].part);
		problems_init(&ps);
		p = must_parse(text, &ps);
		assert_problem(&ps, cases[i].path, cases[i].needle);
		assert_int_equal(ps.nerrors, 1);
		assert_int_equal(ps.n, 1);
		if (cases[i].hint)
			assert_string_equal(ps.v[0].hint ? ps.v[0].hint : "(no hint)",
					    cases[i].hint);
		else if (ps.v[0].hint)
			fail_msg("case %zu: unexpected hint \"%s\"", i, ps.v[0].hint);
		plan_free(p);
		problems_free(&ps);
	}
}

static void test_long_cmdline(void **state)
{
	char *text = malloc(4096), *cmd = malloc(2100);
	struct problems ps;
	struct plan *p;

	(void)state;
	memset(cmd, 'x', 2048);
	cmd[2048] = '\0';
	snprintf(text, 4096, ONE(GOOD_PART ",\"cmdline\":\"%s\""), cmd);
	problems_init(&ps);
	p = must_parse(text, &ps);
	assert_problem(&ps, "/partitions/0/cmdline", "2048 bytes, the limit is 2047");
	plan_free(p);
	problems_free(&ps);

	cmd[2047] = '\0';
	snprintf(text, 4096, ONE(GOOD_PART ",\"cmdline\":\"%s\""), cmd);
	problems_init(&ps);
	p = must_parse(text, &ps);
	assert_int_equal(ps.n, 0);
	plan_free(p);
	problems_free(&ps);
	free(text);
	free(cmd);
}

static void test_all_problems_at_once(void **state)
{
	struct problems ps;
	struct plan *p;

	(void)state;
	problems_init(&ps);
	p = must_parse(
	    "{\"version\":1,\"boot_cpus\":\"x\",\"pool\":{\"size\":\"0\"},\"partitions\":["
	    "{\"name\":\"\",\"cpus\":\"a\",\"memory\":\"1Q\",\"kernel\":\"k\"},"
	    "{\"name\":\"ok\",\"cpus\":\"1\",\"memory\":\"4K\",\"kernel\":\"/k\"},"
	    "5]}",
	    &ps);
	assert_problem(&ps, "/boot_cpus", "not a cpulist");
	assert_problem(&ps, "/pool/size", "must not be 0");
	assert_problem(&ps, "/partitions/0/name", "is empty");
	assert_problem(&ps, "/partitions/0/cpus", "not a cpulist");
	assert_problem(&ps, "/partitions/0/memory", "not a size");
	assert_problem(&ps, "/partitions/0/kernel", "not absolute");
	assert_problem(&ps, "/partitions/2", "must be an object");
	assert_int_equal(ps.nerrors, 7);
	/* the good partition is intact */
	assert_int_equal(p->parts[1].invalid, 0);
	plan_free(p);
	problems_free(&ps);
}

static void test_load_file(void **state)
{
	struct problems ps;
	struct plan *p;
	char path[600];
	char *root = make_file_root();

	(void)state;
	problems_init(&ps);
	assert_null(plan_load_file("/nonexistent/plan.json", &ps));
	assert_problem(&ps, "", "cannot open /nonexistent/plan.json");
	problems_free(&ps);

	problems_init(&ps);
	assert_null(plan_load_file(root, &ps));
	assert_problem(&ps, "", "is a directory");
	problems_free(&ps);

	snprintf(path, sizeof(path), "%s/plan.json", root);
	write_bytes(path, ONE(GOOD_PART), strlen(ONE(GOOD_PART)));
	problems_init(&ps);
	p = plan_load_file(path, &ps);
	assert_non_null(p);
	assert_int_equal(ps.n, 0);
	plan_free(p);
	problems_free(&ps);
	remove_tree(root);
	free(root);
}

static void test_problem_output(void **state)
{
	struct problems ps;
	struct plan *p;
	struct json_object *j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	problems_init(&ps);
	p = must_parse(ONE(GOOD_PART ",\"memroy\":1"), &ps);
	f = open_memstream(&buf, &len);
	problems_print(&ps, "plan.json", f);
	fclose(f);
	assert_string_equal(buf,
			    "plan.json: /partitions/0/memroy: error: unknown key \"memroy\" in "
			    "a partition\n    hint: did you mean \"memory\"?\n");
	free(buf);
	j = problems_to_json(&ps);
	assert_string_equal(
	    json_object_to_json_string_ext(j,
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "[{\"severity\":\"error\",\"path\":\"/partitions/0/memroy\",\"message\":"
	    "\"unknown key \\\"memroy\\\" in a partition\",\"hint\":\"did you mean "
	    "\\\"memory\\\"?\"}]");
	json_object_put(j);
	plan_free(p);
	problems_free(&ps);
}

static void test_plan_to_json(void **state)
{
	struct problems ps;
	struct plan *p;
	struct json_object *j, *v;

	(void)state;
	problems_init(&ps);
	p = must_parse(ONE(GOOD_PART), &ps);
	j = plan_to_json(p);
	assert_true(json_object_object_get_ex(j, "partitions", &v));
	v = json_object_array_get_idx(v, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(v, "cpus")), "2-3");
	assert_int_equal(json_object_get_int64(json_object_object_get(v, "memory")), 1ll << 30);
	assert_true(json_object_get_boolean(json_object_object_get(v, "autostart")));
	json_object_put(j);
	plan_free(p);
	problems_free(&ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_minimal),	    cmocka_unit_test(test_full_partition),
	    cmocka_unit_test(test_comments),	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_not_an_object),   cmocka_unit_test(test_duplicate_keys),
	    cmocka_unit_test(test_unknown_keys),    cmocka_unit_test(test_missing_required),
	    cmocka_unit_test(test_version),	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_long_cmdline),    cmocka_unit_test(test_all_problems_at_once),
	    cmocka_unit_test(test_load_file),	    cmocka_unit_test(test_problem_output),
	    cmocka_unit_test(test_plan_to_json),    cmocka_unit_test(test_policy),
	    cmocka_unit_test(test_json_strictness), cmocka_unit_test(test_duplicate_keys_escaped),
	    cmocka_unit_test(test_read_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
