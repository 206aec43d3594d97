/* SPDX-License-Identifier: MIT */
/*
 * The live machine: CPU/NUMA topology from sysfs and kpart state from the
 * kernfs control filesystem (docs/interfaces.md). Both roots are
 * parameters so that tests can point them at fixture directories. Cores
 * (which CPUs are hardware threads of one core) come from the kpart file
 * cpu_cores, which knows offline CPUs too; without it from sysfs.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <json-c/json.h>

#include "internal.h"

static const char *const state_names[] = {
    [PART_UNKNOWN] = "unknown", [PART_STOPPED] = "stopped",   [PART_STARTING] = "starting",
    [PART_RUNNING] = "running", [PART_STOPPING] = "stopping", [PART_CRASHED] = "crashed",
};

const char *part_state_name(enum part_state s)
{
	return (unsigned)s < ARRAY_SIZE(state_names) ? state_names[s] : "unknown";
}

enum part_state part_state_parse(const char *s)
{
	size_t i;

	for (i = 1; s && i < ARRAY_SIZE(state_names); i++)
		if (!strcmp(s, state_names[i]))
			return (enum part_state)i;
	return PART_UNKNOWN;
}

struct inventory *inventory_new(void)
{
	struct inventory *inv = calloc(1, sizeof(*inv));

	if (!inv)
		return NULL;
	inv->iface_version = KPART_IFACE_VERSION;
	inv->nnodes = 0;
	inv->threads_per_core = 1;
	return inv;
}

static void inv_partition_free(struct inv_partition *p)
{
	cpuset_free(&p->cpus);
	free(p->memory_range);
	free(p->ranges);
	free(p->kernel);
	free(p->initrd);
	free(p->cmdline);
	free(p->console);
	free(p->exit_reason);
	free(p->devices);
}

void inventory_free(struct inventory *inv)
{
	size_t i;

	if (!inv)
		return;
	for (i = 0; i < inv->nparts; i++)
		inv_partition_free(&inv->parts[i]);
	free(inv->parts);
	for (i = 0; i < inv->nnodes; i++)
		cpuset_free(&inv->node_cpus[i]);
	free(inv->node_cpus);
	free(inv->cpu_node);
	free(inv->sibling);
	cpuset_free(&inv->present);
	cpuset_free(&inv->assigned);
	free(inv->pool_range);
	free(inv->pool_ranges);
	free(inv->pool_nodes);
	free(inv->file_root);
	pci_free(inv);
	free(inv);
}

int inventory_add_cpu(struct inventory *inv, unsigned cpu, int node)
{
	if (cpu >= CPUSET_MAX_CPUS || node >= 65536)
		return -ERANGE;
	if (cpuset_set(&inv->present, cpu))
		return -ENOMEM;
	if (cpu >= inv->ncpus) {
		unsigned n = cpu + 1, i;
		int *cn = realloc(inv->cpu_node, n * sizeof(*cn));
		unsigned *sib;

		if (!cn)
			return -ENOMEM;
		inv->cpu_node = cn;
		sib = realloc(inv->sibling, n * sizeof(*sib));
		if (!sib)
			return -ENOMEM;
		inv->sibling = sib;
		for (i = inv->ncpus; i < n; i++) {
			cn[i] = -1;
			sib[i] = i;
		}
		inv->ncpus = n;
	}
	if (node >= 0) {
		if ((unsigned)node >= inv->nnodes) {
			unsigned n = (unsigned)node + 1, i;
			struct cpuset *nc = realloc(inv->node_cpus, n * sizeof(*nc));

			if (!nc)
				return -ENOMEM;
			for (i = inv->nnodes; i < n; i++)
				cpuset_init(&nc[i]);
			inv->node_cpus = nc;
			inv->nnodes = n;
		}
		if (inv->cpu_node[cpu] >= 0)
			cpuset_clear(&inv->node_cpus[inv->cpu_node[cpu]], cpu);
		inv->cpu_node[cpu] = node;
		if (cpuset_set(&inv->node_cpus[node], cpu))
			return -ENOMEM;
	}
	return 0;
}

int inventory_add_core(struct inventory *inv, const struct cpuset *threads)
{
	unsigned first = ~0u, prev = ~0u, n = 0;
	int c;

	for (c = cpuset_next(threads, 0); c >= 0 && (unsigned)c < inv->ncpus;
	     c = cpuset_next(threads, (unsigned)c + 1)) {
		if (!cpuset_test(&inv->present, (unsigned)c) || inv->sibling[c] != (unsigned)c)
			continue;
		if (prev == ~0u)
			first = (unsigned)c;
		else
			inv->sibling[prev] = (unsigned)c;
		prev = (unsigned)c;
		n++;
	}
	if (prev != ~0u)
		inv->sibling[prev] = first;
	if (n > inv->threads_per_core)
		inv->threads_per_core = n;
	return 0;
}

int inventory_core_of(const struct inventory *inv, unsigned c, struct cpuset *out)
{
	unsigned t = c;

	if (c >= inv->ncpus || !inv->sibling)
		return cpuset_set(out, c);
	do {
		if (cpuset_set(out, t))
			return -ENOMEM;
		t = inv->sibling[t];
	} while (t != c);
	return 0;
}

unsigned inventory_core_size(const struct inventory *inv, unsigned c)
{
	unsigned t = c, n = 0;

	if (c >= inv->ncpus || !inv->sibling)
		return 1;
	do {
		n++;
		t = inv->sibling[t];
	} while (t != c);
	return n;
}

static int cmp_part(const void *a, const void *b)
{
	return strcmp(((const struct inv_partition *)a)->name,
		      ((const struct inv_partition *)b)->name);
}

void inventory_sort(struct inventory *inv)
{
	if (inv->nparts > 1)
		qsort(inv->parts, inv->nparts, sizeof(*inv->parts), cmp_part);
	pci_sort(inv);
}

struct inv_partition *inventory_add_partition(struct inventory *inv, const char *name)
{
	struct inv_partition *p;

	if (strlen(name) >= KPART_NAME_MAX)
		return NULL;
	p = kp_reserve(inv->parts, inv->nparts, &inv->capparts, sizeof(*p), 8);
	if (!p)
		return NULL;
	inv->parts = p;
	p = &inv->parts[inv->nparts];
	memset(p, 0, sizeof(*p));
	strcpy(p->name, name);
	p->state = PART_STOPPED;
	p->mem_node = -1;
	p->kernel = strdup("");
	p->initrd = strdup("");
	p->cmdline = strdup("");
	p->console = strdup("");
	p->exit_reason = strdup("none");
	p->memory_range = strdup("");
	p->devices = strdup("");
	if (!p->kernel || !p->initrd || !p->cmdline || !p->console || !p->exit_reason ||
	    !p->memory_range || !p->devices) {
		inv_partition_free(p);
		return NULL;
	}
	inv->nparts++;
	return p;
}

struct inv_partition *inventory_find(const struct inventory *inv, const char *name)
{
	size_t lo = 0, hi = inv->nparts;

	/* parts are kept sorted by name */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, inv->parts[mid].name);

		if (!c)
			return &inv->parts[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void inventory_remove_partition(struct inventory *inv, const char *name)
{
	struct inv_partition *p = inventory_find(inv, name);
	size_t i;

	if (!p)
		return;
	i = (size_t)(p - inv->parts);
	inv_partition_free(p);
	memmove(&inv->parts[i], &inv->parts[i + 1], (inv->nparts - i - 1) * sizeof(*p));
	inv->nparts--;
}

/* ------------------------------------------------------------------ read */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static char *read_at(const char *dir, const char *name)
{
	char *path = kp_asprintf("%s/%s", dir, name), *s;

	if (!path)
		return NULL;
	s = kp_read_file(path);
	free(path);
	return s;
}

static int read_u64(const char *dir, const char *name, uint64_t *v)
{
	char *s = read_at(dir, name), *end;
	int r = 0;

	if (!s)
		return -errno;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		r = -EINVAL;
	free(s);
	return r;
}

/* Replace *field with the file's content, "" when unreadable. */
static int read_str_field(const char *dir, const char *name, char **field)
{
	char *s = read_at(dir, name);

	if (!s) {
		if (errno == ENOMEM)
			return -ENOMEM;
		s = strdup("");
		if (!s)
			return -ENOMEM;
	}
	free(*field);
	*field = s;
	return 0;
}

/*
 * A file of range lines (pool_range, memory_range) into *v, *n and the
 * joined form *joined. An absent file is no ranges. -EINVAL with a message
 * naming the file when it is malformed.
 */
static int read_ranges(const char *dir, const char *name, struct mem_range **v, size_t *n,
		       char **joined, char *err, size_t errlen)
{
	char *path = kp_asprintf("%s/%s", dir, name), *s, *j, perr[160];
	size_t len;
	int r;

	if (!path)
		return -ENOMEM;
	s = kp_read_all(path, &len);
	if (!s && errno == ENOMEM) {
		free(path);
		return -ENOMEM;
	}
	r = mem_ranges_parse(s ? s : "", v, n, perr, sizeof(perr));
	free(s);
	if (r == -EINVAL)
		set_err(err, errlen, "%s %s (is this kpart module newer than partctl?)", path,
			perr);
	else if (r)
		set_err(err, errlen, "out of memory reading %s", path);
	free(path);
	if (r)
		return r;
	j = mem_ranges_format(*v, *n);
	if (!j)
		return -ENOMEM;
	free(*joined);
	*joined = j;
	return 0;
}

/* NAME/devices: one address per line (absent before device hand-off: none) */
static int read_devices(struct inv_partition *p, const char *dir, char *err, size_t errlen)
{
	char *path = kp_asprintf("%s/devices", dir), *text, *tok, *save = NULL, **v = NULL, *j;
	size_t len, n = 0, i;
	int r = 0;

	if (!path)
		return -ENOMEM;
	text = kp_read_all(path, &len);
	if (!text) {
		free(path);
		return errno == ENOMEM ? -ENOMEM : 0;
	}
	for (tok = strtok_r(text, " ,\t\n", &save); tok; tok = strtok_r(NULL, " ,\t\n", &save)) {
		char **nv = realloc(v, (n + 1) * sizeof(*v));

		if (!nv) {
			r = -ENOMEM;
			break;
		}
		v = nv;
		if (!(v[n] = malloc(PCI_ADDR_LEN))) {
			r = -ENOMEM;
			break;
		}
		if (pci_addr_normalize(tok, v[n++])) {
			set_err(err, errlen, "%s: \"%s\" is not a PCI address", path, tok);
			r = -EINVAL;
			break;
		}
	}
	if (!r) {
		j = pci_addrs_join(v, n);
		if (j) {
			free(p->devices);
			p->devices = j;
		} else {
			r = -ENOMEM;
		}
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(text);
	free(path);
	return r;
}

static int read_partition(struct inv_partition *p, const char *dir, char *err, size_t errlen)
{
	char *s, *end;
	uint64_t v;
	long node;
	int r;

	s = read_at(dir, "cpus");
	cpuset_zero(&p->cpus);
	if (s) {
		cpuset_parse(&p->cpus, s, NULL, 0);
		free(s);
	}
	p->memory = read_u64(dir, "memory", &v) ? 0 : v;
	/* absent before the kernel knew about cores: never split */
	p->smt_split = read_u64(dir, "smt_split", &v) == 0 && v != 0;
	p->boot_count = read_u64(dir, "boot_count", &v) ? 0 : (unsigned long)v;
	p->boot_time_us = read_u64(dir, "boot_time", &v) ? 0 : v;
	free(p->ranges);
	p->ranges = NULL;
	p->nranges = 0;
	r = read_ranges(dir, "memory_range", &p->ranges, &p->nranges, &p->memory_range, err,
			errlen);
	if (r)
		return r;
	/* "auto" (or no file: a module before NUMA pools) or a node number */
	p->mem_node = -1;
	s = read_at(dir, "numa_node");
	if (s && strcmp(s, "auto")) {
		errno = 0;
		node = strtol(s, &end, 10);
		if (errno || end == s || *end || node < -1 || node > 65535) {
			set_err(err, errlen,
				"%s/numa_node: \"%s\" is neither auto nor a node number", dir, s);
			free(s);
			return -EINVAL;
		}
		p->mem_node = (int)node;
	}
	free(s);
	if (read_str_field(dir, "kernel", &p->kernel) ||
	    read_str_field(dir, "initrd", &p->initrd) ||
	    read_str_field(dir, "cmdline", &p->cmdline) ||
	    read_str_field(dir, "console", &p->console) ||
	    read_str_field(dir, "exit_reason", &p->exit_reason))
		goto oom;
	s = read_at(dir, "state");
	p->state = s ? part_state_parse(s) : PART_UNKNOWN;
	free(s);
	return read_devices(p, dir, err, errlen);
oom:
	set_err(err, errlen, "out of memory reading %s", dir);
	return -ENOMEM;
}

/* pool_nodes: absent in modules before NUMA pools (numa_pool stays false). */
static int read_pool_nodes(struct inventory *inv, const char *root, char *err, size_t errlen)
{
	char *path = kp_asprintf("%s/pool_nodes", root), *s, perr[160];
	size_t len;
	int r;

	if (!path)
		return -ENOMEM;
	s = kp_read_all(path, &len);
	if (!s) {
		r = errno == ENOMEM ? -ENOMEM : 0;
		free(path);
		return r;
	}
	r = pool_nodes_parse(s, &inv->pool_nodes, &inv->npool_nodes, &inv->pool_low, perr,
			     sizeof(perr));
	free(s);
	if (r == -EINVAL)
		set_err(err, errlen, "%s %s (is this kpart module newer than partctl?)", path,
			perr);
	else if (r)
		set_err(err, errlen, "out of memory reading %s", path);
	else
		inv->numa_pool = true;
	free(path);
	return r;
}

static int read_topology(struct inventory *inv, const char *sysfs, char *err, size_t errlen)
{
	char *dir = kp_asprintf("%s/devices/system/cpu", sysfs), *s, *path;
	struct cpuset tmp;
	DIR *d;
	struct dirent *de;
	bool have_nodes = false;
	char perr[128];
	int c, r = 0;

	if (!dir)
		return -ENOMEM;
	s = read_at(dir, "present");
	if (!s) {
		set_err(err, errlen, "cannot read %s/present: %s", dir, strerror(errno));
		free(dir);
		return -ENOENT;
	}
	cpuset_init(&tmp);
	if (cpuset_parse(&tmp, s, perr, sizeof(perr))) {
		set_err(err, errlen, "%s/present: %s", dir, perr);
		r = -EINVAL;
		goto out;
	}
	for (c = cpuset_next(&tmp, 0); c >= 0; c = cpuset_next(&tmp, (unsigned)c + 1))
		if ((r = inventory_add_cpu(inv, (unsigned)c, -1)))
			goto out;

	path = kp_asprintf("%s/devices/system/node", sysfs);
	d = path ? opendir(path) : NULL;
	while (d && (de = readdir(d))) {
		char *end, *ndir;
		long node;

		if (strncmp(de->d_name, "node", 4) || !isdigit((unsigned char)de->d_name[4]))
			continue;
		node = strtol(de->d_name + 4, &end, 10);
		if (*end || node > 65535)
			continue;
		ndir = kp_asprintf("%s/%s", path, de->d_name);
		free(s);
		s = ndir ? read_at(ndir, "cpulist") : NULL;
		free(ndir);
		if (!s || cpuset_parse(&tmp, s, NULL, 0))
			continue;
		have_nodes = true;
		/* make the node known even when all its CPUs are offline */
		if ((unsigned)node >= inv->nnodes) {
			struct cpuset *nc =
			    realloc(inv->node_cpus, ((size_t)node + 1) * sizeof(*nc));
			unsigned i;

			if (!nc) {
				r = -ENOMEM;
				break;
			}
			for (i = inv->nnodes; i <= (unsigned)node; i++)
				cpuset_init(&nc[i]);
			inv->node_cpus = nc;
			inv->nnodes = (unsigned)node + 1;
		}
		for (c = cpuset_next(&tmp, 0); c >= 0; c = cpuset_next(&tmp, (unsigned)c + 1))
			if (cpuset_test(&inv->present, (unsigned)c))
				inventory_add_cpu(inv, (unsigned)c, (int)node);
	}
	if (d)
		closedir(d);
	free(path);
	if (r)
		goto out;

	/*
	 * Node cpulists only show online CPUs, and CPUs held by partitions are
	 * offline in the boot kernel; their cpuN/nodeM links remain.
	 */
	for (c = 0; c < (int)inv->ncpus; c++) {
		if (!cpuset_test(&inv->present, (unsigned)c) || inv->cpu_node[c] >= 0)
			continue;
		path = kp_asprintf("%s/cpu%d", dir, c);
		d = path ? opendir(path) : NULL;
		while (d && (de = readdir(d))) {
			char *end;
			long node;

			if (strncmp(de->d_name, "node", 4) ||
			    !isdigit((unsigned char)de->d_name[4]))
				continue;
			node = strtol(de->d_name + 4, &end, 10);
			if (!*end && node <= 65535) {
				inventory_add_cpu(inv, (unsigned)c, (int)node);
				have_nodes = true;
			}
		}
		if (d)
			closedir(d);
		free(path);
	}
	/* No NUMA information (or a single node): everything is node 0. */
	if (!have_nodes || inv->nnodes <= 1)
		for (c = 0; c < (int)inv->ncpus; c++)
			if (cpuset_test(&inv->present, (unsigned)c) && inv->cpu_node[c] < 0)
				inventory_add_cpu(inv, (unsigned)c, 0);
out:
	cpuset_free(&tmp);
	free(s);
	free(dir);
	return r;
}

/* kmod/fs.c: the superblock magic of the kpart filesystem ("kpar") */
#define KPART_SUPER_MAGIC 0x6b706172
/* kmod (boot-x86/boot-x86.h): smallest partition, and the pool's granule */
#define KPART_MEM_MIN (16ull << 20)
#define KPART_MEM_ALIGN (2ull << 20)

static int read_kernfs(struct inventory *inv, const char *root, char *err, size_t errlen)
{
	struct statfs sfs;
	struct stat st;
	char *s;
	uint64_t v;
	DIR *d;
	struct dirent *de;
	int r = 0;

	s = read_at(root, "version");
	if (!s) {
		if (stat(root, &st))
			set_err(err, errlen,
				"%s does not exist: is kpart.ko loaded? (modprobe kpart; mount -t "
				"kpart none %s)",
				root, root);
		else
			set_err(err, errlen,
				"the kpart control filesystem is not mounted at %s (mount -t kpart "
				"none %s)",
				root, root);
		return -ENOENT;
	}
	inv->iface_version = atoi(s);
	free(s);
	if (read_u64(root, "pool_size", &v) == 0)
		inv->pool_size = v;
	if (read_u64(root, "pool_free", &v) == 0)
		inv->pool_free = v;
	bool have_available = read_u64(root, "pool_available", &v) == 0;
	if (have_available)
		inv->pool_available = v;
	if (statfs(root, &sfs) == 0 && (unsigned long)sfs.f_type == KPART_SUPER_MAGIC) {
		inv->mem_min = KPART_MEM_MIN;
		inv->mem_align = KPART_MEM_ALIGN;
	}
	r = read_ranges(root, "pool_range", &inv->pool_ranges, &inv->npool_ranges, &inv->pool_range,
			err, errlen);
	if (!r)
		r = read_pool_nodes(inv, root, err, errlen);
	if (r)
		return r;
	s = read_at(root, "cpus_assigned");
	if (s) {
		cpuset_parse(&inv->assigned, s, NULL, 0);
		free(s);
	}
	bool have_assigned = s != NULL;

	d = opendir(root);
	if (!d) {
		set_err(err, errlen, "cannot list %s: %s", root, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		struct inv_partition *p;
		char *dir;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= KPART_NAME_MAX)
			continue;
		dir = kp_asprintf("%s/%s", root, de->d_name);
		if (!dir) {
			r = -ENOMEM;
			break;
		}
		if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
			free(dir);
			continue;
		}
		p = inventory_add_partition(inv, de->d_name);
		r = p ? read_partition(p, dir, err, errlen) : -ENOMEM;
		free(dir);
		if (r)
			break;
	}
	closedir(d);
	inventory_sort(inv);
	if (r == -EINVAL)
		return r; /* err says which file */
	for (size_t i = 0; !r && !have_assigned && i < inv->nparts; i++)
		r = cpuset_or(&inv->assigned, &inv->parts[i].cpus);
	if (!have_available) {
		uint64_t promised = 0;

		for (size_t i = 0; i < inv->nparts; i++)
			promised += inv->parts[i].memory;
		inv->pool_available = promised < inv->pool_size ? inv->pool_size - promised : 0;
	}
	if (r)
		set_err(err, errlen, "out of memory reading %s", root);
	return r;
}

/*
 * Which CPUs are threads of one core: the kpart file cpu_cores (one cpulist
 * per core, present CPUs online or not), else the thread_siblings_list of
 * each online CPU in sysfs (offline CPUs have no topology directory there,
 * and online CPUs do not list offline siblings, so CPUs partitions hold
 * count as cores of their own), else nothing: every CPU is its own core.
 */
static int read_cores(struct inventory *inv, const char *kernfs, const char *sysfs)
{
	char *path = kp_asprintf("%s/cpu_cores", kernfs), *text, *line, *save = NULL;
	struct cpuset core;
	size_t len;
	int c, r = 0;

	if (!path)
		return -ENOMEM;
	text = kp_read_all(path, &len);
	free(path);
	cpuset_init(&core);
	if (text) {
		inv->cores_source = CORES_KPART;
		for (line = strtok_r(text, "\n", &save); !r && line;
		     line = strtok_r(NULL, "\n", &save)) {
			cpuset_zero(&core);
			if (cpuset_parse(&core, line, NULL, 0) == 0)
				r = inventory_add_core(inv, &core);
		}
		free(text);
		cpuset_free(&core);
		return r;
	}
	if (errno == ENOMEM) {
		cpuset_free(&core);
		return -ENOMEM;
	}
	inv->no_smt_split = true;
	for (c = cpuset_next(&inv->present, 0); !r && c >= 0;
	     c = cpuset_next(&inv->present, (unsigned)c + 1)) {
		char *s;

		if (inv->sibling[c] != (unsigned)c)
			continue; /* listed by a sibling already */
		path = kp_asprintf("%s/devices/system/cpu/cpu%d/topology/thread_siblings_list",
				   sysfs, c);
		s = path ? kp_read_file(path) : NULL;
		free(path);
		if (!s)
			continue;
		inv->cores_source = CORES_SYSFS;
		cpuset_zero(&core);
		if (cpuset_parse(&core, s, NULL, 0) == 0)
			r = inventory_add_core(inv, &core);
		free(s);
	}
	cpuset_free(&core);
	return r;
}

struct inventory *inventory_read(const char *kernfs_root, const char *sysfs_root, char *err,
				 size_t errlen)
{
	struct inventory *inv = inventory_new();

	if (!inv) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	if (read_topology(inv, sysfs_root ? sysfs_root : PLAN_DEFAULT_SYSFS, err, errlen) ||
	    read_kernfs(inv, kernfs_root ? kernfs_root : PLAN_DEFAULT_KERNFS, err, errlen)) {
		inventory_free(inv);
		return NULL;
	}
	if (read_cores(inv, kernfs_root ? kernfs_root : PLAN_DEFAULT_KERNFS,
		       sysfs_root ? sysfs_root : PLAN_DEFAULT_SYSFS)) {
		set_err(err, errlen, "out of memory reading the CPU cores");
		inventory_free(inv);
		return NULL;
	}
	if (pci_read(inv, sysfs_root ? sysfs_root : PLAN_DEFAULT_SYSFS,
		     kernfs_root ? kernfs_root : PLAN_DEFAULT_KERNFS, err, errlen)) {
		inventory_free(inv);
		return NULL;
	}
	return inv;
}

int inventory_refresh_partition(struct inventory *inv, const char *kernfs_root, const char *name)
{
	char *dir = kp_asprintf("%s/%s", kernfs_root ? kernfs_root : PLAN_DEFAULT_KERNFS, name);
	struct inv_partition *p;
	struct stat st;
	int r;

	if (!dir)
		return -ENOMEM;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		inventory_remove_partition(inv, name);
		free(dir);
		return -ENOENT;
	}
	p = inventory_find(inv, name);
	if (!p) {
		p = inventory_add_partition(inv, name);
		if (!p) {
			free(dir);
			return -ENOMEM;
		}
		r = read_partition(p, dir, NULL, 0);
		inventory_sort(inv);
	} else {
		bool hold = p->hold;

		r = read_partition(p, dir, NULL, 0);
		p->hold = hold;
	}
	free(dir);
	return r;
}

/* ------------------------------------------------------------------ JSON */

static struct json_object *cpus_json(const struct cpuset *s)
{
	char *t = cpuset_format(s);
	struct json_object *o = json_object_new_string(t ? t : "");

	free(t);
	return o;
}

/* Every present CPU's core once, as cpulists in CPU order; tmp is scratch. */
static struct json_object *cores_json(const struct inventory *inv, struct cpuset *tmp)
{
	struct json_object *arr = json_object_new_array();
	int c;

	for (c = cpuset_next(&inv->present, 0); c >= 0;
	     c = cpuset_next(&inv->present, (unsigned)c + 1)) {
		unsigned t = inv->sibling ? inv->sibling[c] : (unsigned)c;

		/* a core is listed at its lowest CPU: the one its circle wraps to */
		while (t != (unsigned)c && t > (unsigned)c)
			t = inv->sibling[t];
		if (t < (unsigned)c)
			continue;
		cpuset_zero(tmp);
		inventory_core_of(inv, (unsigned)c, tmp);
		json_object_array_add(arr, cpus_json(tmp));
	}
	return arr;
}

/* [{"start","end","node","low"}]: node null when the module did not say */
static struct json_object *ranges_json(const struct mem_range *r, size_t n)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "start", json_object_new_int64((int64_t)r[i].start));
		json_object_object_add(o, "end", json_object_new_int64((int64_t)r[i].end));
		json_object_object_add(o, "node",
				       r[i].node >= 0 ? json_object_new_int(r[i].node) : NULL);
		json_object_object_add(o, "low", json_object_new_boolean(r[i].low));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* "a,b" (NAME/devices as read) as ["a","b"] */
static struct json_object *devices_json(const char *joined)
{
	struct json_object *arr = json_object_new_array();
	const char *p = joined;

	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		json_object_array_add(arr, json_object_new_string_len(p, (int)len));
		p = e ? e + 1 : NULL;
	}
	return arr;
}

struct json_object *inv_partition_to_json(const struct inv_partition *p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "state", json_object_new_string(part_state_name(p->state)));
	json_object_object_add(o, "cpus", cpus_json(&p->cpus));
	json_object_object_add(o, "cpu_count", json_object_new_int((int)cpuset_count(&p->cpus)));
	json_object_object_add(o, "memory", json_object_new_int64((int64_t)p->memory));
	json_object_object_add(o, "memory_range", json_object_new_string(p->memory_range));
	json_object_object_add(o, "memory_ranges", ranges_json(p->ranges, p->nranges));
	json_object_object_add(o, "numa_node",
			       p->mem_node >= 0 ? json_object_new_int(p->mem_node)
						: json_object_new_string("auto"));
	json_object_object_add(o, "kernel", json_object_new_string(p->kernel));
	json_object_object_add(o, "initrd", json_object_new_string(p->initrd));
	json_object_object_add(o, "cmdline", json_object_new_string(p->cmdline));
	json_object_object_add(o, "console", json_object_new_string(p->console));
	json_object_object_add(o, "smt_split", json_object_new_boolean(p->smt_split));
	json_object_object_add(o, "devices", devices_json(p->devices));
	json_object_object_add(o, "exit_reason", json_object_new_string(p->exit_reason));
	json_object_object_add(o, "boot_count", json_object_new_int64((int64_t)p->boot_count));
	json_object_object_add(o, "boot_time_us", json_object_new_int64((int64_t)p->boot_time_us));
	return o;
}

struct json_object *inventory_to_json(const struct inventory *inv)
{
	struct json_object *o = json_object_new_object(), *cpus = json_object_new_object();
	struct json_object *nodes = json_object_new_array(), *pool = json_object_new_object();
	struct json_object *parts = json_object_new_array();
	struct cpuset fr;
	size_t i;

	json_object_object_add(o, "kernfs_version", json_object_new_int(inv->iface_version));
	cpuset_init(&fr);
	cpuset_copy(&fr, &inv->present);
	cpuset_andnot(&fr, &inv->assigned);
	cpuset_clear(&fr, 0);
	json_object_object_add(cpus, "present", cpus_json(&inv->present));
	json_object_object_add(cpus, "count",
			       json_object_new_int((int)cpuset_count(&inv->present)));
	json_object_object_add(cpus, "assigned", cpus_json(&inv->assigned));
	json_object_object_add(cpus, "unassigned", cpus_json(&fr));
	json_object_object_add(
	    cpus, "threads_per_core",
	    json_object_new_int((int)(inv->threads_per_core ? inv->threads_per_core : 1)));
	json_object_object_add(cpus, "cores", cores_json(inv, &fr));
	json_object_object_add(cpus, "cores_from",
			       json_object_new_string(inv->cores_source == CORES_KPART	 ? "kpart"
						      : inv->cores_source == CORES_SYSFS ? "sysfs"
											 : "none"));
	cpuset_free(&fr);
	json_object_object_add(o, "cpus", cpus);
	for (i = 0; i < inv->nnodes; i++) {
		struct json_object *n = json_object_new_object();
		struct cpuset a;

		cpuset_init(&a);
		cpuset_and(&a, &inv->node_cpus[i], &inv->assigned);
		json_object_object_add(n, "node", json_object_new_int((int)i));
		json_object_object_add(n, "cpus", cpus_json(&inv->node_cpus[i]));
		json_object_object_add(n, "assigned", cpus_json(&a));
		cpuset_free(&a);
		json_object_array_add(nodes, n);
	}
	json_object_object_add(o, "numa_nodes", nodes);
	json_object_object_add(pool, "size", json_object_new_int64((int64_t)inv->pool_size));
	json_object_object_add(pool, "free", json_object_new_int64((int64_t)inv->pool_free));
	json_object_object_add(pool, "available",
			       json_object_new_int64((int64_t)inv->pool_available));
	json_object_object_add(pool, "range",
			       json_object_new_string(inv->pool_range ? inv->pool_range : ""));
	json_object_object_add(pool, "numa", json_object_new_boolean(inv->numa_pool));
	json_object_object_add(pool, "for_partitions",
			       json_object_new_int64((int64_t)inventory_pool_for_partitions(inv)));
	nodes = json_object_new_array();
	for (i = 0; i < inv->npool_nodes; i++) {
		const struct pool_node *pn = &inv->pool_nodes[i];
		struct json_object *n = json_object_new_object();

		json_object_object_add(n, "node", json_object_new_int(pn->node));
		json_object_object_add(n, "size", json_object_new_int64((int64_t)pn->size));
		json_object_object_add(n, "free", json_object_new_int64((int64_t)pn->free));
		json_object_object_add(n, "committed",
				       json_object_new_int64((int64_t)pn->committed));
		json_object_object_add(n, "largest", json_object_new_int64((int64_t)pn->largest));
		json_object_object_add(n, "ranges", json_object_new_int((int)pn->ranges));
		json_object_array_add(nodes, n);
	}
	json_object_object_add(pool, "nodes", nodes);
	nodes = json_object_new_object();
	json_object_object_add(nodes, "size", json_object_new_int64((int64_t)inv->pool_low.size));
	json_object_object_add(nodes, "free", json_object_new_int64((int64_t)inv->pool_low.free));
	json_object_object_add(nodes, "ranges", json_object_new_int((int)inv->pool_low.ranges));
	json_object_object_add(pool, "low", nodes);
	json_object_object_add(pool, "ranges", ranges_json(inv->pool_ranges, inv->npool_ranges));
	json_object_object_add(o, "pool", pool);
	for (i = 0; i < inv->nparts; i++)
		json_object_array_add(parts, inv_partition_to_json(&inv->parts[i]));
	json_object_object_add(o, "partitions", parts);
	parts = json_object_new_array();
	for (i = 0; i < inv->npci; i++)
		json_object_array_add(parts, pci_to_json(&inv->pci[i]));
	pool = json_object_new_object();
	json_object_object_add(pool, "sysfs", json_object_new_boolean(inv->pci_known));
	json_object_object_add(pool, "handoff", json_object_new_boolean(inv->pci_handoff));
	json_object_object_add(pool, "devices", parts);
	json_object_object_add(o, "pci", pool);
	return o;
}
