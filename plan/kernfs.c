/* SPDX-License-Identifier: MIT */
/* Performing actions on the kpart control filesystem (docs/interfaces.md). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static const char *root_or_default(const char *root)
{
	return root ? root : PLAN_DEFAULT_KERNFS;
}

/* What an errno means for a given file, per docs/interfaces.md. */
static const char *explain(const char *attr, int e)
{
	if (!attr) /* mkdir/rmdir */
		return e == EBUSY    ? "the partition is not stopped"
		       : e == EEXIST ? "a partition of that name already exists"
		       : e == ENOENT ? "no such partition"
				     : NULL;
	if (!strcmp(attr, "cpus"))
		return e == EINVAL   ? "bad cpulist, CPU 0, a CPU that is not present, or half a "
				       "core while smt_split is 0"
		       : e == EBUSY  ? "a CPU is held by another partition, or the partition is "
				       "not stopped"
		       : e == ENOMEM ? "its memory would not fit in the pools of these CPUs' "
				       "NUMA nodes (kernel log: which node)"
				     : NULL;
	if (!strcmp(attr, "smt_split"))
		return e == EINVAL  ? "not 0 or 1, or 0 while the partition's cpus split a core"
		       : e == EBUSY ? "the partition is not stopped"
				    : NULL;
	if (!strcmp(attr, "memory"))
		return e == ENOMEM ? "more than the pool, or a NUMA node's pool, has left for this "
				     "partition (kernel log: which node)"
		       : e == EBUSY  ? "the partition is not stopped"
		       : e == EINVAL ? "not a size, or below the 16M minimum"
				     : NULL;
	if (!strcmp(attr, "numa_node"))
		return e == EINVAL   ? "not auto or a node number, or the pool has no memory on "
				       "that node"
		       : e == ENOMEM ? "the node's pool cannot hold the partition's memory next "
				       "to the other partitions' (kernel log: how much)"
		       : e == EBUSY  ? "the partition is not stopped"
				     : NULL;
	if (!strcmp(attr, "kernel") || !strcmp(attr, "initrd"))
		return e == ENOENT    ? "the file does not exist"
		       : e == ENOEXEC ? "not a bzImage with a 64-bit entry point"
		       : e == EBUSY   ? "the partition is not stopped"
		       : e == EINVAL  ? "not an absolute path to a regular file"
				      : NULL;
	if (!strcmp(attr, "cmdline") || !strcmp(attr, "console"))
		return e == EBUSY    ? "the partition is not stopped"
		       : e == E2BIG  ? "longer than 2047 bytes"
		       : e == EINVAL ? "not none, ttyS0-3 or io:PORT"
				     : NULL;
	if (!strcmp(attr, "devices"))
		return e == ENODEV   ? "no such PCI device"
		       : e == EINVAL ? "not a PCI address, a bridge or not an endpoint, or one "
				       "function of a multi-function device that must go whole"
		       : e == EBUSY  ? "the partition is not stopped, or a device is another "
				       "partition's or carries the boot kernel's console or root "
				       "file system"
				     : NULL;
	if (!strcmp(attr, "control"))
		return e == EBUSY	? "the partition is not stopped"
		       : e == EINVAL	? "cpus, memory or kernel is not set, or nothing to stop"
		       : e == ETIMEDOUT ? "the application kernel did not stop in time"
		       : e == ENOMEM	? "no room in the pool: no free piece of a node holds the "
					  "boot area and kernel, or the low reserve is used up"
		       : e == ENOENT	? "the kernel or initrd image is missing"
		       : e == ENOEXEC	? "the kernel is not a usable bzImage"
		       : e == E2BIG	? "the images do not fit in the partition's memory, or "
					  "the pool is in too many pieces for it"
					: NULL;
	return NULL;
}

static int fail(char *err, size_t errlen, int e, const char *what, const char *attr)
{
	const char *why = explain(attr, e);

	if (err && errlen)
		snprintf(err, errlen, "%s: %s%s%s%s", what, strerror(e), why ? " (" : "",
			 why ? why : "", why ? ")" : "");
	return -e;
}

static int write_attr(const char *root, const char *name, const char *attr, const char *value,
		      char *err, size_t errlen)
{
	char *path = kp_asprintf("%s/%s/%s", root_or_default(root), name, attr);
	char what[KPART_NAME_MAX + 2100];
	int r;

	if (!path)
		return -ENOMEM;
	r = kp_write_file(path, value);
	if (r) {
		snprintf(what, sizeof(what), "writing \"%.2048s\" to %s", value, path);
		free(path);
		return fail(err, errlen, -r, what, attr);
	}
	free(path);
	return 0;
}

/*
 * Test fixtures are plain directories: a partition directory holds the files
 * partd wrote and rmdir fails, where kernfs would delete it. Only with
 * KPART_FIXTURE set (tests), remove the regular files and retry.
 */
static int rmdir_fixture(const char *path)
{
	int tries;

	/* a fixture's fake kernel may write a file back meanwhile: try again */
	for (tries = 0; tries < 10; tries++) {
		DIR *d = opendir(path);
		struct dirent *de;

		if (!d)
			return -1;
		while ((de = readdir(d))) {
			char *f;

			if (de->d_name[0] == '.')
				continue;
			f = kp_asprintf("%s/%s", path, de->d_name);
			if (f)
				unlink(f);
			free(f);
		}
		closedir(d);
		if (rmdir(path) == 0)
			return 0;
		if (errno != ENOTEMPTY)
			return -1;
	}
	return -1;
}

static int mk(const char *root, const char *name, bool create, char *err, size_t errlen)
{
	char *path = kp_asprintf("%s/%s", root_or_default(root), name);
	char what[4200];
	int r;

	if (!path)
		return -ENOMEM;
	r = create ? mkdir(path, 0755) : rmdir(path);
	if (r && !create && errno == ENOTEMPTY && getenv("KPART_FIXTURE"))
		r = rmdir_fixture(path);
	if (r) {
		int e = errno;

		snprintf(what, sizeof(what), "%s %s", create ? "mkdir" : "rmdir", path);
		free(path);
		return fail(err, errlen, e, what, NULL);
	}
	free(path);
	return 0;
}

/*
 * Stopped and crashed partitions hold no CPUs or memory, and the kernel
 * refuses "stop" for them (EINVAL): a crashed partition is configured,
 * started or deleted as it is. Only a partition that runs is stopped.
 */
static bool is_down(const char *kernfs_root, const char *name)
{
	int e;
	enum part_state st = kernfs_read_state(kernfs_root, name, &e);

	return !e && (st == PART_STOPPED || st == PART_CRASHED);
}

/*
 * Cooperative stop; the kernel waits for it and says ETIMEDOUT when the
 * application kernel did not stop (after a minute): then "kill". With a
 * timeout, "stop SECONDS kill" makes the kernel kill it after that long
 * itself; a module before that command refuses it (EINVAL): plain stop.
 */
static int stop(const char *kernfs_root, const char *name, int timeout_s, char *err, size_t errlen)
{
	char cmd[32];
	int r;

	if (is_down(kernfs_root, name))
		return 0;
	if (timeout_s > 0) {
		snprintf(cmd, sizeof(cmd), "stop %d kill", timeout_s);
		r = write_attr(kernfs_root, name, "control", cmd, err, errlen);
		if (r != -EINVAL || is_down(kernfs_root, name))
			return r;
	}
	r = write_attr(kernfs_root, name, "control", "stop", err, errlen);
	if (r == -ETIMEDOUT)
		r = write_attr(kernfs_root, name, "control", "kill", err, errlen);
	return r;
}

int plan_action_exec(const char *kernfs_root, const struct plan_action *a, char *err, size_t errlen)
{
	switch (a->type) {
	case ACT_STOP:
		return stop(kernfs_root, a->name, a->stop_timeout, err, errlen);
	case ACT_START:
		return write_attr(kernfs_root, a->name, "control", "start", err, errlen);
	case ACT_CREATE:
		return mk(kernfs_root, a->name, true, err, errlen);
	case ACT_DELETE:
		return mk(kernfs_root, a->name, false, err, errlen);
	case ACT_SET:
		return write_attr(kernfs_root, a->name, a->attr, a->value, err, errlen);
	}
	return -EINVAL;
}

int plan_action_undo(const char *kernfs_root, const struct plan_action *a, char *err, size_t errlen)
{
	static const char *const attrs[] = {"kernel",  "initrd",    "cmdline",
					    "console", "smt_split", "numa_node"};
	size_t i;
	int r;

	switch (a->type) {
	case ACT_STOP:
		if (a->old_state == PART_RUNNING || a->old_state == PART_STARTING)
			return write_attr(kernfs_root, a->name, "control", "start", err, errlen);
		return 0;
	case ACT_START:
		return stop(kernfs_root, a->name, a->stop_timeout, err, errlen);
	case ACT_CREATE:
		return mk(kernfs_root, a->name, false, err, errlen);
	case ACT_DELETE:
		r = mk(kernfs_root, a->name, true, err, errlen);
		for (i = 0; !r && i < ARRAY_SIZE(attrs); i++)
			if (a->restore[i] && a->restore[i][0])
				r = write_attr(kernfs_root, a->name, attrs[i], a->restore[i], err,
					       errlen);
		return r;
	case ACT_SET:
		/* No old value: the attribute was set on a partition this apply created,
		 * and undoing the create removes it. */
		if (!a->old)
			return 0;
		return write_attr(kernfs_root, a->name, a->attr, a->old, err, errlen);
	}
	return -EINVAL;
}

enum part_state kernfs_read_state(const char *kernfs_root, const char *name, int *error)
{
	char *path = kp_asprintf("%s/%s/state", root_or_default(kernfs_root), name), *s;
	enum part_state st;

	if (error)
		*error = 0;
	if (!path) {
		if (error)
			*error = -ENOMEM;
		return PART_UNKNOWN;
	}
	s = kp_read_file(path);
	free(path);
	if (!s) {
		if (error)
			*error = -errno;
		return PART_UNKNOWN;
	}
	st = part_state_parse(s);
	free(s);
	return st;
}
