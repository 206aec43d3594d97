// SPDX-License-Identifier: GPL-2.0
/*
 * The page table a partition CPU switches to on its way into the new
 * kernel: every range of the partition's memory identity mapped (1 GiB pages where the CPU
 * has them, 2 MiB pages elsewhere), plus the page(s) holding kpart_enter()
 * at their module address, because that code is what runs across the CR3
 * switch. Built in the partition's boot area,
 * so the boot kernel keeps nothing per partition.
 *
 * With 5-level paging active (CR4.LA57), which cannot be switched off in
 * long mode, the table has five levels; the new kernel's decompressor
 * takes either and goes on in the paging mode it was built for.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <asm/cpufeature.h>
#include <asm/pgtable_types.h>
#include "boot-x86.h"

#define PTE_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_LARGE	(PTE_TABLE | _PAGE_PSE)	/* 2 MiB or 1 GiB */
#define PTE_4K		PTE_TABLE

struct pgt_builder {
	phys_addr_t next;	/* next free table page */
	phys_addr_t end;
	u64 *top;		/* PML5 with 5-level paging, else PML4 */
	bool la57;
};

static u64 *table_va(u64 entry)
{
	return __va(entry & PTE_PFN_MASK);
}

/* Return the next-level table under @entry, allocating it if needed */
static u64 *next_table(struct pgt_builder *b, u64 *entry)
{
	if (!(*entry & _PAGE_PRESENT)) {
		if (b->next >= b->end)
			return NULL;
		memset(__va(b->next), 0, PAGE_SIZE);
		*entry = b->next | PTE_TABLE;
		b->next += PAGE_SIZE;
	}
	return table_va(*entry);
}

/* The PML4 covering @va: the top table itself with 4-level paging */
static u64 *pml4_of(struct pgt_builder *b, u64 va)
{
	return b->la57 ? next_table(b, &b->top[(va >> 48) & 511]) : b->top;
}

static int map_1g(struct pgt_builder *b, u64 va, u64 pa)
{
	u64 *pml4 = pml4_of(b, va), *pdpt;

	pdpt = pml4 ? next_table(b, &pml4[(va >> 39) & 511]) : NULL;
	if (!pdpt)
		return -ENOSPC;
	pdpt[(va >> 30) & 511] = pa | PTE_LARGE;
	return 0;
}

static int map_2m(struct pgt_builder *b, u64 va, u64 pa)
{
	u64 *pml4 = pml4_of(b, va), *pdpt, *pd;

	pdpt = pml4 ? next_table(b, &pml4[(va >> 39) & 511]) : NULL;
	pd = pdpt ? next_table(b, &pdpt[(va >> 30) & 511]) : NULL;
	if (!pd)
		return -ENOSPC;
	pd[(va >> 21) & 511] = pa | PTE_LARGE;
	return 0;
}

static int map_4k(struct pgt_builder *b, u64 va, u64 pa)
{
	u64 *pml4 = pml4_of(b, va), *pdpt, *pd, *pt;

	pdpt = pml4 ? next_table(b, &pml4[(va >> 39) & 511]) : NULL;
	pd = pdpt ? next_table(b, &pdpt[(va >> 30) & 511]) : NULL;
	pt = pd ? next_table(b, &pd[(va >> 21) & 511]) : NULL;
	if (!pt)
		return -ENOSPC;
	pt[(va >> 12) & 511] = pa | PTE_4K;
	return 0;
}

/* 1 GiB pages where the CPU has them: a terabyte takes two tables */
static int map_range(struct pgt_builder *b, u64 base, u64 size, bool gbpages)
{
	u64 off;

	for (off = 0; off < size; ) {
		u64 pa = base + off;

		if (gbpages && IS_ALIGNED(pa, SZ_1G) && size - off >= SZ_1G) {
			if (map_1g(b, pa, pa))
				return -ENOSPC;
			off += SZ_1G;
		} else {
			if (map_2m(b, pa, pa))
				return -ENOSPC;
			off += SZ_2M;
		}
	}
	return 0;
}

int kpart_build_pgtable(const struct kpart_boot_spec *spec, u64 *root,
			const char **why)
{
	struct pgt_builder b = {
		.next = spec->base + KPART_OFF_PGTABLE,
		.end = spec->base + KPART_PGTABLE_END,
		.la57 = pgtable_l5_enabled(),
	};
	unsigned long code = (unsigned long)kpart_enter & PAGE_MASK;
	unsigned long code_end = (unsigned long)kpart_enter_end;
	bool gbpages = boot_cpu_has(X86_FEATURE_GBPAGES);
	unsigned int i;

	*root = b.next;
	b.top = __va(b.next);
	memset(b.top, 0, PAGE_SIZE);
	b.next += PAGE_SIZE;

	for (i = 0; i < spec->nr_ranges; i++)
		if (map_range(&b, spec->ranges[i].base, spec->ranges[i].size, gbpages))
			goto full;

	for (; code < code_end; code += PAGE_SIZE)
		if (map_4k(&b, code, PFN_PHYS(vmalloc_to_pfn((void *)code))))
			goto full;
	return 0;
full:
	*why = "partition too large for the identity page table area";
	return -E2BIG;
}
