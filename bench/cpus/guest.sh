#!/bin/sh
# Guest side of the CPU-count benchmark (kpart.test=bench_cpus), run by the
# boot kernel of an 8-CPU machine: the same partition started with 1, 4
# and 7 CPUs (all but the boot kernel's CPU 0), the sizes taking turns,
# SAMPLES times each. boot_time is the module's own clock from the start
# request to "running", which the application kernel reports once all its
# CPUs are up (late_initcall_sync): it includes the AP bring-up.
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

mkdir $K/c
echo 256M > $K/c/memory
echo /boot/bzImage > $K/c/kernel
echo /boot/app.cpio.gz > $K/c/initrd
echo none > $K/c/console
echo "idle=halt quiet" > $K/c/cmdline
s=1
while [ $s -le "$samples" ]; do
	for n in 1 4 7; do
		echo "1-$n" > $K/c/cpus
		if echo start > $K/c/control && wait_running c; then
			echo "BENCH: cpus n=$n sample=$s boot_time_us=$(cat $K/c/boot_time)"
		else
			echo "BENCH: cpus n=$n sample=$s failed ($(cat $K/c/state))"
		fi
		echo stop > $K/c/control 2>/dev/null || echo kill > $K/c/control
	done
	s=$((s + 1))
done
rmdir $K/c
echo "BENCH: cpus done"
