/* SPDX-License-Identifier: MIT */
/* partd internals: one process, one event loop, one job at a time. */
#ifndef KPART_PARTD_H
#define KPART_PARTD_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

struct json_object;
struct nl_sock;

/* A partctl connection. Kept allocated while a job reports to it. */
struct client {
	struct client *next;
	int fd;
	uid_t uid;
	char *in;
	size_t inlen, incap;
	bool dead; /* fd closed, struct kept for the running job */
};

enum job_kind { JOB_NONE, JOB_APPLY, JOB_START, JOB_STOP, JOB_RELOAD };

struct job {
	enum job_kind kind;
	struct client *client; /* who asked (NULL: signal or internal) */
	char *text;	       /* JOB_APPLY: plan text */
	char *source;	       /* JOB_APPLY: where the text came from */
	char name[KPART_NAME_MAX];
	bool dry_run;
	int kill_after; /* JOB_STOP: seconds before the kernel kills it, 0: the plan's */
};

struct partd {
	/* options */
	const char *plan_path, *root, *sysfs, *socket_path, *file_root, *state_dir;
	int start_timeout_ms, stop_timeout_ms, poll_ms, resync_ms;
	bool use_netlink, verbose;

	/* state */
	struct plan *plan;  /* the active plan (validated), or NULL */
	char *plan_source;  /* its file name */
	size_t plan_errors; /* errors of the last plan that was rejected, if any */
	struct inventory *inv;
	char **held; /* partitions an operator stopped: not started by reconcile */
	size_t nheld;

	int sig_fd, listen_fd;
	int lock_fd; /* flock on the kpart root: one partd per machine */
	struct client *clients;
	size_t nclients;

	struct nl_sock *nl;
	int nl_fd;
	bool nl_have_seq;
	uint64_t nl_seq;
	bool resync_needed;
	uint64_t next_resync;
	uint64_t next_nl_retry; /* polling: when to look for the netlink family again */

	bool busy;		 /* a job is running: mutating requests are refused */
	struct client *reporter; /* gets progress lines of the running job */
	struct job job;		 /* queued job */
	int kill_after;		 /* the running job's kill_after */
	bool reload_pending, quit;
	char **restart; /* partitions to restart after an in-guest reboot */
	size_t nrestart;
	char **hung; /* partitions seen hung (on_hang), logged once */
	size_t nhung;
	uint64_t next_hang_check;
};

/*
 * Logging (main.c), one function for every line: under journald each line
 * is a journal entry with, where known, the fields PLAN= (the plan file or
 * "partctl"), PARTITION= and ACTION= (what partd does: create, set, start,
 * stop, delete, undo, apply, reject, kill, restart); any may be NULL.
 * Elsewhere a plain line on stderr. plog() is a line with no fields.
 */
void plog_at(int prio, const char *plan, const char *partition, const char *action, const char *fmt,
	     ...) __attribute__((format(printf, 5, 6)));
#define plog(prio, ...) plog_at(prio, NULL, NULL, NULL, __VA_ARGS__)
uint64_t now_ms(void);
void notify_status(struct partd *d);

/* main.c: the loop */
void partd_poll_once(struct partd *d, int timeout_ms);

/* events.c: generic netlink */
int events_open(struct partd *d);
void events_close(struct partd *d);
void events_dispatch(struct partd *d);
/* Re-read every partition's state and report changes as events would. */
void resync_states(struct partd *d);
/* A partition changed state: refresh it, log it, queue an automatic restart. */
void partition_changed(struct partd *d, const char *name, const char *reason);
/* The plan's on_hang: kill (and restart) partitions hung for hang_timeout s. */
void check_hangs(struct partd *d);

/* server.c: the partctl socket */
int server_open(struct partd *d);
void server_close(struct partd *d);
void server_accept(struct partd *d);
void client_readable(struct partd *d, struct client *c);
void client_send(struct client *c, struct json_object *o); /* consumes o */
void client_release(struct partd *d, struct client *c);
struct json_object *status_json(struct partd *d, const char *name);

/* engine.c: applying plans */
bool is_held(struct partd *d, const char *name);
void set_held(struct partd *d, const char *name, bool held);
void load_held(struct partd *d);
/* Fresh inventory from the kernel (holds applied); 0 or -errno with a log line. */
int refresh_inventory(struct partd *d, char *err, size_t errlen);
/*
 * Make the machine match plan text (NULL text: read d->plan_path). Result
 * object: ok, exit, problems, actions, error, rolled_back. Consumes nothing.
 */
struct json_object *reconcile(struct partd *d, const char *text, const char *source, bool dry_run,
			      bool from_file);
struct json_object *start_stop(struct partd *d, const char *name, bool start);
/* A {"type":"result","ok":..,"exit":..[,"error":..]} reply for partctl */
struct json_object *partd_result(bool ok, int exit_code, const char *error);
void run_job(struct partd *d);
void run_restarts(struct partd *d);

#endif
