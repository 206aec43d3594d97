// SPDX-License-Identifier: GPL-2.0
/*
 * The application-kernel side of kpart.ko. Loaded in a kernel that runs on
 * a partition (kpart_app_desc() returns its live descriptor), the module
 * attaches to the channel area the boot kernel formatted, says hello with
 * this kernel's release, sends a heartbeat every second, powers off when
 * the boot kernel asks over the channel, answers echo requests, offers
 * user messages on /dev/kpart and gives this kernel a console and a tty on
 * the channel (app_console.c).
 *
 * The write-only parameter "corrupt" scribbles over our own producer index
 * in the shared ring, for the tests that check the boot kernel survives a
 * misbehaving application kernel; "heartbeat_pause" silences heartbeats;
 * "ctl_flood" sends that many bogus control messages (unknown types and
 * repeated hellos), "doorbell_storm" rings the boot kernel's doorbell
 * that many times without cause and "wedge" spins every CPU with
 * interrupts off for good, as a kernel wedged by a bug would.
 */
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/utsname.h>
#include <asm/irq_vectors.h>
#include <asm/kpart.h>
#include "chan.h"

#define HEARTBEAT_MS	1000

static struct kpart_desc *desc;
static void *area;
static struct kpart_chan *ch;
static struct delayed_work heartbeat_work;
static u64 heartbeats;
static bool heartbeat_pause;	/* test only: stay silent, as a hung kernel */
module_param(heartbeat_pause, bool, 0644);
MODULE_PARM_DESC(heartbeat_pause, "test only: stop sending heartbeats while set");

static void app_doorbell(void)
{
	kpart_chan_kick(ch);
}

static void app_control(struct kpart_chan *c, const struct kpart_ctl_msg *m)
{
	switch (m->type) {
	case KPART_CTL_WELCOME:
		kpart_chan_set_state(c, KPART_CHAN_UP, NULL);
		pr_info("kpart: channel to the boot kernel is up\n");
		break;
	case KPART_CTL_SHUTDOWN:
		pr_notice("kpart: shutdown requested over the channel\n");
		/* The descriptor poller must not start a second power off */
		WRITE_ONCE(desc->stop_ack, 1);
		kpart_chan_send_ctl(c, KPART_CTL_SHUTDOWN_ACK, 0, NULL, false);
		kpart_chan_set_state(c, KPART_CHAN_CLOSED, "shutdown requested");
		orderly_poweroff(true);
		break;
	default:
		pr_warn_ratelimited("kpart: unknown control message %u\n", m->type);
	}
}

static void app_data(struct kpart_chan *c, u16 chan, const void *data, u32 len)
{
	switch (chan) {
	case KPART_CHAN_CONSOLE:
		kpart_app_console_input(data, len);
		break;
	case KPART_CHAN_ECHO:
		/* From the worker: never wait. A full ring loses the reply. */
		if (kpart_chan_send(c, KPART_CHAN_ECHO, data, len, true))
			pr_warn_ratelimited("kpart: echo reply lost: ring full\n");
		break;
	}
}

static void app_space(struct kpart_chan *c)
{
	kpart_app_console_space();
}

static void app_broken(struct kpart_chan *c)
{
	cancel_delayed_work(&heartbeat_work);
}

static const struct kpart_chan_ops app_ops = {
	.control = app_control,
	.data = app_data,
	.space = app_space,
	.broken = app_broken,
};

static void heartbeat_fn(struct work_struct *work)
{
	if (READ_ONCE(ch->state) == KPART_CHAN_BROKEN ||
	    READ_ONCE(ch->state) == KPART_CHAN_CLOSED)
		return;
	if (!READ_ONCE(heartbeat_pause))
		kpart_chan_send_ctl(ch, KPART_CTL_HEARTBEAT, ++heartbeats, NULL,
				    false);
	schedule_delayed_work(&heartbeat_work, msecs_to_jiffies(HEARTBEAT_MS));
}

static int dev_open(struct inode *inode, struct file *f)
{
	struct kpart_chan_port *port = &ch->port[KPART_CHAN_USER];
	int ret = 0;

	spin_lock_irq(&ch->lock);
	if (port->open)
		ret = -EBUSY;
	else
		port->open = true;
	spin_unlock_irq(&ch->lock);
	f->private_data = port;
	return ret ?: stream_open(inode, f);
}

static int dev_release(struct inode *inode, struct file *f)
{
	spin_lock_irq(&ch->lock);
	ch->port[KPART_CHAN_USER].open = false;
	spin_unlock_irq(&ch->lock);
	return 0;
}

static const struct file_operations dev_fops = {
	.owner = THIS_MODULE,
	.open = dev_open,
	.release = dev_release,
	.read = kpart_chan_read,
	.write = kpart_chan_write,
	.poll = kpart_chan_poll,
};

static struct miscdevice dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kpart",
	.fops = &dev_fops,
};

/* Test hook: break the protocol on purpose, as a buggy kernel would. */
static int corrupt_set(const char *val, const struct kernel_param *kp)
{
	if (!ch || !READ_ONCE(ch->active))
		return -ENODEV;
	pr_warn("kpart: corrupting the channel on request (test)\n");
	/* Producer index far beyond anything the consumer allows */
	WRITE_ONCE(ch->ep.tx->prod, ch->ep.tx_prod + 0x7ffffff0U);
	kpart_doorbell_send(ch->peer_apic_id);
	return 0;
}

static const struct kernel_param_ops corrupt_ops = { .set = corrupt_set };
module_param_cb(corrupt, &corrupt_ops, NULL, 0200);
MODULE_PARM_DESC(corrupt, "test only: write garbage indices into the channel");

/* Test hook: control messages the boot kernel must not let flood its log. */
static int ctl_flood_set(const char *val, const struct kernel_param *kp)
{
	unsigned int i, n;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (!ch || !READ_ONCE(ch->active))
		return -ENODEV;
	pr_warn("kpart: sending %u bogus control messages on request (test)\n", n);
	for (i = 0; i < n; i++) {
		if (i % 2)
			ret = kpart_chan_send_ctl(ch, KPART_CTL_HELLO, 0,
						  utsname()->release, false);
		else
			ret = kpart_chan_send_ctl(ch, 0x7f00 + (i & 0xff), i,
						  NULL, false);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

static const struct kernel_param_ops ctl_flood_ops = { .set = ctl_flood_set };
module_param_cb(ctl_flood, &ctl_flood_ops, NULL, 0200);
MODULE_PARM_DESC(ctl_flood, "test only: send this many bogus control messages");

/* Test hook: doorbells with nothing behind them, as fast as we can. */
static int doorbell_storm_set(const char *val, const struct kernel_param *kp)
{
	unsigned int i, n;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (!ch || !READ_ONCE(ch->active) || !ch->peer_doorbell)
		return -ENODEV;
	pr_warn("kpart: ringing the boot kernel %u times on request (test)\n", n);
	for (i = 0; i < n; i++) {
		kpart_doorbell_send(ch->peer_apic_id);
		if (!(i & 255))
			cond_resched();
	}
	return 0;
}

static const struct kernel_param_ops doorbell_storm_ops = {
	.set = doorbell_storm_set,
};
module_param_cb(doorbell_storm, &doorbell_storm_ops, NULL, 0200);
MODULE_PARM_DESC(doorbell_storm, "test only: ring the boot kernel this many times");

/* Test hook: every CPU spins with interrupts off; nothing answers again. */
static void wedge_cpu(void *unused)
{
	local_irq_disable();
	for (;;)
		cpu_relax();
}

static int wedge_set(const char *val, const struct kernel_param *kp)
{
	pr_warn("kpart: wedging every CPU with interrupts off on request (test)\n");
	smp_call_function(wedge_cpu, NULL, false);
	wedge_cpu(NULL);
	return 0;
}

static const struct kernel_param_ops wedge_ops = {
	.set = wedge_set,
};
module_param_cb(wedge, &wedge_ops, NULL, 0200);
MODULE_PARM_DESC(wedge, "test only: spin every CPU with interrupts off, for good");

int kpart_app_init(void)
{
	struct ipi_config cfg;
	int ret;

	desc = kpart_app_desc();
	if (!desc->channel_base || desc->channel_size < IPI_AREA_BYTES(IPI_RING_MIN_SIZE)) {
		pr_err("kpart: this partition has no channel area\n");
		return -ENODEV;
	}
	area = memremap(desc->channel_base, desc->channel_size, MEMREMAP_WB);
	if (!area)
		return -ENOMEM;
	/* The boot kernel is trusted for the configuration, not for the rings */
	ret = ipi_area_config(area, desc->channel_size, &cfg);
	if (ret || cfg.max_payload > KPART_CHAN_MAX_PAYLOAD) {
		pr_err("kpart: channel area not formatted (%d)\n", ret);
		ret = -EPROTO;
		goto err_unmap;
	}
	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch) {
		ret = -ENOMEM;
		goto err_unmap;
	}
	kpart_chan_setup(ch, &app_ops, NULL, "app");
	kpart_chan_enable_port(ch, KPART_CHAN_USER);
	ret = kpart_chan_open(ch, area, desc->channel_size, IPI_SIDE_APP, &cfg,
			      desc->host_apic_id,
			      desc->doorbell_vector == KPART_DOORBELL_VECTOR);
	if (ret)
		goto err_free;
	INIT_DELAYED_WORK(&heartbeat_work, heartbeat_fn);
	kpart_doorbell_set_handler(app_doorbell);
	ret = misc_register(&dev);
	if (ret)
		goto err_close;
	ret = kpart_app_console_init(ch);
	if (ret) {
		misc_deregister(&dev);
		goto err_close;
	}
	ret = kpart_chan_send_ctl(ch, KPART_CTL_HELLO, 0, utsname()->release,
				  false);
	if (ret)
		pr_err("kpart: cannot say hello to the boot kernel: %d\n", ret);
	kpart_chan_kick(ch);	/* the boot kernel may have written already */
	schedule_delayed_work(&heartbeat_work, msecs_to_jiffies(HEARTBEAT_MS));
	pr_info("kpart: application kernel side, channel %u KiB per ring, doorbell to APIC ID %u\n",
		cfg.ring_size >> 10, desc->host_apic_id);
	return 0;

err_close:
	kpart_doorbell_set_handler(NULL);
	kpart_chan_close(ch, NULL);
err_free:
	kfree(ch);
	ch = NULL;
err_unmap:
	memunmap(area);
	return ret;
}

void kpart_app_exit(void)
{
	kpart_app_console_exit();
	misc_deregister(&dev);
	cancel_delayed_work_sync(&heartbeat_work);
	kpart_doorbell_set_handler(NULL);
	synchronize_rcu();
	kpart_chan_close(ch, "module unloaded");
	kfree(ch);
	memunmap(area);
}
