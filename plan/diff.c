/* SPDX-License-Identifier: MIT */
/*
 * Diff a validated plan against the live machine into ordered actions:
 *
 *   stop      partitions that are removed, or whose definition changes
 *   release   give back CPUs, memory and PCI devices first (so another
 *             partition can take them), delete removed partitions
 *   create    mkdir new partitions
 *   configure write cpus, memory, kernel, initrd, cmdline, console, devices
 *   start     autostart partitions, and changed ones that were running
 *
 * smt_split (may the partition split a core's hardware threads) is written
 * only when it changes, and around the cpus writes so that the kernel never
 * sees a split core while it is 0: 1 before the partition's first cpus write
 * (in release when that gives CPUs back, else in configure), 0 after its
 * last. Partitions that never had it (the kernel default, 0) get no action.
 *
 * With NUMA pools (docs/plans.md) the kernel checks every cpus, numa_node
 * and memory write against each node's pool and what the other partitions
 * ask of it now, so every state in between must fit as well: numa_node is
 * written after cpus and before memory; memory is released before cpus;
 * and a partition whose writes would move memory to a node before the
 * others have left it gives its memory back (0) in the release phase and
 * gets it last in configure. Then, on each node, no partition ever asks
 * for more than the maximum of what it had and what the plan gives it.
 *
 * A partition whose definition is unchanged gets no action (unless it
 * should run and does not). Each action records the previous value so that
 * partd can undo a partial apply in reverse order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "internal.h"

enum {
	CH_CPUS = 1 << 0,
	CH_MEMORY = 1 << 1,
	CH_KERNEL = 1 << 2,
	CH_INITRD = 1 << 3,
	CH_CMDLINE = 1 << 4,
	CH_CONSOLE = 1 << 5,
	CH_SMT = 1 << 6,
	CH_NODE = 1 << 7,
	CH_DEVICES = 1 << 8,
};

static const char *const ch_names[] = {"cpus",	  "memory",    "kernel",    "initrd", "cmdline",
				       "console", "smt_split", "numa_node", "devices"};

void plan_actions_init(struct plan_actions *as)
{
	memset(as, 0, sizeof(*as));
}

void plan_actions_free(struct plan_actions *as)
{
	size_t i, j;

	for (i = 0; i < as->n; i++) {
		free(as->v[i].value);
		free(as->v[i].old);
		free(as->v[i].why);
		for (j = 0; j < ARRAY_SIZE(as->v[i].restore); j++)
			free(as->v[i].restore[j]);
	}
	free(as->v);
	plan_actions_init(as);
}

static struct plan_action *add(struct plan_actions *as, enum plan_action_type t, enum plan_phase ph,
			       const char *name, const char *why)
{
	struct plan_action *a;

	a = kp_reserve(as->v, as->n, &as->cap, sizeof(*a), 16);
	if (!a)
		return NULL;
	as->v = a;
	a = &as->v[as->n];
	memset(a, 0, sizeof(*a));
	a->type = t;
	a->phase = ph;
	snprintf(a->name, sizeof(a->name), "%s", name);
	if (why && !(a->why = strdup(why)))
		return NULL;
	as->n++;
	return a;
}

/* ACT_SET with owned copies; returns -ENOMEM on failure. */
static int add_set(struct plan_actions *as, enum plan_phase ph, const char *name, const char *attr,
		   const char *value, const char *old)
{
	struct plan_action *a = add(as, ACT_SET, ph, name, NULL);

	if (!a)
		return -ENOMEM;
	a->attr = attr;
	a->value = strdup(value);
	a->old = old ? strdup(old) : NULL;
	if (!a->value || (old && !a->old))
		return -ENOMEM;
	return 0;
}

static int add_set_u64(struct plan_actions *as, enum plan_phase ph, const char *name,
		       const char *attr, uint64_t value, const uint64_t *old)
{
	char v[32], o[32];

	snprintf(v, sizeof(v), "%" PRIu64, value);
	if (old)
		snprintf(o, sizeof(o), "%" PRIu64, *old);
	return add_set(as, ph, name, attr, v, old ? o : NULL);
}

static int add_set_cpus(struct plan_actions *as, enum plan_phase ph, const char *name,
			const struct cpuset *value, const struct cpuset *old)
{
	char *v = cpuset_format(value), *o = old ? cpuset_format(old) : NULL;
	int r = (!v || (old && !o)) ? -ENOMEM : add_set(as, ph, name, "cpus", v, o);

	free(v);
	free(o);
	return r;
}

static const char *str0(const char *s)
{
	return s ? s : "";
}

/*
 * pp's devices that ip holds already: what ip keeps when it gives the
 * others up in the release phase ("" when none). malloc'd or NULL.
 */
static char *devices_kept(const char *live, const struct plan_partition *pp)
{
	char *out = malloc(strlen(live) + 1), *o = out;
	const char *p = live;

	while (out && p && *p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p), k;

		for (k = 0; k < pp->ndevices; k++)
			if (strlen(pp->devices[k]) == len && !memcmp(pp->devices[k], p, len)) {
				o += sprintf(o, "%s%.*s", o == out ? "" : ",", (int)len, p);
				break;
			}
		p = e ? e + 1 : NULL;
	}
	if (out)
		*o = '\0';
	return out;
}

/* pdev: pp's devices as pci_addrs_join makes them (NAME/devices reads the same) */
static unsigned changes(const struct plan_partition *pp, const struct inv_partition *ip,
			const struct inventory *inv, const char *pdev)
{
	unsigned ch = 0;

	if (!cpuset_equal(&pp->cpus, &ip->cpus))
		ch |= CH_CPUS;
	if (pp->memory != ip->memory)
		ch |= CH_MEMORY;
	if (strcmp(str0(pp->kernel), ip->kernel))
		ch |= CH_KERNEL;
	if (strcmp(str0(pp->initrd), ip->initrd))
		ch |= CH_INITRD;
	if (strcmp(str0(pp->cmdline), ip->cmdline))
		ch |= CH_CMDLINE;
	if (pp->console && strcmp(pp->console, ip->console))
		ch |= CH_CONSOLE;
	if (pp->smt_split != ip->smt_split && !inv->no_smt_split)
		ch |= CH_SMT;
	if (inv->numa_pool && pp->mem_node != ip->mem_node)
		ch |= CH_NODE;
	if (strcmp(pdev, ip->devices))
		ch |= CH_DEVICES;
	return ch;
}

static char *why_changed(unsigned ch)
{
	char buf[160] = "definition changed:";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ch_names); i++)
		if (ch & (1u << i)) {
			strcat(buf, " ");
			strcat(buf, ch_names[i]);
		}
	return strdup(buf);
}

static bool is_running(enum part_state s)
{
	return s == PART_RUNNING || s == PART_STARTING;
}

static int add_stop(struct plan_actions *as, const struct inv_partition *ip, const char *why)
{
	struct plan_action *a = add(as, ACT_STOP, PHASE_STOP, ip->name, why);

	if (!a)
		return -ENOMEM;
	a->old_state = ip->state;
	return 0;
}

static int add_set_smt(struct plan_actions *as, enum plan_phase ph, const char *name, bool value,
		       const bool *old)
{
	return add_set(as, ph, name, "smt_split", value ? "1" : "0",
		       old ? (*old ? "1" : "0") : NULL);
}

/* NAME/numa_node reads and takes "auto" or a node number. */
static const char *node_str(int node, char buf[16])
{
	if (node < 0)
		return "auto";
	snprintf(buf, 16, "%d", node);
	return buf;
}

static int add_set_node(struct plan_actions *as, const char *name, int value, const int *old)
{
	char v[16], o[16];

	return add_set(as, PHASE_CONFIGURE, name, "numa_node", node_str(value, v),
		       old ? node_str(*old, o) : NULL);
}

/* a <= b on every pool node */
static bool shares_le(const uint64_t *a, const uint64_t *b, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (a[k] > b[k])
			return false;
	return true;
}

/*
 * With NUMA pools: can ip become pp through the usual steps with rel bytes
 * of memory after the release phase (ip's memory, or the smaller size it
 * shrinks to), keep the CPUs kept in the release phase (NULL: none given
 * back), without ever asking a node for more than ip has there now (release
 * phase: the other partitions may not have given theirs back yet) or than
 * pp will have there (until the end of configure)? Else the memory goes to
 * 0 first. Returns 1, 0, or -ENOMEM.
 */
static int numa_steps_fit(const struct inventory *inv, const struct inv_partition *ip,
			  const struct plan_partition *pp, const struct cpuset *keep, uint64_t rel)
{
	size_t n = inv->npool_nodes;
	uint64_t *cur = calloc(4 * n + 1, sizeof(*cur)), *fin = cur + n, *s = cur + 2 * n;
	uint64_t *lim = cur + 3 * n;
	int ok = 0;
	size_t k;

	if (!cur)
		return -ENOMEM;
	if (pool_shares(inv, &ip->cpus, ip->mem_node, ip->memory, cur) ||
	    pool_shares(inv, &pp->cpus, pp->mem_node, pp->memory, fin))
		goto out;
	for (k = 0; k < n; k++)
		lim[k] = cur[k] < fin[k] ? cur[k] : fin[k];
	/* release: memory (rel), then the CPUs kept */
	if (pool_shares(inv, &ip->cpus, ip->mem_node, rel, s) || !shares_le(s, lim, n))
		goto out;
	if (keep && (pool_shares(inv, keep, ip->mem_node, rel, s) || !shares_le(s, lim, n)))
		goto out;
	/* configure: cpus, then numa_node, then memory (which ends at fin) */
	if (pool_shares(inv, &pp->cpus, ip->mem_node, rel, s) || !shares_le(s, fin, n))
		goto out;
	if (pool_shares(inv, &pp->cpus, pp->mem_node, rel, s) || !shares_le(s, fin, n))
		goto out;
	ok = 1;
out:
	free(cur);
	return ok;
}

/*
 * Configure writes for a partition; cur is NULL for a new one. cur_smt is
 * smt_split as the release phase left it; no_smt: the module has none;
 * numa: it has NUMA pools (and numa_node).
 */
static int configure(struct plan_actions *as, const struct plan_partition *pp,
		     const struct inv_partition *cur, const struct cpuset *cur_cpus,
		     uint64_t cur_mem, bool cur_smt, bool no_smt, bool numa, const char *pdev,
		     const char *cur_dev)
{
	const char *n = pp->name;
	int r = 0;

	/* 1 before cpus, so that they may split a core */
	if (pp->smt_split && !cur_smt && !no_smt)
		r = add_set_smt(as, PHASE_CONFIGURE, n, true, cur ? &cur_smt : NULL);
	if (!r && (!cur || !cpuset_equal(&pp->cpus, cur_cpus)))
		r = add_set_cpus(as, PHASE_CONFIGURE, n, &pp->cpus, cur ? cur_cpus : NULL);
	/* 0 after cpus: the kernel refuses it while they split a core */
	if (!r && !pp->smt_split && cur_smt && !no_smt)
		r = add_set_smt(as, PHASE_CONFIGURE, n, false, &cur_smt);
	/* after cpus, before memory: see the top of this file */
	if (!r && numa && ((!cur && pp->mem_node >= 0) || (cur && pp->mem_node != cur->mem_node)))
		r = add_set_node(as, n, pp->mem_node, cur ? &cur->mem_node : NULL);
	if (!r && (!cur || pp->memory != cur_mem))
		r = add_set_u64(as, PHASE_CONFIGURE, n, "memory", pp->memory,
				cur ? &cur_mem : NULL);
	if (!r && (!cur || strcmp(str0(pp->kernel), cur->kernel)))
		r = add_set(as, PHASE_CONFIGURE, n, "kernel", str0(pp->kernel),
			    cur ? cur->kernel : NULL);
	if (!r && ((!cur && pp->initrd) || (cur && strcmp(str0(pp->initrd), cur->initrd))))
		r = add_set(as, PHASE_CONFIGURE, n, "initrd", str0(pp->initrd),
			    cur ? cur->initrd : NULL);
	if (!r && ((!cur && pp->cmdline) || (cur && strcmp(str0(pp->cmdline), cur->cmdline))))
		r = add_set(as, PHASE_CONFIGURE, n, "cmdline", str0(pp->cmdline),
			    cur ? cur->cmdline : NULL);
	if (!r && pp->console && (!cur || strcmp(pp->console, cur->console)))
		r = add_set(as, PHASE_CONFIGURE, n, "console", pp->console,
			    cur ? cur->console : NULL);
	/* after the release phase: the devices others gave up are free now. Undo
	 * empties them for a new partition too, so its rmdir leaves none held. */
	if (!r && ((!cur && pdev[0]) || (cur && strcmp(pdev, cur_dev))))
		r = add_set(as, PHASE_CONFIGURE, n, "devices", pdev, cur ? cur_dev : "");
	return r;
}

int plan_diff(const struct plan *plan, const struct inventory *inv, struct plan_actions *out)
{
	struct strmap live = {0};
	size_t *lidx = NULL; /* plan index -> inventory index or SIZE_MAX */
	unsigned *ch = NULL;
	uint64_t *relmem = NULL; /* plan index -> memory the release phase leaves */
	bool *in_plan = NULL;
	char **pdev = NULL; /* plan index -> its devices, joined */
	char **kdev = NULL; /* plan index -> the live devices it keeps (changed ones) */
	struct cpuset keep;
	size_t i;
	int r = -ENOMEM;

	cpuset_init(&keep);
	pdev = calloc(plan->nparts + 1, sizeof(*pdev));
	kdev = calloc(plan->nparts + 1, sizeof(*kdev));
	if (!pdev || !kdev)
		goto out;
	for (i = 0; i < plan->nparts; i++)
		if (!(pdev[i] = pci_addrs_join(plan->parts[i].devices, plan->parts[i].ndevices)))
			goto out;
	lidx = malloc((plan->nparts + 1) * sizeof(*lidx));
	ch = calloc(plan->nparts + 1, sizeof(*ch));
	relmem = calloc(plan->nparts + 1, sizeof(*relmem));
	in_plan = calloc(inv->nparts + 1, sizeof(*in_plan));
	if (!lidx || !ch || !relmem || !in_plan || strmap_init(&live, inv->nparts))
		goto out;
	for (i = 0; i < inv->nparts; i++)
		if (strmap_insert(&live, inv->parts[i].name, i, NULL) < 0)
			goto out;
	for (i = 0; i < plan->nparts; i++) {
		size_t j;

		lidx[i] = SIZE_MAX;
		if (strmap_get(&live, plan->parts[i].name, &j)) {
			lidx[i] = j;
			in_plan[j] = true;
			ch[i] = changes(&plan->parts[i], &inv->parts[j], inv, pdev[i]);
		}
	}

	/* 1. stop */
	for (i = 0; i < inv->nparts; i++)
		if (!in_plan[i] && inv->parts[i].state != PART_STOPPED &&
		    add_stop(out, &inv->parts[i], "not in plan"))
			goto out;
	for (i = 0; i < plan->nparts; i++) {
		const struct plan_partition *pp = &plan->parts[i];
		const struct inv_partition *ip;

		if (lidx[i] == SIZE_MAX)
			continue;
		ip = &inv->parts[lidx[i]];
		if (ip->state == PART_STOPPED)
			continue;
		if (ch[i]) {
			char *why = why_changed(ch[i]);

			r = why ? add_stop(out, ip, why) : -ENOMEM;
			free(why);
			if (r)
				goto out;
			r = -ENOMEM;
		} else if (ip->state == PART_CRASHED && pp->autostart && !ip->hold) {
			if (add_stop(out, ip, "crashed; reset before restart"))
				goto out;
		}
	}

	/* 2. release */
	for (i = 0; i < inv->nparts; i++) {
		const struct inv_partition *ip = &inv->parts[i];
		struct plan_action *a;
		struct cpuset none;
		uint64_t zero = 0;
		char *kc;

		if (in_plan[i])
			continue;
		cpuset_init(&none);
		/* NUMA pools: memory first, else emptying cpus moves it to other nodes */
		if (inv->numa_pool && ip->memory &&
		    add_set_u64(out, PHASE_RELEASE, ip->name, "memory", zero, &ip->memory))
			goto out;
		if (!cpuset_empty(&ip->cpus) &&
		    add_set_cpus(out, PHASE_RELEASE, ip->name, &none, &ip->cpus))
			goto out;
		if (!inv->numa_pool && ip->memory &&
		    add_set_u64(out, PHASE_RELEASE, ip->name, "memory", zero, &ip->memory))
			goto out;
		/* its devices, for the partitions that get them (and for undo) */
		if (ip->devices[0] &&
		    add_set(out, PHASE_RELEASE, ip->name, "devices", "", ip->devices))
			goto out;
		a = add(out, ACT_DELETE, PHASE_RELEASE, ip->name, "not in plan");
		if (!a)
			goto out;
		a->old_state = ip->state;
		a->restore[0] = strdup(ip->kernel);
		a->restore[1] = strdup(ip->initrd);
		a->restore[2] = strdup(ip->cmdline);
		a->restore[3] = strdup(ip->console);
		a->restore[4] = strdup(ip->smt_split ? "1" : "");
		a->restore[5] = ip->mem_node >= 0 && inv->numa_pool
				    ? kp_asprintf("%d", ip->mem_node)
				    : strdup("");
		kc = a->restore[0];
		if (!kc || !a->restore[1] || !a->restore[2] || !a->restore[3] || !a->restore[4] ||
		    !a->restore[5])
			goto out;
	}
	for (i = 0; i < plan->nparts; i++) {
		const struct plan_partition *pp = &plan->parts[i];
		const struct inv_partition *ip;

		bool give_cpus, numa = inv->numa_pool;

		if (lidx[i] == SIZE_MAX || !ch[i])
			continue;
		ip = &inv->parts[lidx[i]];
		give_cpus = (ch[i] & CH_CPUS) && !cpuset_subset(&ip->cpus, &pp->cpus);
		if (give_cpus && cpuset_and(&keep, &ip->cpus, &pp->cpus))
			goto out;
		/* shrink now, or give it all back when growing */
		relmem[i] = ip->memory;
		if (ch[i] & CH_MEMORY)
			relmem[i] = pp->memory < ip->memory ? pp->memory : 0;
		if (numa && relmem[i] && (ch[i] & (CH_CPUS | CH_NODE | CH_MEMORY))) {
			r = numa_steps_fit(inv, ip, pp, give_cpus ? &keep : NULL, relmem[i]);
			if (r < 0)
				goto out;
			if (!r)
				relmem[i] = 0;
			r = -ENOMEM;
		}
		if (numa && relmem[i] != ip->memory &&
		    add_set_u64(out, PHASE_RELEASE, pp->name, "memory", relmem[i], &ip->memory))
			goto out;
		if (give_cpus) {
			/* the CPUs kept may split a core the new ones split */
			if (pp->smt_split && !ip->smt_split && !inv->no_smt_split &&
			    add_set_smt(out, PHASE_RELEASE, pp->name, true, &ip->smt_split))
				goto out;
			if (add_set_cpus(out, PHASE_RELEASE, pp->name, &keep, &ip->cpus))
				goto out;
		}
		if (!numa && relmem[i] != ip->memory &&
		    add_set_u64(out, PHASE_RELEASE, pp->name, "memory", relmem[i], &ip->memory))
			goto out;
		/* give up the devices it loses before any other partition claims them */
		if (ch[i] & CH_DEVICES) {
			kdev[i] = devices_kept(ip->devices, pp);
			if (!kdev[i])
				goto out;
			if (strcmp(kdev[i], ip->devices) &&
			    add_set(out, PHASE_RELEASE, pp->name, "devices", kdev[i], ip->devices))
				goto out;
		}
	}

	/* 3. create */
	for (i = 0; i < plan->nparts; i++)
		if (lidx[i] == SIZE_MAX &&
		    !add(out, ACT_CREATE, PHASE_CREATE, plan->parts[i].name, "new"))
			goto out;

	/* 4. configure */
	for (i = 0; i < plan->nparts; i++) {
		const struct plan_partition *pp = &plan->parts[i];
		const struct inv_partition *ip;
		uint64_t mem;
		bool smt;

		if (lidx[i] == SIZE_MAX) {
			if (configure(out, pp, NULL, NULL, 0, false, inv->no_smt_split,
				      inv->numa_pool, pdev[i], NULL))
				goto out;
			continue;
		}
		if (!ch[i])
			continue;
		ip = &inv->parts[lidx[i]];
		/* what the release phase left */
		if ((ch[i] & CH_CPUS) && !cpuset_subset(&ip->cpus, &pp->cpus)) {
			if (cpuset_and(&keep, &ip->cpus, &pp->cpus))
				goto out;
		} else if (cpuset_copy(&keep, &ip->cpus)) {
			goto out;
		}
		mem = relmem[i];
		/* the release phase wrote smt_split 1 with the CPUs it gave back */
		smt = ip->smt_split || ((ch[i] & CH_CPUS) && pp->smt_split && !inv->no_smt_split &&
					!cpuset_subset(&ip->cpus, &pp->cpus));
		if (configure(out, pp, ip, &keep, mem, smt, inv->no_smt_split, inv->numa_pool,
			      pdev[i], kdev[i] ? kdev[i] : ip->devices))
			goto out;
	}

	/* 5. start */
	for (i = 0; i < plan->nparts; i++) {
		const struct plan_partition *pp = &plan->parts[i];
		const struct inv_partition *ip = lidx[i] == SIZE_MAX ? NULL : &inv->parts[lidx[i]];
		const char *why = NULL;

		if (!ip) {
			if (pp->autostart)
				why = "autostart";
		} else if (ch[i]) {
			if (is_running(ip->state))
				why = "was running";
			else if (pp->autostart && !ip->hold)
				why = "autostart";
		} else if (pp->autostart && !ip->hold &&
			   (ip->state == PART_STOPPED || ip->state == PART_CRASHED)) {
			why = ip->state == PART_CRASHED ? "autostart (crashed)" : "autostart";
		}
		if (why && !add(out, ACT_START, PHASE_START, pp->name, why))
			goto out;
	}
	r = 0;
out:
	cpuset_free(&keep);
	strmap_free(&live);
	free(lidx);
	free(ch);
	free(relmem);
	free(in_plan);
	for (i = 0; i < plan->nparts; i++) {
		free(pdev ? pdev[i] : NULL);
		free(kdev ? kdev[i] : NULL);
	}
	free(pdev);
	free(kdev);
	return r;
}

int plan_actions_for_start(const struct inventory *inv, const char *name, struct plan_actions *out)
{
	const struct inv_partition *ip = inventory_find(inv, name);

	if (!ip)
		return -ENOENT;
	if (is_running(ip->state))
		return 0;
	if (ip->state != PART_STOPPED && add_stop(out, ip, "reset before start"))
		return -ENOMEM;
	return add(out, ACT_START, PHASE_START, name, "requested") ? 0 : -ENOMEM;
}

int plan_actions_for_stop(const struct inventory *inv, const char *name, struct plan_actions *out)
{
	const struct inv_partition *ip = inventory_find(inv, name);

	if (!ip)
		return -ENOENT;
	if (ip->state == PART_STOPPED)
		return 0;
	return add_stop(out, ip, "requested");
}

/* ---------------------------------------------------------------- display */

const char *plan_action_verb(enum plan_action_type t)
{
	static const char *const v[] = {"stop", "delete", "create", "set", "start"};

	return (unsigned)t < ARRAY_SIZE(v) ? v[t] : "?";
}

const char *plan_phase_name(enum plan_phase p)
{
	static const char *const v[] = {"stop", "release", "create", "configure", "start"};

	return (unsigned)p < ARRAY_SIZE(v) ? v[p] : "?";
}

static const char *show(const char *attr, const char *v, char buf[48])
{
	uint64_t n;

	if (!v)
		return "(unset)";
	if (!v[0])
		return "(none)";
	if (!strcmp(attr, "memory") && !plan_parse_size(v, &n)) {
		if (!n)
			return "0";
		return plan_format_size(n, buf);
	}
	return v;
}

const char *plan_action_format(const struct plan_action *a, char *buf, size_t len)
{
	char b1[48], b2[48], who[KPART_NAME_MAX + 16];

	switch (a->type) {
	case ACT_SET:
		snprintf(who, sizeof(who), "%s/%s", a->name, a->attr);
		if (a->old)
			snprintf(buf, len, "~ set    %-24s %s -> %s", who,
				 show(a->attr, a->old, b1), show(a->attr, a->value, b2));
		else
			snprintf(buf, len, "+ set    %-24s %s", who, show(a->attr, a->value, b2));
		break;
	case ACT_STOP:
	case ACT_DELETE:
		snprintf(buf, len, "- %-6s %-24s%s%s%s", plan_action_verb(a->type), a->name,
			 a->why ? " (" : "", a->why ? a->why : "", a->why ? ")" : "");
		break;
	case ACT_CREATE:
	case ACT_START:
		snprintf(buf, len, "+ %-6s %-24s%s%s%s", plan_action_verb(a->type), a->name,
			 a->why ? " (" : "", a->why ? a->why : "", a->why ? ")" : "");
		break;
	}
	/* trim trailing blanks left by the padding */
	for (size_t n = strlen(buf); n && buf[n - 1] == ' ';)
		buf[--n] = '\0';
	return buf;
}

const char *plan_action_format_undo(const struct plan_action *a, char *buf, size_t len)
{
	struct plan_action inv = *a;

	switch (a->type) {
	case ACT_STOP:
		if (a->old_state != PART_RUNNING && a->old_state != PART_STARTING)
			return NULL;
		inv.type = ACT_START;
		break;
	case ACT_START:
		inv.type = ACT_STOP;
		break;
	case ACT_CREATE:
		inv.type = ACT_DELETE;
		break;
	case ACT_DELETE:
		inv.type = ACT_CREATE;
		break;
	case ACT_SET:
		if (!a->old)
			return NULL; /* set on a partition this run created: its delete undoes it */
		inv.old = a->value;
		inv.value = a->old;
		break;
	}
	inv.why = "undo";
	return plan_action_format(&inv, buf, len);
}

struct json_object *plan_action_to_json(const struct plan_action *a)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(plan_action_verb(a->type)));
	json_object_object_add(o, "phase", json_object_new_string(plan_phase_name(a->phase)));
	json_object_object_add(o, "name", json_object_new_string(a->name));
	if (a->type == ACT_SET) {
		json_object_object_add(o, "attr", json_object_new_string(a->attr));
		if (a->old)
			json_object_object_add(o, "from", json_object_new_string(a->old));
		json_object_object_add(o, "to", json_object_new_string(a->value));
	}
	if (a->why)
		json_object_object_add(o, "why", json_object_new_string(a->why));
	return o;
}

struct json_object *plan_actions_to_json(const struct plan_actions *as)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < as->n; i++)
		json_object_array_add(arr, plan_action_to_json(&as->v[i]));
	return arr;
}
