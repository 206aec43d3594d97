/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layout of a partition's boot area: where each piece goes, from the
 * number of CPUs alone. Plain arithmetic, so that user-space unit tests
 * check it too (tests/unit/boot); the includer provides u32 and u64. The
 * constants are also used from assembly (entry.S).
 *
 *   0x000000  setup_data header + struct kpart_desc   (KPART_OFF_DESC)
 *   0x000800  PCI functions: struct kpart_pci_dev[]   (KPART_OFF_DEVICES)
 *   0x001000  memory map: struct kpart_mem_range[]    (KPART_OFF_MEMMAP)
 *   0x001800  NUMA node table: struct kpart_node[]    (KPART_OFF_NODES)
 *   0x002000  boot_params, the "zero page"             (KPART_OFF_BOOT_PARAMS)
 *   0x003000  kernel command line                      (KPART_OFF_CMDLINE)
 *   0x004000  entry GDT and descriptor-table pointers  (KPART_OFF_GDT)
 *   0x004800  entry IDT, vectors 0-31                  (KPART_OFF_IDT)
 *   0x005000  CPU area of a small partition: mailboxes, then entry stacks
 *   0x010000  identity page tables                     (KPART_OFF_PGTABLE)
 *   0x100000  channel area for the IPI rings           (KPART_OFF_CHANNEL)
 *   0x200000  CPU area of a large partition (more than fit at 0x005000)
 *   boot area end: kernel (bzImage payload), free RAM, initrd at the top
 *
 * The boot area is 2 MiB, or more for a partition whose CPU area does not
 * fit below the page tables, in 2 MiB steps. It is reserved in the
 * application kernel's e820 map; the rest of the partition is RAM.
 */
#ifndef KPART_BOOT_X86_LAYOUT_H
#define KPART_BOOT_X86_LAYOUT_H

#define KPART_OFF_DESC		0x000000
#define KPART_OFF_DEVICES	0x000800	/* up to 12 of 168 bytes */
#define KPART_OFF_MEMMAP	0x001000
#define KPART_MEM_RANGES_MAX	64	/* 24 bytes each */
#define KPART_OFF_NODES		0x001800
#define KPART_OFF_BOOT_PARAMS	0x002000
#define KPART_OFF_CMDLINE	0x003000
#define KPART_CMDLINE_MAX	2048
#define KPART_OFF_GDT		0x004000
#define KPART_OFF_IDT		0x004800
#define KPART_IDT_VECTORS	32
#define KPART_OFF_CPUS_SMALL	0x005000
#define KPART_OFF_PGTABLE	0x010000
#define KPART_PGTABLE_END	0x100000
#define KPART_OFF_CHANNEL	0x100000
#define KPART_CHANNEL_SIZE	0x100000
#define KPART_OFF_CPUS_LARGE	0x200000
#define KPART_BOOT_AREA_STEP	0x200000

/* Per CPU: its mailbox (struct kpart_cpu_mailbox) and an entry stack */
#define KPART_MAILBOX_SIZE	64
#define KPART_STACK_SIZE	128
#define KPART_CPU_SLOT		(KPART_MAILBOX_SIZE + KPART_STACK_SIZE)
#define KPART_CPUS_SMALL_MAX	((KPART_OFF_PGTABLE - KPART_OFF_CPUS_SMALL) / KPART_CPU_SLOT)

#ifndef __ASSEMBLY__
static inline u64 kpart_cpus_off(u32 nr_cpus)
{
	return nr_cpus <= KPART_CPUS_SMALL_MAX ? KPART_OFF_CPUS_SMALL : KPART_OFF_CPUS_LARGE;
}

/* Mailbox i at kpart_mailboxes_off() + i * KPART_MAILBOX_SIZE */
static inline u64 kpart_mailboxes_off(u32 nr_cpus)
{
	return kpart_cpus_off(nr_cpus);
}

/* Top of CPU i's entry stack: the stacks follow the mailboxes */
static inline u64 kpart_stack_top_off(u32 nr_cpus, u32 i)
{
	return kpart_mailboxes_off(nr_cpus) + (u64)nr_cpus * KPART_MAILBOX_SIZE +
	       ((u64)i + 1) * KPART_STACK_SIZE;
}

static inline u64 kpart_boot_area_size(u32 nr_cpus)
{
	u64 end = kpart_stack_top_off(nr_cpus, nr_cpus - 1);

	if (nr_cpus <= KPART_CPUS_SMALL_MAX)
		return KPART_BOOT_AREA_STEP;
	return (end + KPART_BOOT_AREA_STEP - 1) & ~((u64)KPART_BOOT_AREA_STEP - 1);
}
#endif /* !__ASSEMBLY__ */

#endif /* KPART_BOOT_X86_LAYOUT_H */
