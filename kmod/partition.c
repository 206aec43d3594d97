// SPDX-License-Identifier: GPL-2.0
/*
 * Partitions and their life cycle:
 *
 *   stopped --start--> starting --app kernel reached init--> running
 *   running/starting --stop--> stopping --app kernel parked--> stopped
 *   any running state --app kernel powers off/reboots--> stopped
 *   any running state --app kernel panics--> crashed
 *   any running state --kill--> stopped (CPUs reset, no cooperation)
 *   stopping --stop T kill, T s without stopping--> stopped (killed)
 *   any end where a CPU does not come back --> crashed, memory quarantined
 *
 * Memory and CPUs are held only while the partition is not stopped or
 * crashed; configuration (cpus, memory size) is a claim checked when it is
 * written, so that starting never competes with another partition.
 *
 * A monitor polls the descriptor every MONITOR_MS while the partition is
 * active (state changes the application kernel reports through it, the
 * channel's heartbeat and shutdown timeouts); host.c runs the channel.
 */
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/kernel_read_file.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/kpart.h>
#include "boot-x86/boot-x86.h"
#include "kpart.h"

#define MONITOR_MS		20
#define CRASH_GRACE_MS		300	/* let the panic message reach the UART */
#define STOP_TIMEOUT_S		60	/* a plain "stop" */
#define STOP_TIMEOUT_MAX_S	3600	/* "stop T": 1 <= T <= this */

/* Exit reasons the module adds to the application kernel's own */
#define KPART_EXIT_STOP		100
#define KPART_EXIT_KILLED	101
#define KPART_EXIT_ENTRY_FAULT	102	/* vector in p->fault_vector */
#define KPART_EXIT_STOP_TIMEOUT	103	/* "stop T kill" ran out of time */

static bool test_entry_fault;
module_param(test_entry_fault, bool, 0600);
MODULE_PARM_DESC(test_entry_fault,
		 "Test only: the next start's first CPU faults (#UD) in the entry path");

DEFINE_MUTEX(kpart_lock);
LIST_HEAD(kpart_partitions);

const char *kpart_state_name(enum kpart_state s)
{
	static const char * const names[] = {
		[KPART_STOPPED] = "stopped",
		[KPART_STARTING] = "starting",
		[KPART_RUNNING] = "running",
		[KPART_STOPPING] = "stopping",
		[KPART_CRASHED] = "crashed",
	};

	return names[s];
}

const char *kpart_exit_name(unsigned int reason)
{
	switch (reason) {
	case KPART_EXIT_POWEROFF:	return "poweroff";
	case KPART_EXIT_REBOOT:		return "reboot";
	case KPART_EXIT_HALT:		return "halt";
	case KPART_EXIT_PANIC:		return "panic";
	case KPART_EXIT_VERSION:	return "descriptor version";
	case KPART_EXIT_STOP:		return "stop";
	case KPART_EXIT_KILLED:		return "killed";
	case KPART_EXIT_ENTRY_FAULT:	return "entry fault";
	case KPART_EXIT_STOP_TIMEOUT:	return "stop timeout";
	default:			return "none";
	}
}

/*
 * exit_reason as shown in kernfs: the vector is part of an entry fault,
 * and "; memory quarantined" follows when a CPU did not come back.
 */
int kpart_exit_reason_str(const struct kpart_partition *p, char *buf, size_t len)
{
	unsigned int reason = READ_ONCE(p->exit_reason);
	const char *q = READ_ONCE(p->mem_quarantined) ? "; memory quarantined" : "";

	if (reason == KPART_EXIT_ENTRY_FAULT)
		return scnprintf(buf, len, "entry fault vector %u%s", p->fault_vector, q);
	return scnprintf(buf, len, "%s%s", kpart_exit_name(reason), q);
}

static const char *vector_name(unsigned int v)
{
	static const char * const names[] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF",
		"CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "reserved", "#MF", "#AC",
		"#MC", "#XM", "#VE", "#CP",
	};

	return v < ARRAY_SIZE(names) ? names[v] : "reserved";
}

bool kpart_partition_busy(const struct kpart_partition *p)
{
	return p->state != KPART_STOPPED && p->state != KPART_CRASHED;
}

static void set_state(struct kpart_partition *p, enum kpart_state s)
{
	p->state = s;
	kpart_fs_notify_state(p);
	kpart_netlink_event(p);
	wake_up_all(&p->wait);
}

static void monitor_fn(struct work_struct *work);

struct kpart_partition *kpart_partition_create(const char *name)
{
	struct kpart_partition *p;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return NULL;
	if (!zalloc_cpumask_var(&p->cpus, GFP_KERNEL)) {
		kfree(p);
		return NULL;
	}
	strscpy(p->name, name, sizeof(p->name));
	p->numa_node = NUMA_NO_NODE;
	p->cmdline = kstrdup("", GFP_KERNEL);
	p->kernel = kstrdup("", GFP_KERNEL);
	p->initrd = kstrdup("", GFP_KERNEL);
	if (!p->cmdline || !p->kernel || !p->initrd) {
		kpart_partition_destroy(p);
		return NULL;
	}
	INIT_DELAYED_WORK(&p->monitor, monitor_fn);
	init_waitqueue_head(&p->wait);
	if (kpart_host_chan_create(p)) {
		kpart_partition_destroy(p);
		return NULL;
	}
	return p;
}

void kpart_partition_destroy(struct kpart_partition *p)
{
	kpart_host_dev_unregister(p);
	kpart_host_chan_destroy(p);
	kpart_cpus_release_claims(p);
	kpart_pci_release(p);
	free_cpumask_var(p->cpus);
	kfree(p->cmdline);
	kfree(p->kernel);
	kfree(p->initrd);
	kfree(p);
}

struct kpart_partition *kpart_partition_find(const char *name)
{
	struct kpart_partition *p;

	list_for_each_entry(p, &kpart_partitions, node)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

/*
 * Give CPUs and memory back to the boot kernel: every CPU gets INIT, and
 * the memory goes back only once each CPU is confirmed online here. When
 * one is not, the memory is quarantined (never reused while the module is
 * loaded, and the module stays loaded) and the partition ends crashed.
 */
static void reclaim(struct kpart_partition *p, enum kpart_state final,
		    unsigned int reason)
{
	static struct cpumask lost;	/* under kpart_lock */
	u64 bytes;

	kpart_host_chan_stop(p, final == KPART_CRASHED ? "partition crashed" :
			     "partition stopped");
	p->exit_reason = reason;
	/* No DMA or MSI from its devices while its CPUs come back */
	kpart_pci_quiesce(p);
	if (kpart_cpus_give_back(p, &lost)) {
		kpart_pci_give_back(p, true);
		bytes = kpart_pool_quarantine(p);
		WRITE_ONCE(p->mem_quarantined, true);
		p->mem_base = 0;
		p->desc = NULL;
		kp_err(p, "crashed (%s); CPUs %*pbl did not come back to the boot kernel: %llu MiB of its memory quarantined, never to be reused (%llu MiB in all)",
		       kpart_exit_name(reason), cpumask_pr_args(&lost), bytes >> 20,
		       kpart_pool_quarantined() >> 20);
		/* No module_put(): unloading would forget the quarantine */
		set_state(p, KPART_CRASHED);
		return;
	}
	/* Reset and scanned back in before its memory can go to anyone */
	kpart_pci_give_back(p, false);
	kpart_pool_give_back(p);
	p->mem_base = 0;
	p->desc = NULL;
	kp_info(p, "%s (%s); CPUs %*pbl back online, %llu MiB back in the pool",
		kpart_state_name(final), kpart_exit_name(reason),
		cpumask_pr_args(p->cpus), p->mem_size >> 20);
	set_state(p, final);
	module_put(THIS_MODULE);
}

/*
 * A CPU took an exception on its way into the new kernel, before that
 * kernel had an IDT of its own: the entry IDT recorded it and halted the
 * CPU. The partition is over; INIT brings its CPUs back.
 */
static bool check_entry_fault(struct kpart_partition *p)
{
	u32 fault = READ_ONCE(p->desc->entry_fault);

	if (!fault)
		return false;
	/* Pairs with the lock cmpxchg in entry.S: RIP and error code follow */
	smp_rmb();
	p->fault_vector = fault - 1;
	kp_err(p, "a CPU faulted in the entry path: vector %u (%s) at %#llx, error code %#llx",
	       p->fault_vector, vector_name(p->fault_vector),
	       READ_ONCE(p->desc->entry_fault_rip), READ_ONCE(p->desc->entry_fault_error));
	reclaim(p, KPART_CRASHED, KPART_EXIT_ENTRY_FAULT);
	return true;
}

static void monitor_fn(struct work_struct *work)
{
	struct kpart_partition *p = container_of(to_delayed_work(work),
						 struct kpart_partition, monitor);
	static const unsigned int grace = CRASH_GRACE_MS / MONITOR_MS;
	unsigned int app_state, reason;

	mutex_lock(&kpart_lock);
	if (!kpart_partition_busy(p))
		goto out;
	if (check_entry_fault(p))
		goto out;

	app_state = READ_ONCE(p->desc->state);
	/* Pairs with the application kernel's smp_wmb(): state, then reason */
	smp_rmb();
	reason = READ_ONCE(p->desc->exit_reason);
	switch (app_state) {
	case KPART_STATE_RUNNING:
		if (p->state == KPART_STARTING) {
			p->ready_ns = ktime_get_ns();
			p->boot_count++;
			kp_info(p, "running (init reached %llu ms after start)",
				(p->ready_ns - p->start_ns) / NSEC_PER_MSEC);
			set_state(p, KPART_RUNNING);
		}
		break;
	case KPART_STATE_STOPPED:
		reclaim(p, KPART_STOPPED, p->stop_requested ?
			KPART_EXIT_STOP : reason);
		goto out;
	case KPART_STATE_CRASHED:
		if (p->crash_ticks++ < grace)
			break;
		if (reason == KPART_EXIT_VERSION)
			kp_err(p, "the application kernel does not understand descriptor version %u",
			       KPART_DESC_VERSION);
		reclaim(p, KPART_CRASHED, reason == KPART_EXIT_VERSION ?
			KPART_EXIT_VERSION : KPART_EXIT_PANIC);
		goto out;
	}
	kpart_host_chan_monitor(p);
	schedule_delayed_work(&p->monitor, msecs_to_jiffies(MONITOR_MS));
out:
	mutex_unlock(&kpart_lock);
}

/*
 * Where the initrd goes: the top of the boot range when it fits above the
 * kernel, else the top of the largest other range that holds it.
 */
static u64 place_initrd(const struct kpart_partition *p, u64 kernel_end, u64 len)
{
	const struct kpart_boot_range *r = &p->ranges[0];
	u64 addr = (r->base + r->size - len) & PAGE_MASK;
	u64 best = 0, best_size = 0;
	unsigned int i;

	if (len <= r->size && addr >= kernel_end)
		return addr;
	for (i = 1; i < p->nr_ranges; i++) {
		r = &p->ranges[i];
		if (r->size >= PAGE_ALIGN(len) && r->size > best_size) {
			best = (r->base + r->size - len) & PAGE_MASK;
			best_size = r->size;
		}
	}
	return best;
}

static int copy_initrd(struct kpart_partition *p, const struct kpart_images *im,
		       u64 kernel_end, u64 *addr, u64 *size)
{
	*addr = *size = 0;
	if (!im->initrd)
		return 0;
	*addr = place_initrd(p, kernel_end, im->initrd_len);
	if (!*addr) {
		kp_err(p, "no range of the partition's memory holds the kernel and the %zu byte initrd",
		       im->initrd_len);
		return -E2BIG;
	}
	memcpy(__va(*addr), im->initrd, im->initrd_len);
	*size = im->initrd_len;
	return 0;
}

/*
 * Read a whole regular file. Opened with O_NONBLOCK, so that a FIFO (or a
 * device) put at the path since it was checked fails the type check
 * instead of blocking the open.
 */
static ssize_t read_whole(struct kpart_partition *p, const char *what,
			  const char *path, void **buf, enum kernel_read_file_id id)
{
	struct file *f;
	ssize_t len;

	f = filp_open(path, O_RDONLY | O_NONBLOCK, 0);
	if (IS_ERR(f)) {
		kp_err(p, "cannot open %s %s: %ld", what, path, PTR_ERR(f));
		return PTR_ERR(f);
	}
	if (!S_ISREG(file_inode(f)->i_mode)) {
		kp_err(p, "%s %s is not a regular file", what, path);
		fput(f);
		return -EINVAL;
	}
	len = kernel_read_file(f, 0, buf, INT_MAX, NULL, id);
	fput(f);
	if (len < 0)
		kp_err(p, "cannot read %s %s: %zd", what, path, len);
	return len;
}

/*
 * Read the kernel and the initrd a start needs, without kpart_lock: a
 * slow or stuck file holds up this writer only, never the monitor or the
 * other partitions. The paths are those set at the time of the call.
 * Leaves @im empty, for kpart_partition_start() to refuse, when the
 * partition is busy or not configured.
 */
int kpart_images_load(struct kpart_partition *p, struct kpart_images *im)
{
	char *kernel = NULL, *initrd = NULL;
	ssize_t len;
	int ret = 0;

	mutex_lock(&kpart_lock);
	if (!kpart_partition_busy(p) && p->kernel[0]) {
		kernel = kstrdup(p->kernel, GFP_KERNEL);
		initrd = kstrdup(p->initrd, GFP_KERNEL);
		if (!kernel || !initrd)
			ret = -ENOMEM;
	}
	mutex_unlock(&kpart_lock);
	if (ret || !kernel)
		goto out;

	len = read_whole(p, "kernel", kernel, &im->kernel, READING_KEXEC_IMAGE);
	if (len < 0) {
		ret = len;
		goto out;
	}
	im->kernel_len = len;
	if (initrd[0]) {
		len = read_whole(p, "initrd", initrd, &im->initrd,
				 READING_KEXEC_INITRAMFS);
		if (len < 0) {
			ret = len;
			goto out;
		}
		im->initrd_len = len;
	}
out:
	if (ret)
		kpart_images_free(im);
	kfree(kernel);
	kfree(initrd);
	return ret;
}

void kpart_images_free(struct kpart_images *im)
{
	vfree(im->kernel);
	vfree(im->initrd);
	memset(im, 0, sizeof(*im));
}

/*
 * Lay the partition out in its memory and release its first CPU into the
 * new kernel. Returns once the CPU is on its way; the monitor follows the
 * boot. On error nothing is held.
 */
int kpart_partition_start(struct kpart_partition *p, const struct kpart_images *im)
{
	struct kpart_boot_spec spec = { .name = p->name };
	struct kpart_bzimage img;
	struct kpart_cpu_mailbox *boot_cpu;
	const char *why = NULL;
	char why_pci[224];
	u32 *apic_ids = NULL;
	int *cpu_nids = NULL;
	unsigned int cpu, n = 0;
	u64 root;
	int ret;

	lockdep_assert_held(&kpart_lock);
	if (kpart_partition_busy(p)) {
		kp_err(p, "start refused: partition is %s", kpart_state_name(p->state));
		return -EBUSY;
	}
	if (cpumask_empty(p->cpus) || !p->mem_size || !p->kernel[0] || !im->kernel) {
		kp_err(p, "start refused: set cpus, memory and kernel first");
		return -EINVAL;
	}
	/* The configuration may have changed since the images were read */
	if ((p->initrd[0] && !im->initrd) || (!p->initrd[0] && im->initrd)) {
		kp_err(p, "start refused: initrd changed while starting");
		return -EAGAIN;
	}
	if (im->initrd_len >= p->mem_size) {
		kp_err(p, "initrd %s: %zu bytes do not fit in %llu MiB", p->initrd,
		       im->initrd_len, p->mem_size >> 20);
		return -E2BIG;
	}
	ret = kpart_start_blocked(p);
	if (ret)
		return ret;
	ret = kpart_pci_check_cpus(p, p->cpus, p->nr_pci, why_pci, sizeof(why_pci));
	if (ret) {
		kp_err(p, "start refused: %s", why_pci);
		return ret;
	}
	if (!try_module_get(THIS_MODULE))
		return -ENODEV;
	apic_ids = kmalloc_array(cpumask_weight(p->cpus), sizeof(*apic_ids), GFP_KERNEL);
	cpu_nids = kmalloc_array(cpumask_weight(p->cpus), sizeof(*cpu_nids), GFP_KERNEL);
	if (!apic_ids || !cpu_nids) {
		ret = -ENOMEM;
		goto err_put;
	}
	for_each_cpu(cpu, p->cpus) {
		cpu_nids[n] = cpu_to_node(cpu);
		apic_ids[n++] = kpart_apic_id(cpu);
	}

	ret = kpart_bzimage_parse(im->kernel, im->kernel_len, &img, &why);
	if (ret) {
		kp_err(p, "%s: %s", p->kernel, why);
		goto err_put;
	}

	/* The boot range holds the boot area and the kernel at any alignment */
	ret = kpart_pool_take(p, kpart_kernel_end(0, n, &img) + img.alignment, &why);
	if (ret) {
		kp_err(p, "cannot take %llu MiB from the pool: %s", p->mem_size >> 20, why);
		goto err_put;
	}
	p->mem_base = p->ranges[0].base;
	ret = copy_initrd(p, im, kpart_kernel_end(p->mem_base, n, &img),
			  &spec.initrd_addr, &spec.initrd_size);
	if (ret)
		goto err_mem;

	spec.base = p->mem_base;
	spec.size = p->ranges[0].size;
	spec.ranges = p->ranges;
	spec.nr_ranges = p->nr_ranges;
	spec.apic_ids = apic_ids;
	spec.cpu_nids = cpu_nids;
	spec.nr_cpus = n;
	spec.image = &img;
	spec.cmdline = p->cmdline;
	spec.console_port = p->console_port;
	ret = kpart_build_boot_area(&spec, &why);
	if (!ret)
		ret = kpart_build_pgtable(&spec, &root, &why);
	if (ret) {
		kp_err(p, "%s", why);
		goto err_mem;
	}
	kfree(apic_ids);
	apic_ids = NULL;
	kfree(cpu_nids);
	cpu_nids = NULL;

	p->desc = kpart_desc_of(p->mem_base);
	p->desc->pgtable = root;
	ret = kpart_host_chan_start(p);
	if (ret)
		goto err_mem;
	ret = kpart_pci_take(p);
	if (ret)
		goto err_chan;
	ret = kpart_cpus_take(p);
	if (ret)
		goto err_pci;

	p->start_ns = ktime_get_ns();
	p->exit_reason = KPART_EXIT_NONE;
	p->mem_quarantined = false;
	p->crash_ticks = 0;
	p->stop_requested = false;
	boot_cpu = kpart_mailboxes_of(p->mem_base, n);
	if (test_entry_fault) {
		test_entry_fault = false;
		kp_info(p, "test: the first CPU will fault in the entry path");
		WRITE_ONCE(boot_cpu->entry, (unsigned long)kpart_entry_test_fault);
	} else {
		WRITE_ONCE(boot_cpu->entry,
			   kpart_kernel_load_addr(p->mem_base, n, &img) + 0x200);
	}
	WRITE_ONCE(boot_cpu->arg, p->mem_base + KPART_OFF_BOOT_PARAMS);
	/* Pairs with kpart_park()'s acquire: the CPU sees entry and arg */
	smp_store_release(&boot_cpu->state, KPART_CPU_GO);

	kp_info(p, "starting on CPUs %*pbl (APIC IDs from %u), %llu MiB in %u ranges from [mem %#llx-%#llx]",
		cpumask_pr_args(p->cpus), boot_cpu->apic_id, p->mem_size >> 20,
		p->nr_ranges, (u64)p->mem_base,
		(u64)(p->mem_base + p->ranges[0].size - 1));
	set_state(p, KPART_STARTING);
	schedule_delayed_work(&p->monitor, msecs_to_jiffies(MONITOR_MS));
	return 0;

err_pci:
	kpart_pci_quiesce(p);
	kpart_pci_give_back(p, false);
err_chan:
	kpart_host_chan_stop(p, "start failed");
err_mem:
	kpart_pool_give_back(p);
	p->mem_base = 0;
	p->desc = NULL;
err_put:
	kfree(apic_ids);
	kfree(cpu_nids);
	module_put(THIS_MODULE);
	return ret;
}

/*
 * Cooperative stop: ask the application kernel to power off and wait up
 * to @timeout_s for it to park its CPUs; then -ETIMEDOUT, or with @kill a
 * kill (exit reason "stop timeout"). Forced stop (kill): take the CPUs
 * back without asking. Called with kpart_lock held; drops it while waiting.
 */
int kpart_partition_stop_timeout(struct kpart_partition *p, unsigned int timeout_s,
				 bool kill)
{
	u64 run;
	long left;

	lockdep_assert_held(&kpart_lock);
	if (!timeout_s || timeout_s > STOP_TIMEOUT_MAX_S) {
		kp_err(p, "stop timeout %u s out of range (1-%d)", timeout_s,
		       STOP_TIMEOUT_MAX_S);
		return -EINVAL;
	}
	if (!kpart_partition_busy(p)) {
		kp_err(p, "stop refused: partition is %s", kpart_state_name(p->state));
		return -EINVAL;
	}
	if (p->state != KPART_STOPPING) {
		p->stop_requested = true;
		/* Over the channel when it is up, else through the descriptor */
		if (!kpart_host_chan_request_stop(p))
			WRITE_ONCE(p->desc->stop_request, 1);
		set_state(p, KPART_STOPPING);
	}
	run = p->start_ns;	/* which run this stop is for */
	mutex_unlock(&kpart_lock);
	left = wait_event_interruptible_timeout(p->wait, !kpart_partition_busy(p),
						(unsigned long)timeout_s * HZ);
	mutex_lock(&kpart_lock);
	if (left < 0)
		return left;
	if (left)
		return 0;
	/* The lock was dropped: the partition may have stopped, even started again */
	if (!kpart_partition_busy(p) || p->start_ns != run)
		return 0;
	if (kill) {
		kp_err(p, "did not stop within %u s: killing it", timeout_s);
		cancel_delayed_work(&p->monitor);
		reclaim(p, KPART_STOPPED, KPART_EXIT_STOP_TIMEOUT);
		return 0;
	}
	kp_err(p, "did not stop within %u s; 'kill' forces it", timeout_s);
	return -ETIMEDOUT;
}

/* "stop" (60 s, then -ETIMEDOUT) and "kill" (@force) */
int kpart_partition_stop(struct kpart_partition *p, bool force)
{
	lockdep_assert_held(&kpart_lock);
	if (!force)
		return kpart_partition_stop_timeout(p, STOP_TIMEOUT_S, false);
	if (!kpart_partition_busy(p)) {
		kp_err(p, "stop refused: partition is %s", kpart_state_name(p->state));
		return -EINVAL;
	}
	cancel_delayed_work(&p->monitor);
	reclaim(p, KPART_STOPPED, KPART_EXIT_KILLED);
	return 0;
}

/* Module exit: nothing may keep running on memory the pool gives up. */
void kpart_stop_all(void)
{
	struct kpart_partition *p;

	mutex_lock(&kpart_lock);
	list_for_each_entry(p, &kpart_partitions, node)
		if (kpart_partition_busy(p))
			kpart_partition_stop(p, true);
	mutex_unlock(&kpart_lock);
}

/*
 * Set while the boot kernel suspends, hibernates or goes down: a start
 * then would leave a kernel running in memory the next kernel (or the
 * resumed image) may use. Under kpart_lock.
 */
static const char *starts_blocked;

int kpart_start_blocked(struct kpart_partition *p)
{
	lockdep_assert_held(&kpart_lock);
	if (!starts_blocked)
		return 0;
	kp_err(p, "start refused: the boot kernel %s", starts_blocked);
	return -EBUSY;
}

/*
 * The boot kernel reboots, halts, powers off or kexecs: nothing may go on
 * running on memory and CPUs the firmware or the next kernel will use.
 * Every busy partition is asked to power off, all at once; those that
 * have not stopped after @timeout_ms are killed. No start from here on.
 */
void kpart_shutdown_all(const char *why, unsigned int timeout_ms)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms);
	struct kpart_partition *p;
	bool busy = false;

	mutex_lock(&kpart_lock);
	starts_blocked = why;
	list_for_each_entry(p, &kpart_partitions, node) {
		if (!kpart_partition_busy(p))
			continue;
		busy = true;
		kp_info(p, "stopping: the boot kernel %s", why);
		if (p->state == KPART_STOPPING)
			continue;
		p->stop_requested = true;
		if (!kpart_host_chan_request_stop(p))
			WRITE_ONCE(p->desc->stop_request, 1);
		set_state(p, KPART_STOPPING);
	}
	mutex_unlock(&kpart_lock);

	while (busy && time_before(jiffies, deadline)) {
		msleep(MONITOR_MS);
		busy = false;
		mutex_lock(&kpart_lock);
		list_for_each_entry(p, &kpart_partitions, node)
			busy |= kpart_partition_busy(p);
		mutex_unlock(&kpart_lock);
	}

	mutex_lock(&kpart_lock);
	list_for_each_entry(p, &kpart_partitions, node) {
		if (!kpart_partition_busy(p))
			continue;
		kp_err(p, "did not stop within %u ms while the boot kernel %s: killing it",
		       timeout_ms, why);
		kpart_partition_stop(p, true);
	}
	mutex_unlock(&kpart_lock);
}

/*
 * Suspend and hibernation: refused while a partition is busy (its kernel
 * runs on CPUs the boot kernel would take down and on memory a resumed
 * image may not expect), and no start until resume.
 */
int kpart_pm_block(bool block)
{
	struct kpart_partition *p;
	int ret = 0;

	mutex_lock(&kpart_lock);
	if (!block) {
		starts_blocked = NULL;
		goto out;
	}
	list_for_each_entry(p, &kpart_partitions, node)
		if (kpart_partition_busy(p)) {
			kp_err(p, "is %s: the boot kernel cannot suspend or hibernate; stop it first",
			       kpart_state_name(p->state));
			ret = -EBUSY;
		}
	if (!ret)
		starts_blocked = "is suspending";
out:
	mutex_unlock(&kpart_lock);
	return ret;
}
