#!/bin/sh
# Guest side of the memory benchmark (kpart.test=bench_memory), on a
# two-node machine whose node 1 has 4.5 GiB of pool: the same partition
# (CPU 4, node 1, no console) started with 256 MiB and with 4 GiB, the
# sizes taking turns, SAMPLES times each. boot_time is the module's clock
# from the start request to "running" (the application kernel reached its
# late initcalls); start_ms is how long the start request itself took in
# the boot kernel (reading the image and initrd, laying out the boot area,
# building the page table: nothing there may touch every page). Each start
# waits until the pool is zeroed, so scrubbing is measured apart: the time
# from a stop until its memory is zeroed, and the worker's rate.
K=/sys/fs/kpart
samples=${1:-5}

# wait_running NAME: until running (0) or a final state / timeout (1)
wait_running() {
	local i=0 st
	while [ $i -lt 1200 ]; do
		st=$(cat $K/$1/state 2>/dev/null) || return 1
		case $st in
		running) return 0 ;;
		stopped | crashed) return 1 ;;
		esac
		i=$((i + 1))
		sleep 0.1
	done
	return 1
}

# now_ms: the boot kernel's clock in ms (busybox date has no %N)
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# wait_clean: until the pool has no memory left to zero
wait_clean() {
	while ! grep -q '^dirty 0 ' $K/pool_scrub; do sleep 0.05; done
}

mkdir $K/m
echo 4 > $K/m/cpus
echo /boot/bzImage > $K/m/kernel
echo /boot/app.cpio.gz > $K/m/initrd
echo none > $K/m/console
echo "idle=halt quiet" > $K/m/cmdline
echo "BENCH: memory pool_nodes $(cat $K/pool_nodes | tr '\n' ';')"
# The pool is zeroed after load: wait, so that no start below scrubs
wait_clean
echo "BENCH: memory scrub_load $(cat $K/pool_scrub)"
s=1
while [ $s -le "$samples" ]; do
	for size in 256M 4G; do
		if ! echo $size > $K/m/memory || ! echo 1 > $K/m/numa_node; then
			echo "BENCH: memory size=$size sample=$s failed (configuration refused)"
			continue
		fi
		t0=$(now_ms)
		if echo start > $K/m/control; then
			t1=$(now_ms)
			if wait_running m; then
				echo "BENCH: memory size=$size sample=$s boot_time_us=$(cat $K/m/boot_time) start_ms=$((t1 - t0)) ranges=$(wc -l < $K/m/memory_range)"
			else
				echo "BENCH: memory size=$size sample=$s failed ($(cat $K/m/state))"
			fi
		else
			echo "BENCH: memory size=$size sample=$s failed (start refused)"
		fi
		echo stop > $K/m/control 2>/dev/null || echo kill > $K/m/control
		# The memory given back is zeroed off the start path: time it
		t0=$(now_ms)
		wait_clean
		echo "BENCH: memory size=$size sample=$s scrub_wait_ms=$(($(now_ms) - t0))"
	done
	s=$((s + 1))
done
rmdir $K/m
echo "BENCH: memory scrub_end $(cat $K/pool_scrub)"
echo "BENCH: memory done"
