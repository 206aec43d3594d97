/* SPDX-License-Identifier: MIT */
#ifndef KPART_PARTCTL_H
#define KPART_PARTCTL_H

#include <stdbool.h>
#include <stdio.h>

#include "plan.h"

struct json_object;

/* Exit codes (docs/partctl.md). */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_INVALID = 2 };

struct opts {
	const char *socket_path, *root, *sysfs, *file_root;
	const char *dev; /* device directory: DEV/kpart-console/NAME, DEV/kpart-echo/NAME */
	bool json, dry_run, offline, quiet, follow;
	int timeout_s;	/* 0: no client-side limit (ping: 1 s per reply) */
	long count;	/* ping: round trips, 0: default */
	int size;	/* ping: bytes per message, 0: default */
	int kill_after; /* stop: seconds before the kernel kills it, 0: the plan's */
};

/* main.c: "partctl: MESSAGE" on stderr; returns code. With --json, the
 * first one is also the "error" of the JSON object on stdout. */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Add "ok", "exit" and (failed, with a fail() before) "error" to a --json result. */
void json_outcome(struct json_object *out, int code);

/* client.c: talking to partd */
struct conn;
/* Connect; NULL with errno set (ENOENT/ECONNREFUSED: partd not running). */
struct conn *conn_open(const char *path);
void conn_close(struct conn *c);
int conn_send(struct conn *c, struct json_object *req); /* consumes req */
/* Next line as a JSON object; NULL on EOF/error/timeout (message in err). */
struct json_object *conn_recv(struct conn *c, int timeout_ms, char *err, size_t errlen);

/* channel.c: straight to the module's devices, without partd */
int cmd_console(const struct opts *o, const char *name);
int cmd_logs(const struct opts *o, const char *name);
int cmd_ping(const struct opts *o, const char *name);

/* pci.c: add "vendor_name", "device_name", "class_name" (null when
 * unknown) to each device of an inventory's "pci" "devices" array */
void pci_add_names(struct json_object *devices);

/* output.c: for people */
const char *human_size(int64_t bytes, char buf[32]);
void print_json(struct json_object *o);
bool json_printed(void); /* print_json was called */
void print_plan_state(struct json_object *status);
void print_problems_json(struct json_object *problems, const char *source, FILE *f);
void print_partitions_table(struct json_object *partitions, bool from_partd);
void print_partition_detail(struct json_object *p, bool from_partd);
void print_inventory(struct json_object *inv, const char *root);
void print_pci_devices(struct json_object *pci);
void print_actions(struct json_object *actions);
const char *jstr(struct json_object *o, const char *key);  /* NULL when absent */
const char *jstrd(struct json_object *o, const char *key); /* "" when absent */
int64_t jint(struct json_object *o, const char *key);
bool jbool(struct json_object *o, const char *key);

#endif
