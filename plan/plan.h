/* SPDX-License-Identifier: MIT */
/*
 * libkpartplan: the plan library shared by partd and partctl.
 *
 * A plan (docs/plans.md, schemas/plan.schema.json) is a JSON document that
 * describes the partitions a machine should run. The library
 *
 *   - parses a plan (plan_parse, plan_load_file), checking the schema rules
 *     in C and reporting every problem with its JSON path;
 *   - reads the live machine (inventory_read): CPU and NUMA topology from
 *     sysfs, cores, pool and partitions from the kpart kernfs interface;
 *   - validates a plan against the live machine (plan_validate), placing
 *     partitions that ask for a CPU count instead of a cpulist;
 *   - diffs a validated plan against the live machine into an ordered list
 *     of kernfs operations (plan_diff) that partd executes (plan_action_exec)
 *     and can undo (plan_action_undo).
 *
 * Nothing here keeps global state; every function is reentrant. Functions
 * that can fail return 0 on success and a negative errno otherwise unless
 * documented differently.
 */
#ifndef KPART_PLAN_H
#define KPART_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <kpart/uapi.h>

struct json_object;

/* Highest plan format version this library understands. */
#define PLAN_VERSION 1
/* CPU numbers at or above this are rejected as nonsense. */
#define CPUSET_MAX_CPUS 65536
/* kernfs limit on the application kernel command line (bytes, no NUL). */
#define PLAN_CMDLINE_MAX 2047

#define PLAN_DEFAULT_PATH "/etc/kpart/plan.json"
#define PLAN_DEFAULT_KERNFS KPART_FS_MOUNT
#define PLAN_DEFAULT_SYSFS "/sys"
#define PLAN_DEFAULT_SOCKET "/run/kpart/partd.sock"

/* ---------------------------------------------------------------- cpusets */

/* A growable CPU bitmap. Zero-initialise or cpuset_init() before use. */
struct cpuset {
	uint64_t *w;
	unsigned nw; /* number of 64-bit words in w */
};

void cpuset_init(struct cpuset *s);
void cpuset_free(struct cpuset *s);
int cpuset_set(struct cpuset *s, unsigned cpu); /* -ENOMEM, -ERANGE */
void cpuset_clear(struct cpuset *s, unsigned cpu);
void cpuset_zero(struct cpuset *s);
bool cpuset_test(const struct cpuset *s, unsigned cpu);
unsigned cpuset_count(const struct cpuset *s);
bool cpuset_empty(const struct cpuset *s);
bool cpuset_equal(const struct cpuset *a, const struct cpuset *b);
bool cpuset_subset(const struct cpuset *a, const struct cpuset *b); /* a within b */
int cpuset_copy(struct cpuset *dst, const struct cpuset *src);
int cpuset_and(struct cpuset *dst, const struct cpuset *a, const struct cpuset *b);
int cpuset_or(struct cpuset *dst, const struct cpuset *src);	  /* dst |= src */
void cpuset_andnot(struct cpuset *dst, const struct cpuset *src); /* dst &= ~src */
/* Next CPU >= from in s, or -1. Iterate: for (c = cpuset_next(s, 0); c >= 0; c = cpuset_next(s, c +
 * 1)) */
int cpuset_next(const struct cpuset *s, unsigned from);
/*
 * Parse a cpulist ("0-3,8,10-11"; surrounding white space and a trailing
 * newline are ignored; "" is the empty set). On error returns -EINVAL or
 * -ERANGE and, if err is not NULL, a message in err.
 */
int cpuset_parse(struct cpuset *s, const char *text, char *err, size_t errlen);
/* Format as a cpulist ("" when empty). Returns a malloc'd string or NULL. */
char *cpuset_format(const struct cpuset *s);

/* ------------------------------------------------------------ sizes, names */

/*
 * Parse a memory size: decimal digits with an optional binary suffix K, M,
 * G or T (upper or lower case). Returns 0, -EINVAL or -ERANGE.
 */
int plan_parse_size(const char *text, uint64_t *bytes);
/* Format bytes as the shortest exact form: "1G", "1536M", "4100K", "1234". */
const char *plan_format_size(uint64_t bytes, char buf[32]);
/*
 * Check a partition name against the kernfs rules (1-31 characters from
 * [A-Za-z0-9_.-], not starting with '.', not a top-level kernfs file name).
 * Returns NULL when fine, else a static explanation.
 */
const char *plan_name_problem(const char *name);

/* ------------------------------------------------------------ PCI devices */

/* "dddd:bb:dd.f" and its NUL */
#define PCI_ADDR_LEN 13
/* The most PCI functions the module gives one partition (kmod/pci.c) */
#define PLAN_DEVICES_MAX 12

/*
 * Normalise a PCI address: "DDDD:BB:DD.F" or "BB:DD.F" (domain 0000), hex
 * digits in either case, device 00-1f, function 0-7, into lowercase
 * "dddd:bb:dd.f" in out. Returns 0 or -EINVAL (out is then "").
 */
int pci_addr_normalize(const char *text, char out[PCI_ADDR_LEN]);
/*
 * The devices as one value for NAME/devices and for comparing sets: sorted,
 * duplicates dropped, joined with ","; "" when none. malloc'd or NULL.
 */
char *pci_addrs_join(char *const *addrs, size_t n);

/* --------------------------------------------------------------- problems */

enum problem_severity {
	PROBLEM_ERROR,	 /* the plan is rejected */
	PROBLEM_WARNING, /* reported, does not block */
};

struct problem {
	enum problem_severity severity;
	char *path;    /* JSON Pointer (RFC 6901) into the plan, "" = whole document */
	char *message; /* what is wrong */
	char *holder;  /* what currently holds the resource, or NULL */
	char *hint;    /* a suggestion, or NULL */
};

struct problems {
	struct problem *v;
	size_t n, cap;
	size_t nerrors;
};

void problems_init(struct problems *ps);
void problems_free(struct problems *ps);
/* Adds a problem and returns it (NULL only when out of memory). */
struct problem *problem_add(struct problems *ps, enum problem_severity sev, const char *path,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void problem_holder(struct problem *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void problem_hint(struct problem *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Print problems for people, one block per problem:
 *   plan.json: /partitions/1/cpus: error: CPU 3 is also requested by /partitions/0 (web)
 *       held by: partition web (running)
 *       hint: free CPUs on node 0: 6-7
 */
void problems_print(const struct problems *ps, const char *source, FILE *f);
/* [{"severity","path","message","holder","hint"}], absent members omitted. */
struct json_object *problems_to_json(const struct problems *ps);

/* ------------------------------------------------------------------- plan */

enum plan_cpus_mode {
	PLAN_CPUS_NONE,	 /* missing or invalid */
	PLAN_CPUS_LIST,	 /* "cpus": "2-3,5" */
	PLAN_CPUS_COUNT, /* "cpus": {"count": 4, "numa_node": 1} */
};

/* Bits in plan_partition.invalid: fields that failed to parse. */
enum {
	PLAN_F_NAME = 1u << 0,
	PLAN_F_CPUS = 1u << 1,
	PLAN_F_MEMORY = 1u << 2,
	PLAN_F_KERNEL = 1u << 3,
	PLAN_F_INITRD = 1u << 4,
	PLAN_F_CMDLINE = 1u << 5,
	PLAN_F_CONSOLE = 1u << 6,
	PLAN_F_DEVICES = 1u << 7,
	PLAN_F_NODE = 1u << 8, /* the partition's "numa_node" */
};

/* Highest NUMA node number a plan's partition "numa_node" may name (the
 * kernel's MAX_NUMNODES - 1 with NODES_SHIFT 10). */
#define PLAN_NODE_MAX 1023

/* partd's action for a partition whose kernel stopped sending heartbeats */
enum plan_on_hang { PLAN_HANG_NONE, PLAN_HANG_KILL, PLAN_HANG_RESTART };
#define PLAN_HANG_TIMEOUT_DEFAULT 30
#define PLAN_HANG_TIMEOUT_MAX 86400
#define PLAN_STOP_TIMEOUT_MAX 3600 /* the module's limit for "stop SECONDS kill" */
const char *plan_on_hang_name(enum plan_on_hang a);

struct plan_partition {
	char name[KPART_NAME_MAX];
	size_t index; /* position in "partitions" */
	unsigned invalid;
	enum plan_cpus_mode cpus_mode;
	/* LIST: the CPUs written; COUNT: filled in by plan_validate (placement). */
	struct cpuset cpus;
	bool placed; /* COUNT mode and cpus is valid */
	unsigned cpu_count;
	int numa_node; /* COUNT mode: "cpus": {"numa_node"}, -1 = any node */
	uint64_t memory;
	char *kernel;  /* absolute path */
	char *initrd;  /* absolute path or NULL (none) */
	char *cmdline; /* NULL = "" */
	char *console; /* NULL = not managed (left as the kernel has it) */
	/* PCI addresses, normalised (pci_addr_normalize), in plan order without
	 * the malformed and repeated ones; device_index[i]: devices[i]'s
	 * position in the plan's list (for problem paths) */
	char **devices;
	size_t *device_index;
	size_t ndevices;
	bool autostart;
	/* May split a core's hardware threads with the boot kernel or another
	 * partition (the kernel's NAME/smt_split); default false. */
	bool smt_split;
	/* The partition's "numa_node": the node all its memory comes from (the
	 * kernel's NAME/numa_node); -1 = auto, from the nodes of its CPUs. */
	int mem_node;
	/* partd's policy, not the kernel's configuration (changing it restarts
	 * nothing): seconds a stop may take before partd kills the partition
	 * (0: the module's default, 60 s), and what partd does once the
	 * partition has been hung (channel "hung") for hang_timeout seconds. */
	int stop_timeout;
	enum plan_on_hang on_hang;
	int hang_timeout;
	char *description;
};

struct plan {
	int version;
	char *description;
	struct cpuset boot_cpus; /* always contains CPU 0 */
	uint64_t pool_size;
	struct plan_partition *parts;
	size_t nparts;
};

/*
 * Parse plan text (JSON; // and slash-star comments allowed). Returns a plan
 * when the text is well-formed JSON, even if it breaks schema rules: those
 * are added to ps (the offending fields are marked in ->invalid) so that
 * plan_validate can report everything at once. Returns NULL when the text
 * is not JSON (a problem says where) or memory ran out.
 */
struct plan *plan_parse(const char *text, size_t len, struct problems *ps);
/* Read and parse a file; a read error becomes a problem with path "". */
struct plan *plan_load_file(const char *path, struct problems *ps);
/*
 * The one limit on plan text, wherever it comes from (a file partd or
 * partctl reads, standard input, partd's socket): bytes of text.
 */
#define PLAN_TEXT_MAX (4u << 20)
/*
 * Plan text as every reader must see it: at most PLAN_TEXT_MAX bytes
 * ("plan too large (N bytes, limit L)") and no NUL byte (JSON has none;
 * C strings would end there). Returns 0, -EFBIG or -EINVAL with the
 * message in err.
 */
int plan_check_text(const char *text, size_t len, char *err, size_t errlen);
/*
 * Read plan text from path ("-": standard input) for plan_parse: the
 * shared reader of partd and partctl. Returns the malloc'd text (NUL added
 * after *len bytes), or NULL with a message in err (cannot open or read,
 * a directory, or what plan_check_text refuses).
 */
char *plan_read_text(const char *path, size_t *len, char *err, size_t errlen);
void plan_free(struct plan *plan);
const struct plan_partition *plan_find(const struct plan *plan, const char *name);
/* Resolved plan as JSON (placed cpus as cpulists, sizes in bytes). */
struct json_object *plan_to_json(const struct plan *plan);

/* Key lists of the format, NULL-terminated (used to keep the schema honest). */
extern const char *const plan_top_keys[];
extern const char *const plan_pool_keys[];
extern const char *const plan_partition_keys[];
extern const char *const plan_cpus_keys[];

/* -------------------------------------------------------------- inventory */

enum part_state {
	PART_UNKNOWN,
	PART_STOPPED,
	PART_STARTING,
	PART_RUNNING,
	PART_STOPPING,
	PART_CRASHED,
};
const char *part_state_name(enum part_state s);
enum part_state part_state_parse(const char *s);

/*
 * A physical range of the pool (pool_range) or of a partition's memory
 * (memory_range): "0xSTART-0xEND node N" with an optional " low" for the
 * pool's low reserve below 4 GiB. Modules before NUMA pools wrote one
 * "0xSTART-0xEND" line: node -1.
 */
struct mem_range {
	uint64_t start, end; /* inclusive */
	int node;	     /* NUMA node, -1 when the module did not say */
	bool low;	     /* the pool's low reserve (AP trampolines) */
};

/*
 * Parse pool_range or memory_range text: one range per line, blank lines
 * ignored. Returns 0 with a malloc'd array in *out (NULL when there are no
 * ranges) and its length in *n, or -EINVAL with "line N: why" in err and
 * nothing allocated, or -ENOMEM.
 */
int mem_ranges_parse(const char *text, struct mem_range **out, size_t *n, char *err, size_t errlen);
/* "0xSTART-0xEND" of each range, joined by ","; "" when none. malloc'd or NULL. */
char *mem_ranges_format(const struct mem_range *r, size_t n);

/* One line of pool_nodes: a NUMA node's share of the pool, or the low reserve. */
struct pool_node {
	int node; /* -1 for the low reserve */
	uint64_t size, free;
	uint64_t committed; /* promised to configured partitions (0 for the low reserve) */
	uint64_t largest;   /* largest free contiguous piece (0 for the low reserve) */
	unsigned ranges;    /* ranges of the pool on the node */
};

/*
 * Parse pool_nodes text:
 *   node N size S free F committed C largest L ranges R
 *   low size S free F ranges R
 * (bytes; unknown "key value" pairs are ignored, the ones shown are
 * required). Node lines go to a malloc'd array sorted by node (*nodes, *n),
 * the low reserve to *low (all 0 when there is none). Returns 0, -EINVAL
 * with "line N: why" in err and nothing allocated, or -ENOMEM.
 */
int pool_nodes_parse(const char *text, struct pool_node **nodes, size_t *n, struct pool_node *low,
		     char *err, size_t errlen);

/* A partition as the kernel reports it. */
struct inv_partition {
	char name[KPART_NAME_MAX];
	struct cpuset cpus;
	uint64_t memory;
	/* memory_range as "0xSTART-0xEND[,...]" (mem_ranges_format), "" when none */
	char *memory_range;
	struct mem_range *ranges; /* memory_range, boot range first; NULL when none */
	size_t nranges;
	/* NAME/numa_node: the node its memory comes from, -1 for "auto" (and
	 * for modules without the file) */
	int mem_node;
	char *kernel, *initrd, *cmdline, *console; /* never NULL ("" when unset) */
	enum part_state state;
	char *exit_reason;
	unsigned long boot_count;
	uint64_t boot_time_us; /* start to running, last start; 0 = unknown */
	/* Not from the kernel: partd sets this for partitions an operator
	 * stopped, so plan_diff does not start them again. */
	bool hold;
	bool smt_split; /* NAME/smt_split is 1 (false when the file is absent) */
	/* NAME/devices as pci_addrs_join makes it ("" when none or no file) */
	char *devices;
};

/* A PCI device's place between the boot kernel and the partitions. */
enum pci_dev_state {
	PCI_FREE,    /* no partition holds it */
	PCI_CLAIMED, /* a stopped partition holds it; still in the boot kernel */
	PCI_OWNED,   /* a running partition has it; gone from the boot kernel's PCI tree */
};
const char *pci_dev_state_name(enum pci_dev_state s); /* "free", "claimed", "owned" */

/*
 * A PCI device of the machine: from SYSFS/bus/pci/devices, and from the
 * kpart file devices for the ones partitions hold (an owned device is only
 * there: what sysfs would say about it is unknown then).
 */
struct inv_pci {
	char addr[PCI_ADDR_LEN];
	bool in_sysfs;	    /* in the boot kernel's PCI tree */
	int vendor, device; /* -1 when unknown */
	long class_code;    /* 24 bits (base class, subclass, prog-if); -1 unknown */
	int header_type;    /* config byte 0x0e without bit 7; -1 unknown */
	bool multifunction; /* bit 7 of that byte */
	bool acs;	    /* an ACS extended capability in its config space */
	bool boot_vga;	    /* sysfs boot_vga is 1 */
	bool virtfn;	    /* an SR-IOV virtual function (sysfs physfn) */
	bool iommu;	    /* translated by an IOMMU (sysfs iommu_group) */
	/* boot_use is only a virtual terminal shown on it: the module does not
	 * refuse the device, the boot kernel loses that console */
	bool display;
	char *driver;		    /* bound in the boot kernel, "" none or unknown */
	char *boot_use;		    /* what of the boot kernel sits on it, or NULL */
	char owner[KPART_NAME_MAX]; /* the partition holding it, "" none */
	enum pci_dev_state state;
};

/* Where inventory_read found the grouping of CPUs into cores. */
enum inv_cores_source {
	CORES_NONE,  /* nowhere: every CPU counts as a core of its own */
	CORES_SYSFS, /* cpuN/topology/thread_siblings_list of online CPUs */
	CORES_KPART, /* the kpart root file cpu_cores (online and offline CPUs) */
};

/* The live machine. */
struct inventory {
	int iface_version;
	struct cpuset present;
	unsigned ncpus;		       /* highest present CPU + 1 */
	int *cpu_node;		       /* [ncpus]: NUMA node of each CPU, -1 unknown */
	unsigned nnodes;	       /* highest node + 1 (at least 1) */
	struct cpuset *node_cpus;      /* [nnodes]: present CPUs per node */
	uint64_t pool_size, pool_free; /* pool_size includes the low reserve */
	/* pool_range as "0xSTART-0xEND[,...]" (mem_ranges_format), "" when unknown */
	char *pool_range;
	struct mem_range *pool_ranges; /* pool_range, one per line */
	size_t npool_ranges;
	/*
	 * NUMA pools (pool_nodes): each node's pool, sorted by node, the low
	 * reserve apart. numa_pool is false for modules without pool_nodes
	 * (no per-node figures, no NAME/numa_node): then nothing here is
	 * checked per node and npool_nodes is 0.
	 */
	bool numa_pool;
	struct pool_node *pool_nodes;
	size_t npool_nodes;
	struct pool_node pool_low; /* size 0: no low reserve */
	struct cpuset assigned;
	struct inv_partition *parts; /* sorted by name */
	size_t nparts, capparts;
	/* Prefix for kernel/initrd paths when checking files (fixtures); NULL = none. */
	char *file_root;
	/*
	 * Rules of the kernel's NAME/memory file: sizes below mem_min are
	 * refused, others rounded up to a multiple of mem_align. Set by
	 * inventory_read when the root is the kpart filesystem itself (16M,
	 * 2M); 0 (no rule) for fixture directories and hand-built inventories.
	 */
	uint64_t mem_min, mem_align;
	/* Bytes of the pool not promised to any partition (pool_available), or
	 * pool_size - the partitions' memory when the kernel has no such file. */
	uint64_t pool_available;
	/*
	 * Hardware threads: sibling[c] is the next CPU of c's core, in a
	 * circle (sibling[c] == c for a CPU that is a core of its own, or of
	 * whose core nothing is known). Set with inventory_add_core().
	 */
	unsigned *sibling;	   /* [ncpus] */
	unsigned threads_per_core; /* most threads of one core; 1 without SMT */
	enum inv_cores_source cores_source;
	/* The module predates smt_split (inventory_read found no cpu_cores
	 * file): it keeps no cores whole and has no NAME/smt_split to write. */
	bool no_smt_split;
	/*
	 * PCI devices sorted by address (inventory_sort). pci_known: the
	 * sysfs PCI tree could be listed (else only what kpart's devices file
	 * says is here); pci_handoff: the module has the devices file, so
	 * partitions can be given devices.
	 */
	struct inv_pci *pci;
	size_t npci, cappci;
	bool pci_known, pci_handoff;
};

/*
 * Read the live machine: topology below sysfs_root (normally "/sys"),
 * kpart state below kernfs_root (normally "/sys/fs/kpart"). Either may be
 * NULL for the default. On failure returns NULL and a message in err.
 */
struct inventory *inventory_read(const char *kernfs_root, const char *sysfs_root, char *err,
				 size_t errlen);
/* Re-read one partition (after an event). Returns 0, -ENOENT when it is gone. */
int inventory_refresh_partition(struct inventory *inv, const char *kernfs_root, const char *name);
void inventory_free(struct inventory *inv);

/* Building inventories by hand (tests, benchmarks). */
struct inventory *inventory_new(void);
/* Mark cpu present on node (node may be -1). */
int inventory_add_cpu(struct inventory *inv, unsigned cpu, int node);
/*
 * Make the present CPUs of threads one core (hardware threads that share
 * it). CPUs that already belong to a core of several threads, or that are
 * not present, are left out. Returns 0, -ENOMEM.
 */
int inventory_add_core(struct inventory *inv, const struct cpuset *threads);
/* Add the CPUs of c's core (c included) to out. Returns 0, -ENOMEM. */
int inventory_core_of(const struct inventory *inv, unsigned c, struct cpuset *out);
/* Number of threads of c's core (1 for a CPU of its own). */
unsigned inventory_core_size(const struct inventory *inv, unsigned c);
/* Add a PCI device (unknown fields -1, empty strings, free); call inventory_sort after. */
struct inv_pci *inventory_add_pci(struct inventory *inv, const char *addr);
/* The device at a normalised address, or NULL (the inventory must be sorted). */
struct inv_pci *inventory_pci(const struct inventory *inv, const char *addr);
/*
 * Must the functions of d's slot (dddd:bb:dd) go to one partition
 * together? The module's rule (docs/interfaces.md): yes for a
 * multi-function device unless every function of it has ACS, which keeps
 * the functions from reaching each other's memory without the IOMMU
 * seeing it.
 */
bool pci_must_go_whole(const struct inventory *inv, const struct inv_pci *d);
/* Add a partition with empty strings and state stopped; keeps parts sorted. */
struct inv_partition *inventory_add_partition(struct inventory *inv, const char *name);
/* Call after the last inventory_add_partition of a batch (sorts). */
void inventory_sort(struct inventory *inv);
struct inv_partition *inventory_find(const struct inventory *inv, const char *name);
void inventory_remove_partition(struct inventory *inv, const char *name);
/*
 * {"kernfs_version","cpus":{...,"threads_per_core","cores":[cpulist...],
 * "cores_from"},"numa_nodes":[...],"pool":{...},"partitions":[...]}
 */
struct json_object *inventory_to_json(const struct inventory *inv);
struct json_object *inv_partition_to_json(const struct inv_partition *p);

/* The pool node of node number node, or NULL. */
const struct pool_node *inventory_pool_node(const struct inventory *inv, int node);
/* Bytes of the pool partitions can get: the nodes' pools (the low reserve
 * apart) with NUMA pools, else pool_size. */
uint64_t inventory_pool_for_partitions(const struct inventory *inv);
/*
 * Where the kernel takes a partition's memory from (kmod/pool.c,
 * kpart_pool_shares): share[i] bytes from inv->pool_nodes[i]. node >= 0:
 * all of it from that node. node -1 (auto): from the nodes of its CPUs, in
 * proportion to how many of its CPUs each pool node has (CPUs on nodes
 * without pool, or of unknown node, do not count); when none of its CPUs
 * is on a pool node, from the pool nodes in proportion to their pool size.
 * Each share is rounded down to 2 MiB, the rest goes to the node with the
 * most weight (the lowest of those tied). share must have room for
 * inv->npool_nodes values. Returns 0, or -ENOENT (all shares 0) when node
 * has no pool or there are no pool nodes.
 */
int pool_shares(const struct inventory *inv, const struct cpuset *cpus, int node, uint64_t size,
		uint64_t *share);

/* ------------------------------------------------------------- validation */

/*
 * Check the plan against the machine and place CPU-count partitions.
 * Every problem is added to ps. Returns the number of errors in ps after
 * validation (ps may already hold parse problems; they count).
 */
size_t plan_validate(struct plan *plan, const struct inventory *inv, struct problems *ps);

/* ------------------------------------------------------------------- diff */

enum plan_action_type {
	ACT_STOP,   /* write "stop" to NAME/control, wait for "stopped" */
	ACT_DELETE, /* rmdir NAME */
	ACT_CREATE, /* mkdir NAME */
	ACT_SET,    /* write value to NAME/attr */
	ACT_START,  /* write "start" to NAME/control, wait for "running" */
};

enum plan_phase {
	PHASE_STOP,	 /* stop partitions that are removed or must change */
	PHASE_RELEASE,	 /* give back CPUs, memory and devices, delete removed partitions */
	PHASE_CREATE,	 /* mkdir new partitions */
	PHASE_CONFIGURE, /* write smt_split, cpus, numa_node, memory, kernel, initrd, cmdline,
			    console, devices */
	PHASE_START,	 /* start what should run */
};

struct plan_action {
	enum plan_action_type type;
	enum plan_phase phase;
	char name[KPART_NAME_MAX];
	const char *attr; /* ACT_SET: "cpus", "smt_split", "memory", "kernel", ... */
	char *value;	  /* ACT_SET: what to write */
	char *old;	  /* ACT_SET: the value before (for undo and display) */
	char *why;	  /* short reason, e.g. "not in plan", "autostart" */
	/* ACT_STOP: the state before (undo starts it again if it ran).
	 * ACT_DELETE: kernel/initrd/cmdline/console/smt_split/numa_node to
	 * restore on undo ("" = leave unset). */
	enum part_state old_state;
	char *restore[6];
	/* ACT_STOP, and undoing ACT_START: seconds before the kernel kills the
	 * partition ("stop SECONDS kill"); 0: "stop", then "kill" on ETIMEDOUT.
	 * Set by the caller from the plan's stop_timeout (plan_diff leaves 0). */
	int stop_timeout;
};

struct plan_actions {
	struct plan_action *v;
	size_t n, cap;
};

void plan_actions_init(struct plan_actions *as);
void plan_actions_free(struct plan_actions *as);
/*
 * Compute the ordered actions that turn inv into plan. The plan must have
 * passed plan_validate without errors. Returns 0 or -ENOMEM.
 */
int plan_diff(const struct plan *plan, const struct inventory *inv, struct plan_actions *out);
/*
 * Actions for one partition: start (with a stop first if crashed) or stop.
 * Returns 0, -ENOENT (no such partition) or -ENOMEM.
 */
int plan_actions_for_start(const struct inventory *inv, const char *name, struct plan_actions *out);
int plan_actions_for_stop(const struct inventory *inv, const char *name, struct plan_actions *out);

const char *plan_action_verb(enum plan_action_type t); /* "stop", "delete", ... */
const char *plan_phase_name(enum plan_phase p);
/* One line for people, diff style: "- stop web (definition changed)". */
const char *plan_action_format(const struct plan_action *a, char *buf, size_t len);
/*
 * The line of what plan_action_undo does: the opposite change ("+ start
 * web (undo)" for a stop, "~ set web/cpus 2-3 -> 2-3,7 (undo)" back), or
 * NULL when undoing it does nothing.
 */
const char *plan_action_format_undo(const struct plan_action *a, char *buf, size_t len);
/* {"op","phase","name","attr","from","to","why"}, absent members omitted. */
struct json_object *plan_action_to_json(const struct plan_action *a);
struct json_object *plan_actions_to_json(const struct plan_actions *as);

/* ----------------------------------------------------------- kernfs access */

/*
 * Perform (or undo) the kernfs operation of one action below kernfs_root.
 * Waiting for state changes is the caller's business. On failure returns a
 * negative errno and an explanation that names the file in err. Values are
 * written like echo does (with a trailing newline, in one write). Tests
 * only: with KPART_FIXTURE set in the environment, deleting a partition in
 * a plain fixture directory removes the files in it first.
 */
int plan_action_exec(const char *kernfs_root, const struct plan_action *a, char *err,
		     size_t errlen);
int plan_action_undo(const char *kernfs_root, const struct plan_action *a, char *err,
		     size_t errlen);
/* Read NAME/state; PART_UNKNOWN with -errno in *error on failure. */
enum part_state kernfs_read_state(const char *kernfs_root, const char *name, int *error);
/* Read a whole file: malloc'd, NUL added after *len bytes; NULL with errno set. */
char *kp_read_all(const char *path, size_t *len);
/* Read a small kernfs/sysfs file without trailing newline; malloc'd or NULL (errno set). */
char *kp_read_file(const char *path);
/* Write a whole value in one write(2); returns 0 or -errno. */
int kp_write_file(const char *path, const char *value);

#endif /* KPART_PLAN_H */
