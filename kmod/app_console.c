// SPDX-License-Identifier: GPL-2.0
/*
 * An application kernel's console over the channel (ring channel 2).
 *
 * Two things write to it: a printk console, "ttyKP", registered enabled
 * and replaying the kernel log so that what the kernel said before the
 * module loaded is kept too; and a tty, /dev/ttyKP0, for a shell or a
 * getty. What the operator types into partctl console arrives as input to
 * the tty. The boot kernel keeps the output (host_console.c).
 *
 * Both writers send without sleeping: the console from any context, with
 * a full ring dropping output (counted in tx_dropped); the tty by taking
 * what fits and waiting, through the tty layer, for the space doorbell.
 */
#include <linux/console.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_flip.h>
#include "chan.h"

static struct kpart_chan *cons_ch;
static struct tty_driver *tty_drv;
static struct tty_port port;

/* ---- printk console --------------------------------------------------- */

static void send_console(const char *buf, u32 len)
{
	if (kpart_chan_send_atomic(cons_ch, KPART_CHAN_CONSOLE, buf, len) == -EAGAIN)
		cons_ch->tx_dropped++;
}

/* Terminal line ends, as a serial console writes them */
static void con_write(struct console *con, const char *s, unsigned int n)
{
	char buf[256];
	u32 len = 0;

	for (; n; n--, s++) {
		if (*s == '\n')
			buf[len++] = '\r';
		buf[len++] = *s;
		if (len >= sizeof(buf) - 1) {
			send_console(buf, len);
			len = 0;
		}
	}
	if (len)
		send_console(buf, len);
}

static struct tty_driver *con_device(struct console *con, int *index)
{
	*index = 0;
	return tty_drv;
}

static struct console kpart_console = {
	.name = "ttyKP",
	.write = con_write,
	.device = con_device,
	.flags = CON_PRINTBUFFER | CON_ENABLED,
	.index = 0,
};

/* ---- /dev/ttyKP0 ------------------------------------------------------- */

static int kptty_open(struct tty_struct *tty, struct file *filp)
{
	return tty_port_open(&port, tty, filp);
}

static void kptty_close(struct tty_struct *tty, struct file *filp)
{
	tty_port_close(&port, tty, filp);
}

static void kptty_hangup(struct tty_struct *tty)
{
	tty_port_hangup(&port);
}

/* Takes what fits; on a full ring the tty layer waits for tty_wakeup() */
static ssize_t kptty_write(struct tty_struct *tty, const u8 *buf, size_t count)
{
	size_t done = 0;
	int ret;

	while (done < count) {
		u32 n = min_t(size_t, count - done, KPART_CHAN_MAX_PAYLOAD);

		ret = kpart_chan_send_atomic(cons_ch, KPART_CHAN_CONSOLE,
					     buf + done, n);
		if (ret == -EAGAIN)
			break;
		if (ret)	/* no channel: a line nobody listens to */
			return count;
		done += n;
	}
	return done;
}

static unsigned int kptty_write_room(struct tty_struct *tty)
{
	return KPART_CHAN_MAX_PAYLOAD;
}

static const struct tty_operations tty_ops = {
	.open = kptty_open,
	.close = kptty_close,
	.hangup = kptty_hangup,
	.write = kptty_write,
	.write_room = kptty_write_room,
};

static const struct tty_port_operations port_ops = {};

/* Receive worker: keyboard input from the boot kernel. */
void kpart_app_console_input(const void *data, u32 len)
{
	struct tty_struct *tty;

	if (!tty_drv)
		return;
	/* Nobody has the tty open: drop, as a terminal line does */
	tty = tty_port_tty_get(&port);
	if (!tty)
		return;
	tty_insert_flip_string(&port, data, len);
	tty_flip_buffer_push(&port);
	tty_kref_put(tty);
}

/* Receive worker: the boot kernel consumed, a waiting writer may go on. */
void kpart_app_console_space(void)
{
	if (tty_drv)
		tty_port_tty_wakeup(&port);
}

int kpart_app_console_init(struct kpart_chan *ch)
{
	struct tty_driver *drv;
	int ret;

	cons_ch = ch;
	tty_port_init(&port);
	port.ops = &port_ops;
	drv = tty_alloc_driver(1, TTY_DRIVER_REAL_RAW);
	if (IS_ERR(drv)) {
		tty_port_destroy(&port);
		return PTR_ERR(drv);
	}
	drv->driver_name = "kpart";
	drv->name = "ttyKP";
	drv->type = TTY_DRIVER_TYPE_SERIAL;
	drv->subtype = SERIAL_TYPE_NORMAL;
	drv->init_termios = tty_std_termios;
	tty_set_operations(drv, &tty_ops);
	tty_port_link_device(&port, drv, 0);
	ret = tty_register_driver(drv);
	if (ret) {
		tty_driver_kref_put(drv);
		tty_port_destroy(&port);
		return ret;
	}
	WRITE_ONCE(tty_drv, drv);
	register_console(&kpart_console);
	return 0;
}

void kpart_app_console_exit(void)
{
	struct tty_driver *drv = tty_drv;

	unregister_console(&kpart_console);
	WRITE_ONCE(tty_drv, NULL);
	tty_unregister_driver(drv);
	tty_driver_kref_put(drv);
	tty_port_destroy(&port);
}
