// SPDX-License-Identifier: GPL-2.0
/*
 * The page table a partition CPU switches to on its way into the new
 * kernel: the partition's memory identity mapped with 2 MiB pages, plus the
 * page(s) holding kpart_enter() at their module address, because that code
 * is what runs across the CR3 switch. Built in the partition's boot area,
 * so the boot kernel keeps nothing per partition.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <asm/pgtable_types.h>
#include "boot-x86.h"

#define PTE_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_LARGE	(PTE_TABLE | _PAGE_PSE)
#define PTE_4K		PTE_TABLE

struct pgt_builder {
	phys_addr_t next;	/* next free table page */
	phys_addr_t end;
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

static int map_2m(struct pgt_builder *b, u64 *pml4, u64 va, u64 pa)
{
	u64 *pdpt, *pd;

	pdpt = next_table(b, &pml4[(va >> 39) & 511]);
	pd = pdpt ? next_table(b, &pdpt[(va >> 30) & 511]) : NULL;
	if (!pd)
		return -ENOSPC;
	pd[(va >> 21) & 511] = pa | PTE_LARGE;
	return 0;
}

static int map_4k(struct pgt_builder *b, u64 *pml4, u64 va, u64 pa)
{
	u64 *pdpt, *pd, *pt;

	pdpt = next_table(b, &pml4[(va >> 39) & 511]);
	pd = pdpt ? next_table(b, &pdpt[(va >> 30) & 511]) : NULL;
	pt = pd ? next_table(b, &pd[(va >> 21) & 511]) : NULL;
	if (!pt)
		return -ENOSPC;
	pt[(va >> 12) & 511] = pa | PTE_4K;
	return 0;
}

int kpart_build_pgtable(phys_addr_t base, u64 size, u64 *root, const char **why)
{
	struct pgt_builder b = {
		.next = base + KPART_OFF_PGTABLE,
		.end = base + KPART_PGTABLE_END,
	};
	unsigned long code = (unsigned long)kpart_enter & PAGE_MASK;
	unsigned long code_end = (unsigned long)kpart_enter_end;
	u64 *pml4;
	u64 off;

	if (pgtable_l5_enabled()) {
		*why = "5-level paging is not supported yet";
		return -EOPNOTSUPP;
	}

	*root = b.next;
	pml4 = __va(b.next);
	memset(pml4, 0, PAGE_SIZE);
	b.next += PAGE_SIZE;

	for (off = 0; off < size; off += SZ_2M)
		if (map_2m(&b, pml4, base + off, base + off))
			goto full;

	for (; code < code_end; code += PAGE_SIZE)
		if (map_4k(&b, pml4, code, PFN_PHYS(vmalloc_to_pfn((void *)code))))
			goto full;
	return 0;
full:
	*why = "partition too large for the identity page table area";
	return -E2BIG;
}
