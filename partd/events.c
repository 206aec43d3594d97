/* SPDX-License-Identifier: MIT */
/*
 * State changes: the kpart module multicasts KPART_CMD_EVENT on the
 * generic netlink family "kpart", group "events" (include/kpart/uapi.h).
 * Events only say that something changed; the kernfs files stay the source
 * of truth and are re-read for the partition named. A sequence gap or a
 * socket overrun means events were lost: every partition is re-read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <json-c/json.h>

#include "partd.h"

static struct nla_policy policy[KPART_ATTR_MAX + 1] = {
    [KPART_ATTR_NAME] = {.type = NLA_STRING, .maxlen = KPART_NAME_MAX},
    [KPART_ATTR_STATE] = {.type = NLA_STRING, .maxlen = 32},
    [KPART_ATTR_REASON] = {.type = NLA_STRING, .maxlen = 64},
    [KPART_ATTR_SEQ] = {.type = NLA_U64},
};

static int on_message(struct nl_msg *msg, void *arg)
{
	struct partd *d = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = genlmsg_hdr(nlh);
	struct nlattr *a[KPART_ATTR_MAX + 1];
	const char *name, *reason = NULL;

	if (gh->cmd != KPART_CMD_EVENT)
		return NL_SKIP;
	if (genlmsg_parse(nlh, 0, a, KPART_ATTR_MAX, policy) < 0 || !a[KPART_ATTR_NAME]) {
		plog(LOG_WARNING, "malformed kpart event; re-reading all partitions");
		d->resync_needed = true;
		return NL_SKIP;
	}
	if (a[KPART_ATTR_SEQ]) {
		uint64_t seq = nla_get_u64(a[KPART_ATTR_SEQ]);

		if (d->nl_have_seq && seq != d->nl_seq + 1) {
			plog(LOG_WARNING,
			     "kpart events %llu-%llu were lost; re-reading all partitions",
			     (unsigned long long)d->nl_seq + 1, (unsigned long long)seq - 1);
			d->resync_needed = true;
		}
		d->nl_seq = seq;
		d->nl_have_seq = true;
	}
	name = nla_get_string(a[KPART_ATTR_NAME]);
	if (a[KPART_ATTR_REASON])
		reason = nla_get_string(a[KPART_ATTR_REASON]);
	plog(LOG_DEBUG, "event: %s %s%s%s", name,
	     a[KPART_ATTR_STATE] ? nla_get_string(a[KPART_ATTR_STATE]) : "?", reason ? " " : "",
	     reason ? reason : "");
	if (plan_name_problem(name) == NULL)
		partition_changed(d, name, reason);
	return NL_OK;
}

int events_open(struct partd *d)
{
	struct nl_sock *sk = nl_socket_alloc();
	int grp, r;

	if (!sk)
		return -ENOMEM;
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_message, d);
	r = genl_connect(sk);
	if (r < 0)
		goto fail;
	grp = genl_ctrl_resolve_grp(sk, KPART_GENL_NAME, KPART_GENL_MCGRP);
	if (grp < 0) {
		r = grp;
		goto fail;
	}
	r = nl_socket_add_membership(sk, grp);
	if (r < 0)
		goto fail;
	nl_socket_set_nonblocking(sk);
	nl_socket_set_buffer_size(sk, 1 << 20, 0);
	d->nl = sk;
	d->nl_fd = nl_socket_get_fd(sk);
	d->nl_have_seq = false;
	d->resync_ms = 30000;
	plog(LOG_INFO, "listening to kpart events (generic netlink %s/%s)", KPART_GENL_NAME,
	     KPART_GENL_MCGRP);
	/* anything that happened before we listened */
	d->resync_needed = true;
	return 0;
fail:
	plog(LOG_DEBUG, "netlink: %s", nl_geterror(r));
	nl_socket_free(sk);
	return -ENOENT;
}

void events_close(struct partd *d)
{
	if (d->nl)
		nl_socket_free(d->nl);
	d->nl = NULL;
	d->nl_fd = -1;
}

void events_dispatch(struct partd *d)
{
	int r = nl_recvmsgs_default(d->nl);

	if (r == -NLE_NOMEM || r == -NLE_MSG_OVERFLOW) {
		/* ENOBUFS: the socket overran, events are gone */
		plog(LOG_WARNING, "kpart event queue overran; re-reading all partitions");
		d->resync_needed = true;
	} else if (r < 0 && r != -NLE_AGAIN) {
		plog(LOG_WARNING, "netlink: %s; falling back to polling every %d ms",
		     nl_geterror(r), d->poll_ms);
		events_close(d);
		d->resync_ms = d->poll_ms;
		d->resync_needed = true;
	}
}

static bool queued(struct partd *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nrestart; i++)
		if (!strcmp(d->restart[i], name))
			return true;
	return false;
}

void partition_changed(struct partd *d, const char *name, const char *reason)
{
	struct inv_partition *p = inventory_find(d->inv, name);
	enum part_state before = p ? p->state : PART_UNKNOWN;
	bool existed = p != NULL;
	const struct plan_partition *pp;
	int r = inventory_refresh_partition(d->inv, d->root, name);

	if (r == -ENOENT) {
		if (existed)
			plog_at(LOG_INFO, NULL, name, NULL, "%s: deleted", name);
		return;
	}
	p = inventory_find(d->inv, name);
	if (!p)
		return;
	p->hold = is_held(d, name);
	if (!existed)
		plog_at(LOG_INFO, NULL, name, NULL, "%s: appeared (%s)", name,
			part_state_name(p->state));
	else if (p->state != before)
		plog_at(LOG_INFO, NULL, name, NULL, "%s: %s -> %s%s%s", name,
			part_state_name(before), part_state_name(p->state),
			p->state == PART_STOPPED || p->state == PART_CRASHED ? ", exit reason "
									     : "",
			p->state == PART_STOPPED || p->state == PART_CRASHED ? p->exit_reason : "");
	else
		return;
	(void)reason;
	notify_status(d);

	/* An application kernel that rebooted itself wants to come back. */
	if (d->busy || !d->plan || p->state != PART_STOPPED || strcmp(p->exit_reason, "reboot"))
		return;
	pp = plan_find(d->plan, name);
	if (!pp || !pp->autostart || p->hold || queued(d, name))
		return;
	char **v = realloc(d->restart, (d->nrestart + 1) * sizeof(*v));

	if (!v)
		return;
	d->restart = v;
	d->restart[d->nrestart] = strdup(name);
	if (d->restart[d->nrestart])
		d->nrestart++;
}

void resync_states(struct partd *d)
{
	struct inventory *fresh;
	char err[256];
	size_t i;

	/* Partitions appear and disappear (mkdir/rmdir by hand): read the whole tree. */
	fresh = inventory_read(d->root, d->sysfs, err, sizeof(err));
	if (!fresh) {
		plog(LOG_WARNING, "%s", err);
		return;
	}
	for (i = 0; i < fresh->nparts; i++) {
		const struct inv_partition *n = &fresh->parts[i];
		const struct inv_partition *o = inventory_find(d->inv, n->name);

		if (!o || o->state != n->state || o->boot_count != n->boot_count)
			partition_changed(d, n->name, NULL);
	}
	for (i = 0; i < d->inv->nparts;) {
		if (!inventory_find(fresh, d->inv->parts[i].name)) {
			char name[KPART_NAME_MAX];

			snprintf(name, sizeof(name), "%s", d->inv->parts[i].name);
			partition_changed(d, name, NULL); /* removes it */
			continue;
		}
		i++;
	}
	/* pool and assignment figures (the fresh ones are freed with fresh) */
	d->inv->pool_free = fresh->pool_free;
	d->inv->pool_size = fresh->pool_size;
	d->inv->pool_available = fresh->pool_available;
	d->inv->numa_pool = fresh->numa_pool;
	d->inv->pool_low = fresh->pool_low;
#define SWAP(f)                                                                                    \
	do {                                                                                       \
		__typeof__(d->inv->f) t_ = d->inv->f;                                              \
		d->inv->f = fresh->f;                                                              \
		fresh->f = t_;                                                                     \
	} while (0)
	SWAP(pool_range);
	SWAP(pool_ranges);
	SWAP(npool_ranges);
	SWAP(pool_nodes);
	SWAP(npool_nodes);
#undef SWAP
	cpuset_copy(&d->inv->assigned, &fresh->assigned);
	inventory_free(fresh);
}

/* ------------------------------------------------------------ hung kernels */

static bool hung_seen(struct partd *d, const char *name, bool forget)
{
	size_t i;

	for (i = 0; i < d->nhung; i++)
		if (!strcmp(d->hung[i], name)) {
			if (forget) {
				free(d->hung[i]);
				d->hung[i] = d->hung[--d->nhung];
			}
			return true;
		}
	return false;
}

static void hung_remember(struct partd *d, const char *name)
{
	char **v = realloc(d->hung, (d->nhung + 1) * sizeof(*v));

	if (!v)
		return;
	d->hung = v;
	d->hung[d->nhung] = strdup(name);
	if (d->hung[d->nhung])
		d->nhung++;
}

/*
 * The plan's on_hang policy. The kernel's channel file says
 * "hung: no heartbeat for N s" while a running partition sends no
 * heartbeat (from 5 s on); once N reaches the partition's hang_timeout,
 * partd kills it and, for "restart", starts it again. Checked once a
 * second between jobs; every step is logged.
 */
void check_hangs(struct partd *d)
{
	uint64_t now = now_ms();
	size_t i;

	if (!d->plan || d->busy || now < d->next_hang_check)
		return;
	d->next_hang_check = now + 1000;
	for (i = 0; i < d->plan->nparts; i++) {
		const struct plan_partition *pp = &d->plan->parts[i];
		char path[4200], *ch;
		unsigned long silent = 0;
		struct json_object *res;
		int e, r;

		if (pp->on_hang == PLAN_HANG_NONE ||
		    kernfs_read_state(d->root, pp->name, &e) != PART_RUNNING) {
			hung_seen(d, pp->name, true);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s/channel", d->root, pp->name);
		ch = kp_read_file(path);
		if (!ch || sscanf(ch, "hung: no heartbeat for %lu s", &silent) != 1) {
			if (hung_seen(d, pp->name, true))
				plog(LOG_INFO, "%s: heartbeat back (channel %s)", pp->name,
				     ch ? ch : "unreadable");
			free(ch);
			continue;
		}
		if (!hung_seen(d, pp->name, false)) {
			hung_remember(d, pp->name);
			plog_at(LOG_WARNING, NULL, pp->name, NULL,
				"%s: hung (%s); on_hang %s after %d s without heartbeat", pp->name,
				ch, plan_on_hang_name(pp->on_hang), pp->hang_timeout);
		}
		free(ch);
		if (silent < (unsigned long)pp->hang_timeout)
			continue;
		hung_seen(d, pp->name, true);
		plog_at(LOG_ERR, NULL, pp->name, "kill",
			"%s: no heartbeat for %lu s (hang_timeout %d s): killing it%s", pp->name,
			silent, pp->hang_timeout,
			pp->on_hang == PLAN_HANG_RESTART ? " and starting it again" : "");
		snprintf(path, sizeof(path), "%s/%s/control", d->root, pp->name);
		r = kp_write_file(path, "kill");
		if (r) {
			plog_at(LOG_ERR, NULL, pp->name, "kill", "%s: kill failed: %s", pp->name,
				strerror(-r));
			continue;
		}
		partition_changed(d, pp->name, NULL);
		if (pp->on_hang != PLAN_HANG_RESTART || is_held(d, pp->name))
			continue;
		if (kernfs_read_state(d->root, pp->name, &e) != PART_STOPPED) {
			/* e.g. crashed, "killed; memory quarantined": a CPU is missing */
			plog(LOG_ERR, "%s: not started again: the kill left it %s", pp->name,
			     part_state_name(kernfs_read_state(d->root, pp->name, &e)));
			continue;
		}
		d->busy = true;
		res = start_stop(d, pp->name, true);
		d->busy = false;
		if (!json_object_get_boolean(json_object_object_get(res, "ok")))
			plog_at(LOG_ERR, NULL, pp->name, "restart",
				"%s: restart after the hang failed", pp->name);
		json_object_put(res);
		notify_status(d);
	}
}
