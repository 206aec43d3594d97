#!/bin/sh
# KASLR on (as in a distribution kernel): ten starts of the same partition
# all boot, and the application kernel lands at a different place each
# time, physical and virtual (its init prints both; the host checks that
# no two of the ten lines are alike).
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1 EXPECT-APP-DISTINCT=1
. /tests/lib.sh
pool=$(rd $K/pool_size)

setup p1 2-3 256M ttyS1
n=0
round=1
while [ $round -le 10 ]; do
	write_ok $K/p1/control start
	wait_state p1 running || break
	[ $round = 1 ] && expect_app p1 2-3 256M
	wait_channel p1 up || break	# init printed its lines
	write_ok $K/p1/control stop
	n=$((n + 1))
	round=$((round + 1))
done
check_eq "ten starts booted" "$n" "10"
check_eq "boot count" "$(rd $K/p1/boot_count)" "10"
check_eq "CPUs back" "$(online)" "0-3"
check_eq "pool whole" "$(rd $K/pool_free)" "$pool"
echo EXPECT-APP-BOOTS: ttyS1 10
echo "EXPECT-APP-DISTINCT: ttyS1 10 APP: kernel at phys"
finish
