/*
 * Inter-kernel ring benchmark, with its baselines measured in the same run.
 *
 * Two threads, pinned on two CPUs when possible, move messages through
 *   - the kpart ring (ipi/ring.c, the code the kernels run),
 *   - a Unix domain socket pair (SOCK_SEQPACKET),
 *   - a pipe (a pair of pipes for round trips),
 * and, as the physical floor for round trips, bounce one cache line (an
 * atomic counter) between the two CPUs.
 *
 * Reported: messages per second at 64 B and 4 KiB (one way, sender and
 * receiver each copying the payload), and round-trip time p50/p99 of 16 B
 * and 64 B ping-pong.  Ring endpoints poll (nobody sleeps, so no doorbell is ever
 * requested) but pay for the notification protocol as a kernel would: the
 * sender calls ipi_need_doorbell() after every batch of 16 messages and
 * before waiting on a full ring (one more row: after every message), the
 * receiver ipi_space_need_doorbell() every 16 messages and when empty; in
 * ping-pong both call it after every message.
 *
 * Every message is checked where it arrives, on every transport alike: its
 * length, and its payload, which is its sequence number followed by words
 * derived from it (so a truncated, stale, reordered, duplicated or
 * corrupted message cannot pass).  Echoes are checked by the pinger too.
 * A mismatch prints what was wrong and exits 1: a transport that loses
 * data must not look fast.
 *
 * Each figure is measured RUNS times; the tests take turns (one run of every
 * test, then the next round), so a slow phase of the machine hits all of
 * them alike.  Printed: median [min-max] over the runs.
 *
 * Goals (judged on the medians; the verdicts are information: the exit
 * status is 0 either way unless a check fails):
 *   ring msgs/s at 64 B >= 10 x Unix socket
 *   ring p50 round trip <= 3 x cache-line floor, judged at 16 B (a record
 *   within one cache line, as the floor moves one line); 64 B shown too
 *
 * Usage: ipi_bench [SECONDS_PER_RUN [RUNS]]   (default 0.5 s, 5 runs of 14 tests)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"
#include "stats.h"

#define RING_SIZE (64 * 1024)
#define MAX_MSG 4096
#define MAX_SAMPLES 400000
#define F_END 0x01	   /* user flag on the ring: last message */
#define END_SEQ UINT64_MAX /* sequence number of the last message (fd transports) */
#define MAX_RUNS 100

enum kind { K_RING, K_UNIX, K_PIPE, K_LINE, K_COUNT };
static const char *const kind_name[K_COUNT] = {"kpart ring", "unix seqpacket", "pipe",
					       "cache line"};

struct ctx {
	enum kind kind;
	const char *test; /* "msgs/s", "round trip": for error messages */
	u32 size;	  /* payload bytes */
	u32 batch;	  /* ring: messages per ipi_need_doorbell() check */
	double duration;  /* seconds */

	/* Ring. */
	void *area;
	struct ipi_endpoint ep[2];
	/* Unix socket pair, or pipes: fd[0] A->B write, fd[1] A->B read, fd[2] B->A write,
	 * fd[3] B->A read. */
	int fd[4];
	/* Cache line ping-pong. */
	_Alignas(64) _Atomic u64 line;
	_Alignas(64) atomic_int ready;
	atomic_bool go, stop;

	/* Results. */
	u64 count;
	double t_start, t_end;
	u64 *samples; /* round trips, ns */
	size_t nsamples;
};

static int cpu[2] = {-1, -1};

/* ------------------------------ messages ------------------------------ */

/*
 * Message @seq of @size bytes (a multiple of 8): word 0 is @seq, word j the
 * product of @seq and an odd constant xor j, so every message differs from
 * every other one in every word.
 */
static inline u64 msg_word(u64 seq, u32 j)
{
	return j ? (seq * 0x9e3779b97f4a7c15ull) ^ j : seq;
}

static inline void msg_fill(u8 *buf, u32 size, u64 seq)
{
	for (u32 j = 0; j < size / 8; j++) {
		u64 w = msg_word(seq, j);

		memcpy(buf + 8 * j, &w, 8);
	}
}

static inline u64 msg_seq(const u8 *buf)
{
	u64 w;

	memcpy(&w, buf, 8);
	return w;
}

static inline bool msg_ok(const u8 *buf, long len, u32 size, u64 seq)
{
	u64 bad = 0;

	if (len != (long)size)
		return false;
	for (u32 j = 0; j < size / 8; j++) {
		u64 w;

		memcpy(&w, buf + 8 * j, 8);
		bad |= w ^ msg_word(seq, j);
	}
	return !bad;
}

/* What @who received is not message @seq: say what differs and fail. */
static void msg_mismatch(const struct ctx *c, const char *who, const u8 *buf, long len, u64 seq)
{
	long at = -1;
	u8 want[MAX_MSG];

	msg_fill(want, c->size, seq);
	for (long i = 0; i < len && i < (long)c->size && at < 0; i++)
		if (buf[i] != want[i])
			at = i;
	fprintf(stderr,
		"ipi_bench: CHECK FAILED: %s %s %u B, %s: message %" PRIu64 " is wrong: length %ld "
		"(want %u), ",
		kind_name[c->kind], c->test, c->size, who, seq, len, c->size);
	if (at >= 0)
		fprintf(stderr, "first wrong byte at offset %ld (0x%02x, want 0x%02x)\n", at,
			buf[at], want[at]);
	else
		fprintf(stderr, "its %ld bytes match the start of the message\n", len);
	exit(1);
}

/* Check a received message; @who names the side for the error message. */
static inline void msg_check(const struct ctx *c, const char *who, const u8 *buf, long len, u64 seq)
{
	if (!msg_ok(buf, len, c->size, seq))
		msg_mismatch(c, who, buf, len, seq);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/*
 * Busy wait step: pause, and after a long streak give the CPU away, so that
 * a loaded machine (peer thread preempted) degrades instead of stalling.
 */
static inline void spin_wait(unsigned int *streak)
{
	cpu_relax();
	if (++*streak % 8192 == 0)
		sched_yield();
}

/* Cycle counter for round trips (cheaper than clock_gettime), scaled later. */
static bool use_tsc;

static inline u64 ticks(void)
{
#if defined(__x86_64__)
	if (use_tsc)
		return __builtin_ia32_rdtsc();
#endif
	return now_ns();
}

static double ns_per_tick = 1.0;

static void calibrate_ticks(void)
{
#if defined(__x86_64__)
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			use_tsc = strstr(line, " constant_tsc") && strstr(line, " nonstop_tsc");
			break;
		}
	if (f)
		fclose(f);
	if (use_tsc) {
		u64 n0 = now_ns(), t0 = ticks();
		struct timespec ts = {0, 100 * 1000 * 1000};

		nanosleep(&ts, NULL);
		ns_per_tick = (double)(now_ns() - n0) / (double)(ticks() - t0);
	}
#endif
}

static void pick_cpus(void)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (int i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &set))
			cpu[n++] = i;
	if (n < 2)
		cpu[0] = cpu[1] = -1;
}

static void pin(int which)
{
	cpu_set_t set;

	if (cpu[which] < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu[which], &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		cpu[which] = -1; /* reported as unpinned */
}

/* Both threads pinned and ready, then released together. */
static void start_line(struct ctx *c, int which)
{
	pin(which);
	atomic_fetch_add(&c->ready, 1);
	while (!atomic_load(&c->go))
		cpu_relax();
}

/* ------------------------------ one way ------------------------------ */

static void *ring_tx(void *arg)
{
	struct ctx *c = arg;
	struct ipi_endpoint *ep = &c->ep[0];
	static u8 buf[MAX_MSG];
	u64 n = 0;
	unsigned int w = 0;

	start_line(c, 0);
	for (bool last = false; !last;) {
		last = atomic_load_explicit(&c->stop, memory_order_relaxed);
		msg_fill(buf, c->size, n);
		while (ipi_send(ep, 0, last ? F_END : 0, buf, c->size) == -EAGAIN) {
			/* About to wait: a kernel would ring now if asked to. */
			ipi_need_doorbell(ep);
			spin_wait(&w);
		}
		if (++n % c->batch == 0 || last)
			ipi_need_doorbell(ep);
	}
	return NULL;
}

static void *ring_rx(void *arg)
{
	struct ctx *c = arg;
	struct ipi_endpoint *ep = &c->ep[1];
	static u8 buf[MAX_MSG];
	struct ipi_msg_hdr h;
	u64 n = 0;
	unsigned int w = 0;

	start_line(c, 1);
	for (;;) {
		int r = ipi_recv(ep, &h, buf, sizeof(buf));

		if (r == -EAGAIN) {
			ipi_space_need_doorbell(ep);
			spin_wait(&w);
			continue;
		}
		w = 0;
		if (r < 0) {
			fprintf(stderr, "ring: recv error %d\n", r);
			exit(1);
		}
		/* The last message (F_END) carries the next sequence number too */
		msg_check(c, "receiver", buf, r, n);
		if (h.flags & F_END)
			break;
		if ((++n & 15) == 0)
			ipi_space_need_doorbell(ep);
	}
	c->t_end = now();
	c->count = n;
	return NULL;
}

static void write_all(int fd, const void *p, size_t len)
{
	const u8 *b = p;

	while (len) {
		ssize_t w = write(fd, b, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			perror("write");
			exit(1);
		}
		b += w;
		len -= (size_t)w;
	}
}

/* Read one message: a datagram for the socket, exactly @len bytes for a pipe. */
static ssize_t read_msg(struct ctx *c, int fd, void *p, size_t len)
{
	u8 *b = p;
	size_t got = 0;

	if (c->kind == K_UNIX) {
		ssize_t r;

		do
			r = read(fd, p, MAX_MSG);
		while (r < 0 && errno == EINTR);
		return r;
	}
	while (got < len) {
		ssize_t r = read(fd, b + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* read_msg of one message (c->size bytes on a pipe); a failed read ends the benchmark. */
static ssize_t must_read(struct ctx *c, int fd, void *p)
{
	ssize_t r = read_msg(c, fd, p, c->size);

	if (r <= 0) {
		fprintf(stderr, "%s: read failed\n", kind_name[c->kind]);
		exit(1);
	}
	return r;
}

/*
 * Receive and check message @n from the sender (fd[1]), or the end message
 * (numbered END_SEQ), which is checked as such. Returns true for the end
 * message; its length goes to *len unless len is NULL.
 */
static bool fd_recv_checked(struct ctx *c, u8 *buf, u64 n, const char *who, ssize_t *len)
{
	ssize_t r = must_read(c, c->fd[1], buf);
	u64 seq = r >= 8 && msg_seq(buf) == END_SEQ ? END_SEQ : n;

	msg_check(c, who, buf, r, seq);
	if (len)
		*len = r;
	return seq == END_SEQ;
}

static void *fd_tx(void *arg)
{
	struct ctx *c = arg;
	static u8 buf[MAX_MSG];
	u64 n = 0;

	start_line(c, 0);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		msg_fill(buf, c->size, n++);
		write_all(c->fd[0], buf, c->size);
	}
	/* End: a full message numbered END_SEQ, checked like the others */
	msg_fill(buf, c->size, END_SEQ);
	write_all(c->fd[0], buf, c->size);
	return NULL;
}

static void *fd_rx(void *arg)
{
	struct ctx *c = arg;
	static u8 buf[MAX_MSG];
	u64 n = 0;

	start_line(c, 1);
	while (!fd_recv_checked(c, buf, n, "receiver", NULL))
		n++;
	c->t_end = now();
	c->count = n;
	return NULL;
}

/* ----------------------------- round trip ----------------------------- */

/* Pinger: time each round trip until the duration or the sample budget ends. */
#define PING_LOOP(c, roundtrip)                                                                    \
	do {                                                                                       \
		double deadline;                                                                   \
		start_line(c, 0);                                                                  \
		for (int w = 0; w < 1000; w++) {                                                   \
			roundtrip;                                                                 \
		}                                                                                  \
		deadline = now() + (c)->duration;                                                  \
		while ((c)->nsamples < MAX_SAMPLES) {                                              \
			u64 t0 = ticks();                                                          \
			roundtrip;                                                                 \
			(c)->samples[(c)->nsamples++] = ticks() - t0;                              \
			if (((c)->nsamples & 255) == 0 && now() > deadline)                        \
				break;                                                             \
		}                                                                                  \
	} while (0)

/* A broken ring would return at once and time nothing: never report that */
static void ring_failed(struct ipi_endpoint *ep, int err)
{
	fprintf(stderr, "ipi_bench: ring failed (%d): %s at index %#x value %#x\n", err,
		ipi_fault_str(ipi_fault(ep)), ep->fault_pos, ep->fault_val);
	exit(1);
}

/* Send message @seq, wait for its echo and check it. */
static void ring_roundtrip(struct ctx *c, u8 *buf, u64 seq, u16 flags)
{
	struct ipi_endpoint *ep = &c->ep[0];
	unsigned int w = 0;
	int r;

	msg_fill(buf, c->size, seq);
	while (ipi_send(ep, 0, flags, buf, c->size) == -EAGAIN)
		spin_wait(&w);
	ipi_need_doorbell(ep);
	if (flags & F_END)
		return;
	while ((r = ipi_recv(ep, NULL, buf, MAX_MSG)) == -EAGAIN)
		spin_wait(&w);
	if (r < 0)
		ring_failed(ep, r);
	msg_check(c, "pinger (echo)", buf, r, seq);
}

static void *ring_ping(void *arg)
{
	struct ctx *c = arg;
	u8 buf[MAX_MSG] = {0};
	u64 seq = 0;

	PING_LOOP(c, ring_roundtrip(c, buf, seq++, 0));
	ring_roundtrip(c, buf, seq, F_END);
	return NULL;
}

static void *ring_pong(void *arg)
{
	struct ctx *c = arg;
	struct ipi_endpoint *ep = &c->ep[1];
	u8 buf[MAX_MSG];
	struct ipi_msg_hdr h;

	start_line(c, 1);
	for (u64 seq = 0;; seq++) {
		unsigned int w = 0;
		int r;

		while ((r = ipi_recv(ep, &h, buf, sizeof(buf))) == -EAGAIN)
			spin_wait(&w);
		if (r < 0)
			ring_failed(ep, r);
		msg_check(c, "ponger", buf, r, seq);
		if (h.flags & F_END)
			break;
		while (ipi_send(ep, 0, 0, buf, (u32)r) == -EAGAIN)
			spin_wait(&w);
		ipi_need_doorbell(ep);
	}
	return NULL;
}

static void fd_roundtrip(struct ctx *c, u8 *buf, u64 seq)
{
	ssize_t r;

	msg_fill(buf, c->size, seq);
	write_all(c->fd[0], buf, c->size);
	r = must_read(c, c->fd[3], buf);
	msg_check(c, "pinger (echo)", buf, r, seq);
}

static void *fd_ping(void *arg)
{
	struct ctx *c = arg;
	u8 buf[MAX_MSG] = {0};
	u64 seq = 0;

	PING_LOOP(c, fd_roundtrip(c, buf, seq++));
	msg_fill(buf, c->size, END_SEQ);
	write_all(c->fd[0], buf, c->size);
	return NULL;
}

static void *fd_pong(void *arg)
{
	struct ctx *c = arg;
	u8 buf[MAX_MSG];
	ssize_t r;

	start_line(c, 1);
	for (u64 n = 0; !fd_recv_checked(c, buf, n, "ponger", &r); n++)
		write_all(c->fd[2], buf, (size_t)r);
	return NULL;
}

static void line_roundtrip(struct ctx *c, u64 *v)
{
	unsigned int w = 0;

	atomic_store_explicit(&c->line, *v + 1, memory_order_release);
	while (atomic_load_explicit(&c->line, memory_order_acquire) != *v + 2)
		spin_wait(&w);
	*v += 2;
}

static void *line_ping(void *arg)
{
	struct ctx *c = arg;
	u64 v = 0;

	PING_LOOP(c, line_roundtrip(c, &v));
	atomic_store(&c->line, UINT64_MAX);
	return NULL;
}

static void *line_pong(void *arg)
{
	struct ctx *c = arg;
	u64 v;

	start_line(c, 1);
	for (;;) {
		unsigned int w = 0;

		while (!((v = atomic_load_explicit(&c->line, memory_order_acquire)) & 1))
			spin_wait(&w);
		if (v == UINT64_MAX)
			break;
		atomic_store_explicit(&c->line, v + 1, memory_order_release);
	}
	return NULL;
}

/* ------------------------------- driver ------------------------------- */

static void setup(struct ctx *c)
{
	c->fd[0] = c->fd[1] = c->fd[2] = c->fd[3] = -1;
	if (c->kind == K_RING) {
		struct ipi_config cfg = {
		    .ring_size = RING_SIZE, .max_payload = MAX_MSG, .nr_channels = 1};
		size_t bytes = IPI_AREA_BYTES(RING_SIZE);

		c->area = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);
		if (!c->area || ipi_area_init(c->area, bytes, &cfg) ||
		    ipi_endpoint_open(&c->ep[0], c->area, bytes, IPI_SIDE_BOOT, &cfg) ||
		    ipi_endpoint_open(&c->ep[1], c->area, bytes, IPI_SIDE_APP, &cfg)) {
			fprintf(stderr, "ring setup failed\n");
			exit(1);
		}
	} else if (c->kind == K_UNIX) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv)) {
			perror("socketpair");
			exit(1);
		}
		/* A socket pair is bidirectional: replies go back the same way. */
		c->fd[0] = sv[0];
		c->fd[1] = sv[1];
		c->fd[2] = dup(sv[1]);
		c->fd[3] = dup(sv[0]);
	} else if (c->kind == K_PIPE) {
		int p[2], q[2];

		if (pipe(p) || pipe(q)) {
			perror("pipe");
			exit(1);
		}
		c->fd[0] = p[1];
		c->fd[1] = p[0];
		c->fd[2] = q[1];
		c->fd[3] = q[0];
	}
}

static void teardown(struct ctx *c)
{
	for (int i = 0; i < 4; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]);
	free(c->area);
	free(c->samples);
}

static void run_pair(struct ctx *c, void *(*a)(void *), void *(*b)(void *), bool timed)
{
	pthread_t ta, tb;

	if (pthread_create(&tb, NULL, b, c) || pthread_create(&ta, NULL, a, c)) {
		perror("pthread_create");
		exit(1);
	}
	while (atomic_load(&c->ready) < 2)
		sched_yield();
	c->t_start = now();
	atomic_store(&c->go, true);
	if (timed) {
		struct timespec ts = {(time_t)c->duration,
				      (long)((c->duration - (time_t)c->duration) * 1e9)};

		nanosleep(&ts, NULL);
		atomic_store(&c->stop, true);
	}
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
}

static double throughput(enum kind k, u32 size, u32 batch, double duration)
{
	struct ctx *c = aligned_alloc(64, sizeof(*c));
	double rate;

	memset(c, 0, sizeof(*c));
	c->kind = k;
	c->test = "msgs/s";
	c->size = size;
	c->batch = batch;
	c->duration = duration;
	setup(c);
	if (k == K_RING)
		run_pair(c, ring_tx, ring_rx, true);
	else
		run_pair(c, fd_tx, fd_rx, true);
	rate = c->count / (c->t_end - c->t_start);
	teardown(c);
	free(c);
	return rate;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

struct rtt {
	double p50, p99; /* ns */
	size_t n;
};

static struct rtt roundtrip(enum kind k, u32 size, double duration)
{
	struct ctx *c = aligned_alloc(64, sizeof(*c));
	struct rtt r = {0};

	memset(c, 0, sizeof(*c));
	c->kind = k;
	c->test = "round trip";
	c->size = size;
	c->duration = duration;
	c->samples = malloc(MAX_SAMPLES * sizeof(u64));
	if (!c->samples)
		exit(1);
	setup(c);
	if (k == K_RING)
		run_pair(c, ring_ping, ring_pong, false);
	else if (k == K_LINE)
		run_pair(c, line_ping, line_pong, false);
	else
		run_pair(c, fd_ping, fd_pong, false);
	if (c->nsamples) {
		qsort(c->samples, c->nsamples, sizeof(u64), cmp_u64);
		r.p50 = c->samples[c->nsamples / 2] * ns_per_tick;
		r.p99 = c->samples[c->nsamples * 99 / 100] * ns_per_tick;
		r.n = c->nsamples;
	}
	teardown(c);
	free(c);
	return r;
}

/* "25.31 M/s [24.10-26.02]": the unit is chosen by the median */
static const char *fmt_rate(char *s, struct spread st)
{
	if (st.med >= 1e6)
		snprintf(s, 48, "%.2f M/s [%.2f-%.2f]", st.med / 1e6, st.min / 1e6, st.max / 1e6);
	else
		snprintf(s, 48, "%.0f k/s [%.0f-%.0f]", st.med / 1e3, st.min / 1e3, st.max / 1e3);
	return s;
}

static const char *fmt_ns(char *s, struct spread st)
{
	if (st.med >= 10000)
		snprintf(s, 48, "%.1f us [%.1f-%.1f]", st.med / 1000, st.min / 1000, st.max / 1000);
	else
		snprintf(s, 48, "%.0f ns [%.0f-%.0f]", st.med, st.min, st.max);
	return s;
}

/* Per-run ratios a[i] / b[i] of two figures measured in the same round */
static struct spread ratio_of(const double *a, const double *b, int n)
{
	double r[MAX_RUNS];

	for (int i = 0; i < n; i++)
		r[i] = a[i] / b[i];
	return spread_of(r, n);
}

int main(int argc, char **argv)
{
	double dur = argc > 1 ? atof(argv[1]) : 0.5;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	/* Per run: msgs/s [kind][size], round trip p50/p99 [size][kind] (ns) */
	static double tp[K_COUNT][2][MAX_RUNS], tp_each[MAX_RUNS];
	static double p50[2][K_COUNT][MAX_RUNS], p99[2][K_COUNT][MAX_RUNS];
	size_t nsamples[K_COUNT] = {0};
	const u32 sizes[2] = {64, 4096};
	const u32 rtt_sizes[2] = {16, 64};
	char a[48], b[48], d[48], e[48], lbl[48];
	double load = 0;
	FILE *f;

	if (dur <= 0 || dur > 60 || runs < 5 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: ipi_bench [SECONDS_PER_RUN (0-60] [RUNS 5-%d]]\n",
			MAX_RUNS);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pick_cpus();
	calibrate_ticks();
	f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &load) != 1)
			load = 0;
		fclose(f);
	}
	printf("kpart ipi benchmark: %ld online CPUs, load average %.2f, ",
	       sysconf(_SC_NPROCESSORS_ONLN), load);
	if (cpu[0] >= 0)
		printf("threads pinned on CPUs %d and %d\n", cpu[0], cpu[1]);
	else
		printf("threads NOT pinned (fewer than 2 usable CPUs)\n");
	printf("ring %u KiB, %d rounds of 14 tests, %.2f s each, timer %s; every message's "
	       "length and payload checked\n\n",
	       RING_SIZE / 1024, runs, dur, use_tsc ? "TSC" : "CLOCK_MONOTONIC");

	for (int r = 0; r < runs; r++) {
		/* One way: ring (doorbell check per 16 and per message), socket, pipe. */
		for (int s = 0; s < 2; s++)
			for (int k = K_RING; k <= K_PIPE; k++)
				tp[k][s][r] = throughput((enum kind)k, sizes[s], 16, dur);
		tp_each[r] = throughput(K_RING, 64, 1, dur);

		/* Round trips; the cache-line floor does not depend on the size. */
		for (int s = 0; s < 2; s++)
			for (int k = K_RING; k <= K_PIPE; k++) {
				struct rtt x = roundtrip((enum kind)k, rtt_sizes[s], dur);

				p50[s][k][r] = x.p50;
				p99[s][k][r] = x.p99;
				if (s == 1)
					nsamples[k] += x.n;
			}
		struct rtt x = roundtrip(K_LINE, 8, dur);

		p50[0][K_LINE][r] = p50[1][K_LINE][r] = x.p50;
		p99[0][K_LINE][r] = p99[1][K_LINE][r] = x.p99;
		nsamples[K_LINE] += x.n;
	}
	if (cpu[0] < 0 || cpu[1] < 0)
		printf("warning: threads could not be pinned; figures are noisier\n\n");

	const char *row = "%-28s %-26s %-26s %-26s %s\n";

	printf("median [min-max] of %d runs\n", runs);
	printf(row, "", kind_name[K_RING], kind_name[K_UNIX], kind_name[K_PIPE], kind_name[K_LINE]);
	for (int s = 0; s < 2; s++) {
		snprintf(lbl, sizeof(lbl), "msgs/s %u B", sizes[s]);
		printf(row, lbl, fmt_rate(a, spread_of(tp[K_RING][s], runs)),
		       fmt_rate(b, spread_of(tp[K_UNIX][s], runs)),
		       fmt_rate(d, spread_of(tp[K_PIPE][s], runs)), "-");
		if (s == 0)
			printf(row, "  (doorbell check each msg)",
			       fmt_rate(a, spread_of(tp_each, runs)), "", "", "");
	}
	for (int s = 0; s < 2; s++)
		for (int p = 0; p < 2; p++) {
			double(*v)[MAX_RUNS] = p ? p99[s] : p50[s];

			snprintf(lbl, sizeof(lbl), "round trip %s %u B", p ? "p99" : "p50",
				 rtt_sizes[s]);
			printf(row, lbl, fmt_ns(a, spread_of(v[K_RING], runs)),
			       fmt_ns(b, spread_of(v[K_UNIX], runs)),
			       fmt_ns(d, spread_of(v[K_PIPE], runs)),
			       fmt_ns(e, spread_of(v[K_LINE], runs)));
		}
	printf("(round-trip samples at 64 B, all runs: %zu ring, %zu unix, %zu pipe, %zu cache "
	       "line)\n",
	       nsamples[K_RING], nsamples[K_UNIX], nsamples[K_PIPE], nsamples[K_LINE]);

	/*
	 * The floor moves one cache line each way; a 16 B message is the
	 * largest whose record (16 B header + payload) is half a line, so the
	 * RTT goal is judged on it.  The 64 B row (two lines per record) is
	 * shown next to it.  Verdicts compare medians; the ratios of the two
	 * figures within each round are printed as the spread.  The floor is a
	 * lower bound: a round where the ring's p50 came out below it had its
	 * floor run disturbed (threads preempted, or two vCPUs on one core), so
	 * the round-trip goal is judged over the other rounds only, saying so,
	 * and not at all if fewer than three remain.
	 */
	double v[4][MAX_RUNS]; /* valid rounds: ring 16, floor 16, ring 64, floor 64 */
	int nv = 0;

	for (int r = 0; r < runs; r++) {
		if (p50[0][K_RING][r] < p50[0][K_LINE][r] || p50[1][K_RING][r] < p50[1][K_LINE][r])
			continue;
		v[0][nv] = p50[0][K_RING][r];
		v[1][nv] = p50[0][K_LINE][r];
		v[2][nv] = p50[1][K_RING][r];
		v[3][nv++] = p50[1][K_LINE][r];
	}
	struct spread ring64 = spread_of(tp[K_RING][0], runs),
		      unix64 = spread_of(tp[K_UNIX][0], runs);
	struct spread q1 = ratio_of(tp[K_RING][0], tp[K_UNIX][0], runs);
	double g1 = ring64.med / unix64.med;

	printf("\ngoals (ratio of the medians; per-round ratios in brackets):\n");
	printf("  ring msgs/s at 64 B >= 10x unix socket:            %6.1fx [%.1f-%.1f]  %s\n", g1,
	       q1.min, q1.max, g1 >= 10 ? "PASS" : "MISS");
	if (nv >= 3) {
		struct spread rr16 = spread_of(v[0], nv), fl16 = spread_of(v[1], nv);
		struct spread q2 = ratio_of(v[0], v[1], nv), q3 = ratio_of(v[2], v[3], nv);
		double g2 = rr16.med / fl16.med,
		       g3 = spread_of(v[2], nv).med / spread_of(v[3], nv).med;

		printf(
		    "  ring p50 round trip <= 3x cache-line floor (16 B): %6.2fx [%.2f-%.2f]  %s  "
		    "(%.0f ns vs %.0f ns; 64 B: %.2fx [%.2f-%.2f])\n",
		    g2, q2.min, q2.max, g2 <= 3 ? "PASS" : "MISS", rr16.med, fl16.med, g3, q3.min,
		    q3.max);
	} else {
		printf("  ring p50 round trip <= 3x cache-line floor (16 B): NO VERDICT\n");
	}
	if (nv < runs)
		printf("    %s %d of %d rounds: ring p50 below the floor in the rest\n",
		       nv >= 3 ? "judged over" : "only", nv, runs);
	printf("  every message of every run arrived whole and in order (checked)\n");
	return 0;
}
