/*
 * Two-thread stress test of the inter-kernel ring.
 *
 * One thread produces, one consumes, each through its own endpoint of one
 * channel area, the way two kernels use it.  Message i has a length,
 * channel and flags derived from i; its payload carries i and a checksum.
 * The consumer checks order (ring sequence number and i), header fields and
 * checksum of every message.
 *
 * Phases:
 *   spin      16 KiB ring, payloads up to 4 KiB, spin then yield when
 *             full or empty (polling kernels)
 *   tiny      256 B ring, payloads up to 112 B: wraps and padding all the time
 *   doorbell  both sides sleep on a futex "doorbell" when they have to
 *             wait, using ipi_arm_wakeup/ipi_need_doorbell and
 *             ipi_arm_space/ipi_space_need_doorbell: a lost wakeup shows up
 *             as a timeout with work pending, and fails the test.  Now and
 *             then one side pauses for a millisecond, so that the other
 *             runs dry and really sleeps in the kernel, whatever the number
 *             of CPUs; the phase fails unless each side slept at least
 *             MIN_SLEEPS times, since only a sleeper can miss a wakeup.
 *   lost-data, lost-space
 *             self-tests of the detector: the producer leaves out one data
 *             doorbell (or the consumer every space doorbell) while the
 *             other side sleeps; these phases pass only if they fail with
 *             "lost wakeup"
 *
 * Usage: test_ipi_stress [SCALE]   (SCALE multiplies message counts, default 1)
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"

#define NR_CHANNELS 5
#define MIN_SLEEPS 16	  /* real sleeps each side must take in a doorbell phase */
#define PAUSE_MIN_GAP 256 /* messages between forced pauses, at least */

/* Doorbells a self-test phase leaves out, so that a wakeup is lost. */
enum drop {
	DROP_NONE,
	DROP_DATA,  /* the data doorbell of the last message */
	DROP_SPACE, /* every space doorbell */
};

struct phase {
	const char *name;
	u32 ring_size;
	u32 max_payload;
	u32 count;
	bool doorbell;
	u32 pause_every; /* doorbell phases: each side pauses once per this many messages */
	u32 pause_ns;	 /* for this long (below 1 s) */
	enum drop drop;
	double stall_s;	    /* a sleeper waiting this long with work pending: lost wakeup */
	const char *expect; /* self-test: the phase must fail with this error */
};

struct bell {
	_Atomic u32 count;
	_Atomic u64 rung;
};

struct run {
	const struct phase *ph;
	void *area;
	size_t bytes;
	struct ipi_endpoint tx_ep; /* boot side, producer thread */
	struct ipi_endpoint rx_ep; /* app side, consumer thread */
	struct bell data_bell;	   /* producer -> consumer: new data */
	struct bell space_bell;	   /* consumer -> producer: space freed */
	atomic_bool stop;
	u64 send_waits, recv_waits;   /* ring full / empty */
	u64 send_sleeps, recv_sleeps; /* futex waits that blocked in the kernel */
	u32 received;
	u64 payload_bytes;
	char error[256];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (!atomic_exchange(&r->stop, true)) {
		va_start(ap, fmt);
		vsnprintf(r->error, sizeof(r->error), fmt, ap);
		va_end(ap);
	}
}

static u64 mix(u64 x)
{
	/* splitmix64 finalizer */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Length, channel and flags of message @i. */
static void shape(const struct phase *ph, u32 i, u32 *len, u16 *chan, u16 *flags)
{
	u64 h = mix(i);
	u32 max = ph->max_payload;

	/* Mostly small messages, one in eight up to the maximum. */
	if ((h & 7) == 0 || max <= 256)
		*len = (u32)((h >> 8) % (max + 1));
	else
		*len = (u32)((h >> 8) % 257);
	*chan = (u16)((h >> 40) % NR_CHANNELS);
	*flags = (u16)((h >> 48) & IPI_MSG_F_USER);
}

static u32 checksum(const u8 *p, u32 len)
{
	u32 sum = 0x811c9dc5u, w;
	u32 k = 0;

	for (; k + 4 <= len; k += 4) {
		memcpy(&w, p + k, 4);
		sum = (sum ^ w) * 0x01000193u;
	}
	for (; k < len; k++)
		sum = (sum ^ p[k]) * 0x01000193u;
	return sum;
}

/* Payload of message @i: [i][checksum of the rest][pattern...]. */
static void make_payload(u8 *p, u32 len, u32 i)
{
	u64 w = mix((u64)i << 32);
	u32 k;

	for (k = 0; k + 8 <= len; k += 8) {
		memcpy(p + k, &w, 8);
		w = w * 6364136223846793005ull + 1442695040888963407ull;
	}
	if (k < len)
		memcpy(p + k, &w, len - k);
	if (len >= 8) {
		u32 sum = checksum(p + 8, len - 8);

		memcpy(p, &i, 4);
		memcpy(p + 4, &sum, 4);
	}
}

static bool check_payload(const u8 *p, u32 len, u32 i)
{
	if (len >= 8) {
		u32 idx, sum;

		memcpy(&idx, p, 4);
		memcpy(&sum, p + 4, 4);
		return idx == i && sum == checksum(p + 8, len - 8);
	}
	u8 want[8];

	make_payload(want, len, i);
	return memcmp(p, want, len) == 0;
}

static void pause_for(u32 ns)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ns};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Polling wait: a few pauses, then give the CPU away. */
static void backoff(unsigned int *spins)
{
	if (++*spins < 64)
		cpu_relax();
	else
		sched_yield();
}

static void bell_ring(struct bell *b)
{
	atomic_fetch_add(&b->count, 1);
	atomic_fetch_add(&b->rung, 1);
	syscall(SYS_futex, &b->count, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/*
 * Sleep until the bell count differs from @seen.  @pending tells whether the
 * awaited condition already holds; if it does for stall_s seconds while no
 * doorbell came, a wakeup was lost.  @sleeps counts the futex waits that
 * blocked (woken or timed out), not those that found the bell rung already.
 */
static void bell_wait(struct run *r, struct bell *b, u32 seen, bool (*pending)(struct run *),
		      const char *what, u64 *sleeps)
{
	double limit = r->ph->stall_s, deadline;

	/* Self-tests: the side whose doorbells still come waits twice as long,
	 * so that the detector under test speaks first. */
	if ((r->ph->drop == DROP_SPACE && b == &r->data_bell) ||
	    (r->ph->drop == DROP_DATA && b == &r->space_bell))
		limit *= 2;
	deadline = now() + limit;

	while (atomic_load(&b->count) == seen && !atomic_load(&r->stop)) {
		/* Wake at least every 0.1 s to notice a failure on the other side. */
		double left = deadline - now();
		struct timespec ts;
		long rc;

		/* Allow a peer descheduled between publishing and ringing. */
		if (left <= 0) {
			if (pending(r))
				fail(r, "lost wakeup: %s pending for %g s without a doorbell", what,
				     limit);
			else
				fail(r, "stalled: no %s and no doorbell for %g s", what, limit);
			return;
		}
		if (left > 0.1)
			left = 0.1;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		rc = syscall(SYS_futex, &b->count, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
		if (rc == 0 || errno == ETIMEDOUT)
			(*sleeps)++;
	}
}

static bool data_pending(struct run *r)
{
	return READ_ONCE(r->rx_ep.rx->prod) != r->rx_ep.rx_cons;
}

static bool space_pending(struct run *r)
{
	return READ_ONCE(r->tx_ep.tx->cons) != r->tx_ep.tx_cons;
}

static void *producer(void *arg)
{
	struct run *r = arg;
	const struct phase *ph = r->ph;
	static _Thread_local u8 buf[65536];

	for (u32 i = 0; i < ph->count && !atomic_load(&r->stop); i++) {
		unsigned int spins = 0;
		u32 len;
		u16 chan, flags;
		int err;

		shape(ph, i, &len, &chan, &flags);
		make_payload(buf, len, i);
		/* Let the consumer run dry and sleep (the last message: for sure). */
		if ((ph->pause_every && i % ph->pause_every == ph->pause_every / 2) ||
		    (ph->drop == DROP_DATA && i == ph->count - 1))
			pause_for(ph->pause_ns);
		while ((err = ipi_send(&r->tx_ep, chan, flags, buf, len)) == -EAGAIN) {
			if (atomic_load(&r->stop))
				return NULL;
			r->send_waits++;
			if (!ph->doorbell) {
				backoff(&spins);
				continue;
			}
			u32 seen = atomic_load(&r->space_bell.count);

			if (ipi_arm_space(&r->tx_ep))
				continue;
			bell_wait(r, &r->space_bell, seen, space_pending, "free space",
				  &r->send_sleeps);
		}
		if (err) {
			fail(r, "send %u: error %d (%s)", i, err,
			     ipi_fault_str(ipi_fault(&r->tx_ep)));
			return NULL;
		}
		if (ph->doorbell && ipi_need_doorbell(&r->tx_ep) &&
		    !(ph->drop == DROP_DATA && i == ph->count - 1))
			bell_ring(&r->data_bell);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct run *r = arg;
	const struct phase *ph = r->ph;
	static _Thread_local u8 buf[65536];
	unsigned int spins = 0;
	u32 i = 0;

	while (i < ph->count && !atomic_load(&r->stop)) {
		struct ipi_msg_hdr h;
		int n = ipi_recv(&r->rx_ep, &h, buf, sizeof(buf));

		if (n == -EAGAIN) {
			r->recv_waits++;
			if (!ph->doorbell) {
				backoff(&spins);
				continue;
			}
			/* Tell a producer waiting for space before sleeping ourselves. */
			if (ipi_space_need_doorbell(&r->rx_ep) && ph->drop != DROP_SPACE)
				bell_ring(&r->space_bell);
			u32 seen = atomic_load(&r->data_bell.count);

			if (ipi_arm_wakeup(&r->rx_ep))
				continue;
			bell_wait(r, &r->data_bell, seen, data_pending, "data", &r->recv_sleeps);
			continue;
		}
		if (n < 0) {
			fail(r, "recv %u: error %d (%s)", i, n,
			     ipi_fault_str(ipi_fault(&r->rx_ep)));
			return NULL;
		}
		spins = 0;

		u32 len;
		u16 chan, flags;

		shape(ph, i, &len, &chan, &flags);
		if (h.seq != i || h.len != len || (u32)n != len || h.chan != chan ||
		    h.flags != flags) {
			fail(r,
			     "message %u: got seq %u len %u chan %u flags %#x, want len %u chan %u "
			     "flags %#x",
			     i, h.seq, h.len, h.chan, h.flags, len, chan, flags);
			return NULL;
		}
		if (!check_payload(buf, len, i)) {
			fail(r, "message %u: payload checksum mismatch (len %u)", i, len);
			return NULL;
		}
		i++;
		r->payload_bytes += len;
		/* Batch the space doorbell: every 16 messages, and when empty. */
		if (ph->doorbell && (i & 15) == 0 && ipi_space_need_doorbell(&r->rx_ep) &&
		    ph->drop != DROP_SPACE)
			bell_ring(&r->space_bell);
		/* Let the producer fill the ring and sleep. */
		if (ph->pause_every && i % ph->pause_every == 0)
			pause_for(ph->pause_ns);
	}
	r->received = i;
	return NULL;
}

static int run_phase(const struct phase *ph)
{
	struct run *r = calloc(1, sizeof(*r));
	struct ipi_config cfg = {
	    .ring_size = ph->ring_size, .max_payload = ph->max_payload, .nr_channels = NR_CHANNELS};
	pthread_t tp, tc;
	double t0, dt;
	int ok;

	if (!r)
		return 0;
	r->ph = ph;
	r->bytes = IPI_AREA_BYTES(ph->ring_size);
	r->area = aligned_alloc(4096, (r->bytes + 4095) & ~(size_t)4095);
	if (!r->area || ipi_area_init(r->area, r->bytes, &cfg) ||
	    ipi_endpoint_open(&r->tx_ep, r->area, r->bytes, IPI_SIDE_BOOT, &cfg)) {
		fprintf(stderr, "%s: setup failed\n", ph->name);
		return 0;
	}
	/* The application side learns the configuration from the area. */
	struct ipi_config peer;

	if (ipi_area_config(r->area, r->bytes, &peer) ||
	    ipi_endpoint_open(&r->rx_ep, r->area, r->bytes, IPI_SIDE_APP, &peer)) {
		fprintf(stderr, "%s: peer setup failed\n", ph->name);
		return 0;
	}

	t0 = now();
	if (pthread_create(&tc, NULL, consumer, r) || pthread_create(&tp, NULL, producer, r)) {
		fprintf(stderr, "%s: pthread_create failed\n", ph->name);
		return 0;
	}
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	dt = now() - t0;

	if (!r->error[0]) {
		if (r->received != ph->count)
			fail(r, "received %u of %u messages", r->received, ph->count);
		else if (ipi_recv(&r->rx_ep, NULL, NULL, 0) != -EAGAIN)
			fail(r, "ring not empty after the last message");
		else if (ipi_fault(&r->tx_ep) || ipi_fault(&r->rx_ep))
			fail(r, "endpoint marked broken");
		else if (r->tx_ep.tx->prod != r->rx_ep.rx->cons)
			fail(r, "indices differ at the end: prod %u cons %u", r->tx_ep.tx->prod,
			     r->rx_ep.rx->cons);
		/* Only a sleeper can miss a wakeup: without sleeps on both sides
		 * the lost-wakeup detector was never put to work. */
		else if (ph->doorbell &&
			 (r->send_sleeps < MIN_SLEEPS || r->recv_sleeps < MIN_SLEEPS))
			fail(r,
			     "too few real sleeps to test the doorbells: send %" PRIu64
			     " recv %" PRIu64 ", want at least %d each",
			     r->send_sleeps, r->recv_sleeps, MIN_SLEEPS);
	}
	if (ph->expect)
		ok = strstr(r->error, ph->expect) != NULL;
	else
		ok = !r->error[0];
	printf(
	    "%-10s %s: %u messages, ring %u B, max %u B, %.2f s, %.2f M msg/s, %.0f MB/s payload, "
	    "waits send %" PRIu64 " recv %" PRIu64,
	    ph->name, ok ? "ok" : "FAILED", r->received, ph->ring_size, ph->max_payload, dt,
	    r->received / dt / 1e6, r->payload_bytes / dt / 1e6, r->send_waits, r->recv_waits);
	if (ph->doorbell)
		printf(", sleeps send %" PRIu64 " recv %" PRIu64 ", doorbells data %" PRIu64
		       " space %" PRIu64,
		       r->send_sleeps, r->recv_sleeps, atomic_load(&r->data_bell.rung),
		       atomic_load(&r->space_bell.rung));
	printf("\n");
	if (ph->expect && ok)
		printf("  self-test: failed as it must: %s\n", r->error);
	else if (ph->expect)
		printf("  self-test: want the error \"%s\", got: %s\n", ph->expect,
		       r->error[0] ? r->error : "none");
	else if (!ok)
		printf("  error: %s\n", r->error);
	free(r->area);
	free(r);
	return ok;
}

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1.0;
	/* name, ring, max payload, messages, doorbell, pause every, pause ns, drop, stall s,
	 * expected error */
	struct phase phases[] = {
	    {"spin", 16384, 4096, 3000000, false, 0, 0, DROP_NONE, 5.0, NULL},
	    {"tiny", 256, IPI_RING_MAX_PAYLOAD(256), 2000000, false, 0, 0, DROP_NONE, 5.0, NULL},
	    {"doorbell", 4096, 1024, 300000, true, 0, 1000000, DROP_NONE, 5.0, NULL},
	    {"lost-data", 4096, 1024, 20000, true, 0, 100000000, DROP_DATA, 0.5,
	     "lost wakeup: data pending"},
	    {"lost-space", 4096, 1024, 20000, true, 1000, 100000000, DROP_SPACE, 0.5,
	     "lost wakeup: free space pending"},
	};
	int ok = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (scale <= 0)
		scale = 1.0;
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		struct phase *ph = &phases[i];

		if (!ph->expect)
			ph->count = (u32)(ph->count * scale);
		/*
		 * 128 forced pauses a side, whatever the scale; between two, a side
		 * must send enough to fill the ring while the other pauses.
		 */
		if (ph->doorbell && !ph->expect) {
			if (ph->count < 128 * PAUSE_MIN_GAP)
				ph->count = 128 * PAUSE_MIN_GAP;
			ph->pause_every = ph->count / 128;
		}
		ok &= run_phase(ph);
	}
	printf("%s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
