/*
 * Unit tests for the inter-kernel ring (ipi/ring.c).
 *
 * Both endpoints of a channel area live in this process: "a" is the boot
 * side (IPI_SIDE_BOOT), "b" the application side.  Messages from a to b go
 * through ring 0 (a->tx == b->rx).  Malformed cases write directly into the
 * shared ring, as a hostile peer would, and check that the reader refuses
 * with -EPROTO, names the right fault, and stays broken.  The test binary is
 * built with AddressSanitizer (test_sanitized fails if it is not), with the
 * area allocated to its exact size, so any access outside the area fails the
 * test; the fuzz also poisons the ring it does not use, so that running off
 * the end of the ring it corrupts is caught too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

struct fx {
	void *area;
	size_t bytes;
	struct ipi_config cfg;
	struct ipi_endpoint a; /* boot side: sends on ring 0 */
	struct ipi_endpoint b; /* app side: receives ring 0 */
};

static struct fx *fx_new(u32 ring_size, u32 max_payload, u16 nr_channels)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->cfg.ring_size = ring_size;
	f->cfg.max_payload = max_payload;
	f->cfg.nr_channels = nr_channels;
	f->bytes = IPI_AREA_BYTES(ring_size);
	assert_int_equal(f->bytes % IPI_CACHELINE, 0);
	f->area = aligned_alloc(IPI_CACHELINE, f->bytes);
	assert_non_null(f->area);
	/* Garbage everywhere: init must not rely on zeroed memory. */
	memset(f->area, 0xa5, f->bytes);
	assert_int_equal(ipi_area_init(f->area, f->bytes, &f->cfg), 0);
	assert_int_equal(ipi_endpoint_open(&f->a, f->area, f->bytes, IPI_SIDE_BOOT, &f->cfg), 0);
	assert_int_equal(ipi_endpoint_open(&f->b, f->area, f->bytes, IPI_SIDE_APP, &f->cfg), 0);
	assert_ptr_equal(f->a.tx, f->b.rx);
	assert_ptr_equal(f->a.rx, f->b.tx);
	return f;
}

static void fx_free(struct fx *f)
{
	free(f->area);
	free(f);
}

/* Move both ends of ring 0 (a -> b) to index @idx; the ring must be unused. */
static void set_index(struct fx *f, u32 idx)
{
	f->a.tx_prod = f->a.tx_cons = f->a.tx_kicked = idx;
	f->b.rx_cons = f->b.rx_prod = f->b.rx_kicked = idx;
	f->a.tx->prod = idx;
	f->a.tx->cons = idx;
}

static void fill(u8 *p, u32 len, u32 seed)
{
	for (u32 i = 0; i < len; i++)
		p[i] = (u8)(seed * 131u + i * 7u + (i >> 8));
}

static u32 rec_size(u32 len)
{
	return (IPI_MSG_HDR_SIZE + len + IPI_MSG_ALIGN - 1) & ~(IPI_MSG_ALIGN - 1);
}

/* Send a patterned message a -> b. */
static int send_pat(struct fx *f, u16 chan, u32 len, u32 seed)
{
	u8 buf[8192];

	assert_true(len <= sizeof(buf));
	fill(buf, len, seed);
	return ipi_send(&f->a, chan, 0, buf, len);
}

/* Receive one message on b and check it against the pattern. */
static void recv_pat(struct fx *f, u16 chan, u32 len, u32 seed, u32 seq)
{
	u8 want[8192], got[8192];
	struct ipi_msg_hdr h;

	fill(want, len, seed);
	memset(got, 0, sizeof(got));
	assert_int_equal(ipi_recv(&f->b, &h, got, sizeof(got)), (int)len);
	assert_int_equal(h.len, len);
	assert_int_equal(h.chan, chan);
	assert_int_equal(h.seq, seq);
	assert_int_equal(h.rsvd, 0);
	if (len)
		assert_memory_equal(got, want, len);
}

/* Write a raw record header into ring @r at data position @pos. */
static void raw_hdr(struct ipi_ring *r, u32 pos, u32 len, u16 chan, u16 flags, u32 seq, u32 rsvd)
{
	struct ipi_msg_hdr h = {.len = len, .chan = chan, .flags = flags, .seq = seq, .rsvd = rsvd};

	memcpy(r->data + pos, &h, sizeof(h));
}

static struct ipi_msg_hdr *hdr_at(struct ipi_ring *r, u32 pos)
{
	return (struct ipi_msg_hdr *)(r->data + pos);
}

/* ------------------------------------------------------------------ */

/* Without AddressSanitizer an out-of-bounds access in the fuzz goes unseen. */
static void test_sanitized(void **state)
{
	(void)state;
#ifndef KPART_ASAN
	fail_msg("built without AddressSanitizer: the fuzz cannot catch out-of-bounds accesses "
		 "(see tests/unit/ipi/CMakeLists.txt)");
#endif
}

static void test_layout(void **state)
{
	(void)state;
	assert_int_equal(offsetof(struct ipi_ring, magic), 0);
	assert_int_equal(offsetof(struct ipi_ring, size), 8);
	assert_int_equal(offsetof(struct ipi_ring, prod), 64);
	assert_int_equal(offsetof(struct ipi_ring, cons), 128);
	assert_int_equal(offsetof(struct ipi_ring, data_event), 192);
	assert_int_equal(offsetof(struct ipi_ring, space_event), 196);
	assert_int_equal(offsetof(struct ipi_ring, data), 256);
	assert_int_equal(sizeof(struct ipi_msg_hdr), 16);
	assert_int_equal(offsetof(struct ipi_msg_hdr, chan), 4);
	assert_int_equal(offsetof(struct ipi_msg_hdr, flags), 6);
	assert_int_equal(offsetof(struct ipi_msg_hdr, seq), 8);
	assert_int_equal(sizeof(struct ipi_area), 64);
	assert_int_equal(IPI_AREA_BYTES(4096), 64 + 2 * (256 + 4096));
	assert_int_equal(IPI_AREA_RING_OFFSET(4096, 1), 64 + 256 + 4096);

	struct fx *f = fx_new(4096, 1024, 8);
	struct ipi_area *a = f->area;
	struct ipi_ring *r0 = (struct ipi_ring *)((u8 *)f->area + 64);
	struct ipi_ring *r1 = (struct ipi_ring *)((u8 *)f->area + 64 + 256 + 4096);

	assert_int_equal(a->magic, IPI_AREA_MAGIC);
	assert_memory_equal(&a->magic, "KPIA", 4);
	assert_int_equal(a->version, IPI_VERSION);
	assert_int_equal(a->ring_size, 4096);
	assert_int_equal(a->max_payload, 1024);
	assert_int_equal(a->nr_channels, 8);
	for (int i = 0; i < 2; i++) {
		struct ipi_ring *r = i ? r1 : r0;

		assert_memory_equal(&r->magic, "KPIR", 4);
		assert_int_equal(r->version, IPI_VERSION);
		assert_int_equal(r->data_offset, 256);
		assert_int_equal(r->size, 4096);
		assert_int_equal(r->prod, 0);
		assert_int_equal(r->cons, 0);
		assert_int_equal(r->space_event, IPI_EVENT_NONE);
		assert_int_equal(r->data_event, IPI_EVENT_NONE);
	}
	assert_ptr_equal(f->a.tx, r0);
	assert_ptr_equal(f->a.rx, r1);
	assert_ptr_equal(f->b.tx, r1);
	assert_ptr_equal(f->b.rx, r0);

	/* The peer learns the configuration from the header. */
	struct ipi_config c;

	assert_int_equal(ipi_area_config(f->area, f->bytes, &c), 0);
	assert_int_equal(c.ring_size, 4096);
	assert_int_equal(c.max_payload, 1024);
	assert_int_equal(c.nr_channels, 8);
	assert_int_equal(ipi_area_config(f->area, f->bytes - 1, &c), -EPROTO);
	a->ring_size = 3000;
	assert_int_equal(ipi_area_config(f->area, f->bytes, &c), -EPROTO);
	a->ring_size = 8192;
	assert_int_equal(ipi_area_config(f->area, f->bytes, &c), -EPROTO);
	a->ring_size = 4096;
	a->max_payload = 4096;
	assert_int_equal(ipi_area_config(f->area, f->bytes, &c), -EPROTO);
	a->max_payload = 1024;
	a->version = 2;
	assert_int_equal(ipi_area_config(f->area, f->bytes, &c), -EPROTO);
	a->version = IPI_VERSION;
	a->magic = 0;
	assert_int_equal(ipi_area_config(f->area, f->bytes, &c), -EPROTO);
	fx_free(f);
}

static void test_config(void **state)
{
	struct ipi_config c = {.ring_size = 16384, .max_payload = 4096, .nr_channels = 1};
	struct ipi_endpoint ep;
	size_t bytes = IPI_AREA_BYTES(16384);
	u8 *area = aligned_alloc(64, bytes);

	(void)state;
	assert_non_null(area);
	assert_int_equal(ipi_config_check(&c), 0);
	c.max_payload = IPI_RING_MAX_PAYLOAD(16384);
	assert_int_equal(ipi_config_check(&c), 0);
	c.max_payload++;
	assert_int_equal(ipi_config_check(&c), -EINVAL);
	c.max_payload = 0;
	assert_int_equal(ipi_config_check(&c), 0);
	c.nr_channels = 0;
	assert_int_equal(ipi_config_check(&c), -EINVAL);
	c.nr_channels = 65535;
	assert_int_equal(ipi_config_check(&c), 0);
	const u32 bad_sizes[] = {0, 32, 48, 100, 16383, 16385, 0x80000000u, 0xffffffffu};
	for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		c.ring_size = bad_sizes[i];
		assert_int_equal(ipi_config_check(&c), -EINVAL);
	}
	c.ring_size = IPI_RING_MIN_SIZE;
	assert_int_equal(ipi_config_check(&c), 0);
	c.ring_size = IPI_RING_MAX_SIZE;
	assert_int_equal(ipi_config_check(&c), 0);

	c.ring_size = 16384;
	c.max_payload = 4096;
	c.nr_channels = 4;
	assert_int_equal(ipi_area_init(area, bytes - 1, &c), -EINVAL);
	assert_int_equal(ipi_area_init(area + 16, bytes - 64, &c), -EINVAL);
	assert_int_equal(ipi_area_init(area, bytes, &c), 0);
	assert_int_equal(ipi_endpoint_open(&ep, area, bytes - 1, IPI_SIDE_APP, &c), -EINVAL);
	assert_int_equal(ipi_endpoint_open(&ep, area, bytes, (enum ipi_side)7, &c), -EINVAL);
	assert_int_equal(ipi_endpoint_open(&ep, area, bytes, IPI_SIDE_APP, &c), 0);
	assert_int_equal(ipi_ring_init((struct ipi_ring *)area, 1000), -EINVAL);
	assert_int_equal(ipi_ring_init((struct ipi_ring *)(area + 8), 1024), -EINVAL);
	free(area);
}

static void test_empty(void **state)
{
	struct fx *f = fx_new(1024, 256, 4);
	u8 buf[256];
	struct ipi_msg_hdr h;

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ipi_recv(&f->a, &h, buf, sizeof(buf)), -EAGAIN);
		assert_int_equal(ipi_recv(&f->b, &h, buf, sizeof(buf)), -EAGAIN);
	}
	assert_int_equal(ipi_fault(&f->a), IPI_FAULT_NONE);
	assert_int_equal(ipi_fault(&f->b), IPI_FAULT_NONE);
	fx_free(f);
}

static void test_basic(void **state)
{
	struct fx *f = fx_new(1024, 256, 4);
	struct ipi_msg_hdr h;
	char buf[256];

	(void)state;
	assert_int_equal(ipi_send(&f->a, 3, 0x5a, "hello", 5), 0);
	assert_int_equal(f->a.tx->prod, rec_size(5));
	memset(&h, 0xff, sizeof(h));
	assert_int_equal(ipi_recv(&f->b, &h, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(h.len, 5);
	assert_int_equal(h.chan, 3);
	assert_int_equal(h.flags, 0x5a);
	assert_int_equal(h.seq, 0);
	assert_int_equal(h.rsvd, 0);
	assert_int_equal(f->b.rx->cons, rec_size(5));
	assert_int_equal(ipi_recv(&f->b, &h, buf, sizeof(buf)), -EAGAIN);

	/* The other direction is independent. */
	assert_int_equal(ipi_recv(&f->a, &h, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(ipi_send(&f->b, 0, 0, "world!", 6), 0);
	assert_int_equal(ipi_recv(&f->a, NULL, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "world!", 6);

	/* Zero-length messages are valid: a header with channel and flags. */
	assert_int_equal(ipi_send(&f->a, 1, 0x80, NULL, 0), 0);
	assert_int_equal(ipi_recv(&f->b, &h, NULL, 0), 0);
	assert_int_equal(h.chan, 1);
	assert_int_equal(h.flags, 0x80);
	assert_int_equal(h.seq, 1);
	fx_free(f);
}

static void test_bad_args(void **state)
{
	struct fx *f = fx_new(1024, 256, 4);
	u8 buf[300] = {0};

	(void)state;
	assert_int_equal(ipi_send(&f->a, 4, 0, buf, 1), -EINVAL);
	assert_int_equal(ipi_send(&f->a, 0xffff, 0, buf, 1), -EINVAL);
	assert_int_equal(ipi_send(&f->a, 0, 0x100, buf, 1), -EINVAL);
	assert_int_equal(ipi_send(&f->a, 0, IPI_MSG_F_PAD, buf, 1), -EINVAL);
	assert_int_equal(ipi_send(&f->a, 0, 0, NULL, 1), -EINVAL);
	assert_int_equal(ipi_send(&f->a, 0, 0, buf, 257), -EMSGSIZE);
	assert_int_equal(ipi_send(&f->a, 0, 0, buf, 0xffffffffu), -EMSGSIZE);
	/* Caller errors neither write nor break anything. */
	assert_int_equal(f->a.tx->prod, 0);
	assert_int_equal(ipi_fault(&f->a), IPI_FAULT_NONE);
	assert_int_equal(ipi_send(&f->a, 0, 0, buf, 256), 0);
	fx_free(f);
}

static void test_sequence(void **state)
{
	struct fx *f = fx_new(4096, 256, 16);

	(void)state;
	for (u32 i = 0; i < 1000; i++) {
		assert_int_equal(send_pat(f, i % 16, i % 200, i), 0);
		if (i % 3 == 2)
			for (u32 j = i - 2; j <= i; j++)
				recv_pat(f, j % 16, j % 200, j, j);
	}
	recv_pat(f, 999 % 16, 999 % 200, 999, 999);
	assert_int_equal(f->a.tx_seq, 1000);
	assert_int_equal(f->b.rx_seq, 1000);

	/* Sequence numbers wrap at 2^32. */
	f->a.tx_seq = 0xfffffffeu;
	f->b.rx_seq = 0xfffffffeu;
	for (u32 i = 0; i < 4; i++)
		assert_int_equal(send_pat(f, 1, 10, i), 0);
	for (u32 i = 0; i < 4; i++)
		recv_pat(f, 1, 10, i, 0xfffffffeu + i);
	fx_free(f);
}

/* Many messages of all lengths through a small ring, also across 2^32. */
static void wrap_run(u32 start)
{
	struct fx *f = fx_new(256, IPI_RING_MAX_PAYLOAD(256), 2);
	u32 sent = 0, got = 0, pads = 0, max = f->cfg.max_payload;

	set_index(f, start);
	while (got < 5000) {
		/* Keep one to three messages in flight. */
		while (sent - got < 3) {
			u32 len = (sent * 37) % (max + 1);
			u32 before = f->a.tx_prod;
			int r = send_pat(f, sent & 1, len, sent);

			if (r == -EAGAIN)
				break;
			assert_int_equal(r, 0);
			if (f->a.tx_prod - before != rec_size(len)) {
				/* Padded: only when the record did not fit the tail. */
				u32 tail = 256 - (before & 255);

				assert_true(rec_size(len) > tail);
				assert_int_equal(f->a.tx_prod - before, tail + rec_size(len));
				pads++;
			}
			sent++;
		}
		recv_pat(f, got & 1, (got * 37) % (max + 1), got, got);
		got++;
	}
	assert_true(pads > 100);
	assert_int_equal(ipi_fault(&f->b), IPI_FAULT_NONE);
	assert_true(f->a.tx_prod - start > 0x10000);
	fx_free(f);
}

static void test_wraparound(void **state)
{
	(void)state;
	wrap_run(0);
	wrap_run(0xffff0000u); /* indices wrap through 2^32 */
	wrap_run(0xfffffff0u);
}

static void test_full(void **state)
{
	struct fx *f = fx_new(1024, 256, 2);
	int n = 0;

	(void)state;
	while (send_pat(f, 0, 64, n) == 0)
		n++;
	assert_int_equal(n, 1024 / 80); /* 64 B payload: 80 B records */
	u32 prod = f->a.tx->prod;

	/* Full: -EAGAIN, nothing overwritten, no change to the index. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(send_pat(f, 0, 64, 999), -EAGAIN);
	assert_int_equal(f->a.tx->prod, prod);
	assert_int_equal(ipi_fault(&f->a), IPI_FAULT_NONE);

	/* One slot frees enough for padding (64) + one record (80). */
	recv_pat(f, 0, 64, 0, 0);
	assert_int_equal(send_pat(f, 0, 64, n), 0);
	assert_int_equal(f->a.tx->prod, prod + 64 + 80);
	assert_int_equal(send_pat(f, 0, 64, 999), -EAGAIN);
	for (int i = 1; i <= n; i++)
		recv_pat(f, 0, 64, i, i);
	assert_int_equal(ipi_recv(&f->b, NULL, NULL, 0), -EAGAIN);

	/* Empty again: a message goes through at once. */
	assert_int_equal(send_pat(f, 1, 100, 7), 0);
	recv_pat(f, 1, 100, 7, n + 1);
	fx_free(f);
}

static void test_exact_fit(void **state)
{
	struct fx *f = fx_new(1024, IPI_RING_MAX_PAYLOAD(1024), 1);
	u32 len = 256 - IPI_MSG_HDR_SIZE; /* 256 B records: four fill the ring */

	(void)state;
	for (u32 i = 0; i < 4; i++)
		assert_int_equal(send_pat(f, 0, len, i), 0);
	assert_int_equal(f->a.tx->prod, 1024); /* no padding */
	assert_int_equal(send_pat(f, 0, 0, 9), -EAGAIN);
	for (u32 i = 0; i < 4; i++)
		recv_pat(f, 0, len, i, i);
	assert_int_equal(ipi_recv(&f->b, NULL, NULL, 0), -EAGAIN);

	/* A record exactly filling the tail needs no padding. */
	assert_int_equal(send_pat(f, 0, 512 - 16, 4), 0); /* pos 0..512 */
	assert_int_equal(send_pat(f, 0, 512 - 16, 5), 0); /* pos 512..1024 */
	assert_int_equal(f->a.tx->prod, 2048);
	recv_pat(f, 0, 512 - 16, 4, 4);
	recv_pat(f, 0, 512 - 16, 5, 5);

	/* Tail of 16 bytes: a padding record of zero length. */
	set_index(f, 1024 - 16);
	f->a.tx_seq = f->b.rx_seq = 0;
	assert_int_equal(send_pat(f, 0, 1, 6), 0);
	assert_int_equal(hdr_at(f->a.tx, 1008)->flags, IPI_MSG_F_PAD);
	assert_int_equal(hdr_at(f->a.tx, 1008)->len, 0);
	assert_int_equal(f->a.tx->prod, 1024 + 32);
	recv_pat(f, 0, 1, 6, 0);
	fx_free(f);
}

static void test_max_size(void **state)
{
	struct fx *f = fx_new(16384, 4096, 1);
	struct ipi_msg_hdr h;
	static u8 buf[8192];

	(void)state;
	assert_int_equal(send_pat(f, 0, 4096, 1), 0);
	assert_int_equal(send_pat(f, 0, 4097, 1), -EMSGSIZE);
	/* Too small a buffer: -EMSGSIZE, header reported, message kept. */
	assert_int_equal(ipi_recv(&f->b, &h, buf, 4095), -EMSGSIZE);
	assert_int_equal(h.len, 4096);
	assert_int_equal(h.seq, 0);
	assert_int_equal(ipi_recv(&f->b, &h, buf, 0), -EMSGSIZE);
	recv_pat(f, 0, 4096, 1, 0);
	fx_free(f);

	/* The largest payload fits an empty ring whatever the position. */
	f = fx_new(1024, IPI_RING_MAX_PAYLOAD(1024), 1);
	u32 max = f->cfg.max_payload;

	assert_int_equal(max, 496);
	for (u32 pos = 0; pos < 2048; pos += 16) {
		set_index(f, pos);
		f->a.tx_seq = f->b.rx_seq = 0;
		assert_int_equal(send_pat(f, 0, max, pos), 0);
		recv_pat(f, 0, max, pos, 0);
	}
	fx_free(f);
}

/* --------------------------- hostile peer --------------------------- */

/*
 * Ring used by the malformed-input cases: 1024 B, max payload 256, four
 * channels.  Each case corrupts ring 0 (read by b) or b's consumer index
 * (read by a), then checks the reaction of the victim endpoint.
 */
struct bad_case {
	void (*corrupt)(struct fx *f);
	int fault;
	bool tx_side;	/* victim is a (reads the consumer index) */
	int good_first; /* valid messages the victim still receives first */
};

static void honest(struct fx *f, u32 n, u32 len)
{
	for (u32 i = 0; i < n; i++)
		assert_int_equal(send_pat(f, 0, len, i), 0);
}

static void c_prod_beyond(struct fx *f)
{
	f->a.tx->prod = 1024 + 16;
}

static void c_prod_far(struct fx *f)
{
	f->a.tx->prod = 0x7ffffff0u;
}

static void c_prod_huge(struct fx *f)
{
	f->a.tx->prod = 0xfffffff0u; /* "backwards" by 16 from 0 */
}

static void c_prod_back(struct fx *f)
{
	honest(f, 2, 64);
	recv_pat(f, 0, 64, 0, 0);
	recv_pat(f, 0, 64, 1, 1);
	f->a.tx->prod = 80; /* behind the consumer */
}

static void c_prod_back_cached(struct fx *f)
{
	honest(f, 2, 64);
	recv_pat(f, 0, 64, 0, 0); /* b cached prod = 160 */
	f->a.tx->prod = 80;	  /* 160 -> 80 while cons = 80 */
}

static void c_prod_misaligned(struct fx *f)
{
	f->a.tx->prod = 8;
}

static void c_len_max(struct fx *f)
{
	honest(f, 1, 64);
	hdr_at(f->a.tx, 0)->len = 257;
}

static void c_len_ring(struct fx *f)
{
	honest(f, 1, 64);
	hdr_at(f->a.tx, 0)->len = 4096; /* larger than the ring */
}

static void c_len_huge(struct fx *f)
{
	honest(f, 1, 64);
	hdr_at(f->a.tx, 0)->len = 0xfffffff8u; /* would overflow a naive rounding */
}

static void c_len_end(struct fx *f)
{
	set_index(f, 960); /* tail 64 */
	raw_hdr(f->a.tx, 960, 100, 0, 0, 0, 0);
	f->a.tx->prod = 960 + 128;
}

static void c_len_prod(struct fx *f)
{
	honest(f, 1, 64); /* 80 B published */
	hdr_at(f->a.tx, 0)->len = 200;
}

static void c_pad_zero(struct fx *f)
{
	set_index(f, 960); /* tail 64: padding must say 48 */
	raw_hdr(f->a.tx, 960, 0, 0, IPI_MSG_F_PAD, 0, 0);
	raw_hdr(f->a.tx, 0, 0, 0, 0, 0, 0);
	f->a.tx->prod = 960 + 64 + 16;
}

static void c_pad_long(struct fx *f)
{
	set_index(f, 960);
	raw_hdr(f->a.tx, 960, 1000, 0, IPI_MSG_F_PAD, 0, 0);
	f->a.tx->prod = 960 + 64 + 16;
}

static void c_pad_at_start(struct fx *f)
{
	raw_hdr(f->a.tx, 0, 1024 - 16, 0, IPI_MSG_F_PAD, 0, 0);
	f->a.tx->prod = 1024;
}

static void c_pad_beyond_prod(struct fx *f)
{
	set_index(f, 960);
	raw_hdr(f->a.tx, 960, 48, 0, IPI_MSG_F_PAD, 0, 0);
	f->a.tx->prod = 960 + 32;
}

static void c_pad_twice(struct fx *f)
{
	set_index(f, 960);
	raw_hdr(f->a.tx, 960, 48, 0, IPI_MSG_F_PAD, 0, 0);
	raw_hdr(f->a.tx, 0, 1024 - 16, 0, IPI_MSG_F_PAD, 0, 0);
	f->a.tx->prod = 960 + 64 + 256;
}

static void c_pad_flags(struct fx *f)
{
	set_index(f, 960);
	raw_hdr(f->a.tx, 960, 48, 0, IPI_MSG_F_PAD | 1, 0, 0);
	raw_hdr(f->a.tx, 0, 0, 0, 0, 0, 0);
	f->a.tx->prod = 960 + 64 + 16;
}

static void c_chan(struct fx *f)
{
	honest(f, 1, 64);
	hdr_at(f->a.tx, 0)->chan = 4;
}

static void c_chan_max(struct fx *f)
{
	honest(f, 1, 64);
	hdr_at(f->a.tx, 0)->chan = 0xffff;
}

static void c_seq_skip(struct fx *f)
{
	honest(f, 1, 64);
	hdr_at(f->a.tx, 0)->seq = 1;
}

static void c_seq_repeat(struct fx *f)
{
	honest(f, 2, 64);
	hdr_at(f->a.tx, 80)->seq = 0;
}

static void c_flags(struct fx *f)
{
	honest(f, 1, 64);
	hdr_at(f->a.tx, 0)->flags = 0x0100;
}

static void c_rsvd(struct fx *f)
{
	honest(f, 1, 64);
	hdr_at(f->a.tx, 0)->rsvd = 1;
}

/* Fill ring 0 so that a's next send must look at b's consumer index. */
static void fill_ring(struct fx *f)
{
	u32 i = 0;

	while (send_pat(f, 0, 64, i) == 0)
		i++;
}

static void c_cons_beyond(struct fx *f)
{
	fill_ring(f);
	f->a.tx->cons = f->a.tx->prod + 16;
}

static void c_cons_back(struct fx *f)
{
	fill_ring(f);
	recv_pat(f, 0, 64, 0, 0);
	recv_pat(f, 0, 64, 1, 1);
	assert_int_equal(send_pat(f, 0, 64, 99), 0); /* a caches cons = 160 */
	fill_ring(f);				     /* full again */
	f->a.tx->cons = 80;
}

static void c_cons_misaligned(struct fx *f)
{
	fill_ring(f);
	f->a.tx->cons = 8;
}

static void test_malformed(void **state)
{
	const struct bad_case *c = *state;
	struct fx *f = fx_new(1024, 256, 4);
	struct ipi_endpoint *victim = c->tx_side ? &f->a : &f->b;
	u8 buf[1024];
	int r;

	c->corrupt(f);
	if (c->tx_side) {
		r = send_pat(f, 0, 64, 1234);
	} else {
		for (int i = 0; i < c->good_first; i++)
			assert_true(ipi_recv(victim, NULL, buf, sizeof(buf)) >= 0);
		r = ipi_recv(victim, NULL, buf, sizeof(buf));
	}
	assert_int_equal(r, -EPROTO);
	assert_int_equal(ipi_fault(victim), c->fault);
	assert_non_null(ipi_fault_str(c->fault));
	print_message("      fault: %s (pos 0x%x, value 0x%x)\n", ipi_fault_str(victim->fault),
		      victim->fault_pos, victim->fault_val);

	/* Sticky: every later call fails, even after the peer behaves. */
	assert_int_equal(ipi_area_init(f->area, f->bytes, &f->cfg), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ipi_recv(victim, NULL, buf, sizeof(buf)), -EPIPE);
		assert_int_equal(ipi_send(victim, 0, 0, buf, 1), -EPIPE);
		assert_true(ipi_arm_wakeup(victim));
		assert_true(ipi_arm_space(victim));
		assert_false(ipi_need_doorbell(victim));
		assert_false(ipi_space_need_doorbell(victim));
		assert_int_equal(ipi_fault(victim), c->fault);
	}
	fx_free(f);
}

static void test_fault_str(void **state)
{
	(void)state;
	for (int i = 0; i < IPI_FAULT_COUNT; i++) {
		assert_non_null(ipi_fault_str(i));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(ipi_fault_str(i), ipi_fault_str(j));
	}
	assert_string_equal(ipi_fault_str(-1), "unknown fault");
	assert_string_equal(ipi_fault_str(IPI_FAULT_COUNT), "unknown fault");
}

static u64 rnd_state;

static u32 rnd(void)
{
	/* xorshift64* */
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (u32)((rnd_state * 0x2545f4914f6cdd1dull) >> 32);
}

/*
 * Ring 1 (b -> a) follows ring 0 in the area: reading past the end of ring
 * 0 stays inside the allocation.  The fuzz only uses ring 0, so it marks
 * ring 1 out of bounds for ASan while it runs.
 */
static void poison_ring1(struct fx *f, bool on)
{
#ifdef KPART_ASAN
	u8 *r1 = (u8 *)f->a.rx;
	size_t n = (size_t)((u8 *)f->area + f->bytes - r1);

	if (on)
		ASAN_POISON_MEMORY_REGION(r1, n);
	else
		ASAN_UNPOISON_MEMORY_REGION(r1, n);
#else
	(void)f;
	(void)on;
#endif
}

/*
 * Honest traffic with random corruption of ring 0 (indices, headers, any
 * byte, and lengths near their limits in the next record to be read).
 * Whatever happens, the receiver must return a sane result, never touch
 * memory outside ring 0 (ASan), and stay broken once broken.  Each check of
 * the receiver must have fired at least once: a fuzz that never reaches one
 * cannot show that it guards the memory.
 */
static void test_fuzz(void **state)
{
	static const int must_see[] = {
	    IPI_FAULT_PROD_RANGE, IPI_FAULT_PROD_ALIGN, IPI_FAULT_LEN_MAX,
	    IPI_FAULT_LEN_END,	  IPI_FAULT_LEN_PROD,	IPI_FAULT_PAD,
	    IPI_FAULT_CHAN,	  IPI_FAULT_SEQ,	IPI_FAULT_FLAGS};
	static u8 buf[512];
	struct fx *f = NULL;
	int broken = 0, delivered = 0, faults[IPI_FAULT_COUNT] = {0};

	(void)state;
	rnd_state = 0x9e3779b97f4a7c15ull;
	for (int iter = 0; iter < 200000; iter++) {
		if (!f) {
			f = fx_new(512, 200, 3);
			poison_ring1(f, true);
		}
		u32 op = rnd() % 100;
		struct ipi_ring *r = f->a.tx;

		if (op < 45) {
			u32 len = rnd() % 201;

			fill(buf, len, iter);
			int s = ipi_send(&f->a, rnd() % 3, rnd() & 0xff, buf, len);
			assert_true(s == 0 || s == -EAGAIN || s == -EPROTO || s == -EPIPE);
		} else if (op < 90) {
			struct ipi_msg_hdr h;
			u32 cap = rnd() % 2 ? sizeof(buf) : rnd() % sizeof(buf);
			int n = ipi_recv(&f->b, &h, buf, cap);

			if (n >= 0) {
				assert_true((u32)n <= cap && h.len == (u32)n);
				assert_true(h.len <= 200 && h.chan < 3);
				delivered++;
			} else {
				assert_true(n == -EAGAIN || n == -EPROTO || n == -EMSGSIZE);
			}
			if (n == -EPROTO) {
				assert_int_not_equal(ipi_fault(&f->b), IPI_FAULT_NONE);
				faults[ipi_fault(&f->b)]++;
				assert_int_equal(ipi_recv(&f->b, &h, buf, sizeof(buf)), -EPIPE);
				broken++;
				poison_ring1(f, false);
				fx_free(f);
				f = NULL;
			}
		} else if (op < 92) {
			r->prod = rnd() % 4 ? r->prod + (rnd() % 64) * 16 - 512 : rnd();
		} else if (op < 94) {
			u32 pos = (r->prod - 16 * (1 + rnd() % 8)) & (512 - 16);

			((u32 *)(r->data + pos))[rnd() % 4] ^= 1u << (rnd() % 32);
		} else if (op < 96) {
			/* The next record b reads: a length just past the ring's end,
			 * near the maximum, or a little off. */
			u32 pos = f->b.rx_cons & (512 - 1), tail = 512 - pos;
			struct ipi_msg_hdr *h = hdr_at(r, pos);

			if (rnd() % 2)
				h->len = tail - IPI_MSG_HDR_SIZE + 1 + rnd() % 32;
			else if (rnd() % 2)
				h->len = 199 + rnd() % 3;
			else
				h->len += rnd() % 33 - 16;
		} else if (op < 98) {
			r->data[rnd() % 512] = (u8)rnd();
		} else {
			r->cons = rnd() % 2 ? rnd() : r->cons + 16 * (rnd() % 8);
		}
	}
	if (f) {
		poison_ring1(f, false);
		fx_free(f);
	}
	print_message("      fuzz: %d messages delivered, %d rings broken\n", delivered, broken);
	for (size_t i = 0; i < sizeof(must_see) / sizeof(must_see[0]); i++) {
		print_message("      fault %-40s %d\n", ipi_fault_str(must_see[i]),
			      faults[must_see[i]]);
		if (!faults[must_see[i]])
			fail_msg("the fuzz never broke a ring with \"%s\"",
				 ipi_fault_str(must_see[i]));
	}
	assert_true(broken > 100);
	assert_true(delivered > 1000);
}

/* ------------------------ notification protocol ------------------------ */

static void test_doorbell_unarmed(void **state)
{
	struct fx *f = fx_new(1024, 256, 1);

	(void)state;
	assert_false(ipi_need_doorbell(&f->a)); /* nothing sent */
	for (u32 i = 0; i < 5; i++) {
		assert_int_equal(send_pat(f, 0, 64, i), 0);
		assert_false(ipi_need_doorbell(&f->a)); /* receiver never armed */
	}
	for (u32 i = 0; i < 5; i++)
		recv_pat(f, 0, 64, i, i);
	assert_false(ipi_space_need_doorbell(&f->b)); /* sender never armed */
	fx_free(f);
}

static void test_doorbell_armed(void **state)
{
	struct fx *f = fx_new(1024, 256, 1);

	(void)state;
	assert_false(ipi_arm_wakeup(&f->b)); /* empty: may sleep */
	assert_int_equal(f->b.rx->data_event, 0);
	assert_int_equal(send_pat(f, 0, 16, 0), 0);
	assert_true(ipi_need_doorbell(&f->a));	/* armed: ring */
	assert_false(ipi_need_doorbell(&f->a)); /* nothing new */
	assert_int_equal(send_pat(f, 0, 16, 1), 0);
	assert_false(ipi_need_doorbell(&f->a)); /* already rung once */
	recv_pat(f, 0, 16, 0, 0);
	assert_true(ipi_arm_wakeup(&f->b)); /* a message is still there */
	recv_pat(f, 0, 16, 1, 1);

	/* A batch of sends after arming: one doorbell for the batch. */
	assert_false(ipi_arm_wakeup(&f->b));
	for (u32 i = 2; i < 5; i++)
		assert_int_equal(send_pat(f, 0, 16, i), 0);
	assert_true(ipi_need_doorbell(&f->a));
	assert_false(ipi_need_doorbell(&f->a));
	for (u32 i = 2; i < 5; i++)
		recv_pat(f, 0, 16, i, i);

	/* Sent but not yet checked, consumed, then armed: no stale doorbell. */
	assert_int_equal(send_pat(f, 0, 16, 5), 0);
	recv_pat(f, 0, 16, 5, 5);
	assert_false(ipi_arm_wakeup(&f->b));
	assert_false(ipi_need_doorbell(&f->a));
	assert_int_equal(send_pat(f, 0, 16, 6), 0);
	assert_true(ipi_need_doorbell(&f->a));
	recv_pat(f, 0, 16, 6, 6);
	fx_free(f);
}

static void test_doorbell_race(void **state)
{
	struct fx *f = fx_new(1024, 256, 1);

	(void)state;
	/* Data published before the receiver arms: arming reports it. */
	assert_int_equal(send_pat(f, 0, 16, 0), 0);
	assert_true(ipi_arm_wakeup(&f->b));
	/* Sender checks after the receiver armed (stored event): it rings. */
	assert_true(ipi_need_doorbell(&f->a));
	recv_pat(f, 0, 16, 0, 0);
	fx_free(f);

	/* Across the 2^32 index wrap. */
	f = fx_new(1024, 256, 1);
	set_index(f, 0xffffffe0u);
	assert_false(ipi_arm_wakeup(&f->b));
	assert_int_equal(send_pat(f, 0, 64, 0), 0);
	assert_int_equal(f->a.tx_prod, 0x50u); /* 32 B padding + 80 B */
	assert_true(ipi_need_doorbell(&f->a));
	recv_pat(f, 0, 64, 0, 0);
	fx_free(f);
}

static void test_space_doorbell(void **state)
{
	struct fx *f = fx_new(1024, 256, 1);
	u32 n = 0;

	(void)state;
	while (send_pat(f, 0, 64, n) == 0)
		n++;
	assert_false(ipi_arm_space(&f->a)); /* nothing consumed: may sleep */
	assert_false(ipi_space_need_doorbell(&f->b));
	recv_pat(f, 0, 64, 0, 0);
	assert_true(ipi_space_need_doorbell(&f->b)); /* sender armed: ring */
	recv_pat(f, 0, 64, 1, 1);
	assert_false(ipi_space_need_doorbell(&f->b)); /* once per arming */
	while (send_pat(f, 0, 64, n) == 0)
		n++;
	assert_int_equal(n, 14); /* 12 + padding + 2 more records */

	/* Consumed before the sender armed: arming reports it, no sleep. */
	recv_pat(f, 0, 64, 2, 2);
	assert_true(ipi_arm_space(&f->a));
	assert_int_equal(send_pat(f, 0, 64, n), 0);
	n++;
	for (u32 i = 3; i < n; i++)
		recv_pat(f, 0, 64, i, i);
	fx_free(f);
}

/* A shared doorbell kicks only endpoints with something behind it. */
static void test_doorbell_pending(void **state)
{
	struct fx *f = fx_new(1024, 256, 1);
	u32 n = 0;

	(void)state;
	assert_false(ipi_doorbell_pending(&f->b)); /* nothing anywhere */
	assert_false(ipi_doorbell_pending(&f->a));
	assert_int_equal(send_pat(f, 0, 16, 0), 0);
	assert_true(ipi_doorbell_pending(&f->b));  /* data for b */
	assert_false(ipi_doorbell_pending(&f->a)); /* a's sender waits for nothing */
	recv_pat(f, 0, 16, 0, 0);
	assert_false(ipi_doorbell_pending(&f->b)); /* consumed */
	assert_false(ipi_doorbell_pending(&f->a)); /* consumed, but a never armed */

	/* A sender that armed on a full ring: pending once the peer consumed. */
	n = 1;
	while (send_pat(f, 0, 64, n) == 0)
		n++;
	assert_false(ipi_arm_space(&f->a));
	assert_false(ipi_doorbell_pending(&f->a)); /* nothing consumed yet */
	recv_pat(f, 0, 64, 1, 1);
	assert_true(ipi_space_need_doorbell(&f->b));
	assert_true(ipi_doorbell_pending(&f->a));   /* the space doorbell is for a */
	assert_int_equal(send_pat(f, 0, 64, n), 0); /* the retry takes the room */
	assert_false(ipi_doorbell_pending(&f->a));

	/* A garbage producer index points at b (its worker will break), until
	 * b is broken: then nothing is pending any more. */
	for (u32 i = 2; i <= n; i++)
		recv_pat(f, 0, 64, i, i);
	assert_false(ipi_doorbell_pending(&f->b));
	f->a.tx->prod += 0x7ffffff0u;
	assert_true(ipi_doorbell_pending(&f->b));
	assert_int_equal(ipi_recv(&f->b, NULL, NULL, 0), -EPROTO);
	assert_false(ipi_doorbell_pending(&f->b));
	fx_free(f);
}

#define BAD(fn, flt, tx, good)                                                                     \
	{                                                                                          \
		.name = "malformed_" #fn, .test_func = test_malformed,                             \
		.initial_state = (void *)&(const struct bad_case){c_##fn, flt, tx, good},          \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sanitized),
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_bad_args),
	    cmocka_unit_test(test_sequence),
	    cmocka_unit_test(test_wraparound),
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_exact_fit),
	    cmocka_unit_test(test_max_size),
	    cmocka_unit_test(test_doorbell_unarmed),
	    cmocka_unit_test(test_doorbell_armed),
	    cmocka_unit_test(test_doorbell_race),
	    cmocka_unit_test(test_space_doorbell),
	    cmocka_unit_test(test_doorbell_pending),
	    cmocka_unit_test(test_fault_str),
	    BAD(prod_beyond, IPI_FAULT_PROD_RANGE, false, 0),
	    BAD(prod_far, IPI_FAULT_PROD_RANGE, false, 0),
	    BAD(prod_huge, IPI_FAULT_PROD_RANGE, false, 0),
	    BAD(prod_back, IPI_FAULT_PROD_RANGE, false, 0),
	    BAD(prod_back_cached, IPI_FAULT_PROD_RANGE, false, 1),
	    BAD(prod_misaligned, IPI_FAULT_PROD_ALIGN, false, 0),
	    BAD(len_max, IPI_FAULT_LEN_MAX, false, 0),
	    BAD(len_ring, IPI_FAULT_LEN_MAX, false, 0),
	    BAD(len_huge, IPI_FAULT_LEN_MAX, false, 0),
	    BAD(len_end, IPI_FAULT_LEN_END, false, 0),
	    BAD(len_prod, IPI_FAULT_LEN_PROD, false, 0),
	    BAD(pad_zero, IPI_FAULT_PAD, false, 0),
	    BAD(pad_long, IPI_FAULT_PAD, false, 0),
	    BAD(pad_at_start, IPI_FAULT_PAD, false, 0),
	    BAD(pad_beyond_prod, IPI_FAULT_PAD, false, 0),
	    BAD(pad_twice, IPI_FAULT_PAD, false, 0),
	    BAD(pad_flags, IPI_FAULT_PAD, false, 0),
	    BAD(chan, IPI_FAULT_CHAN, false, 0),
	    BAD(chan_max, IPI_FAULT_CHAN, false, 0),
	    BAD(seq_skip, IPI_FAULT_SEQ, false, 0),
	    BAD(seq_repeat, IPI_FAULT_SEQ, false, 1),
	    BAD(flags, IPI_FAULT_FLAGS, false, 0),
	    BAD(rsvd, IPI_FAULT_FLAGS, false, 0),
	    BAD(cons_beyond, IPI_FAULT_CONS_RANGE, true, 0),
	    BAD(cons_back, IPI_FAULT_CONS_RANGE, true, 0),
	    BAD(cons_misaligned, IPI_FAULT_CONS_ALIGN, true, 0),
	    cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests_name("ipi_ring", tests, NULL, NULL);
}
