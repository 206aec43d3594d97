/* SPDX-License-Identifier: MIT */
/*
 * partd: makes the machine run the partitions its plan describes, and keeps
 * it that way. See docs/partd.md.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "partd.h"

static bool log_to_journal;
static bool log_verbose;

/*
 * Under journald when stderr is the stream systemd set up for this
 * service (JOURNAL_STREAM names its device and inode): a redirected
 * stderr, e.g. `partd 2>log` from a unit's shell, gets plain lines.
 */
static bool under_journald(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st))
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* One journal field "NAME=value" into iov; false if out of room */
static bool field(struct iovec *iov, size_t *n, char *buf, size_t len, const char *name,
		  const char *value)
{
	int r;

	if (!value)
		return true;
	r = snprintf(buf, len, "%s=%s", name, value);
	if (r < 0 || (size_t)r >= len)
		return false;
	iov[*n].iov_base = buf;
	iov[(*n)++].iov_len = (size_t)r;
	return true;
}

void plog_at(int prio, const char *plan, const char *partition, const char *action, const char *fmt,
	     ...)
{
	char msg[2048], f[5][4200];
	struct iovec iov[6];
	size_t n = 0;
	va_list ap;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_to_journal) {
		char p[16];

		snprintf(p, sizeof(p), "%d", prio);
		if (field(iov, &n, f[0], sizeof(f[0]), "MESSAGE", msg) &&
		    field(iov, &n, f[1], sizeof(f[1]), "PRIORITY", p) &&
		    field(iov, &n, f[2], sizeof(f[2]), "PLAN", plan) &&
		    field(iov, &n, f[3], sizeof(f[3]), "PARTITION", partition) &&
		    field(iov, &n, f[4], sizeof(f[4]), "ACTION", action)) {
			iov[n].iov_base = "SYSLOG_IDENTIFIER=partd";
			iov[n++].iov_len = strlen("SYSLOG_IDENTIFIER=partd");
			if (sd_journal_sendv(iov, (int)n) >= 0)
				return;
		}
		/* the journal refused it: the stream still reaches it */
		fprintf(stderr, "<%d>%s\n", prio, msg);
		return;
	}
	fprintf(stderr, "%s%s\n",
		prio <= LOG_ERR	      ? "partd: error: "
		: prio == LOG_WARNING ? "partd: warning: "
				      : "partd: ",
		msg);
}

/*
 * One partd per machine: an exclusive flock on the kpart root directory,
 * held until exit. The lock lives on the directory's inode, so it is met
 * whatever socket, plan or state directory a second partd is given, and
 * whatever path or mount namespace it reaches the kpart root through.
 */
static int lock_root(struct partd *d)
{
	int fd = open(d->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		plog(LOG_ERR, "cannot open %s: %s", d->root, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno == EWOULDBLOCK)
			plog(LOG_ERR,
			     "another partd already manages %s: one partd per machine "
			     "(systemctl status partd)",
			     d->root);
		else
			plog(LOG_ERR, "cannot lock %s: %s", d->root, strerror(errno));
		close(fd);
		return -1;
	}
	d->lock_fd = fd;
	return 0;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void notify_status(struct partd *d)
{
	size_t i, running = 0, total = d->inv ? d->inv->nparts : 0;
	char buf[512];

	for (i = 0; i < total; i++)
		running += d->inv->parts[i].state == PART_RUNNING;
	if (d->plan_errors)
		snprintf(buf, sizeof(buf),
			 "STATUS=plan %s rejected (%zu errors); %zu/%zu partitions running",
			 d->plan_path, d->plan_errors, running, total);
	else if (d->plan)
		snprintf(buf, sizeof(buf), "STATUS=plan %s: %zu/%zu partitions running",
			 d->plan_source ? d->plan_source : "?", running, total);
	else
		snprintf(buf, sizeof(buf), "STATUS=no plan; %zu/%zu partitions running", running,
			 total);
	sd_notify(0, buf);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: partd [OPTIONS]\n"
		"Make this machine run the kpart partitions its plan describes.\n"
		"\n"
		"  -p, --plan FILE          plan to apply (default " PLAN_DEFAULT_PATH
		", env KPART_PLAN)\n"
		"  -r, --root DIR           kpart control filesystem (default " PLAN_DEFAULT_KERNFS
		", env KPART_ROOT)\n"
		"  -s, --sysfs DIR          sysfs for CPU/NUMA topology (default /sys, env "
		"KPART_SYSFS)\n"
		"  -S, --socket PATH        partctl socket (default " PLAN_DEFAULT_SOCKET
		", env KPART_SOCKET)\n"
		"      --file-root DIR      prefix for kernel/initrd paths when checking them (env "
		"KPART_FILE_ROOT)\n"
		"      --start-timeout SEC  wait this long for a partition to run (default 120)\n"
		"      --stop-timeout SEC   wait this long for a partition to stop (default 60)\n"
		"      --no-netlink         poll partition states instead of listening to events\n"
		"      --poll-interval MS   state polling period without netlink (default 200)\n"
		"  -v, --verbose            log debugging detail\n"
		"  -h, --help               show this help\n"
		"  -V, --version            show the version\n"
		"\n"
		"Signals: SIGHUP re-reads the plan and reconciles; SIGTERM exits and leaves the\n"
		"partitions running. See partd(8) in docs/partd.md.\n");
}

static int parse_seconds(const char *s, int *ms)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 1 || v > 86400)
		return -1;
	*ms = (int)v * 1000;
	return 0;
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static int setup_signals(struct partd *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	d->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return d->sig_fd < 0 ? -errno : 0;
}

static void read_signals(struct partd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			plog(LOG_INFO, "SIGHUP: reloading %s", d->plan_path);
			d->reload_pending = true;
		} else {
			plog(LOG_INFO, "%s: exiting; partitions keep running",
			     strsignal((int)si.ssi_signo));
			d->quit = true;
		}
	}
}

void partd_poll_once(struct partd *d, int timeout_ms)
{
	struct pollfd *pfd;
	struct client **who, *c, *next;
	size_t n = 0, i, cap = 3 + d->nclients;

	pfd = calloc(cap, sizeof(*pfd));
	who = calloc(cap, sizeof(*who));
	if (!pfd || !who) {
		free(pfd);
		free(who);
		poll(NULL, 0, timeout_ms);
		return;
	}
	pfd[n++] = (struct pollfd){.fd = d->sig_fd, .events = POLLIN};
	pfd[n++] = (struct pollfd){.fd = d->listen_fd, .events = POLLIN};
	pfd[n++] = (struct pollfd){.fd = d->nl ? d->nl_fd : -1, .events = POLLIN};
	for (c = d->clients; c && n < cap; c = c->next) {
		if (c->dead)
			continue;
		who[n] = c;
		pfd[n++] = (struct pollfd){.fd = c->fd, .events = POLLIN};
	}
	if (poll(pfd, n, timeout_ms) > 0) {
		if (pfd[0].revents)
			read_signals(d);
		if (pfd[2].revents && d->nl)
			events_dispatch(d);
		for (i = 3; i < n; i++)
			if (pfd[i].revents)
				client_readable(d, who[i]);
		if (pfd[1].revents)
			server_accept(d);
	}
	/* free clients that went away, unless the running job still reports to them */
	for (c = d->clients; c; c = next) {
		next = c->next;
		if (c->dead && c != d->reporter && c != d->job.client)
			client_release(d, c);
	}
	free(pfd);
	free(who);
	if (d->resync_needed || now_ms() >= d->next_resync) {
		d->resync_needed = false;
		d->next_resync = now_ms() + (uint64_t)d->resync_ms;
		if (!d->nl && d->use_netlink && now_ms() >= d->next_nl_retry) {
			/* the module may have been loaded since */
			d->next_nl_retry = now_ms() + 10000;
			events_open(d);
		}
		resync_states(d);
	}
}

/* Make the machine match the plan file, at start-up and on SIGHUP; then ready. */
static void apply_plan_file(struct partd *d)
{
	d->busy = true;
	json_object_put(reconcile(d, NULL, d->plan_path, false, true));
	d->busy = false;
	sd_notify(0, "READY=1");
	notify_status(d);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"plan", required_argument, NULL, 'p'},
	    {"root", required_argument, NULL, 'r'},
	    {"sysfs", required_argument, NULL, 's'},
	    {"socket", required_argument, NULL, 'S'},
	    {"file-root", required_argument, NULL, 'F'},
	    {"start-timeout", required_argument, NULL, 'T'},
	    {"stop-timeout", required_argument, NULL, 't'},
	    {"no-netlink", no_argument, NULL, 'N'},
	    {"poll-interval", required_argument, NULL, 'P'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	struct partd d = {0};
	char err[512];
	int c;

	d.plan_path = env_or("KPART_PLAN", PLAN_DEFAULT_PATH);
	d.root = env_or("KPART_ROOT", PLAN_DEFAULT_KERNFS);
	d.sysfs = env_or("KPART_SYSFS", PLAN_DEFAULT_SYSFS);
	d.socket_path = env_or("KPART_SOCKET", PLAN_DEFAULT_SOCKET);
	d.file_root = env_or("KPART_FILE_ROOT", NULL);
	d.start_timeout_ms = 120000;
	d.stop_timeout_ms = 60000;
	d.poll_ms = 200;
	d.use_netlink = true;
	d.sig_fd = d.listen_fd = d.nl_fd = d.lock_fd = -1;

	while ((c = getopt_long(argc, argv, "p:r:s:S:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			d.plan_path = optarg;
			break;
		case 'r':
			d.root = optarg;
			break;
		case 's':
			d.sysfs = optarg;
			break;
		case 'S':
			d.socket_path = optarg;
			break;
		case 'F':
			d.file_root = optarg;
			break;
		case 'T':
			if (parse_seconds(optarg, &d.start_timeout_ms)) {
				fprintf(stderr, "partd: --start-timeout wants seconds (1-86400)\n");
				return 2;
			}
			break;
		case 't':
			if (parse_seconds(optarg, &d.stop_timeout_ms)) {
				fprintf(stderr, "partd: --stop-timeout wants seconds (1-86400)\n");
				return 2;
			}
			break;
		case 'N':
			d.use_netlink = false;
			break;
		case 'P':
			d.poll_ms = atoi(optarg);
			if (d.poll_ms < 10 || d.poll_ms > 60000) {
				fprintf(stderr, "partd: --poll-interval wants 10-60000 ms\n");
				return 2;
			}
			break;
		case 'v':
			d.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("partd (kpart) %s, plan format %d, kernfs interface %d\n",
			       KPART_VERSION, PLAN_VERSION, KPART_IFACE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "partd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	log_verbose = d.verbose;
	log_to_journal = under_journald();

	if (setup_signals(&d)) {
		plog(LOG_ERR, "cannot set up signals: %s", strerror(errno));
		return 1;
	}
	if (refresh_inventory(&d, err, sizeof(err))) {
		plog(LOG_ERR, "%s", err);
		return 1;
	}
	if (lock_root(&d) || server_open(&d))
		return 1;
	load_held(&d);
	if (d.use_netlink && events_open(&d))
		plog(
		    LOG_WARNING,
		    "generic netlink family \"%s\" not found: polling partition states every %d ms",
		    KPART_GENL_NAME, d.poll_ms);
	d.resync_ms = d.nl ? 30000 : d.poll_ms;
	d.next_nl_retry = now_ms() + 10000;
	d.next_resync = now_ms() + (uint64_t)d.resync_ms;
	plog(LOG_INFO, "kpart interface %d at %s; %zu partitions; pool %llu bytes, %llu free",
	     d.inv->iface_version, d.root, d.inv->nparts, (unsigned long long)d.inv->pool_size,
	     (unsigned long long)d.inv->pool_free);

	/* Adopt what runs, then make the machine match the plan. */
	apply_plan_file(&d);

	while (!d.quit) {
		partd_poll_once(&d, d.nl ? 1000 : d.poll_ms);
		if (d.quit)
			break;
		if (d.job.kind != JOB_NONE) {
			run_job(&d);
		} else if (d.reload_pending) {
			d.reload_pending = false;
			sd_notify(0, "RELOADING=1");
			apply_plan_file(&d);
		} else if (d.nrestart) {
			run_restarts(&d);
		} else {
			check_hangs(&d);
		}
	}
	sd_notify(0, "STOPPING=1");
	events_close(&d);
	server_close(&d);
	if (d.lock_fd >= 0)
		close(d.lock_fd);
	plan_free(d.plan);
	free(d.plan_source);
	inventory_free(d.inv);
	for (size_t i = 0; i < d.nheld; i++)
		free(d.held[i]);
	free(d.held);
	for (size_t i = 0; i < d.nrestart; i++)
		free(d.restart[i]);
	free(d.restart);
	for (size_t i = 0; i < d.nhung; i++)
		free(d.hung[i]);
	free(d.hung);
	return 0;
}
