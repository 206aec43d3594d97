/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * kpart user-space interface constants, shared by the boot-kernel module
 * (kmod/) and user space (partd, partctl).
 *
 * The control interface is a kernfs filesystem mounted at KPART_FS_MOUNT;
 * docs/interfaces.md describes every file. State changes are multicast on
 * the generic netlink family KPART_GENL_NAME, group KPART_GENL_MCGRP.
 */
#ifndef _UAPI_KPART_H
#define _UAPI_KPART_H

#define KPART_FS_TYPE		"kpart"
#define KPART_FS_MOUNT		"/sys/fs/kpart"
#define KPART_IFACE_VERSION	1

#define KPART_NAME_MAX		32

/* Generic netlink */
#define KPART_GENL_NAME		"kpart"
#define KPART_GENL_VERSION	1
#define KPART_GENL_MCGRP	"events"

enum kpart_genl_cmd {
	KPART_CMD_UNSPEC,
	KPART_CMD_EVENT,	/* multicast: a partition changed state */
	__KPART_CMD_MAX,
};

enum kpart_genl_attr {
	KPART_ATTR_UNSPEC,
	KPART_ATTR_NAME,	/* string: partition name */
	/*
	 * string: the new state, as in the "state" file, or a channel event:
	 * "ready", "heartbeat-lost", "heartbeat", "shutdown", "channel-broken"
	 */
	KPART_ATTR_STATE,
	KPART_ATTR_REASON,	/* string: why (e.g. "poweroff", "panic") */
	KPART_ATTR_SEQ,		/* u64: per-module event sequence number */
	KPART_ATTR_VERSION,	/* string: application kernel release (channel events) */
	__KPART_ATTR_MAX,
};
#define KPART_ATTR_MAX (__KPART_ATTR_MAX - 1)

#endif /* _UAPI_KPART_H */
