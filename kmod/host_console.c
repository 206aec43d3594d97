// SPDX-License-Identifier: GPL-2.0
/*
 * Each partition's console, boot-kernel side (ring channel 2).
 *
 * The application kernel's module sends its console output there: kernel
 * messages and what runs on its tty, /dev/ttyKP0 (app_console.c). We keep
 * the last KPART_LOG_SIZE bytes in a ring buffer that outlives stops and
 * restarts, shown whole by the console_log file (partctl logs), and stream
 * new output to every open /dev/kpart-console/NAME; what is written there
 * goes back to the application kernel as keyboard input (partctl console).
 *
 * Any number of files may have the console open, each with its own read
 * position; one that falls more than the buffer behind skips what it
 * missed. The receive worker appends, so output never waits for readers.
 * An open console does not hold the partition: deleting it hangs the
 * console up (end of file, writes fail with ENODEV), and the log lives on
 * until the last file closes.
 */
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/poll.h>
#include <linux/rwsem.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "chan.h"
#include "kpart.h"

#define KPART_LOG_SIZE	(64U * 1024)	/* power of two */

struct kpart_log {
	struct kref ref;		/* the partition and each open file */
	struct rw_semaphore life;	/* p and dead */
	struct kpart_partition *p;	/* NULL once deleted */
	bool dead;
	spinlock_t lock;
	u64 head;			/* bytes ever written */
	wait_queue_head_t wq;
	u8 *buf;			/* KPART_LOG_SIZE, from the first start */
};

struct console_file {
	struct kpart_log *log;
	u64 pos;			/* next byte this file reads */
};

int kpart_host_console_create(struct kpart_partition *p)
{
	struct kpart_log *log = kzalloc(sizeof(*log), GFP_KERNEL);

	if (!log)
		return -ENOMEM;
	kref_init(&log->ref);
	init_rwsem(&log->life);
	log->p = p;
	spin_lock_init(&log->lock);
	init_waitqueue_head(&log->wq);
	p->log = log;
	return 0;
}

static void log_free(struct kref *ref)
{
	struct kpart_log *log = container_of(ref, struct kpart_log, ref);

	kvfree(log->buf);
	kfree(log);
}

/*
 * Before a start, kpart_lock held: the buffer, which partitions that are
 * only configured do not need. Output arrives only after this, and
 * readers look at the buffer only once there is output.
 */
int kpart_host_console_prepare(struct kpart_partition *p)
{
	struct kpart_log *log = p->log;
	u8 *buf;

	if (log->buf)
		return 0;
	buf = kvzalloc(KPART_LOG_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	spin_lock_irq(&log->lock);
	log->buf = buf;
	spin_unlock_irq(&log->lock);
	return 0;
}

/* The partition goes: hang up open consoles. */
void kpart_host_console_destroy(struct kpart_partition *p)
{
	struct kpart_log *log = p->log;

	if (!log)
		return;
	down_write(&log->life);		/* no console write in progress */
	log->dead = true;
	log->p = NULL;
	up_write(&log->life);
	wake_up_interruptible_all(&log->wq);
	kref_put(&log->ref, log_free);
	p->log = NULL;
}

/* Receive worker: console bytes from the application kernel. */
void kpart_host_console_output(struct kpart_partition *p, const void *data, u32 len)
{
	struct kpart_log *log = p->log;
	u32 at, first;

	if (WARN_ON_ONCE(!log->buf))
		return;
	if (len > KPART_LOG_SIZE) {
		data += len - KPART_LOG_SIZE;
		len = KPART_LOG_SIZE;
	}
	spin_lock_irq(&log->lock);
	at = log->head & (KPART_LOG_SIZE - 1);
	first = min(len, KPART_LOG_SIZE - at);
	memcpy(log->buf + at, data, first);
	memcpy(log->buf, data + first, len - first);
	WRITE_ONCE(log->head, log->head + len);
	spin_unlock_irq(&log->lock);
	wake_up_interruptible(&log->wq);
}

/* console_log: everything kept, oldest first. */
void kpart_host_console_show(struct kpart_partition *p, struct seq_file *sf)
{
	struct kpart_log *log = p->log;
	u32 at, kept, first;

	spin_lock_irq(&log->lock);
	/* Output, and so a buffer, only after the first start */
	kept = min_t(u64, log->head, KPART_LOG_SIZE);
	at = (log->head - kept) & (KPART_LOG_SIZE - 1);
	first = min(kept, KPART_LOG_SIZE - at);
	/* Too big for the seq buffer: seq_file retries with a bigger one */
	if (kept) {
		seq_write(sf, log->buf + at, first);
		seq_write(sf, log->buf, kept - first);
	}
	spin_unlock_irq(&log->lock);
}

/* ---- /dev/kpart-console/NAME ------------------------------------------ */

static int console_open(struct inode *inode, struct file *f)
{
	struct kpart_dev *d = container_of(f->private_data, struct kpart_dev, misc);
	struct kpart_partition *p = d->p;
	struct console_file *cf;

	cf = kzalloc(sizeof(*cf), GFP_KERNEL);
	if (!cf)
		return -ENOMEM;
	mutex_lock(&kpart_lock);
	if (p->dying) {
		mutex_unlock(&kpart_lock);
		kfree(cf);
		return -ENODEV;
	}
	cf->log = p->log;
	kref_get(&cf->log->ref);
	mutex_unlock(&kpart_lock);
	cf->pos = READ_ONCE(cf->log->head);	/* new output only */
	f->private_data = cf;
	return stream_open(inode, f);
}

static int console_release(struct inode *inode, struct file *f)
{
	struct console_file *cf = f->private_data;

	kref_put(&cf->log->ref, log_free);
	kfree(cf);
	return 0;
}

static ssize_t console_read(struct file *f, char __user *ubuf, size_t len,
			    loff_t *off)
{
	struct console_file *cf = f->private_data;
	struct kpart_log *log = cf->log;
	u32 at, n, first;
	u8 *bounce;
	int ret;

	len = min_t(size_t, len, PAGE_SIZE);
	if (!len)
		return 0;
	bounce = kmalloc(len, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	for (;;) {
		spin_lock_irq(&log->lock);
		if (log->head - cf->pos > KPART_LOG_SIZE)
			cf->pos = log->head - KPART_LOG_SIZE;	/* overrun */
		n = min_t(u64, log->head - cf->pos, len);
		if (n) {
			at = cf->pos & (KPART_LOG_SIZE - 1);
			first = min(n, KPART_LOG_SIZE - at);
			memcpy(bounce, log->buf + at, first);
			memcpy(bounce + first, log->buf, n - first);
			cf->pos += n;
		}
		spin_unlock_irq(&log->lock);
		if (n)
			break;
		ret = 0;			/* hung up: end of file */
		if (READ_ONCE(log->dead))
			goto out;
		ret = -EAGAIN;
		if (f->f_flags & O_NONBLOCK)
			goto out;
		ret = wait_event_interruptible(log->wq,
					       READ_ONCE(log->head) != cf->pos ||
					       READ_ONCE(log->dead));
		if (ret)
			goto out;
	}
	ret = copy_to_user(ubuf, bounce, n) ? -EFAULT : n;
out:
	kfree(bounce);
	return ret;
}

/*
 * Keyboard input: -ENOTCONN while the partition is not running, -ENODEV
 * once it is deleted. A partition is deleted only when stopped, so a
 * blocked send holding off the deletion returns at once.
 */
static ssize_t console_write(struct file *f, const char __user *ubuf,
			     size_t len, loff_t *off)
{
	struct console_file *cf = f->private_data;
	struct kpart_log *log = cf->log;
	size_t done = 0;
	int ret = 0;
	void *buf;

	if (down_read_interruptible(&log->life))
		return -ERESTARTSYS;
	if (log->dead) {
		up_read(&log->life);
		return -ENODEV;
	}
	while (done < len) {
		size_t n = min_t(size_t, len - done, KPART_CHAN_MAX_PAYLOAD);

		buf = memdup_user(ubuf + done, n);
		if (IS_ERR(buf)) {
			ret = PTR_ERR(buf);
			break;
		}
		ret = kpart_chan_send(log->p->chan, KPART_CHAN_CONSOLE, buf, n,
				      f->f_flags & O_NONBLOCK);
		kfree(buf);
		if (ret)
			break;
		done += n;
	}
	up_read(&log->life);
	return done ?: ret;
}

static __poll_t console_poll(struct file *f, struct poll_table_struct *wait)
{
	struct console_file *cf = f->private_data;
	struct kpart_log *log = cf->log;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(f, &log->wq, wait);
	if (READ_ONCE(log->head) != cf->pos)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(log->dead))
		mask |= EPOLLHUP;
	return mask;
}

const struct file_operations kpart_host_console_fops = {
	.owner = THIS_MODULE,
	.open = console_open,
	.release = console_release,
	.read = console_read,
	.write = console_write,
	.poll = console_poll,
};
