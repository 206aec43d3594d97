/* SPDX-License-Identifier: MIT */
/*
 * Applying plans: validate, diff, execute the actions in order while
 * waiting for partitions to stop and start, and undo what this run did, in
 * reverse order, when a step fails. One line is logged per action.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <json-c/json.h>

#include "partd.h"

/* ------------------------------------------------------------------ holds */

bool is_held(struct partd *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nheld; i++)
		if (!strcmp(d->held[i], name))
			return true;
	return false;
}

static void save_held(struct partd *d)
{
	char path[4096], tmp[4200];
	FILE *f;
	size_t i;

	if (!d->state_dir)
		return;
	snprintf(path, sizeof(path), "%s/held", d->state_dir);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "we");
	if (!f) {
		plog(LOG_WARNING, "cannot save held partitions to %s: %s", path, strerror(errno));
		return;
	}
	for (i = 0; i < d->nheld; i++)
		fprintf(f, "%s\n", d->held[i]);
	if (fclose(f) || rename(tmp, path))
		plog(LOG_WARNING, "cannot save held partitions to %s: %s", path, strerror(errno));
}

void set_held(struct partd *d, const char *name, bool held)
{
	struct inv_partition *p = d->inv ? inventory_find(d->inv, name) : NULL;
	size_t i;

	if (p)
		p->hold = held;
	if (held == is_held(d, name))
		return;
	if (held) {
		char **v = realloc(d->held, (d->nheld + 1) * sizeof(*v));

		if (!v || !(v[d->nheld] = strdup(name))) {
			if (v)
				d->held = v;
			return;
		}
		d->held = v;
		d->nheld++;
	} else {
		for (i = 0; i < d->nheld; i++) {
			if (!strcmp(d->held[i], name)) {
				free(d->held[i]);
				d->held[i] = d->held[--d->nheld];
				break;
			}
		}
	}
	save_held(d);
}

/* Partitions stopped with `partctl stop` stay stopped across partd restarts. */
void load_held(struct partd *d)
{
	char path[4096], line[128];
	FILE *f;

	if (!d->state_dir)
		return;
	snprintf(path, sizeof(path), "%s/held", d->state_dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!plan_name_problem(line) && !is_held(d, line)) {
			char **v = realloc(d->held, (d->nheld + 1) * sizeof(*v));

			if (!v)
				break;
			d->held = v;
			if ((d->held[d->nheld] = strdup(line)))
				d->nheld++;
		}
	}
	fclose(f);
	for (size_t i = 0; i < d->nheld; i++) {
		struct inv_partition *p = inventory_find(d->inv, d->held[i]);

		if (p)
			p->hold = true;
		plog(LOG_INFO, "%s: held stopped by an operator (partctl start %s releases it)",
		     d->held[i], d->held[i]);
	}
}

/* -------------------------------------------------------------- inventory */

static struct inventory *read_machine(struct partd *d, char *err, size_t errlen)
{
	struct inventory *inv = inventory_read(d->root, d->sysfs, err, errlen);
	size_t i;

	if (!inv)
		return NULL;
	if (d->file_root)
		inv->file_root = strdup(d->file_root);
	for (i = 0; i < inv->nparts; i++)
		inv->parts[i].hold = is_held(d, inv->parts[i].name);
	return inv;
}

int refresh_inventory(struct partd *d, char *err, size_t errlen)
{
	struct inventory *inv = read_machine(d, err, errlen);

	if (!inv)
		return -ENOENT;
	inventory_free(d->inv);
	d->inv = inv;
	return 0;
}

/* --------------------------------------------------------------- progress */

static void progress(struct partd *d, struct json_object *o)
{
	if (!d->reporter) {
		json_object_put(o);
		return;
	}
	json_object_object_add(o, "type", json_object_new_string("progress"));
	client_send(d->reporter, o);
}

static struct json_object *event(const char *kind)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(kind));
	return o;
}

static void progress_state(struct partd *d, const char *name, enum part_state st, uint64_t elapsed)
{
	struct json_object *o;

	if (!d->reporter)
		return;
	o = event("state");
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "state", json_object_new_string(part_state_name(st)));
	json_object_object_add(o, "elapsed_ms", json_object_new_int64((int64_t)elapsed));
	progress(d, o);
}

/* ---------------------------------------------------------------- waiting */

static char *exit_reason(struct partd *d, const char *name)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s/exit_reason", d->root, name);
	return kp_read_file(path);
}

static bool partition_exists(struct partd *d, const char *name)
{
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", d->root, name);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Wait until NAME reaches want, dispatching events and read-only requests
 * meanwhile. Fails when a start ends in crashed/stopped, on timeout, or when
 * partd is asked to quit.
 */
static int wait_state(struct partd *d, const char *name, enum part_state want, int timeout_ms,
		      char *err, size_t errlen)
{
	uint64_t start = now_ms(), last_tick = start;
	enum part_state st;
	int last = -1;
	bool seen_other = false;
	int e;

	for (;;) {
		uint64_t now = now_ms(), elapsed = now - start;
		int slice;

		st = kernfs_read_state(d->root, name, &e);
		if ((int)st != last || now - last_tick >= 1000) {
			if ((int)st != last) {
				plog(LOG_DEBUG, "%s: %s after %llu ms", name, part_state_name(st),
				     (unsigned long long)elapsed);
				/* log the change now, not when the event comes */
				if (!e)
					partition_changed(d, name, NULL);
			}
			progress_state(d, name, st, elapsed);
			last_tick = now;
			last = (int)st;
		}
		/* crashed is as down as stopped: the kernel took CPUs and memory back */
		if (st == want || (want == PART_STOPPED && st == PART_CRASHED))
			return 0;
		if (e == -ENOENT && !partition_exists(d, name)) {
			snprintf(err, errlen, "%s disappeared while waiting for it to be %s", name,
				 part_state_name(want));
			return -ENOENT;
		}
		/* A stopped or crashed state read before the kernel (or a slow fake)
		 * took the start is the old one: only one seen after the partition
		 * was seen starting, or after 2 s, ends the wait. (A fixture's new
		 * partition has no state file at first: unknown is not starting.) */
		if (want == PART_RUNNING &&
		    (st == PART_STARTING || st == PART_RUNNING || st == PART_STOPPING))
			seen_other = true;
		if (want == PART_RUNNING && (st == PART_CRASHED || st == PART_STOPPED) &&
		    (seen_other || elapsed > 2000)) {
			char *why = exit_reason(d, name);

			snprintf(err, errlen, "%s %s while starting (exit reason: %s)", name,
				 st == PART_CRASHED ? "crashed" : "stopped", why ? why : "unknown");
			free(why);
			return -EIO;
		}
		if (elapsed >= (uint64_t)timeout_ms) {
			snprintf(err, errlen, "%s is still %s after %d s (waiting for %s)", name,
				 part_state_name(st), timeout_ms / 1000, part_state_name(want));
			return -ETIMEDOUT;
		}
		if (d->quit) {
			snprintf(err, errlen, "interrupted while waiting for %s", name);
			return -EINTR;
		}
		slice = d->nl ? 1000 : d->poll_ms;
		if ((uint64_t)slice > (uint64_t)timeout_ms - elapsed)
			slice = (int)((uint64_t)timeout_ms - elapsed);
		partd_poll_once(d, slice);
	}
}

/* ---------------------------------------------------------------- running */

/* The display form pads columns; a log line reads better without. */
static const char *squeeze(const char *in, char out[512])
{
	size_t o = 0;

	for (; *in && o < 511; in++)
		if (*in != ' ' || (o && out[o - 1] != ' '))
			out[o++] = *in;
	out[o] = '\0';
	return out;
}

struct run_result {
	size_t done; /* actions completed */
	bool failed, rolled_back, rollback_failed;
	char error[1024];
};

static int exec_one(struct partd *d, const struct plan_action *a, char *err, size_t errlen)
{
	int r = plan_action_exec(d->root, a, err, errlen);

	if (r)
		return r;
	/*
	 * Keep the inventory in step with what was just done (a stop returns
	 * once the partition stopped; mkdir and rmdir are done), so that the
	 * events these actions cause later find nothing new to report.
	 */
	if (a->type != ACT_SET)
		partition_changed(d, a->name, NULL);
	if (a->type == ACT_STOP)
		return wait_state(d, a->name, PART_STOPPED, d->stop_timeout_ms, err, errlen);
	if (a->type == ACT_START)
		return wait_state(d, a->name, PART_RUNNING, d->start_timeout_ms, err, errlen);
	return 0;
}

static void rollback(struct partd *d, const char *plan, const struct plan_actions *as, size_t upto,
		     struct run_result *rr)
{
	size_t j = upto;
	char line[512], logline[512], err[1024];

	plog_at(LOG_WARNING, plan, NULL, "undo", "rolling back %zu action%s", upto,
		upto == 1 ? "" : "s");
	while (j-- > 0) {
		const struct plan_action *a = &as->v[j];
		struct json_object *o;
		int r;

		if (!plan_action_format_undo(a, line, sizeof(line)))
			continue; /* nothing to bring back */
		plog_at(LOG_INFO, plan, a->name, "undo", "undo [%zu/%zu] %s", j + 1, as->n,
			squeeze(line, logline));
		o = event("undo");
		json_object_object_add(o, "index", json_object_new_int((int)j + 1));
		json_object_object_add(o, "text", json_object_new_string(line));
		progress(d, o);
		r = plan_action_undo(d->root, a, err, sizeof(err));
		if (!r && a->type == ACT_START)
			r = wait_state(d, a->name, PART_STOPPED, d->stop_timeout_ms, err,
				       sizeof(err));
		else if (!r && a->type == ACT_STOP)
			r = wait_state(d, a->name, PART_RUNNING, d->start_timeout_ms, err,
				       sizeof(err));
		if (r) {
			plog_at(LOG_ERR, plan, a->name, "undo", "undo [%zu/%zu] failed: %s", j + 1,
				as->n, err);
			o = event("undo_failed");
			json_object_object_add(o, "index", json_object_new_int((int)j + 1));
			json_object_object_add(o, "error", json_object_new_string(err));
			progress(d, o);
			rr->rollback_failed = true;
		}
	}
	rr->rolled_back = true;
}

/* plan: the plan being applied, for the log (NULL: partctl start/stop) */
static void run_actions(struct partd *d, const char *plan, const struct plan_actions *as,
			bool undo_on_failure, struct run_result *rr)
{
	char line[512], logline[512], err[1024];
	size_t i;

	memset(rr, 0, sizeof(*rr));
	for (i = 0; i < as->n; i++) {
		const struct plan_action *a = &as->v[i];
		struct json_object *o = event("action");
		int r;

		plan_action_format(a, line, sizeof(line));
		plog_at(LOG_INFO, plan, a->name, plan_action_verb(a->type), "[%zu/%zu] %s", i + 1,
			as->n, squeeze(line, logline));
		json_object_object_add(o, "index", json_object_new_int((int)i + 1));
		json_object_object_add(o, "total", json_object_new_int((int)as->n));
		json_object_object_add(o, "text", json_object_new_string(line));
		json_object_object_add(o, "action", plan_action_to_json(a));
		progress(d, o);

		err[0] = '\0';
		r = exec_one(d, a, err, sizeof(err));
		if (r) {
			/* a write that failed did nothing; a wait that failed follows a write
			 * that did something */
			bool wrote = a->type == ACT_STOP || a->type == ACT_START
					 ? (r == -ETIMEDOUT || r == -EIO || r == -EINTR)
					 : false;

			plog_at(LOG_ERR, plan, a->name, plan_action_verb(a->type),
				"[%zu/%zu] failed: %s", i + 1, as->n, err);
			snprintf(rr->error, sizeof(rr->error), "step %zu (%s %s) failed: %s", i + 1,
				 plan_action_verb(a->type), a->name, err);
			o = event("failed");
			json_object_object_add(o, "index", json_object_new_int((int)i + 1));
			json_object_object_add(o, "error", json_object_new_string(err));
			progress(d, o);
			rr->failed = true;
			rr->done = i;
			if (undo_on_failure && !d->quit)
				rollback(d, plan, as, wrote ? i + 1 : i, rr);
			return;
		}
	}
	rr->done = as->n;
}

/*
 * How long each stop may take before the kernel kills the partition: the
 * stop_timeout of the plan being applied, else of the active plan; none
 * (the module's 60 s, then partd's kill) for partitions in neither.
 */
static void set_stop_timeouts(struct partd *d, const struct plan *plan, struct plan_actions *as)
{
	size_t i;

	for (i = 0; i < as->n; i++) {
		struct plan_action *a = &as->v[i];
		const struct plan_partition *pp = plan ? plan_find(plan, a->name) : NULL;

		if (!pp && d->plan)
			pp = plan_find(d->plan, a->name);
		if (a->type == ACT_STOP || a->type == ACT_START)
			a->stop_timeout = d->kill_after ? d->kill_after : pp ? pp->stop_timeout : 0;
	}
}

/* ------------------------------------------------------------- reconcile */

/* A {"type":"result"} reply line for partctl */
struct json_object *partd_result(bool ok, int exit_code, const char *error)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("result"));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "exit", json_object_new_int(exit_code));
	if (error)
		json_object_object_add(o, "error", json_object_new_string(error));
	return o;
}

static void log_problems(const struct problems *ps, const char *source)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		const struct problem *p = &ps->v[i];

		plog_at(p->severity == PROBLEM_ERROR ? LOG_ERR : LOG_WARNING, source, NULL,
			p->severity == PROBLEM_ERROR ? "reject" : NULL, "%s: %s%s%s%s%s%s%s%s",
			source, p->path, p->path[0] ? ": " : "", p->message,
			p->holder ? " (held by " : "", p->holder ? p->holder : "",
			p->holder ? ")" : "", p->hint ? "; hint: " : "", p->hint ? p->hint : "");
	}
}

static struct json_object *with_problems(struct json_object *o, const struct problems *ps)
{
	json_object_object_add(o, "problems", problems_to_json(ps));
	return o;
}

struct json_object *reconcile(struct partd *d, const char *text, const char *source, bool dry_run,
			      bool from_file)
{
	struct problems ps;
	struct plan *plan;
	struct inventory *inv;
	struct plan_actions as;
	struct run_result rr;
	struct json_object *res;
	char err[512];
	size_t i;

	problems_init(&ps);
	plan_actions_init(&as);
	if (!source)
		source = from_file ? d->plan_path : "partctl";
	if (from_file && access(d->plan_path, F_OK) && errno == ENOENT) {
		plog(LOG_WARNING, "no plan at %s: leaving partitions as they are", d->plan_path);
		return partd_result(true, 0, NULL);
	}
	plan = from_file ? plan_load_file(d->plan_path, &ps) : plan_parse(text, strlen(text), &ps);

	if (dry_run) {
		inv = read_machine(d, err, sizeof(err));
	} else {
		inv = refresh_inventory(d, err, sizeof(err)) ? NULL : d->inv;
	}
	if (!inv) {
		plan_free(plan);
		problems_free(&ps);
		plog(LOG_ERR, "%s", err);
		return partd_result(false, 1, err);
	}
	if (plan)
		plan_validate(plan, inv, &ps);
	if (!plan || ps.nerrors) {
		size_t n = ps.nerrors;

		if (!dry_run) {
			log_problems(&ps, source);
			plog_at(LOG_ERR, source, NULL, "reject",
				"%s rejected (%zu error%s): nothing was changed", source, n,
				n == 1 ? "" : "s");
			if (from_file)
				d->plan_errors = n;
		}
		snprintf(err, sizeof(err), "%s is invalid: %zu error%s", source, n,
			 n == 1 ? "" : "s");
		res = with_problems(partd_result(false, 2, err), &ps);
		goto out;
	}
	if (!dry_run)
		log_problems(&ps, source); /* warnings */
	if (plan_diff(plan, inv, &as)) {
		res = partd_result(false, 1, "out of memory");
		goto out;
	}
	set_stop_timeouts(d, plan, &as);
	if (dry_run) {
		res = with_problems(partd_result(true, 0, NULL), &ps);
		json_object_object_add(res, "actions", plan_actions_to_json(&as));
		goto out;
	}

	if (as.n == 0)
		plog_at(LOG_INFO, source, NULL, "apply", "%s: the machine matches the plan",
			source);
	else
		plog_at(LOG_INFO, source, NULL, "apply", "%s: %zu action%s", source, as.n,
			as.n == 1 ? "" : "s");
	if (d->reporter && as.n) {
		struct json_object *o = event("plan");

		json_object_object_add(o, "total", json_object_new_int((int)as.n));
		json_object_object_add(o, "actions", plan_actions_to_json(&as));
		progress(d, o);
	}
	run_actions(d, source, &as, true, &rr);
	if (refresh_inventory(d, err, sizeof(err)))
		plog(LOG_WARNING, "%s", err);
	if (rr.failed) {
		plog_at(LOG_ERR, source, NULL, "apply", "%s: %s; %s", source, rr.error,
			rr.rollback_failed ? "rollback incomplete: check partctl status"
					   : "rolled back");
		res = with_problems(partd_result(false, 1, rr.error), &ps);
		json_object_object_add(res, "rolled_back", json_object_new_boolean(rr.rolled_back));
		json_object_object_add(res, "rollback_failed",
				       json_object_new_boolean(rr.rollback_failed));
	} else {
		/* holds on partitions the plan no longer has are moot */
		for (i = d->nheld; i-- > 0;)
			if (!plan_find(plan, d->held[i]))
				set_held(d, d->held[i], false);
		plan_free(d->plan);
		d->plan = plan;
		plan = NULL;
		free(d->plan_source);
		d->plan_source = strdup(source);
		if (from_file)
			d->plan_errors = 0;
		if (as.n)
			plog_at(LOG_INFO, source, NULL, "apply", "%s: applied %zu action%s", source,
				as.n, as.n == 1 ? "" : "s");
		res = with_problems(partd_result(true, 0, NULL), &ps);
	}
	json_object_object_add(res, "actions", plan_actions_to_json(&as));
	json_object_object_add(res, "done", json_object_new_int((int)rr.done));
out:
	if (dry_run && inv)
		inventory_free(inv);
	plan_free(plan);
	plan_actions_free(&as);
	problems_free(&ps);
	return res;
}

struct json_object *start_stop(struct partd *d, const char *name, bool start)
{
	struct plan_actions as;
	struct run_result rr;
	struct json_object *res;
	char err[512];
	int r;

	if (refresh_inventory(d, err, sizeof(err)))
		return partd_result(false, 1, err);
	plan_actions_init(&as);
	r = start ? plan_actions_for_start(d->inv, name, &as)
		  : plan_actions_for_stop(d->inv, name, &as);
	if (r == -ENOENT) {
		snprintf(err, sizeof(err), "no partition named \"%s\"", name);
		return partd_result(false, 2, err);
	}
	set_held(d, name, !start);
	set_stop_timeouts(d, NULL, &as);
	if (as.n == 0)
		plog_at(LOG_INFO, NULL, name, start ? "start" : "stop", "%s: already %s", name,
			start ? "running" : "stopped");
	run_actions(d, NULL, &as, false, &rr);
	if (refresh_inventory(d, err, sizeof(err)))
		plog(LOG_WARNING, "%s", err);
	res = rr.failed ? partd_result(false, 1, rr.error) : partd_result(true, 0, NULL);
	json_object_object_add(res, "actions", plan_actions_to_json(&as));
	json_object_object_add(res, "done", json_object_new_int((int)rr.done));
	plan_actions_free(&as);
	return res;
}

void run_job(struct partd *d)
{
	struct job job = d->job;
	struct json_object *res = NULL;

	memset(&d->job, 0, sizeof(d->job));
	d->busy = true;
	d->reporter = job.client && !job.client->dead ? job.client : NULL;
	switch (job.kind) {
	case JOB_APPLY:
		res = reconcile(d, job.text, job.source, false, false);
		break;
	case JOB_RELOAD:
		res = reconcile(d, NULL, d->plan_path, false, true);
		if (res)
			json_object_object_add(res, "plan", json_object_new_string(d->plan_path));
		break;
	case JOB_START:
	case JOB_STOP:
		d->kill_after = job.kill_after; /* partctl stop --kill-after */
		res = start_stop(d, job.name, job.kind == JOB_START);
		d->kill_after = 0;
		break;
	case JOB_NONE:
		break;
	}
	if (res && job.client)
		client_send(job.client, res);
	else
		json_object_put(res);
	d->reporter = NULL;
	d->busy = false;
	free(job.text);
	free(job.source);
	notify_status(d);
}

void run_restarts(struct partd *d)
{
	while (d->nrestart) {
		char *name = d->restart[--d->nrestart];
		const struct inv_partition *p = inventory_find(d->inv, name);
		const struct plan_partition *pp = plan_find(d->plan, name);

		if (p && pp && pp->autostart && !is_held(d, name) && p->state == PART_STOPPED &&
		    !strcmp(p->exit_reason, "reboot")) {
			struct json_object *res;

			plog_at(LOG_INFO, NULL, name, "restart",
				"%s: rebooted itself; starting it again", name);
			d->busy = true;
			res = start_stop(d, name, true);
			d->busy = false;
			json_object_put(res);
		}
		free(name);
	}
	notify_status(d);
}
