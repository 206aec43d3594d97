// SPDX-License-Identifier: GPL-2.0
/*
 * The control filesystem, a kernfs mounted at /sys/fs/kpart. mkdir creates
 * a partition, rmdir deletes it, and one small file per setting follows the
 * sysfs habit of one value per file. docs/interfaces.md documents each file.
 *
 * Every write either takes effect completely or returns an error, leaves
 * the old value in place and logs one line "kpart: NAME: what was wrong".
 */
#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/kernfs.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/user_namespace.h>
#include "boot-x86/boot-x86.h"
#include "chan.h"
#include "kpart.h"

#define KPART_SUPER_MAGIC	0x6b706172	/* "kpar" */

static struct kernfs_root *kpart_root;

/* ---- helpers ---------------------------------------------------------- */

static struct kpart_partition *of_part(struct kernfs_open_file *of)
{
	return of->kn->priv;
}

static struct kpart_partition *sf_part(struct seq_file *sf)
{
	return of_part(sf->private);
}

/*
 * Take the lock for a write to @p's file; fails if the partition is being
 * deleted. Writes to a running partition's resources are refused.
 */
static int lock_part(struct kpart_partition *p, bool need_stopped,
		     const char *what)
{
	mutex_lock(&kpart_lock);
	if (p->dying) {
		mutex_unlock(&kpart_lock);
		return -ENODEV;
	}
	if (need_stopped && kpart_partition_busy(p)) {
		kp_err(p, "cannot change %s while %s", what,
		       kpart_state_name(p->state));
		mutex_unlock(&kpart_lock);
		return -EBUSY;
	}
	return 0;
}

static int replace_string(char **field, const char *val)
{
	char *copy = kstrdup(val, GFP_KERNEL);

	if (!copy)
		return -ENOMEM;
	kfree(*field);
	*field = copy;
	return 0;
}

/* ---- top-level files -------------------------------------------------- */

static int f_version_show(struct seq_file *sf, void *v)
{
	seq_printf(sf, "%d\n", KPART_IFACE_VERSION);
	return 0;
}

static int f_pool_size_show(struct seq_file *sf, void *v)
{
	seq_printf(sf, "%llu\n", kpart_pool_size());
	return 0;
}

static int f_pool_free_show(struct seq_file *sf, void *v)
{
	seq_printf(sf, "%llu\n", kpart_pool_free());
	return 0;
}

/* Partition memory not promised to configured partitions, all nodes */
static int f_pool_available_show(struct seq_file *sf, void *v)
{
	struct kpart_pool_stats st;
	u64 avail = 0;
	int nid;

	mutex_lock(&kpart_lock);
	for (nid = 0; nid < nr_node_ids; nid++) {
		u64 committed;

		kpart_pool_node_stats(nid, &st);
		if (!st.size)
			continue;
		committed = kpart_pool_committed(nid);
		avail += st.size > committed ? st.size - committed : 0;
	}
	mutex_unlock(&kpart_lock);
	seq_printf(sf, "%llu\n", avail);
	return 0;
}

/* Memory kept from reuse because a CPU did not come back (pool.c) */
static int f_pool_quarantined_show(struct seq_file *sf, void *v)
{
	mutex_lock(&kpart_lock);
	seq_printf(sf, "%llu\n", kpart_pool_quarantined());
	mutex_unlock(&kpart_lock);
	return 0;
}

static int f_pool_range_show(struct seq_file *sf, void *v)
{
	kpart_pool_show_ranges(sf);
	return 0;
}

/* Memory waiting to be zeroed, and what zeroing has cost (pool.c) */
static int f_pool_scrub_show(struct seq_file *sf, void *v)
{
	mutex_lock(&kpart_lock);
	kpart_pool_show_scrub(sf);
	mutex_unlock(&kpart_lock);
	return 0;
}

/*
 * One line per node with pool, then the low reserve:
 *   node N size S free F committed C largest L ranges R
 *   low size S free F ranges R
 */
static int f_pool_nodes_show(struct seq_file *sf, void *v)
{
	struct kpart_pool_stats st;
	int nid;

	mutex_lock(&kpart_lock);
	for (nid = 0; nid < nr_node_ids; nid++) {
		kpart_pool_node_stats(nid, &st);
		if (!st.size)
			continue;
		seq_printf(sf, "node %d size %llu free %llu committed %llu largest %llu ranges %u\n",
			   nid, st.size, st.free, kpart_pool_committed(nid),
			   st.largest, st.ranges);
	}
	kpart_pool_low_stats(&st);
	if (st.size)
		seq_printf(sf, "low size %llu free %llu ranges %u\n", st.size,
			   st.free, st.ranges);
	mutex_unlock(&kpart_lock);
	return 0;
}

static int f_cpus_assigned_show(struct seq_file *sf, void *v)
{
	struct kpart_partition *p;
	cpumask_var_t all;

	if (!zalloc_cpumask_var(&all, GFP_KERNEL))
		return -ENOMEM;
	mutex_lock(&kpart_lock);
	list_for_each_entry(p, &kpart_partitions, node)
		cpumask_or(all, all, p->cpus);
	mutex_unlock(&kpart_lock);
	seq_printf(sf, "%*pbl\n", cpumask_pr_args(all));
	free_cpumask_var(all);
	return 0;
}

/* The present CPUs by core, one line each: "0-1", "2-3", ... */
static int f_cpu_cores_show(struct seq_file *sf, void *v)
{
	cpumask_var_t done, core;
	unsigned int cpu, other;

	if (!zalloc_cpumask_var(&done, GFP_KERNEL))
		return -ENOMEM;
	if (!zalloc_cpumask_var(&core, GFP_KERNEL)) {
		free_cpumask_var(done);
		return -ENOMEM;
	}
	for_each_present_cpu(cpu) {
		if (cpumask_test_cpu(cpu, done))
			continue;
		cpumask_clear(core);
		cpumask_set_cpu(cpu, core);
		for_each_present_cpu(other)
			if (kpart_cpu_siblings(cpu, other))
				cpumask_set_cpu(other, core);
		cpumask_or(done, done, core);
		seq_printf(sf, "%*pbl\n", cpumask_pr_args(core));
	}
	free_cpumask_var(core);
	free_cpumask_var(done);
	return 0;
}

/* ---- per-partition files ---------------------------------------------- */

static int f_cpus_show(struct seq_file *sf, void *v)
{
	struct kpart_partition *p = sf_part(sf);

	mutex_lock(&kpart_lock);
	seq_printf(sf, "%*pbl\n", cpumask_pr_args(p->cpus));
	mutex_unlock(&kpart_lock);
	return 0;
}

static ssize_t f_cpus_write(struct kernfs_open_file *of, char *buf,
			  size_t bytes, loff_t off)
{
	struct kpart_partition *p = of_part(of);
	const char *why = NULL;
	cpumask_var_t mask;
	char msg[224];
	int ret;

	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	buf = strim(buf);
	ret = cpulist_parse(buf, mask);
	if (ret == -ERANGE) {
		pr_err("kpart: %s: invalid cpulist '%s': CPUs are numbered below %u\n",
		       p->name, buf, nr_cpu_ids);
		ret = -EINVAL;
		goto out;
	} else if (ret) {
		pr_err("kpart: %s: invalid cpulist '%s'\n", p->name, buf);
		ret = -EINVAL;
		goto out;
	}
	ret = lock_part(p, true, "cpus");
	if (ret)
		goto out;
	/* Where its memory comes from may move with its CPUs */
	ret = kpart_pool_check(p, mask, p->numa_node, p->mem_size, msg, sizeof(msg));
	if (ret) {
		kp_err(p, "cpus '%s' refused: %s", buf, msg);
		mutex_unlock(&kpart_lock);
		goto out;
	}
	ret = kpart_pci_check_cpus(p, mask, p->nr_pci, msg, sizeof(msg));
	if (ret) {
		kp_err(p, "cpus '%s' refused: %s", buf, msg);
		mutex_unlock(&kpart_lock);
		goto out;
	}
	ret = kpart_cpus_claim(p, mask, &why);
	if (ret)
		kp_err(p, "cpus '%s' refused: %s", buf, why);
	else
		cpumask_copy(p->cpus, mask);
	mutex_unlock(&kpart_lock);
out:
	free_cpumask_var(mask);
	return ret ?: bytes;
}

static int f_smt_split_show(struct seq_file *sf, void *v)
{
	seq_printf(sf, "%d\n", READ_ONCE(sf_part(sf)->smt_split));
	return 0;
}

/*
 * 1 lets the partition's CPUs split a core's hardware threads with the
 * boot kernel or another partition: they then share its caches, TLBs and
 * branch predictors, a side channel between kernels and a source of noise.
 * Back to 0 only when the CPUs already set keep cores whole.
 */
static ssize_t f_smt_split_write(struct kernfs_open_file *of, char *buf,
				 size_t bytes, loff_t off)
{
	struct kpart_partition *p = of_part(of);
	unsigned int in, out;
	bool val;
	int ret;

	buf = strim(buf);
	if (kstrtobool(buf, &val)) {
		pr_err("kpart: %s: invalid smt_split '%s': 0 or 1\n", p->name, buf);
		return -EINVAL;
	}
	ret = lock_part(p, true, "smt_split");
	if (ret)
		return ret;
	out = val ? nr_cpu_ids : kpart_cpus_split_core(p->cpus, &in);
	if (out < nr_cpu_ids) {
		kp_err(p, "smt_split 0 refused: CPU %u shares a core with CPU %u, which the partition does not get",
		       in, out);
		ret = -EINVAL;
	} else {
		p->smt_split = val;
	}
	mutex_unlock(&kpart_lock);
	return ret ?: bytes;
}

static int f_apic_ids_show(struct seq_file *sf, void *v)
{
	struct kpart_partition *p = sf_part(sf);
	const char *sep = "";
	unsigned int cpu;

	mutex_lock(&kpart_lock);
	for_each_cpu(cpu, p->cpus) {
		seq_printf(sf, "%s%u", sep, kpart_apic_id(cpu));
		sep = " ";
	}
	mutex_unlock(&kpart_lock);
	seq_putc(sf, '\n');
	return 0;
}

static int f_memory_show(struct seq_file *sf, void *v)
{
	seq_printf(sf, "%llu\n", READ_ONCE(sf_part(sf)->mem_size));
	return 0;
}

/*
 * A size in bytes with an optional suffix K, M, G, T, P or E, like
 * memparse(), but an overflow is an error rather than a wrap: memparse()
 * reads 16E as 0. -ERANGE when the value does not fit in 64 bits rounded
 * up to 2 MiB.
 */
static int parse_size(char *buf, u64 *size)
{
	static const char suffixes[] = "KMGTPE";
	size_t len = strlen(buf);
	unsigned int shift = 0;
	bool hex = !strncasecmp(buf, "0x", 2);
	const char *sfx;
	u64 v;
	int ret;

	if (len > 1) {
		char c = toupper(buf[len - 1]);

		sfx = strchr(suffixes, c);
		if (c && sfx && !(hex && c == 'E')) {
			shift = 10 * (sfx - suffixes + 1);
			buf[len - 1] = '\0';
		}
	}
	ret = kstrtoull(buf, 0, &v);
	if (ret)
		return ret;
	if (v > (U64_MAX >> shift) || (v << shift) > round_down(U64_MAX, SZ_2M))
		return -ERANGE;
	*size = v << shift;
	return 0;
}

static ssize_t f_memory_write(struct kernfs_open_file *of, char *buf,
			    size_t bytes, loff_t off)
{
	struct kpart_partition *p = of_part(of);
	char val[32], msg[160];
	u64 size;
	int ret;

	buf = strim(buf);
	strscpy(val, buf, sizeof(val));
	ret = parse_size(buf, &size);
	if (ret == -ERANGE) {
		pr_err("kpart: %s: invalid memory size '%s': too large\n", p->name, val);
		return -EINVAL;
	} else if (ret) {
		pr_err("kpart: %s: invalid memory size '%s'\n", p->name, val);
		return -EINVAL;
	}
	size = ALIGN(size, SZ_2M);
	if (size && size < KPART_MIN_MEMORY) {
		kp_err(p, "memory %llu bytes is below the %lu MiB minimum", size,
		       KPART_MIN_MEMORY >> 20);
		return -EINVAL;
	}
	ret = lock_part(p, true, "memory");
	if (ret)
		return ret;
	ret = kpart_pool_check(p, p->cpus, p->numa_node, size, msg, sizeof(msg));
	if (ret)
		kp_err(p, "memory %llu MiB refused: %s", size >> 20, msg);
	else
		p->mem_size = size;
	mutex_unlock(&kpart_lock);
	return ret ?: bytes;
}

/* Every range of the partition's memory while it holds it, boot range first */
static int f_memory_range_show(struct seq_file *sf, void *v)
{
	struct kpart_partition *p = sf_part(sf);
	unsigned int i;

	mutex_lock(&kpart_lock);
	for (i = 0; i < p->nr_ranges; i++)
		seq_printf(sf, "%#llx-%#llx node %d\n", (u64)p->ranges[i].base,
			   (u64)(p->ranges[i].base + p->ranges[i].size - 1),
			   p->ranges[i].nid);
	if (!p->nr_ranges)
		seq_putc(sf, '\n');
	mutex_unlock(&kpart_lock);
	return 0;
}

static int f_numa_node_show(struct seq_file *sf, void *v)
{
	int nid = READ_ONCE(sf_part(sf)->numa_node);

	if (nid == NUMA_NO_NODE)
		seq_puts(sf, "auto\n");
	else
		seq_printf(sf, "%d\n", nid);
	return 0;
}

/* "auto": the nodes of its CPUs; N: all of its memory from node N */
static ssize_t f_numa_node_write(struct kernfs_open_file *of, char *buf,
				 size_t bytes, loff_t off)
{
	struct kpart_partition *p = of_part(of);
	char msg[160];
	int nid, ret;

	buf = strim(buf);
	if (!strcmp(buf, "auto") || !strcmp(buf, "-1")) {
		nid = NUMA_NO_NODE;
	} else if (kstrtoint(buf, 10, &nid) || nid < 0 || nid >= nr_node_ids) {
		pr_err("kpart: %s: invalid numa_node '%s': auto or a node number below %u\n",
		       p->name, buf, nr_node_ids);
		return -EINVAL;
	}
	ret = lock_part(p, true, "numa_node");
	if (ret)
		return ret;
	if (nid != NUMA_NO_NODE && !kpart_pool_has_node(nid)) {
		kp_err(p, "numa_node %d refused: the pool has no memory on node %d", nid, nid);
		ret = -EINVAL;
	} else {
		ret = kpart_pool_check(p, p->cpus, nid, p->mem_size, msg, sizeof(msg));
		if (ret)
			kp_err(p, "numa_node %s refused: %s", buf, msg);
		else
			p->numa_node = nid;
	}
	mutex_unlock(&kpart_lock);
	return ret ?: bytes;
}

/* Check that @path is an absolute path to a regular file; read its head. */
static int check_file(struct kpart_partition *p, const char *what,
		      const char *path, void *head, size_t head_len,
		      loff_t *size)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	if (path[0] != '/') {
		kp_err(p, "%s '%s' is not an absolute path", what, path);
		return -EINVAL;
	}
	/* A FIFO or device must not block the open */
	f = filp_open(path, O_RDONLY | O_NONBLOCK, 0);
	if (IS_ERR(f)) {
		kp_err(p, "%s '%s' cannot be opened: error %ld", what, path,
		       PTR_ERR(f));
		return PTR_ERR(f);
	}
	if (!S_ISREG(file_inode(f)->i_mode)) {
		kp_err(p, "%s '%s' is not a regular file", what, path);
		fput(f);
		return -EINVAL;
	}
	*size = i_size_read(file_inode(f));
	n = head_len ? kernel_read(f, head, head_len, &pos) : 0;
	fput(f);
	if (n < 0) {
		kp_err(p, "%s '%s' cannot be read: error %zd", what, path, n);
		return n;
	}
	if (n < head_len)
		memset(head + n, 0, head_len - n);
	return 0;
}

static int f_kernel_show(struct seq_file *sf, void *v)
{
	mutex_lock(&kpart_lock);
	seq_printf(sf, "%s\n", sf_part(sf)->kernel);
	mutex_unlock(&kpart_lock);
	return 0;
}

static ssize_t f_kernel_write(struct kernfs_open_file *of, char *buf,
			    size_t bytes, loff_t off)
{
	struct kpart_partition *p = of_part(of);
	struct kpart_bzimage img;
	const char *why;
	loff_t size;
	void *head;
	int ret;

	buf = strim(buf);
	head = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!head)
		return -ENOMEM;
	ret = *buf ? check_file(p, "kernel", buf, head, PAGE_SIZE, &size) : 0;
	if (!ret && *buf) {
		/* Header check only; start reads and checks the whole image */
		ret = kpart_bzimage_parse(head, size, &img, &why);
		if (ret)
			kp_err(p, "kernel '%s' is not a usable bzImage: %s", buf, why);
	}
	kfree(head);
	if (ret)
		return ret;
	ret = lock_part(p, true, "kernel");
	if (ret)
		return ret;
	ret = replace_string(&p->kernel, buf);
	mutex_unlock(&kpart_lock);
	return ret ?: bytes;
}

static int f_initrd_show(struct seq_file *sf, void *v)
{
	mutex_lock(&kpart_lock);
	seq_printf(sf, "%s\n", sf_part(sf)->initrd);
	mutex_unlock(&kpart_lock);
	return 0;
}

static ssize_t f_initrd_write(struct kernfs_open_file *of, char *buf,
			    size_t bytes, loff_t off)
{
	struct kpart_partition *p = of_part(of);
	loff_t size;
	int ret;

	buf = strim(buf);
	ret = *buf ? check_file(p, "initrd", buf, NULL, 0, &size) : 0;
	if (ret)
		return ret;
	ret = lock_part(p, true, "initrd");
	if (ret)
		return ret;
	ret = replace_string(&p->initrd, buf);
	mutex_unlock(&kpart_lock);
	return ret ?: bytes;
}

static int f_cmdline_show(struct seq_file *sf, void *v)
{
	mutex_lock(&kpart_lock);
	seq_printf(sf, "%s\n", sf_part(sf)->cmdline);
	mutex_unlock(&kpart_lock);
	return 0;
}

static ssize_t f_cmdline_write(struct kernfs_open_file *of, char *buf,
			     size_t bytes, loff_t off)
{
	struct kpart_partition *p = of_part(of);
	int ret;

	buf = strim(buf);
	if (strlen(buf) >= KPART_CMDLINE_MAX) {
		kp_err(p, "command line longer than %d bytes", KPART_CMDLINE_MAX - 1);
		return -E2BIG;
	}
	ret = lock_part(p, true, "cmdline");
	if (ret)
		return ret;
	ret = replace_string(&p->cmdline, buf);
	mutex_unlock(&kpart_lock);
	return ret ?: bytes;
}

static const u16 legacy_uarts[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };

static int f_console_show(struct seq_file *sf, void *v)
{
	u16 port = READ_ONCE(sf_part(sf)->console_port);
	int i;

	for (i = 0; i < ARRAY_SIZE(legacy_uarts); i++)
		if (legacy_uarts[i] == port) {
			seq_printf(sf, "ttyS%d\n", i);
			return 0;
		}
	if (port)
		seq_printf(sf, "io:%#x\n", port);
	else
		seq_puts(sf, "none\n");
	return 0;
}

static ssize_t f_console_write(struct kernfs_open_file *of, char *buf,
			     size_t bytes, loff_t off)
{
	struct kpart_partition *p = of_part(of);
	unsigned int idx;
	u16 port;
	int ret;

	buf = strim(buf);
	if (!strcmp(buf, "none")) {
		port = 0;
	} else if (!strncmp(buf, "ttyS", 4) && isdigit(buf[4]) &&
		   !kstrtouint(buf + 4, 10, &idx) && idx < ARRAY_SIZE(legacy_uarts)) {
		port = legacy_uarts[idx];
	} else if (!strncmp(buf, "io:", 3) && !kstrtou16(buf + 3, 0, &port) && port) {
		;
	} else {
		pr_err("kpart: %s: invalid console '%s' (none, ttyS0-3, io:PORT)\n",
		       p->name, buf);
		return -EINVAL;
	}
	if (port == 0x3f8)
		pr_warn("kpart: %s: console ttyS0 is usually the boot kernel's\n",
			p->name);
	ret = lock_part(p, true, "console");
	if (ret)
		return ret;
	p->console_port = port;
	mutex_unlock(&kpart_lock);
	return bytes;
}

/*
 * Whether this kernel lets a new kernel be started at all: lockdown
 * (LOCKDOWN_KEXEC, as for kexec) and the module's own one-way
 * start_disabled (kexec_load_disabled is not visible to modules).
 */
static bool start_disabled;

static int start_allowed(struct kpart_partition *p)
{
	int ret = security_locked_down(LOCKDOWN_KEXEC);

	if (ret) {
		kp_err(p, "start refused: the kernel is locked down (an unsigned kernel would run in ring 0)");
		return ret;
	}
	if (READ_ONCE(start_disabled)) {
		kp_err(p, "start refused: start_disabled is set");
		return -EPERM;
	}
	return 0;
}

/* "stop SECONDS" and "stop SECONDS kill"; kpart_lock held */
static int stop_timed(struct kpart_partition *p, char *args)
{
	char *secs = strsep(&args, " ");
	unsigned int t;
	bool kill = false;

	if (kstrtouint(secs, 10, &t))
		goto bad;
	if (args) {
		if (strcmp(skip_spaces(args), "kill"))
			goto bad;
		kill = true;
	}
	return kpart_partition_stop_timeout(p, t, kill);
bad:
	kp_err(p, "invalid stop command (stop, stop SECONDS, stop SECONDS kill)");
	return -EINVAL;
}

static ssize_t f_control_write(struct kernfs_open_file *of, char *buf,
			     size_t bytes, loff_t off)
{
	struct kpart_partition *p = of_part(of);
	int ret;

	buf = strim(buf);
	if (!strcmp(buf, "start")) {
		struct kpart_images im = {};

		/* Read the files without the lock: a slow file stalls only us */
		ret = start_allowed(p);
		if (!ret)
			ret = kpart_images_load(p, &im);
		if (!ret)
			ret = lock_part(p, false, NULL);
		if (!ret) {
			ret = kpart_partition_start(p, &im);
			mutex_unlock(&kpart_lock);
		}
		kpart_images_free(&im);
		return ret ?: bytes;
	}
	ret = lock_part(p, false, NULL);
	if (ret)
		return ret;
	if (!strcmp(buf, "stop")) {
		ret = kpart_partition_stop(p, false);
	} else if (!strncmp(buf, "stop ", 5)) {
		ret = stop_timed(p, buf + 5);
	} else if (!strcmp(buf, "kill")) {
		ret = kpart_partition_stop(p, true);
	} else {
		kp_err(p, "unknown control command '%s' (start, stop, kill)", buf);
		ret = -EINVAL;
	}
	mutex_unlock(&kpart_lock);
	return ret ?: bytes;
}

/* PCI functions, one address per line, sorted (pci.c) */
static int f_devices_show(struct seq_file *sf, void *v)
{
	mutex_lock(&kpart_lock);
	kpart_pci_show(sf_part(sf), sf);
	mutex_unlock(&kpart_lock);
	return 0;
}

/* The whole set, all or nothing; only while the partition is not busy */
static ssize_t f_devices_write(struct kernfs_open_file *of, char *buf,
			       size_t bytes, loff_t off)
{
	struct kpart_partition *p = of_part(of);
	int ret;

	ret = lock_part(p, true, "devices");
	if (ret)
		return ret;
	ret = kpart_pci_configure(p, buf);
	mutex_unlock(&kpart_lock);
	return ret ?: bytes;
}

/* Top level: every function a partition holds, and whether it has it yet */
static int f_all_devices_show(struct seq_file *sf, void *v)
{
	mutex_lock(&kpart_lock);
	kpart_pci_show_all(sf);
	mutex_unlock(&kpart_lock);
	return 0;
}

static int f_state_show(struct seq_file *sf, void *v)
{
	seq_printf(sf, "%s\n", kpart_state_name(READ_ONCE(sf_part(sf)->state)));
	return 0;
}

static int f_exit_reason_show(struct seq_file *sf, void *v)
{
	char buf[48];

	kpart_exit_reason_str(sf_part(sf), buf, sizeof(buf));
	seq_printf(sf, "%s\n", buf);
	return 0;
}

static int f_boot_count_show(struct seq_file *sf, void *v)
{
	seq_printf(sf, "%u\n", READ_ONCE(sf_part(sf)->boot_count));
	return 0;
}

static int f_boot_time_show(struct seq_file *sf, void *v)
{
	struct kpart_partition *p = sf_part(sf);

	mutex_lock(&kpart_lock);
	if (p->ready_ns > p->start_ns)
		seq_printf(sf, "%llu\n", (p->ready_ns - p->start_ns) / NSEC_PER_USEC);
	else
		seq_puts(sf, "0\n");
	mutex_unlock(&kpart_lock);
	return 0;
}

static int f_channel_show(struct seq_file *sf, void *v)
{
	char buf[192];

	kpart_host_chan_state(sf_part(sf), buf, sizeof(buf));
	seq_puts(sf, buf);
	return 0;
}

static int f_app_version_show(struct seq_file *sf, void *v)
{
	char buf[80];

	kpart_host_app_version(sf_part(sf), buf, sizeof(buf));
	seq_printf(sf, "%s\n", buf);
	return 0;
}

static int f_console_log_show(struct seq_file *sf, void *v)
{
	kpart_host_console_show(sf_part(sf), sf);
	return 0;
}

static int f_start_disabled_show(struct seq_file *sf, void *v)
{
	seq_printf(sf, "%d\n", READ_ONCE(start_disabled));
	return 0;
}

/* One way, like kexec_load_disabled: only a reboot clears it */
static ssize_t f_start_disabled_write(struct kernfs_open_file *of, char *buf,
				      size_t bytes, loff_t off)
{
	bool val;

	buf = strim(buf);
	if (kstrtobool(buf, &val)) {
		pr_err("kpart: invalid start_disabled '%s': 1 disables starts until reboot\n",
		       buf);
		return -EINVAL;
	}
	mutex_lock(&kpart_lock);
	if (!val && start_disabled) {
		mutex_unlock(&kpart_lock);
		pr_err("kpart: start_disabled cannot be cleared; it lasts until reboot\n");
		return -EPERM;
	}
	if (val && !start_disabled) {
		/* Unloading the module must not clear it either */
		__module_get(THIS_MODULE);
		WRITE_ONCE(start_disabled, true);
		pr_info("kpart: starting partitions disabled until reboot\n");
	}
	mutex_unlock(&kpart_lock);
	return bytes;
}

/* ---- file tables ------------------------------------------------------ */

/*
 * Every write goes through f_write(): the capability the file needs, held
 * by both the opener and the writer (a descriptor passed to a less
 * privileged process, or a setuid program's stdout, is no way around it),
 * and no NUL byte in the value (the handlers see C strings).
 */
struct kpart_file {
	const char *name;
	umode_t mode;
	int cap;
	ssize_t (*write)(struct kernfs_open_file *of, char *buf, size_t bytes,
			 loff_t off);
	struct kernfs_ops ops;
};

static ssize_t f_write(struct kernfs_open_file *of, char *buf, size_t bytes,
		       loff_t off)
{
	const struct kpart_file *f = container_of(of->kn->attr.ops,
						  const struct kpart_file, ops);
	struct kpart_partition *p = of_part(of);
	const char *name = p ? p->name : "/";

	if (!file_ns_capable(of->file, &init_user_ns, f->cap) || !capable(f->cap)) {
		pr_err_ratelimited("kpart: %s: write to %s refused: needs %s\n", name,
				   f->name, f->cap == CAP_SYS_BOOT ? "CAP_SYS_BOOT" :
				   "CAP_SYS_ADMIN");
		return -EPERM;
	}
	if (memchr(buf, '\0', bytes)) {
		pr_err("kpart: %s: write to %s refused: the value contains a NUL byte\n",
		       name, f->name);
		return -EINVAL;
	}
	return f->write(of, buf, bytes, off);
}

#define RO(n)	{ #n, 0444, 0, NULL, { .seq_show = f_##n##_show } }
#define RW(n)	{ #n, 0644, CAP_SYS_ADMIN, f_##n##_write, \
		  { .seq_show = f_##n##_show, .write = f_write } }
#define WO(n)	{ #n, 0200, CAP_SYS_BOOT, f_##n##_write, { .write = f_write } }
#define RW_BOOT(n)	{ #n, 0644, CAP_SYS_BOOT, f_##n##_write, \
			  { .seq_show = f_##n##_show, .write = f_write } }

/* What says where memory is, or what a tenant printed: root only */
static umode_t file_mode(const struct kpart_file *f)
{
	static const char * const root_only[] = {
		"pool_range", "memory_range", "console_log",
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(root_only); i++)
		if (!strcmp(f->name, root_only[i]))
			return f->mode & 0600;
	return f->mode;
}

static const struct kpart_file root_files[] = {
	RW_BOOT(start_disabled),
	RO(version), RO(pool_size), RO(pool_free), RO(pool_available),
	RO(pool_range), RO(pool_nodes), RO(pool_scrub), RO(cpus_assigned), RO(cpu_cores),
	RO(pool_quarantined),
	{ "devices", 0444, 0, NULL, { .seq_show = f_all_devices_show } },
};

static const struct kpart_file part_files[] = {
	RW(cpus), RW(smt_split), RO(apic_ids), RW(memory), RO(memory_range),
	RW(numa_node), RW(kernel),
	RW(initrd), RW(cmdline), RW(console), WO(control), RO(state),
	RO(exit_reason), RO(boot_count), RO(boot_time), RO(channel),
	RO(app_version), RO(console_log), RW(devices),
};

static int add_files(struct kernfs_node *dir, const struct kpart_file *files,
		     size_t n, void *priv, struct kernfs_node **state_kn)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct kernfs_node *kn;

		kn = __kernfs_create_file(dir, files[i].name, S_IFREG | file_mode(&files[i]),
					  GLOBAL_ROOT_UID, GLOBAL_ROOT_GID, 0,
					  &files[i].ops, priv, NULL, NULL);
		if (IS_ERR(kn))
			return PTR_ERR(kn);
		if (state_kn && !strcmp(files[i].name, "state"))
			*state_kn = kn;
	}
	return 0;
}

void kpart_fs_notify_state(struct kpart_partition *p)
{
	if (p->state_kn)
		kernfs_notify(p->state_kn);
}

/* ---- mkdir / rmdir ---------------------------------------------------- */

/*
 * Names become /dev/kpart-NAME next to the directories /dev/kpart-console
 * and /dev/kpart-echo, and arguments of partctl: none of those, and no
 * name that reads as an option.
 */
static bool name_ok(const char *name)
{
	static const char * const reserved[] = { "console", "echo", "control" };
	size_t len = strlen(name);
	const char *c;
	int i;

	if (!len || len >= KPART_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (i = 0; i < ARRAY_SIZE(reserved); i++)
		if (!strcmp(name, reserved[i]))
			return false;
	for (c = name; *c; c++)
		if (!isalnum(*c) && *c != '_' && *c != '-' && *c != '.')
			return false;
	return true;
}

static int kpart_mkdir(struct kernfs_node *parent, const char *name, umode_t mode)
{
	struct kpart_partition *p;
	struct kernfs_node *dir;
	int ret;

	if (parent != kernfs_root_to_node(kpart_root))
		return -EPERM;
	if (!capable(CAP_SYS_ADMIN)) {
		pr_err_ratelimited("kpart: %s: mkdir refused: needs CAP_SYS_ADMIN\n", name);
		return -EPERM;
	}
	if (!name_ok(name)) {
		pr_err("kpart: invalid partition name '%s' (1-%d of A-Z a-z 0-9 _ - ., not starting with . or -, not console, echo or control)\n",
		       name, KPART_NAME_MAX - 1);
		return -EINVAL;
	}
	p = kpart_partition_create(name);
	if (!p)
		return -ENOMEM;

	mutex_lock(&kpart_lock);
	dir = kernfs_create_dir(parent, name, S_IFDIR | 0755, p);
	if (IS_ERR(dir)) {
		ret = PTR_ERR(dir);
		goto err;
	}
	ret = add_files(dir, part_files, ARRAY_SIZE(part_files), p, &p->state_kn);
	if (ret) {
		kernfs_remove(dir);
		goto err;
	}
	p->dir = dir;
	list_add_tail(&p->node, &kpart_partitions);
	kernfs_activate(dir);
	mutex_unlock(&kpart_lock);
	kpart_host_dev_register(p);
	pr_info("kpart: %s: created\n", name);
	return 0;
err:
	mutex_unlock(&kpart_lock);
	kpart_partition_destroy(p);
	return ret;
}

static int kpart_rmdir(struct kernfs_node *kn)
{
	struct kpart_partition *p = kn->priv;
	const char *busy;

	if (!capable(CAP_SYS_ADMIN)) {
		pr_err_ratelimited("kpart: %s: rmdir refused: needs CAP_SYS_ADMIN\n",
				   kn->name);
		return -EPERM;
	}
	mutex_lock(&kpart_lock);
	if (!p || p->dying) {
		mutex_unlock(&kpart_lock);
		return -ENOENT;
	}
	if (kpart_partition_busy(p)) {
		kp_err(p, "cannot delete while %s; stop it first",
		       kpart_state_name(p->state));
		mutex_unlock(&kpart_lock);
		return -EBUSY;
	}
	busy = kpart_host_dev_busy(p);
	if (busy) {
		kp_err(p, "cannot delete while /dev/%s is open", busy);
		mutex_unlock(&kpart_lock);
		return -EBUSY;
	}
	p->dying = true;
	list_del(&p->node);
	mutex_unlock(&kpart_lock);
	kpart_host_dev_unregister(p);

	cancel_delayed_work_sync(&p->monitor);
	/* We run with an active reference on @kn; removing it must not wait */
	kernfs_break_active_protection(kn);
	kernfs_remove(kn);
	kernfs_unbreak_active_protection(kn);

	mutex_lock(&kpart_lock);
	pr_info("kpart: %s: deleted\n", p->name);
	kpart_partition_destroy(p);
	mutex_unlock(&kpart_lock);
	return 0;
}

static struct kernfs_syscall_ops kpart_scops = {
	.mkdir = kpart_mkdir,
	.rmdir = kpart_rmdir,
};

/* ---- the filesystem --------------------------------------------------- */

static int kpart_get_tree(struct fs_context *fc)
{
	return kernfs_get_tree(fc);
}

static void kpart_fc_free(struct fs_context *fc)
{
	struct kernfs_fs_context *kfc = fc->fs_private;

	kernfs_free_fs_context(fc);
	kfree(kfc);
}

static const struct fs_context_operations kpart_fc_ops = {
	.free = kpart_fc_free,
	.get_tree = kpart_get_tree,
};

static int kpart_init_fs_context(struct fs_context *fc)
{
	struct kernfs_fs_context *kfc;

	kfc = kzalloc(sizeof(*kfc), GFP_KERNEL);
	if (!kfc)
		return -ENOMEM;
	kfc->root = kpart_root;
	kfc->magic = KPART_SUPER_MAGIC;
	fc->fs_private = kfc;
	fc->ops = &kpart_fc_ops;
	put_user_ns(fc->user_ns);
	fc->user_ns = get_user_ns(&init_user_ns);
	fc->global = true;
	return 0;
}

/* The owner keeps the module while a superblock exists (umount after rmmod) */
static struct file_system_type kpart_fs_type = {
	.owner = THIS_MODULE,
	.name = KPART_FS_TYPE,
	.init_fs_context = kpart_init_fs_context,
	.kill_sb = kernfs_kill_sb,
};

int kpart_fs_init(void)
{
	int ret;

	kpart_root = kernfs_create_root(&kpart_scops, KERNFS_ROOT_CREATE_DEACTIVATED,
					NULL);
	if (IS_ERR(kpart_root))
		return PTR_ERR(kpart_root);
	/*
	 * kernfs makes a root directory 0555: only CAP_DAC_OVERRIDE could
	 * then mkdir or rmdir a partition, so partd.service would need a
	 * capability that lets it write any file on the machine. Owner
	 * (root) writable instead, like the partition directories; mkdir
	 * still wants CAP_SYS_ADMIN (kpart_mkdir). Set before the root is
	 * activated: nothing has an inode of it yet, which is all
	 * kernfs_setattr() (not exported) would add.
	 */
	kernfs_root_to_node(kpart_root)->mode = S_IFDIR | 0755;
	ret = add_files(kernfs_root_to_node(kpart_root), root_files,
			ARRAY_SIZE(root_files), NULL, NULL);
	if (ret)
		goto err_root;
	kernfs_activate(kernfs_root_to_node(kpart_root));

	ret = sysfs_create_mount_point(fs_kobj, "kpart");
	if (ret)
		goto err_root;
	ret = register_filesystem(&kpart_fs_type);
	if (ret)
		goto err_mnt;
	return 0;
err_mnt:
	sysfs_remove_mount_point(fs_kobj, "kpart");
err_root:
	kernfs_destroy_root(kpart_root);
	return ret;
}

void kpart_fs_exit(void)
{
	unregister_filesystem(&kpart_fs_type);
	sysfs_remove_mount_point(fs_kobj, "kpart");
	kernfs_destroy_root(kpart_root);
}
