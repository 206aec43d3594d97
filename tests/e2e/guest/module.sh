#!/bin/sh
# The module and the boot kernel's life cycle:
# - rmmod while /sys/fs/kpart is mounted is refused (the filesystem type
#   holds the module: before, rmmod went through and the umount after it
#   used freed memory);
# - unload and reload with CPUs going on- and offline meanwhile, also with
#   a CPU staying in the park hook in play_dead: the kernel waits for it
#   before the module goes;
# - a partition still running when the boot kernel powers off is asked to
#   power off first: its kernel says so on its UART (the host checks).
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1 EXPECT-APP-SAYS=1
. /tests/lib.sh

check "rmmod refused while the control filesystem is mounted" sh -c "! rmmod kpart 2>/dev/null"
check "module still loaded" test -d /sys/module/kpart
check "control filesystem still there" test -r $K/version
check "umount" umount $K
check "rmmod once unmounted" rmmod kpart
check "module gone" test ! -e /sys/module/kpart
check "insmod again" insmod /lib/modules/kpart.ko
check "mount again" mount -t kpart none $K
check_eq "version after reload" "$(rd $K/version)" "1"

# Unload and load while a CPU that no partition has goes off- and online
(
	i=0
	while [ $i -lt 200 ] && [ ! -e /tmp/stop-toggle ]; do
		echo 0 >/sys/devices/system/cpu/cpu3/online 2>/dev/null
		echo 1 >/sys/devices/system/cpu/cpu3/online 2>/dev/null
		i=$((i + 1))
	done
) &
toggler=$!
n=0
for i in 1 2 3; do
	umount $K && rmmod kpart && insmod /lib/modules/kpart.ko && mount -t kpart none $K &&
		n=$((n + 1))
done
touch /tmp/stop-toggle
wait $toggler
echo 1 >/sys/devices/system/cpu/cpu3/online 2>/dev/null
check_eq "3 unloads and loads while CPU 3 toggles" "$n" "3"
check_eq "all CPUs online" "$(online)" "0-3"

# The same with the CPU staying in the park hook (module text) for 300 ms
# each time it goes offline, so that rmmod comes while it is in there:
# clearing the hook must wait for it. Without that wait the CPU returns
# into freed module text.
rm -f /tmp/stop-toggle
(
	i=0
	while [ $i -lt 100 ] && [ ! -e /tmp/stop-toggle ]; do
		echo 0 >/sys/devices/system/cpu/cpu3/online 2>/dev/null
		sleep 0.5
		echo 1 >/sys/devices/system/cpu/cpu3/online 2>/dev/null
		i=$((i + 1))
	done
) &
toggler=$!
waited() { dmesg | grep -q 'park handler cleared after .* ms: a CPU was still in it'; }
i=0 n=0
while [ $i -lt 30 ] && { [ $i -lt 4 ] || ! waited; }; do
	umount $K && rmmod kpart && insmod /lib/modules/kpart.ko test_park_linger_ms=300 &&
		mount -t kpart none $K && n=$((n + 1))
	i=$((i + 1))
	sleep 0.$((i % 7 + 1))
done
touch /tmp/stop-toggle
wait $toggler
echo 1 >/sys/devices/system/cpu/cpu3/online 2>/dev/null
check_eq "$i unloads and loads while CPU 3 lingers in the park hook" "$n" "$i"
check_eq "all CPUs online after lingering" "$(online)" "0-3"
check "rmmod waited for a CPU in the park hook at least once" waited
echo 0 >/sys/module/kpart/parameters/test_park_linger_ms

# A partition left running when the boot kernel powers off
setup p1 2 128M ttyS1
write_ok $K/p1/control start
wait_state p1 running
wait_channel p1 up 60
expect_app p1 2 128M
check "rmmod refused while a partition runs" sh -c "umount $K; ! rmmod kpart 2>/dev/null; mount -t kpart none $K"
check_eq "p1 still running" "$(rd $K/p1/state)" "running"
echo "EXPECT-APP-BOOTS: ttyS1 1"
# /init powers off after this script: the module asks p1 to power off
echo "EXPECT-APP-SAYS: ttyS1 1 APP: stop signal, powering off"
finish
