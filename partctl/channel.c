/* SPDX-License-Identifier: MIT */
/*
 * partctl console, logs and ping: these verbs talk straight to the kpart
 * module's files and devices in the boot kernel, not to partd, so they work
 * whether partd runs or not. Like the devices, they need root.
 *
 *   ROOT/NAME/console_log    the last 64 KiB of the application kernel's
 *                            console output, kept across stops and restarts
 *   DEV/kpart-console/NAME   its console as a stream: read() gives output
 *                            produced since open, write() is keyboard input
 *   DEV/kpart-echo/NAME      one opener; each write() is an echo request that
 *                            the application kernel's kpart module sends back
 *
 * ROOT is --root (default /sys/fs/kpart), DEV is --dev (default /dev).
 * See docs/partctl.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "partctl.h"

#define DETACH_KEY 0x1d /* Ctrl-] */
#define ECHO_MAX 4096	/* largest echo message the device takes */
#define PING_MIN 16	/* sequence number and at least 8 pattern bytes */
#define PING_DEFAULT_COUNT 1000
#define PING_DEFAULT_SIZE 64
#define COPY_BUF 16384

/* ------------------------------------------------------------- signals */

/*
 * SIGINT, SIGTERM and SIGHUP set got_signal and write a byte into a pipe
 * that every poll() below watches, so a signal arriving just before poll()
 * still wakes it. No SA_RESTART: a blocked read() or write() returns EINTR.
 */
static volatile sig_atomic_t got_signal;
static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;

	got_signal = sig;
	if (write(signal_pipe[1], "", 1) < 0) {
		/* pipe full: a wakeup is pending anyway */
	}
	errno = saved;
}

static int catch_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa = {.sa_handler = on_signal};
	size_t i;

	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK))
		return -1;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -1;
	return 0;
}

/* ------------------------------------------------------------- helpers */

/* Write all of buf; EINTR retried unless a signal asked us to stop. */
static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t r;

		if (got_signal) {
			errno = EINTR;
			return -1;
		}
		r = write(fd, p, n);
		if (r < 0 && errno == EAGAIN) {
			/* a non-blocking descriptor (say, an inherited stdout): wait */
			struct pollfd pw[2] = {
			    {.fd = fd, .events = POLLOUT},
			    {.fd = signal_pipe[0], .events = POLLIN},
			};

			poll(pw, 2, -1);
			continue;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int check_name(const char *name)
{
	const char *why = plan_name_problem(name);

	if (why)
		return fail(EXIT_INVALID, "\"%s\" is not a partition name: it %s", name, why);
	return EXIT_OK;
}

/* ROOT/NAME/state without the newline; NULL when it cannot be read. */
static char *read_state(const struct opts *o, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/state", o->root, name);
	return kp_read_file(path);
}

/* EXIT_OK when ROOT/NAME exists; otherwise say why not and return the exit code. */
static int check_partition(const struct opts *o, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", o->root, name);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return EXIT_OK;
	if (stat(o->root, &st))
		return fail(EXIT_FAILED, "%s does not exist: is kpart.ko loaded?", o->root);
	return fail(EXIT_INVALID, "no partition named \"%s\"", name);
}

/*
 * open(path) failed with err: say why in the partition's terms and return
 * the exit code. need_running: the device only works while NAME runs.
 */
static int open_failed(const struct opts *o, const char *name, const char *path, int err,
		       bool need_running)
{
	char *state;
	int rc;

	switch (err) {
	case EACCES:
	case EPERM:
		return fail(EXIT_FAILED, "cannot open %s: %s (this needs root)", path,
			    strerror(err));
	case ENOTCONN:
		state = read_state(o, name);
		rc = fail(EXIT_FAILED, "%s is not running%s%s%s", name, state ? " (it is " : "",
			  state ? state : "", state ? ")" : "");
		free(state);
		return rc;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		break;
	default:
		return fail(EXIT_FAILED, "cannot open %s: %s", path, strerror(err));
	}
	rc = check_partition(o, name);
	if (rc)
		return rc;
	state = read_state(o, name);
	if (need_running && state && strcmp(state, "running"))
		rc = fail(EXIT_FAILED, "%s is not running (it is %s)", name, state);
	else
		rc = fail(EXIT_FAILED,
			  "cannot open %s: %s (partition %s exists but its device does not: is "
			  "the kpart module current, and is --dev right?)",
			  path, strerror(err), name);
	free(state);
	return rc;
}

/*
 * Console text for people: drop each '\r' that directly precedes '\n'. A
 * trailing '\r' is held back until the next byte shows whether it goes.
 */
struct crlf {
	bool cr;
};

/* Filter in[0..n) into out (room for n + 1 bytes); returns the length. */
static size_t crlf_filter(struct crlf *st, const char *in, size_t n, char *out)
{
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		if (st->cr) {
			st->cr = false;
			if (in[i] != '\n')
				out[j++] = '\r';
		}
		if (in[i] == '\r')
			st->cr = true;
		else
			out[j++] = in[i];
	}
	return j;
}

static int crlf_write(struct crlf *st, int fd, const char *buf, size_t n)
{
	char out[COPY_BUF + 1];
	size_t chunk;

	while (n) {
		chunk = n < COPY_BUF ? n : COPY_BUF;
		if (write_all(fd, out, crlf_filter(st, buf, chunk, out)))
			return -1;
		buf += chunk;
		n -= chunk;
	}
	return 0;
}

/* Replace bytes that are not UTF-8 with U+FFFD, so the JSON is valid. */
static char *utf8_clean(const char *in, size_t n, size_t *outlen)
{
	char *out = malloc(n * 3 + 1), *p = out;
	size_t i = 0, k, len;

	if (!out)
		return NULL;
	while (i < n) {
		unsigned char c = (unsigned char)in[i];
		uint32_t cp;

		if (c < 0x80) {
			*p++ = (char)c;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			len = 0, cp = 0;
		for (k = 1; len && k < len; k++) {
			if (i + k >= n || ((unsigned char)in[i + k] & 0xc0) != 0x80) {
				len = 0;
				break;
			}
			cp = cp << 6 | ((unsigned char)in[i + k] & 0x3f);
		}
		/* overlong, surrogate or beyond U+10FFFF */
		if (len && ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
			    (len == 4 && (cp < 0x10000 || cp > 0x10ffff))))
			len = 0;
		if (!len) {
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
			i++;
			continue;
		}
		memcpy(p, in + i, len);
		p += len;
		i += len;
	}
	*p = '\0';
	*outlen = (size_t)(p - out);
	return out;
}

/* ------------------------------------------------------------- console */

static struct termios saved_termios;
static bool termios_saved;

static void restore_terminal(void)
{
	if (termios_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
		termios_saved = false;
	}
}

int cmd_console(const struct opts *o, const char *name)
{
	char path[PATH_MAX], buf[COPY_BUF], *state;
	bool told_not_running = false, detached = false, raw = false;
	const char *eol = "\n";
	int fd, rc = EXIT_OK;

	if (check_name(name))
		return EXIT_INVALID;
	snprintf(path, sizeof(path), "%s/kpart-console/%s", o->dev, name);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return open_failed(o, name, path, errno, false);
	state = read_state(o, name);
	signal(SIGPIPE, SIG_IGN);
	if (catch_signals()) {
		close(fd);
		free(state);
		return fail(EXIT_FAILED, "cannot set up signal handling: %s", strerror(errno));
	}
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_termios) == 0) {
		struct termios t = saved_termios;

		termios_saved = true;
		atexit(restore_terminal);
		cfmakeraw(&t);
		if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
			raw = true;
			eol = "\r\n";
		}
	}
	if (!o->quiet) {
		fprintf(stderr, "Connected to %s's console; detach with Ctrl-]%s", name, eol);
		if (state && strcmp(state, "running"))
			fprintf(stderr, "%s is %s: output will appear when it starts%s", name,
				state, eol);
	}
	free(state);

	while (!got_signal && !detached) {
		struct pollfd p[3] = {
		    {.fd = fd, .events = POLLIN},
		    {.fd = STDIN_FILENO, .events = POLLIN},
		    {.fd = signal_pipe[0], .events = POLLIN},
		};
		ssize_t n;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = fail(EXIT_FAILED, "poll: %s", strerror(errno));
			break;
		}
		/* output first, so it is not lost when the same round detaches */
		if (p[0].revents) {
			n = read(fd, buf, sizeof(buf));
			if (n > 0) {
				if (write_all(STDOUT_FILENO, buf, (size_t)n)) {
					if (errno != EINTR && errno != EPIPE)
						rc = fail(EXIT_FAILED, "cannot write output: %s",
							  strerror(errno));
					break;
				}
			} else if (n == 0 || errno == ENODEV) {
				fprintf(stderr, "%spartctl: %s's console closed: was it deleted?%s",
					raw ? "\r\n" : "", name, eol);
				rc = EXIT_FAILED;
				break;
			} else if (errno != EINTR && errno != EAGAIN) {
				rc = fail(EXIT_FAILED, "cannot read %s: %s", path, strerror(errno));
				break;
			}
		}
		if (p[1].revents) {
			const char *key;
			size_t len;

			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				rc = fail(EXIT_FAILED, "cannot read standard input: %s",
					  strerror(errno));
				break;
			}
			if (n == 0) {
				detached = true; /* end of input */
				break;
			}
			key = memchr(buf, DETACH_KEY, (size_t)n);
			len = key ? (size_t)(key - buf) : (size_t)n;
			if (len && write_all(fd, buf, len) == 0) {
				told_not_running = false;
			} else if (len && (errno == ENOTCONN || errno == EPIPE)) {
				/* once until input gets through again */
				if (!told_not_running)
					fprintf(stderr, "%s%s%s; input discarded%s",
						errno == EPIPE ? "the channel to " : "", name,
						errno == EPIPE ? " is broken" : " is not running",
						eol);
				told_not_running = true;
			} else if (len && errno != EINTR) {
				rc = fail(EXIT_FAILED, "cannot write to %s: %s", path,
					  strerror(errno));
				break;
			}
			if (key)
				detached = true;
		}
	}
	restore_terminal();
	close(fd);
	if ((detached || got_signal) && !o->quiet)
		fprintf(stderr, "%sDetached from %s's console\n", raw ? "\n" : "", name);
	return rc;
}

/* ---------------------------------------------------------------- logs */

static int logs_json(const char *name, const char *log, size_t len)
{
	struct json_object *out = json_object_new_object();
	struct crlf st = {0};
	char *text = malloc(len + 1), *clean;
	size_t tlen, clen;

	if (!text)
		return fail(EXIT_FAILED, "out of memory");
	tlen = crlf_filter(&st, log, len, text);
	if (st.cr)
		text[tlen++] = '\r';
	clean = utf8_clean(text, tlen, &clen);
	free(text);
	if (!clean) {
		json_object_put(out);
		return fail(EXIT_FAILED, "out of memory");
	}
	json_outcome(out, EXIT_OK);
	json_object_object_add(out, "name", json_object_new_string(name));
	json_object_object_add(out, "bytes", json_object_new_int64((int64_t)len));
	json_object_object_add(out, "log", json_object_new_string_len(clean, (int)clen));
	free(clean);
	print_json(out);
	json_object_put(out);
	return EXIT_OK;
}

int cmd_logs(const struct opts *o, const char *name)
{
	char logpath[PATH_MAX], devpath[PATH_MAX], buf[COPY_BUF], *log;
	struct crlf st = {0};
	size_t len;
	int fd = -1, rc = EXIT_OK;

	if (check_name(name))
		return EXIT_INVALID;
	snprintf(logpath, sizeof(logpath), "%s/%s/console_log", o->root, name);
	if (o->follow) {
		/* the stream first, so nothing falls between the log and it */
		snprintf(devpath, sizeof(devpath), "%s/kpart-console/%s", o->dev, name);
		fd = open(devpath, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return open_failed(o, name, devpath, errno, false);
		if (catch_signals()) {
			close(fd);
			return fail(EXIT_FAILED, "cannot set up signal handling: %s",
				    strerror(errno));
		}
	}
	log = kp_read_all(logpath, &len);
	if (!log) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (e == ENOENT) {
			rc = check_partition(o, name);
			if (rc)
				return rc;
		}
		return fail(EXIT_FAILED, "cannot read %s: %s%s", logpath, strerror(e),
			    e == EACCES || e == EPERM ? " (this needs root)" : "");
	}
	if (o->json) {
		rc = logs_json(name, log, len);
		free(log);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (crlf_write(&st, STDOUT_FILENO, log, len)) {
		int e = errno;

		free(log);
		if (fd >= 0)
			close(fd);
		if (e == EINTR && got_signal)
			return EXIT_OK;
		return fail(EXIT_FAILED, "cannot write output: %s", strerror(e));
	}
	free(log);
	if (fd < 0) {
		if (st.cr && write_all(STDOUT_FILENO, "\r", 1))
			return fail(EXIT_FAILED, "cannot write output: %s", strerror(errno));
		return EXIT_OK;
	}

	while (!got_signal) {
		struct pollfd p[2] = {
		    {.fd = fd, .events = POLLIN},
		    {.fd = signal_pipe[0], .events = POLLIN},
		};
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = fail(EXIT_FAILED, "poll: %s", strerror(errno));
			break;
		}
		if (!p[0].revents)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			if (crlf_write(&st, STDOUT_FILENO, buf, (size_t)n)) {
				if (errno != EINTR)
					rc = fail(EXIT_FAILED, "cannot write output: %s",
						  strerror(errno));
				break;
			}
		} else if (n == 0 || errno == ENODEV) {
			rc = fail(EXIT_FAILED, "%s's console closed: was it deleted?", name);
			break;
		} else if (errno != EINTR && errno != EAGAIN) {
			rc = fail(EXIT_FAILED, "cannot read %s: %s", devpath, strerror(errno));
			break;
		}
	}
	close(fd);
	return rc;
}

/* ---------------------------------------------------------------- ping */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Request seq: the sequence number (little endian), then a pattern from it. */
static void ping_fill(unsigned char *buf, size_t size, uint64_t seq)
{
	uint64_t s = seq, x = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		buf[i] = (unsigned char)(seq >> (8 * i));
	for (i = 8; i < size; i++) {
		if ((i & 7) == 0)
			x = splitmix64(&s);
		buf[i] = (unsigned char)(x >> (8 * (i & 7)));
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct ping_result {
	uint64_t sent, received, lost, corrupt;
	double min, p50, p99, max, avg; /* microseconds */
};

/* Nearest-rank percentile of sorted v[0..n), n > 0. */
static double percentile_us(const uint64_t *v, size_t n, unsigned pct)
{
	size_t rank = (n * pct + 99) / 100;

	return (double)v[rank ? rank - 1 : 0] / 1000.0;
}

static void ping_stats(struct ping_result *r, uint64_t *rtt, size_t n)
{
	double sum = 0;
	size_t i;

	if (!n)
		return;
	qsort(rtt, n, sizeof(*rtt), cmp_u64);
	for (i = 0; i < n; i++)
		sum += (double)rtt[i];
	r->min = (double)rtt[0] / 1000.0;
	r->p50 = percentile_us(rtt, n, 50);
	r->p99 = percentile_us(rtt, n, 99);
	r->max = (double)rtt[n - 1] / 1000.0;
	r->avg = sum / (double)n / 1000.0;
}

static struct json_object *json_us(double us)
{
	char s[64];

	snprintf(s, sizeof(s), "%.2f", us);
	return json_object_new_double_s(us, s);
}

static void ping_report(const struct opts *o, const char *name, long count, int size,
			const struct ping_result *r, int rc)
{
	if (o->json) {
		struct json_object *out = json_object_new_object();

		json_outcome(out, rc);

		json_object_object_add(out, "name", json_object_new_string(name));
		json_object_object_add(out, "count", json_object_new_int64(count));
		json_object_object_add(out, "size", json_object_new_int(size));
		json_object_object_add(out, "sent", json_object_new_int64((int64_t)r->sent));
		json_object_object_add(out, "received",
				       json_object_new_int64((int64_t)r->received));
		json_object_object_add(out, "lost", json_object_new_int64((int64_t)r->lost));
		json_object_object_add(out, "corrupt", json_object_new_int64((int64_t)r->corrupt));
		json_object_object_add(out, "min_us", json_us(r->min));
		json_object_object_add(out, "p50_us", json_us(r->p50));
		json_object_object_add(out, "p99_us", json_us(r->p99));
		json_object_object_add(out, "max_us", json_us(r->max));
		json_object_object_add(out, "avg_us", json_us(r->avg));
		print_json(out);
		json_object_put(out);
		return;
	}
	printf("%s: %" PRIu64 " round trip%s of %d bytes", name, r->received,
	       r->received == 1 ? "" : "s", size);
	if (r->received)
		printf(": min %.2f us, p50 %.2f us, p99 %.2f us, max %.2f us, avg %.2f us", r->min,
		       r->p50, r->p99, r->max, r->avg);
	if (r->lost)
		printf(", lost %" PRIu64, r->lost);
	if (r->corrupt)
		printf(", corrupt %" PRIu64, r->corrupt);
	putchar('\n');
	fflush(stdout);
}

/*
 * Wait until fd is readable or the deadline (CLOCK_MONOTONIC) passes.
 * 1: readable, 0: timed out, -1: error or a signal (errno EINTR).
 */
static int wait_readable(int fd, uint64_t deadline_ns)
{
	for (;;) {
		struct pollfd p[2] = {
		    {.fd = fd, .events = POLLIN},
		    {.fd = signal_pipe[0], .events = POLLIN},
		};
		uint64_t now = now_ns();
		int r;

		if (got_signal) {
			errno = EINTR;
			return -1;
		}
		if (now >= deadline_ns)
			return 0;
		/* round up: never wake before the deadline */
		r = poll(p, 2, (int)((deadline_ns - now + 999999) / 1000000));
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0 && p[0].revents)
			return 1;
	}
}

/*
 * A reply that is a well-formed request from another run (a sequence number
 * outside base..base+count-1 and its pattern), left over from an earlier
 * ping that ended before its reply came: not this run's, ignored.
 */
static bool stale_reply(const unsigned char *rep, size_t n, uint64_t base, long count)
{
	unsigned char want[ECHO_MAX];
	uint64_t seq = 0;
	size_t i;

	if (n < PING_MIN || n > ECHO_MAX)
		return false;
	for (i = 0; i < 8; i++)
		seq |= (uint64_t)rep[i] << (8 * i);
	if (seq - base < (uint64_t)count)
		return false;
	ping_fill(want, n, seq);
	return !memcmp(want, rep, n);
}

int cmd_ping(const struct opts *o, const char *name)
{
	long count = o->count ? o->count : PING_DEFAULT_COUNT;
	int size = o->size ? o->size : PING_DEFAULT_SIZE;
	int timeout_s = o->timeout_s ? o->timeout_s : 1;
	unsigned char req[ECHO_MAX], rep[ECHO_MAX];
	struct ping_result r = {0};
	bool interrupted = false, stopped = false;
	int rc;
	char path[PATH_MAX], *state;
	uint64_t *rtt, base, stale = 0;
	long i;
	int fd;

	if (check_name(name))
		return EXIT_INVALID;
	snprintf(path, sizeof(path), "%s/kpart-echo/%s", o->dev, name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EBUSY)
			return fail(EXIT_FAILED, "another ping is running on %s", name);
		return open_failed(o, name, path, errno, true);
	}
	rtt = malloc((size_t)count * sizeof(*rtt));
	if (!rtt) {
		close(fd);
		return fail(EXIT_FAILED, "out of memory");
	}
	if (catch_signals()) {
		close(fd);
		free(rtt);
		return fail(EXIT_FAILED, "cannot set up signal handling: %s", strerror(errno));
	}
	/* sequence numbers of this run: base.. (tells replies to earlier runs apart) */
	if (getrandom(&base, sizeof(base), GRND_NONBLOCK) != sizeof(base))
		base = now_ns() ^ ((uint64_t)getpid() << 40);

	for (i = 0; i < count && !stopped; i++) {
		uint64_t t0, deadline;
		ssize_t n;
		int w;

		ping_fill(req, (size_t)size, base + (uint64_t)i);
		t0 = now_ns();
		deadline = t0 + (uint64_t)timeout_s * 1000000000ull;
		n = write(fd, req, (size_t)size);
		if (n < 0) {
			stopped = true;
			if (errno == EINTR && got_signal) {
				interrupted = true;
			} else if (errno == ENOTCONN) {
				state = read_state(o, name);
				fail(EXIT_FAILED, "%s is not running%s%s%s", name,
				     state ? " (it is " : "", state ? state : "", state ? ")" : "");
				free(state);
			} else if (errno == EPIPE) {
				fail(EXIT_FAILED, "the channel to %s is broken (see %s/%s/channel)",
				     name, o->root, name);
			} else {
				fail(EXIT_FAILED, "cannot send to %s: %s", path, strerror(errno));
			}
			break;
		}
		r.sent++;
		if (n != size) {
			fail(EXIT_FAILED, "%s took %zd of %d bytes of a request", path, n, size);
			r.lost++;
			break;
		}
		for (;;) { /* until this request's reply, skipping stale ones */
			w = wait_readable(fd, deadline);
			if (w == 0) {
				r.lost++;
				fail(EXIT_FAILED,
				     "no reply to request %ld within %d s: counted as lost; "
				     "stopping",
				     i + 1, timeout_s);
				stopped = true;
				break;
			}
			n = w < 0 ? -1 : read(fd, rep, sizeof(rep));
			if (n < 0 && errno == EAGAIN)
				continue;
			if (n < 0) {
				stopped = true;
				if (errno == EINTR && got_signal) {
					r.sent--; /* its round trip did not complete: not counted */
					interrupted = true;
				} else if (errno == EMSGSIZE) {
					r.received++;
					r.corrupt++;
					fail(EXIT_FAILED,
					     "a reply from %s is longer than %d bytes; stopping",
					     name, ECHO_MAX);
				} else {
					r.lost++;
					if (errno == ENOTCONN)
						fail(EXIT_FAILED, "%s stopped running", name);
					else if (errno == EPIPE)
						fail(EXIT_FAILED, "the channel to %s broke", name);
					else
						fail(EXIT_FAILED, "cannot read %s: %s", path,
						     strerror(errno));
				}
				break;
			}
			if (n != size || memcmp(req, rep, (size_t)size)) {
				if (stale_reply(rep, (size_t)n, base, count)) {
					stale++;
					continue;
				}
				r.corrupt++;
			}
			rtt[r.received++] = now_ns() - t0;
			break;
		}
	}
	close(fd);
	if (interrupted && !o->quiet)
		fprintf(stderr, "partctl: interrupted after %" PRIu64 " of %ld round trips\n",
			r.received, count);
	if (stale && !o->quiet)
		fprintf(stderr,
			"partctl: ignored %" PRIu64 " repl%s left over from an earlier run\n",
			stale, stale == 1 ? "y" : "ies");
	if (r.corrupt)
		fprintf(stderr,
			"partctl: %" PRIu64 " repl%s from %s did not match %s request (content, "
			"length or order)\n",
			r.corrupt, r.corrupt == 1 ? "y" : "ies", name,
			r.corrupt == 1 ? "its" : "their");
	ping_stats(&r, rtt, (size_t)r.received);
	free(rtt);
	rc = r.received == (uint64_t)count && !r.lost && !r.corrupt ? EXIT_OK : EXIT_FAILED;
	if (r.sent)
		ping_report(o, name, count, size, &r, rc);
	return rc;
}
