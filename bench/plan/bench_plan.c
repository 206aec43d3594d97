/* SPDX-License-Identifier: MIT */
/*
 * bench-plan: plan_validate + plan_diff on synthetic machines.
 *
 *   small: 1,024 CPUs, 16 NUMA nodes, 256 partitions   goal: < 5 ms
 *   large: 4,096 CPUs, 64 NUMA nodes, 1,024 partitions goal: < 4x small (+10% noise)
 *
 * Each node has 64 CPUs and holds 16 partitions of 3 CPUs (CPUs 0-3 stay
 * with the boot kernel). Half the partitions name their CPUs, half ask for
 * {count: 3, numa_node: N}. The live machine already has three quarters of
 * them: a third of those unchanged and running, a third running with a new
 * command line (stop + reconfigure + start), a third stopped (start); an
 * eighth more live partitions are not in the plan (stop + release + delete).
 * The plan text is parsed outside the timed part (its time is printed too);
 * the median of many runs is reported. The result is information: the
 * program always exits 0 unless something breaks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"

#define CPUS_PER_NODE 64
#define PARTS_PER_NODE 16

struct shape {
	const char *label;
	unsigned nodes;
	unsigned runs;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-plan: %s\n", what);
	exit(1);
}

static unsigned first_cpu(unsigned i)
{
	return (i / PARTS_PER_NODE) * CPUS_PER_NODE + 4 + 3 * (i % PARTS_PER_NODE);
}

static char *make_plan(unsigned nparts)
{
	size_t cap = (size_t)nparts * 300 + 256, len = 0;
	char *s = malloc(cap);
	unsigned i;

	if (!s)
		die("out of memory");
	len += (size_t)snprintf(s + len, cap - len,
				"{\"version\":1,\"boot_cpus\":\"0-3\",\"pool\":{\"size\":\"%uG\"},"
				"\"partitions\":[",
				nparts / 8 + 8);
	for (i = 0; i < nparts; i++) {
		unsigned c = first_cpu(i);
		char cpus[64];

		if (i % 2)
			snprintf(cpus, sizeof(cpus), "{\"count\":3,\"numa_node\":%u}",
				 i / PARTS_PER_NODE);
		else
			snprintf(cpus, sizeof(cpus), "\"%u-%u\"", c, c + 2);
		len += (size_t)snprintf(
		    s + len, cap - len,
		    "%s{\"name\":\"p%u\",\"cpus\":%s,\"memory\":\"64M\",\"kernel\":\"/boot/k%u\","
		    "\"initrd\":\"/boot/i%u\",\"cmdline\":\"console=none app=%u%s\"}",
		    i ? "," : "", i, cpus, i % 2, i % 4, i, i % 4 == 2 ? " v2" : "");
	}
	snprintf(s + len, cap - len, "]}");
	return s;
}

static struct inventory *make_inventory(unsigned nodes, unsigned nparts, const char *files)
{
	struct inventory *inv = inventory_new();
	unsigned c, i, j;
	char name[32], buf[128];

	if (!inv)
		die("out of memory");
	for (c = 0; c < nodes * CPUS_PER_NODE; c++)
		inventory_add_cpu(inv, c, (int)(c / CPUS_PER_NODE));
	inv->pool_size = (uint64_t)(nparts / 8 + 8) << 30;
	inv->file_root = strdup(files);
	for (i = 0; i < nparts; i++) {
		struct inv_partition *p;

		if (i % 4 == 0)
			continue; /* new */
		snprintf(name, sizeof(name), "p%u", i);
		p = inventory_add_partition(inv, name);
		if (!p)
			die("out of memory");
		for (j = 0; j < 3; j++)
			cpuset_set(&p->cpus, first_cpu(i) + j);
		cpuset_or(&inv->assigned, &p->cpus);
		p->memory = 64ull << 20;
		free(p->kernel);
		free(p->initrd);
		free(p->cmdline);
		snprintf(buf, sizeof(buf), "/boot/k%u", i % 2);
		p->kernel = strdup(buf);
		snprintf(buf, sizeof(buf), "/boot/i%u", i % 4);
		p->initrd = strdup(buf);
		snprintf(buf, sizeof(buf), "console=none app=%u", i);
		p->cmdline = strdup(buf);
		p->state = i % 4 == 3 ? PART_STOPPED : PART_RUNNING;
	}
	for (i = 0; i < nparts / 8; i++) { /* not in the plan any more */
		struct inv_partition *p;

		snprintf(name, sizeof(name), "gone%u", i);
		p = inventory_add_partition(inv, name);
		if (!p)
			die("out of memory");
		p->memory = 32ull << 20;
		p->state = PART_RUNNING;
	}
	inventory_sort(inv);
	return inv;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f))
		die("cannot write the synthetic kernel files");
}

static char *make_files(void)
{
	char *root = strdup("/tmp/kpart-bench-plan.XXXXXX"), path[256];
	unsigned char hdr[0x400] = {0};
	unsigned i;

	if (!root || !mkdtemp(root))
		die("cannot make a temporary directory");
	snprintf(path, sizeof(path), "%s/boot", root);
	mkdir(path, 0755);
	memcpy(hdr + 0x202, "HdrS", 4);
	hdr[0x206] = 0x0f;
	hdr[0x207] = 0x02;
	hdr[0x236] = 1;
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/boot/k%u", root, i);
		write_file(path, hdr, sizeof(hdr));
	}
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/boot/i%u", root, i);
		write_file(path, "070701", 6);
	}
	return root;
}

static void remove_files(const char *root)
{
	char path[256];
	unsigned i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/boot/k%u", root, i);
		unlink(path);
	}
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/boot/i%u", root, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/boot", root);
	rmdir(path);
	rmdir(root);
}

struct result {
	double median, min, parse;
	size_t actions;
};

static struct result run(const struct shape *sh, const char *files)
{
	unsigned nparts = sh->nodes * PARTS_PER_NODE, r;
	char *text = make_plan(nparts);
	struct inventory *inv = make_inventory(sh->nodes, nparts, files);
	double *t = calloc(sh->runs, sizeof(*t)), *tp = calloc(sh->runs, sizeof(*tp));
	struct result res = {0};

	if (!t || !tp)
		die("out of memory");
	for (r = 0; r < sh->runs; r++) {
		struct problems ps;
		struct plan_actions as;
		struct plan *plan;
		double t0, t1, t2;

		problems_init(&ps);
		plan_actions_init(&as);
		t0 = now_ms();
		plan = plan_parse(text, strlen(text), &ps);
		t1 = now_ms();
		if (!plan)
			die("the synthetic plan does not parse");
		if (plan_validate(plan, inv, &ps) || plan_diff(plan, inv, &as)) {
			problems_print(&ps, sh->label, stderr);
			die("the synthetic plan does not validate");
		}
		t2 = now_ms();
		tp[r] = t1 - t0;
		t[r] = t2 - t1;
		res.actions = as.n;
		plan_actions_free(&as);
		plan_free(plan);
		problems_free(&ps);
	}
	qsort(t, sh->runs, sizeof(*t), cmp_double);
	qsort(tp, sh->runs, sizeof(*tp), cmp_double);
	res.median = t[sh->runs / 2];
	res.min = t[0];
	res.parse = tp[sh->runs / 2];
	free(t);
	free(tp);
	free(text);
	inventory_free(inv);
	return res;
}

int main(void)
{
	static const struct shape shapes[2] = {
	    {"small", 16, 201},
	    {"large", 64, 51},
	};
	struct result res[2];
	char *files = make_files();
	double ratio;
	unsigned i;

	/* warm up caches and the allocator */
	(void)run(&shapes[0], files);
	for (i = 0; i < 2; i++)
		res[i] = run(&shapes[i], files);
	remove_files(files);
	free(files);

	printf("bench-plan: plan_validate + plan_diff, median of N runs (min in brackets)\n");
	for (i = 0; i < 2; i++)
		printf("  %-5s %4u CPUs, %2u nodes, %4u partitions: %7.3f ms [%7.3f]  "
		       "%4zu actions  (parse %.3f ms, not in the figure)\n",
		       shapes[i].label, shapes[i].nodes * CPUS_PER_NODE, shapes[i].nodes,
		       shapes[i].nodes * PARTS_PER_NODE, res[i].median, res[i].min, res[i].actions,
		       res[i].parse);
	ratio = res[1].median / res[0].median;
	printf("  small under 5 ms:                 %s (%.3f ms)\n",
	       res[0].median < 5.0 ? "PASS" : "MISS", res[0].median);
	printf("  large / small = %.2fx (4x work):   %s (goal: at most 4x, +10%% noise)\n", ratio,
	       ratio <= 4.4 ? "PASS" : "MISS");
	return 0;
}
