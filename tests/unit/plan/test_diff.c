/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: diffs of plans against the two-node fixture machine, where
 * web runs on CPUs 2-3 with 1G and old is stopped on CPU 6 with 512M.
 */
#include "plan_fx.h"

#include <errno.h>

#define HEAD "{\"version\":1,\"pool\":{\"size\":\"4G\"},\"partitions\":["
#define K "\"kernel\":\"/boot/kpart/bzImage\""
#define WEB_BODY                                                                                   \
	"\"name\":\"web\",\"memory\":\"1G\"," K ",\"initrd\":\"/boot/kpart/initrd.img\","          \
	"\"cmdline\":\"console=ttyS1 quiet\",\"console\":\"ttyS1\""
#define WEB_SAME "{\"cpus\":\"2-3\"," WEB_BODY "}"
#define OLD_SAME                                                                                   \
	"{\"name\":\"old\",\"cpus\":\"6\",\"memory\":\"512M\"," K ",\"console\":\"none\","         \
	"\"autostart\":false}"

/* Parse and validate plan_text (both must succeed), and render its diff (fx_diff_text). */
static const char *diff(struct fx *f, const char *plan_text)
{
	f->plan = parse_str(plan_text, &f->ps);
	assert_non_null(f->plan);
	if (plan_validate(f->plan, f->inv, &f->ps)) {
		dump_problems(&f->ps);
		fail_msg("plan does not validate");
	}
	return fx_diff_text(f);
}

static void test_unchanged_gets_no_action(void **state)
{
	struct fx *f = *state;

	assert_string_equal(diff(f, HEAD WEB_SAME "," OLD_SAME "]}"), "");
}

static void test_remove_stopped(void **state)
{
	struct fx *f = *state;

	assert_string_equal(diff(f, HEAD WEB_SAME "]}"), "set old cpus 6>\n"
							 "set old memory 536870912>0\n"
							 "delete old\n");
	assert_string_equal(f->as.v[2].restore[0], "/boot/kpart/bzImage");
	assert_string_equal(f->as.v[2].restore[3], "none");
}

static void test_remove_everything(void **state)
{
	struct fx *f = *state;

	assert_string_equal(diff(f, HEAD "]}"), "stop web\n"
						"set old cpus 6>\n"
						"set old memory 536870912>0\n"
						"delete old\n"
						"set web cpus 2-3>\n"
						"set web memory 1073741824>0\n"
						"delete web\n");
	assert_int_equal(f->as.v[0].old_state, PART_RUNNING);
	assert_string_equal(f->as.v[0].why, "not in plan");
}

static void test_autostart_stopped_partition(void **state)
{
	struct fx *f = *state;

	assert_string_equal(diff(f, HEAD WEB_SAME ",{\"name\":\"old\",\"cpus\":\"6\",\"memory\":"
						  "\"512M\"," K ",\"console\":\"none\"}]}"),
			    "start old\n");
	assert_string_equal(f->as.v[0].why, "autostart");
}

static void test_held_partition_is_not_started(void **state)
{
	struct fx *f = *state;

	inventory_find(f->inv, "old")->hold = true;
	assert_string_equal(diff(f, HEAD WEB_SAME ",{\"name\":\"old\",\"cpus\":\"6\",\"memory\":"
						  "\"512M\"," K ",\"console\":\"none\"}]}"),
			    "");
}

static void test_cpus_change_running(void **state)
{
	struct fx *f = *state;

	assert_string_equal(diff(f, HEAD "{\"cpus\":\"3-4\"," WEB_BODY "}," OLD_SAME "]}"),
			    "stop web\n"
			    "set web cpus 2-3>3\n"
			    "set web cpus 3>3-4\n"
			    "start web\n");
	assert_string_equal(f->as.v[0].why, "definition changed: cpus");
	assert_string_equal(f->as.v[3].why, "was running");
}

static void test_cpus_grow_needs_no_release(void **state)
{
	struct fx *f = *state;

	assert_string_equal(diff(f, HEAD "{\"cpus\":\"1-3\"," WEB_BODY "}," OLD_SAME "]}"),
			    "stop web\n"
			    "set web cpus 2-3>1-3\n"
			    "start web\n");
}

static void test_memory_grow_and_shrink(void **state)
{
	struct fx *f = *state;

	/* grow: release to 0 first (the pool may need the old range back), set later */
	assert_string_equal(diff(f, HEAD "{\"name\":\"web\",\"cpus\":\"2-3\",\"memory\":\"2G\"," K
					 ",\"initrd\":\"/boot/kpart/initrd.img\",\"cmdline\":"
					 "\"console=ttyS1 quiet\",\"console\":\"ttyS1\"},"
					 "{\"name\":\"old\",\"cpus\":\"6\",\"memory\":\"256M\"," K
					 ",\"autostart\":false}]}"),
			    "stop web\n"
			    "set web memory 1073741824>0\n"
			    "set old memory 536870912>268435456\n"
			    "set web memory 0>2147483648\n"
			    "start web\n");
}

static void test_cmdline_only(void **state)
{
	struct fx *f = *state;

	assert_string_equal(
	    diff(f, HEAD "{\"name\":\"web\",\"cpus\":\"2-3\",\"memory\":\"1G\"," K
			 ",\"initrd\":\"/boot/kpart/initrd.img\",\"console\":\"ttyS1\"}," OLD_SAME
			 "]}"),
	    "stop web\n"
	    "set web cmdline console=ttyS1 quiet>\n"
	    "start web\n");
	assert_string_equal(f->as.v[0].why, "definition changed: cmdline");
}

static void test_console_absent_is_not_managed(void **state)
{
	struct fx *f = *state;

	assert_string_equal(diff(f, HEAD "{\"name\":\"web\",\"cpus\":\"2-3\",\"memory\":\"1G\"," K
					 ",\"initrd\":\"/boot/kpart/initrd.img\",\"cmdline\":"
					 "\"console=ttyS1 quiet\"}," OLD_SAME "]}"),
			    "");
}

static void test_new_partition(void **state)
{
	struct fx *f = *state;

	assert_string_equal(diff(f, HEAD WEB_SAME
				 "," OLD_SAME ",{\"name\":\"db\",\"cpus\":{\"count\":2,"
				 "\"numa_node\":1},\"memory\":\"1G\"," K
				 ",\"initrd\":\"/boot/kpart/db-initrd.img\","
				 "\"cmdline\":\"x=1\",\"console\":\"ttyS2\"},"
				 "{\"name\":\"idle\",\"cpus\":\"1\",\"memory\":\"4K\"," K
				 ",\"autostart\":false}]}"),
			    "create db\n"
			    "create idle\n"
			    "set db cpus NULL>4-5\n"
			    "set db memory NULL>1073741824\n"
			    "set db kernel NULL>/boot/kpart/bzImage\n"
			    "set db initrd NULL>/boot/kpart/db-initrd.img\n"
			    "set db cmdline NULL>x=1\n"
			    "set db console NULL>ttyS2\n"
			    "set idle cpus NULL>1\n"
			    "set idle memory NULL>4096\n"
			    "set idle kernel NULL>/boot/kpart/bzImage\n"
			    "start db\n");
}

static void test_cpu_moves_between_partitions(void **state)
{
	struct fx *f = *state;

	/* web gives CPU 3 to db, old is removed and its CPU 6 goes to db too:
	 * everything is released before anything is configured */
	assert_string_equal(diff(f, HEAD "{\"cpus\":\"2\"," WEB_BODY "},"
					 "{\"name\":\"db\",\"cpus\":\"3,6\",\"memory\":\"1G\"," K
					 "}]}"),
			    "stop web\n"
			    "set old cpus 6>\n"
			    "set old memory 536870912>0\n"
			    "delete old\n"
			    "set web cpus 2-3>2\n"
			    "create db\n"
			    "set db cpus NULL>3,6\n"
			    "set db memory NULL>1073741824\n"
			    "set db kernel NULL>/boot/kpart/bzImage\n"
			    "start web\n"
			    "start db\n");
}

static void test_crashed_partition_restarts(void **state)
{
	struct fx *f = *state;

	inventory_find(f->inv, "web")->state = PART_CRASHED;
	assert_string_equal(diff(f, HEAD WEB_SAME "," OLD_SAME "]}"), "stop web\n"
								      "start web\n");
	assert_string_equal(f->as.v[1].why, "autostart (crashed)");
}

static void test_changed_stopped_partition_with_autostart_false(void **state)
{
	struct fx *f = *state;

	assert_string_equal(diff(f, HEAD WEB_SAME ",{\"name\":\"old\",\"cpus\":\"7\",\"memory\":"
						  "\"512M\"," K ",\"autostart\":false}]}"),
			    "set old cpus 6>\n"
			    "set old cpus >7\n");
}

static void test_start_stop_actions(void **state)
{
	struct fx *f = *state;

	(void)diff(f, HEAD WEB_SAME "," OLD_SAME "]}");
	assert_int_equal(plan_actions_for_start(f->inv, "nope", &f->as), -ENOENT);
	assert_int_equal(plan_actions_for_stop(f->inv, "old", &f->as), 0);
	assert_int_equal(f->as.n, 0); /* already stopped */
	assert_int_equal(plan_actions_for_start(f->inv, "web", &f->as), 0);
	assert_int_equal(f->as.n, 0); /* already running */
	assert_int_equal(plan_actions_for_start(f->inv, "old", &f->as), 0);
	assert_int_equal(plan_actions_for_stop(f->inv, "web", &f->as), 0);
	assert_int_equal(f->as.n, 2);
	assert_int_equal(f->as.v[0].type, ACT_START);
	assert_int_equal(f->as.v[1].type, ACT_STOP);
	assert_int_equal(f->as.v[1].old_state, PART_RUNNING);
	inventory_find(f->inv, "old")->state = PART_CRASHED;
	assert_int_equal(plan_actions_for_start(f->inv, "old", &f->as), 0);
	assert_int_equal(f->as.n, 4);
	assert_int_equal(f->as.v[2].type, ACT_STOP);
	assert_int_equal(f->as.v[3].type, ACT_START);
}

static void test_format(void **state)
{
	struct fx *f = *state;
	char buf[256];
	struct json_object *j;

	(void)diff(f, HEAD "{\"cpus\":\"3-4\",\"name\":\"web\",\"memory\":\"2G\"," K "}]}");
	assert_string_equal(plan_action_format(&f->as.v[0], buf, sizeof(buf)),
			    "- stop   web                      (definition changed: cpus memory "
			    "initrd cmdline)");
	assert_string_equal(plan_action_format(&f->as.v[1], buf, sizeof(buf)),
			    "~ set    old/cpus                 6 -> (none)");
	assert_string_equal(plan_action_format(&f->as.v[2], buf, sizeof(buf)),
			    "~ set    old/memory               512M -> 0");
	assert_string_equal(plan_action_format(&f->as.v[3], buf, sizeof(buf)),
			    "- delete old                      (not in plan)");
	assert_string_equal(plan_action_format(&f->as.v[4], buf, sizeof(buf)),
			    "~ set    web/cpus                 2-3 -> 3");
	assert_string_equal(plan_action_format(&f->as.v[f->as.n - 1], buf, sizeof(buf)),
			    "+ start  web                      (was running)");
	j = plan_actions_to_json(&f->as);
	assert_string_equal(
	    json_object_to_json_string_ext(json_object_array_get_idx(j, 4),
					   JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"op\":\"set\",\"phase\":\"release\",\"name\":\"web\",\"attr\":\"cpus\",\"from\":"
	    "\"2-3\",\"to\":\"3\"}");
	json_object_put(j);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup_two_node, fx_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_unchanged_gets_no_action),
	    T(test_remove_stopped),
	    T(test_remove_everything),
	    T(test_autostart_stopped_partition),
	    T(test_held_partition_is_not_started),
	    T(test_cpus_change_running),
	    T(test_cpus_grow_needs_no_release),
	    T(test_memory_grow_and_shrink),
	    T(test_cmdline_only),
	    T(test_console_absent_is_not_managed),
	    T(test_new_partition),
	    T(test_cpu_moves_between_partitions),
	    T(test_crashed_partition_restarts),
	    T(test_changed_stopped_partition_with_autostart_false),
	    T(test_start_stop_actions),
	    T(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
