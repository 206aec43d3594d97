#!/bin/sh
# Manual smoke: one partition on CPUs 2-3, started and left to boot.
cd /sys/fs/kpart
mkdir p1
echo 2-3 > p1/cpus
echo 256M > p1/memory
echo /boot/bzImage > p1/kernel
echo /boot/app.cpio.gz > p1/initrd
echo "console=ttyS1,115200 earlyprintk=serial,ttyS1,115200 idle=halt" > p1/cmdline
echo ttyS1 > p1/console
echo start > p1/control
for i in $(seq 1 60); do
	s=$(cat p1/state); echo "BOOT: t=$i state=$s online=$(cat /sys/devices/system/cpu/online)"
	[ "$s" = running ] && break
	sleep 1
done
sleep 2
echo stop > p1/control; echo "BOOT: stop rc=$? state=$(cat p1/state) exit=$(cat p1/exit_reason) online=$(cat /sys/devices/system/cpu/online)"
dmesg | grep kpart
