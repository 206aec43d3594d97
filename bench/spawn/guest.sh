#!/bin/sh
# Guest side of the spawn benchmark (bench/spawn/run.sh), run by the boot
# kernel (kpart.test=bench_spawn). Options on the boot kernel's command
# line (run.sh passes them with scripts/qemu.sh --append):
#   kpart_bench=first|full   first: one first start, then power off
#   kpart_bench_id=N         number of that first start (f1, f2, ...)
#   kpart_bench_restarts=N   restarts after it (full only)
#
# Markers on the boot kernel's console let the host time a spawn with its
# own clock: "SPAWN-START ID" right before the start request; the
# application kernel's "APP: init reached" on the second UART ends it; the
# guest closes every sample with "SPAWN-END ID ok ..." or "SPAWN-END ID
# FAILED why", so that the host counts failures instead of losing them.
# Anything else that goes wrong prints "BENCH-ERROR: ..."; the host lists
# those lines and fails the benchmark on any.
K=/sys/fs/kpart
opt() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" /proc/cmdline; }
mode=$(opt kpart_bench)
first_id=$(opt kpart_bench_id)
restarts=$(opt kpart_bench_restarts)
why=

err() { echo "BENCH-ERROR: $*"; }
meminfo() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
lastlog() { dmesg | grep "kpart: $1:" | tail -n 1; }

# wait_state NAME WANT [SECONDS]: until NAME's state reads WANT. Fails,
# with the reason in $why, when the file cannot be read, on timeout, and at
# once when the partition ends while we wait for it to run.
wait_state() {
	t=0
	lim=$(( ${3:-120} * 10 ))
	while :; do
		if ! st=$(cat $K/$1/state 2>/dev/null); then
			why="cannot read $K/$1/state"
			return 1
		fi
		[ "$st" = "$2" ] && return 0
		case $2:$st in
		running:stopped | running:crashed)
			why="$1 is $st (exit $(cat $K/$1/exit_reason 2>/dev/null); $(lastlog $1))"
			return 1 ;;
		esac
		t=$((t + 1))
		if [ $t -ge $lim ]; then
			why="$1 not $2 within ${3:-120} s (state $st)"
			return 1
		fi
		sleep 0.1
	done
}

# wait_up NAME [SECONDS]: until NAME's init loaded kpart.ko: the channel
# file starts with "up" (the application kernel's module says hello only
# from its init). Same failures as wait_state.
wait_up() {
	t=0
	lim=$(( ${2:-120} * 10 ))
	while :; do
		if ! ch=$(cat $K/$1/channel 2>/dev/null); then
			why="cannot read $K/$1/channel"
			return 1
		fi
		case $ch in up*) return 0 ;; esac
		st=$(cat $K/$1/state 2>/dev/null)
		case $st in
		stopped | crashed)
			why="$1 is $st before its channel came up (channel '$ch')"
			return 1 ;;
		esac
		t=$((t + 1))
		if [ $t -ge $lim ]; then
			why="$1 channel not up within ${2:-120} s (channel '$ch', state $st)"
			return 1
		fi
		sleep 0.1
	done
}

# start_init NAME [SECONDS]: start NAME and wait until its init is up.
start_init() {
	if ! echo start > $K/$1/control 2>/dev/null; then
		why="start of $1 refused: $(lastlog $1)"
		return 1
	fi
	wait_state $1 running ${2:-300} && wait_up $1 120
}

# stop_part NAME: stop (kill if that fails) and wait for stopped
stop_part() {
	case $(cat $K/$1/state 2>/dev/null) in stopped | crashed) return 0 ;; esac
	echo stop > $K/$1/control 2>/dev/null || echo kill > $K/$1/control 2>/dev/null
	if ! wait_state $1 stopped 60; then
		err "stop $1: $why; killing it"
		echo kill > $K/$1/control
		wait_state $1 stopped 10 || err "kill $1: $why"
	fi
}

drop_part() { stop_part $1; rmdir $K/$1 || err "rmdir $1 failed"; }

# make_part NAME CPUS MEMORY INITRD CONSOLE CMDLINE (CPUS may be empty)
make_part() {
	if ! mkdir $K/$1 2>/dev/null; then
		why="mkdir $1 failed"
		return 1
	fi
	if ! ( { [ -z "$2" ] || echo "$2" > $K/$1/cpus; } &&
		echo "$3" > $K/$1/memory && echo /boot/bzImage > $K/$1/kernel &&
		echo "$4" > $K/$1/initrd && echo "$5" > $K/$1/console &&
		echo "$6" > $K/$1/cmdline ) 2>/dev/null; then
		why="configuring $1: $(lastlog $1)"
		return 1
	fi
}

# dmesg timestamps: mark puts a numbered line in the kernel log, then
# ms_since TEXT = milliseconds from the last mark to the first later
# kernel message containing TEXT.
marks=0
mark() {
	marks=$((marks + 1))
	echo "kpart-bench: mark $marks" > /dev/kmsg
}
ms_since() {
	dmesg | awk -v m="kpart-bench: mark $marks" -v p="$1" '
		function ts(l) { sub(/^\[ */, "", l); sub(/\].*/, "", l); return l + 0 }
		substr($0, length($0) - length(m) + 1) == m { t0 = ts($0); next }
		t0 != "" && index($0, p) { printf "%d\n", (ts($0) - t0) * 1000 + 0.5; exit }'
}

# spawn_sample ID: one timed start of b, closed by SPAWN-END
spawn_sample() {
	sleep 1
	mark
	echo "SPAWN-START $1"
	if ! start_init b; then
		echo "SPAWN-END $1 FAILED $why"
		stop_part b
		return 1
	fi
	echo "SPAWN-END $1 ok boot_time_us=$(cat $K/b/boot_time) layout_ms=$(ms_since 'kpart: b: starting')"
	stop_part b
}

if ! make_part b 2-3 256M /boot/app.cpio.gz ttyS1 "console=ttyS1,115200 idle=halt quiet"; then
	err "$why"
	exit 1
fi
spawn_sample f${first_id:-1}
if [ "$mode" = first ]; then
	rmdir $K/b
	exit 0
fi
i=1
while [ $i -le "${restarts:-5}" ]; do
	spawn_sample r$i
	i=$((i + 1))
done

# Round trips through the channel, answered by the application kernel's
# module (partctl ping), once its channel is up: information only, TCG.
if start_init b; then
	sleep 1
	for size in 64 4096; do
		echo "BENCH: qemu-ping $(partctl ping -c 1000 --size $size b 2>&1 | tr '\n' ' ')"
	done
else
	err "ping: $why"
fi
drop_part b

# Where a restart's extra time goes (see run.sh). Partition x (CPUs 2-3,
# 128 MiB, no console) is started on pool memory in four conditions:
#   fresh  never written since the machine booted
#   data   every page written by the boot kernel (non-zero data: the
#          initrd of a partition j laid out over all of x's memory and
#          killed at once), never run
#   reuse  held the previous application kernel, its code included (a
#          plain restart)
#   over   held the previous kernel, then the boot kernel wrote data over
#          every page (j again) before the start
# The pool hands out memory first fit, so a holder partition h on CPU 1
# sized S puts x at pool offset S; each round takes the next unused 128
# MiB (pool offsets 256-1023 MiB; the samples above used 0-255 MiB). For
# each start: ms from the start request to the module's "starting" line
# (our layout work) and boot_time (CPU release -> running). j's layout
# time is printed too: the same work over fresh memory and over memory
# that held a kernel.
exp_x() {
	mark
	if ! start_init x; then
		err "restart experiment: x ($1 at $2 MiB): $why"
		stop_part x
		return 1
	fi
	lm=$(ms_since 'kpart: x: starting')
	[ -n "$lm" ] || err "restart experiment: no layout time for x ($1 at $2 MiB)"
	echo "BENCH: restart-exp cond=$1 at=${2}M layout_ms=$lm boot_us=$(cat $K/x/boot_time)"
	stop_part x
}
exp_hold() {
	make_part h 1 ${1}M /boot/app.cpio.gz none "idle=halt quiet" && start_init h ||
		{ err "restart experiment: holder of $1 MiB: $why"; return 1; }
}
# exp_junk AT OVER: the boot kernel writes 128 MiB of data at pool offset
# AT (x's memory claim is dropped meanwhile: j's claim is most of the pool)
exp_junk() {
	echo 0 > $K/x/memory
	if make_part j 1 $(( $1 + 128 ))M /tmp/junk none "idle=halt quiet"; then
		mark
		if echo start > $K/j/control; then
			echo kill > $K/j/control
			echo "BENCH: restart-exp junk over=$2 at=${1}M layout_ms=$(ms_since 'kpart: j: starting')"
		else
			err "restart experiment: start of j refused: $(lastlog j)"
		fi
	else
		err "restart experiment: $why"
	fi
	[ -d $K/j ] && drop_part j
	echo 128M > $K/x/memory || err "restart experiment: x memory back to 128M refused"
}
dd if=/dev/urandom of=/tmp/junk1 bs=1M count=1 2>/dev/null
for i in $(seq 128); do cat /tmp/junk1; done > /tmp/junk
rm -f /tmp/junk1
if [ "$(wc -c < /tmp/junk)" -eq $((128 << 20)) ] &&
	make_part x 2-3 128M /boot/app.cpio.gz none "idle=halt quiet"; then
	for at in 256 384 512 640 768 896; do
		case $at in
		256 | 512 | 768)
			exp_hold $at && exp_x fresh $at && exp_x reuse $at
			drop_part h ;;
		*)
			exp_junk $at fresh
			exp_hold $at && exp_x data $at && exp_x reuse $at
			drop_part h
			exp_junk $at code
			exp_hold $at && exp_x over $at
			drop_part h ;;
		esac
	done
	drop_part x
else
	err "restart experiment: cannot prepare ($why)"
fi
rm -f /tmp/junk

# Boot-kernel memory cost per partition, outside partition memory (the
# pool is not part of MemTotal, so partition memory never counts), over 60
# partitions created and fully configured (60 x 16 MiB claims fit the 1 GiB
# pool). Two figures, before and after: the kernel's own allocations
# (unreclaimable slab, which includes kmalloc_large, vmalloc, per-CPU,
# stacks, page tables: what the module and kernfs keep) and MemFree (all
# inclusive, but it moves by a few MiB with the per-CPU free page lists).
# CPUs are claims checked when configured (kmod/cpu.c: a CPU named by one
# partition is refused to every other, running or not), and CPU 0 stays
# with the boot kernel, so only three of them can name one (CPUs 1, 2,
# 3); the CPU mask is allocated at mkdir either way.
settle() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; sleep 1; }
kmem() {
	awk '$1 ~ /^(SUnreclaim|VmallocUsed|Percpu|KernelStack|PageTables):$/ {s += $2; n++}
		END {print (n == 5) ? s : "missing"}' /proc/meminfo
}
settle
free0=$(meminfo MemFree) kmem0=$(kmem)
c=0 made=0 with_cpus=0
while [ $c -lt 60 ]; do
	cpus=
	[ $c -lt 3 ] && cpus=$((c + 1))
	if make_part c$c "$cpus" 16M /boot/app.cpio.gz ttyS1 \
		"console=ttyS1,115200 idle=halt quiet some.option=value"; then
		made=$((made + 1))
		[ -n "$cpus" ] && with_cpus=$((with_cpus + 1))
	else
		err "memcost: $why"
	fi
	c=$((c + 1))
done
settle
free1=$(meminfo MemFree) kmem1=$(kmem)
echo "BENCH: memcost configured=$made of=60 with_cpus=$with_cpus kmem_before_kb=$kmem0 kmem_after_kb=$kmem1 free_before_kb=$free0 free_after_kb=$free1"
c=0
while [ $c -lt 60 ]; do
	[ -d $K/c$c ] && { rmdir $K/c$c || err "rmdir c$c failed"; }
	c=$((c + 1))
done

# What running adds: three configured partitions, before and after they
# start and their init is up. Information (offline CPUs free their per-CPU
# caches, so MemFree can rise).
for c in 1 2 3; do
	make_part m$c $c 128M /boot/app.cpio.gz none "idle=halt quiet" || err "memcost: $why"
done
settle
free0=$(meminfo MemFree) kmem0=$(kmem)
n=0
for c in 1 2 3; do echo start > $K/m$c/control || err "memcost: start m$c refused"; done
for c in 1 2 3; do
	if wait_state m$c running 300 && wait_up m$c 120; then n=$((n + 1)); else err "memcost: $why"; fi
done
settle
free1=$(meminfo MemFree) kmem1=$(kmem)
echo "BENCH: memcost running=$n of=3 kmem_before_kb=$kmem0 kmem_after_kb=$kmem1 free_before_kb=$free0 free_after_kb=$free1"
for c in 1 2 3; do [ -d $K/m$c ] && drop_part m$c; done

# Smallest partition memory an application kernel boots in, to init: its
# init loaded kpart.ko and the channel is up (state running alone is set
# at late_initcall_sync, before init runs).
smallest=none
for mb in 128 64 32 24 20 16; do
	if ! make_part s 2 ${mb}M /boot/app.cpio.gz none "idle=halt quiet"; then
		echo "BENCH: minmem ${mb} MiB refused ($why)"
		[ -d $K/s ] && rmdir $K/s
		break
	fi
	if start_init s 300; then
		smallest=$mb
		echo "BENCH: minmem ${mb} MiB boots to init"
		drop_part s
	else
		echo "BENCH: minmem ${mb} MiB fails ($why)"
		drop_part s
		break
	fi
done
echo "BENCH: minmem smallest=$smallest"
