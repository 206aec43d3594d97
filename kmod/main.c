// SPDX-License-Identifier: GPL-2.0
/*
 * kpart: partition this machine and run application kernels on the parts.
 *
 * Needs a kernel built with CONFIG_KPART and booted with kpart_pool=SIZE.
 * The module cannot be removed while a partition runs.
 */
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/reboot.h>
#include <linux/suspend.h>
#include <asm/kpart.h>
#include "chan.h"
#include "kpart.h"

static bool app_side;

#define SHUTDOWN_STOP_MS	5000

/* Reboot, halt, power-off and kexec: no partition outlives this kernel */
static int kpart_reboot(struct notifier_block *nb, unsigned long action, void *data)
{
	kpart_shutdown_all(action == SYS_RESTART ? "restarts" :
			   action == SYS_HALT ? "halts" : "powers off",
			   SHUTDOWN_STOP_MS);
	return NOTIFY_DONE;
}

static struct notifier_block kpart_reboot_nb = {
	.notifier_call = kpart_reboot,
};

static int kpart_pm(struct notifier_block *nb, unsigned long action, void *data)
{
	switch (action) {
	case PM_SUSPEND_PREPARE:
	case PM_HIBERNATION_PREPARE:
	case PM_RESTORE_PREPARE:
		return notifier_from_errno(kpart_pm_block(true));
	case PM_POST_SUSPEND:
	case PM_POST_HIBERNATION:
	case PM_POST_RESTORE:
		kpart_pm_block(false);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block kpart_pm_nb = {
	.notifier_call = kpart_pm,
};

static int __init kpart_init(void)
{
	int ret;

	/* In an application kernel the module is the channel's other end */
	if (kpart_app_desc()) {
		app_side = true;
		return kpart_app_init();
	}
	ret = kpart_pool_init();
	if (ret)
		return ret;
	ret = kpart_cpu_init();
	if (ret)
		goto err_pool;
	ret = kpart_netlink_init();
	if (ret)
		goto err_cpu;
	kpart_host_init();
	ret = kpart_fs_init();
	if (ret)
		goto err_host;
	register_reboot_notifier(&kpart_reboot_nb);
	register_pm_notifier(&kpart_pm_nb);
	pr_info("kpart: ready, pool of %llu MiB\n", kpart_pool_size() >> 20);
	return 0;

err_host:
	kpart_host_exit();
	kpart_netlink_exit();
err_cpu:
	kpart_cpu_exit();
err_pool:
	kpart_pool_exit();
	return ret;
}

static void __exit kpart_exit(void)
{
	struct kpart_partition *p, *tmp;

	if (app_side) {
		kpart_app_exit();
		return;
	}
	unregister_pm_notifier(&kpart_pm_nb);
	unregister_reboot_notifier(&kpart_reboot_nb);
	kpart_stop_all();
	kpart_fs_exit();
	list_for_each_entry_safe(p, tmp, &kpart_partitions, node) {
		cancel_delayed_work_sync(&p->monitor);
		list_del(&p->node);
		kpart_partition_destroy(p);
	}
	kpart_host_exit();
	kpart_netlink_exit();
	kpart_cpu_exit();
	kpart_pool_exit();
}

module_init(kpart_init);
module_exit(kpart_exit);
MODULE_DESCRIPTION("kpart: run Linux kernels side by side on partitions of the machine");
MODULE_LICENSE("GPL");
