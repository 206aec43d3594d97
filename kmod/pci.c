// SPDX-License-Identifier: GPL-2.0
/*
 * PCI functions of a partition (docs/devices.md).
 *
 * Writing a partition's `devices` is a claim: the functions stay the boot
 * kernel's until the partition starts. At the start each is unbound from
 * its driver, reset (function-level reset where it has one), removed from
 * the boot kernel's PCI tree and marked owned in the kernel's table (a
 * rescan skips it); its BARs stay where they are, held by a busy resource
 * so that nothing else is placed there, and the descriptor lists them for
 * the application kernel. When the partition ends in any way, Bus Master
 * and decoding are turned off before its CPUs are taken back, and once
 * they are, the function is reset again, its BARs restored and it is
 * scanned back in: its driver binds as after a hotplug.
 */
#include <linux/acpi.h>
#include <linux/blkdev.h>
#include <linux/console.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/tty_driver.h>
#include <asm/bootparam.h>
#include <asm/kpart.h>
#include "kpart.h"

struct kpart_pci_fn {
	u16 seg;
	u8 bus;
	u8 devfn;
	bool owned;			/* removed from the boot kernel */
	u16 vendor, device;
	char addr[16];			/* DDDD:BB:DD.F */
	u32 saved_bars[KPART_PCI_BARS];	/* raw, as the boot kernel left them */
	struct kpart_pci_bar bars[KPART_PCI_BARS];
	struct resource *held[KPART_PCI_BARS];	/* keeps the BARs' ranges free */
};

static u32 fn_key(const struct kpart_pci_fn *f)
{
	return (u32)f->seg << 16 | f->bus << 8 | f->devfn;
}

static int fn_cmp(const void *a, const void *b)
{
	u32 x = fn_key(a), y = fn_key(b);

	return x < y ? -1 : x > y;
}


/* "DDDD:BB:DD.F", hex, device up to 1f and function up to 7 */
static bool parse_addr(const char *s, struct kpart_pci_fn *f)
{
	static const char pattern[] = "hhhh:hh:hh.h";
	unsigned int seg, bus, dev, fn;
	int i;

	if (strlen(s) != sizeof(pattern) - 1)
		return false;
	for (i = 0; pattern[i]; i++)
		if (pattern[i] == 'h' ? !isxdigit(s[i]) : s[i] != pattern[i])
			return false;
	if (sscanf(s, "%4x:%2x:%2x.%1x", &seg, &bus, &dev, &fn) != 4 ||
	    dev > 0x1f || fn > 7)
		return false;
	memset(f, 0, sizeof(*f));
	f->seg = seg;
	f->bus = bus;
	f->devfn = PCI_DEVFN(dev, fn);
	snprintf(f->addr, sizeof(f->addr), "%04x:%02x:%02x.%x", seg, bus, dev, fn);
	return true;
}

/* The ECAM address of bus 0 of @seg from ACPI's MCFG, 0 when there is none */
static u64 ecam_base(u16 seg, u8 bus)
{
	struct acpi_table_header *hdr;
	struct acpi_mcfg_allocation *a;
	u64 base = 0;

	if (acpi_disabled || ACPI_FAILURE(acpi_get_table(ACPI_SIG_MCFG, 0, &hdr)))
		return 0;
	for (a = (void *)hdr + sizeof(struct acpi_table_mcfg);
	     (void *)(a + 1) <= (void *)hdr + hdr->length; a++)
		if (a->pci_segment == seg && bus >= a->start_bus_number &&
		    bus <= a->end_bus_number) {
			base = a->address;
			break;
		}
	acpi_put_table(hdr);
	return base;
}

/* The partition other than @self that claims the function, or NULL */
static struct kpart_partition *claimed_by(const struct kpart_pci_fn *f,
					  const struct kpart_partition *self)
{
	struct kpart_partition *p;
	unsigned int i;

	list_for_each_entry(p, &kpart_partitions, node) {
		if (p == self)
			continue;
		for (i = 0; i < p->nr_pci; i++)
			if (fn_key(&p->pci[i]) == fn_key(f))
				return p;
	}
	return NULL;
}

/* ---- what the boot kernel itself uses ---------------------------------- */

#define MAX_CONSOLES	8

struct use_scan {
	dev_t consoles[MAX_CONSOLES];
	unsigned int nr_consoles;
	char what[64];
};

static int use_scan_dev(struct device *dev, void *data)
{
	struct use_scan *u = data;
	const char *cls = dev->class ? dev->class->name : "";
	unsigned int i;

#ifdef CONFIG_BLOCK
	if (!strcmp(cls, "block")) {
		struct block_device *bdev = dev_to_bdev(dev);

		/* Mounted (the root file system too), swap, or held open */
		if (READ_ONCE(bdev->bd_holder) || atomic_read(&bdev->bd_openers)) {
			snprintf(u->what, sizeof(u->what), "/dev/%s is mounted or open",
				 dev_name(dev));
			return 1;
		}
	}
#endif
	if (!strcmp(cls, "tty"))
		for (i = 0; i < u->nr_consoles; i++)
			if (dev->devt == u->consoles[i]) {
				snprintf(u->what, sizeof(u->what), "%s is the boot kernel's console",
					 dev_name(dev));
				return 1;
			}
	return device_for_each_child(dev, data, use_scan_dev);
}

/* What of the boot kernel's runs on @pdev: a console, a mounted or open disk */
static bool in_use(struct pci_dev *pdev, struct use_scan *u)
{
	struct console *con;

	memset(u, 0, sizeof(*u));
	console_list_lock();
	for_each_console(con) {
		struct tty_driver *drv;
		int idx;

		if (!con->device || u->nr_consoles == MAX_CONSOLES)
			continue;
		drv = con->device(con, &idx);
		if (drv)
			u->consoles[u->nr_consoles++] =
				MKDEV(drv->major, drv->minor_start) + idx;
	}
	console_list_unlock();
	return device_for_each_child(&pdev->dev, u, use_scan_dev);
}

/* ACS on the function redirects peer requests and completions upstream */
static bool acs_isolated(struct pci_dev *pdev)
{
	int pos = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_ACS);
	u16 ctrl = 0;

	if (!pos)
		return false;
	pci_read_config_word(pdev, pos + PCI_ACS_CTRL, &ctrl);
	return (ctrl & (PCI_ACS_RR | PCI_ACS_CR)) == (PCI_ACS_RR | PCI_ACS_CR);
}

/* Every function of @pdev's device present has ACS redirecting peer traffic */
static bool slot_isolated(struct pci_dev *pdev)
{
	struct pci_dev *other;
	bool all = true;
	unsigned int fn;

	for (fn = 0; fn < 8 && all; fn++) {
		other = pci_get_slot(pdev->bus, PCI_DEVFN(PCI_SLOT(pdev->devfn), fn));
		if (!other)
			continue;
		all = acs_isolated(other);
		pci_dev_put(other);
	}
	return all;
}

static bool in_set(const struct kpart_pci_fn *set, unsigned int n, u16 seg,
		   u8 bus, u8 devfn)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (set[i].seg == seg && set[i].bus == bus && set[i].devfn == devfn)
			return true;
	return false;
}

/*
 * Whether the boot kernel can hand @f over (the rest of @set beside it):
 * 0 or an errno with the reason in @why. Called with the rescan lock held.
 */
static int check_fn(struct kpart_partition *p, struct kpart_pci_fn *f,
		    const struct kpart_pci_fn *set, unsigned int n, char *why,
		    size_t len)
{
	struct pci_dev *pdev, *other;
	struct kpart_partition *q;
	struct use_scan u;
	unsigned int fn;
	int ret = 0;

	q = claimed_by(f, p);
	if (q) {
		snprintf(why, len, "%s belongs to partition %s", f->addr,
			 q->name);
		return -EBUSY;
	}
	pdev = pci_get_domain_bus_and_slot(f->seg, f->bus, f->devfn);
	if (!pdev) {
		snprintf(why, len, "no PCI function %s", f->addr);
		return -ENODEV;
	}
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL ||
	    (pdev->class >> 16) == PCI_BASE_CLASS_BRIDGE ||
	    (pci_is_pcie(pdev) && pci_pcie_type(pdev) != PCI_EXP_TYPE_ENDPOINT &&
	     pci_pcie_type(pdev) != PCI_EXP_TYPE_LEG_END &&
	     pci_pcie_type(pdev) != PCI_EXP_TYPE_RC_END)) {
		snprintf(why, len, "%s is a bridge or not an endpoint (class %06x, header type %u)",
			 f->addr, pdev->class, pdev->hdr_type);
		ret = -EINVAL;
	} else if (pdev->is_virtfn) {
		snprintf(why, len, "%s is an SR-IOV virtual function", f->addr);
		ret = -EINVAL;
	} else if (in_use(pdev, &u)) {
		snprintf(why, len, "%s is in use by the boot kernel: %s",
			 f->addr, u.what);
		ret = -EBUSY;
	} else if (device_iommu_mapped(&pdev->dev)) {
		snprintf(why, len, "%s is behind an IOMMU the application kernel cannot program (boot with intel_iommu=off or iommu=off to hand devices off)",
			 f->addr);
		ret = -EINVAL;
	} else if (!ecam_base(f->seg, f->bus)) {
		snprintf(why, len, "%s: no ECAM (ACPI MCFG) for its bus; application kernels reach config space only there",
			 f->addr);
		ret = -EINVAL;
	}
	if (ret || !pdev->multifunction || slot_isolated(pdev))
		goto out;
	/* Functions of one device may talk to each other unseen: all or none */
	for (fn = 0; fn < 8 && !ret; fn++) {
		u8 devfn = PCI_DEVFN(PCI_SLOT(f->devfn), fn);

		if (devfn == f->devfn || in_set(set, n, f->seg, f->bus, devfn))
			continue;
		other = pci_get_slot(pdev->bus, devfn);
		if (other) {
			snprintf(why, len, "%s is one function of a multi-function device without ACS: %s must go with it",
				 f->addr, pci_name(other));
			ret = -EINVAL;
			pci_dev_put(other);
		}
	}
out:
	pci_dev_put(pdev);
	return ret;
}

/* MSIs without interrupt remapping address APIC IDs up to 255 */
int kpart_pci_check_cpus(struct kpart_partition *p, const struct cpumask *cpus,
			 unsigned int nr_pci, char *why, size_t len)
{
	unsigned int cpu;

	if (!nr_pci)
		return 0;
	for_each_cpu(cpu, cpus)
		if (kpart_apic_id(cpu) > 255) {
			snprintf(why, len, "CPU %u has APIC ID %u: a partition with PCI functions needs CPUs with APIC IDs up to 255 (MSIs without interrupt remapping carry 8 destination bits)",
				 cpu, kpart_apic_id(cpu));
			return -EINVAL;
		}
	return 0;
}

/* A write to NAME/devices; kpart_lock held, the partition not busy */
int kpart_pci_configure(struct kpart_partition *p, char *buf)
{
	struct kpart_pci_fn *set = NULL;
	unsigned int n = 0, i;
	char *tok, why[224];
	int ret = 0;

	for (i = 0; i < p->nr_pci; i++)
		if (p->pci[i].owned) {
			kp_err(p, "devices refused: %s stays out of the boot kernel: a CPU of the partition's last run did not come back",
			       p->pci[i].addr);
			return -EBUSY;
		}
	while ((tok = strsep(&buf, ", \t\n")) != NULL) {
		struct kpart_pci_fn f;

		if (!*tok)
			continue;
		if (!parse_addr(tok, &f)) {
			kp_err(p, "devices refused: '%s' is not a PCI address DDDD:BB:DD.F", tok);
			ret = -EINVAL;
			goto out;
		}
		if (in_set(set, n, f.seg, f.bus, f.devfn)) {
			kp_err(p, "devices refused: %s is listed twice", f.addr);
			ret = -EINVAL;
			goto out;
		}
		if (n == KPART_PCI_DEVS_MAX) {
			kp_err(p, "devices refused: more than %d functions", KPART_PCI_DEVS_MAX);
			ret = -EINVAL;
			goto out;
		}
		if (!set) {
			set = kcalloc(KPART_PCI_DEVS_MAX, sizeof(*set), GFP_KERNEL);
			if (!set) {
				ret = -ENOMEM;
				goto out;
			}
		}
		set[n++] = f;
	}
	sort(set, n, sizeof(*set), fn_cmp, NULL);
	ret = kpart_pci_check_cpus(p, p->cpus, n, why, sizeof(why));
	pci_lock_rescan_remove();
	for (i = 0; i < n && !ret; i++)
		ret = check_fn(p, &set[i], set, n, why, sizeof(why));
	pci_unlock_rescan_remove();
	if (ret) {
		kp_err(p, "devices refused: %s", why);
		goto out;
	}
	swap(p->pci, set);
	p->nr_pci = n;
out:
	kfree(set);
	return ret;
}

void kpart_pci_show(struct kpart_partition *p, struct seq_file *sf)
{
	unsigned int i;

	for (i = 0; i < p->nr_pci; i++)
		seq_printf(sf, "%s\n", p->pci[i].addr);
}

/* Every claimed function, sorted: "ADDR PARTITION claimed|owned" */
void kpart_pci_show_all(struct seq_file *sf)
{
	struct { struct kpart_pci_fn *f; struct kpart_partition *p; } *all, t;
	struct kpart_partition *p;
	unsigned int n = 0, i, j;

	list_for_each_entry(p, &kpart_partitions, node)
		n += p->nr_pci;
	all = kcalloc(n ?: 1, sizeof(*all), GFP_KERNEL);
	if (!all)
		return;
	n = 0;
	list_for_each_entry(p, &kpart_partitions, node)
		for (i = 0; i < p->nr_pci; i++) {
			all[n].f = &p->pci[i];
			all[n++].p = p;
		}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && fn_key(all[j - 1].f) > fn_key(all[j].f); j--) {
			t = all[j];
			all[j] = all[j - 1];
			all[j - 1] = t;
		}
	for (i = 0; i < n; i++)
		seq_printf(sf, "%s %s %s\n", all[i].f->addr, all[i].p->name,
			   all[i].f->owned ? "owned" : "claimed");
	kfree(all);
}

void kpart_pci_release(struct kpart_partition *p)
{
	kfree(p->pci);
	p->pci = NULL;
	p->nr_pci = 0;
}

/* ---- hand-off and give-back ------------------------------------------- */

static void hold_bars(struct kpart_partition *p, struct kpart_pci_fn *f)
{
	unsigned int i;

	for (i = 0; i < KPART_PCI_BARS; i++) {
		struct kpart_pci_bar *b = &f->bars[i];
		struct resource *r;

		if (!b->size)
			continue;
		r = kzalloc(sizeof(*r), GFP_KERNEL);
		if (!r)
			continue;
		r->name = p->name;
		r->start = b->base;
		r->end = b->base + b->size - 1;
		r->flags = (b->flags & KPART_PCI_BAR_IO ? IORESOURCE_IO : IORESOURCE_MEM) |
			   IORESOURCE_BUSY;
		if (insert_resource(b->flags & KPART_PCI_BAR_IO ? &ioport_resource :
				    &iomem_resource, r)) {
			kfree(r);
			continue;
		}
		f->held[i] = r;
	}
}

static void release_bars(struct kpart_pci_fn *f)
{
	unsigned int i;

	for (i = 0; i < KPART_PCI_BARS; i++) {
		if (!f->held[i])
			continue;
		release_resource(f->held[i]);
		kfree(f->held[i]);
		f->held[i] = NULL;
	}
}

static void record_bars(struct kpart_pci_fn *f, struct pci_dev *pdev)
{
	unsigned int i;

	for (i = 0; i < KPART_PCI_BARS; i++) {
		const struct resource *r = &pdev->resource[i];
		struct kpart_pci_bar *b = &f->bars[i];

		pci_read_config_dword(pdev, PCI_BASE_ADDRESS_0 + 4 * i, &f->saved_bars[i]);
		memset(b, 0, sizeof(*b));
		if (!r->flags || !resource_size(r) || !r->start)
			continue;
		b->base = r->start;
		b->size = resource_size(r);
		if (r->flags & IORESOURCE_IO) {
			b->flags = KPART_PCI_BAR_IO;
		} else {
			b->flags = KPART_PCI_BAR_MEM;
			if (r->flags & IORESOURCE_PREFETCH)
				b->flags |= KPART_PCI_BAR_PREFETCH;
			if (r->flags & IORESOURCE_MEM_64)
				b->flags |= KPART_PCI_BAR_64;
		}
	}
}

/* Take one function from the boot kernel; rescan lock held */
static int take_fn(struct kpart_partition *p, struct kpart_pci_fn *f,
		   struct kpart_pci_dev *rec)
{
	struct pci_dev *pdev;
	char why[224];
	int ret;

	ret = check_fn(p, f, p->pci, p->nr_pci, why, sizeof(why));
	if (ret) {
		kp_err(p, "start refused: %s", why);
		return ret;
	}
	pdev = pci_get_domain_bus_and_slot(f->seg, f->bus, f->devfn);
	if (!pdev)
		return -ENODEV;
	if (pdev->dev.driver)
		kp_info(p, "%s: unbinding %s", f->addr, pdev->dev.driver->name);
	device_release_driver(&pdev->dev);
	pci_set_power_state(pdev, PCI_D0);
	ret = pci_reset_function(pdev);
	if (ret)
		kp_info(p, "%s: no reset method (%d): Bus Master off only",
			f->addr, ret);
	pci_clear_master(pdev);
	f->vendor = pdev->vendor;
	f->device = pdev->device;
	record_bars(f, pdev);

	memset(rec, 0, sizeof(*rec));
	rec->segment = f->seg;
	rec->bus = f->bus;
	rec->devfn = f->devfn;
	rec->vendor = f->vendor;
	rec->device = f->device;
	rec->ecam_base = ecam_base(f->seg, f->bus);
	memcpy(rec->bars, f->bars, sizeof(rec->bars));

	ret = kpart_pci_set_owned(f->seg, f->bus, f->devfn, true);
	if (ret) {
		pci_dev_put(pdev);
		return ret;
	}
	pci_stop_and_remove_bus_device(pdev);
	pci_dev_put(pdev);
	f->owned = true;
	hold_bars(p, f);
	return 0;
}

/* Turn Bus Master and decoding off: no DMA, no MSI from here on */
void kpart_pci_quiesce(struct kpart_partition *p)
{
	struct pci_bus *bus;
	unsigned int i;

	for (i = 0; i < p->nr_pci; i++) {
		struct kpart_pci_fn *f = &p->pci[i];

		if (!f->owned)
			continue;
		bus = pci_find_bus(f->seg, f->bus);
		if (bus)
			pci_bus_write_config_word(bus, f->devfn, PCI_COMMAND,
						  PCI_COMMAND_INTX_DISABLE);
	}
}

/* Give one function back: reset, BARs as before, scanned back in */
static void give_back_fn(struct kpart_partition *p, struct kpart_pci_fn *f)
{
	struct pci_dev *pdev;
	struct pci_bus *bus;
	unsigned int i;
	int ret;

	release_bars(f);
	kpart_pci_set_owned(f->seg, f->bus, f->devfn, false);
	f->owned = false;
	bus = pci_find_bus(f->seg, f->bus);
	if (!bus) {
		kp_err(p, "%s: its bus is gone; not given back", f->addr);
		return;
	}
	pci_bus_write_config_word(bus, f->devfn, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
	for (i = 0; i < KPART_PCI_BARS; i++)
		pci_bus_write_config_dword(bus, f->devfn, PCI_BASE_ADDRESS_0 + 4 * i,
					   f->saved_bars[i]);
	pdev = pci_scan_single_device(bus, f->devfn);
	if (!pdev) {
		kp_err(p, "%s: not found when scanned back in", f->addr);
		return;
	}
	ret = pci_reset_function(pdev);
	for (i = 0; i < PCI_NUM_RESOURCES; i++)
		if (pdev->resource[i].flags && !pdev->resource[i].parent &&
		    resource_size(&pdev->resource[i]))
			pci_claim_resource(pdev, i);
	pci_assign_unassigned_bus_resources(bus);
	pci_bus_add_device(pdev);
	kp_info(p, "%s back in the boot kernel (%s)", f->addr,
		ret ? "no reset method" : "reset");
}

/*
 * After the partition's CPUs are back. @cpus_lost: some did not come
 * back and may still run the partition's code: its functions stay owned
 * (removed, Bus Master off) like its quarantined memory.
 */
void kpart_pci_give_back(struct kpart_partition *p, bool cpus_lost)
{
	unsigned int i;

	if (cpus_lost) {
		for (i = 0; i < p->nr_pci; i++)
			if (p->pci[i].owned)
				kp_err(p, "%s stays out of the boot kernel: a CPU of the partition did not come back",
				       p->pci[i].addr);
		return;
	}
	pci_lock_rescan_remove();
	for (i = 0; i < p->nr_pci; i++)
		if (p->pci[i].owned)
			give_back_fn(p, &p->pci[i]);
	pci_unlock_rescan_remove();
}

/*
 * At start, before the CPUs are taken: hand every function over and list
 * it in the descriptor. On error nothing is held.
 */
int kpart_pci_take(struct kpart_partition *p)
{
	struct kpart_pci_dev *recs;
	unsigned int i;
	int ret = 0;

	BUILD_BUG_ON(sizeof(struct setup_data) + sizeof(struct kpart_desc) >
		     KPART_OFF_DEVICES);
	BUILD_BUG_ON(KPART_OFF_DEVICES + KPART_PCI_DEVS_MAX * sizeof(*recs) >
		     KPART_OFF_MEMMAP);
	if (!p->nr_pci)
		return 0;
	recs = __va(p->mem_base + KPART_OFF_DEVICES);
	pci_lock_rescan_remove();
	for (i = 0; i < p->nr_pci && !ret; i++)
		ret = take_fn(p, &p->pci[i], &recs[i]);
	pci_unlock_rescan_remove();
	if (ret) {
		kpart_pci_give_back(p, false);
		return ret;
	}
	p->desc->devices_base = p->mem_base + KPART_OFF_DEVICES;
	p->desc->nr_devices = p->nr_pci;
	kp_info(p, "%u PCI functions handed over", p->nr_pci);
	return 0;
}
