// SPDX-License-Identifier: GPL-2.0
/*
 * kpart inter-kernel ring: the one implementation of the ring logic, built
 * into the boot kernel's module, into application kernels and into the
 * user-space tests and benchmarks.  API in ring.h, protocol in docs/ipi.md.
 *
 * Everything read from shared memory is read once (READ_ONCE or an acquire
 * load) into a local, validated against the private endpoint state, and
 * only then used.  No loop depends on a shared value, so a hostile peer can
 * neither make us touch memory outside the ring nor keep us spinning.
 */
#include "ring.h"

static_assert(sizeof(struct ipi_msg_hdr) == IPI_MSG_HDR_SIZE, "message header size");
static_assert(IPI_MSG_HDR_SIZE % IPI_MSG_ALIGN == 0, "header keeps records aligned");
static_assert(offsetof(struct ipi_ring, prod) == 1 * IPI_CACHELINE, "prod on line 1");
static_assert(offsetof(struct ipi_ring, cons) == 2 * IPI_CACHELINE, "cons on line 2");
static_assert(offsetof(struct ipi_ring, data_event) == 3 * IPI_CACHELINE, "events on line 3");
static_assert(offsetof(struct ipi_ring, data) == 4 * IPI_CACHELINE, "data after line 3");
static_assert(sizeof(struct ipi_ring) == 4 * IPI_CACHELINE, "ring control size");
static_assert(sizeof(struct ipi_area) == IPI_CACHELINE, "area header size");
static_assert(IPI_RING_MIN_SIZE % IPI_CACHELINE == 0, "rings stay cache-line aligned");

static const char *const ipi_fault_names[IPI_FAULT_COUNT] = {
	[IPI_FAULT_NONE] = "no fault",
	[IPI_FAULT_PROD_RANGE] = "producer index moved back or beyond consumer + size",
	[IPI_FAULT_PROD_ALIGN] = "producer index not record aligned",
	[IPI_FAULT_CONS_RANGE] = "consumer index moved back or beyond producer",
	[IPI_FAULT_CONS_ALIGN] = "consumer index not record aligned",
	[IPI_FAULT_FLAGS] = "unknown message flags or nonzero reserved field",
	[IPI_FAULT_LEN_MAX] = "message length above maximum payload",
	[IPI_FAULT_LEN_END] = "message crosses the end of the ring",
	[IPI_FAULT_LEN_PROD] = "message extends beyond the producer index",
	[IPI_FAULT_PAD] = "padding record of wrong length or position",
	[IPI_FAULT_CHAN] = "channel number out of range",
	[IPI_FAULT_SEQ] = "sequence number out of order",
};

const char *ipi_fault_str(int fault)
{
	if (fault < 0 || fault >= IPI_FAULT_COUNT)
		return "unknown fault";
	return ipi_fault_names[fault];
}

static inline u32 ipi_rec_size(u32 len)
{
	return (IPI_MSG_HDR_SIZE + len + IPI_MSG_ALIGN - 1) & ~(IPI_MSG_ALIGN - 1);
}

static inline bool ipi_size_ok(u32 size)
{
	return size >= IPI_RING_MIN_SIZE && size <= IPI_RING_MAX_SIZE && !(size & (size - 1));
}

/*
 * True when an index that moved from @old_idx to @new_idx passed @event,
 * i.e. @event lies in [old_idx, new_idx) modulo 2^32 (virtio's event index).
 */
static inline bool ipi_crossed(u32 event, u32 new_idx, u32 old_idx)
{
	return (u32)(new_idx - event - 1) < (u32)(new_idx - old_idx);
}

/* Record the first violation; the endpoint stays broken from now on. */
static int ipi_break(struct ipi_endpoint *ep, int fault, u32 pos, u32 val)
{
	if (!READ_ONCE(ep->fault)) {
		ep->fault_pos = pos;
		ep->fault_val = val;
		WRITE_ONCE(ep->fault, fault);
	}
	return -EPROTO;
}

int ipi_config_check(const struct ipi_config *cfg)
{
	if (!ipi_size_ok(cfg->ring_size) || !cfg->nr_channels ||
	    cfg->max_payload > IPI_RING_MAX_PAYLOAD(cfg->ring_size))
		return -EINVAL;
	return 0;
}

int ipi_ring_init(struct ipi_ring *ring, u32 size)
{
	if (!ipi_size_ok(size) || ((unsigned long)ring & (IPI_CACHELINE - 1)))
		return -EINVAL;
	memset(ring, 0, sizeof(*ring));
	ring->version = IPI_VERSION;
	ring->data_offset = offsetof(struct ipi_ring, data);
	ring->size = size;
	ring->space_event = IPI_EVENT_NONE;
	ring->data_event = IPI_EVENT_NONE;
	/* Release: the fields above are visible to whoever sees the magic. */
	smp_store_release(&ring->magic, IPI_RING_MAGIC);
	return 0;
}

static struct ipi_ring *ipi_area_ring(void *area, u32 size, int i)
{
	return (struct ipi_ring *)((u8 *)area + IPI_AREA_RING_OFFSET(size, i));
}

int ipi_area_init(void *area, size_t area_bytes, const struct ipi_config *cfg)
{
	struct ipi_area *a = area;
	u32 size = cfg->ring_size;

	if (ipi_config_check(cfg) || area_bytes < IPI_AREA_BYTES(size) ||
	    ((unsigned long)area & (IPI_CACHELINE - 1)))
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->version = IPI_VERSION;
	a->nr_channels = cfg->nr_channels;
	a->ring_size = size;
	a->max_payload = cfg->max_payload;
	ipi_ring_init(ipi_area_ring(area, size, 0), size);
	ipi_ring_init(ipi_area_ring(area, size, 1), size);
	/* The peer checks the magic first: everything above before it. */
	smp_store_release(&a->magic, IPI_AREA_MAGIC);
	return 0;
}

int ipi_area_config(const void *area, size_t area_bytes, struct ipi_config *cfg)
{
	const struct ipi_area *a = area;
	struct ipi_config c;

	if (area_bytes < sizeof(*a) || ((unsigned long)area & (IPI_CACHELINE - 1)))
		return -EPROTO;
	/* Acquire pairs with the release of the magic in ipi_area_init(). */
	if (smp_load_acquire(&a->magic) != IPI_AREA_MAGIC || READ_ONCE(a->version) != IPI_VERSION)
		return -EPROTO;
	c.ring_size = READ_ONCE(a->ring_size);
	c.max_payload = READ_ONCE(a->max_payload);
	c.nr_channels = READ_ONCE(a->nr_channels);
	if (ipi_config_check(&c) || area_bytes < IPI_AREA_BYTES(c.ring_size))
		return -EPROTO;
	*cfg = c;
	return 0;
}

int ipi_endpoint_open(struct ipi_endpoint *ep, void *area, size_t area_bytes,
		      enum ipi_side side, const struct ipi_config *cfg)
{
	struct ipi_ring *r0, *r1;
	u32 size = cfg->ring_size;

	if (ipi_config_check(cfg) || area_bytes < IPI_AREA_BYTES(size) ||
	    ((unsigned long)area & (IPI_CACHELINE - 1)) ||
	    (side != IPI_SIDE_BOOT && side != IPI_SIDE_APP))
		return -EINVAL;
	r0 = ipi_area_ring(area, size, 0);
	r1 = ipi_area_ring(area, size, 1);
	memset(ep, 0, sizeof(*ep));
	ep->tx = side == IPI_SIDE_BOOT ? r0 : r1;
	ep->rx = side == IPI_SIDE_BOOT ? r1 : r0;
	ep->size = size;
	ep->mask = size - 1;
	ep->max_payload = cfg->max_payload;
	ep->nr_channels = cfg->nr_channels;
	return 0;
}

/* Sending half. */

/* Fetch and check the peer's consumer index: it may only move forward to tx_prod. */
static int ipi_tx_refresh(struct ipi_endpoint *ep)
{
	/*
	 * Acquire pairs with the release in ipi_recv(): the peer has finished
	 * reading the records it consumed before we overwrite them.
	 */
	u32 cons = smp_load_acquire(&ep->tx->cons);

	if (unlikely(cons & (IPI_MSG_ALIGN - 1)))
		return ipi_break(ep, IPI_FAULT_CONS_ALIGN, ep->tx_cons, cons);
	if (unlikely((u32)(cons - ep->tx_cons) > (u32)(ep->tx_prod - ep->tx_cons)))
		return ipi_break(ep, IPI_FAULT_CONS_RANGE, ep->tx_cons, cons);
	ep->tx_cons = cons;
	return 0;
}

static void ipi_put_hdr(u8 *p, u32 len, u16 chan, u16 flags, u32 seq)
{
	struct ipi_msg_hdr h = { .len = len, .chan = chan, .flags = flags, .seq = seq };

	memcpy(p, &h, sizeof(h));
}

int ipi_send(struct ipi_endpoint *ep, u16 chan, u16 flags, const void *data, u32 len)
{
	u32 prod = ep->tx_prod;
	u32 rec, pos, tail, need;
	u8 *d = ep->tx->data;
	int err;

	if (unlikely(READ_ONCE(ep->fault)))
		return -EPIPE;
	if (unlikely(chan >= ep->nr_channels || (flags & ~IPI_MSG_F_USER) || (len && !data)))
		return -EINVAL;
	if (unlikely(len > ep->max_payload))
		return -EMSGSIZE;

	/* A record never wraps: if the tail is too short, pad it and start at 0. */
	rec = ipi_rec_size(len);
	pos = prod & ep->mask;
	tail = ep->size - pos;
	need = rec <= tail ? rec : tail + rec;
	if (need > ep->size - (prod - ep->tx_cons)) {
		err = ipi_tx_refresh(ep);
		if (err)
			return err;
		if (need > ep->size - (prod - ep->tx_cons))
			return -EAGAIN;
	}

	if (rec > tail) {
		ipi_put_hdr(d + pos, tail - IPI_MSG_HDR_SIZE, 0, IPI_MSG_F_PAD, 0);
		pos = 0;
	}
	ipi_put_hdr(d + pos, len, chan, flags, ep->tx_seq);
	if (len)
		memcpy(d + pos + IPI_MSG_HDR_SIZE, data, len);
	ep->tx_seq++;
	ep->tx_prod = prod + need;
	/* Publish: record contents before the index (pairs with ipi_rx_refresh()). */
	smp_store_release(&ep->tx->prod, ep->tx_prod);
	return 0;
}

bool ipi_need_doorbell(struct ipi_endpoint *ep)
{
	u32 old_idx = ep->tx_kicked;
	u32 new_idx = ep->tx_prod;

	if (old_idx == new_idx || READ_ONCE(ep->fault))
		return false;
	ep->tx_kicked = new_idx;
	/*
	 * Store of prod (ipi_send) before load of data_event.  Pairs with the
	 * smp_mb() in ipi_arm_wakeup(), which orders the store of data_event
	 * before the load of prod: at least one side sees the other's store,
	 * so either the receiver does not sleep or we ring.
	 */
	smp_mb();
	return ipi_crossed(READ_ONCE(ep->tx->data_event), new_idx, old_idx);
}

bool ipi_arm_space(struct ipi_endpoint *ep)
{
	u32 cons = ep->tx_cons;

	if (READ_ONCE(ep->fault))
		return true;
	WRITE_ONCE(ep->tx->space_event, cons);
	/* Store of space_event before load of cons; pairs with ipi_space_need_doorbell(). */
	smp_mb();
	/* Only compared: ipi_send() validates the index when it uses it. */
	return READ_ONCE(ep->tx->cons) != cons;
}

/* Receiving half. */

/* Fetch and check the peer's producer index: forward, by at most the free space. */
static int ipi_rx_refresh(struct ipi_endpoint *ep)
{
	/* Acquire pairs with the release in ipi_send(): records before index. */
	u32 prod = smp_load_acquire(&ep->rx->prod);

	if (unlikely(prod & (IPI_MSG_ALIGN - 1)))
		return ipi_break(ep, IPI_FAULT_PROD_ALIGN, ep->rx_prod, prod);
	if (unlikely((u32)(prod - ep->rx_prod) > ep->size - (u32)(ep->rx_prod - ep->rx_cons)))
		return ipi_break(ep, IPI_FAULT_PROD_RANGE, ep->rx_prod, prod);
	ep->rx_prod = prod;
	return 0;
}

/*
 * Load and check the header of the next message at rx_cons into @h,
 * consuming a padding record in front of it.  The loop runs at most twice:
 * a padding record leaves rx_cons at position 0, where padding is invalid.
 */
static int ipi_rx_next(struct ipi_endpoint *ep, struct ipi_msg_hdr *h)
{
	const struct ipi_msg_hdr *sh;
	u32 cons, pos, tail, avail, rec;
	int err;

	for (;;) {
		cons = ep->rx_cons;
		if (cons == ep->rx_prod) {
			err = ipi_rx_refresh(ep);
			if (err)
				return err;
			if (cons == ep->rx_prod) {
				/*
				 * Pull in the line the next record will be
				 * written to: a receiver polling here has it
				 * on its way when the index moves, instead of
				 * fetching index and record one after the other.
				 */
				prefetch(ep->rx->data + (cons & ep->mask));
				return -EAGAIN;
			}
		}
		/* Both indices are validated and aligned: avail >= one header. */
		avail = ep->rx_prod - cons;
		pos = cons & ep->mask;
		tail = ep->size - pos;

		sh = (const struct ipi_msg_hdr *)(ep->rx->data + pos);
		h->len = READ_ONCE(sh->len);
		h->chan = READ_ONCE(sh->chan);
		h->flags = READ_ONCE(sh->flags);
		h->seq = READ_ONCE(sh->seq);
		h->rsvd = READ_ONCE(sh->rsvd);

		if (unlikely(h->rsvd))
			return ipi_break(ep, IPI_FAULT_FLAGS, cons, h->rsvd);
		if (unlikely(h->flags & ~(IPI_MSG_F_USER | IPI_MSG_F_PAD)))
			return ipi_break(ep, IPI_FAULT_FLAGS, cons, h->flags);
		if (likely(!(h->flags & IPI_MSG_F_PAD)))
			break;
		/* Padding fills exactly the rest of the ring, never all of it. */
		if (unlikely(h->flags != IPI_MSG_F_PAD || pos == 0 ||
			     h->len != tail - IPI_MSG_HDR_SIZE || tail > avail))
			return ipi_break(ep, IPI_FAULT_PAD, cons, h->len);
		ep->rx_cons = cons + tail;
		/* Release, as in ipi_recv(): hand the padded space back. */
		smp_store_release(&ep->rx->cons, ep->rx_cons);
	}

	if (unlikely(h->len > ep->max_payload))
		return ipi_break(ep, IPI_FAULT_LEN_MAX, cons, h->len);
	rec = ipi_rec_size(h->len);
	if (unlikely(rec > tail))
		return ipi_break(ep, IPI_FAULT_LEN_END, cons, h->len);
	if (unlikely(rec > avail))
		return ipi_break(ep, IPI_FAULT_LEN_PROD, cons, h->len);
	if (unlikely(h->chan >= ep->nr_channels))
		return ipi_break(ep, IPI_FAULT_CHAN, cons, h->chan);
	if (unlikely(h->seq != ep->rx_seq))
		return ipi_break(ep, IPI_FAULT_SEQ, cons, h->seq);
	return 0;
}

int ipi_recv(struct ipi_endpoint *ep, struct ipi_msg_hdr *hdr, void *buf, u32 buflen)
{
	struct ipi_msg_hdr h;
	u32 pos;
	int err;

	if (unlikely(READ_ONCE(ep->fault)))
		return -EPIPE;
	err = ipi_rx_next(ep, &h);
	if (err)
		return err;
	if (hdr)
		*hdr = h;
	if (h.len > buflen)
		return -EMSGSIZE;

	pos = ep->rx_cons & ep->mask;
	if (h.len)
		memcpy(buf, ep->rx->data + pos + IPI_MSG_HDR_SIZE, h.len);
	ep->rx_seq++;
	ep->rx_cons += ipi_rec_size(h.len);
	/* Release: our reads of the record before the producer may reuse it. */
	smp_store_release(&ep->rx->cons, ep->rx_cons);
	return h.len;
}

bool ipi_arm_wakeup(struct ipi_endpoint *ep)
{
	u32 cons = ep->rx_cons;

	if (READ_ONCE(ep->fault) || cons != ep->rx_prod)
		return true;
	WRITE_ONCE(ep->rx->data_event, cons);
	/* Store of data_event before load of prod; pairs with ipi_need_doorbell(). */
	smp_mb();
	/* Only compared: ipi_recv() validates the index when it uses it. */
	return READ_ONCE(ep->rx->prod) != cons;
}

bool ipi_space_need_doorbell(struct ipi_endpoint *ep)
{
	u32 old_idx = ep->rx_kicked;
	u32 new_idx = ep->rx_cons;

	if (old_idx == new_idx || READ_ONCE(ep->fault))
		return false;
	ep->rx_kicked = new_idx;
	/* Store of cons (ipi_recv) before load of space_event; pairs with ipi_arm_space(). */
	smp_mb();
	return ipi_crossed(READ_ONCE(ep->rx->space_event), new_idx, old_idx);
}

bool ipi_doorbell_pending(const struct ipi_endpoint *ep)
{
	u32 armed = READ_ONCE(ep->tx_cons);

	if (READ_ONCE(ep->fault))
		return false;
	/* Only compared, never used: the receiver and sender validate. */
	if (READ_ONCE(ep->rx->prod) != READ_ONCE(ep->rx_cons))
		return true;
	return READ_ONCE(ep->tx->space_event) == armed &&
	       READ_ONCE(ep->tx->cons) != armed;
}
