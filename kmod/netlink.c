// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "kpart": every partition state change is
 * multicast on the "events" group so partd follows partitions without
 * polling. Constants are shared with user space in include/kpart/uapi.h.
 */
#include <net/genetlink.h>
#include "kpart.h"

static const struct genl_multicast_group kpart_mcgrps[] = {
	/* Names and states of every tenant: not for anyone to follow */
	{ .name = KPART_GENL_MCGRP, .flags = GENL_MCAST_CAP_SYS_ADMIN },
};

static struct genl_family kpart_family = {
	.name = KPART_GENL_NAME,
	.version = KPART_GENL_VERSION,
	.maxattr = KPART_ATTR_MAX,
	.module = THIS_MODULE,
	.mcgrps = kpart_mcgrps,
	.n_mcgrps = ARRAY_SIZE(kpart_mcgrps),
};

static atomic64_t event_seq;

/* One KPART_CMD_EVENT; @reason and @version are left out when NULL/empty */
static void send_event(const char *name, const char *state, const char *reason,
		       const char *version)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &kpart_family, 0, KPART_CMD_EVENT);
	if (!hdr)
		goto fail;
	if (nla_put_string(skb, KPART_ATTR_NAME, name) ||
	    nla_put_string(skb, KPART_ATTR_STATE, state) ||
	    (reason && nla_put_string(skb, KPART_ATTR_REASON, reason)) ||
	    (version && version[0] &&
	     nla_put_string(skb, KPART_ATTR_VERSION, version)) ||
	    nla_put_u64_64bit(skb, KPART_ATTR_SEQ, atomic64_inc_return(&event_seq),
			      KPART_ATTR_UNSPEC))
		goto fail;
	genlmsg_end(skb, hdr);
	/* -ESRCH only means nobody listens */
	genlmsg_multicast(&kpart_family, skb, 0, 0, GFP_KERNEL);
	return;
fail:
	nlmsg_free(skb);
}

void kpart_netlink_event(struct kpart_partition *p)
{
	char reason[48];

	kpart_exit_reason_str(p, reason, sizeof(reason));
	send_event(p->name, kpart_state_name(p->state), reason, NULL);
}

/* A channel event: ready, heartbeat-lost, heartbeat, shutdown, channel-broken */
void kpart_netlink_chan_event(struct kpart_partition *p, const char *event)
{
	char version[sizeof(p->app_version)];

	kpart_host_app_version(p, version, sizeof(version));
	send_event(p->name, event, NULL, version);
}

int kpart_netlink_init(void)
{
	return genl_register_family(&kpart_family);
}

void kpart_netlink_exit(void)
{
	genl_unregister_family(&kpart_family);
}
