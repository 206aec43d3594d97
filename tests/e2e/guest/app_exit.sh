#!/bin/sh
# The application kernel ends itself: poweroff, reboot and panic each park
# its CPUs, the boot kernel takes them back and records why; a crashed
# partition starts again.
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1 EXPECT-APP-PANICS=1
. /tests/lib.sh
pool=$(rd $K/pool_size)
mkdir $K/p1
write_ok $K/p1/cpus 2-3
write_ok $K/p1/memory 256M
write_ok $K/p1/kernel /boot/bzImage
write_ok $K/p1/initrd /boot/app.cpio.gz
write_ok $K/p1/console ttyS1
for action in poweroff reboot panic; do
	write_ok $K/p1/cmdline "console=ttyS1,115200 idle=halt kpart.app=$action"
	write_ok $K/p1/control start
	if [ $action = panic ]; then want=crashed; else want=stopped; fi
	wait_state p1 $want
	check_eq "$action: exit reason" "$(rd $K/p1/exit_reason)" "$action"
	check_eq "$action: CPUs back" "$(online)" "0-3"
	check_eq "$action: pool whole" "$(rd $K/pool_free)" "$pool"
done
write_ok $K/p1/cmdline "console=ttyS1,115200 idle=halt"
write_ok $K/p1/control start
wait_state p1 running
expect_app p1 2-3 256M
wait_channel p1 up	# init's lines are out: no stop message cuts one
write_ok $K/p1/control stop
check_eq "restarted after crash and stopped" "$(rd $K/p1/state)" "stopped"
echo EXPECT-APP-BOOTS: ttyS1 4
# kpart.app=panic kills init: the one panic its console may show
echo EXPECT-APP-PANICS: ttyS1 1
finish
