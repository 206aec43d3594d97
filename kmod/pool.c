// SPDX-License-Identifier: GPL-2.0
/*
 * The partition memory pool. The patched kernel sets it aside at boot
 * (kpart_pool=SIZE) so the page allocator never sees it; here it is carved
 * into 2 MiB-aligned partitions with a genalloc first-fit allocator.
 *
 * Two numbers matter to operators: memory held by partitions that are
 * running (pool_free is what is left), and memory promised to configured
 * partitions (committed), checked when a partition's memory is set so that
 * a start never fails for lack of pool.
 */
#include <linux/genalloc.h>
#include <linux/kernel.h>
#include <linux/sizes.h>
#include <asm/kpart.h>
#include "kpart.h"

#define POOL_ORDER	21	/* 2 MiB granules: large-page identity maps */

static struct gen_pool *pool;
static phys_addr_t pool_base;
static phys_addr_t pool_len;

int kpart_pool_init(void)
{
	int ret;

	ret = kpart_pool_range(&pool_base, &pool_len);
	if (ret) {
		pr_err("kpart: no memory pool; boot with kpart_pool=SIZE\n");
		return ret;
	}
	pool = gen_pool_create(POOL_ORDER, -1);
	if (!pool)
		return -ENOMEM;
	ret = gen_pool_add(pool, pool_base, pool_len, -1);
	if (ret) {
		gen_pool_destroy(pool);
		return ret;
	}
	return 0;
}

void kpart_pool_exit(void)
{
	gen_pool_destroy(pool);
}

u64 kpart_pool_size(void)
{
	return pool_len;
}

u64 kpart_pool_free(void)
{
	return gen_pool_avail(pool);
}

u64 kpart_pool_committed(void)
{
	struct kpart_partition *p;
	u64 sum = 0;

	lockdep_assert_held(&kpart_lock);
	list_for_each_entry(p, &kpart_partitions, node)
		sum += p->mem_size;
	return sum;
}

void kpart_pool_range_str(char *buf, size_t len)
{
	snprintf(buf, len, "%#llx-%#llx\n", (u64)pool_base,
		 (u64)(pool_base + pool_len - 1));
}

phys_addr_t kpart_pool_alloc(u64 size)
{
	struct genpool_data_align align = { .align = SZ_2M };

	return gen_pool_alloc_algo(pool, size, gen_pool_first_fit_align, &align);
}

void kpart_pool_release(phys_addr_t base, u64 size)
{
	gen_pool_free(pool, base, size);
}
