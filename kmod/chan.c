// SPDX-License-Identifier: GPL-2.0
/*
 * One endpoint of an inter-kernel channel, shared by both sides of kpart.
 *
 * Sending: callers serialize on tx_lock, a spinlock taken with interrupts
 * off so that a console write from any context can send too. They send
 * with ipi_send() and ring the peer's doorbell when ipi_need_doorbell()
 * says it sleeps. On a full ring a sender arms a space doorbell; a
 * blocking one drops the lock and sleeps on tx_wq, others get -EAGAIN.
 *
 * Receiving: only the worker touches the receiving half. A doorbell (or a
 * kick) queues it; it drains the ring, hands control messages to the
 * owner's ops, queues messages of channels with a port for their
 * character device and gives the rest (console, echo) to ops->data; then
 * it arms the wakeup and goes idle. A port holds at most
 * KPART_CHAN_RXQ_MAX messages; what arrives for a full port is dropped and
 * counted (logged once per overflow): the worker never stops draining, so
 * a port nobody reads cannot hold up control messages and heartbeats.
 *
 * Doorbells: a kick only queues the worker, so kicks coalesce while it is
 * queued (and a doorbell shared by several channels kicks only those
 * ipi_doorbell_pending() points at). A run that receives nothing counts against a budget of
 * KPART_CHAN_IDLE_RUNS per KPART_CHAN_WINDOW_MS; once it is spent, kicks
 * wait for the end of the window. A peer ringing without cause (or a
 * storm of another partition's doorbells) thus costs at most that many
 * empty runs per window, besides the interrupts themselves.
 *
 * The area is treated as hostile: the library validates every index and
 * header; its first -EPROTO marks this channel broken for good.
 */
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/kpart.h>
#include "chan.h"

void kpart_chan_config(struct ipi_config *cfg)
{
	cfg->ring_size = KPART_CHAN_RING_SIZE;
	cfg->max_payload = KPART_CHAN_MAX_PAYLOAD;
	cfg->nr_channels = KPART_CHAN_NR;
}

/*
 * The peer decides how often we would log: KPART_CHAN_LOG_BURST lines per
 * KPART_CHAN_LOG_INTERVAL, and how many were left out before the next one
 * (or at close). Callers are serialized by the worker, or the owner's lock.
 */
bool kpart_chan_log_ok(struct kpart_chan *ch)
{
	int missed;

	if (!__ratelimit(&ch->log_rs))
		return false;
	missed = ch->log_rs.missed;
	if (missed) {
		ch->log_rs.missed = 0;
		pr_warn("kpart: %s: %d log lines caused by the peer suppressed\n",
			ch->name, missed);
	}
	return true;
}

static void log_suppressed(struct kpart_chan *ch)
{
	if (ch->log_rs.missed)
		pr_warn("kpart: %s: %d log lines caused by the peer suppressed\n",
			ch->name, ch->log_rs.missed);
	ch->log_rs.missed = 0;
}

static void wake_all(struct kpart_chan *ch)
{
	int i;

	wake_up_all(&ch->state_wq);
	for (i = 0; i < KPART_CHAN_NR; i++)
		wake_up_all(&ch->port[i].wq);
	wake_up_all(&ch->tx_wq);
}

void kpart_chan_set_state(struct kpart_chan *ch, int state, const char *reason)
{
	unsigned long flags;

	spin_lock_irqsave(&ch->lock, flags);
	/* broken is final until the channel is opened again */
	if (ch->state != KPART_CHAN_BROKEN || state == KPART_CHAN_NONE) {
		ch->state = state;
		strscpy(ch->reason, reason ?: "", sizeof(ch->reason));
	}
	spin_unlock_irqrestore(&ch->lock, flags);
	wake_all(ch);
}

int kpart_chan_state_str(struct kpart_chan *ch, char *buf, size_t len)
{
	static const char * const names[] = {
		[KPART_CHAN_NONE] = "none",
		[KPART_CHAN_UP] = "up",
		[KPART_CHAN_BROKEN] = "broken",
		[KPART_CHAN_CLOSED] = "closed",
	};
	unsigned long flags;
	int n;

	spin_lock_irqsave(&ch->lock, flags);
	if (ch->reason[0])
		n = scnprintf(buf, len, "%s: %s\n", names[ch->state], ch->reason);
	else
		n = scnprintf(buf, len, "%s\n", names[ch->state]);
	spin_unlock_irqrestore(&ch->lock, flags);
	return n;
}

static void mark_broken(struct kpart_chan *ch, int err)
{
	char why[128];
	bool first;
	unsigned long flags;

	if (err == -EPROTO)
		snprintf(why, sizeof(why), "%s (index %#x value %#x)",
			 ipi_fault_str(ipi_fault(&ch->ep)), ch->ep.fault_pos,
			 ch->ep.fault_val);
	else
		snprintf(why, sizeof(why), "%s", ipi_fault_str(ipi_fault(&ch->ep)));
	spin_lock_irqsave(&ch->lock, flags);
	first = ch->state != KPART_CHAN_BROKEN;
	spin_unlock_irqrestore(&ch->lock, flags);
	if (!first)
		return;
	kpart_chan_set_state(ch, KPART_CHAN_BROKEN, why);
	pr_err("kpart: %s: channel broken: %s\n", ch->name, why);
	if (ch->ops->broken)
		ch->ops->broken(ch);
}

static void ring_peer(struct kpart_chan *ch)
{
	if (ch->peer_doorbell)
		kpart_doorbell_send(ch->peer_apic_id);
}

static const char *port_name(u16 chan)
{
	return chan == KPART_CHAN_USER ? "user message" :
	       chan == KPART_CHAN_ECHO ? "echo" : "port";
}

/* A message for a full port is dropped: the worker must go on draining. */
static void deliver_port(struct kpart_chan_port *port, const void *data, u32 len)
{
	struct kpart_chan *ch = port->ch;
	struct kpart_umsg *m;
	unsigned long flags;
	bool full;

	spin_lock_irqsave(&ch->lock, flags);
	full = port->rxq_len >= KPART_CHAN_RXQ_MAX;	/* only we add */
	spin_unlock_irqrestore(&ch->lock, flags);
	if (full) {
		port->dropped++;
		if (!port->overflow) {
			port->overflow = true;
			if (kpart_chan_log_ok(ch))
				pr_warn("kpart: %s: %s queue full (%u messages, nobody reading?): dropping its messages until there is room\n",
					ch->name, port_name(port->chan),
					KPART_CHAN_RXQ_MAX);
		}
		return;
	}
	if (port->overflow) {
		port->overflow = false;
		if (kpart_chan_log_ok(ch))
			pr_warn("kpart: %s: %s queue has room again: %llu messages dropped (%llu since the channel opened)\n",
				ch->name, port_name(port->chan),
				port->dropped - port->dropped_reported,
				port->dropped);
		port->dropped_reported = port->dropped;
	}
	m = kmalloc(struct_size(m, data, len), GFP_KERNEL);
	if (!m) {
		port->dropped++;	/* the allocator said why */
		return;
	}
	m->len = len;
	memcpy(m->data, data, len);
	spin_lock_irqsave(&ch->lock, flags);
	list_add_tail(&m->node, &port->rxq);
	port->rxq_len++;
	spin_unlock_irqrestore(&ch->lock, flags);
	wake_up_interruptible(&port->wq);
}

static void dispatch(struct kpart_chan *ch, const struct ipi_msg_hdr *hdr, u32 len)
{
	if (hdr->chan == KPART_CHAN_CTL) {
		struct kpart_ctl_msg *m = (void *)ch->rxbuf;

		if (len < sizeof(*m))
			return;
		m->text[sizeof(m->text) - 1] = '\0';
		ch->ops->control(ch, m);
	} else if (ch->port[hdr->chan].enabled) {
		deliver_port(&ch->port[hdr->chan], ch->rxbuf, len);
	} else if (ch->ops->data) {
		ch->ops->data(ch, hdr->chan, ch->rxbuf, len);
	}
}

/*
 * Count a run that received nothing; once KPART_CHAN_IDLE_RUNS of them
 * happened in this window, kicks wait for its end.
 */
static void rx_idle_run(struct kpart_chan *ch)
{
	unsigned long end = ch->rx_window + msecs_to_jiffies(KPART_CHAN_WINDOW_MS);

	/* Once per window: later empty runs were queued before the limit */
	if (++ch->rx_idle != KPART_CHAN_IDLE_RUNS)
		return;
	WRITE_ONCE(ch->rx_defer_until, end ?: 1);
	ch->rx_deferred++;
	if (kpart_chan_log_ok(ch))
		pr_warn("kpart: %s: doorbell storm: %ld wakeups, %llu worker runs since the channel opened; runs deferred (at most %d empty runs per %d ms)\n",
			ch->name, atomic_long_read(&ch->kicks), ch->rx_runs,
			KPART_CHAN_IDLE_RUNS, KPART_CHAN_WINDOW_MS);
}

static void rx_work_fn(struct work_struct *work)
{
	struct kpart_chan *ch = container_of(work, struct kpart_chan,
					     rx_work.work);
	unsigned int budget = KPART_CHAN_RX_BUDGET;
	struct ipi_msg_hdr hdr;
	bool got = false;
	int n;

	if (!READ_ONCE(ch->active))
		return;
	ch->rx_runs++;
	if (time_after_eq(jiffies, ch->rx_window +
			  msecs_to_jiffies(KPART_CHAN_WINDOW_MS))) {
		ch->rx_window = jiffies;
		ch->rx_idle = 0;
	}
	for (;;) {
		/* A peer that never stops sending must not own this CPU */
		if (!budget--) {
			kpart_chan_kick(ch);
			break;
		}

		/* The library checked hdr.chan against nr_channels */
		n = ipi_recv(&ch->ep, &hdr, ch->rxbuf, sizeof(ch->rxbuf));
		if (n >= 0) {
			ch->rx_msgs++;
			got = true;
			dispatch(ch, &hdr, n);
			continue;
		}
		if (n == -EAGAIN) {
			if (ipi_space_need_doorbell(&ch->ep))
				ring_peer(ch);
			if (ipi_arm_wakeup(&ch->ep))
				continue;	/* data or an error came meanwhile */
			break;
		}
		mark_broken(ch, n);	/* -EPROTO now, -EPIPE later */
		got = true;
		break;
	}
	if (!got) {
		ch->rx_empty++;
		rx_idle_run(ch);
	}
	if (ipi_space_need_doorbell(&ch->ep))
		ring_peer(ch);
	/* The doorbell may have been the peer making room for us */
	WRITE_ONCE(ch->space_gen, ch->space_gen + 1);
	wake_up_all(&ch->tx_wq);
	if (ch->ops->space)
		ch->ops->space(ch);
}

void kpart_chan_setup(struct kpart_chan *ch, const struct kpart_chan_ops *ops,
		      void *owner, const char *name)
{
	int i;

	ch->ops = ops;
	ch->owner = owner;
	ch->name = name;
	spin_lock_init(&ch->tx_lock);
	init_waitqueue_head(&ch->tx_wq);
	init_waitqueue_head(&ch->state_wq);
	spin_lock_init(&ch->lock);
	for (i = 0; i < KPART_CHAN_NR; i++) {
		ch->port[i].ch = ch;
		ch->port[i].chan = i;
		INIT_LIST_HEAD(&ch->port[i].rxq);
		init_waitqueue_head(&ch->port[i].wq);
	}
	INIT_DELAYED_WORK(&ch->rx_work, rx_work_fn);
	ratelimit_state_init(&ch->log_rs, KPART_CHAN_LOG_INTERVAL,
			     KPART_CHAN_LOG_BURST);
	/* We say how many lines were left out, with the channel's name */
	ratelimit_set_flags(&ch->log_rs, RATELIMIT_MSG_ON_RELEASE);
}

/* Queue @chan's messages for a character device. Before the channel opens. */
void kpart_chan_enable_port(struct kpart_chan *ch, u16 chan)
{
	ch->port[chan].enabled = true;
}

static void flush_rxq(struct kpart_chan *ch)
{
	struct kpart_umsg *m, *tmp;
	unsigned long flags;
	LIST_HEAD(list);
	int i;

	spin_lock_irqsave(&ch->lock, flags);
	for (i = 0; i < KPART_CHAN_NR; i++) {
		list_splice_init(&ch->port[i].rxq, &list);
		ch->port[i].rxq_len = 0;
		ch->port[i].dropped = 0;
		ch->port[i].dropped_reported = 0;
		ch->port[i].overflow = false;
	}
	spin_unlock_irqrestore(&ch->lock, flags);
	list_for_each_entry_safe(m, tmp, &list, node)
		kfree(m);
}

/* Attach to a formatted area. The worker must not be running. */
int kpart_chan_open(struct kpart_chan *ch, void *area, size_t bytes,
		    enum ipi_side side, const struct ipi_config *cfg,
		    u32 peer_apic_id, bool peer_doorbell)
{
	int ret;

	flush_rxq(ch);
	spin_lock_irq(&ch->tx_lock);
	ret = ipi_endpoint_open(&ch->ep, area, bytes, side, cfg);
	if (!ret) {
		ch->peer_apic_id = peer_apic_id;
		ch->peer_doorbell = peer_doorbell;
		ch->tx_msgs = 0;
		ch->rx_msgs = 0;
		ch->tx_dropped = 0;
		ch->rx_window = jiffies;
		ch->rx_idle = 0;
		ch->rx_defer_until = 0;
		ch->rx_runs = 0;
		ch->rx_empty = 0;
		ch->rx_deferred = 0;
		atomic_long_set(&ch->kicks, 0);
	}
	spin_unlock_irq(&ch->tx_lock);
	if (!ret) {
		kpart_chan_set_state(ch, KPART_CHAN_NONE, NULL);
		WRITE_ONCE(ch->active, true);
	}
	return ret;
}

/* Detach: no more sends or receives; waiters are woken. */
void kpart_chan_close(struct kpart_chan *ch, const char *why)
{
	/* A sender sleeping on a full ring sees this and gives up */
	WRITE_ONCE(ch->active, false);
	wake_up_all(&ch->tx_wq);
	spin_lock_irq(&ch->tx_lock);	/* wait for a send in progress */
	spin_unlock_irq(&ch->tx_lock);
	cancel_delayed_work_sync(&ch->rx_work);
	log_suppressed(ch);
	/* Keep why it ended when it ended before (broken, shut down) */
	if (ch->state == KPART_CHAN_NONE || ch->state == KPART_CHAN_UP)
		kpart_chan_set_state(ch, KPART_CHAN_CLOSED, why);
	flush_rxq(ch);
	wake_all(ch);
}

/*
 * From the doorbell handler (hard interrupt) or anywhere else. While the
 * worker is queued, or waits for the end of a window whose budget of empty
 * runs is spent, this does nothing more.
 */
void kpart_chan_kick(struct kpart_chan *ch)
{
	unsigned long until, now = jiffies;

	if (!READ_ONCE(ch->active))
		return;
	atomic_long_inc(&ch->kicks);
	until = READ_ONCE(ch->rx_defer_until);
	queue_delayed_work(system_highpri_wq, &ch->rx_work,
			   until && time_before(now, until) ? until - now : 0);
}

/* One attempt with tx_lock held: 0, -EAGAIN (space doorbell armed), error. */
static int send_locked(struct kpart_chan *ch, u16 chan, const void *data, u32 len)
{
	int ret;

	if (!READ_ONCE(ch->active))
		return -ENOTCONN;
	ret = ipi_send(&ch->ep, chan, 0, data, len);
	if (ret == -EAGAIN) {
		if (ipi_need_doorbell(&ch->ep))
			ring_peer(ch);
		/* When it was freed meanwhile, try once more */
		if (ipi_arm_space(&ch->ep))
			ret = ipi_send(&ch->ep, chan, 0, data, len);
	}
	if (!ret) {
		ch->tx_msgs++;
		if (ipi_need_doorbell(&ch->ep))
			ring_peer(ch);
	}
	return ret;
}

static int send_done(struct kpart_chan *ch, int ret)
{
	if (ret == -EPROTO || ret == -EPIPE) {
		mark_broken(ch, ret);
		ret = -EPIPE;
	}
	return ret;
}

/*
 * Send one message. Blocking senders wait for room (interruptibly);
 * @nonblock ones get -EAGAIN and a space doorbell later runs ops->space.
 * Process context.
 */
int kpart_chan_send(struct kpart_chan *ch, u16 chan, const void *data, u32 len,
		    bool nonblock)
{
	unsigned long gen;
	int ret;

	for (;;) {
		gen = READ_ONCE(ch->space_gen);
		spin_lock_irq(&ch->tx_lock);
		ret = send_locked(ch, chan, data, len);
		spin_unlock_irq(&ch->tx_lock);
		if (ret != -EAGAIN || nonblock)
			break;
		/* The space doorbell runs our worker, which bumps space_gen */
		if (wait_event_interruptible_timeout(ch->tx_wq,
				READ_ONCE(ch->space_gen) != gen ||
				!READ_ONCE(ch->active),
				HZ / 10) < 0) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	return send_done(ch, ret);
}

/*
 * Send from any context (console write, interrupts off, panic): never
 * waits for room and gives up on a lock it cannot get soon, as when the
 * CPU holding it was stopped by a panic: -EAGAIN, as for a full ring.
 */
int kpart_chan_send_atomic(struct kpart_chan *ch, u16 chan, const void *data,
			   u32 len)
{
	unsigned long flags;
	int tries = 100000;
	int ret;

	while (!spin_trylock_irqsave(&ch->tx_lock, flags)) {
		if (!--tries)
			return -EAGAIN;
		cpu_relax();
	}
	ret = send_locked(ch, chan, data, len);
	spin_unlock_irqrestore(&ch->tx_lock, flags);
	/* Breaking the channel logs and calls ops: not from here */
	return ret == -EPROTO ? -EPIPE : ret;
}

int kpart_chan_send_ctl(struct kpart_chan *ch, u32 type, u64 arg,
			const char *text, bool nonblock)
{
	struct kpart_ctl_msg m = { .type = type, .proto = KPART_CTL_PROTO, .arg = arg };

	if (text)
		strscpy(m.text, text, sizeof(m.text));
	return kpart_chan_send(ch, KPART_CHAN_CTL, &m, sizeof(m), nonblock);
}

/* ---- character devices: one port each -------------------------------- */

/*
 * Whole messages. A port whose channel is not open (partition not
 * running, module not loaded on the other side... ) reads -ENOTCONN once
 * its queue is empty; a broken one -EPIPE.
 */
ssize_t kpart_chan_read(struct file *f, char __user *ubuf, size_t len, loff_t *off)
{
	struct kpart_chan_port *port = f->private_data;
	struct kpart_chan *ch = port->ch;
	struct kpart_umsg *m;
	int ret;

	for (;;) {
		spin_lock_irq(&ch->lock);
		m = list_first_entry_or_null(&port->rxq, struct kpart_umsg, node);
		if (m) {
			if (m->len > len) {
				spin_unlock_irq(&ch->lock);
				return -EMSGSIZE;
			}
			list_del(&m->node);
			port->rxq_len--;
			spin_unlock_irq(&ch->lock);
			break;
		}
		if (ch->state == KPART_CHAN_BROKEN)
			ret = -EPIPE;
		else if (!READ_ONCE(ch->active))
			ret = -ENOTCONN;
		else
			ret = 0;
		spin_unlock_irq(&ch->lock);
		if (ret)
			return ret;
		if (f->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(port->wq,
			!list_empty_careful(&port->rxq) ||
			READ_ONCE(ch->state) == KPART_CHAN_BROKEN ||
			!READ_ONCE(ch->active));
		if (ret)
			return ret;
	}
	ret = copy_to_user(ubuf, m->data, m->len) ? -EFAULT : m->len;
	kfree(m);
	return ret;
}

ssize_t kpart_chan_write(struct file *f, const char __user *ubuf, size_t len,
			 loff_t *off)
{
	struct kpart_chan_port *port = f->private_data;
	void *buf;
	int ret;

	if (len > KPART_CHAN_MAX_PAYLOAD)
		return -EMSGSIZE;
	buf = memdup_user(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = kpart_chan_send(port->ch, port->chan, buf, len,
			      f->f_flags & O_NONBLOCK);
	kfree(buf);
	return ret ?: len;
}

__poll_t kpart_chan_poll(struct file *f, struct poll_table_struct *wait)
{
	struct kpart_chan_port *port = f->private_data;
	struct kpart_chan *ch = port->ch;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(f, &port->wq, wait);
	if (!list_empty_careful(&port->rxq))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(ch->state) == KPART_CHAN_BROKEN || !READ_ONCE(ch->active))
		mask |= EPOLLERR;
	return mask;
}
