// SPDX-License-Identifier: GPL-2.0
/*
 * Fill a partition's boot area: the kpart descriptor (as setup_data), the
 * zero page with an e820 map of the partition's RAM only, the command line,
 * the GDT and stacks the entry path uses, and the kernel payload itself.
 */
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/topology.h>
#include <asm/e820/types.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include "boot-x86.h"

/* GDT for the entry path: the boot protocol's __BOOT_CS and __BOOT_DS */
static const u64 entry_gdt[] = {
	0,
	0,
	0x00af9a000000ffffULL,	/* 0x10: 64-bit code */
	0x00cf92000000ffffULL,	/* 0x18: flat data */
};

struct entry_tables {
	u16 gdt_pad[3];
	u16 gdt_limit;
	u64 gdt_base;
	u16 idt_pad[3];
	u16 idt_limit;
	u64 idt_base;
} __packed;

/* A 64-bit interrupt gate */
struct entry_gate {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type;		/* present, DPL 0, interrupt gate: 0x8e */
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} __packed;

/*
 * The entry IDT: every exception vector goes to its stub in entry.S at
 * the module's address, which the entry page table maps (pgtable.c).
 */
static void fill_entry_idt(phys_addr_t base)
{
	struct entry_gate *g = __va(base + KPART_OFF_IDT);
	unsigned int v;

	BUILD_BUG_ON(sizeof(struct setup_data) != KPART_SETUP_DATA_SIZE);
	BUILD_BUG_ON(offsetof(struct kpart_desc, entry_fault) != KPART_DESC_ENTRY_FAULT);
	BUILD_BUG_ON(offsetof(struct kpart_desc, entry_fault_rip) != KPART_DESC_ENTRY_FAULT_RIP);
	BUILD_BUG_ON(offsetof(struct kpart_desc, entry_fault_error) !=
		     KPART_DESC_ENTRY_FAULT_ERROR);
	BUILD_BUG_ON(KPART_OFF_IDT + KPART_IDT_VECTORS * sizeof(*g) > KPART_OFF_CPUS_SMALL);

	for (v = 0; v < KPART_IDT_VECTORS; v++) {
		u64 addr = (unsigned long)kpart_entry_vectors + 16 * v;

		g[v] = (struct entry_gate) {
			.offset_low = addr & 0xffff,
			.selector = 0x10,
			.type = 0x8e,
			.offset_mid = (addr >> 16) & 0xffff,
			.offset_high = addr >> 32,
		};
	}
}

static void fill_entry_tables(phys_addr_t base)
{
	void *area = __va(base + KPART_OFF_GDT);
	struct entry_tables *t = area + sizeof(entry_gdt);

	memcpy(area, entry_gdt, sizeof(entry_gdt));
	memset(t, 0, sizeof(*t));
	t->gdt_limit = sizeof(entry_gdt) - 1;
	t->gdt_base = base + KPART_OFF_GDT;
	fill_entry_idt(base);
	t->idt_limit = KPART_IDT_VECTORS * sizeof(struct entry_gate) - 1;
	t->idt_base = base + KPART_OFF_IDT;
}

/* Physical address of the gdtr, followed by the idtr 16 bytes later */
u64 kpart_entry_tables(phys_addr_t base)
{
	return base + KPART_OFF_GDT + sizeof(entry_gdt) +
	       offsetof(struct entry_tables, gdt_limit);
}

/* Dense node number of the boot kernel's node @nid, added if new */
static int dense_node(int *host, unsigned int *nr, int nid)
{
	unsigned int i;

	for (i = 0; i < *nr; i++)
		if (host[i] == nid)
			return i;
	if (*nr >= KPART_MAX_NODES)
		return -1;
	host[*nr] = nid;
	return (*nr)++;
}

/*
 * The node range @i is reported on. Linux ignores a node with less than
 * 4 MiB of memory (NODE_MIN_SIZE), and memory on a node it ignores is
 * trouble: such memory, like the 2 MiB trampoline range from the low
 * reserve, is reported on the boot range's node instead.
 */
static int range_node(const struct kpart_boot_spec *spec, unsigned int i)
{
	int nid = spec->ranges[i].nid;
	u64 on_node = 0;
	unsigned int j;

	for (j = 0; j < spec->nr_ranges; j++)
		if (spec->ranges[j].nid == nid)
			on_node += spec->ranges[j].size;
	return on_node < SZ_4M ? spec->ranges[0].nid : nid;
}

/*
 * The node CPU @i is reported on: its own when the partition has memory
 * there, else the boot range's. An application kernel whose CPUs sit on
 * memoryless nodes (its boot CPU among them) is an untested corner of
 * Linux's early boot that kpart does not need: such a CPU's memory is
 * remote whichever node it is said to be on.
 */
static int cpu_node(const struct kpart_boot_spec *spec, unsigned int i)
{
	unsigned int j;

	for (j = 0; j < spec->nr_ranges; j++)
		if (range_node(spec, j) == spec->cpu_nids[i])
			return spec->cpu_nids[i];
	return spec->ranges[0].nid;
}

/*
 * The memory map and NUMA node table: the application kernel numbers its
 * nodes 0..n-1 in the order they first appear (boot range first), and
 * gets the boot kernel's distances between them.
 */
static int fill_numa(const struct kpart_boot_spec *spec, struct kpart_desc *d,
		     const char **why)
{
	struct kpart_mem_range *mr = __va(spec->base + KPART_OFF_MEMMAP);
	struct kpart_node *nodes = __va(spec->base + KPART_OFF_NODES);
	struct kpart_cpu_mailbox *mb = kpart_mailboxes_of(spec->base, spec->nr_cpus);
	int host[KPART_MAX_NODES];
	unsigned int i, j, nr = 0;
	int node;

	BUILD_BUG_ON(KPART_MEM_RANGES_MAX * sizeof(*mr) > KPART_OFF_NODES - KPART_OFF_MEMMAP);
	BUILD_BUG_ON(KPART_MAX_NODES * sizeof(*nodes) > KPART_OFF_BOOT_PARAMS - KPART_OFF_NODES);
	if (spec->nr_ranges > KPART_MEM_RANGES_MAX) {
		*why = "more memory ranges than the descriptor holds";
		return -E2BIG;
	}
	for (i = 0; i < spec->nr_ranges; i++) {
		node = dense_node(host, &nr, range_node(spec, i));
		if (node < 0)
			goto nodes;
		mr[i].base = spec->ranges[i].base;
		mr[i].size = spec->ranges[i].size;
		mr[i].node = node;
	}
	for (i = 0; i < spec->nr_cpus; i++) {
		node = dense_node(host, &nr, cpu_node(spec, i));
		if (node < 0)
			goto nodes;
		mb[i].node = node;
	}
	for (i = 0; i < nr; i++) {
		nodes[i].host_node = host[i];
		for (j = 0; j < nr; j++)
			nodes[i].distance[j] = node_distance(host[i], host[j]);
	}
	d->mem_map = spec->base + KPART_OFF_MEMMAP;
	d->nr_mem_ranges = spec->nr_ranges;
	d->nodes_base = spec->base + KPART_OFF_NODES;
	d->nr_nodes = nr;
	return 0;
nodes:
	*why = "partition spans more NUMA nodes than the descriptor holds";
	return -E2BIG;
}

static int fill_desc(const struct kpart_boot_spec *spec, const char **why)
{
	struct setup_data *sd = __va(spec->base + KPART_OFF_DESC);
	struct kpart_desc *d = kpart_desc_of(spec->base);
	struct kpart_cpu_mailbox *mb = kpart_mailboxes_of(spec->base, spec->nr_cpus);
	unsigned int i;

	BUILD_BUG_ON(sizeof(*mb) != KPART_MAILBOX_SIZE);
	BUILD_BUG_ON(sizeof(*sd) + sizeof(*d) > KPART_OFF_BOOT_PARAMS);

	memset(sd, 0, sizeof(*sd) + sizeof(*d));
	sd->type = SETUP_KPART;
	sd->len = sizeof(*d);
	sd->next = 0;

	d->magic = KPART_DESC_MAGIC;
	d->version = KPART_DESC_VERSION;
	d->size = sizeof(*d);
	strscpy(d->name, spec->name, sizeof(d->name));
	d->mem_base = spec->base;
	d->mem_size = spec->size;
	d->boot_area_size = kpart_boot_area_size(spec->nr_cpus);
	d->nr_cpus = spec->nr_cpus;
	kpart_fill_calibration(d);
	d->wallclock_sec = ktime_get_real_seconds();
	if (spec->console_port) {
		d->console_type = KPART_CONSOLE_UART_IO;
		d->console_port = spec->console_port;
		d->console_baud = 115200;
	}
	d->channel_base = spec->base + KPART_OFF_CHANNEL;
	d->channel_size = KPART_CHANNEL_SIZE;
	d->state = KPART_STATE_BOOTING;
	d->cpus_base = spec->base + kpart_mailboxes_off(spec->nr_cpus);
	for (i = 0; i < spec->nr_cpus; i++) {
		mb[i].apic_id = spec->apic_ids[i];
		mb[i].state = KPART_CPU_PARKED;
		mb[i].stack = spec->base + kpart_stack_top_off(spec->nr_cpus, i);
	}
	return fill_numa(spec, d, why);
}

static void add_e820(struct boot_params *bp, u64 addr, u64 size, u32 type)
{
	struct boot_e820_entry *e = &bp->e820_table[bp->e820_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

static void fill_boot_params(const struct kpart_boot_spec *spec)
{
	const struct kpart_bzimage *img = spec->image;
	struct boot_params *bp = __va(spec->base + KPART_OFF_BOOT_PARAMS);
	u64 cmdline = spec->base + KPART_OFF_CMDLINE;
	u64 boot_area = kpart_boot_area_size(spec->nr_cpus);
	unsigned int i;
	size_t hdr_len;

	memset(bp, 0, sizeof(*bp));
	/* The setup header runs from 0x1f1 to the end given by its jump */
	hdr_len = min_t(size_t, sizeof(bp->hdr),
			0x202 + ((const u8 *)img->setup)[0x201] - 0x1f1);
	memcpy(&bp->hdr, img->setup + 0x1f1, hdr_len);

	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags |= LOADED_HIGH;
	bp->hdr.loadflags &= ~(CAN_USE_HEAP | KEEP_SEGMENTS);
	bp->hdr.vid_mode = 0xffff;		/* NORMAL_VGA, no video setup */
	bp->hdr.code32_start = kpart_kernel_load_addr(spec->base, spec->nr_cpus, img);
	bp->hdr.cmd_line_ptr = lower_32_bits(cmdline);
	bp->ext_cmd_line_ptr = upper_32_bits(cmdline);
	bp->hdr.ramdisk_image = lower_32_bits(spec->initrd_addr);
	bp->ext_ramdisk_image = upper_32_bits(spec->initrd_addr);
	bp->hdr.ramdisk_size = lower_32_bits(spec->initrd_size);
	bp->ext_ramdisk_size = upper_32_bits(spec->initrd_size);
	bp->hdr.setup_data = spec->base + KPART_OFF_DESC;

	add_e820(bp, spec->base, boot_area, E820_TYPE_RESERVED);
	add_e820(bp, spec->base + boot_area, spec->size - boot_area, E820_TYPE_RAM);
	for (i = 1; i < spec->nr_ranges; i++)
		add_e820(bp, spec->ranges[i].base, spec->ranges[i].size, E820_TYPE_RAM);
}

/* @opt as a whole word of @cmdline */
static bool has_option(const char *cmdline, const char *opt)
{
	size_t len = strlen(opt);
	const char *p = cmdline;

	while ((p = strstr(p, opt))) {
		if ((p == cmdline || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' '))
			return true;
		p += len;
	}
	return false;
}

static bool cpu_has_la57(void)
{
	return boot_cpu_data.cpuid_level >= 7 && (cpuid_ecx(7) & BIT(16));
}

/*
 * Paging mode. CR4.LA57 cannot change in long mode, so a kernel entered in
 * another mode than the one it wants switches through a 32-bit trampoline
 * that it places below 1 MiB, where the BIOS data area says: memory that
 * is not the partition's and not in the entry page table. So the new
 * kernel must want the mode the boot kernel runs in. With 5-level paging
 * on, it must be built for it and not be told no5lvl; with 4-level paging
 * on a CPU that has LA57, it is told no5lvl (returned in @extra).
 */
static int paging_mode(const struct kpart_boot_spec *spec, const char **extra,
		       const char **why)
{
	*extra = "";
	if (pgtable_l5_enabled()) {
		if (!spec->image->la57) {
			*why = "kernel is built without 5-level paging, which the boot kernel runs: a partition cannot switch paging modes (the switch needs memory below 1 MiB)";
			return -EINVAL;
		}
		if (has_option(spec->cmdline, "no5lvl")) {
			*why = "no5lvl on the command line, but the boot kernel runs 5-level paging: a partition cannot switch paging modes (the switch needs memory below 1 MiB)";
			return -EINVAL;
		}
	} else if (spec->image->la57 && cpu_has_la57() &&
		   !has_option(spec->cmdline, "no5lvl")) {
		*extra = " no5lvl";
	}
	return 0;
}

int kpart_build_boot_area(const struct kpart_boot_spec *spec, const char **why)
{
	const struct kpart_bzimage *img = spec->image;
	u64 load = kpart_kernel_load_addr(spec->base, spec->nr_cpus, img);
	u64 end = kpart_kernel_end(spec->base, spec->nr_cpus, img);
	u64 boot_area = kpart_boot_area_size(spec->nr_cpus);
	size_t cmdline_len = strlen(spec->cmdline);
	const char *extra;
	int ret;

	if (spec->nr_cpus < 1) {
		*why = "partition has no CPU";
		return -EINVAL;
	}
	ret = paging_mode(spec, &extra, why);
	if (ret)
		return ret;
	cmdline_len += strlen(extra);
	if (cmdline_len >= KPART_CMDLINE_MAX ||
	    (img->cmdline_size && cmdline_len > img->cmdline_size)) {
		*why = "command line too long for this kernel";
		return -E2BIG;
	}
	if (end > spec->base + spec->size ||
	    (spec->initrd_size && spec->initrd_addr >= spec->base &&
	     spec->initrd_addr < spec->base + spec->size && end > spec->initrd_addr)) {
		*why = "kernel does not fit in partition memory (init_size)";
		return -E2BIG;
	}
	if (spec->initrd_size &&
	    spec->initrd_addr + spec->initrd_size - 1 > img->initrd_addr_max &&
	    !img->above_4g) {
		*why = "initrd lies above the kernel's initrd_addr_max";
		return -E2BIG;
	}

	memset(__va(spec->base), 0, KPART_OFF_PGTABLE);
	if (boot_area > KPART_OFF_CPUS_LARGE)	/* a large partition's CPU area */
		memset(__va(spec->base + KPART_OFF_CPUS_LARGE), 0,
		       boot_area - KPART_OFF_CPUS_LARGE);
	ret = fill_desc(spec, why);
	if (ret)
		return ret;
	fill_boot_params(spec);
	snprintf(__va(spec->base + KPART_OFF_CMDLINE), KPART_CMDLINE_MAX, "%s%s",
		 spec->cmdline, extra);
	fill_entry_tables(spec->base);
	memset(__va(spec->base + KPART_OFF_CHANNEL), 0, KPART_CHANNEL_SIZE);
	memcpy(__va(load), img->payload, img->payload_len);
	return 0;
}
