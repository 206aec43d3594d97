/* SPDX-License-Identifier: MIT */
/*
 * Validation of a plan against the live machine, and placement of
 * partitions that ask for a CPU count. Linear in CPUs + partitions: CPU
 * ownership is an array indexed by CPU, names go through a hash map, files
 * are checked once per distinct path.
 *
 * Hardware threads of a core stay with one kernel (the kernel refuses a
 * cpus write that splits a core unless the partition's smt_split is 1): a
 * cpulist that splits a core is an error, placement takes whole cores,
 * unless the partition has "smt_split": true.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define OWN_FREE (-1)
#define OWN_BOOT (-2)

struct vctx {
	struct plan *plan;
	const struct inventory *inv;
	struct problems *ps;
	int *owner;	      /* [inv->ncpus]: plan partition index, OWN_FREE or OWN_BOOT */
	int *live_owner;      /* [inv->ncpus]: inventory partition index or -1 */
	unsigned *node_free;  /* [nnodes]: free CPUs per node */
	unsigned *node_whole; /* [nnodes]: free CPUs per node whose cores are wholly free */
	unsigned tpc;	      /* threads per core when all cores have as many, else 0 */
	size_t *cpu_problems; /* indexes into ps->v that get a "free CPUs" hint */
	size_t ncpu_problems, capcpu_problems;
	int oom;
};

static void note_cpu_problem(struct vctx *v, struct problem *p)
{
	if (!p)
		return;
	if (v->ncpu_problems == v->capcpu_problems) {
		size_t cap = v->capcpu_problems ? v->capcpu_problems * 2 : 8;
		size_t *n = realloc(v->cpu_problems, cap * sizeof(*n));

		if (!n) {
			v->oom = 1;
			return;
		}
		v->cpu_problems = n;
		v->capcpu_problems = cap;
	}
	v->cpu_problems[v->ncpu_problems++] = (size_t)(p - v->ps->v);
}

/* ------------------------------------------------------------------ cores */

static unsigned sibling(const struct vctx *v, unsigned c)
{
	return v->inv->sibling ? v->inv->sibling[c] : c;
}

/* Every thread of c's core is free for a partition: unclaimed, not CPU 0. */
static bool core_free(const struct vctx *v, unsigned c)
{
	unsigned t = c;

	do {
		if (t == 0 || v->owner[t] != OWN_FREE)
			return false;
		t = sibling(v, t);
	} while (t != c);
	return true;
}

/* Give present CPU c to who (a plan partition index or OWN_BOOT), keeping the free counts. */
static void claim(struct vctx *v, unsigned c, int who)
{
	if (v->owner[c] == OWN_FREE && c) {
		if (core_free(v, c)) {
			unsigned t = c;

			do {
				if (v->inv->cpu_node[t] >= 0)
					v->node_whole[v->inv->cpu_node[t]]--;
				t = sibling(v, t);
			} while (t != c);
		}
		if (v->inv->cpu_node[c] >= 0)
			v->node_free[v->inv->cpu_node[c]]--;
	}
	v->owner[c] = who;
}

static char *fmt_set(const struct cpuset *s)
{
	char *t = cpuset_format(s);

	return t ? t : strdup("?");
}

static const char *plural(const struct cpuset *s)
{
	return cpuset_count(s) == 1 ? "CPU" : "CPUs";
}

static const char *cpu_word(unsigned n)
{
	return n == 1 ? "CPU" : "CPUs";
}

static char *part_label(const struct plan_partition *pp)
{
	if (pp->invalid & PLAN_F_NAME)
		return kp_asprintf("/partitions/%zu", pp->index);
	return kp_asprintf("/partitions/%zu (%s)", pp->index, pp->name);
}

/* "partition web (running)" for the live holders of the CPUs in s, or NULL. */
static char *live_holders(struct vctx *v, const struct cpuset *s, const char *skip)
{
	char *out = NULL;
	int c, last = -1, n = 0;

	for (c = cpuset_next(s, 0); c >= 0; c = cpuset_next(s, (unsigned)c + 1)) {
		int o;
		const struct inv_partition *ip;
		char *t;

		if ((unsigned)c >= v->inv->ncpus || (o = v->live_owner[c]) < 0 || o == last)
			continue;
		ip = &v->inv->parts[o];
		last = o;
		if (skip && !strcmp(ip->name, skip))
			continue;
		if (++n > 3)
			break;
		t = kp_asprintf("%s%spartition %s (%s)", out ? out : "", out ? ", " : "", ip->name,
				part_state_name(ip->state));
		free(out);
		out = t;
	}
	return out;
}

/* --------------------------------------------------------------- cpulists */

static void check_list(struct vctx *v, struct plan_partition *pp)
{
	struct cpuset absent, boot, clash, boot0;
	char *path = kp_asprintf("/partitions/%zu/cpus", pp->index);
	int c, other = -1;
	bool extra_others = false;

	cpuset_init(&absent);
	cpuset_init(&boot);
	cpuset_init(&clash);
	cpuset_init(&boot0);
	for (c = cpuset_next(&pp->cpus, 0); c >= 0; c = cpuset_next(&pp->cpus, (unsigned)c + 1)) {
		int o;

		if (c == 0) {
			cpuset_set(&boot0, 0);
			continue;
		}
		if (!cpuset_test(&v->inv->present, (unsigned)c)) {
			cpuset_set(&absent, (unsigned)c);
			continue;
		}
		o = v->owner[c];
		if (o == OWN_BOOT) {
			cpuset_set(&boot, (unsigned)c);
		} else if (o >= 0) {
			cpuset_set(&clash, (unsigned)c);
			if (other < 0)
				other = o;
			else if (o != other)
				extra_others = true;
		} else {
			claim(v, (unsigned)c, (int)pp->index);
		}
	}
	if (!cpuset_empty(&boot0)) {
		/* plan_parse reported it (a rule of the plan alone): give it the free CPUs */
		struct problem *p = NULL;
		size_t k;

		for (k = 0; k < v->ps->n && !p; k++)
			if (!strcmp(v->ps->v[k].path, path) &&
			    !strcmp(v->ps->v[k].message, PLAN_CPU0_MESSAGE))
				p = &v->ps->v[k];
		if (!p) {
			p = problem_add(v->ps, PROBLEM_ERROR, path, PLAN_CPU0_MESSAGE);
			problem_holder(p, "the boot kernel");
			problem_hint(p, "remove CPU 0 from the list");
		}
		note_cpu_problem(v, p);
	}
	if (!cpuset_empty(&absent)) {
		char *a = fmt_set(&absent), *pr = fmt_set(&v->inv->present);
		struct problem *p =
		    problem_add(v->ps, PROBLEM_ERROR, path, "%s %s %s not present on this machine",
				plural(&absent), a, cpuset_count(&absent) == 1 ? "is" : "are");

		problem_hint(p, "present CPUs are %s", pr);
		free(a);
		free(pr);
		note_cpu_problem(v, p);
	}
	if (!cpuset_empty(&boot)) {
		char *a = fmt_set(&boot), *b = fmt_set(&v->plan->boot_cpus);
		struct problem *p =
		    problem_add(v->ps, PROBLEM_ERROR, path, "%s %s %s left to the boot kernel",
				plural(&boot), a, cpuset_count(&boot) == 1 ? "is" : "are");

		problem_holder(p, "the boot kernel (/boot_cpus is \"%s\")", b);
		problem_hint(p, "pick other CPUs, or shrink /boot_cpus");
		free(a);
		free(b);
		note_cpu_problem(v, p);
	}
	if (!cpuset_empty(&clash)) {
		char *a = fmt_set(&clash), *lbl = part_label(&v->plan->parts[other]);
		char *live = live_holders(v, &clash, NULL);
		struct problem *p =
		    problem_add(v->ps, PROBLEM_ERROR, path, "%s %s %s also requested by %s%s",
				plural(&clash), a, cpuset_count(&clash) == 1 ? "is" : "are", lbl,
				extra_others ? " and others" : "");

		if (live)
			problem_holder(p, "%s in this plan; now held by %s", lbl, live);
		else
			problem_holder(p, "%s in this plan", lbl);
		free(a);
		free(lbl);
		free(live);
		note_cpu_problem(v, p);
	}
	if (!cpuset_empty(&absent) || !cpuset_empty(&boot) || !cpuset_empty(&clash) ||
	    !cpuset_empty(&boot0))
		pp->invalid |= PLAN_F_CPUS;
	cpuset_free(&absent);
	cpuset_free(&boot);
	cpuset_free(&clash);
	cpuset_free(&boot0);
	free(path);
}

/* ---------------------------------------------------------------- placing */

/* Keep the CPUs a live partition of the same name already has, if they fit. */
static bool keep_live(struct vctx *v, struct plan_partition *pp)
{
	const struct inv_partition *ip = inventory_find(v->inv, pp->name);
	int c;

	if (!ip || cpuset_count(&ip->cpus) != pp->cpu_count)
		return false;
	for (c = cpuset_next(&ip->cpus, 0); c >= 0; c = cpuset_next(&ip->cpus, (unsigned)c + 1)) {
		if (c == 0 || (unsigned)c >= v->inv->ncpus ||
		    !cpuset_test(&v->inv->present, (unsigned)c) || v->owner[c] != OWN_FREE)
			return false;
		if (pp->numa_node >= 0 && v->inv->cpu_node[c] != pp->numa_node)
			return false;
		/* whole cores only, unless the partition may split them */
		for (unsigned t = sibling(v, (unsigned)c); !pp->smt_split && t != (unsigned)c;
		     t = sibling(v, t))
			if (!cpuset_test(&ip->cpus, t))
				return false;
	}
	for (c = cpuset_next(&ip->cpus, 0); c >= 0; c = cpuset_next(&ip->cpus, (unsigned)c + 1))
		claim(v, (unsigned)c, (int)pp->index);
	cpuset_copy(&pp->cpus, &ip->cpus);
	pp->placed = true;
	return true;
}

/*
 * Take n free CPUs from set for pp, lowest first: whole free cores, scanning
 * from *cursor (a core larger than what is still missing is passed over);
 * with smt_split, then single free CPUs, those of cores split already before
 * those of whole ones. Below *cursor every CPU is claimed or in a core that
 * is not wholly free, and stays so. Takes nothing unless all n are found;
 * returns how many are missing.
 */
static unsigned take_from(struct vctx *v, struct plan_partition *pp, const struct cpuset *set,
			  unsigned *cursor, unsigned n)
{
	struct cpuset pick;
	unsigned left = n, skipped = ~0u >> 1, stop, t;
	int c, pass;

	cpuset_init(&pick);
	for (c = cpuset_next(set, *cursor); c >= 0 && left; c = cpuset_next(set, (unsigned)c + 1)) {
		unsigned size = 0;
		bool within = true;

		if (c == 0 || v->owner[c] != OWN_FREE || cpuset_test(&pick, (unsigned)c) ||
		    !core_free(v, (unsigned)c))
			continue;
		t = (unsigned)c;
		do {
			within &= cpuset_test(set, t);
			size++;
			t = sibling(v, t);
		} while (t != (unsigned)c);
		if (!within)
			continue;
		if (size > left) {
			if ((unsigned)c < skipped)
				skipped = (unsigned)c;
			continue;
		}
		do {
			cpuset_set(&pick, t);
			t = sibling(v, t);
		} while (t != (unsigned)c);
		left -= size;
	}
	stop = c >= 0 ? (unsigned)c : ~0u >> 1;
	for (pass = 0; pp->smt_split && left && pass < 2; pass++)
		for (c = cpuset_next(set, 1); c >= 0 && left; c = cpuset_next(set, (unsigned)c + 1))
			if (v->owner[c] == OWN_FREE && !cpuset_test(&pick, (unsigned)c) &&
			    (pass || !core_free(v, (unsigned)c))) {
				cpuset_set(&pick, (unsigned)c);
				left--;
			}
	if (!left) {
		for (c = cpuset_next(&pick, 0); c >= 0; c = cpuset_next(&pick, (unsigned)c + 1))
			claim(v, (unsigned)c, (int)pp->index);
		cpuset_or(&pp->cpus, &pick);
		*cursor = skipped < stop ? skipped : stop;
	}
	cpuset_free(&pick);
	return left;
}

/* CPUs of node (all nodes when node < 0) that pp may be given. */
static unsigned usable(const struct vctx *v, const struct plan_partition *pp, int node)
{
	const unsigned *count = pp->smt_split ? v->node_free : v->node_whole;
	unsigned n, total = 0;

	if (node >= 0)
		return count[node];
	for (n = 0; n < v->inv->nnodes; n++)
		total += count[n];
	return total;
}

/* A count that whole cores cannot make on a machine whose cores have tpc threads each. */
static bool count_splits(const struct vctx *v, struct plan_partition *pp)
{
	unsigned lo, t = v->tpc;
	char *path;
	struct problem *p;

	if (pp->smt_split || t < 2 || pp->cpu_count % t == 0)
		return false;
	lo = pp->cpu_count / t * t;
	path = kp_asprintf("/partitions/%zu/cpus/count", pp->index);
	p = problem_add(v->ps, PROBLEM_ERROR, path,
			"count %u would split a core: this machine has %u threads per core",
			pp->cpu_count, t);
	if (lo)
		problem_hint(p, "ask for %u or %u CPUs, or set \"smt_split\": true", lo, lo + t);
	else
		problem_hint(p, "ask for %u CPUs, or set \"smt_split\": true", t);
	pp->invalid |= PLAN_F_CPUS;
	free(path);
	return true;
}

/* Whole free cores add up to other counts (cores of different sizes). */
static void no_exact_fit(struct vctx *v, struct plan_partition *pp, const char *path, int node)
{
	struct problem *p;

	const char *cpus = pp->cpu_count == 1 ? "CPU" : "CPUs";

	if (node >= 0)
		p = problem_add(v->ps, PROBLEM_ERROR, path,
				"no whole free cores of NUMA node %d add up to exactly %u %s", node,
				pp->cpu_count, cpus);
	else
		p = problem_add(v->ps, PROBLEM_ERROR, path,
				"no whole free cores of this machine add up to exactly %u %s",
				pp->cpu_count, cpus);
	problem_hint(p, "ask for one more or one less CPU, or set \"smt_split\": true");
	pp->invalid |= PLAN_F_CPUS;
}

/* Who holds the CPUs of node (or all nodes when node < 0): boot kernel and plan partitions. */
static char *node_holders(struct vctx *v, int node)
{
	const struct cpuset *set = node >= 0 ? &v->inv->node_cpus[node] : &v->inv->present;
	struct cpuset boot;
	char *out = NULL, *t;
	int c, last = OWN_FREE, n = 0;

	cpuset_init(&boot);
	for (c = cpuset_next(set, 0); c >= 0; c = cpuset_next(set, (unsigned)c + 1)) {
		int o = c == 0 ? OWN_BOOT : v->owner[c];

		if (o == OWN_BOOT)
			cpuset_set(&boot, (unsigned)c);
	}
	if (!cpuset_empty(&boot)) {
		char *b = fmt_set(&boot);

		out = kp_asprintf("the boot kernel (%s)", b);
		free(b);
	}
	cpuset_free(&boot);
	for (c = cpuset_next(set, 0); c >= 0; c = cpuset_next(set, (unsigned)c + 1)) {
		int o = v->owner[c];

		if (o < 0 || o == last)
			continue;
		last = o;
		if (++n > 4) {
			t = kp_asprintf("%s, ...", out ? out : "");
			free(out);
			out = t;
			break;
		}
		t = kp_asprintf("%s%s%s (%u)", out ? out : "", out ? ", " : "",
				v->plan->parts[o].name, cpuset_count(&v->plan->parts[o].cpus));
		free(out);
		out = t;
	}
	return out;
}

static void place_all(struct vctx *v)
{
	struct plan *plan = v->plan;
	unsigned *cursor = calloc(v->inv->nnodes + 1, sizeof(*cursor));
	unsigned global_cursor = 1;
	size_t i;

	if (!cursor) {
		v->oom = 1;
		return;
	}
	/* Pass 1: keep what is already in place, so unchanged partitions stay untouched. */
	for (i = 0; i < plan->nparts; i++) {
		struct plan_partition *pp = &plan->parts[i];

		if (pp->cpus_mode == PLAN_CPUS_COUNT &&
		    !(pp->invalid & (PLAN_F_CPUS | PLAN_F_NAME)))
			keep_live(v, pp);
	}
	/* Pass 2: place the rest, lowest free CPUs first. */
	for (i = 0; i < plan->nparts; i++) {
		struct plan_partition *pp = &plan->parts[i];
		char *path;
		int node = pp->numa_node;
		/* say "whole cores" where free CPUs of split cores do not count */
		bool whole = !pp->smt_split && v->inv->threads_per_core > 1;

		if (pp->cpus_mode != PLAN_CPUS_COUNT || (pp->invalid & PLAN_F_CPUS) || pp->placed ||
		    count_splits(v, pp))
			continue;
		path = kp_asprintf("/partitions/%zu/cpus", pp->index);
		if (node >= 0 &&
		    ((unsigned)node >= v->inv->nnodes || cpuset_empty(&v->inv->node_cpus[node]))) {
			struct problem *p = problem_add(v->ps, PROBLEM_ERROR, path,
							"NUMA node %d does not exist here", node);

			if (v->inv->nnodes > 1)
				problem_hint(p, "this machine has nodes 0-%u", v->inv->nnodes - 1);
			else
				problem_hint(p, "this machine has node 0 only");
			pp->invalid |= PLAN_F_CPUS;
			free(path);
			continue;
		}
		if (node < 0) {
			/* any node: the first that fits as a whole */
			unsigned n;

			for (n = 0; n < v->inv->nnodes; n++)
				if (usable(v, pp, (int)n) >= pp->cpu_count)
					break;
			if (n < v->inv->nnodes)
				node = (int)n;
		}
		if (node >= 0 && usable(v, pp, node) >= pp->cpu_count) {
			if (take_from(v, pp, &v->inv->node_cpus[node], &cursor[node],
				      pp->cpu_count))
				no_exact_fit(v, pp, path, node);
			else
				pp->placed = true;
		} else if (pp->numa_node < 0) {
			unsigned total = usable(v, pp, -1);

			if (total >= pp->cpu_count) {
				struct problem *p;

				if (take_from(v, pp, &v->inv->present, &global_cursor,
					      pp->cpu_count)) {
					no_exact_fit(v, pp, path, -1);
					free(path);
					continue;
				}
				pp->placed = true;
				p = problem_add(v->ps, PROBLEM_WARNING, path,
						"no single NUMA node has %u free %s%s; the "
						"partition spans nodes",
						pp->cpu_count, cpu_word(pp->cpu_count),
						whole ? " in whole cores" : "");
				problem_hint(p, "give it a numa_node, or fewer CPUs");
			} else {
				char *h = node_holders(v, -1);
				struct problem *p = problem_add(
				    v->ps, PROBLEM_ERROR, path,
				    "needs %u %s but only %u %s free%s on this machine",
				    pp->cpu_count, cpu_word(pp->cpu_count), total,
				    total == 1 ? "is" : "are", whole ? " in whole cores" : "");

				if (h) /* no holder: the machine is too small */
					problem_holder(p, "%s", h);
				problem_hint(p, "lower the count, or shrink other partitions");
				free(h);
				pp->invalid |= PLAN_F_CPUS;
			}
		} else {
			char *h = node_holders(v, node), *nc = fmt_set(&v->inv->node_cpus[node]);
			unsigned u = usable(v, pp, node);
			struct problem *p = problem_add(
			    v->ps, PROBLEM_ERROR, path,
			    "needs %u %s on NUMA node %d but only %u of its CPUs (%s) %s free%s",
			    pp->cpu_count, cpu_word(pp->cpu_count), node, u, nc,
			    u == 1 ? "is" : "are", whole ? " in whole cores" : "");

			if (h)
				problem_holder(p, "%s", h);
			problem_hint(p,
				     "lower the count, use another node, or move CPUs of other "
				     "partitions off node %d",
				     node);
			free(h);
			free(nc);
			pp->invalid |= PLAN_F_CPUS;
		}
		free(path);
	}
	free(cursor);
}

/* Who holds the CPUs of s once placement is done, for a problem's "held by". */
static char *sibling_holders(struct vctx *v, const struct cpuset *s)
{
	struct cpuset none;
	char *out = NULL, *t, *lbl = NULL, *b;
	bool zero = false, boot = false, others = false;
	int c, part = -1;

	cpuset_init(&none);
	for (c = cpuset_next(s, 0); c >= 0; c = cpuset_next(s, (unsigned)c + 1)) {
		int o = v->owner[c];

		if (c == 0)
			zero = true;
		else if (o == OWN_BOOT)
			boot = true;
		else if (o == OWN_FREE)
			cpuset_set(&none, (unsigned)c);
		else if (part < 0)
			part = o;
		else if (o != part)
			others = true;
	}
	if (zero)
		out = strdup("the boot kernel (CPU 0 always stays with it)");
	if (boot) {
		b = fmt_set(&v->plan->boot_cpus);
		t = kp_asprintf("%s%sthe boot kernel (/boot_cpus is \"%s\")", out ? out : "",
				out ? "; " : "", b);
		free(b);
		free(out);
		out = t;
	}
	if (part >= 0) {
		lbl = part_label(&v->plan->parts[part]);
		t = kp_asprintf("%s%s%s in this plan%s", out ? out : "", out ? "; " : "",
				lbl ? lbl : "?", others ? " and others" : "");
		free(lbl);
		free(out);
		out = t;
	}
	if (!cpuset_empty(&none)) {
		b = fmt_set(&none);
		t = kp_asprintf("%s%sthe boot kernel (no partition of this plan gets %s %s)",
				out ? out : "", out ? "; " : "", plural(&none), b);
		free(b);
		free(out);
		out = t;
	}
	cpuset_free(&none);
	return out;
}

/*
 * The kernel refuses cpus that split a core unless smt_split is 1: check
 * what each partition got against the threads of its cores, once every CPU
 * has its owner (cpulists, boot_cpus and placement).
 */
static void check_cores(struct vctx *v, struct plan_partition *pp)
{
	struct cpuset missing, add, drop;
	unsigned first = 0, first_sib = 0, t;
	char *path, *m = NULL, *h, *a, *d;
	struct problem *p;
	bool any = false;
	int c;

	if (v->inv->threads_per_core < 2)
		return;
	cpuset_init(&missing);
	cpuset_init(&add);
	cpuset_init(&drop);
	for (c = cpuset_next(&pp->cpus, 0); c >= 0; c = cpuset_next(&pp->cpus, (unsigned)c + 1)) {
		if ((unsigned)c >= v->inv->ncpus)
			continue;
		for (t = sibling(v, (unsigned)c); t != (unsigned)c; t = sibling(v, t)) {
			if (cpuset_test(&pp->cpus, t))
				continue;
			if (!any) {
				first = (unsigned)c;
				first_sib = t;
				any = true;
			}
			cpuset_set(&missing, t);
			/* a free sibling can be added; others need this CPU dropped */
			if (t && v->owner[t] == OWN_FREE)
				cpuset_set(&add, t);
			else
				cpuset_set(&drop, (unsigned)c);
		}
	}
	if (!any)
		goto out;
	path = kp_asprintf("/partitions/%zu/cpus", pp->index);
	cpuset_clear(&missing, first_sib);
	if (!cpuset_empty(&missing)) {
		char *rest = fmt_set(&missing);

		m = kp_asprintf(" (nor %s %s, other threads of its cores)", plural(&missing), rest);
		free(rest);
	}
	cpuset_set(&missing, first_sib);
	p = problem_add(v->ps, pp->smt_split ? PROBLEM_WARNING : PROBLEM_ERROR, path,
			"CPU %u shares a core with CPU %u, which this partition does not get%s",
			first, first_sib, m ? m : "");
	free(m);
	h = sibling_holders(v, &missing);
	problem_holder(p, "%s", h ? h : "?");
	free(h);
	if (pp->smt_split) {
		problem_hint(p, "\"smt_split\" is true: the kernels on both sides share the "
				"core's caches, TLBs and branch predictors; give the partition "
				"whole cores to keep them apart");
	} else {
		a = cpuset_empty(&add) ? NULL : fmt_set(&add);
		d = cpuset_empty(&drop) ? NULL : fmt_set(&drop);
		m = a ? kp_asprintf("add %s %s, ", plural(&add), a) : NULL;
		h = d ? kp_asprintf("drop %s %s, ", plural(&drop), d) : NULL;
		problem_hint(p, "%s%sor set \"smt_split\": true", m ? m : "", h ? h : "");
		free(m);
		free(h);
		free(a);
		free(d);
		pp->invalid |= PLAN_F_CPUS;
	}
	free(path);
out:
	cpuset_free(&missing);
	cpuset_free(&add);
	cpuset_free(&drop);
}

/* Add "free CPUs ..." hints to the CPU problems once placement is known. */
static void add_free_hints(struct vctx *v)
{
	struct cpuset fr;
	char *text = NULL, *t;
	size_t i;
	unsigned n;
	int c;

	if (!v->ncpu_problems)
		return;
	cpuset_init(&fr);
	for (n = 0; n < v->inv->nnodes; n++) {
		char *s;

		cpuset_zero(&fr);
		for (c = cpuset_next(&v->inv->node_cpus[n], 0); c >= 0;
		     c = cpuset_next(&v->inv->node_cpus[n], (unsigned)c + 1))
			if (c && v->owner[c] == OWN_FREE)
				cpuset_set(&fr, (unsigned)c);
		if (cpuset_empty(&fr))
			continue;
		s = fmt_set(&fr);
		t = kp_asprintf("%s%s%s (node %u)", text ? text : "", text ? ", " : "", s, n);
		free(s);
		free(text);
		text = t;
	}
	cpuset_free(&fr);
	for (i = 0; i < v->ncpu_problems; i++) {
		struct problem *p = &v->ps->v[v->cpu_problems[i]];
		char *old = p->hint;

		if (text && old)
			problem_hint(p, "%s; free CPUs: %s", old, text);
		else if (text)
			problem_hint(p, "free CPUs: %s", text);
		else if (!old)
			problem_hint(p, "no CPUs are free: shrink other partitions or /boot_cpus");
	}
	free(text);
}

/* ------------------------------------------------------------------ files */

enum file_verdict {
	FILE_OK,
	FILE_MISSING,
	FILE_NOT_REGULAR,
	FILE_UNREADABLE,
	FILE_NOT_BZIMAGE,
	FILE_NOT_64BIT
};

static enum file_verdict check_file(const char *root, const char *path, bool kernel, int *err)
{
	char *full = kp_asprintf("%s%s", root ? root : "", path);
	unsigned char hdr[0x240];
	struct stat st;
	ssize_t r;
	int fd;

	*err = 0;
	if (!full)
		return FILE_UNREADABLE;
	if (stat(full, &st)) {
		*err = errno;
		free(full);
		return errno == ENOENT || errno == ENOTDIR ? FILE_MISSING : FILE_UNREADABLE;
	}
	if (!S_ISREG(st.st_mode)) {
		free(full);
		return FILE_NOT_REGULAR;
	}
	if (!kernel) {
		free(full);
		return FILE_OK;
	}
	fd = open(full, O_RDONLY | O_CLOEXEC);
	free(full);
	if (fd < 0) {
		*err = errno;
		return FILE_UNREADABLE;
	}
	r = pread(fd, hdr, sizeof(hdr), 0);
	close(fd);
	/* x86 boot protocol: "HdrS" at 0x202, version at 0x206, xloadflags at 0x236 */
	if (r < (ssize_t)sizeof(hdr) || memcmp(hdr + 0x202, "HdrS", 4))
		return FILE_NOT_BZIMAGE;
	if ((hdr[0x206] | hdr[0x207] << 8) < 0x20c || !(hdr[0x236] & 1))
		return FILE_NOT_64BIT;
	return FILE_OK;
}

struct fcache {
	struct strmap map; /* path -> verdict << 16 | errno */
};

static void check_path(struct vctx *v, struct fcache *fc, size_t idx, const char *what,
		       const char *file, bool kernel)
{
	size_t val;
	enum file_verdict fv;
	int e;
	char *path;
	struct problem *p = NULL;

	if (strmap_get(&fc->map, file, &val)) {
		fv = (enum file_verdict)(val >> 16);
		e = (int)(val & 0xffff);
	} else {
		fv = check_file(v->inv->file_root, file, kernel, &e);
		if (strmap_insert(&fc->map, file, (size_t)fv << 16 | (size_t)e, NULL) < 0)
			v->oom = 1;
	}
	if (fv == FILE_OK)
		return;
	path = kp_asprintf("/partitions/%zu/%s", idx, what);
	switch (fv) {
	case FILE_MISSING:
		p = problem_add(v->ps, PROBLEM_ERROR, path, "%s %s does not exist", what, file);
		problem_hint(p, "install the %s there, or fix the path", what);
		break;
	case FILE_NOT_REGULAR:
		p = problem_add(v->ps, PROBLEM_ERROR, path, "%s %s is not a regular file", what,
				file);
		break;
	case FILE_UNREADABLE:
		p = problem_add(v->ps, PROBLEM_ERROR, path, "%s %s cannot be read: %s", what, file,
				strerror(e));
		break;
	case FILE_NOT_BZIMAGE:
		p = problem_add(v->ps, PROBLEM_ERROR, path,
				"kernel %s is not a bzImage (no x86 boot header)", file);
		problem_hint(p, "use arch/x86/boot/bzImage, not vmlinux or a compressed vmlinux");
		break;
	case FILE_NOT_64BIT:
		p = problem_add(v->ps, PROBLEM_ERROR, path,
				"kernel %s has no 64-bit entry point (boot protocol < 2.12 or "
				"XLF_KERNEL_64 unset)",
				file);
		problem_hint(p, "build the application kernel for x86-64 (CONFIG_X86_64=y)");
		break;
	case FILE_OK:
		break;
	}
	free(path);
}

/* ------------------------------------------------------------ PCI devices */

/* Is addr in pp's devices? */
static bool lists_device(const struct plan_partition *pp, const char *addr)
{
	size_t k;

	for (k = 0; k < pp->ndevices; k++)
		if (!strcmp(pp->devices[k], addr))
			return true;
	return false;
}

/* The plan partition that lists addr, or NULL. */
static const struct plan_partition *device_taker(const struct plan *plan, const char *addr)
{
	size_t i;

	for (i = 0; i < plan->nparts; i++)
		if (lists_device(&plan->parts[i], addr))
			return &plan->parts[i];
	return NULL;
}

/*
 * The functions of d's slot that must go with it (pci_must_go_whole) but
 * pp does not list: one problem per slot, at its first device in pp.
 */
static void check_whole(struct vctx *v, struct plan_partition *pp, size_t k,
			const struct inv_pci *d, const char *path)
{
	const struct inventory *inv = v->inv;
	char *missing = NULL, *holders = NULL, *t;
	size_t i;

	for (i = 0; i < k; i++) /* reported at an earlier function of the slot */
		if (!strncmp(pp->devices[i], d->addr, 10))
			return;
	if (!pci_must_go_whole(inv, d))
		return;
	for (i = 0; i < inv->npci; i++) {
		const struct inv_pci *o = &inv->pci[i];
		const struct plan_partition *taker;
		char *lbl;

		/* the module asks for the functions the boot kernel has (not the
		 * ones a running partition owns) */
		if (!o->in_sysfs || strncmp(o->addr, d->addr, 10) || lists_device(pp, o->addr))
			continue;
		t = kp_asprintf("%s%s%s", missing ? missing : "", missing ? ", " : "", o->addr);
		free(missing);
		missing = t;
		taker = device_taker(v->plan, o->addr);
		lbl = taker ? part_label(taker) : NULL;
		t = kp_asprintf("%s%s%s: %s", holders ? holders : "", holders ? "; " : "", o->addr,
				lbl ? lbl : "the boot kernel (no partition of this plan gets it)");
		free(lbl);
		free(holders);
		holders = t;
	}
	if (missing) {
		struct problem *p = problem_add(
		    v->ps, PROBLEM_ERROR, path,
		    "%s is one function of multi-function device %.10s, whose functions go to one "
		    "partition together (not every function has ACS): %s missing",
		    d->addr, d->addr, missing);

		if (holders)
			problem_holder(p, "%s", holders);
		problem_hint(p,
			     "add %s to this partition, or leave all functions of %.10s to the "
			     "boot kernel",
			     missing, d->addr);
		pp->invalid |= PLAN_F_DEVICES;
	}
	free(missing);
	free(holders);
}

/*
 * Against the machine: the module can hand devices over, and each device
 * exists, is an endpoint and not a bridge, carries nothing the boot kernel
 * needs (console, root file system), and comes with the other functions of
 * its slot when they must go together. A device a partition owns now is
 * not in the boot kernel's sysfs: only what the kpart devices file says is
 * known, and the module accepted it already.
 */
static void check_devices(struct vctx *v, struct plan_partition *pp)
{
	const struct inventory *inv = v->inv;
	char *base = kp_asprintf("/partitions/%zu/devices", pp->index);
	size_t k;

	if (!inv->pci_handoff) {
		struct problem *p =
		    problem_add(v->ps, PROBLEM_ERROR, base ? base : "",
				"this kpart module cannot hand PCI devices to partitions (it has "
				"no devices file)");

		problem_hint(p, "leave \"devices\" out, or load a kpart module with device "
				"hand-off");
		pp->invalid |= PLAN_F_DEVICES;
		free(base);
		return;
	}
	for (k = 0; k < pp->ndevices; k++) {
		const struct inv_pci *d = inventory_pci(inv, pp->devices[k]);
		char *path = kp_asprintf("%s/%zu", base ? base : "", pp->device_index[k]);
		struct problem *p;
		const char *pth = path ? path : "";

		if (!d) {
			if (inv->pci_known) {
				p = problem_add(v->ps, PROBLEM_ERROR, pth,
						"PCI device %s does not exist on this machine",
						pp->devices[k]);
				problem_hint(p, "partctl inventory lists the PCI devices");
			} else {
				p = problem_add(v->ps, PROBLEM_ERROR, pth,
						"cannot check PCI device %s: the boot kernel's "
						"sysfs has no PCI device list (bus/pci/devices)",
						pp->devices[k]);
			}
			pp->invalid |= PLAN_F_DEVICES;
		} else if (d->in_sysfs && d->class_code >= 0 && (d->class_code >> 16) == 0x06) {
			p = problem_add(v->ps, PROBLEM_ERROR, pth,
					"%s is a bridge (class %06lx), not a device to hand over",
					d->addr, (unsigned long)d->class_code);
			problem_hint(p, "give the partition the devices behind the bridge");
			pp->invalid |= PLAN_F_DEVICES;
		} else if (d->in_sysfs && d->header_type > 0) {
			p = problem_add(v->ps, PROBLEM_ERROR, pth,
					"%s is not an endpoint (PCI header type %d)", d->addr,
					d->header_type);
			problem_hint(p, "only endpoints (header type 0) can be handed over");
			pp->invalid |= PLAN_F_DEVICES;
		} else if (d->in_sysfs && d->virtfn) {
			p = problem_add(v->ps, PROBLEM_ERROR, pth,
					"%s is an SR-IOV virtual function", d->addr);
			problem_hint(p, "hand over the physical function");
			pp->invalid |= PLAN_F_DEVICES;
		} else if (d->in_sysfs && d->iommu) {
			p = problem_add(v->ps, PROBLEM_ERROR, pth,
					"%s is behind an IOMMU the application kernel cannot "
					"program",
					d->addr);
			problem_hint(p, "boot the boot kernel with intel_iommu=off or iommu=off to "
					"hand devices off");
			pp->invalid |= PLAN_F_DEVICES;
		} else if (d->in_sysfs && d->boot_use && !d->display) {
			p = problem_add(v->ps, PROBLEM_ERROR, pth,
					"%s carries the boot kernel's %s", d->addr, d->boot_use);
			problem_holder(p, "the boot kernel (%s)", d->boot_use);
			problem_hint(p, "the boot kernel keeps the devices it needs; hand over "
					"another one");
			pp->invalid |= PLAN_F_DEVICES;
		} else {
			if (d->in_sysfs && d->boot_use) {
				p = problem_add(v->ps, PROBLEM_WARNING, pth,
						"%s shows the boot kernel's %s: the boot kernel "
						"loses that console while the partition runs",
						d->addr, d->boot_use);
				problem_hint(p, "keep a serial console for the boot kernel");
			}
			check_whole(v, pp, k, d, pth);
		}
		free(path);
	}
	free(base);
}

/* ------------------------------------------------------------------- main */

static int cmp_mem_desc(const void *a, const void *b)
{
	const struct plan_partition *x = *(const struct plan_partition *const *)a;
	const struct plan_partition *y = *(const struct plan_partition *const *)b;

	return x->memory < y->memory ? 1 : x->memory > y->memory ? -1 : 0;
}

static void check_memory(struct vctx *v)
{
	uint64_t limit = inventory_pool_for_partitions(v->inv);

	/* plan_parse checked against the plan's own pool: only a smaller machine's is new */
	if (v->plan->pool_size && v->plan->pool_size <= limit)
		return;
	plan_check_memory(v->plan, limit, v->ps);
}

void plan_check_memory(struct plan *plan, uint64_t limit, struct problems *ps)
{
	uint64_t total = 0, at_limit = 0;
	size_t i, over = SIZE_MAX;
	char b1[32], b2[32], b3[32];

	for (i = 0; i < plan->nparts; i++) {
		struct plan_partition *pp = &plan->parts[i];

		if (pp->invalid & PLAN_F_MEMORY)
			continue;
		if (pp->memory > limit) {
			char *path = kp_asprintf("/partitions/%zu/memory", i);
			struct problem *p = problem_add(
			    ps, PROBLEM_ERROR, path, "%s is more than the whole pool (%s)",
			    plan_format_size(pp->memory, b1), plan_format_size(limit, b2));

			problem_hint(p, "boot with kpart_pool=%s or more, and update /pool/size",
				     plan_format_size(pp->memory, b3));
			free(path);
		}
		if (pp->memory > limit)
			continue; /* reported above; counting it would only repeat that */
		if (total + pp->memory > limit && over == SIZE_MAX) {
			over = i;
			at_limit = total;
		}
		total += pp->memory;
	}
	if (over != SIZE_MAX) {
		const struct plan_partition **sorted = malloc(plan->nparts * sizeof(*sorted));
		char *path = kp_asprintf("/partitions/%zu/memory", over), *h = NULL, *t;
		size_t n = 0, k;
		struct problem *p =
		    problem_add(ps, PROBLEM_ERROR, path,
				"the partitions need %s of memory in total but the pool has %s "
				"(%s already taken by the partitions before this one)",
				plan_format_size(total, b1), plan_format_size(limit, b2),
				plan_format_size(at_limit, b3));

		if (sorted) {
			for (k = 0; k < plan->nparts; k++)
				if (!(plan->parts[k].invalid & PLAN_F_MEMORY) &&
				    plan->parts[k].memory <= limit)
					sorted[n++] = &plan->parts[k];
			qsort(sorted, n, sizeof(*sorted), cmp_mem_desc);
			for (k = 0; k < n && k < 4; k++) {
				char *lbl = sorted[k]->name[0]
						? strdup(sorted[k]->name)
						: kp_asprintf("/partitions/%zu", sorted[k]->index);

				t = kp_asprintf("%s%s%s %s", h ? h : "", h ? ", " : "",
						lbl ? lbl : "?",
						plan_format_size(sorted[k]->memory, b1));
				free(lbl);
				free(h);
				h = t;
			}
			if (n > 4) {
				t = kp_asprintf("%s, and %zu more", h ? h : "", n - 4);
				free(h);
				h = t;
			}
			problem_holder(p, "largest: %s", h ? h : "?");
		}
		problem_hint(
		    p, "reduce memory by %s, or boot with kpart_pool=%s and update /pool/size",
		    plan_format_size(total - limit, b1), plan_format_size(total, b2));
		free(h);
		free(sorted);
		free(path);
	}
}

/* ------------------------------------------------------------ NUMA pools */

/*
 * kmod/pool.c: a partition's boot range (boot area and kernel image) must be
 * one contiguous piece of the node with its largest share; below this a
 * free piece is judged too small for it. At most KPART_MEM_RANGES_MAX (64,
 * boot-x86/layout.h) ranges per partition, one of them possibly the AP
 * trampoline's from the low reserve.
 */
#define BOOT_RANGE_MIN (64ull << 20)
#define RANGES_MAX 63

/* "5120 MiB" (the kernel's unit in its pool messages), exact sizes otherwise. */
static const char *mib(uint64_t bytes, char buf[32])
{
	if (bytes % (1ull << 20) == 0) {
		snprintf(buf, 32, "%llu MiB", (unsigned long long)(bytes >> 20));
		return buf;
	}
	return plan_format_size(bytes, buf);
}

static char *pp_name(const struct plan_partition *pp)
{
	return pp->name[0] ? strdup(pp->name) : kp_asprintf("/partitions/%zu", pp->index);
}

/* "0 (4096 MiB), 1 (2048 MiB)": the nodes with pool memory. */
static char *pool_node_list(const struct inventory *inv)
{
	char *out = NULL, *t, b[32];
	size_t k;

	for (k = 0; k < inv->npool_nodes; k++) {
		t = kp_asprintf("%s%s%d (%s)", out ? out : "", out ? ", " : "",
				inv->pool_nodes[k].node, mib(inv->pool_nodes[k].size, b));
		free(out);
		out = t;
	}
	return out;
}

/* The CPUs the partition gets, or NULL when they are not known (invalid). */
static const struct cpuset *known_cpus(const struct plan_partition *pp)
{
	if (pp->invalid & PLAN_F_CPUS)
		return NULL;
	if (pp->cpus_mode == PLAN_CPUS_LIST || pp->placed)
		return &pp->cpus;
	return NULL;
}

static bool holds_memory(const struct inv_partition *ip)
{
	return ip->state == PART_RUNNING || ip->state == PART_STARTING ||
	       ip->state == PART_STOPPING;
}

/* Where the live partition's memory comes from differs in the plan. */
static bool placement_changes(const struct inv_partition *ip, const struct plan_partition *pp)
{
	return !cpuset_equal(&ip->cpus, &pp->cpus) || ip->memory != pp->memory ||
	       ip->mem_node != pp->mem_node;
}

/*
 * Will applying the plan start pp with memory it does not hold now? Not
 * for a live partition that runs with the same CPUs, memory and node (it
 * keeps what it has), nor for one that does not autostart or is held.
 */
static bool will_take_memory(const struct vctx *v, const struct plan_partition *pp)
{
	const struct inv_partition *ip = inventory_find(v->inv, pp->name);

	if (!pp->autostart)
		return false;
	if (!ip)
		return true;
	if (holds_memory(ip))
		return placement_changes(ip, pp);
	return !ip->hold;
}

/* kpart_pool=... with each node's pool at least what the plan asks there. */
static char *pool_suggestion(const struct inventory *inv, const uint64_t *asked)
{
	char *out = strdup("kpart_pool="), *t, b[32];
	size_t k;

	for (k = 0; out && k < inv->npool_nodes; k++) {
		uint64_t want = inv->pool_nodes[k].size;

		if (asked[k] > want)
			want = asked[k];
		t = kp_asprintf("%s%snode%d:%s", out, k ? "," : "", inv->pool_nodes[k].node,
				plan_format_size(want, b));
		free(out);
		out = t;
	}
	/* the kernel's default low reserve is 32M */
	if (out && inv->pool_low.size != (32ull << 20)) {
		t = kp_asprintf("%s,low:%s", out, plan_format_size(inv->pool_low.size, b));
		free(out);
		out = t;
	}
	return out;
}

/* A node whose pool cannot hold what the partitions ask of it there. */
static void node_overflow(struct vctx *v, const uint64_t *sh, const uint64_t *asked, size_t k)
{
	const struct inventory *inv = v->inv;
	const struct plan *plan = v->plan;
	size_t nn = inv->npool_nodes, i, over = SIZE_MAX, *by = NULL, nby = 0, j;
	uint64_t sum = 0;
	int node = inv->pool_nodes[k].node;
	char b1[32], b2[32], *path, *h = NULL, *room = NULL, *sugg, *t;
	struct problem *p;

	for (i = 0; i < plan->nparts; i++) {
		sum += sh[i * nn + k];
		if (sum > inv->pool_nodes[k].size) {
			over = i;
			break;
		}
	}
	if (over == SIZE_MAX)
		return;
	path = kp_asprintf("/partitions/%zu/%s", over,
			   plan->parts[over].mem_node >= 0 ? "numa_node" : "memory");
	p = problem_add(v->ps, PROBLEM_ERROR, path,
			"node %d: partitions ask %s there, its pool has %s", node,
			mib(asked[k], b1), mib(inv->pool_nodes[k].size, b2));
	free(path);
	/* who asks: largest first, four at most */
	by = malloc(plan->nparts * sizeof(*by));
	for (i = 0; by && i < plan->nparts; i++)
		if (sh[i * nn + k]) {
			for (j = nby; j > 0 && sh[by[j - 1] * nn + k] < sh[i * nn + k]; j--)
				by[j] = by[j - 1];
			by[j] = i;
			nby++;
		}
	for (j = 0; j < nby && j < 4; j++) {
		char *n = pp_name(&plan->parts[by[j]]);

		t = kp_asprintf("%s%s%s %s%s", h ? h : "", h ? ", " : "", n ? n : "?",
				mib(sh[by[j] * nn + k], b1),
				plan->parts[by[j]].mem_node >= 0 ? " (numa_node)" : "");
		free(n);
		free(h);
		h = t;
	}
	if (nby > 4) {
		t = kp_asprintf("%s, and %zu more", h ? h : "", nby - 4);
		free(h);
		h = t;
	}
	free(by);
	problem_holder(p, "on node %d: %s", node, h ? h : "?");
	free(h);
	for (j = 0; j < nn; j++)
		if (j != k && asked[j] < inv->pool_nodes[j].size) {
			t = kp_asprintf("%s%snode %d has %s unclaimed", room ? room : "",
					room ? ", " : "", inv->pool_nodes[j].node,
					mib(inv->pool_nodes[j].size - asked[j], b1));
			free(room);
			room = t;
		}
	sugg = pool_suggestion(inv, asked);
	if (room)
		problem_hint(p,
			     "move CPUs of these partitions to another node or set \"numa_node\" "
			     "(%s), shrink their memory, or boot with %s and update /pool/size",
			     room, sugg ? sugg : "a larger pool");
	else
		problem_hint(p, "shrink their memory, or boot with %s and update /pool/size",
			     sugg ? sugg : "a larger pool");
	free(room);
	free(sugg);
}

/*
 * Fragmentation (docs/plans.md): the kernel takes a node's share in several
 * ranges when no free piece holds it, so that alone is a warning; the boot
 * range must be contiguous, and a partition has at most RANGES_MAX ranges:
 * what cannot work with the pieces free now is an error, unless partitions
 * this apply stops free memory on that node first (then a warning).
 */
static void check_pieces(struct vctx *v, const uint64_t *sh, const uint64_t *reclaim)
{
	const struct inventory *inv = v->inv;
	size_t nn = inv->npool_nodes, i, k;
	char b1[32], b2[32], b3[32];

	for (i = 0; i < v->plan->nparts; i++) {
		const struct plan_partition *pp = &v->plan->parts[i];
		const uint64_t *s = &sh[i * nn];
		size_t boot = 0;
		char *path, *name;

		if (!will_take_memory(v, pp))
			continue;
		for (k = 0; k < nn; k++)
			if (s[k] > s[boot])
				boot = k;
		if (!s[boot])
			continue;
		path = kp_asprintf("/partitions/%zu/memory", i);
		name = pp_name(pp);
		for (k = 0; k < nn; k++) {
			const struct pool_node *pn = &inv->pool_nodes[k];
			uint64_t need = s[k] < BOOT_RANGE_MIN ? s[k] : BOOT_RANGE_MIN;
			uint64_t pieces = pn->largest ? (s[k] + pn->largest - 1) / pn->largest : 0;
			enum problem_severity sev = reclaim[k] ? PROBLEM_WARNING : PROBLEM_ERROR;
			struct problem *p;

			if (!s[k] || s[k] <= pn->largest)
				continue;
			/* nothing free now: over its pool (reported), or it comes back first */
			if (!pn->largest && k != boot)
				continue;
			if (k == boot && pn->largest < need) {
				p = problem_add(
				    v->ps, sev, path,
				    "node %d's largest free piece is %s: %s's boot range "
				    "(boot area and kernel, %s there) cannot be contiguous",
				    pn->node, mib(pn->largest, b1), name ? name : "?",
				    mib(need, b2));
				problem_hint(p,
					     "stop or shrink partitions on node %d, or set "
					     "\"numa_node\" to a node with a larger free piece%s",
					     pn->node,
					     reclaim[k] ? "; the partitions this apply stops may "
							  "free one"
							: "");
			} else if (pieces > RANGES_MAX) {
				p = problem_add(
				    v->ps, sev, path,
				    "node %d has %s free in pieces of at most %s: %s's %s "
				    "there would need more than the %d ranges a partition "
				    "may have",
				    pn->node, mib(pn->free, b1), mib(pn->largest, b2),
				    name ? name : "?", mib(s[k], b3), RANGES_MAX);
				problem_hint(p,
					     "stop or shrink partitions on node %d, or set "
					     "\"numa_node\" to a node with larger free pieces",
					     pn->node);
			} else {
				p = problem_add(
				    v->ps, PROBLEM_WARNING, path,
				    "node %d has %s free in pieces of at most %s: %s's %s "
				    "will come in several ranges",
				    pn->node, mib(pn->free, b1), mib(pn->largest, b2),
				    name ? name : "?", mib(s[k], b3));
				problem_hint(p,
					     "nothing to do: its kernel gets every range; larger "
					     "pieces come back as partitions on node %d stop",
					     pn->node);
			}
		}
		free(name);
		free(path);
	}
}

/* Per NUMA node: capacity of each node's pool, node names, fragmentation. */
static void check_nodes(struct vctx *v)
{
	const struct inventory *inv = v->inv;
	struct plan *plan = v->plan;
	size_t nn = inv->npool_nodes, i, k;
	uint64_t *sh = NULL, *asked = NULL, *reclaim = NULL;

	if (!inv->numa_pool) {
		for (i = 0; i < plan->nparts; i++)
			if (plan->parts[i].mem_node >= 0 &&
			    !(plan->parts[i].invalid & PLAN_F_NODE)) {
				char *path = kp_asprintf("/partitions/%zu/numa_node", i);
				struct problem *p = problem_add(
				    v->ps, PROBLEM_WARNING, path,
				    "this kpart module predates NUMA pools (it has no pool_nodes "
				    "file): numa_node is not written");

				problem_hint(p, "a newer kpart module takes the memory from that "
						"node");
				free(path);
			}
		return;
	}
	for (i = 0; i < plan->nparts; i++) {
		struct plan_partition *pp = &plan->parts[i];
		char *path, *list;
		struct problem *p;

		if (pp->mem_node < 0 || (pp->invalid & PLAN_F_NODE) ||
		    inventory_pool_node(inv, pp->mem_node))
			continue;
		path = kp_asprintf("/partitions/%zu/numa_node", i);
		if ((unsigned)pp->mem_node < inv->nnodes)
			p = problem_add(v->ps, PROBLEM_ERROR, path,
					"the pool has no memory on NUMA node %d", pp->mem_node);
		else
			p = problem_add(v->ps, PROBLEM_ERROR, path,
					"NUMA node %d does not exist here", pp->mem_node);
		list = pool_node_list(inv);
		if (list)
			problem_hint(p,
				     "nodes with pool memory: %s; pick one of them, leave "
				     "\"numa_node\" out, or boot with kpart_pool=...,node%d:SIZE",
				     list, pp->mem_node);
		else
			problem_hint(p, "the pool has no memory on any node: boot with "
					"kpart_pool=SIZE");
		free(list);
		free(path);
		pp->invalid |= PLAN_F_NODE;
	}
	if (!nn)
		return;
	sh = calloc(plan->nparts * nn + 1, sizeof(*sh));
	asked = calloc(nn, sizeof(*asked));
	reclaim = calloc(nn, sizeof(*reclaim));
	if (!sh || !asked || !reclaim) {
		v->oom = 1;
		goto out;
	}
	for (i = 0; i < plan->nparts; i++) {
		const struct plan_partition *pp = &plan->parts[i];
		const struct cpuset *cpus = known_cpus(pp);

		if ((pp->invalid & (PLAN_F_MEMORY | PLAN_F_NODE)) || (!cpus && pp->mem_node < 0))
			continue;
		if (pool_shares(inv, cpus, pp->mem_node, pp->memory, &sh[i * nn]) == -ENOMEM)
			v->oom = 1;
		for (k = 0; k < nn; k++)
			asked[k] += sh[i * nn + k];
	}
	for (k = 0; k < nn; k++)
		if (asked[k] > inv->pool_nodes[k].size)
			node_overflow(v, sh, asked, k);
	/* memory on each node that partitions this apply stops give back first */
	for (i = 0; i < inv->nparts; i++) {
		const struct inv_partition *ip = &inv->parts[i];
		const struct plan_partition *pp = plan_find(plan, ip->name);
		size_t r;

		if (!holds_memory(ip) || (pp && !placement_changes(ip, pp)))
			continue;
		for (r = 0; r < ip->nranges; r++) {
			const struct pool_node *pn = inventory_pool_node(inv, ip->ranges[r].node);

			if (pn && !ip->ranges[r].low)
				reclaim[pn - inv->pool_nodes] +=
				    ip->ranges[r].end - ip->ranges[r].start + 1;
		}
	}
	check_pieces(v, sh, reclaim);
out:
	free(sh);
	free(asked);
	free(reclaim);
}

/*
 * What the kernel does with the values partd writes, done here so that the
 * plan compares equal to what the kernel reports back (else every apply
 * would see a change): sizes rounded up to the pool's granule, console
 * ports by their ttyS name, the command line without surrounding blanks.
 * Sizes below the kernel's minimum and UARTs without a legacy port would be
 * refused by the kernel at apply time: they are errors here.
 */
static void kernel_rules(struct vctx *v)
{
	static const unsigned legacy[] = {0x3f8, 0x2f8, 0x3e8, 0x2e8};
	char b1[32], b2[32];
	size_t i;

	for (i = 0; i < v->plan->nparts; i++) {
		struct plan_partition *pp = &v->plan->parts[i];
		uint64_t mem = pp->memory;

		if (!(pp->invalid & PLAN_F_MEMORY) && v->inv->mem_min && mem < v->inv->mem_min) {
			char *path = kp_asprintf("/partitions/%zu/memory", i);
			struct problem *p = problem_add(
			    v->ps, PROBLEM_ERROR, path,
			    "%s is below the %s the kernel gives a partition at least",
			    plan_format_size(mem, b1), plan_format_size(v->inv->mem_min, b2));

			problem_hint(p, "use \"memory\": \"%s\" or more", b2);
			pp->invalid |= PLAN_F_MEMORY;
			free(path);
		} else if (!(pp->invalid & PLAN_F_MEMORY) && v->inv->mem_align &&
			   mem % v->inv->mem_align) {
			char *path = kp_asprintf("/partitions/%zu/memory", i);
			struct problem *p;

			pp->memory =
			    (mem + v->inv->mem_align - 1) / v->inv->mem_align * v->inv->mem_align;
			p = problem_add(v->ps, PROBLEM_WARNING, path,
					"the kernel rounds %s up to %s (a multiple of %s)",
					plan_format_size(mem, b1), plan_format_size(pp->memory, b2),
					plan_format_size(v->inv->mem_align, (char[32]){0}));
			problem_hint(p, "write \"%s\"", b2);
			free(path);
		}
		if (pp->console && !(pp->invalid & PLAN_F_CONSOLE)) {
			unsigned long n = 0;
			bool tty = !strncmp(pp->console, "ttyS", 4);
			bool io = !strncmp(pp->console, "io:", 3);

			if (tty || io)
				n = strtoul(pp->console + (tty ? 4 : 3), NULL, tty ? 10 : 16);
			if (tty && n >= ARRAY_SIZE(legacy)) {
				char *path = kp_asprintf("/partitions/%zu/console", i);
				struct problem *p = problem_add(
				    v->ps, PROBLEM_ERROR, path,
				    "console %s has no legacy I/O port the kernel knows",
				    pp->console);

				problem_hint(p, "ttyS0-ttyS3 are known; give others as "
						"\"io:0xPORT\"");
				pp->invalid |= PLAN_F_CONSOLE;
				free(path);
			} else if (io && (n == 0 || n > 0xffff)) {
				char *path = kp_asprintf("/partitions/%zu/console", i);

				problem_add(v->ps, PROBLEM_ERROR, path,
					    "console %s is not an I/O port (1-0xffff)",
					    pp->console);
				pp->invalid |= PLAN_F_CONSOLE;
				free(path);
			} else if (io) {
				size_t k;

				for (k = 0; k < ARRAY_SIZE(legacy); k++)
					if (legacy[k] == n)
						break;
				free(pp->console);
				pp->console = k < ARRAY_SIZE(legacy) ? kp_asprintf("ttyS%zu", k)
								     : kp_asprintf("io:%#lx", n);
				if (!pp->console)
					v->oom = 1;
			}
			if (pp->console && !strcmp(pp->console, "ttyS0")) {
				char *path = kp_asprintf("/partitions/%zu/console", i);
				struct problem *p =
				    problem_add(v->ps, PROBLEM_WARNING, path,
						"ttyS0 is usually the boot kernel's console");

				problem_hint(p, "give the partition a UART of its own");
				free(path);
			}
		}
		if (pp->cmdline) {
			char *c = pp->cmdline, *e = c + strlen(c);

			while (*c == ' ' || *c == '\t')
				c++;
			while (e > c && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (c != pp->cmdline || *e) {
				*e = '\0';
				memmove(pp->cmdline, c, (size_t)(e - c) + 1);
			}
		}
	}
}

size_t plan_validate(struct plan *plan, const struct inventory *inv, struct problems *ps)
{
	struct vctx v = {.plan = plan, .inv = inv, .ps = ps};
	struct strmap names = {0};
	struct fcache fc = {0};
	char b1[32], b2[32];
	uint64_t pool;
	size_t i;
	int c;

	if (inv->iface_version != KPART_IFACE_VERSION) {
		struct problem *p = problem_add(ps, PROBLEM_ERROR, "",
						"the kernel's kpart interface is version %d; this "
						"software speaks version %d",
						inv->iface_version, KPART_IFACE_VERSION);

		problem_hint(p, "install matching kpart user-space tools and module");
	}

	/* Pool: what partitions can get (with NUMA pools, the low reserve apart). */
	pool = inventory_pool_for_partitions(inv);
	if (plan->pool_size && plan->pool_size > pool) {
		struct problem *p =
		    problem_add(ps, PROBLEM_ERROR, "/pool/size",
				"the plan expects a pool of %s but the machine reserved %s",
				plan_format_size(plan->pool_size, b1), plan_format_size(pool, b2));

		problem_holder(p, "the boot kernel (kpart_pool= on its command line)");
		problem_hint(p, "boot with kpart_pool=%s, or lower /pool/size",
			     plan_format_size(plan->pool_size, b1));
	} else if (plan->pool_size && plan->pool_size < pool) {
		struct problem *p = problem_add(
		    ps, PROBLEM_WARNING, "/pool/size",
		    "the machine reserved a pool of %s, more than the %s this plan uses",
		    plan_format_size(pool, b1), plan_format_size(plan->pool_size, b2));

		problem_hint(p, "set /pool/size to %s to use all of it",
			     plan_format_size(pool, b1));
	}

	/* Names. */
	if (strmap_init(&names, plan->nparts) || strmap_init(&fc.map, 16)) {
		v.oom = 1;
		goto out;
	}
	for (i = 0; i < plan->nparts; i++) {
		struct plan_partition *pp = &plan->parts[i];
		size_t first;

		if (pp->invalid & PLAN_F_NAME)
			continue;
		if (strmap_insert(&names, pp->name, i, &first) == 0) {
			char *path = kp_asprintf("/partitions/%zu/name", i);
			struct problem *p =
			    problem_add(ps, PROBLEM_ERROR, path, "duplicate name \"%s\"", pp->name);

			problem_holder(p, "/partitions/%zu", first);
			problem_hint(p, "every partition needs its own name");
			free(path);
			pp->invalid |= PLAN_F_NAME;
		}
	}

	/* CPUs. */
	v.owner = malloc((inv->ncpus + 1) * sizeof(*v.owner));
	v.live_owner = malloc((inv->ncpus + 1) * sizeof(*v.live_owner));
	v.node_free = calloc(inv->nnodes + 1, sizeof(*v.node_free));
	v.node_whole = calloc(inv->nnodes + 1, sizeof(*v.node_whole));
	if (!v.owner || !v.live_owner || !v.node_free || !v.node_whole) {
		v.oom = 1;
		goto out;
	}
	for (c = 0; c < (int)inv->ncpus; c++) {
		v.owner[c] = OWN_FREE;
		v.live_owner[c] = -1;
	}
	v.tpc = inv->threads_per_core > 1 ? inv->threads_per_core : 1;
	for (c = cpuset_next(&inv->present, 0); c >= 0;
	     c = cpuset_next(&inv->present, (unsigned)c + 1)) {
		if (inv->threads_per_core > 1 && v.tpc &&
		    inventory_core_size(inv, (unsigned)c) != v.tpc)
			v.tpc = 0; /* cores of different sizes */
		if (inv->cpu_node[c] < 0 || c == 0)
			continue;
		v.node_free[inv->cpu_node[c]]++;
		if (core_free(&v, (unsigned)c)) /* not CPU 0's */
			v.node_whole[inv->cpu_node[c]]++;
	}
	for (i = 0; i < inv->nparts; i++) {
		const struct cpuset *s = &inv->parts[i].cpus;

		for (c = cpuset_next(s, 0); c >= 0; c = cpuset_next(s, (unsigned)c + 1))
			if ((unsigned)c < inv->ncpus)
				v.live_owner[c] = (int)i;
	}
	for (c = cpuset_next(&plan->boot_cpus, 0); c >= 0;
	     c = cpuset_next(&plan->boot_cpus, (unsigned)c + 1)) {
		if (!cpuset_test(&inv->present, (unsigned)c)) {
			if (c) {
				struct problem *p =
				    problem_add(ps, PROBLEM_WARNING, "/boot_cpus",
						"CPU %d is not present on this machine", c);
				char *pr = fmt_set(&inv->present);

				problem_hint(p, "present CPUs are %s", pr);
				free(pr);
			}
			continue;
		}
		claim(&v, (unsigned)c, OWN_BOOT);
	}
	for (i = 0; i < plan->nparts; i++)
		if (plan->parts[i].cpus_mode == PLAN_CPUS_LIST &&
		    !(plan->parts[i].invalid & PLAN_F_CPUS))
			check_list(&v, &plan->parts[i]);
	place_all(&v);
	for (i = 0; i < plan->nparts && inv->no_smt_split; i++)
		if (plan->parts[i].smt_split) {
			char *path = kp_asprintf("/partitions/%zu/smt_split", i);
			struct problem *p = problem_add(
			    ps, PROBLEM_WARNING, path,
			    "this kpart module predates smt_split (it has no cpu_cores "
			    "file): it keeps no cores whole, and smt_split is not written");

			problem_hint(p, "a newer kpart module keeps the other partitions' cores "
					"whole");
			free(path);
		}
	for (i = 0; i < plan->nparts; i++)
		if ((plan->parts[i].cpus_mode == PLAN_CPUS_LIST || plan->parts[i].placed) &&
		    !(plan->parts[i].invalid & PLAN_F_CPUS))
			check_cores(&v, &plan->parts[i]);
	add_free_hints(&v);

	/* Memory. */
	kernel_rules(&v);
	check_memory(&v);
	check_nodes(&v);

	/* Files and devices. */
	for (i = 0; i < plan->nparts; i++) {
		struct plan_partition *pp = &plan->parts[i];

		if (pp->kernel && !(pp->invalid & PLAN_F_KERNEL))
			check_path(&v, &fc, i, "kernel", pp->kernel, true);
		if (pp->initrd && !(pp->invalid & PLAN_F_INITRD))
			check_path(&v, &fc, i, "initrd", pp->initrd, false);
		if (pp->ndevices)
			check_devices(&v, pp);
	}
out:
	if (v.oom)
		problem_add(ps, PROBLEM_ERROR, "", "out of memory while validating");
	strmap_free(&names);
	strmap_free(&fc.map);
	free(v.owner);
	free(v.live_owner);
	free(v.node_free);
	free(v.node_whole);
	free(v.cpu_problems);
	return ps->nerrors;
}
