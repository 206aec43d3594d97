// SPDX-License-Identifier: GPL-2.0
/*
 * CPUs for partitions. A partition's CPUs are claimed when configured and
 * taken from the boot kernel with CPU hotplug when it starts: remove_cpu()
 * sends the CPU into play_dead(), where the patched kernel hands it to
 * kpart_park(). There it polls its mailbox in the partition descriptor until
 * told to enter the new kernel. When the partition ends, every CPU of it
 * gets an INIT first, so that none of them runs the partition's code any
 * more, then add_cpu() brings each back with the boot kernel's usual
 * INIT/SIPI. Both are only ever sent to CPUs of that partition. A CPU that
 * does not come back online is reported to the caller, which must not
 * reuse the partition's memory: nothing says that CPU stopped using it.
 *
 * While a partition holds a CPU, a hotplug prepare callback refuses any
 * other attempt to online it: that would reset a CPU running another kernel.
 *
 * Hardware threads of one core share its caches, TLBs and branch
 * predictors: a partition gets all threads of its cores or none, unless
 * its smt_split file says otherwise. Siblings are found from APIC IDs
 * (threads of a core differ only in the low SMT bits), which are known for
 * every present CPU, online or not.
 */
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/cpuhotplug.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <asm/apic.h>
#include <asm/kpart.h>
#include <asm/smp.h>
#include "boot-x86/boot-x86.h"
#include "kpart.h"

struct park_slot {
	struct kpart_cpu_mailbox *mb;	/* set while the partition holds the CPU */
	u64 cr3;
	u64 tables;
	bool releasing;			/* add_cpu() by us is allowed */
	bool parked;			/* the CPU is in kpart_park() for mb */
};

/* [nr_cpu_ids] each: NR_CPUS is in the thousands on a distribution kernel */
static struct park_slot *park_slots;
static struct kpart_partition **cpu_owner;
static enum cpuhp_state guard_state;

static int test_cpu_lost = -1;
module_param(test_cpu_lost, int, 0600);
MODULE_PARM_DESC(test_cpu_lost,
		 "Test only: CPU N refuses to come back online when its partition ends (once)");

static unsigned int test_park_linger_ms;
module_param(test_park_linger_ms, uint, 0600);
MODULE_PARM_DESC(test_park_linger_ms,
		 "Test only: a CPU going offline that no partition wants stays in the park hook (module text) this long");

u32 kpart_apic_id(unsigned int cpu)
{
	return cpu_physical_id(cpu);
}

/* The APIC ID bits above the SMT level: equal for threads of one core */
static u32 core_key(unsigned int cpu)
{
	return kpart_apic_id(cpu) >> order_base_2(__max_threads_per_core);
}

bool kpart_cpu_siblings(unsigned int a, unsigned int b)
{
	return a != b && core_key(a) == core_key(b);
}

/*
 * The first present CPU outside @mask that shares a core with one inside,
 * or nr_cpu_ids; *@in is that CPU's sibling in @mask.
 */
unsigned int kpart_cpus_split_core(const struct cpumask *mask, unsigned int *in)
{
	unsigned int cpu, other;

	if (__max_threads_per_core < 2)
		return nr_cpu_ids;
	for_each_cpu(cpu, mask)
		for_each_present_cpu(other)
			if (!cpumask_test_cpu(other, mask) && kpart_cpu_siblings(cpu, other)) {
				*in = cpu;
				return other;
			}
	return nr_cpu_ids;
}

/*
 * Runs on the dying CPU, interrupts off, after it reported itself dead.
 * Leaves for the generic dead loop (which waits for INIT) when the slot
 * is given up under it, so that no CPU is left polling a mailbox in
 * memory that went back to the pool. The kernel marks the CPU while it
 * is in here, and kpart_set_park_handler(NULL) waits for the marks, so
 * the module's text and the slots outlive every call (kpart_cpu_exit()).
 */
static void kpart_park(void)
{
	struct park_slot *s = &park_slots[smp_processor_id()];
	struct kpart_cpu_mailbox *mb;

	mb = READ_ONCE(s->mb);
	if (!mb) {
		mdelay(READ_ONCE(test_park_linger_ms));
		return;		/* not ours: the generic dead loop */
	}
	WRITE_ONCE(s->parked, true);
	/* Pairs with the release that sets GO: entry and arg are written */
	while (smp_load_acquire(&mb->state) != KPART_CPU_GO) {
		if (READ_ONCE(s->mb) != mb) {
			WRITE_ONCE(s->parked, false);
			return;
		}
		cpu_relax();
	}
	kpart_enter(s->cr3, READ_ONCE(mb->entry), READ_ONCE(mb->arg),
		    mb->stack, s->tables);
}

static int kpart_cpu_prepare(unsigned int cpu)
{
	struct park_slot *s = &park_slots[cpu];

	if (READ_ONCE(s->releasing) && READ_ONCE(test_cpu_lost) == (int)cpu) {
		pr_err("kpart: test: CPU %u refuses to come back online\n", cpu);
		return -EIO;
	}
	if (READ_ONCE(s->mb) && !READ_ONCE(s->releasing)) {
		pr_err_ratelimited("kpart: CPU %u belongs to partition %s; not onlining it\n",
				   cpu, cpu_owner[cpu] ? cpu_owner[cpu]->name : "?");
		return -EBUSY;
	}
	return 0;
}

int kpart_cpus_claim(struct kpart_partition *p, const struct cpumask *mask,
		     const char **why)
{
	static char msg[160];
	unsigned int cpu;

	for_each_cpu(cpu, mask) {
		if (cpu == 0) {
			*why = "CPU 0 stays with the boot kernel";
			return -EINVAL;
		}
		if (!cpu_present(cpu)) {
			snprintf(msg, sizeof(msg), "CPU %u is not present", cpu);
			*why = msg;
			return -EINVAL;
		}
		if (cpu_owner[cpu] && cpu_owner[cpu] != p) {
			snprintf(msg, sizeof(msg), "CPU %u belongs to partition %s",
				 cpu, cpu_owner[cpu]->name);
			*why = msg;
			return -EBUSY;
		}
	}
	if (!p->smt_split) {
		unsigned int in, out = kpart_cpus_split_core(mask, &in);

		if (out < nr_cpu_ids) {
			snprintf(msg, sizeof(msg),
				 "CPU %u shares a core with CPU %u, which the partition does not get (give both, or write 1 to smt_split)",
				 in, out);
			*why = msg;
			return -EINVAL;
		}
	}
	/* Claim: the caller holds kpart_lock and commits right after. */
	for_each_cpu(cpu, p->cpus)
		cpu_owner[cpu] = NULL;
	for_each_cpu(cpu, mask)
		cpu_owner[cpu] = p;
	return 0;
}

/*
 * Give up a CPU's slot: a CPU still parked leaves our loop, and an offline
 * request that races with us (echo 0 > online) can no longer park it for a
 * partition that is over.
 */
static void release_slot(unsigned int cpu)
{
	struct park_slot *s = &park_slots[cpu];

	WRITE_ONCE(s->releasing, true);
	WRITE_ONCE(s->mb, NULL);
}

/*
 * Take a CPU back with INIT/SIPI, its slot released. add_cpu() returning 1
 * means someone onlined it first, which is just as good. False when the
 * CPU is not back in this kernel.
 */
static bool give_back_one(unsigned int cpu)
{
	struct park_slot *s = &park_slots[cpu];
	int ret;

	release_slot(cpu);
	ret = add_cpu(cpu);
	if (ret < 0)
		pr_err("kpart: CPU %u did not come back online: %d; it waits offline (echo 1 > /sys/devices/system/cpu/cpu%u/online)\n",
		       cpu, ret, cpu);
	WRITE_ONCE(s->parked, false);
	WRITE_ONCE(s->releasing, false);
	return ret >= 0 && cpu_online(cpu);
}

/*
 * INIT, as the boot kernel's own wakeup sends it: whatever the CPU runs,
 * it stops and waits for a STARTUP IPI. Only a partition's CPUs get it.
 */
static void send_init(unsigned int cpu)
{
	u32 apic_id = kpart_apic_id(cpu);
	unsigned long flags;

	local_irq_save(flags);
	apic->icr_write(APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT, apic_id);
	safe_apic_wait_icr_idle();
	apic->icr_write(APIC_INT_LEVELTRIG | APIC_DM_INIT, apic_id);
	safe_apic_wait_icr_idle();
	local_irq_restore(flags);
}

#define PARK_TRIES	5
#define PARK_WAIT_US	200000

/*
 * Offline one CPU into the park loop for @mb. Hotplug requests from user
 * space may race (the hotplug lock is not ours to hold across this):
 * "already online" and "already offline" are answers, not errors, and what
 * counts is that the CPU reports itself parked for this mailbox. A CPU
 * that went offline by someone else's hand before the mailbox was set sits
 * in the generic dead loop instead: online it and try again.
 */
static int park_one(struct kpart_partition *p, unsigned int cpu,
		    struct kpart_cpu_mailbox *mb, u64 tables)
{
	struct park_slot *s = &park_slots[cpu];
	int tries, ret = 0;
	unsigned int us;

	for (tries = 0; tries < PARK_TRIES; tries++) {
		ret = add_cpu(cpu);	/* 1: already online */
		if (ret < 0)
			continue;
		s->cr3 = p->desc->pgtable;
		s->tables = tables;
		WRITE_ONCE(s->parked, false);
		WRITE_ONCE(s->mb, mb);
		ret = remove_cpu(cpu);	/* 1: already offline */
		if (ret < 0) {
			WRITE_ONCE(s->mb, NULL);
			continue;
		}
		for (us = 0; us < PARK_WAIT_US && !READ_ONCE(s->parked); us += 100)
			udelay(100);
		if (READ_ONCE(s->parked))
			return 0;
		/* Offline, but not with us: it went down before mb was set */
		WRITE_ONCE(s->mb, NULL);
		ret = -EAGAIN;
	}
	kp_err(p, "cannot park CPU %u (%d after %d tries; is something else hotplugging it?)",
	       cpu, ret, PARK_TRIES);
	return ret;
}

/* Offline the partition's CPUs into the park loop, descriptor ready. */
int kpart_cpus_take(struct kpart_partition *p)
{
	u64 tables = kpart_entry_tables(p->mem_base);
	struct kpart_cpu_mailbox *mb;
	unsigned int cpu, i = 0;
	int ret;

	mb = kpart_mailboxes_of(p->mem_base, cpumask_weight(p->cpus));
	for_each_cpu(cpu, p->cpus) {
		ret = park_one(p, cpu, &mb[i], tables);
		if (ret)
			goto undo;
		i++;
	}
	return 0;
undo:
	for_each_cpu(cpu, p->cpus)
		if (READ_ONCE(park_slots[cpu].mb))
			give_back_one(cpu);
	return ret;
}

/*
 * The end of a partition: INIT to all of its CPUs first, so that none runs
 * its code while the others come back one by one, then online each. The
 * CPUs that did not come back go into @lost (their number is returned):
 * the partition's memory must not be reused then.
 */
unsigned int kpart_cpus_give_back(struct kpart_partition *p, struct cpumask *lost)
{
	unsigned int cpu;

	cpumask_clear(lost);
	for_each_cpu(cpu, p->cpus) {
		if (!READ_ONCE(park_slots[cpu].mb))
			continue;
		/*
		 * INIT while the slot still guards the CPU: nobody can online
		 * it meanwhile, so the INIT never hits a CPU that came back
		 * to this kernel by someone else's hand.
		 */
		send_init(cpu);
		release_slot(cpu);
		cpumask_set_cpu(cpu, lost);
	}
	for_each_cpu(cpu, lost)
		if (give_back_one(cpu))
			cpumask_clear_cpu(cpu, lost);
	cpu = READ_ONCE(test_cpu_lost);
	if (cpu < nr_cpu_ids && cpumask_test_cpu(cpu, p->cpus))
		WRITE_ONCE(test_cpu_lost, -1);
	return cpumask_weight(lost);
}

void kpart_cpus_release_claims(struct kpart_partition *p)
{
	unsigned int cpu;

	for_each_cpu(cpu, p->cpus)
		if (cpu_owner[cpu] == p)
			cpu_owner[cpu] = NULL;
}

static void free_tables(void)
{
	kfree(park_slots);
	kfree(cpu_owner);
	park_slots = NULL;
	cpu_owner = NULL;
}

int kpart_cpu_init(void)
{
	int ret;

	park_slots = kcalloc(nr_cpu_ids, sizeof(*park_slots), GFP_KERNEL);
	cpu_owner = kcalloc(nr_cpu_ids, sizeof(*cpu_owner), GFP_KERNEL);
	if (!park_slots || !cpu_owner) {
		free_tables();
		return -ENOMEM;
	}
	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "kpart:guard",
					kpart_cpu_prepare, NULL);
	if (ret < 0) {
		free_tables();
		return ret;
	}
	guard_state = ret;
	kpart_set_park_handler(kpart_park);
	return 0;
}

/*
 * A CPU that someone offlines (echo 0 > online) while the module goes
 * away may be in kpart_park() with interrupts off, after the hotplug code
 * let go of it: clearing the handler waits until no CPU is in it.
 */
void kpart_cpu_exit(void)
{
	kpart_set_park_handler(NULL);
	cpuhp_remove_state_nocalls(guard_state);
	free_tables();
}
