/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kpart channel: one endpoint of the inter-kernel ring (ipi/ring.c) in a
 * channel area, with doorbells, a receive worker and a character device for
 * user space. The same code runs in the boot kernel (one per partition,
 * side IPI_SIDE_BOOT) and in an application kernel (one, IPI_SIDE_APP).
 *
 * Ring channels: 0 the control protocol below, 1 user messages (character
 * devices on both sides), 2 the application kernel's console (output to
 * the boot kernel, keyboard input back), 3 echo requests the application
 * kernel's module answers itself (partctl ping). docs/ipi.md has details.
 */
#ifndef KPART_CHAN_H
#define KPART_CHAN_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include "ipi/ring.h"

#define KPART_CHAN_RING_SIZE	(256U * 1024)	/* per direction */
#define KPART_CHAN_MAX_PAYLOAD	4096U
#define KPART_CHAN_CTL		0	/* control protocol */
#define KPART_CHAN_USER		1	/* character device messages */
#define KPART_CHAN_CONSOLE	2	/* console bytes, both directions */
#define KPART_CHAN_ECHO		3	/* echo requests and replies */
#define KPART_CHAN_NR		4
#define KPART_CHAN_RXQ_MAX	256	/* messages queued on a port, more are dropped */
#define KPART_CHAN_RX_BUDGET	256	/* messages per worker run, then requeue */
/*
 * Doorbell budget: at most KPART_CHAN_IDLE_RUNS worker runs that find
 * nothing in KPART_CHAN_WINDOW_MS; further kicks in that window are folded
 * into one run at its end. A run that receives something does not count.
 */
#define KPART_CHAN_IDLE_RUNS	64
#define KPART_CHAN_WINDOW_MS	20
/* Per channel: log lines a peer can cause, then "callbacks suppressed" */
#define KPART_CHAN_LOG_INTERVAL	(5 * HZ)
#define KPART_CHAN_LOG_BURST	10

/* Control messages (ring channel 0): struct kpart_ctl_msg */
#define KPART_CTL_PROTO		1
enum kpart_ctl_type {
	KPART_CTL_HELLO = 1,	/* app -> boot: proto, text = utsname release */
	KPART_CTL_WELCOME,	/* boot -> app: proto */
	KPART_CTL_HEARTBEAT,	/* app -> boot: arg = counter */
	KPART_CTL_SHUTDOWN,	/* boot -> app: power off cleanly */
	KPART_CTL_SHUTDOWN_ACK,	/* app -> boot: powering off */
};

struct kpart_ctl_msg {
	__u32 type;
	__u32 proto;
	__u64 arg;
	char text[64];		/* NUL terminated by the receiver */
};

enum kpart_chan_state {
	KPART_CHAN_NONE,	/* no peer yet (or not running) */
	KPART_CHAN_UP,		/* hello/welcome exchanged */
	KPART_CHAN_BROKEN,	/* protocol violation, see reason */
	KPART_CHAN_CLOSED,	/* peer shut down or partition ended */
};

struct kpart_chan;

struct kpart_chan_ops {
	/* A control message arrived (receive worker, process context). */
	void (*control)(struct kpart_chan *ch, const struct kpart_ctl_msg *m);
	/*
	 * A message on a channel without a port (below) arrived: console or
	 * echo. Receive worker; @data is only valid during the call.
	 */
	void (*data)(struct kpart_chan *ch, u16 chan, const void *data, u32 len);
	/* The peer consumed: a sender that got -EAGAIN may retry. Optional. */
	void (*space)(struct kpart_chan *ch);
	/* The channel just broke; ch->reason says why. */
	void (*broken)(struct kpart_chan *ch);
};

struct kpart_umsg {
	struct list_head node;
	u32 len;
	u8 data[];
};

/*
 * A ring channel whose messages queue for a character device (whole
 * messages per read and write, one opener at a time).
 */
struct kpart_chan_port {
	struct kpart_chan *ch;
	u16 chan;
	bool enabled;			/* messages queue here */
	bool open;			/* a file has it (under the owner's lock) */
	struct list_head rxq;		/* under ch->lock */
	unsigned int rxq_len;
	wait_queue_head_t wq;
	u64 dropped;			/* arrived while rxq was full (worker) */
	u64 dropped_reported;
	bool overflow;			/* dropping since the last delivery */
};

struct kpart_chan {
	struct ipi_endpoint ep;
	const struct kpart_chan_ops *ops;
	void *owner;
	const char *name;		/* for logs */
	u32 peer_apic_id;
	bool peer_doorbell;		/* peer takes doorbells (else it polls) */
	bool active;			/* endpoint open, worker may run */

	spinlock_t tx_lock;		/* sending half of ep; never sleep in it */
	unsigned long space_gen;	/* bumped when the peer may have consumed */
	wait_queue_head_t tx_wq;

	struct delayed_work rx_work;	/* receiving half of ep */
	spinlock_t lock;		/* ports' queues, state, reason */
	struct kpart_chan_port port[KPART_CHAN_NR];
	/* Doorbell budget (the worker writes, kicks read rx_defer_until) */
	unsigned long rx_window;	/* jiffies: start of the current window */
	unsigned int rx_idle;		/* runs in it that received nothing */
	unsigned long rx_defer_until;	/* jiffies: kicks wait until then */
	atomic_long_t kicks;		/* doorbells and other kicks */
	u64 rx_runs, rx_empty;		/* worker runs; of them, empty */
	u64 rx_deferred;		/* windows whose budget ran out */
	unsigned long doorbell_base;	/* owner's doorbell count at open */
	struct ratelimit_state log_rs;	/* what the peer can make us log */
	wait_queue_head_t state_wq;	/* state changes */
	u8 rxbuf[KPART_CHAN_MAX_PAYLOAD];

	int state;			/* enum kpart_chan_state */
	char reason[128];
	u64 tx_msgs, rx_msgs;
	u64 tx_dropped;			/* console output lost to a full ring */
};

void kpart_chan_setup(struct kpart_chan *ch, const struct kpart_chan_ops *ops,
		      void *owner, const char *name);
void kpart_chan_enable_port(struct kpart_chan *ch, u16 chan);
int kpart_chan_open(struct kpart_chan *ch, void *area, size_t bytes,
		    enum ipi_side side, const struct ipi_config *cfg,
		    u32 peer_apic_id, bool peer_doorbell);
void kpart_chan_close(struct kpart_chan *ch, const char *why);
void kpart_chan_kick(struct kpart_chan *ch);
int kpart_chan_send(struct kpart_chan *ch, u16 chan, const void *data, u32 len,
		    bool nonblock);
int kpart_chan_send_atomic(struct kpart_chan *ch, u16 chan, const void *data,
			   u32 len);
int kpart_chan_send_ctl(struct kpart_chan *ch, u32 type, u64 arg,
			const char *text, bool nonblock);
void kpart_chan_set_state(struct kpart_chan *ch, int state, const char *reason);
int kpart_chan_state_str(struct kpart_chan *ch, char *buf, size_t len);
void kpart_chan_config(struct ipi_config *cfg);

/* True when a line the peer caused may be logged now (per channel limit) */
bool kpart_chan_log_ok(struct kpart_chan *ch);

/* Character device helpers: private_data is the struct kpart_chan_port */
ssize_t kpart_chan_read(struct file *f, char __user *ubuf, size_t len, loff_t *off);
ssize_t kpart_chan_write(struct file *f, const char __user *ubuf, size_t len,
			 loff_t *off);
__poll_t kpart_chan_poll(struct file *f, struct poll_table_struct *wait);

/* app.c: application-kernel side of the module */
int kpart_app_init(void);
void kpart_app_exit(void);

/* app_console.c: the console and tty over the channel, in an application kernel */
int kpart_app_console_init(struct kpart_chan *ch);
void kpart_app_console_exit(void);
void kpart_app_console_input(const void *data, u32 len);
void kpart_app_console_space(void);

#endif /* KPART_CHAN_H */
