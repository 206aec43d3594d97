/*
 * Long fuzz of the inter-kernel ring (ipi/ring.c), run by make check as the
 * unit test "ipi_fuzz", built with AddressSanitizer and UBSan (no recovery):
 * any access outside the ring, any undefined arithmetic on a hostile value
 * aborts the run.
 *
 *   test_ipi_fuzz [OPERATIONS] [SEED]     default 20,000,000 operations
 *
 * One ring instance after another (random size 64 B - 4 KiB, maximum
 * payload and channel count), each with a hostility level from none to
 * one operation in three: an honest sender and receiver exchange
 * messages, while a "peer" forges producer and consumer indices (random,
 * near the valid range, misaligned), whole headers at the next record
 * (random, or plausible: right sequence number with a length, channel or
 * flags just out of bounds, padding of almost the right length), flips
 * bits in headers and writes random bytes and event indices. Checked:
 *
 *  - every result is one the API allows for the call, lengths and channels
 *    handed out are within the configuration and the caller's buffer;
 *  - while an instance has seen no hostile write, every message arrives
 *    once, in order, with its channel, flags and payload, and an empty
 *    ring means nothing was lost;
 *  - the first -EPROTO sets a fault, every later call gets -EPIPE;
 *  - every fault code of both halves fired at least once (a fuzz that
 *    never reaches a check cannot show it guards the memory).
 *
 * Ring 1 is poisoned for ASan while ring 0 is fuzzed, so running off the
 * end of ring 0 is caught although the allocation continues there.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ring.h"

#if defined(__SANITIZE_ADDRESS__)
#define KPART_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KPART_ASAN 1
#endif
#endif
#ifdef KPART_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "ipi_fuzz: op %llu: check failed: %s: ", ops, #cond);      \
			fprintf(stderr, __VA_ARGS__);                                              \
			fprintf(stderr, "\n");                                                     \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

#define FIFO_MAX 512 /* >= 4096 / 16 records in a ring */

struct sent {
	u32 len, seed;
	u16 chan, flags;
};

struct inst {
	void *area;
	size_t bytes;
	struct ipi_config cfg;
	struct ipi_endpoint a; /* boot side: sends on ring 0 */
	struct ipi_endpoint b; /* app side: receives ring 0 */
	u32 hostility;	       /* hostile operations per 1024 */
	u64 life;	       /* operations left */
	int clean;	       /* no hostile write yet: contents are checked */
	struct sent fifo[FIFO_MAX];
	u32 head, count;
};

static unsigned long long ops;
static u64 rnd_state;
static u64 n_hostile, n_hdr, n_idx, n_sent, n_delivered, n_verified, n_broken, n_inst, n_clean;
static u64 faults_rx[IPI_FAULT_COUNT], faults_tx[IPI_FAULT_COUNT];
static u8 txbuf[4096], rxbuf[4096 + 64];

static u32 rnd(void)
{
	/* xorshift64* */
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (u32)((rnd_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void fill(u8 *p, u32 len, u32 seed)
{
	for (u32 i = 0; i < len; i++)
		p[i] = (u8)(seed * 131u + i * 7u + (i >> 8));
}

static void poison_ring1(struct inst *s, int on)
{
#ifdef KPART_ASAN
	u8 *r1 = (u8 *)s->a.rx;
	size_t n = (size_t)((u8 *)s->area + s->bytes - r1);

	if (on)
		ASAN_POISON_MEMORY_REGION(r1, n);
	else
		ASAN_UNPOISON_MEMORY_REGION(r1, n);
#else
	(void)s;
	(void)on;
#endif
}

static void inst_new(struct inst *s)
{
	static const u32 hostility[] = {4, 64, 256, 512, 768, 896, 1000};
	u32 size = 64u << (rnd() % 7); /* 64 B .. 4 KiB */

	memset(s, 0, sizeof(*s));
	s->cfg.ring_size = size;
	s->cfg.max_payload = rnd() % (size / 2 - 16 + 1);
	s->cfg.nr_channels = (u16)(1 + rnd() % 8);
	s->bytes = IPI_AREA_BYTES(size);
	s->area = aligned_alloc(IPI_CACHELINE, s->bytes);
	CHECK(s->area, "out of memory");
	memset(s->area, 0x5a, s->bytes);
	CHECK(ipi_area_init(s->area, s->bytes, &s->cfg) == 0, "area init");
	CHECK(ipi_endpoint_open(&s->a, s->area, s->bytes, IPI_SIDE_BOOT, &s->cfg) == 0, "open a");
	CHECK(ipi_endpoint_open(&s->b, s->area, s->bytes, IPI_SIDE_APP, &s->cfg) == 0, "open b");
	/* One in 512 is honest throughout (and long): its traffic is all checked */
	s->hostility =
	    rnd() % 512 ? hostility[rnd() % (sizeof(hostility) / sizeof(hostility[0]))] : 0;
	/* Honest instances run long (wrap-around, padding), hostile ones short */
	s->life = s->hostility ? 100 + rnd() % 1000 : 20000;
	s->clean = 1;
	poison_ring1(s, 1);
	n_inst++;
}

static void inst_free(struct inst *s)
{
	if (s->clean)
		n_clean++;
	poison_ring1(s, 0);
	free(s->area);
	s->area = NULL;
}

static struct ipi_msg_hdr *hdr_at(struct ipi_ring *r, u32 pos)
{
	return (struct ipi_msg_hdr *)(r->data + pos);
}

/* One write a hostile peer could do to ring 0. */
static void hostile(struct inst *s)
{
	struct ipi_ring *r = s->a.tx;
	u32 S = s->cfg.ring_size, mask = S - 1;
	u32 cpos = s->b.rx_cons & mask, tail = S - cpos;
	struct ipi_msg_hdr *h = hdr_at(r, cpos);

	n_hostile++;
	s->clean = 0;
	switch (rnd() % 12) {
	case 0: /* producer index: anything */
		r->prod = rnd();
		n_idx++;
		break;
	case 1: /* producer index: aligned, near the valid range */
		r->prod = s->a.tx_prod + 16 * (rnd() % (S / 8 + 4)) - S - 32;
		n_idx++;
		break;
	case 2: /* producer index: misaligned */
		r->prod = s->a.tx_prod + 1 + rnd() % 15;
		n_idx++;
		break;
	case 3: /* consumer index seen by the sender: anything, near, misaligned */
		if (rnd() % 3 == 0)
			r->cons = rnd();
		else if (rnd() % 2)
			r->cons = s->a.tx_cons + 16 * (rnd() % (S / 8 + 4)) - S - 32;
		else
			r->cons = s->a.tx_cons + 1 + rnd() % 15;
		n_idx++;
		break;
	case 4: /* next header: random */
		h->len = rnd() % 4 ? rnd() % (S + 64) : rnd();
		h->chan = (u16)rnd();
		h->flags = (u16)(rnd() % 2 ? rnd() % 0x100 : rnd());
		h->seq = rnd() % 2 ? s->b.rx_seq : rnd();
		h->rsvd = rnd() % 4 ? 0 : rnd();
		n_hdr++;
		break;
	case 5: /* next header: plausible, with one field just out of bounds */
		h->len = s->cfg.max_payload + (rnd() % 5) - 2;
		if (rnd() % 2)
			h->len = tail - IPI_MSG_HDR_SIZE + (rnd() % 33) - 16;
		h->chan = (u16)(s->cfg.nr_channels - 1 + rnd() % 2);
		h->flags = (u16)(rnd() % 4 ? rnd() % 0x100 : 1u << (8 + rnd() % 8));
		h->seq = s->b.rx_seq + (rnd() % 5 == 0 ? (rnd() % 2 ? 1 : -1) : 0);
		h->rsvd = 0;
		n_hdr++;
		break;
	case 6: /* next header: padding of almost the right length */
		h->len = tail - IPI_MSG_HDR_SIZE + (rnd() % 3 ? 0 : (rnd() % 33) - 16);
		h->flags = IPI_MSG_F_PAD | (rnd() % 3 ? 0 : (u16)(1u << (rnd() % 15)));
		h->chan = 0;
		h->seq = 0;
		h->rsvd = 0;
		n_hdr++;
		break;
	case 7: /* a header at a random record boundary */
		h = hdr_at(r, (rnd() % (S / 16)) * 16);
		h->len = rnd() % (S + 32);
		h->seq = s->b.rx_seq + rnd() % 3;
		h->chan = (u16)(rnd() % (s->cfg.nr_channels + 1));
		n_hdr++;
		break;
	case 8: /* one bit of a recent record */
		((u32 *)(r->data + ((s->a.tx_prod - 16 * (1 + rnd() % 8)) &
				    (mask & ~15u))))[rnd() % 4] ^= 1u << (rnd() % 32);
		n_hdr++;
		break;
	case 9: /* any byte */
		r->data[rnd() % S] = (u8)rnd();
		break;
	case 10: /* event indices */
		r->data_event = rnd();
		r->space_event = rnd();
		break;
	default: /* both indices at once, consistent with each other */
		r->prod = r->cons + 16 * (rnd() % (S / 16 + 2));
		n_idx++;
		break;
	}
}

static void do_send(struct inst *s)
{
	int was_broken = s->a.fault != 0;
	u32 len =
	    rnd() % 64 ? rnd() % (s->cfg.max_payload + 1) : s->cfg.max_payload + 1 + rnd() % 8;
	u16 chan = (u16)(rnd() % s->cfg.nr_channels);
	u16 flags = (u16)(rnd() & 0xff);
	u32 seed = rnd();
	int ret;

	fill(txbuf, len, seed);
	ret = ipi_send(&s->a, chan, flags, txbuf, len);
	if (was_broken) {
		CHECK(ret == -EPIPE, "send on a broken endpoint returned %d", ret);
		return;
	}
	if (len > s->cfg.max_payload) {
		CHECK(ret == -EMSGSIZE, "send of %u > max %u returned %d", len, s->cfg.max_payload,
		      ret);
		return;
	}
	CHECK(ret == 0 || ret == -EAGAIN || ret == -EPROTO, "send returned %d", ret);
	if (ret == -EPROTO) {
		int f = ipi_fault(&s->a);

		CHECK(f == IPI_FAULT_CONS_RANGE || f == IPI_FAULT_CONS_ALIGN, "sender fault %d", f);
		faults_tx[f]++;
		CHECK(ipi_send(&s->a, chan, flags, txbuf, len) == -EPIPE, "send after a fault");
		CHECK(ipi_need_doorbell(&s->a) == 0, "doorbell after a fault");
		CHECK(ipi_arm_space(&s->a) == 1, "arm_space after a fault");
		n_broken++;
		return;
	}
	if (ret == 0) {
		n_sent++;
		if (s->clean) {
			CHECK(s->count < FIFO_MAX, "more records than a ring holds");
			s->fifo[(s->head + s->count++) % FIFO_MAX] =
			    (struct sent){.len = len, .seed = seed, .chan = chan, .flags = flags};
		}
	}
}

static void do_recv(struct inst *s)
{
	int was_broken = s->b.fault != 0;
	u32 cap = rnd() % 4 ? sizeof(rxbuf) : rnd() % (s->cfg.max_payload + 2);
	struct ipi_msg_hdr h;
	int n;

	memset(&h, 0xee, sizeof(h));
	n = ipi_recv(&s->b, &h, rxbuf, cap);
	if (was_broken) {
		CHECK(n == -EPIPE, "recv on a broken endpoint returned %d", n);
		return;
	}
	if (n >= 0) {
		CHECK((u32)n <= cap && (u32)n <= s->cfg.max_payload && h.len == (u32)n,
		      "recv %d cap %u max %u hdr.len %u", n, cap, s->cfg.max_payload, h.len);
		CHECK(h.chan < s->cfg.nr_channels && !(h.flags & ~IPI_MSG_F_USER) && !h.rsvd,
		      "recv handed out chan %u flags %#x", h.chan, h.flags);
		n_delivered++;
		if (s->clean) {
			struct sent *e = &s->fifo[s->head];
			u8 want[4096];

			CHECK(s->count > 0, "a message nobody sent");
			fill(want, e->len, e->seed);
			CHECK(h.len == e->len && h.chan == e->chan && h.flags == e->flags &&
				  !memcmp(rxbuf, want, e->len),
			      "message differs: len %u/%u chan %u/%u flags %#x/%#x", h.len, e->len,
			      h.chan, e->chan, h.flags, e->flags);
			s->head = (s->head + 1) % FIFO_MAX;
			s->count--;
			n_verified++;
		}
		return;
	}
	CHECK(n == -EAGAIN || n == -EMSGSIZE || n == -EPROTO, "recv returned %d", n);
	if (n == -EAGAIN && s->clean)
		CHECK(s->count == 0, "ring empty with %u messages unreceived", s->count);
	if (n == -EMSGSIZE) {
		CHECK(h.len > cap, "-EMSGSIZE for %u bytes into %u", h.len, cap);
		if (s->clean)
			CHECK(h.len == s->fifo[s->head].len, "-EMSGSIZE with length %u", h.len);
	}
	if (n == -EPROTO) {
		int f = ipi_fault(&s->b);

		CHECK(f > IPI_FAULT_NONE && f < IPI_FAULT_COUNT && f != IPI_FAULT_CONS_RANGE &&
			  f != IPI_FAULT_CONS_ALIGN,
		      "receiver fault %d", f);
		CHECK(!s->clean, "an honest ring broke: %s", ipi_fault_str(f));
		CHECK(ipi_fault_str(f) != NULL, "no text for fault %d", f);
		faults_rx[f]++;
		CHECK(ipi_recv(&s->b, &h, rxbuf, sizeof(rxbuf)) == -EPIPE, "recv after a fault");
		CHECK(ipi_arm_wakeup(&s->b) == 1, "arm_wakeup after a fault");
		CHECK(ipi_space_need_doorbell(&s->b) == 0, "space doorbell after a fault");
		n_broken++;
	}
}

int main(int argc, char **argv)
{
	unsigned long long total = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000000ull;
	struct timespec t0, t1;
	struct inst *s = calloc(1, sizeof(*s));
	int missing = 0;

	rnd_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x243f6a8885a308d3ull;
	if (!rnd_state)
		rnd_state = 1;
#ifndef KPART_ASAN
	fprintf(stderr, "ipi_fuzz: built without AddressSanitizer: it cannot see out-of-bounds "
			"accesses (tests/unit/ipi/CMakeLists.txt)\n");
	return 1;
#endif
	clock_gettime(CLOCK_MONOTONIC, &t0);
	inst_new(s);
	for (ops = 0; ops < total; ops++) {
		u32 op = rnd() % 1024;

		if (op < s->hostility) {
			hostile(s);
		} else {
			op = rnd() % 16;
			if (op < 7)
				do_send(s);
			else if (op < 14)
				do_recv(s);
			else if (op == 14 && rnd() % 4 == 0) {
				/* It reads both rings' control lines (fixed offsets) */
				poison_ring1(s, 0);
				(void)(ipi_doorbell_pending(&s->a) + ipi_doorbell_pending(&s->b));
				poison_ring1(s, 1);
			} else if (op == 14)
				(void)(rnd() % 2 ? ipi_arm_wakeup(&s->b)
						 : ipi_need_doorbell(&s->a));
			else
				(void)(rnd() % 2 ? ipi_arm_space(&s->a)
						 : ipi_space_need_doorbell(&s->b));
		}
		if (s->a.fault || s->b.fault || !--s->life) {
			inst_free(s);
			inst_new(s);
		}
	}
	inst_free(s);
	free(s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fflush(stderr);

	printf("ipi_fuzz: %llu operations in %.1f s (seed %#llx), %llu ring instances "
	       "(%llu never touched by the peer)\n",
	       ops, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       argc > 2 ? strtoull(argv[2], NULL, 0) : 0x243f6a8885a308d3ull,
	       (unsigned long long)n_inst, (unsigned long long)n_clean);
	printf("ipi_fuzz: %llu hostile writes: %llu headers, %llu indices\n",
	       (unsigned long long)n_hostile, (unsigned long long)n_hdr, (unsigned long long)n_idx);
	printf("ipi_fuzz: %llu messages sent, %llu delivered, %llu verified byte for byte, "
	       "%llu rings broken\n",
	       (unsigned long long)n_sent, (unsigned long long)n_delivered,
	       (unsigned long long)n_verified, (unsigned long long)n_broken);
	for (int f = 1; f < IPI_FAULT_COUNT; f++) {
		int tx = f == IPI_FAULT_CONS_RANGE || f == IPI_FAULT_CONS_ALIGN;
		u64 n = tx ? faults_tx[f] : faults_rx[f];

		printf("ipi_fuzz:   %-8s %-55s %llu\n", tx ? "sender" : "receiver",
		       ipi_fault_str(f), (unsigned long long)n);
		if (!n) {
			fprintf(stderr, "ipi_fuzz: the fuzz never broke a ring with \"%s\"\n",
				ipi_fault_str(f));
			missing++;
		}
	}
	fflush(stdout);
	if (missing || n_verified < total / 20 || n_hdr < total / 1000 || n_idx < total / 1000) {
		fprintf(stderr, "ipi_fuzz: FAILED (%d fault kinds never seen, %llu verified)\n",
			missing, (unsigned long long)n_verified);
		return 1;
	}
	printf("ipi_fuzz: PASSED\n");
	return 0;
}
