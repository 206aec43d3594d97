// SPDX-License-Identifier: GPL-2.0
/*
 * Fill a partition's boot area: the kpart descriptor (as setup_data), the
 * zero page with an e820 map of the partition's RAM only, the command line,
 * the GDT and stacks the entry path uses, and the kernel payload itself.
 */
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <asm/e820/types.h>
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
	u16 idt_limit;		/* 0: any exception before the kernel's own IDT */
	u64 idt_base;		/*    shuts the CPU down, not the machine */
} __packed;

static void fill_entry_tables(phys_addr_t base)
{
	void *area = __va(base + KPART_OFF_GDT);
	struct entry_tables *t = area + sizeof(entry_gdt);

	memcpy(area, entry_gdt, sizeof(entry_gdt));
	memset(t, 0, sizeof(*t));
	t->gdt_limit = sizeof(entry_gdt) - 1;
	t->gdt_base = base + KPART_OFF_GDT;
}

/* Physical address of the gdtr, followed by the idtr 16 bytes later */
u64 kpart_entry_tables(phys_addr_t base)
{
	return base + KPART_OFF_GDT + sizeof(entry_gdt) +
	       offsetof(struct entry_tables, gdt_limit);
}

static void fill_desc(const struct kpart_boot_spec *spec)
{
	struct setup_data *sd = __va(spec->base + KPART_OFF_DESC);
	struct kpart_desc *d = kpart_desc_of(spec->base);
	unsigned int i;

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
	d->boot_area_size = KPART_BOOT_AREA;
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
	for (i = 0; i < spec->nr_cpus; i++) {
		d->cpus[i].apic_id = spec->apic_ids[i];
		d->cpus[i].state = KPART_CPU_PARKED;
		d->cpus[i].stack = spec->base + KPART_OFF_STACKS +
				   (i + 1) * KPART_STACK_SIZE;
	}
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
	bp->hdr.code32_start = kpart_kernel_load_addr(spec->base, img);
	bp->hdr.cmd_line_ptr = lower_32_bits(cmdline);
	bp->ext_cmd_line_ptr = upper_32_bits(cmdline);
	bp->hdr.ramdisk_image = lower_32_bits(spec->initrd_addr);
	bp->ext_ramdisk_image = upper_32_bits(spec->initrd_addr);
	bp->hdr.ramdisk_size = lower_32_bits(spec->initrd_size);
	bp->ext_ramdisk_size = upper_32_bits(spec->initrd_size);
	bp->hdr.setup_data = spec->base + KPART_OFF_DESC;

	add_e820(bp, spec->base, KPART_BOOT_AREA, E820_TYPE_RESERVED);
	add_e820(bp, spec->base + KPART_BOOT_AREA,
		 spec->size - KPART_BOOT_AREA, E820_TYPE_RAM);
}

int kpart_build_boot_area(const struct kpart_boot_spec *spec, const char **why)
{
	const struct kpart_bzimage *img = spec->image;
	u64 load = kpart_kernel_load_addr(spec->base, img);
	size_t cmdline_len = strlen(spec->cmdline);

	if (spec->nr_cpus < 1 || spec->nr_cpus > KPART_MAX_CPUS) {
		*why = "partition needs between 1 and 64 CPUs";
		return -EINVAL;
	}
	if (cmdline_len >= KPART_CMDLINE_MAX ||
	    (img->cmdline_size && cmdline_len > img->cmdline_size)) {
		*why = "command line too long for this kernel";
		return -E2BIG;
	}
	if (kpart_kernel_end(spec->base, img) > spec->base + spec->size ||
	    (spec->initrd_size && kpart_kernel_end(spec->base, img) > spec->initrd_addr)) {
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
	fill_desc(spec);
	fill_boot_params(spec);
	memcpy(__va(spec->base + KPART_OFF_CMDLINE), spec->cmdline,
	       cmdline_len + 1);
	fill_entry_tables(spec->base);
	memset(__va(spec->base + KPART_OFF_CHANNEL), 0, KPART_CHANNEL_SIZE);
	memcpy(__va(load), img->payload, img->payload_len);
	return 0;
}
