/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpart inter-kernel ring.
 *
 * One single-producer/single-consumer byte ring per direction in memory
 * shared by two kernels (or two threads in the user-space tests).  The same
 * source is compiled into the boot kernel's module, into application kernels
 * and into user space; ring_compat.h is the only environment-specific part.
 * docs/ipi.md describes the layout and the protocol.
 *
 * Trust: each side treats everything in shared memory as hostile.  All state
 * that decisions are based on lives in struct ipi_endpoint, which is private
 * to one side; shared values are read once, validated against that private
 * state and only then used.  A violation marks the endpoint broken for good.
 *
 * Concurrency: an endpoint has a sending half (ipi_send, ipi_need_doorbell,
 * ipi_arm_space) and a receiving half (ipi_recv, ipi_arm_wakeup,
 * ipi_space_need_doorbell).  Calls within one half must be serialized by the
 * caller; the two halves may run concurrently on different CPUs.
 */
#ifndef KPART_IPI_RING_H
#define KPART_IPI_RING_H

#include "ring_compat.h"

#define IPI_CACHELINE		64

#define IPI_RING_MAGIC		0x5249504bU	/* "KPIR" in memory */
#define IPI_AREA_MAGIC		0x4149504bU	/* "KPIA" in memory */
#define IPI_VERSION		1

/* Ring data size: a power of two in [IPI_RING_MIN_SIZE, IPI_RING_MAX_SIZE]. */
#define IPI_RING_MIN_SIZE	64U
#define IPI_RING_MAX_SIZE	0x40000000U

/* Records (header + payload) start and end on IPI_MSG_ALIGN boundaries. */
#define IPI_MSG_ALIGN		16U
#define IPI_MSG_HDR_SIZE	16U

/* Default maximum payload; a ring of n bytes carries at most n / 2 - 16. */
#define IPI_MSG_MAX_DEFAULT	4096U
#define IPI_RING_MAX_PAYLOAD(size)	((size) / 2 - IPI_MSG_HDR_SIZE)

/* Message flags: the low byte belongs to the caller, the rest to the ring. */
#define IPI_MSG_F_USER		0x00ffU
#define IPI_MSG_F_PAD		0x8000U	/* padding up to the end of the ring */

/* Event index value that no index crosses soon: "no doorbell wanted". */
#define IPI_EVENT_NONE		0x80000000U

/*
 * One ring in shared memory: four cache lines of control, then the data.
 * Indices are free-running byte counters (u32, wrapping); the position in
 * data[] is index & (size - 1).  Each index has a line of its own, written
 * by one side for every batch; the event indices share a line that is
 * written only when a side arms (before sleeping) and read by the other side
 * at each doorbell check, so it stays cached in both while nobody sleeps.
 */
struct ipi_ring {
	/* Line 0: written once by ipi_ring_init(), informational afterwards. */
	u32 magic;		/* IPI_RING_MAGIC */
	u16 version;		/* IPI_VERSION */
	u16 data_offset;	/* offsetof(struct ipi_ring, data) */
	u32 size;		/* bytes in data[], power of two */
	u8 rsvd0[IPI_CACHELINE - 12];

	/* Line 1: written by the producer only. */
	u32 prod;		/* index after the last published record */
	u8 rsvd1[IPI_CACHELINE - 4];

	/* Line 2: written by the consumer only. */
	u32 cons;		/* index after the last consumed record */
	u8 rsvd2[IPI_CACHELINE - 4];

	/* Line 3: event indices, each written by one side when it arms. */
	u32 data_event;		/* consumer: doorbell me when prod passes this */
	u32 space_event;	/* producer: doorbell me when cons passes this */
	u8 rsvd3[IPI_CACHELINE - 8];

	u8 data[];		/* records, IPI_MSG_ALIGN aligned */
};

#define IPI_RING_BYTES(size)	(sizeof(struct ipi_ring) + (size))

/* Record header at the start of every record in data[]. */
struct ipi_msg_hdr {
	u32 len;		/* payload bytes following the header */
	u16 chan;		/* channel, < nr_channels */
	u16 flags;		/* IPI_MSG_F_* */
	u32 seq;		/* per-direction message number, from 0 */
	u32 rsvd;		/* zero */
};

/*
 * A channel area: one header line, then ring 0 (written by the boot side,
 * read by the application side) and ring 1 (the other way).
 */
struct ipi_area {
	u32 magic;		/* IPI_AREA_MAGIC, written last */
	u16 version;		/* IPI_VERSION */
	u16 nr_channels;
	u32 ring_size;		/* data bytes of each ring */
	u32 max_payload;
	u8 rsvd[IPI_CACHELINE - 16];
};

#define IPI_AREA_RING_OFFSET(size, i)	\
	(sizeof(struct ipi_area) + (size_t)(i) * IPI_RING_BYTES(size))
#define IPI_AREA_BYTES(size)		IPI_AREA_RING_OFFSET(size, 2)

struct ipi_config {
	u32 ring_size;		/* data bytes per ring, power of two */
	u32 max_payload;	/* <= IPI_RING_MAX_PAYLOAD(ring_size) */
	u16 nr_channels;	/* >= 1 */
};

enum ipi_side {
	IPI_SIDE_BOOT,		/* owner: sends on ring 0, receives on ring 1 */
	IPI_SIDE_APP,		/* peer: sends on ring 1, receives on ring 0 */
};

/* Why an endpoint broke; see ipi_fault_str(). */
enum ipi_fault {
	IPI_FAULT_NONE,
	IPI_FAULT_PROD_RANGE,	/* producer index moved back or past cons + size */
	IPI_FAULT_PROD_ALIGN,	/* producer index not record aligned */
	IPI_FAULT_CONS_RANGE,	/* consumer index moved back or past prod */
	IPI_FAULT_CONS_ALIGN,	/* consumer index not record aligned */
	IPI_FAULT_FLAGS,	/* unknown flags or nonzero reserved field */
	IPI_FAULT_LEN_MAX,	/* length above the maximum payload */
	IPI_FAULT_LEN_END,	/* record crosses the end of the ring */
	IPI_FAULT_LEN_PROD,	/* record extends past the producer index */
	IPI_FAULT_PAD,		/* padding record of the wrong size or place */
	IPI_FAULT_CHAN,		/* channel number >= nr_channels */
	IPI_FAULT_SEQ,		/* sequence number out of order */
	IPI_FAULT_COUNT
};

/*
 * Private state of one side.  Never place this in shared memory.  Fields are
 * internal; use the functions below (tests may inspect them).  The sending
 * and receiving halves are on cache lines of their own, so that two CPUs
 * can drive them without bouncing lines (allocate it cache-line aligned for
 * that; correctness does not depend on it).
 */
struct ipi_endpoint {
	/* Read-mostly: trusted copies of the configuration, sticky fault. */
	u32 size;
	u32 mask;
	u32 max_payload;
	u16 nr_channels;
	int fault;		/* enum ipi_fault, IPI_FAULT_NONE while healthy */
	u32 fault_pos;		/* ring index where the fault was found */
	u32 fault_val;		/* offending value */

	/* Sending half. */
	struct ipi_ring *tx __aligned(IPI_CACHELINE);	/* shared ring we produce into */
	u32 tx_prod;		/* our producer index (authoritative) */
	u32 tx_cons;		/* last validated consumer index */
	u32 tx_kicked;		/* tx_prod at the last ipi_need_doorbell() */
	u32 tx_seq;		/* sequence number of the next message */

	/* Receiving half. */
	struct ipi_ring *rx __aligned(IPI_CACHELINE);	/* shared ring we consume from */
	u32 rx_cons;		/* our consumer index (authoritative) */
	u32 rx_prod;		/* last validated producer index */
	u32 rx_kicked;		/* rx_cons at the last ipi_space_need_doorbell() */
	u32 rx_seq;		/* expected sequence number */
};

/* Check a configuration: 0 or -EINVAL. */
int ipi_config_check(const struct ipi_config *cfg);

/* Format one ring of @size data bytes (owner side, before any use). */
int ipi_ring_init(struct ipi_ring *ring, u32 size);

/*
 * Format a channel area of @area_bytes (>= IPI_AREA_BYTES(cfg->ring_size))
 * bytes: both rings empty, header written last.  Owner side, before the
 * peer attaches.  Returns 0 or -EINVAL.
 */
int ipi_area_init(void *area, size_t area_bytes, const struct ipi_config *cfg);

/*
 * Read the configuration an owner wrote into an area (peer side).  Returns
 * 0, or -EPROTO when the header is missing or inconsistent with @area_bytes.
 */
int ipi_area_config(const void *area, size_t area_bytes, struct ipi_config *cfg);

/*
 * Attach @ep to a formatted area.  Reads nothing from shared memory: the
 * configuration comes from @cfg, which the caller trusts.  Returns 0 or
 * -EINVAL.
 */
int ipi_endpoint_open(struct ipi_endpoint *ep, void *area, size_t area_bytes,
		      enum ipi_side side, const struct ipi_config *cfg);

/*
 * Queue one message.  Returns 0; -EAGAIN when the ring is full (nothing
 * written; retry later, see ipi_arm_space()); -EMSGSIZE when @len exceeds
 * max_payload; -EINVAL for a bad channel, flag or pointer; -EPROTO when the
 * peer's consumer index was found corrupt just now; -EPIPE once broken.
 * Call ipi_need_doorbell() after a batch of sends.
 */
int ipi_send(struct ipi_endpoint *ep, u16 chan, u16 flags, const void *data, u32 len);

/*
 * Dequeue one message into @buf.  Returns the payload length and fills @hdr
 * (may be NULL); -EAGAIN when the ring is empty; -EMSGSIZE when @buflen is
 * too small (@hdr filled, message left in the ring); -EPROTO when the peer
 * broke the protocol just now (see ipi_fault()); -EPIPE once broken.
 * Call ipi_space_need_doorbell() after a batch of receives.
 */
int ipi_recv(struct ipi_endpoint *ep, struct ipi_msg_hdr *hdr, void *buf, u32 buflen);

/* After sends: true when the peer asked for a doorbell for new data. */
bool ipi_need_doorbell(struct ipi_endpoint *ep);

/*
 * Before the receiver sleeps: ask for a doorbell on new data.  Returns true
 * when the caller must not sleep (data or an error is pending: call
 * ipi_recv() again), false when it may sleep until the doorbell.
 */
bool ipi_arm_wakeup(struct ipi_endpoint *ep);

/*
 * Before the sender sleeps on a full ring: ask for a doorbell when the peer
 * consumes.  Returns true when the caller must not sleep (space may have
 * been freed meanwhile, or the endpoint is broken: retry ipi_send()).
 */
bool ipi_arm_space(struct ipi_endpoint *ep);

/* After receives: true when the peer asked for a doorbell for free space. */
bool ipi_space_need_doorbell(struct ipi_endpoint *ep);

/*
 * On a doorbell shared by several endpoints: may it be for this one?  True
 * when the peer published data beyond what we consumed, or consumed beyond
 * the index our sender armed a space doorbell at.  Reads both halves
 * without their serialization (from an interrupt handler), so it is a hint:
 * false positives cost a wasted run of the receiver, and a doorbell that
 * was asked for is never filtered out (the armed index is stable while
 * its side sleeps).  False once broken.
 */
bool ipi_doorbell_pending(const struct ipi_endpoint *ep);

/* enum ipi_fault of a broken endpoint, IPI_FAULT_NONE while healthy. */
static inline int ipi_fault(const struct ipi_endpoint *ep)
{
	return READ_ONCE(ep->fault);
}

/* Short English description of an enum ipi_fault, for logs. */
const char *ipi_fault_str(int fault);

#endif /* KPART_IPI_RING_H */
