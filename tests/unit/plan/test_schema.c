/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: schemas/plan.schema.json is valid JSON for JSON Schema
 * 2020-12, names exactly the keys the C parser accepts, and every example
 * in schemas/examples/ parses without problems.
 */
#include "testutil.h"

#include <dirent.h>

static struct json_object *load_schema(void)
{
	char path[512];
	struct json_object *o;

	snprintf(path, sizeof(path), "%s/plan.schema.json", SCHEMAS_DIR);
	o = json_object_from_file(path);
	if (!o)
		fail_msg("%s: %s", path, json_util_get_last_err());
	return o;
}

static struct json_object *get(struct json_object *o, const char *dotted)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", dotted);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, tok, &o))
			fail_msg("schema has no %s (at %s)", dotted, tok);
	return o;
}

/* The property names of schema object props equal the NULL-terminated list keys. */
static void same_keys(struct json_object *props, const char *const *keys, const char *what)
{
	size_t n = 0, i;

	for (i = 0; keys[i]; i++) {
		if (!json_object_object_get_ex(props, keys[i], NULL))
			fail_msg("%s: the parser accepts \"%s\" but the schema lacks it", what,
				 keys[i]);
		n++;
	}
	json_object_object_foreach(props, k, v)
	{
		bool found = false;

		(void)v;
		for (i = 0; keys[i]; i++)
			found |= !strcmp(k, keys[i]);
		if (!found)
			fail_msg("%s: the schema has \"%s\" but the parser rejects it", what, k);
	}
	assert_int_equal((size_t)json_object_object_length(props), n);
}

/*
 * The schema object o rejects keys it does not name, as the parser does:
 * "additionalProperties" is false itself (json_object_get_boolean() of an
 * object such as {}, which lets anything through, is false too).
 */
static void assert_closed(struct json_object *o, const char *what)
{
	struct json_object *a = get(o, "additionalProperties");

	if (!json_object_is_type(a, json_type_boolean) || json_object_get_boolean(a))
		fail_msg("%s: additionalProperties is %s, not false", what,
			 json_object_to_json_string(a));
}

static void test_schema_header(void **state)
{
	struct json_object *s = load_schema();

	(void)state;
	assert_string_equal(json_object_get_string(get(s, "$schema")),
			    "https://json-schema.org/draft/2020-12/schema");
	assert_string_equal(json_object_get_string(get(s, "type")), "object");
	assert_closed(s, "top level");
	assert_int_equal(json_object_get_int(get(s, "properties.version.const")), PLAN_VERSION);
	json_object_put(s);
}

static void test_schema_matches_parser(void **state)
{
	struct json_object *s = load_schema(), *cpus;

	(void)state;
	same_keys(get(s, "properties"), plan_top_keys, "top level");
	same_keys(get(s, "properties.pool.properties"), plan_pool_keys, "pool");
	same_keys(get(s, "$defs.partition.properties"), plan_partition_keys, "partition");
	cpus = json_object_array_get_idx(get(s, "$defs.partition.properties.cpus.oneOf"), 1);
	same_keys(get(cpus, "properties"), plan_cpus_keys, "cpus");
	assert_closed(get(s, "properties.pool"), "pool");
	assert_closed(get(s, "$defs.partition"), "partition");
	assert_closed(cpus, "cpus");
	assert_int_equal(
	    json_object_get_int(get(s, "$defs.partition.properties.cmdline.maxLength")),
	    PLAN_CMDLINE_MAX);
	json_object_put(s);
}

static void test_examples_parse(void **state)
{
	char dir[512], path[1024];
	struct dirent *de;
	DIR *d;
	int n = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/examples", SCHEMAS_DIR);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct problems ps;
		struct plan *p;

		if (len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		problems_init(&ps);
		p = plan_load_file(path, &ps);
		if (!p || ps.n) {
			problems_print(&ps, path, stderr);
			fail_msg("example %s does not parse cleanly", de->d_name);
		}
		assert_true(p->nparts > 0);
		plan_free(p);
		problems_free(&ps);
		n++;
	}
	closedir(d);
	assert_true(n >= 3);
}

/* The examples also validate on a machine that fits them. */
static void test_examples_validate(void **state)
{
	static const char *const names[] = {"minimal.json", "numa.json", "staged.json"};
	char *root = make_file_root(), path[1024];
	size_t i;
	int c;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct inventory *inv = inventory_new();
		struct problems ps;
		struct plan *p;

		for (c = 0; c < 16; c++)
			inventory_add_cpu(inv, (unsigned)c, c / 8);
		inv->pool_size = 12ull << 30;
		inv->file_root = strdup(root);
		snprintf(path, sizeof(path), "%s/examples/%s", SCHEMAS_DIR, names[i]);
		problems_init(&ps);
		p = plan_load_file(path, &ps);
		assert_non_null(p);
		plan_validate(p, inv, &ps);
		if (ps.nerrors) {
			problems_print(&ps, path, stderr);
			fail_msg("example %s does not validate", names[i]);
		}
		plan_free(p);
		problems_free(&ps);
		inventory_free(inv);
	}
	remove_tree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema_header),
	    cmocka_unit_test(test_schema_matches_parser),
	    cmocka_unit_test(test_examples_parse),
	    cmocka_unit_test(test_examples_validate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
