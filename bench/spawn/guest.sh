#!/bin/sh
# Guest side of the spawn benchmark, run by the boot kernel (kpart.test=
# bench_spawn). Markers on the boot kernel's console let the host time a
# spawn with its own clock: SPAWN-START right before the start request;
# the application kernel's "APP: init reached" on the second UART ends it.
K=/sys/fs/kpart
runs=${1:-3}

wait_state() {
	ticks=0
	while read -r st < $K/$1/state && [ "$st" != "$2" ]; do
		ticks=$((ticks + 1))
		[ $ticks -gt ${3:-600} ] && return 1
		sleep 0.1
	done
}
meminfo() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }

mkdir $K/b
echo 2-3 > $K/b/cpus
echo 256M > $K/b/memory
echo /boot/bzImage > $K/b/kernel
echo /boot/app.cpio.gz > $K/b/initrd
echo ttyS1 > $K/b/console
echo "console=ttyS1,115200 idle=halt quiet" > $K/b/cmdline
i=1
while [ $i -le "$runs" ]; do
	sleep 1
	echo "SPAWN-START $i"
	echo start > $K/b/control
	wait_state b running || echo "BENCH-ERROR: run $i did not reach running"
	echo "BENCH: spawn $i kernel-side start->running $(cat $K/b/boot_time) us"
	sleep 2	# let init print its marker and settle before stopping
	echo stop > $K/b/control
	i=$((i + 1))
done

# Round trips through the channel, answered by the application kernel's
# module (partctl ping), once its channel is up: information only, TCG.
echo start > $K/b/control
wait_state b running
ticks=0
until grep -q '^up' $K/b/channel || [ $ticks -gt 600 ]; do ticks=$((ticks + 1)); sleep 0.1; done
sleep 1
for size in 64 4096; do
	echo "BENCH: qemu-ping $(partctl ping -c 1000 --size $size b 2>&1 | tr '\n' ' ')"
done
echo stop > $K/b/control
rmdir $K/b

# Boot-kernel memory cost per partition, outside partition memory (the
# pool is not part of MemTotal, so partition memory never counts): MemFree
# before and after 48 partitions are created and fully configured, and
# again after three of them run, to see what running adds.
settle() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null; sleep 1; }
settle
free0=$(meminfo MemFree)
c=0
while [ $c -lt 48 ]; do
	mkdir $K/c$c
	echo 16M > $K/c$c/memory
	echo /boot/bzImage > $K/c$c/kernel
	echo /boot/app.cpio.gz > $K/c$c/initrd
	echo "console=ttyS1,115200 idle=halt quiet some.option=value" > $K/c$c/cmdline
	c=$((c + 1))
done
settle
free1=$(meminfo MemFree)
echo "BENCH: memcost configured=48 free_before_kb=$free0 free_after_kb=$free1"
c=0
while [ $c -lt 48 ]; do rmdir $K/c$c; c=$((c + 1)); done
settle
free0=$(meminfo MemFree)
n=0
for c in 1 2 3; do
	mkdir $K/m$c
	echo $c > $K/m$c/cpus
	echo 128M > $K/m$c/memory
	echo /boot/bzImage > $K/m$c/kernel
	echo /boot/app.cpio.gz > $K/m$c/initrd
	echo none > $K/m$c/console
	echo "idle=halt quiet" > $K/m$c/cmdline
	echo start > $K/m$c/control
done
for c in 1 2 3; do wait_state m$c running && n=$((n + 1)); done
settle
free1=$(meminfo MemFree)
echo "BENCH: memcost running=$n free_before_kb=$free0 free_after_kb=$free1"
for c in 1 2 3; do echo stop > $K/m$c/control; rmdir $K/m$c; done

# Smallest partition memory an application kernel boots in (to init)
smallest=none
for mb in 128 64 32 24 20 16; do
	mkdir $K/s
	echo 2 > $K/s/cpus
	if ! echo ${mb}M > $K/s/memory || ! echo /boot/bzImage > $K/s/kernel ||
		! echo /boot/app.cpio.gz > $K/s/initrd; then
		rmdir $K/s
		break
	fi
	echo none > $K/s/console
	echo "idle=halt quiet" > $K/s/cmdline
	if echo start > $K/s/control 2>/dev/null && wait_state s running 300; then
		smallest=$mb
		echo "BENCH: minmem ${mb} MiB boots"
		echo stop > $K/s/control || echo kill > $K/s/control
		rmdir $K/s
	else
		echo "BENCH: minmem ${mb} MiB fails ($(cat $K/s/state), $(dmesg | grep 'kpart: s:' | tail -n 1))"
		[ "$(cat $K/s/state)" = stopped ] || echo kill > $K/s/control
		rmdir $K/s
		break
	fi
done
echo "BENCH: minmem smallest=$smallest"
