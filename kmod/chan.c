// SPDX-License-Identifier: GPL-2.0
/*
 * One endpoint of an inter-kernel channel, shared by both sides of kpart.
 *
 * Sending: callers serialize on tx_lock, send with ipi_send() and ring the
 * peer's doorbell when ipi_need_doorbell() says it sleeps. On a full ring a
 * blocking sender arms a space doorbell and sleeps on tx_wq.
 *
 * Receiving: only the worker touches the receiving half. A doorbell (or a
 * kick) queues it; it drains the ring, hands control messages to the
 * owner's ops and queues user messages for the character device, then arms
 * the wakeup and goes idle. With KPART_CHAN_RXQ_MAX user messages waiting
 * it stops draining (backpressure into the ring) until a read makes room.
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
	wake_up_all(&ch->rx_wq);
	wake_up_all(&ch->tx_wq);
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

static void deliver_user(struct kpart_chan *ch, u32 len)
{
	struct kpart_umsg *m = kmalloc(struct_size(m, data, len), GFP_KERNEL);
	unsigned long flags;

	if (!m) {
		pr_err_ratelimited("kpart: %s: dropped a %u byte message: no memory\n",
				   ch->name, len);
		return;
	}
	m->len = len;
	memcpy(m->data, ch->rxbuf, len);
	spin_lock_irqsave(&ch->lock, flags);
	list_add_tail(&m->node, &ch->rxq);
	ch->rxq_len++;
	spin_unlock_irqrestore(&ch->lock, flags);
	wake_up_interruptible(&ch->rx_wq);
}

static void rx_work_fn(struct work_struct *work)
{
	struct kpart_chan *ch = container_of(work, struct kpart_chan, rx_work);
	unsigned int budget = KPART_CHAN_RX_BUDGET;
	struct ipi_msg_hdr hdr;
	unsigned long flags;
	int n;

	if (!READ_ONCE(ch->active))
		return;
	for (;;) {
		/* A peer that never stops sending must not own this CPU */
		if (!budget--) {
			kpart_chan_kick(ch);
			break;
		}
		spin_lock_irqsave(&ch->lock, flags);
		ch->rx_throttled = ch->rxq_len >= KPART_CHAN_RXQ_MAX;
		spin_unlock_irqrestore(&ch->lock, flags);
		if (ch->rx_throttled)
			break;

		n = ipi_recv(&ch->ep, &hdr, ch->rxbuf, sizeof(ch->rxbuf));
		if (n >= 0) {
			ch->rx_msgs++;
			if (hdr.chan == KPART_CHAN_USER) {
				deliver_user(ch, n);
			} else if (n >= sizeof(struct kpart_ctl_msg)) {
				struct kpart_ctl_msg *m = (void *)ch->rxbuf;

				m->text[sizeof(m->text) - 1] = '\0';
				ch->ops->control(ch, m);
			}
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
		break;
	}
	if (ipi_space_need_doorbell(&ch->ep))
		ring_peer(ch);
	/* The doorbell may have been the peer making room for us */
	WRITE_ONCE(ch->space_gen, ch->space_gen + 1);
	wake_up_all(&ch->tx_wq);
}

void kpart_chan_setup(struct kpart_chan *ch, const struct kpart_chan_ops *ops,
		      void *owner, const char *name)
{
	ch->ops = ops;
	ch->owner = owner;
	ch->name = name;
	mutex_init(&ch->tx_lock);
	init_waitqueue_head(&ch->tx_wq);
	init_waitqueue_head(&ch->rx_wq);
	spin_lock_init(&ch->lock);
	INIT_LIST_HEAD(&ch->rxq);
	INIT_WORK(&ch->rx_work, rx_work_fn);
}

static void flush_rxq(struct kpart_chan *ch)
{
	struct kpart_umsg *m, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	spin_lock_irqsave(&ch->lock, flags);
	list_splice_init(&ch->rxq, &list);
	ch->rxq_len = 0;
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

	mutex_lock(&ch->tx_lock);
	flush_rxq(ch);
	ret = ipi_endpoint_open(&ch->ep, area, bytes, side, cfg);
	if (!ret) {
		ch->peer_apic_id = peer_apic_id;
		ch->peer_doorbell = peer_doorbell;
		ch->tx_msgs = 0;
		ch->rx_msgs = 0;
		kpart_chan_set_state(ch, KPART_CHAN_NONE, NULL);
		WRITE_ONCE(ch->active, true);
	}
	mutex_unlock(&ch->tx_lock);
	return ret;
}

/* Detach: no more sends or receives; waiters are woken. */
void kpart_chan_close(struct kpart_chan *ch, const char *why)
{
	/* A sender sleeping on a full ring sees this and gives up */
	WRITE_ONCE(ch->active, false);
	wake_up_all(&ch->tx_wq);
	mutex_lock(&ch->tx_lock);	/* wait for senders to leave */
	mutex_unlock(&ch->tx_lock);
	cancel_work_sync(&ch->rx_work);
	/* Keep why it ended when it ended before (broken, shut down) */
	if (ch->state == KPART_CHAN_NONE || ch->state == KPART_CHAN_UP)
		kpart_chan_set_state(ch, KPART_CHAN_CLOSED, why);
	flush_rxq(ch);
}

/* From the doorbell handler (hard interrupt) or anywhere else. */
void kpart_chan_kick(struct kpart_chan *ch)
{
	if (READ_ONCE(ch->active))
		queue_work(system_highpri_wq, &ch->rx_work);
}

int kpart_chan_send(struct kpart_chan *ch, u16 chan, const void *data, u32 len,
		    bool nonblock)
{
	unsigned long gen;
	int ret;

	if (nonblock) {
		if (!mutex_trylock(&ch->tx_lock))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&ch->tx_lock)) {
		return -ERESTARTSYS;
	}
	for (;;) {
		if (!READ_ONCE(ch->active)) {
			ret = -ENOTCONN;
			break;
		}
		ret = ipi_send(&ch->ep, chan, 0, data, len);
		if (ret != -EAGAIN)
			break;
		if (ipi_need_doorbell(&ch->ep))
			ring_peer(ch);
		if (nonblock)
			break;
		gen = READ_ONCE(ch->space_gen);
		if (ipi_arm_space(&ch->ep))
			continue;
		/* The space doorbell runs our worker, which bumps space_gen */
		if (wait_event_interruptible_timeout(ch->tx_wq,
				READ_ONCE(ch->space_gen) != gen ||
				!READ_ONCE(ch->active),
				HZ / 10) < 0) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	if (!ret) {
		ch->tx_msgs++;
		if (ipi_need_doorbell(&ch->ep))
			ring_peer(ch);
	}
	mutex_unlock(&ch->tx_lock);
	if (ret == -EPROTO || ret == -EPIPE) {
		mark_broken(ch, ret);
		ret = -EPIPE;
	}
	return ret;
}

int kpart_chan_send_ctl(struct kpart_chan *ch, u32 type, u64 arg,
			const char *text, bool nonblock)
{
	struct kpart_ctl_msg m = { .type = type, .proto = KPART_CTL_PROTO, .arg = arg };

	if (text)
		strscpy(m.text, text, sizeof(m.text));
	return kpart_chan_send(ch, KPART_CHAN_CTL, &m, sizeof(m), nonblock);
}

/* ---- character device ------------------------------------------------- */

ssize_t kpart_chan_read(struct file *f, char __user *ubuf, size_t len, loff_t *off)
{
	struct kpart_chan *ch = f->private_data;
	struct kpart_umsg *m;
	bool kick;
	int ret;

	for (;;) {
		spin_lock_irq(&ch->lock);
		m = list_first_entry_or_null(&ch->rxq, struct kpart_umsg, node);
		if (m) {
			if (m->len > len) {
				spin_unlock_irq(&ch->lock);
				return -EMSGSIZE;
			}
			list_del(&m->node);
			ch->rxq_len--;
			kick = ch->rx_throttled;
			spin_unlock_irq(&ch->lock);
			break;
		}
		ret = ch->state == KPART_CHAN_BROKEN ? -EPIPE : 0;
		spin_unlock_irq(&ch->lock);
		if (ret)
			return ret;
		if (f->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(ch->rx_wq,
			!list_empty_careful(&ch->rxq) ||
			READ_ONCE(ch->state) == KPART_CHAN_BROKEN);
		if (ret)
			return ret;
	}
	if (kick)
		kpart_chan_kick(ch);
	ret = copy_to_user(ubuf, m->data, m->len) ? -EFAULT : m->len;
	kfree(m);
	return ret;
}

ssize_t kpart_chan_write(struct file *f, const char __user *ubuf, size_t len,
			 loff_t *off)
{
	struct kpart_chan *ch = f->private_data;
	void *buf;
	int ret;

	if (len > KPART_CHAN_MAX_PAYLOAD)
		return -EMSGSIZE;
	buf = memdup_user(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = kpart_chan_send(ch, KPART_CHAN_USER, buf, len,
			      f->f_flags & O_NONBLOCK);
	kfree(buf);
	return ret ?: len;
}

__poll_t kpart_chan_poll(struct file *f, struct poll_table_struct *wait)
{
	struct kpart_chan *ch = f->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(f, &ch->rx_wq, wait);
	if (!list_empty_careful(&ch->rxq))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(ch->state) == KPART_CHAN_BROKEN)
		mask |= EPOLLERR;
	return mask;
}
