/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpart boot-kernel module: internal interfaces between its files.
 *
 *   main.c       module init/exit
 *   pool.c       the memory pool set aside at boot (kpart_pool=), by node
 *   cpu.c        taking CPUs from the boot kernel, parking, giving back
 *   partition.c  partition objects, their life cycle and the start path
 *   pci.c        PCI functions of partitions: claims, hand-off, give-back
 *   fs.c         the kernfs control filesystem at /sys/fs/kpart
 *   netlink.c    generic netlink events for state changes
 *   host.c       the boot side of each partition's channel (chan.c)
 *   host_console.c  each partition's console: output kept, devices
 *   app.c        the module's role in an application kernel
 */
#ifndef KPART_H
#define KPART_H

#include <linux/cpumask.h>
#include <linux/kernfs.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <kpart/uapi.h>
#include "boot-x86/boot-x86.h"

#define kp_err(p, fmt, ...)  pr_err("kpart: %s: " fmt "\n", (p)->name, ##__VA_ARGS__)
#define kp_info(p, fmt, ...) pr_info("kpart: %s: " fmt "\n", (p)->name, ##__VA_ARGS__)

enum kpart_state {
	KPART_STOPPED,
	KPART_STARTING,
	KPART_RUNNING,
	KPART_STOPPING,
	KPART_CRASHED,
};

/* A character device of a partition (host.c) */
struct kpart_dev {
	struct miscdevice misc;
	struct kpart_partition *p;
	u16 chan;			/* ring channel it serves */
	bool registered;
	char name[KPART_NAME_MAX + 16];	/* under /dev */
};

struct kpart_log;
struct kpart_pci_fn;
struct seq_file;

/* Pool figures of a node, or of the low reserve (pool.c) */
struct kpart_pool_stats {
	u64 size;
	u64 free;
	u64 largest;			/* largest free piece */
	unsigned int ranges;
};

struct kpart_partition {
	struct list_head node;
	char name[KPART_NAME_MAX];
	struct kernfs_node *dir;
	struct kernfs_node *state_kn;
	bool dying;

	/* Configuration, changeable while stopped or crashed */
	cpumask_var_t cpus;
	u64 mem_size;
	int numa_node;			/* -1: the nodes of its CPUs */
	char *kernel;
	char *initrd;
	char *cmdline;
	u16 console_port;
	bool smt_split;			/* may split a core's threads */
	struct kpart_pci_fn *pci;	/* PCI functions, sorted (pci.c) */
	unsigned int nr_pci;

	/* Life cycle */
	enum kpart_state state;
	unsigned int exit_reason;	/* KPART_EXIT_* */
	bool mem_quarantined;		/* a CPU of the last run did not come back */
	unsigned int fault_vector;	/* of an entry fault */
	unsigned int boot_count;
	struct kpart_boot_range *ranges;	/* held while not stopped */
	unsigned int nr_ranges;
	phys_addr_t mem_base;		/* of the boot range, ranges[0] */
	struct kpart_desc *desc;	/* inside the partition's memory */
	u64 start_ns, ready_ns;
	unsigned int crash_ticks;	/* monitor ticks since the panic report */
	struct delayed_work monitor;
	wait_queue_head_t wait;

	/* Channel (host.c) */
	struct kpart_chan *chan;
	struct list_head chan_node;	/* in host.c's active list */
	bool chan_listed;
	struct kpart_dev dev_msg;	/* /dev/kpart-NAME */
	struct kpart_dev dev_echo;	/* /dev/kpart-echo/NAME */
	struct kpart_dev dev_console;	/* /dev/kpart-console/NAME */
	struct kpart_log *log;		/* console output (host_console.c) */
	char app_version[65];		/* under chan->lock */
	unsigned long last_heartbeat;	/* jiffies */
	u64 heartbeats;
	bool heartbeat_lost;
	bool stop_requested;		/* stop asked for by us, not the app */
	unsigned long shutdown_sent;	/* jiffies, 0 when not sent */
	bool shutdown_acked;
};

/* One lock for all control operations: they are rare and short. */
extern struct mutex kpart_lock;
extern struct list_head kpart_partitions;

/* pool.c */
int kpart_pool_init(void);
void kpart_pool_exit(void);
u64 kpart_pool_size(void);
u64 kpart_pool_free(void);
void kpart_pool_node_stats(int nid, struct kpart_pool_stats *st);
void kpart_pool_low_stats(struct kpart_pool_stats *st);
bool kpart_pool_has_node(int nid);
void kpart_pool_show_ranges(struct seq_file *sf);
void kpart_pool_show_scrub(struct seq_file *sf);
void kpart_pool_shares(const struct cpumask *cpus, int numa_node, u64 size,
		       u64 *share);
u64 kpart_pool_committed(int nid);
int kpart_pool_check(const struct kpart_partition *p, const struct cpumask *cpus,
		     int numa_node, u64 size, char *why, size_t len);
int kpart_pool_take(struct kpart_partition *p, u64 boot_min, const char **why);
void kpart_pool_give_back(struct kpart_partition *p);
u64 kpart_pool_quarantine(struct kpart_partition *p);
u64 kpart_pool_quarantined(void);

/* cpu.c */
int kpart_cpu_init(void);
void kpart_cpu_exit(void);
bool kpart_cpu_siblings(unsigned int a, unsigned int b);
unsigned int kpart_cpus_split_core(const struct cpumask *mask, unsigned int *in);
int kpart_cpus_claim(struct kpart_partition *p, const struct cpumask *mask,
		     const char **why);
int kpart_cpus_take(struct kpart_partition *p);
unsigned int kpart_cpus_give_back(struct kpart_partition *p, struct cpumask *lost);
void kpart_cpus_release_claims(struct kpart_partition *p);
u32 kpart_apic_id(unsigned int cpu);

/* pci.c */
int kpart_pci_configure(struct kpart_partition *p, char *buf);
int kpart_pci_check_cpus(struct kpart_partition *p, const struct cpumask *cpus,
			 unsigned int nr_pci, char *why, size_t len);
void kpart_pci_show(struct kpart_partition *p, struct seq_file *sf);
void kpart_pci_show_all(struct seq_file *sf);
void kpart_pci_release(struct kpart_partition *p);
int kpart_pci_take(struct kpart_partition *p);
void kpart_pci_quiesce(struct kpart_partition *p);
void kpart_pci_give_back(struct kpart_partition *p, bool cpus_lost);

/* partition.c */

/* The kernel and initrd of a start, read before kpart_lock is taken */
struct kpart_images {
	void *kernel;
	size_t kernel_len;
	void *initrd;			/* NULL: none */
	size_t initrd_len;
};

struct kpart_partition *kpart_partition_create(const char *name);
void kpart_partition_destroy(struct kpart_partition *p);
struct kpart_partition *kpart_partition_find(const char *name);
int kpart_images_load(struct kpart_partition *p, struct kpart_images *im);
void kpart_images_free(struct kpart_images *im);
int kpart_partition_start(struct kpart_partition *p, const struct kpart_images *im);
int kpart_partition_stop(struct kpart_partition *p, bool force);
int kpart_partition_stop_timeout(struct kpart_partition *p, unsigned int timeout_s,
				 bool kill);
bool kpart_partition_busy(const struct kpart_partition *p);
const char *kpart_state_name(enum kpart_state s);
const char *kpart_exit_name(unsigned int reason);
int kpart_exit_reason_str(const struct kpart_partition *p, char *buf, size_t len);
void kpart_stop_all(void);
int kpart_start_blocked(struct kpart_partition *p);
void kpart_shutdown_all(const char *why, unsigned int timeout_ms);
int kpart_pm_block(bool block);

/* fs.c */
int kpart_fs_init(void);
void kpart_fs_exit(void);
int kpart_fs_add_partition(struct kpart_partition *p, struct kernfs_node *parent);
void kpart_fs_notify_state(struct kpart_partition *p);

/* netlink.c */
int kpart_netlink_init(void);
void kpart_netlink_exit(void);
void kpart_netlink_event(struct kpart_partition *p);
void kpart_netlink_chan_event(struct kpart_partition *p, const char *event);

/* host.c */
void kpart_host_init(void);
void kpart_host_exit(void);
int kpart_host_chan_create(struct kpart_partition *p);
void kpart_host_chan_destroy(struct kpart_partition *p);
void kpart_host_dev_register(struct kpart_partition *p);
void kpart_host_dev_unregister(struct kpart_partition *p);
const char *kpart_host_dev_busy(struct kpart_partition *p);
int kpart_host_chan_start(struct kpart_partition *p);
void kpart_host_chan_stop(struct kpart_partition *p, const char *why);
bool kpart_host_chan_request_stop(struct kpart_partition *p);
void kpart_host_chan_monitor(struct kpart_partition *p);
int kpart_host_chan_state(struct kpart_partition *p, char *buf, size_t len);
void kpart_host_app_version(struct kpart_partition *p, char *buf, size_t len);

/* host_console.c */
extern const struct file_operations kpart_host_console_fops;
int kpart_host_console_create(struct kpart_partition *p);
void kpart_host_console_destroy(struct kpart_partition *p);
int kpart_host_console_prepare(struct kpart_partition *p);
void kpart_host_console_output(struct kpart_partition *p, const void *data, u32 len);
void kpart_host_console_show(struct kpart_partition *p, struct seq_file *sf);

#endif /* KPART_H */
