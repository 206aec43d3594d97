// SPDX-License-Identifier: GPL-2.0
/*
 * CPUs for partitions. A partition's CPUs are claimed when configured and
 * taken from the boot kernel with CPU hotplug when it starts: remove_cpu()
 * sends the CPU into play_dead(), where the patched kernel hands it to
 * kpart_park(). There it polls its mailbox in the partition descriptor until
 * told to enter the new kernel. When the partition ends, add_cpu() brings
 * the CPU back with the boot kernel's usual INIT/SIPI, which is only ever
 * sent to CPUs of that partition.
 *
 * While a partition holds a CPU, a hotplug prepare callback refuses any
 * other attempt to online it: that would reset a CPU running another kernel.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/kernel.h>
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
};

static struct park_slot park_slots[NR_CPUS];
static struct kpart_partition *cpu_owner[NR_CPUS];
static enum cpuhp_state guard_state;

u32 kpart_apic_id(unsigned int cpu)
{
	return cpu_physical_id(cpu);
}

/* Runs on the dying CPU, interrupts off, after it reported itself dead. */
static void kpart_park(void)
{
	struct park_slot *s = &park_slots[smp_processor_id()];
	struct kpart_cpu_mailbox *mb = READ_ONCE(s->mb);

	if (!mb)
		return;		/* not ours: the generic dead loop */
	while (smp_load_acquire(&mb->state) != KPART_CPU_GO)
		cpu_relax();
	kpart_enter(s->cr3, READ_ONCE(mb->entry), READ_ONCE(mb->arg),
		    mb->stack, s->tables);
}

static int kpart_cpu_prepare(unsigned int cpu)
{
	struct park_slot *s = &park_slots[cpu];

	if (READ_ONCE(s->mb) && !READ_ONCE(s->releasing)) {
		pr_err("kpart: CPU %u belongs to partition %s; not onlining it\n",
		       cpu, cpu_owner[cpu] ? cpu_owner[cpu]->name : "?");
		return -EBUSY;
	}
	return 0;
}

int kpart_cpus_claim(struct kpart_partition *p, const struct cpumask *mask,
		     const char **why)
{
	static char msg[96];
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
	if (cpumask_weight(mask) > KPART_MAX_CPUS) {
		*why = "more than 64 CPUs";
		return -EINVAL;
	}
	/* Claim: the caller holds kpart_lock and commits right after. */
	for_each_cpu(cpu, p->cpus)
		cpu_owner[cpu] = NULL;
	for_each_cpu(cpu, mask)
		cpu_owner[cpu] = p;
	return 0;
}

static void give_back_one(unsigned int cpu)
{
	struct park_slot *s = &park_slots[cpu];
	int ret;

	WRITE_ONCE(s->releasing, true);
	ret = add_cpu(cpu);
	if (ret)
		pr_err("kpart: CPU %u did not come back online: %d\n", cpu, ret);
	WRITE_ONCE(s->mb, NULL);
	WRITE_ONCE(s->releasing, false);
}

/* Offline the partition's CPUs into the park loop, descriptor ready. */
int kpart_cpus_take(struct kpart_partition *p)
{
	u64 tables = kpart_entry_tables(p->mem_base);
	unsigned int cpu, i = 0;
	int ret;

	for_each_cpu(cpu, p->cpus) {
		struct park_slot *s = &park_slots[cpu];

		if (!cpu_online(cpu)) {
			/* Offlined by hand: bring it up so it parks with us */
			ret = add_cpu(cpu);
			if (ret)
				goto undo;
		}
		s->cr3 = p->desc->pgtable;
		s->tables = tables;
		WRITE_ONCE(s->mb, &p->desc->cpus[i]);
		ret = remove_cpu(cpu);
		if (ret) {
			WRITE_ONCE(s->mb, NULL);
			kp_err(p, "cannot take CPU %u offline: %d", cpu, ret);
			goto undo;
		}
		i++;
	}
	return 0;
undo:
	for_each_cpu(cpu, p->cpus)
		if (READ_ONCE(park_slots[cpu].mb))
			give_back_one(cpu);
	return ret;
}

void kpart_cpus_give_back(struct kpart_partition *p)
{
	unsigned int cpu;

	for_each_cpu(cpu, p->cpus)
		if (READ_ONCE(park_slots[cpu].mb))
			give_back_one(cpu);
}

void kpart_cpus_release_claims(struct kpart_partition *p)
{
	unsigned int cpu;

	for_each_cpu(cpu, p->cpus)
		if (cpu_owner[cpu] == p)
			cpu_owner[cpu] = NULL;
}

int kpart_cpu_init(void)
{
	int ret;

	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "kpart:guard",
					kpart_cpu_prepare, NULL);
	if (ret < 0)
		return ret;
	guard_state = ret;
	kpart_set_park_handler(kpart_park);
	return 0;
}

void kpart_cpu_exit(void)
{
	kpart_set_park_handler(NULL);
	cpuhp_remove_state_nocalls(guard_state);
}
