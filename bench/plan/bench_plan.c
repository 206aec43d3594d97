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
 * The plan text is parsed outside the timed part (its time is printed too).
 *
 * The two sizes take turns (small, large, small, large, ...: ROUNDS rounds
 * after one warm-up round), so a slow phase of the machine hits both alike;
 * each is reported as median [min-max] and the ratio as the ratio of the
 * medians with the per-round ratios as its spread. The goals are
 * information, but the work done is checked: the number of actions must be
 * the same in every sample of a size and the large one exactly 4x the small
 * one (the large machine is four small ones side by side), else the program
 * exits 1, as it does when anything breaks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"
#include "stats.h"

#define CPUS_PER_NODE 64
#define PARTS_PER_NODE 16

#define ROUNDS 41

struct shape {
	const char *label;
	unsigned nodes;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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

/* A size prepared once: the plan text and the live machine */
struct bench {
	const struct shape *sh;
	char *text;
	struct inventory *inv;
	double diff[ROUNDS], parse[ROUNDS]; /* ms */
	size_t actions;
};

static void prepare(struct bench *b, const struct shape *sh, const char *files)
{
	unsigned nparts = sh->nodes * PARTS_PER_NODE;

	b->sh = sh;
	b->text = make_plan(nparts);
	b->inv = make_inventory(sh->nodes, nparts, files);
	b->actions = 0;
}

/* One sample: parse (timed apart), validate + diff (the figure) */
static void sample(struct bench *b, int round)
{
	struct problems ps;
	struct plan_actions as;
	struct plan *plan;
	double t0, t1, t2;

	problems_init(&ps);
	plan_actions_init(&as);
	t0 = now_ms();
	plan = plan_parse(b->text, strlen(b->text), &ps);
	t1 = now_ms();
	if (!plan)
		die("the synthetic plan does not parse");
	if (plan_validate(plan, b->inv, &ps) || plan_diff(plan, b->inv, &as)) {
		problems_print(&ps, b->sh->label, stderr);
		die("the synthetic plan does not validate");
	}
	t2 = now_ms();
	if (round >= 0) {
		b->parse[round] = t1 - t0;
		b->diff[round] = t2 - t1;
	}
	if (b->actions && as.n != b->actions) {
		fprintf(stderr, "bench-plan: CHECK FAILED: %s: %zu actions, earlier samples %zu\n",
			b->sh->label, as.n, b->actions);
		exit(1);
	}
	b->actions = as.n;
	plan_actions_free(&as);
	plan_free(plan);
	problems_free(&ps);
}

static void release(struct bench *b)
{
	free(b->text);
	inventory_free(b->inv);
}

int main(void)
{
	static const struct shape shapes[2] = {
	    {"small", 16},
	    {"large", 64},
	};
	static struct bench b[2];
	char *files = make_files();
	double ratios[ROUNDS];
	struct spread d[2], p[2], q;
	int fail = 0;
	unsigned i;
	int r;

	for (i = 0; i < 2; i++)
		prepare(&b[i], &shapes[i], files);
	/* warm up caches and the allocator: one untimed round */
	for (i = 0; i < 2; i++)
		sample(&b[i], -1);
	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < 2; i++)
			sample(&b[i], r);
	for (r = 0; r < ROUNDS; r++)
		ratios[r] = b[1].diff[r] / b[0].diff[r];
	for (i = 0; i < 2; i++) {
		d[i] = spread_of(b[i].diff, ROUNDS);
		p[i] = spread_of(b[i].parse, ROUNDS);
	}
	q = spread_of(ratios, ROUNDS);
	remove_files(files);
	free(files);

	printf("bench-plan: plan_validate + plan_diff, median [min-max] of %d samples per size, "
	       "sizes interleaved\n",
	       ROUNDS);
	for (i = 0; i < 2; i++)
		printf("  %-5s %4u CPUs, %2u nodes, %4u partitions: %7.3f ms [%.3f-%.3f]  "
		       "%4zu actions  (parse %.3f ms [%.3f-%.3f], not in the figure)\n",
		       shapes[i].label, shapes[i].nodes * CPUS_PER_NODE, shapes[i].nodes,
		       shapes[i].nodes * PARTS_PER_NODE, d[i].med, d[i].min, d[i].max, b[i].actions,
		       p[i].med, p[i].min, p[i].max);
	/* The large machine is four small ones: exactly four times the actions */
	if (b[1].actions == 4 * b[0].actions) {
		printf("  actions large = 4 x small:        PASS (%zu = 4 x %zu)\n", b[1].actions,
		       b[0].actions);
	} else {
		printf("  actions large = 4 x small:        FAIL (%zu, want 4 x %zu = %zu)\n",
		       b[1].actions, b[0].actions, 4 * b[0].actions);
		fail = 1;
	}
	printf("  small under 5 ms:                 %s (median %.3f ms [%.3f-%.3f])\n",
	       d[0].med < 5.0 ? "PASS" : "MISS", d[0].med, d[0].min, d[0].max);
	printf("  large / small = %.2fx (4x work):   %s (goal: at most 4x, +10%% noise; "
	       "per-round ratios %.2f-%.2f)\n",
	       d[1].med / d[0].med, d[1].med / d[0].med <= 4.4 ? "PASS" : "MISS", q.min, q.max);
	for (i = 0; i < 2; i++)
		release(&b[i]);
	return fail;
}
