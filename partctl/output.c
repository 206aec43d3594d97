/* SPDX-License-Identifier: MIT */
/* partctl output for people (libsmartcols tables) and for scripts (JSON). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libsmartcols.h>

#include "partctl.h"

const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

const char *jstrd(struct json_object *o, const char *key)
{
	const char *s = jstr(o, key);

	return s ? s : "";
}

int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_int64(v);
}

bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return false;
	return json_object_get_boolean(v);
}

const char *human_size(int64_t bytes, char buf[32])
{
	static const char sfx[] = "KMGT";
	double v = (double)bytes;
	int i = -1;

	if (bytes < 1024) {
		snprintf(buf, 32, "%" PRId64, bytes);
		return buf;
	}
	/* exact when it divides, else one decimal */
	if (bytes > 0 && (bytes % (1 << 20)) == 0 && bytes < (1ll << 30))
		return plan_format_size((uint64_t)bytes, buf);
	while (v >= 1024 && i < 3) {
		v /= 1024;
		i++;
	}
	if (v == (double)(int64_t)v)
		snprintf(buf, 32, "%" PRId64 "%c", (int64_t)v, sfx[i]);
	else
		snprintf(buf, 32, "%.1f%c", v, sfx[i]);
	return buf;
}

static bool json_done;

bool json_printed(void)
{
	return json_done;
}

void print_json(struct json_object *o)
{
	json_done = true;
	printf("%s\n",
	       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
}

void print_problems_json(struct json_object *problems, const char *source, FILE *f)
{
	size_t i, n = problems ? json_object_array_length(problems) : 0;

	for (i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(problems, i);
		const char *path = jstr(p, "path");
		const char *holder = jstr(p, "holder"), *hint = jstr(p, "hint");

		fprintf(f, "%s%s%s%s%s: %s\n", source ? source : "", source ? ": " : "",
			path && *path ? path : "", path && *path ? ": " : "", jstrd(p, "severity"),
			jstrd(p, "message"));
		if (holder)
			fprintf(f, "    held by: %s\n", holder);
		if (hint)
			fprintf(f, "    hint: %s\n", hint);
	}
}

static struct libscols_table *table(const char *const *cols, const int *flags)
{
	struct libscols_table *tb = scols_new_table();
	size_t i;

	if (!tb)
		return NULL;
	for (i = 0; cols[i]; i++)
		scols_table_new_column(tb, cols[i], 0, flags ? flags[i] : 0);
	return tb;
}

static const char *plan_column(struct json_object *p, bool from_partd)
{
	if (!from_partd)
		return "?";
	if (!jbool(p, "in_plan"))
		return "-";
	if (jbool(p, "held"))
		return "held";
	return jbool(p, "autostart") ? "autostart" : "manual";
}

void print_partitions_table(struct json_object *parts, bool from_partd)
{
	static const char *const cols[] = {"NAME",  "STATE", "CPUS", "MEMORY",
					   "BOOTS", "EXIT",  "PLAN", NULL};
	static const int flags[] = {0, 0, 0, SCOLS_FL_RIGHT, SCOLS_FL_RIGHT, 0, 0};
	struct libscols_table *tb;
	size_t i, n = parts ? json_object_array_length(parts) : 0;

	if (!n) {
		printf("no partitions\n");
		return;
	}
	tb = table(cols, flags);
	if (!tb)
		return;
	if (!from_partd) /* no plan information without partd */
		scols_table_remove_column(tb, scols_table_get_column(tb, 6));
	for (i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(parts, i);
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		char mem[32], boots[32];
		const char *state = jstr(p, "state");

		snprintf(boots, sizeof(boots), "%" PRId64, jint(p, "boot_count"));
		scols_line_set_data(ln, 0, jstr(p, "name"));
		scols_line_set_data(ln, 1, state);
		scols_line_set_data(ln, 2, jstr(p, "cpus"));
		scols_line_set_data(ln, 3, human_size(jint(p, "memory"), mem));
		scols_line_set_data(ln, 4, state && strcmp(state, "absent") ? boots : "-");
		scols_line_set_data(ln, 5, jstr(p, "exit_reason") ? jstr(p, "exit_reason") : "-");
		if (from_partd)
			scols_line_set_data(ln, 6, plan_column(p, true));
	}
	scols_print_table(tb);
	scols_unref_table(tb);
}

/* "0x140000000-0x17fffffff (node 1, 1G)"; the node and "low reserve" when known */
static void format_range(struct json_object *r, char *buf, size_t len)
{
	struct json_object *node = NULL;
	char sz[32], where[48] = "";
	int64_t start = jint(r, "start"), end = jint(r, "end");

	if (json_object_object_get_ex(r, "node", &node) && node)
		snprintf(where, sizeof(where), "node %s, ", json_object_get_string(node));
	snprintf(buf, len, "%#" PRIx64 "-%#" PRIx64 " (%s%s%s)", (uint64_t)start, (uint64_t)end,
		 where, jbool(r, "low") ? "low reserve, " : "", human_size(end - start + 1, sz));
}

/* memory_ranges, one per line after the label; false when there are none */
static bool print_ranges(const char *label, struct json_object *ranges)
{
	size_t i, n = ranges ? json_object_array_length(ranges) : 0;
	char buf[160];

	for (i = 0; i < n; i++) {
		format_range(json_object_array_get_idx(ranges, i), buf, sizeof(buf));
		printf("%-13s %s\n", i ? "" : label, buf);
	}
	return n > 0;
}

void print_partition_detail(struct json_object *p, bool from_partd)
{
	static const char *const keys[] = {"name",	 "state",	 "cpus",    "memory",
					   "numa_node",	 "memory_range", "kernel",  "initrd",
					   "cmdline",	 "console",	 "devices", "exit_reason",
					   "boot_count", "boot_time_us", NULL};
	char mem[32];
	size_t i;

	for (i = 0; keys[i]; i++) {
		const char *v = jstr(p, keys[i]);
		struct json_object *ranges = NULL, *devs = NULL;

		if (!strcmp(keys[i], "devices")) {
			size_t k, n;

			/* PCI addresses; absent from a partd before device hand-off */
			if (!json_object_object_get_ex(p, "devices", &devs))
				continue;
			n = devs ? json_object_array_length(devs) : 0;
			printf("%-13s %s", "devices:", n ? "" : "-");
			for (k = 0; k < n; k++)
				printf("%s%s", k ? " " : "",
				       json_object_get_string(json_object_array_get_idx(devs, k)));
			printf("\n");
			continue;
		}
		if (!v)
			continue;
		if (!strcmp(keys[i], "numa_node")) {
			printf("%-13s %s\n", "numa_node:",
			       strcmp(v, "auto") ? v : "auto (memory from the nodes of its CPUs)");
			continue;
		}
		if (!strcmp(keys[i], "memory_range") &&
		    json_object_object_get_ex(p, "memory_ranges", &ranges)) {
			if (!print_ranges("ranges:", ranges))
				printf("%-13s %s\n", "ranges:", "- (held while it runs)");
			continue;
		}
		if (!strcmp(keys[i], "memory")) {
			printf("%-13s %s (%s bytes)\n",
			       "memory:", human_size(jint(p, "memory"), mem), v);
			continue;
		}
		char label[32];

		if (!strcmp(keys[i], "boot_time_us")) {
			if (jint(p, "boot_time_us") > 0)
				printf("%-13s %.2f s (start to running, last start)\n",
				       "boot time:", (double)jint(p, "boot_time_us") / 1e6);
			continue;
		}
		snprintf(label, sizeof(label), "%s:", keys[i]);
		printf("%-13s %s\n", label, *v ? v : "-");
		if (!strcmp(keys[i], "cpus") && jbool(p, "smt_split"))
			printf("%-13s %s\n",
			       "smt_split:", "1 (may share cores with other kernels)");
	}
	if (from_partd)
		printf("%-13s %s\n", "plan:", plan_column(p, true));
}

/* "cores:      4 of 2 threads (0-1 2-3 4-5 6-7)", shortened on big machines */
static void print_cores(struct json_object *cpus)
{
	struct json_object *cores = NULL;
	const char *from = jstrd(cpus, "cores_from");
	size_t i, n;

	json_object_object_get_ex(cpus, "cores", &cores);
	n = cores ? json_object_array_length(cores) : 0;
	if (!strcmp(from, "none")) {
		printf("cores:      unknown (no cpu_cores file, no sysfs topology): each CPU "
		       "counts as a core\n");
		return;
	}
	if (jint(cpus, "threads_per_core") <= 1) {
		printf("cores:      %zu, one thread each (no SMT)\n", n);
		return;
	}
	printf("cores:      %zu, up to %" PRId64 " threads each (", n,
	       jint(cpus, "threads_per_core"));
	for (i = 0; i < n && i < 16; i++)
		printf("%s%s", i ? " " : "",
		       json_object_get_string(json_object_array_get_idx(cores, i)));
	printf("%s)%s\n", n > 16 ? " ..." : "",
	       !strcmp(from, "sysfs") ? "; from sysfs: CPUs partitions hold count as cores of "
					"their own"
				      : "");
}

/*
 * The pool of a module with NUMA pools: totals, the low reserve, one table
 * line per node and the ranges:
 *   pool:       6G for partitions, 5G free, 4G not promised to a partition
 *   low:        32M below 4 GiB for AP trampolines, 30M free
 *   POOL NODE SIZE FREE COMMITTED LARGEST FREE RANGES
 */
static void print_numa_pool(struct json_object *pool)
{
	static const char *const cols[] = {"POOL NODE",	   "SIZE",   "FREE", "COMMITTED",
					   "LARGEST FREE", "RANGES", NULL};
	static const int flags[] = {
	    0, SCOLS_FL_RIGHT, SCOLS_FL_RIGHT, SCOLS_FL_RIGHT, SCOLS_FL_RIGHT, SCOLS_FL_RIGHT};
	struct json_object *nodes = NULL, *low = NULL, *ranges = NULL;
	struct libscols_table *tb;
	char a[32], b[32], buf[160];
	size_t i, n;

	json_object_object_get_ex(pool, "nodes", &nodes);
	json_object_object_get_ex(pool, "low", &low);
	json_object_object_get_ex(pool, "ranges", &ranges);
	printf("pool:       %s for partitions, %s free, %s not promised to a partition\n",
	       human_size(jint(pool, "for_partitions"), a),
	       human_size(jint(pool, "free") - jint(low, "free"), b),
	       human_size(jint(pool, "available"), buf));
	if (jint(low, "size"))
		printf("low:        %s below 4 GiB for AP trampolines, %s free\n",
		       human_size(jint(low, "size"), a), human_size(jint(low, "free"), b));
	n = ranges ? json_object_array_length(ranges) : 0;
	for (i = 0; i < n && i < 8; i++) {
		format_range(json_object_array_get_idx(ranges, i), buf, sizeof(buf));
		printf("%-11s %s\n", i ? "" : "ranges:", buf);
	}
	if (n > 8)
		printf("%-11s ... %zu more\n", "", n - 8);
	n = nodes ? json_object_array_length(nodes) : 0;
	if (!n) {
		printf("            (no NUMA node has pool memory)\n");
		return;
	}
	tb = table(cols, flags);
	for (i = 0; tb && i < n; i++) {
		struct json_object *nd = json_object_array_get_idx(nodes, i);
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		char num[16], v[4][32], r[16];

		snprintf(num, sizeof(num), "%" PRId64, jint(nd, "node"));
		snprintf(r, sizeof(r), "%" PRId64, jint(nd, "ranges"));
		scols_line_set_data(ln, 0, num);
		scols_line_set_data(ln, 1, human_size(jint(nd, "size"), v[0]));
		scols_line_set_data(ln, 2, human_size(jint(nd, "free"), v[1]));
		scols_line_set_data(ln, 3, human_size(jint(nd, "committed"), v[2]));
		scols_line_set_data(ln, 4, human_size(jint(nd, "largest"), v[3]));
		scols_line_set_data(ln, 5, r);
	}
	if (tb) {
		scols_print_table(tb);
		scols_unref_table(tb);
	}
}

void print_inventory(struct json_object *inv, const char *root)
{
	static const char *const ncols[] = {"NODE", "CPUS", "ASSIGNED", "UNASSIGNED", NULL};
	struct json_object *cpus = NULL, *pool = NULL, *nodes = NULL, *parts = NULL;
	struct libscols_table *tb;
	char a[32], b[32];
	size_t i, n;

	json_object_object_get_ex(inv, "cpus", &cpus);
	json_object_object_get_ex(inv, "pool", &pool);
	json_object_object_get_ex(inv, "numa_nodes", &nodes);
	json_object_object_get_ex(inv, "partitions", &parts);
	printf("kpart:      %s (interface %" PRId64 ")\n", root, jint(inv, "kernfs_version"));
	printf("CPUs:       %s (%" PRId64 " present)\n", jstr(cpus, "present"),
	       jint(cpus, "count"));
	print_cores(cpus);
	printf("assigned:   %s\n", *jstr(cpus, "assigned") ? jstr(cpus, "assigned") : "none");
	printf("unassigned: %s (besides CPU 0, which stays with the boot kernel)\n",
	       *jstr(cpus, "unassigned") ? jstr(cpus, "unassigned") : "none");
	if (jbool(pool, "numa"))
		print_numa_pool(pool);
	else {
		printf("pool:       %s, %s free", human_size(jint(pool, "size"), a),
		       human_size(jint(pool, "free"), b));
		/* free: not held by started partitions; available: not promised to any */
		if (json_object_object_get_ex(pool, "available", NULL))
			printf(", %s not promised to a partition",
			       human_size(jint(pool, "available"), b));
		if (jstr(pool, "range") && *jstr(pool, "range"))
			printf(" (%s)", jstr(pool, "range"));
		printf("\n");
	}
	printf("\n");

	tb = table(ncols, NULL);
	n = nodes ? json_object_array_length(nodes) : 0;
	for (i = 0; tb && i < n; i++) {
		struct json_object *nd = json_object_array_get_idx(nodes, i);
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		struct cpuset all, as;
		char num[16], *un;

		cpuset_init(&all);
		cpuset_init(&as);
		cpuset_parse(&all, jstr(nd, "cpus"), NULL, 0);
		cpuset_parse(&as, jstr(nd, "assigned"), NULL, 0);
		cpuset_andnot(&all, &as);
		cpuset_clear(&all, 0);
		un = cpuset_format(&all);
		snprintf(num, sizeof(num), "%" PRId64, jint(nd, "node"));
		scols_line_set_data(ln, 0, num);
		scols_line_set_data(ln, 1, jstr(nd, "cpus"));
		scols_line_set_data(ln, 2, *jstr(nd, "assigned") ? jstr(nd, "assigned") : "-");
		scols_line_set_data(ln, 3, un && *un ? un : "-");
		free(un);
		cpuset_free(&all);
		cpuset_free(&as);
	}
	if (tb) {
		scols_print_table(tb);
		scols_unref_table(tb);
	}
	printf("\n");
	print_partitions_table(parts, false);
	print_pci_devices(json_object_object_get(inv, "pci"));
}

/* "Red Hat, Inc. Virtio block device", with IDs where the names are unknown */
static void device_label(struct json_object *d, char *buf, size_t len)
{
	const char *vn = jstr(d, "vendor_name"), *dn = jstr(d, "device_name");
	const char *vi = jstr(d, "vendor_id"), *di = jstr(d, "device_id");

	if (!vi)
		snprintf(buf, len, "?");
	else if (vn && dn)
		snprintf(buf, len, "%s %s", vn, dn);
	else if (vn)
		snprintf(buf, len, "%s device %s", vn, di ? di : "?");
	else
		snprintf(buf, len, "%s:%s", vi, di ? di : "?");
}

/*
 * PCI devices, one line each, with their owner:
 *   ADDRESS      CLASS          DEVICE              DRIVER OWNER        NOTE
 *   0000:00:02.0 SCSI storage.. Red Hat, Inc. Vir.. virtio -            boot kernel's root ...
 *   0000:06:00.0 ?              ?                   -      web (owned)  not in the boot kernel
 */
void print_pci_devices(struct json_object *pci)
{
	static const char *const cols[] = {"ADDRESS", "CLASS", "DEVICE", "DRIVER",
					   "OWNER",   "NOTE",  NULL};
	static const int flags[] = {0, SCOLS_FL_TRUNC, SCOLS_FL_TRUNC, 0, 0, SCOLS_FL_TRUNC};
	struct json_object *devs = NULL;
	struct libscols_table *tb;
	size_t i, n, held = 0;

	if (!pci)
		return;
	json_object_object_get_ex(pci, "devices", &devs);
	n = devs ? json_object_array_length(devs) : 0;
	for (i = 0; i < n; i++)
		held += jstr(json_object_array_get_idx(devs, i), "owner") != NULL;
	printf("\nPCI:        %zu device%s, %zu held by partitions%s\n", n, n == 1 ? "" : "s", held,
	       jbool(pci, "handoff") ? ""
				     : " (this kpart module cannot hand devices to partitions)");
	if (!jbool(pci, "sysfs"))
		printf("            (no PCI device list in sysfs: only what partitions hold)\n");
	if (!n)
		return;
	tb = table(cols, flags);
	for (i = 0; tb && i < n; i++) {
		struct json_object *d = json_object_array_get_idx(devs, i);
		struct libscols_line *ln = scols_table_new_line(tb, NULL);
		const char *owner = jstr(d, "owner"), *use = jstr(d, "boot_use");
		const char *cls = jstr(d, "class"), *cn = jstr(d, "class_name");
		char label[512], cbuf[64], obuf[64], note[256] = "";

		device_label(d, label, sizeof(label));
		if (cn)
			snprintf(cbuf, sizeof(cbuf), "%s", cn);
		else
			snprintf(cbuf, sizeof(cbuf), "%s%s", cls ? "class " : "?", cls ? cls : "");
		if (owner)
			snprintf(obuf, sizeof(obuf), "%s (%s)", owner, jstrd(d, "state"));
		if (use)
			snprintf(note, sizeof(note), "boot kernel's %s", use);
		else if (!jbool(d, "in_boot_kernel"))
			snprintf(note, sizeof(note), "not in the boot kernel while %s runs",
				 owner ? owner : "its partition");
		else if (cls && !strncmp(cls, "06", 2))
			snprintf(note, sizeof(note), "bridge");
		else if (jint(d, "header_type") > 0)
			snprintf(note, sizeof(note), "not an endpoint");
		else if (jbool(d, "virtfn"))
			snprintf(note, sizeof(note), "SR-IOV virtual function");
		else if (jbool(d, "iommu"))
			snprintf(note, sizeof(note), "behind an IOMMU");
		scols_line_set_data(ln, 0, jstr(d, "address"));
		scols_line_set_data(ln, 1, cbuf);
		scols_line_set_data(ln, 2, label);
		scols_line_set_data(ln, 3, jstr(d, "driver") ? jstr(d, "driver") : "-");
		scols_line_set_data(ln, 4, owner ? obuf : "-");
		scols_line_set_data(ln, 5, note[0] ? note : "-");
	}
	if (tb) {
		scols_print_table(tb);
		scols_unref_table(tb);
	}
}

void print_actions(struct json_object *actions)
{
	size_t i, n = actions ? json_object_array_length(actions) : 0;

	for (i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(actions, i);
		struct plan_action pa = {0};
		char line[512];
		const char *op = jstrd(a, "op");

		/* rebuild enough of the action to share the library's formatting */
		pa.type = !strcmp(op, "stop")	  ? ACT_STOP
			  : !strcmp(op, "delete") ? ACT_DELETE
			  : !strcmp(op, "create") ? ACT_CREATE
			  : !strcmp(op, "set")	  ? ACT_SET
						  : ACT_START;
		snprintf(pa.name, sizeof(pa.name), "%s", jstrd(a, "name"));
		pa.attr = jstrd(a, "attr");
		pa.value = (char *)jstr(a, "to");
		pa.old = (char *)jstr(a, "from");
		pa.why = (char *)jstr(a, "why");
		printf("  %s\n", plan_action_format(&pa, line, sizeof(line)));
	}
}

/*
 * After the status table: partd rejected the plan file it was given (at
 * start or on reload), so what runs follows an older plan, or none.
 */
void print_plan_state(struct json_object *status)
{
	struct json_object *plan = NULL;
	int64_t errors;

	json_object_object_get_ex(status, "plan", &plan);
	errors = jint(plan, "rejected_errors");
	if (!plan || errors <= 0)
		return;
	printf("\nplan:       %s was REJECTED by partd (%" PRId64 " error%s)\n",
	       jstrd(plan, "path"), errors, errors == 1 ? "" : "s");
	if (jbool(plan, "loaded"))
		printf("            the partitions follow the last good plan (%s)\n",
		       jstr(plan, "source") ? jstr(plan, "source") : "?");
	else
		printf("            no plan is active: partd leaves the partitions as they are\n");
	printf("            see: partctl validate %s\n", jstrd(plan, "path"));
}
