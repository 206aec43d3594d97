/* SPDX-License-Identifier: MIT */
/*
 * partctl: see and steer the partitions of this machine (docs/partctl.md).
 * validate, inventory and apply --dry-run work without partd; apply,
 * start and stop go through partd; status asks partd and falls back to the
 * kernel's view when partd is not running. console, logs and ping talk
 * straight to the module's devices (channel.c).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "partctl.h"

static struct opts o;

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: partctl [OPTIONS] COMMAND [ARGS]\n"
	    "See and steer the kpart partitions of this machine.\n"
	    "\n"
	    "Commands:\n"
	    "  validate PLAN          check a plan against this machine (--offline: syntax only)\n"
	    "  apply PLAN [--dry-run] make the machine match PLAN (through partd)\n"
	    "  reload                 partd applies its plan file again (systemctl reload)\n"
	    "  status [NAME]          partitions and their states\n"
	    "  start NAME             start a partition and wait until it runs\n"
	    "  stop NAME              stop a partition (it stays stopped until started)\n"
	    "  inventory              CPUs, NUMA nodes, pool, partitions and PCI devices\n"
	    "  console NAME           attach to a partition's console (detach with Ctrl-])\n"
	    "  logs NAME [--follow]   its console output (the last 64 KiB), then new output\n"
	    "  ping NAME              echo round trips to its kernel: latency percentiles\n"
	    "\n"
	    "Options:\n"
	    "  -j, --json             machine-readable output (keys in docs/partctl.md)\n"
	    "  -n, --dry-run          apply: print the actions, change nothing\n"
	    "      --offline          validate: do not look at the machine\n"
	    "  -f, --follow           logs: keep printing new output until interrupted\n"
	    "  -c, --count N          ping: round trips (default 1000)\n"
	    "      --size BYTES       ping: bytes per message, 16-4096 (default 64)\n"
	    "  -q, --quiet            no progress output\n"
	    "      --kill-after SEC   stop: kill the partition when it has not stopped\n"
	    "                         after SEC seconds (1-3600; default: the plan's "
	    "stop_timeout)\n"
	    "      --timeout SEC      give up waiting for partd after SEC seconds\n"
	    "                         (ping: for each reply, default 1)\n"
	    "  -S, --socket PATH      partd socket (default " PLAN_DEFAULT_SOCKET
	    ", env KPART_SOCKET)\n"
	    "  -r, --root DIR         kpart control filesystem (default " PLAN_DEFAULT_KERNFS
	    ", env KPART_ROOT)\n"
	    "  -s, --sysfs DIR        sysfs for CPU/NUMA topology (default /sys, env KPART_SYSFS)\n"
	    "      --file-root DIR    prefix for kernel/initrd paths when checking them\n"
	    "      --dev DIR          devices for console, logs and ping (default /dev, env "
	    "KPART_DEV)\n"
	    "  -h, --help             show this help; COMMAND --help: that command's\n"
	    "  -V, --version          show the version\n"
	    "\n"
	    "Exit status: 0 ok, 1 failed, 2 invalid input (bad plan, usage or name).\n"
	    "PLAN may be - for standard input.\n");
}

/* The first error of this run, for --json (errors there are a JSON object too) */
static char first_error[1024];

/*
 * partctl VERB --help. The usage lines are the SYNOPSIS of docs/partctl.md
 * (and so of partctl(8)); the unit test partctl_help keeps them equal.
 */
static const struct verb_help {
	const char *verb, *usage, *text;
} verb_help[] = {
    {"validate", "validate PLAN",
     "Check PLAN (a file, or - for standard input) against this machine and print\n"
     "every problem (on standard error) with its JSON path, what holds the resource\n"
     "and a hint. Works without partd.\n"
     "\n"
     "  --offline           do not read the machine: syntax, schema rules, unique\n"
     "                      names, no CPU 0, memory within the plan's pool\n"
     "  --file-root DIR     prefix for kernel/initrd paths when checking them\n"
     "  -j, --json          one JSON object on standard output\n"
     "\n"
     "Exit status: 0 valid, 1 the machine cannot be read, 2 invalid.\n"},
    {"apply", "apply PLAN [--dry-run]",
     "Make the machine match PLAN (a file, or - for standard input) through partd:\n"
     "it validates the plan, runs the actions (shown as they run) and undoes them\n"
     "when one fails.\n"
     "\n"
     "  -n, --dry-run       print the actions, change nothing (without partd: from\n"
     "                      the machine itself)\n"
     "  -q, --quiet         no progress lines\n"
     "  --timeout SEC       give up when partd says nothing for SEC seconds\n"
     "  -j, --json          one JSON object on standard output, no progress\n"
     "\n"
     "Exit status: 0 applied, 1 failed (rolled back), 2 invalid plan.\n"},
    {"reload", "reload",
     "Have partd read its own plan file again (/etc/kpart/plan.json under systemd)\n"
     "and make the machine match it, as SIGHUP does, and wait for the outcome:\n"
     "partd.service's ExecReload, so that systemctl reload partd returns once the\n"
     "plan is applied and fails when it was not.\n"
     "\n"
     "  -q, --quiet         no progress lines\n"
     "  --timeout SEC       give up when partd says nothing for SEC seconds\n"
     "  -j, --json          one JSON object on standard output\n"
     "\n"
     "Exit status: 0 applied, 1 failed (rolled back, or partd not running), 2 the\n"
     "plan file is invalid (the partitions keep following the last good plan).\n"},
    {"status", "status [NAME]",
     "List the partitions (state, CPUs, memory, boots, last exit, plan), or every\n"
     "detail of NAME. Asks partd, which also knows the plan; without partd, the\n"
     "kernel's view.\n"
     "\n"
     "  -j, --json          one JSON object on standard output\n"
     "\n"
     "Exit status: 0 ok, 1 failed, 2 no such partition.\n"},
    {"start", "start NAME",
     "Start partition NAME through partd and wait until it runs; releases a hold\n"
     "left by partctl stop.\n"
     "\n"
     "  -q, --quiet         no progress lines\n"
     "  --timeout SEC       give up when partd says nothing for SEC seconds\n"
     "  -j, --json          one JSON object on standard output\n"
     "\n"
     "Exit status: 0 running, 1 failed (or partd not running), 2 no such partition.\n"},
    {"stop", "stop NAME [--kill-after SEC]",
     "Stop partition NAME through partd, wait, and hold it stopped: partd does not\n"
     "start it again until partctl start NAME.\n"
     "\n"
     "  --kill-after SEC    the kernel kills it when it has not stopped after SEC\n"
     "                      seconds (1-3600; default: the plan's stop_timeout)\n"
     "  -q, --quiet         no progress lines\n"
     "  --timeout SEC       give up when partd says nothing for SEC seconds\n"
     "  -j, --json          one JSON object on standard output\n"
     "\n"
     "Exit status: 0 stopped, 1 failed (or partd not running), 2 no such partition.\n"},
    {"inventory", "inventory",
     "Show the machine as kpart sees it: CPUs and cores, NUMA nodes, the memory\n"
     "pool and the partitions. Works without partd.\n"
     "\n"
     "  -j, --json          one JSON object on standard output\n"},
    {"console", "console NAME",
     "Attach this terminal to NAME's console (its output, your keyboard input).\n"
     "Detach with Ctrl-] or the end of input. Works without partd; needs root.\n"
     "\n"
     "  -q, --quiet         no connect and detach lines\n"
     "  --dev DIR           device directory (default /dev)\n"},
    {"logs", "logs NAME [-f|--follow]",
     "Print the last 64 KiB NAME's kernel wrote to its console (kept across\n"
     "restarts: why did it crash?). Works without partd; needs root.\n"
     "\n"
     "  -f, --follow        then keep printing new output until interrupted\n"
     "  --dev DIR           device directory for --follow (default /dev)\n"
     "  -j, --json          one JSON object on standard output (not with --follow)\n"},
    {"ping", "ping NAME [-c|--count N] [--size BYTES]",
     "Echo round trips to NAME's kernel over the IPI channel: latency min, p50,\n"
     "p99, max, average. Works without partd; needs root.\n"
     "\n"
     "  -c, --count N       round trips (default 1000)\n"
     "  --size BYTES        bytes per message, 16-4096 (default 64)\n"
     "  --timeout SEC       wait for each reply (default 1)\n"
     "  -j, --json          one JSON object on standard output\n"
     "\n"
     "Exit status: 0 every reply came back intact, 1 otherwise.\n"},
};

/* 0 when cmd has help (printed), -1 when cmd is no verb */
static int print_verb_help(const char *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(verb_help) / sizeof(verb_help[0]); i++) {
		if (strcmp(cmd, verb_help[i].verb))
			continue;
		printf("Usage: partctl [OPTIONS] %s\n%s\n"
		       "Options for every command: partctl --help. Manual: man partctl.\n",
		       verb_help[i].usage, verb_help[i].text);
		return 0;
	}
	return -1;
}

int fail(int code, const char *fmt, ...)
{
	char msg[sizeof(first_error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "partctl: %s\n", msg);
	if (!first_error[0])
		snprintf(first_error, sizeof(first_error), "%s", msg);
	return code;
}

void json_outcome(struct json_object *out, int code)
{
	json_object_object_add(out, "ok", json_object_new_boolean(code == EXIT_OK));
	json_object_object_add(out, "exit", json_object_new_int(code));
	if (code != EXIT_OK && !json_object_object_get_ex(out, "error", NULL))
		json_object_object_add(
		    out, "error", json_object_new_string(first_error[0] ? first_error : "failed"));
}

static struct inventory *read_machine(char *err, size_t errlen)
{
	struct inventory *inv = inventory_read(o.root, o.sysfs, err, errlen);

	if (inv && o.file_root)
		inv->file_root = strdup(o.file_root);
	return inv;
}

static struct json_object *request(const char *cmd)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "cmd", json_object_new_string(cmd));
	return r;
}

/* Print problems (people, on stderr) and a summary; returns the error count. */
static size_t report_problems(const struct problems *ps, const char *source)
{
	size_t warnings = ps->n - ps->nerrors;

	problems_print(ps, source, stderr);
	if (ps->nerrors)
		fprintf(stderr, "%s: invalid: %zu error%s%s", source, ps->nerrors,
			ps->nerrors == 1 ? "" : "s", warnings ? ", " : "\n");
	if (ps->nerrors && warnings)
		fprintf(stderr, "%zu warning%s\n", warnings, warnings == 1 ? "" : "s");
	return ps->nerrors;
}

/* ---------------------------------------------------------------- validate */

/* "  web: memory from node 0 (512M), node 1 (512M)" for each partition. */
static void print_memory_nodes(const struct plan *plan, const struct inventory *inv)
{
	uint64_t *share = calloc(inv->npool_nodes, sizeof(*share));
	size_t i, k;
	char b[32];

	for (i = 0; share && i < plan->nparts; i++) {
		const struct plan_partition *pp = &plan->parts[i];
		const char *sep = "";

		if (pool_shares(inv, &pp->cpus, pp->mem_node, pp->memory, share))
			continue;
		printf("  %s: memory from", pp->name);
		for (k = 0; k < inv->npool_nodes; k++)
			if (share[k]) {
				printf("%s node %d (%s)", sep, inv->pool_nodes[k].node,
				       plan_format_size(share[k], b));
				sep = ",";
			}
		printf("%s\n", pp->mem_node >= 0 ? " (its numa_node)" : "");
	}
	free(share);
}

static int cmd_validate(const char *path)
{
	struct problems ps;
	struct inventory *inv = NULL;
	struct plan *plan;
	char err[PATH_MAX + 64], *text;
	size_t i, len;
	int rc;

	text = plan_read_text(path, &len, err, sizeof(err));
	if (!text)
		return fail(EXIT_INVALID, "%s", err);
	if (!o.offline) {
		inv = read_machine(err, sizeof(err));
		if (!inv) {
			free(text);
			return fail(EXIT_FAILED,
				    "%s\n(use --offline to check the plan's syntax only)", err);
		}
	}
	problems_init(&ps);
	plan = plan_parse(text, len, &ps);
	free(text);
	if (plan && inv)
		plan_validate(plan, inv, &ps);
	rc = ps.nerrors ? EXIT_INVALID : EXIT_OK;

	if (o.json) {
		struct json_object *out = json_object_new_object();

		if (ps.nerrors) {
			snprintf(err, sizeof(err), "%s is invalid: %zu error%s", path, ps.nerrors,
				 ps.nerrors == 1 ? "" : "s");
			json_object_object_add(out, "error", json_object_new_string(err));
		}
		json_outcome(out, rc);
		json_object_object_add(out, "valid", json_object_new_boolean(!ps.nerrors));
		json_object_object_add(out, "offline", json_object_new_boolean(o.offline));
		json_object_object_add(out, "errors", json_object_new_int((int)ps.nerrors));
		json_object_object_add(out, "warnings",
				       json_object_new_int((int)(ps.n - ps.nerrors)));
		json_object_object_add(out, "problems", problems_to_json(&ps));
		if (plan && !ps.nerrors)
			json_object_object_add(out, "plan", plan_to_json(plan));
		print_json(out);
		json_object_put(out);
	} else if (report_problems(&ps, path) == 0) {
		printf("%s: valid%s: %zu partition%s\n", path, o.offline ? " (offline check)" : "",
		       plan->nparts, plan->nparts == 1 ? "" : "s");
		for (i = 0; inv && i < plan->nparts; i++) {
			const struct plan_partition *pp = &plan->parts[i];
			char *cpus;

			if (pp->cpus_mode != PLAN_CPUS_COUNT)
				continue;
			cpus = cpuset_format(&pp->cpus);
			printf("  %s: CPUs %s%s\n", pp->name, cpus ? cpus : "?",
			       pp->numa_node >= 0 ? " (placed on its NUMA node)" : " (placed)");
			free(cpus);
		}
		if (inv && inv->npool_nodes > 1)
			print_memory_nodes(plan, inv);
	}
	plan_free(plan);
	problems_free(&ps);
	inventory_free(inv);
	return rc;
}

/* ------------------------------------------------------------ progress UI */

struct ui {
	bool tty, line_open;
};

/* End the waiting line, keeping the state it reached ("web: running (9 s)") */
static void ui_clear(struct ui *ui)
{
	if (ui->line_open) {
		fputc('\n', stdout);
		ui->line_open = false;
	}
}

static void ui_progress(struct ui *ui, struct json_object *ev, const char **last_state)
{
	const char *kind = jstr(ev, "event");

	if (o.quiet || o.json || !kind)
		return;
	if (!strcmp(kind, "action")) {
		ui_clear(ui);
		printf("[%" PRId64 "/%" PRId64 "] %s\n", jint(ev, "index"), jint(ev, "total"),
		       jstr(ev, "text"));
	} else if (!strcmp(kind, "state")) {
		const char *st = jstr(ev, "state");
		double secs = (double)jint(ev, "elapsed_ms") / 1000.0;

		if (ui->tty) {
			printf("\r\033[K      %s: %s (%.0f s)", jstr(ev, "name"), st, secs);
			ui->line_open = true;
		} else {
			/* one line per partition and state */
			char *key = NULL;

			if (asprintf(&key, "%s %s", jstrd(ev, "name"), st ? st : "?") < 0)
				key = NULL;
			if (!key || !*last_state || strcmp(*last_state, key))
				printf("      %s: %s (%.1f s)\n", jstr(ev, "name"), st, secs);
			free((char *)*last_state);
			*last_state = key;
		}
	} else if (!strcmp(kind, "failed")) {
		ui_clear(ui);
		printf("      failed: %s\n", jstr(ev, "error"));
	} else if (!strcmp(kind, "undo")) {
		ui_clear(ui);
		printf("undo [%" PRId64 "] %s\n", jint(ev, "index"), jstrd(ev, "text"));
	} else if (!strcmp(kind, "undo_failed")) {
		ui_clear(ui);
		printf("      undo failed: %s\n", jstrd(ev, "error"));
	}
	fflush(stdout);
}

/* Send req to partd, show progress, return the result (NULL: could not talk). */
static struct json_object *call(struct json_object *req, int *rc)
{
	struct conn *c = conn_open(o.socket_path);
	int conn_errno = errno; /* before isatty(), which sets ENOTTY on a pipe */
	struct ui ui = {.tty = isatty(STDOUT_FILENO)};
	const char *last_state = NULL;
	struct json_object *res = NULL;
	char err[256];
	int send_err;

	if (!c) {
		json_object_put(req);
		if (conn_errno == ENOENT || conn_errno == ECONNREFUSED)
			fail(EXIT_FAILED, "partd is not running (no one listens on %s)",
			     o.socket_path);
		else
			fail(EXIT_FAILED, "cannot connect to partd at %s: %s", o.socket_path,
			     strerror(conn_errno));
		*rc = EXIT_FAILED;
		return NULL;
	}
	send_err = conn_send(c, req);
	for (;;) {
		/* after a failed send, partd may still have said why it hung up */
		struct json_object *msg =
		    conn_recv(c, send_err ? 2000 : o.timeout_s * 1000, err, sizeof(err));
		const char *type;

		if (!msg && send_err) {
			fail(EXIT_FAILED, "cannot talk to partd: %s", strerror(-send_err));
			*rc = EXIT_FAILED;
			break;
		}
		if (!msg) {
			ui_clear(&ui);
			fail(EXIT_FAILED, "%s", err);
			*rc = EXIT_FAILED;
			break;
		}
		type = jstr(msg, "type");
		if (type && !strcmp(type, "progress")) {
			ui_progress(&ui, msg, &last_state);
			json_object_put(msg);
			continue;
		}
		ui_clear(&ui);
		res = msg;
		*rc = (int)jint(res, "exit");
		if (*rc < 0 || *rc > 2)
			*rc = EXIT_FAILED;
		if (*rc && jstr(res, "error") && !first_error[0])
			snprintf(first_error, sizeof(first_error), "%s", jstr(res, "error"));
		json_object_object_del(res, "type");
		break;
	}
	free((char *)last_state);
	conn_close(c);
	return res;
}

/* ------------------------------------------------------------------ apply */

static int apply_local_dry_run(const char *path, const char *text, size_t len)
{
	struct problems ps;
	struct plan_actions as;
	struct inventory *inv;
	struct plan *plan;
	char err[PATH_MAX + 64];
	int rc = EXIT_OK;

	inv = read_machine(err, sizeof(err));
	if (!inv)
		return fail(EXIT_FAILED, "%s", err);
	problems_init(&ps);
	plan_actions_init(&as);
	plan = plan_parse(text, len, &ps);
	if (plan)
		plan_validate(plan, inv, &ps);
	if (!plan || ps.nerrors)
		rc = EXIT_INVALID;
	else if (plan_diff(plan, inv, &as))
		rc = EXIT_FAILED;
	if (o.json) {
		struct json_object *out = json_object_new_object();

		if (rc == EXIT_INVALID) {
			snprintf(err, sizeof(err), "%s is invalid: %zu error%s", path, ps.nerrors,
				 ps.nerrors == 1 ? "" : "s");
			json_object_object_add(out, "error", json_object_new_string(err));
		} else if (rc) {
			json_object_object_add(out, "error",
					       json_object_new_string("out of memory"));
		}
		json_outcome(out, rc);
		json_object_object_add(out, "dry_run", json_object_new_boolean(true));
		json_object_object_add(out, "via", json_object_new_string("kernfs"));
		json_object_object_add(out, "problems", problems_to_json(&ps));
		json_object_object_add(out, "actions", plan_actions_to_json(&as));
		print_json(out);
		json_object_put(out);
	} else if (rc == EXIT_INVALID) {
		report_problems(&ps, path);
	} else {
		problems_print(&ps, path, stderr); /* warnings */
		if (!as.n) {
			printf("nothing to do: the machine matches %s\n", path);
		} else {
			struct json_object *j = plan_actions_to_json(&as);

			printf("%s: %zu action%s (dry run; partd not running, so partitions held "
			       "stopped by partctl stop are not known):\n",
			       path, as.n, as.n == 1 ? "" : "s");
			print_actions(j);
			json_object_put(j);
		}
	}
	plan_actions_free(&as);
	plan_free(plan);
	problems_free(&ps);
	inventory_free(inv);
	return rc;
}

/* What partd answered an apply or a reload of PATH, for a person */
static void print_apply_result(struct json_object *res, const char *path, int rc)
{
	struct json_object *v;
	size_t n;

	json_object_object_get_ex(res, "problems", &v);
	print_problems_json(v, path, stderr); /* errors, or warnings */
	if (rc == EXIT_INVALID) {
		fprintf(stderr, "%s\n", jstr(res, "error") ? jstr(res, "error") : "invalid");
		return;
	}
	json_object_object_get_ex(res, "actions", &v);
	n = v ? json_object_array_length(v) : 0;
	if (o.dry_run) {
		if (!n)
			printf("nothing to do: the machine matches %s\n", path);
		else
			printf("%s: %zu action%s (dry run):\n", path, n, n == 1 ? "" : "s");
		print_actions(v);
	} else if (rc == EXIT_OK) {
		if (!n)
			printf("nothing to do: the machine matches %s\n", path);
		else
			printf("applied %s: %zu action%s\n", path, n, n == 1 ? "" : "s");
	} else {
		fprintf(stderr, "apply failed: %s\n", jstr(res, "error"));
		if (jbool(res, "rollback_failed"))
			fprintf(stderr, "rollback incomplete: see partctl status and the "
					"partd log\n");
		else if (jbool(res, "rolled_back"))
			fprintf(stderr, "rolled back: the machine is as it was before\n");
	}
}

static int cmd_apply(const char *path)
{
	struct json_object *req, *res;
	char err[512], abspath[PATH_MAX], *text;
	struct conn *probe;
	int rc = EXIT_OK;
	size_t len;

	text = plan_read_text(path, &len, err, sizeof(err));
	if (!text)
		return fail(EXIT_INVALID, "%s", err);
	if (strcmp(path, "-") && realpath(path, abspath))
		path = abspath;
	if (o.dry_run) {
		probe = conn_open(o.socket_path);
		if (!probe) {
			rc = apply_local_dry_run(path, text, len);
			free(text);
			return rc;
		}
		conn_close(probe);
	}
	req = request("apply");
	json_object_object_add(req, "plan", json_object_new_string_len(text, (int)len));
	json_object_object_add(req, "source", json_object_new_string(path));
	json_object_object_add(req, "dry_run", json_object_new_boolean(o.dry_run));
	free(text);
	res = call(req, &rc);
	if (!res)
		return rc;
	if (o.json) {
		json_object_object_add(res, "dry_run", json_object_new_boolean(o.dry_run));
		json_object_object_add(res, "via", json_object_new_string("partd"));
		print_json(res);
	} else {
		print_apply_result(res, path, rc);
	}
	json_object_put(res);
	return rc;
}

/*
 * partd reads its own plan file again, as on SIGHUP, but the caller waits
 * for the outcome: partd.service's ExecReload, so that `systemctl reload
 * partd` returns once the plan is applied and fails when it was not.
 */
static int cmd_reload(void)
{
	struct json_object *res;
	int rc = EXIT_OK;

	res = call(request("reload"), &rc);
	if (!res)
		return rc;
	if (o.json)
		print_json(res);
	else
		print_apply_result(res, jstr(res, "plan") ? jstr(res, "plan") : "partd's plan", rc);
	json_object_put(res);
	return rc;
}

/* ---------------------------------------------------------- status & co */

static int cmd_status(const char *name)
{
	struct json_object *req = request("status"), *res = NULL, *parts = NULL;
	struct conn *probe = conn_open(o.socket_path);
	bool from_partd = probe != NULL;
	char err[512];
	int rc = EXIT_OK;

	if (name && plan_name_problem(name)) {
		json_object_put(req);
		conn_close(probe);
		return fail(EXIT_INVALID, "\"%s\" is not a partition name: it %s", name,
			    plan_name_problem(name));
	}
	if (probe) {
		conn_close(probe);
		if (name)
			json_object_object_add(req, "name", json_object_new_string(name));
		res = call(req, &rc);
		if (!res)
			return rc;
		if (rc) {
			if (o.json)
				print_json(res);
			else
				fail(rc, "%s", jstr(res, "error"));
			json_object_put(res);
			return rc;
		}
	} else {
		/* partd is not running: the kernel's view, without plan information */
		struct inventory *inv = read_machine(err, sizeof(err));
		struct json_object *all, *sel = json_object_new_array();
		size_t i;

		json_object_put(req);
		if (!inv) {
			json_object_put(sel);
			return fail(EXIT_FAILED, "%s", err);
		}
		if (!o.json)
			fprintf(stderr,
				"partctl: partd is not running; showing the kernel's view\n");
		all = inventory_to_json(inv);
		json_object_object_get_ex(all, "partitions", &parts);
		for (i = 0; i < json_object_array_length(parts); i++) {
			struct json_object *p = json_object_array_get_idx(parts, i);

			if (!name || !strcmp(jstr(p, "name"), name))
				json_object_array_add(sel, json_object_get(p));
		}
		json_object_put(all);
		inventory_free(inv);
		if (name && !json_object_array_length(sel)) {
			json_object_put(sel);
			return fail(EXIT_INVALID, "no partition named \"%s\"", name);
		}
		res = json_object_new_object();
		json_object_object_add(res, "ok", json_object_new_boolean(true));
		json_object_object_add(res, "exit", json_object_new_int(0));
		json_object_object_add(res, "partitions", sel);
	}
	json_object_object_add(res, "partd", json_object_new_boolean(from_partd));
	if (o.json) {
		print_json(res);
	} else {
		json_object_object_get_ex(res, "partitions", &parts);
		if (name)
			print_partition_detail(json_object_array_get_idx(parts, 0), from_partd);
		else
			print_partitions_table(parts, from_partd);
		if (from_partd)
			print_plan_state(res);
	}
	json_object_put(res);
	return rc;
}

static int cmd_start_stop(const char *name, bool start)
{
	struct json_object *req, *res;
	int rc = EXIT_OK;

	if (plan_name_problem(name))
		return fail(EXIT_INVALID, "\"%s\" is not a partition name: it %s", name,
			    plan_name_problem(name));
	if (start && o.kill_after)
		return fail(EXIT_INVALID, "--kill-after goes with stop only");
	req = request(start ? "start" : "stop");
	json_object_object_add(req, "name", json_object_new_string(name));
	if (o.kill_after)
		json_object_object_add(req, "kill_after", json_object_new_int(o.kill_after));
	res = call(req, &rc);
	if (!res)
		return rc;
	if (o.json) {
		print_json(res);
	} else if (rc == EXIT_OK) {
		printf("%s: %s\n", name, start ? "running" : "stopped");
	} else {
		fail(rc, "%s", jstr(res, "error"));
	}
	json_object_put(res);
	return rc;
}

static int cmd_inventory(void)
{
	struct inventory *inv;
	struct json_object *j;
	char err[512];

	inv = read_machine(err, sizeof(err));
	if (!inv)
		return fail(EXIT_FAILED, "%s", err);
	j = inventory_to_json(inv);
	pci_add_names(json_object_object_get(json_object_object_get(j, "pci"), "devices"));
	if (o.json) {
		json_outcome(j, EXIT_OK);
		print_json(j);
	} else {
		print_inventory(j, o.root);
	}
	json_object_put(j);
	inventory_free(inv);
	return EXIT_OK;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static int run(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"offline", no_argument, NULL, 'O'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"timeout", required_argument, NULL, 't'},
	    {"kill-after", required_argument, NULL, 'K'},
	    {"socket", required_argument, NULL, 'S'},
	    {"root", required_argument, NULL, 'r'},
	    {"sysfs", required_argument, NULL, 's'},
	    {"file-root", required_argument, NULL, 'F'},
	    {"follow", no_argument, NULL, 'f'},
	    {"count", required_argument, NULL, 'c'},
	    {"size", required_argument, NULL, 'Z'},
	    {"dev", required_argument, NULL, 'D'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	const char *cmd;
	bool dev_set = false, help = false;
	char *end;
	long v;
	int c, nargs;

	o.socket_path = env_or("KPART_SOCKET", PLAN_DEFAULT_SOCKET);
	o.root = env_or("KPART_ROOT", PLAN_DEFAULT_KERNFS);
	o.sysfs = env_or("KPART_SYSFS", PLAN_DEFAULT_SYSFS);
	o.file_root = env_or("KPART_FILE_ROOT", NULL);
	o.dev = env_or("KPART_DEV", "/dev");

	opterr = 0; /* fail() says it: on stdout too with --json */
	while ((c = getopt_long(argc, argv, "jnqS:r:s:hVfc:", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'O':
			o.offline = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 't':
			o.timeout_s = (int)strtol(optarg, &end, 10);
			if (*end || o.timeout_s < 1 || o.timeout_s > 86400)
				return fail(EXIT_INVALID, "--timeout wants seconds (1-86400)");
			break;
		case 'K':
			o.kill_after = (int)strtol(optarg, &end, 10);
			if (*end || o.kill_after < 1 || o.kill_after > 3600)
				return fail(EXIT_INVALID, "--kill-after wants seconds (1-3600)");
			break;
		case 'S':
			o.socket_path = optarg;
			break;
		case 'r':
			o.root = optarg;
			break;
		case 's':
			o.sysfs = optarg;
			break;
		case 'F':
			o.file_root = optarg;
			break;
		case 'f':
			o.follow = true;
			break;
		case 'c':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 10000000)
				return fail(EXIT_INVALID,
					    "--count wants a number from 1 to 10000000");
			o.count = v;
			break;
		case 'Z':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 16 || v > 4096)
				return fail(EXIT_INVALID, "--size wants bytes from 16 to 4096");
			o.size = (int)v;
			break;
		case 'D':
			o.dev = optarg;
			dev_set = true;
			break;
		case 'h':
			help = true;
			break;
		case 'V':
			printf("partctl (kpart) %s, plan format %d, kernfs interface %d\n",
			       KPART_VERSION, PLAN_VERSION, KPART_IFACE_VERSION);
			return EXIT_OK;
		default:
			return fail(EXIT_INVALID,
				    "%s: unknown option, or its value is missing (see partctl "
				    "--help)",
				    argv[optind - 1]);
		}
	}
	if (help && optind < argc) { /* partctl VERB --help */
		if (print_verb_help(argv[optind]) == 0)
			return EXIT_OK;
		return fail(EXIT_INVALID, "unknown command \"%s\" (see partctl --help)",
			    argv[optind]);
	}
	if (help) {
		usage(stdout);
		return EXIT_OK;
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_INVALID;
	}
	cmd = argv[optind];
	nargs = argc - optind - 1;
#define WANT(lo, hi)                                                                               \
	do {                                                                                       \
		if (nargs < (lo) || nargs > (hi))                                                  \
			return fail(EXIT_INVALID, "%s takes %s (see partctl --help)", cmd,         \
				    (hi) == 0	? "no arguments"                                   \
				    : (lo) == 0 ? "at most one argument"                           \
						: "one argument");                                 \
	} while (0)
	if (o.dry_run && strcmp(cmd, "apply"))
		return fail(EXIT_INVALID, "--dry-run only goes with apply");
	if (o.offline && strcmp(cmd, "validate"))
		return fail(EXIT_INVALID, "--offline only goes with validate");
	if (o.follow && strcmp(cmd, "logs"))
		return fail(EXIT_INVALID, "--follow only goes with logs");
	if (o.count && strcmp(cmd, "ping"))
		return fail(EXIT_INVALID, "--count only goes with ping");
	if (o.size && strcmp(cmd, "ping"))
		return fail(EXIT_INVALID, "--size only goes with ping");
	if (dev_set && strcmp(cmd, "console") && strcmp(cmd, "logs") && strcmp(cmd, "ping"))
		return fail(EXIT_INVALID, "--dev only goes with console, logs and ping");
	if (o.json && !strcmp(cmd, "console"))
		return fail(EXIT_INVALID, "--json does not go with console");
	if (o.json && o.follow)
		return fail(EXIT_INVALID, "--json does not go with logs --follow");
	if (!strcmp(cmd, "validate")) {
		WANT(1, 1);
		return cmd_validate(argv[optind + 1]);
	}
	if (!strcmp(cmd, "apply")) {
		WANT(1, 1);
		return cmd_apply(argv[optind + 1]);
	}
	if (!strcmp(cmd, "reload")) {
		WANT(0, 0);
		return cmd_reload();
	}
	if (!strcmp(cmd, "status")) {
		WANT(0, 1);
		return cmd_status(nargs ? argv[optind + 1] : NULL);
	}
	if (!strcmp(cmd, "start") || !strcmp(cmd, "stop")) {
		WANT(1, 1);
		return cmd_start_stop(argv[optind + 1], !strcmp(cmd, "start"));
	}
	if (!strcmp(cmd, "inventory")) {
		WANT(0, 0);
		return cmd_inventory();
	}
	if (!strcmp(cmd, "console")) {
		WANT(1, 1);
		return cmd_console(&o, argv[optind + 1]);
	}
	if (!strcmp(cmd, "logs")) {
		WANT(1, 1);
		return cmd_logs(&o, argv[optind + 1]);
	}
	if (!strcmp(cmd, "ping")) {
		WANT(1, 1);
		return cmd_ping(&o, argv[optind + 1]);
	}
	return fail(EXIT_INVALID, "unknown command \"%s\" (see partctl --help)", cmd);
}

int main(int argc, char **argv)
{
	int rc = run(argc, argv);

	/* --json: whatever went wrong is a JSON object on stdout too */
	if (o.json && rc != EXIT_OK && !json_printed()) {
		struct json_object *out = json_object_new_object();

		if (!first_error[0])
			snprintf(first_error, sizeof(first_error), "%s",
				 rc == EXIT_INVALID ? "invalid usage (see partctl --help)"
						    : "failed");
		json_outcome(out, rc);
		print_json(out);
		json_object_put(out);
	}
	return rc;
}
