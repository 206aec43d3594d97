// SPDX-License-Identifier: GPL-2.0
/*
 * Boot-kernel side of the channel to each partition.
 *
 * Before every start the channel area (1 MiB at partition base + 1 MiB) is
 * formatted and the boot endpoint attached; the descriptor tells the
 * application kernel which vector and APIC ID to ring (this kernel's CPU
 * 0, which never leaves the boot kernel). Doorbells land in one handler for
 * all partitions, which kicks the receive worker of each active channel:
 * the worker finds out from the ring itself whether there is anything new.
 *
 * Control protocol (ring channel 0): the application kernel's module says
 * HELLO with its release, we answer WELCOME and the channel is up; it sends
 * a HEARTBEAT every second; a stop sends SHUTDOWN and expects SHUTDOWN_ACK,
 * falling back to the descriptor's stop_request when the channel is not up
 * or no acknowledgement comes within SHUTDOWN_ACK_MS. The application
 * kernel is not trusted to follow it: a repeated hello or acknowledgement
 * changes nothing and sends no netlink event (events go out on state
 * changes only), and what it makes us log (unknown or repeated messages)
 * goes through the channel's own rate limit, so one partition cannot
 * flood the boot kernel's log and console.
 *
 * Each partition has three character devices: /dev/kpart-NAME for user
 * messages (channel 1), /dev/kpart-echo/NAME for echo requests the
 * application kernel's module answers (channel 3, partctl ping), and
 * /dev/kpart-console/NAME for its console (channel 2, host_console.c).
 *
 * Nothing here takes kpart_lock from the receive worker, so the worker can
 * be cancelled with the lock held.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <asm/irq_vectors.h>
#include <asm/kpart.h>
#include "boot-x86/boot-x86.h"
#include "chan.h"
#include "kpart.h"

#define HEARTBEAT_LOST_MS	5000
#define SHUTDOWN_ACK_MS		2000

static LIST_HEAD(active_chans);		/* RCU, partitions with an open channel */
static DEFINE_SPINLOCK(active_lock);
static atomic_long_t host_doorbells;	/* taken by this kernel, all partitions */

/*
 * The vector is shared: kick only the channels whose rings show something
 * for them (new data, or room a sender waits for). A doorbell with nothing
 * behind it costs this loop and no worker run; one that slips through
 * (the peer moved an index) counts against the worker's empty-run budget.
 */
static void host_doorbell(void)
{
	struct kpart_partition *p;

	atomic_long_inc(&host_doorbells);
	rcu_read_lock();
	list_for_each_entry_rcu(p, &active_chans, chan_node)
		if (ipi_doorbell_pending(&p->chan->ep))
			kpart_chan_kick(p->chan);
	rcu_read_unlock();
}

static void host_control(struct kpart_chan *ch, const struct kpart_ctl_msg *m)
{
	struct kpart_partition *p = ch->owner;

	switch (m->type) {
	case KPART_CTL_HELLO:
		/* Once per boot: the ring does not survive a module reload */
		if (READ_ONCE(ch->state) != KPART_CHAN_NONE) {
			if (kpart_chan_log_ok(ch))
				kp_err(p, "repeated hello ignored (channel %s)",
				       ch->state == KPART_CHAN_UP ? "up" : "closed");
			break;
		}
		spin_lock_irq(&ch->lock);
		strscpy(p->app_version, m->text, sizeof(p->app_version));
		spin_unlock_irq(&ch->lock);
		WRITE_ONCE(p->last_heartbeat, jiffies);
		/* Never wait in the worker: a full ring 0 means a peer that
		 * does not read, and it will not see the channel up.
		 */
		if (kpart_chan_send_ctl(ch, KPART_CTL_WELCOME, 0, NULL, true))
			kp_err(p, "cannot answer the hello: ring full");
		kpart_chan_set_state(ch, KPART_CHAN_UP, NULL);
		kp_info(p, "channel up, application kernel %s (protocol %u)",
			p->app_version, m->proto);
		kpart_netlink_chan_event(p, "ready");
		break;
	case KPART_CTL_HEARTBEAT:
		WRITE_ONCE(p->last_heartbeat, jiffies);
		WRITE_ONCE(p->heartbeats, m->arg);
		if (READ_ONCE(p->heartbeat_lost)) {
			WRITE_ONCE(p->heartbeat_lost, false);
			kp_info(p, "heartbeat back");
			kpart_netlink_chan_event(p, "heartbeat");
		}
		break;
	case KPART_CTL_SHUTDOWN_ACK:
		if (READ_ONCE(p->shutdown_acked)) {
			if (kpart_chan_log_ok(ch))
				kp_err(p, "repeated shutdown acknowledgement ignored");
			break;
		}
		WRITE_ONCE(p->shutdown_acked, true);
		kpart_chan_set_state(ch, KPART_CHAN_CLOSED, "shutdown acknowledged");
		kp_info(p, "shutdown acknowledged over the channel");
		kpart_netlink_chan_event(p, "shutdown");
		break;
	default:
		if (kpart_chan_log_ok(ch))
			kp_err(p, "unknown control message %u", m->type);
	}
}

static void host_broken(struct kpart_chan *ch)
{
	struct kpart_partition *p = ch->owner;
	unsigned long flags;

	/* No more doorbell work for a peer that broke the protocol */
	spin_lock_irqsave(&active_lock, flags);
	if (p->chan_listed) {
		list_del_rcu(&p->chan_node);
		p->chan_listed = false;
	}
	spin_unlock_irqrestore(&active_lock, flags);
	kpart_netlink_chan_event(p, "channel-broken");
}

static void host_data(struct kpart_chan *ch, u16 chan, const void *data, u32 len)
{
	if (chan == KPART_CHAN_CONSOLE)
		kpart_host_console_output(ch->owner, data, len);
}

static const struct kpart_chan_ops host_ops = {
	.control = host_control,
	.data = host_data,
	.broken = host_broken,
};

/* ---- /dev/kpart-NAME and /dev/kpart-echo/NAME ------------------------- */

/* Ports: one opener each, checked under kpart_lock like partition deletion */
static int port_open(struct inode *inode, struct file *f)
{
	struct kpart_dev *d = container_of(f->private_data, struct kpart_dev, misc);
	struct kpart_partition *p = d->p;
	struct kpart_chan_port *port = &p->chan->port[d->chan];
	int ret = 0;

	mutex_lock(&kpart_lock);
	if (p->dying)
		ret = -ENODEV;
	else if (port->open)
		ret = -EBUSY;
	else
		port->open = true;
	mutex_unlock(&kpart_lock);
	if (ret)
		return ret;
	f->private_data = port;
	return stream_open(inode, f);
}

static int port_release(struct inode *inode, struct file *f)
{
	struct kpart_chan_port *port = f->private_data;

	mutex_lock(&kpart_lock);
	port->open = false;
	mutex_unlock(&kpart_lock);
	return 0;
}

static const struct file_operations port_fops = {
	.owner = THIS_MODULE,
	.open = port_open,
	.release = port_release,
	.read = kpart_chan_read,
	.write = kpart_chan_write,
	.poll = kpart_chan_poll,
};

/* ---- life cycle ------------------------------------------------------- */

int kpart_host_chan_create(struct kpart_partition *p)
{
	p->chan = kzalloc(sizeof(*p->chan), GFP_KERNEL);
	if (!p->chan)
		return -ENOMEM;
	kpart_chan_setup(p->chan, &host_ops, p, p->name);
	kpart_chan_enable_port(p->chan, KPART_CHAN_USER);
	kpart_chan_enable_port(p->chan, KPART_CHAN_ECHO);
	return kpart_host_console_create(p);
}

/* A '/' in a misc device's name makes a directory under /dev */
static void dev_register(struct kpart_partition *p, struct kpart_dev *d,
			 const char *prefix, u16 chan,
			 const struct file_operations *fops)
{
	int ret;

	snprintf(d->name, sizeof(d->name), "%s%s", prefix, p->name);
	d->p = p;
	d->chan = chan;
	d->misc.minor = MISC_DYNAMIC_MINOR;
	d->misc.name = d->name;
	d->misc.fops = fops;
	ret = misc_register(&d->misc);
	if (ret)
		kp_err(p, "no /dev/%s: %d", d->name, ret);
	else
		d->registered = true;
}

static void dev_unregister(struct kpart_dev *d)
{
	if (d->registered)
		misc_deregister(&d->misc);
	d->registered = false;
}

/*
 * The devices, once the name is known to be unique. Called without
 * kpart_lock: their open takes it under the misc lock.
 */
void kpart_host_dev_register(struct kpart_partition *p)
{
	dev_register(p, &p->dev_msg, "kpart-", KPART_CHAN_USER, &port_fops);
	dev_register(p, &p->dev_echo, "kpart-echo/", KPART_CHAN_ECHO, &port_fops);
	dev_register(p, &p->dev_console, "kpart-console/", KPART_CHAN_CONSOLE,
		     &kpart_host_console_fops);
}

/* Without kpart_lock; after it returns no open is in progress. */
void kpart_host_dev_unregister(struct kpart_partition *p)
{
	dev_unregister(&p->dev_msg);
	dev_unregister(&p->dev_echo);
	dev_unregister(&p->dev_console);
}

/* kpart_lock held: the name of a device some file still has open, or NULL */
const char *kpart_host_dev_busy(struct kpart_partition *p)
{
	if (p->chan->port[KPART_CHAN_USER].open)
		return p->dev_msg.name;
	if (p->chan->port[KPART_CHAN_ECHO].open)
		return p->dev_echo.name;
	return NULL;	/* an open console is hung up instead */
}

void kpart_host_chan_destroy(struct kpart_partition *p)
{
	kpart_host_console_destroy(p);
	kfree(p->chan);
	p->chan = NULL;
}

/* Format the area and attach, before the partition's first CPU goes. */
int kpart_host_chan_start(struct kpart_partition *p)
{
	void *area = __va(p->mem_base + KPART_OFF_CHANNEL);
	/* Doorbells for the partition go to its boot CPU */
	struct kpart_cpu_mailbox *boot_cpu =
		kpart_mailboxes_of(p->mem_base, cpumask_weight(p->cpus));
	struct ipi_config cfg;
	int ret;

	ret = kpart_host_console_prepare(p);
	if (ret) {
		kp_err(p, "no memory for the console log");
		return ret;
	}
	kpart_chan_config(&cfg);
	ret = ipi_area_init(area, KPART_CHANNEL_SIZE, &cfg);
	if (!ret)
		ret = kpart_chan_open(p->chan, area, KPART_CHANNEL_SIZE,
				      IPI_SIDE_BOOT, &cfg, boot_cpu->apic_id, true);
	if (ret) {
		kp_err(p, "cannot set up the channel area: %d", ret);
		return ret;
	}
	p->app_version[0] = '\0';
	p->heartbeats = 0;
	p->heartbeat_lost = false;
	p->shutdown_sent = 0;
	p->shutdown_acked = false;
	p->chan->doorbell_base = atomic_long_read(&host_doorbells);
	p->desc->doorbell_vector = KPART_DOORBELL_VECTOR;
	p->desc->host_apic_id = kpart_apic_id(0);
	spin_lock_irq(&active_lock);
	list_add_tail_rcu(&p->chan_node, &active_chans);
	p->chan_listed = true;
	spin_unlock_irq(&active_lock);
	/* The worker's first run arms the wakeup: until then no doorbells */
	kpart_chan_kick(p->chan);
	return 0;
}

/* Partition ended or start failed: detach before its memory goes. */
void kpart_host_chan_stop(struct kpart_partition *p, const char *why)
{
	spin_lock_irq(&active_lock);
	if (p->chan_listed) {
		list_del_rcu(&p->chan_node);
		p->chan_listed = false;
	}
	spin_unlock_irq(&active_lock);
	synchronize_rcu();	/* no doorbell handler looks at it any more */
	kpart_chan_close(p->chan, why);
	kp_info(p, "channel: %llu messages received, %llu sent; %lu doorbells to this kernel meanwhile (all partitions), %ld wakeups, %llu worker runs (%llu empty), %llu windows out of budget",
		p->chan->rx_msgs, p->chan->tx_msgs,
		atomic_long_read(&host_doorbells) - p->chan->doorbell_base,
		atomic_long_read(&p->chan->kicks), p->chan->rx_runs,
		p->chan->rx_empty, p->chan->rx_deferred);
}

/* Ask for a clean stop over the channel; false when it is not up. */
bool kpart_host_chan_request_stop(struct kpart_partition *p)
{
	int ret;

	if (READ_ONCE(p->chan->state) != KPART_CHAN_UP)
		return false;
	/* kpart_lock is held: never wait for ring space here */
	ret = kpart_chan_send_ctl(p->chan, KPART_CTL_SHUTDOWN, 0, NULL, true);
	if (ret) {
		kp_err(p, "cannot send shutdown over the channel: %d", ret);
		return false;
	}
	p->shutdown_sent = jiffies ?: 1;
	kp_info(p, "shutdown requested over the channel");
	return true;
}

/* From the monitor, kpart_lock held, while the partition is active. */
void kpart_host_chan_monitor(struct kpart_partition *p)
{
	if (p->shutdown_sent && !READ_ONCE(p->shutdown_acked) &&
	    !READ_ONCE(p->desc->stop_request) &&
	    time_after(jiffies, p->shutdown_sent + msecs_to_jiffies(SHUTDOWN_ACK_MS))) {
		kp_err(p, "no shutdown acknowledgement on the channel; asking through the descriptor");
		WRITE_ONCE(p->desc->stop_request, 1);
	}
	if (p->state == KPART_RUNNING && READ_ONCE(p->chan->state) == KPART_CHAN_UP &&
	    !READ_ONCE(p->heartbeat_lost) &&
	    time_after(jiffies, READ_ONCE(p->last_heartbeat) +
		       msecs_to_jiffies(HEARTBEAT_LOST_MS))) {
		WRITE_ONCE(p->heartbeat_lost, true);
		kp_err(p, "heartbeat lost: none for %d ms; channel shows hung",
		       HEARTBEAT_LOST_MS);
		kpart_netlink_chan_event(p, "heartbeat-lost");
	}
}

/*
 * The channel file: the channel's own state, except that a running
 * partition whose heartbeat is lost shows "hung: no heartbeat for N s"
 * (N counted from the last heartbeat) until heartbeats come back.
 */
int kpart_host_chan_state(struct kpart_partition *p, char *buf, size_t len)
{
	unsigned long since = READ_ONCE(p->last_heartbeat);

	if (READ_ONCE(p->heartbeat_lost) && READ_ONCE(p->state) == KPART_RUNNING &&
	    READ_ONCE(p->chan->state) == KPART_CHAN_UP)
		return scnprintf(buf, len, "hung: no heartbeat for %lu s\n",
				 (jiffies - since) / HZ);
	return kpart_chan_state_str(p->chan, buf, len);
}

void kpart_host_app_version(struct kpart_partition *p, char *buf, size_t len)
{
	spin_lock_irq(&p->chan->lock);
	strscpy(buf, p->app_version, len);
	spin_unlock_irq(&p->chan->lock);
}

void kpart_host_init(void)
{
	kpart_doorbell_set_handler(host_doorbell);
}

void kpart_host_exit(void)
{
	kpart_doorbell_set_handler(NULL);
	synchronize_rcu();
}
