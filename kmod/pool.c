// SPDX-License-Identifier: GPL-2.0
/*
 * The partition memory pool. The patched kernel sets it aside at boot
 * (kpart_pool=, see arch/x86/kernel/kpart_pool.c): ranges on NUMA nodes,
 * mostly above 4 GiB, plus a low reserve below 4 GiB for the application
 * kernels' AP trampolines. Here each range is a bitmap of 2 MiB granules.
 *
 * Where a partition's memory comes from: the nodes of its CPUs, in
 * proportion to how many of its CPUs each has (or the one node it names
 * in numa_node). Configuration is refused when a node's pool cannot hold
 * what every configured partition asks of it (committed), so a start
 * never fails for lack of memory on a node.
 *
 * Nor does it fail for fragmentation: a node's share is taken best fit as
 * one range when a free piece holds it, else as several pieces, largest
 * first, up to KPART_MEM_RANGES_MAX. Only the boot range (boot area and
 * kernel image) must be contiguous; see kpart_pool_take().
 *
 * No partition sees another's data: memory a partition gives back (after
 * a stop, a kill or a crash) is dirty until a worker has zeroed it, a
 * granule at a time so that control operations wait for one granule at
 * most. A start that takes dirty granules before the worker got to them
 * zeroes them itself. At load the whole pool is dirty (it holds what the
 * firmware or an earlier boot left there) unless scrub_on_load=0. scrub=0
 * turns all of it off.
 */
#include <linux/bitmap.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/math64.h>
#include <linux/nodemask.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <asm/kpart.h>
#include "kpart.h"

#define GRANULE		SZ_2M

struct pool_chunk {
	phys_addr_t base;
	u64 size;
	int nid;
	bool low;		/* the low reserve: trampolines only */
	unsigned long nbits;
	unsigned long *used;	/* one bit per granule */
	u64 quarantined;	/* bytes kept used for good: see kpart_pool_quarantine() */
	unsigned long *dirty;	/* given back, not zeroed yet */
};

static struct pool_chunk *chunks;
static unsigned int nr_chunks;

static bool scrub = true;
module_param(scrub, bool, 0444);
MODULE_PARM_DESC(scrub, "zero memory partitions gave back before reuse (default 1)");
static bool scrub_on_load = true;
module_param(scrub_on_load, bool, 0444);
MODULE_PARM_DESC(scrub_on_load, "zero the whole pool after loading (default 1; needs scrub)");

/* Test hooks (e2e scrub): leave memory as it was; count what is not zero */
static bool test_scrub_skip;
module_param(test_scrub_skip, bool, 0600);
MODULE_PARM_DESC(test_scrub_skip, "test only: mark memory scrubbed without zeroing it");
static bool test_scrub_check;
module_param(test_scrub_check, bool, 0600);
MODULE_PARM_DESC(test_scrub_check, "test only: count a starting partition's granules that are not zero");

/* Scrub figures, under kpart_lock */
static u64 scrub_bytes, scrub_ns;	/* by the worker */
static u64 scrub_start_bytes, scrub_start_ns;	/* by starts, on their path */

static void scrub_fn(struct work_struct *work);
static DECLARE_WORK(scrub_work, scrub_fn);

int kpart_pool_init(void)
{
	const struct kpart_pool_range *r;
	unsigned int i, n;

	n = kpart_pool_ranges(&r);
	if (!n) {
		pr_err("kpart: no memory pool; boot with kpart_pool=SIZE\n");
		return -ENODEV;
	}
	chunks = kcalloc(n, sizeof(*chunks), GFP_KERNEL);
	if (!chunks)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct pool_chunk *c = &chunks[i];

		c->base = r[i].base;
		c->size = r[i].size;
		c->nid = r[i].nid;
		c->low = r[i].flags & KPART_POOL_LOW;
		c->nbits = r[i].size / GRANULE;
		c->used = bitmap_zalloc(c->nbits, GFP_KERNEL);
		c->dirty = bitmap_zalloc(c->nbits, GFP_KERNEL);
		if (!c->used || !c->dirty) {
			nr_chunks = i + 1;
			kpart_pool_exit();
			return -ENOMEM;
		}
		if (scrub && scrub_on_load)
			bitmap_fill(c->dirty, c->nbits);
	}
	nr_chunks = n;
	if (scrub && scrub_on_load)
		queue_work(system_unbound_wq, &scrub_work);
	return 0;
}

void kpart_pool_exit(void)
{
	unsigned int i;

	cancel_work_sync(&scrub_work);
	for (i = 0; i < nr_chunks; i++) {
		bitmap_free(chunks[i].used);
		bitmap_free(chunks[i].dirty);
	}
	kfree(chunks);
	chunks = NULL;
	nr_chunks = 0;
}

/* ---- figures ------------------------------------------------------------ */

/* Largest free run of @c in granules; its first granule in @at */
static unsigned long largest_run(const struct pool_chunk *c, unsigned long *at)
{
	unsigned long start, end, best = 0;

	for (start = find_first_zero_bit(c->used, c->nbits); start < c->nbits;
	     start = find_next_zero_bit(c->used, c->nbits, end)) {
		end = find_next_bit(c->used, c->nbits, start);
		if (end - start > best) {
			best = end - start;
			if (at)
				*at = start;
		}
	}
	return best;
}

static u64 chunk_free(const struct pool_chunk *c)
{
	return (u64)(c->nbits - bitmap_weight(c->used, c->nbits)) * GRANULE;
}

u64 kpart_pool_size(void)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < nr_chunks; i++)
		sum += chunks[i].size;
	return sum;
}

u64 kpart_pool_free(void)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < nr_chunks; i++)
		sum += chunk_free(&chunks[i]);
	return sum;
}

/* Partition memory a node can give (the low reserve apart); @nid -1: all */
void kpart_pool_node_stats(int nid, struct kpart_pool_stats *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < nr_chunks; i++) {
		const struct pool_chunk *c = &chunks[i];
		u64 run;

		if (c->low || (nid >= 0 && c->nid != nid))
			continue;
		st->size += c->size - c->quarantined;
		st->free += chunk_free(c);
		run = (u64)largest_run(c, NULL) * GRANULE;
		st->largest = max(st->largest, run);
		st->ranges++;
	}
}

void kpart_pool_low_stats(struct kpart_pool_stats *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < nr_chunks; i++) {
		if (!chunks[i].low)
			continue;
		st->size += chunks[i].size;
		st->free += chunk_free(&chunks[i]);
		st->ranges++;
	}
}

bool kpart_pool_has_node(int nid)
{
	unsigned int i;

	for (i = 0; i < nr_chunks; i++)
		if (!chunks[i].low && chunks[i].nid == nid)
			return true;
	return false;
}

void kpart_pool_show_ranges(struct seq_file *sf)
{
	unsigned int i;

	for (i = 0; i < nr_chunks; i++)
		seq_printf(sf, "%#llx-%#llx node %d%s\n", (u64)chunks[i].base,
			   (u64)(chunks[i].base + chunks[i].size - 1), chunks[i].nid,
			   chunks[i].low ? " low" : "");
}

/* ---- where a partition's memory comes from ------------------------------ */

/*
 * @share[nid] = bytes of @size from node nid, for CPUs @cpus and
 * @numa_node (-1: the CPUs' nodes). CPUs on nodes without a pool count
 * for the pool's nodes in proportion to their size. Multiples of 2 MiB.
 */
void kpart_pool_shares(const struct cpumask *cpus, int numa_node, u64 size,
		       u64 *share)
{
	unsigned int cpu, weight = 0, *w, nid, top = 0;
	u64 given = 0;

	memset(share, 0, nr_node_ids * sizeof(*share));
	if (!size)
		return;
	if (numa_node >= 0) {
		share[numa_node] = size;
		return;
	}
	w = kcalloc(nr_node_ids, sizeof(*w), GFP_KERNEL);
	if (w) {
		for_each_cpu(cpu, cpus) {
			nid = cpu_to_node(cpu);
			if (nid < nr_node_ids && kpart_pool_has_node(nid)) {
				w[nid]++;
				weight++;
			}
		}
	}
	if (!weight) {
		/* No CPU (yet) on a pool node: by pool size */
		for (nid = 0; nid < nr_node_ids; nid++) {
			struct kpart_pool_stats st;

			kpart_pool_node_stats(nid, &st);
			if (w)
				w[nid] = st.size >> 21;
			weight += st.size >> 21;
		}
	}
	for (nid = 0; nid < nr_node_ids && weight && w; nid++) {
		share[nid] = ALIGN_DOWN(mul_u64_u64_div_u64(size, w[nid], weight), GRANULE);
		given += share[nid];
		if (w[nid] > w[top])
			top = nid;
	}
	share[top] += size - given;
	kfree(w);
}

/* Bytes of node @nid's pool promised to configured partitions but @skip */
static u64 committed_on(int nid, const struct kpart_partition *skip, u64 *share)
{
	struct kpart_partition *p;
	u64 sum = 0;

	list_for_each_entry(p, &kpart_partitions, node) {
		if (p == skip || !p->mem_size)
			continue;
		kpart_pool_shares(p->cpus, p->numa_node, p->mem_size, share);
		sum += share[nid];
	}
	return sum;
}

u64 kpart_pool_committed(int nid)
{
	u64 *share = kcalloc(nr_node_ids, sizeof(*share), GFP_KERNEL);
	u64 sum;

	lockdep_assert_held(&kpart_lock);
	if (!share)
		return 0;
	sum = committed_on(nid, NULL, share);
	kfree(share);
	return sum;
}

/*
 * Would @p with this memory, CPUs and node fit next to every other
 * configured partition? Else say which node is short, in @why.
 */
int kpart_pool_check(const struct kpart_partition *p, const struct cpumask *cpus,
		     int numa_node, u64 size, char *why, size_t len)
{
	u64 *mine, *share;
	int nid, ret = 0;

	lockdep_assert_held(&kpart_lock);
	mine = kcalloc(nr_node_ids, sizeof(*mine), GFP_KERNEL);
	share = kcalloc(nr_node_ids, sizeof(*share), GFP_KERNEL);
	if (!mine || !share) {
		ret = -ENOMEM;
		goto out;
	}
	kpart_pool_shares(cpus, numa_node, size, mine);
	for (nid = 0; nid < nr_node_ids; nid++) {
		struct kpart_pool_stats st;
		u64 other;

		if (!mine[nid])
			continue;
		kpart_pool_node_stats(nid, &st);
		other = committed_on(nid, p, share);
		if (mine[nid] + other > st.size) {
			snprintf(why, len, "node %d: %llu MiB asked there, %llu MiB of the node's %llu MiB pool not claimed by other partitions",
				 nid, mine[nid] >> 20,
				 st.size > other ? (st.size - other) >> 20 : 0,
				 st.size >> 20);
			ret = -ENOMEM;
			break;
		}
	}
out:
	kfree(mine);
	kfree(share);
	return ret;
}

/* ---- scrubbing ------------------------------------------------------------ */

static struct pool_chunk *chunk_of(phys_addr_t base)
{
	unsigned int i;

	for (i = 0; i < nr_chunks; i++)
		if (base >= chunks[i].base && base < chunks[i].base + chunks[i].size)
			return &chunks[i];
	return NULL;
}


/* Zero granule @g of @c; returns the time it took */
static u64 scrub_granule(struct pool_chunk *c, unsigned long g)
{
	void *va = __va(c->base + (u64)g * GRANULE);
	u64 t0 = ktime_get_ns();
	unsigned int i;

	lockdep_assert_held(&kpart_lock);
	for (i = 0; i < GRANULE / PAGE_SIZE && !test_scrub_skip; i++)
		clear_page(va + i * PAGE_SIZE);
	__clear_bit(g, c->dirty);
	return ktime_get_ns() - t0;
}

/* The worker: one dirty, free granule at a time, the lock dropped between */
static void scrub_fn(struct work_struct *work)
{
	for (;;) {
		bool found = false;
		unsigned int i;

		mutex_lock(&kpart_lock);
		for (i = 0; i < nr_chunks && !found; i++) {
			struct pool_chunk *c = &chunks[i];
			unsigned long g = find_first_bit(c->dirty, c->nbits);

			if (g < c->nbits && !test_bit(g, c->used)) {
				scrub_ns += scrub_granule(c, g);
				scrub_bytes += GRANULE;
				found = true;
			}
		}
		mutex_unlock(&kpart_lock);
		if (!found)
			return;
		cond_resched();
	}
}

/* Zero what is still dirty in @p's ranges, on the start path */
static void scrub_ranges(struct kpart_partition *p)
{
	unsigned int i;

	for (i = 0; i < p->nr_ranges; i++) {
		struct kpart_boot_range *r = &p->ranges[i];
		struct pool_chunk *c = chunk_of(r->base);
		unsigned long g = (r->base - c->base) / GRANULE;
		unsigned long end = g + r->size / GRANULE;

		for (g = find_next_bit(c->dirty, end, g); g < end;
		     g = find_next_bit(c->dirty, end, g + 1)) {
			scrub_start_ns += scrub_granule(c, g);
			scrub_start_bytes += GRANULE;
			cond_resched();
		}
	}
}

/* Test: how many of @p's granules hold anything but zeroes */
static void check_scrubbed(struct kpart_partition *p)
{
	unsigned long dirty = 0, total = 0;
	unsigned int i;
	u64 off;

	for (i = 0; i < p->nr_ranges; i++)
		for (off = 0; off < p->ranges[i].size; off += GRANULE, total++)
			if (memchr_inv(__va(p->ranges[i].base + off), 0, GRANULE))
				dirty++;
	kp_info(p, "test: %lu of %lu granules not zero at start", dirty, total);
}

/* "dirty D scrubbed B ns N start_scrubbed B ns N": bytes and nanoseconds */
void kpart_pool_show_scrub(struct seq_file *sf)
{
	u64 dirty = 0;
	unsigned int i;

	lockdep_assert_held(&kpart_lock);
	for (i = 0; i < nr_chunks; i++)
		dirty += (u64)bitmap_weight(chunks[i].dirty, chunks[i].nbits) * GRANULE;
	seq_printf(sf, "dirty %llu scrubbed %llu ns %llu start_scrubbed %llu ns %llu\n",
		   dirty, scrub_bytes, scrub_ns, scrub_start_bytes, scrub_start_ns);
}

/* ---- taking and giving back --------------------------------------------- */

static int hold_range(struct kpart_partition *p, struct pool_chunk *c,
		     unsigned long at, unsigned long n)
{
	struct kpart_boot_range *r;

	r = p->nr_ranges ? &p->ranges[p->nr_ranges - 1] : NULL;
	if (r && at && r->base + r->size == c->base + (u64)at * GRANULE) {
		/* Right after the last range, in the same chunk: one range */
		bitmap_set(c->used, at, n);
		r->size += (u64)n * GRANULE;
		return 0;
	}
	if (p->nr_ranges >= KPART_MEM_RANGES_MAX)
		return -E2BIG;
	bitmap_set(c->used, at, n);
	r = &p->ranges[p->nr_ranges++];
	r->base = c->base + (u64)at * GRANULE;
	r->size = (u64)n * GRANULE;
	r->nid = c->nid;
	return 0;
}

/*
 * The smallest free run of node @nid (low reserve apart) that holds @want
 * granules, else the largest; NULL when the node has nothing free.
 */
static struct pool_chunk *pick(int nid, unsigned long want, unsigned long *at,
			       unsigned long *got)
{
	struct pool_chunk *best = NULL;
	unsigned long best_len = 0;
	unsigned int i;

	for (i = 0; i < nr_chunks; i++) {
		struct pool_chunk *c = &chunks[i];
		unsigned long start, end;

		if (c->low || c->nid != nid)
			continue;
		for (start = find_first_zero_bit(c->used, c->nbits); start < c->nbits;
		     start = find_next_zero_bit(c->used, c->nbits, end)) {
			unsigned long len;
			bool better;

			end = find_next_bit(c->used, c->nbits, start);
			len = end - start;
			if (best_len >= want)	/* have a fit: a tighter one? */
				better = len >= want && len < best_len;
			else			/* no fit yet: fit or larger */
				better = len > best_len;
			if (better) {
				best = c;
				best_len = len;
				*at = start;
			}
		}
	}
	*got = min(best_len, want);
	return best;
}

/* @bytes of node @nid's pool into @p's ranges, the first one >= @first_min */
static int take_node(struct kpart_partition *p, int nid, u64 bytes,
		     u64 first_min, const char **why)
{
	unsigned long want = bytes / GRANULE;

	while (want) {
		struct pool_chunk *c;
		unsigned long at, got;

		c = pick(nid, want, &at, &got);
		if (!c) {
			*why = "node pool exhausted (a claim check failed)";
			return -ENOMEM;
		}
		if ((u64)got * GRANULE < first_min) {
			*why = "no free piece of the node's pool holds the boot area and kernel";
			return -ENOMEM;
		}
		first_min = 0;
		if (hold_range(p, c, at, got)) {
			*why = "memory too fragmented: more ranges than a partition may have";
			return -E2BIG;
		}
		want -= got;
	}
	return 0;
}

/* One granule below 4 GiB from the low reserve: the AP trampoline's home */
static int take_low(struct kpart_partition *p, const char **why)
{
	unsigned int i;

	for (i = 0; i < p->nr_ranges; i++)
		if (p->ranges[i].base < SZ_4G)
			return 0;
	for (i = 0; i < nr_chunks; i++) {
		struct pool_chunk *c = &chunks[i];
		unsigned long at;

		if (!c->low)
			continue;
		at = find_first_zero_bit(c->used, c->nbits);
		if (at < c->nbits)
			return hold_range(p, c, at, 1);
	}
	*why = "no memory below 4 GiB left for the application kernel's AP trampoline: the pool's low reserve is used up (kpart_pool=...,low:SIZE)";
	return -ENOMEM;
}

/*
 * Take @p's memory: its share of each node, the boot range first and at
 * least @boot_min long (from the node with the largest share), then one
 * low granule unless some range already lies below 4 GiB. All or nothing.
 */
int kpart_pool_take(struct kpart_partition *p, u64 boot_min, const char **why)
{
	u64 *share;
	int nid, boot_nid = 0, ret = 0;

	lockdep_assert_held(&kpart_lock);
	p->ranges = kcalloc(KPART_MEM_RANGES_MAX, sizeof(*p->ranges), GFP_KERNEL);
	share = kcalloc(nr_node_ids, sizeof(*share), GFP_KERNEL);
	if (!p->ranges || !share) {
		*why = "out of memory";
		ret = -ENOMEM;
		goto out;
	}
	p->nr_ranges = 0;
	kpart_pool_shares(p->cpus, p->numa_node, p->mem_size, share);
	for (nid = 0; nid < nr_node_ids; nid++)
		if (share[nid] > share[boot_nid])
			boot_nid = nid;
	ret = take_node(p, boot_nid, share[boot_nid], boot_min, why);
	for (nid = 0; nid < nr_node_ids && !ret; nid++)
		if (nid != boot_nid && share[nid])
			ret = take_node(p, nid, share[nid], 0, why);
	if (!ret)
		ret = take_low(p, why);
	if (!ret)
		scrub_ranges(p);
	if (!ret && test_scrub_check)
		check_scrubbed(p);
out:
	kfree(share);
	if (ret)
		kpart_pool_give_back(p);
	return ret;
}

void kpart_pool_give_back(struct kpart_partition *p)
{
	unsigned int i;

	for (i = 0; i < p->nr_ranges; i++) {
		struct kpart_boot_range *r = &p->ranges[i];
		struct pool_chunk *c = chunk_of(r->base);

		if (WARN_ON(!c))
			continue;
		if (scrub)
			bitmap_set(c->dirty, (r->base - c->base) / GRANULE,
				   r->size / GRANULE);
		bitmap_clear(c->used, (r->base - c->base) / GRANULE, r->size / GRANULE);
	}
	if (scrub && p->nr_ranges)
		queue_work(system_unbound_wq, &scrub_work);
	kfree(p->ranges);
	p->ranges = NULL;
	p->nr_ranges = 0;
}

/*
 * A CPU of @p did not come back to the boot kernel, so nothing says it
 * stopped using @p's memory: keep its granules used, for as long as the
 * module is loaded, instead of giving them back. They no longer count in
 * their node's size for claims. Returns the bytes quarantined.
 */
u64 kpart_pool_quarantine(struct kpart_partition *p)
{
	u64 bytes = 0;
	unsigned int i;

	lockdep_assert_held(&kpart_lock);
	for (i = 0; i < p->nr_ranges; i++) {
		struct kpart_boot_range *r = &p->ranges[i];
		struct pool_chunk *c = chunk_of(r->base);

		if (WARN_ON(!c))
			continue;
		c->quarantined += r->size;
		bytes += r->size;
	}
	kfree(p->ranges);
	p->ranges = NULL;
	p->nr_ranges = 0;
	return bytes;
}

u64 kpart_pool_quarantined(void)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < nr_chunks; i++)
		sum += chunks[i].quarantined;
	return sum;
}
