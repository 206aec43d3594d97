#!/bin/sh
# CPU hotplug from user space while partitions start and stop cannot
# strand a CPU in the park loop or leak pool memory: a loop offlines and
# onlines CPU 2 (echo 0/1 > online) as fast as it can during 20 starts and
# stops of a partition on CPUs 2-3. Starts may fail cleanly while the loop
# holds CPU 2 down; most must succeed; afterwards every CPU comes online,
# the pool is whole, and a last start boots.
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh
pool=$(rd $K/pool_size)
C=/sys/devices/system/cpu/cpu2/online

mkdir $K/p1
configure p1 2-3 128M none "idle=halt"

# The toggler: until /tmp/stop-toggling exists
rm -f /tmp/stop-toggling /tmp/toggles
(
	n=0
	while [ ! -e /tmp/stop-toggling ]; do
		echo 0 > $C 2>/dev/null
		echo 1 > $C 2>/dev/null
		n=$((n + 1))
	done
	echo $n > /tmp/toggles
) &
toggler=$!

ok=0 refused=0 other=0
round=1
while [ $round -le 20 ]; do
	if echo start > $K/p1/control 2>/dev/null; then
		if wait_state p1 running 60; then
			ok=$((ok + 1))
		else
			other=$((other + 1))
			echo "BOOT: round $round: state $(rd $K/p1/state) after start"
		fi
		echo stop > $K/p1/control 2>/dev/null || echo kill > $K/p1/control
		st=$(rd $K/p1/state)
		case $st in stopped|crashed) ;; *) other=$((other + 1)); echo "BOOT: round $round: $st after stop" ;; esac
	else
		refused=$((refused + 1))
		echo "BOOT: round $round: start refused: $(dmesg | grep 'kpart: p1' | tail -n 1)"
	fi
	round=$((round + 1))
done
touch /tmp/stop-toggling
wait $toggler
echo "BOOT: $ok started, $refused refused, $other other; CPU 2 toggled $(cat /tmp/toggles) times"
check "at least 15 of 20 starts booted while CPU 2 was toggled" test $ok -ge 15
check_eq "no start ended in an unexpected state" "$other" "0"
check "CPU 2 was toggled at least 20 times" test "$(cat /tmp/toggles)" -ge 20

echo 1 > /sys/devices/system/cpu/cpu2/online 2>/dev/null
echo 1 > /sys/devices/system/cpu/cpu3/online 2>/dev/null
check_eq "every CPU comes online" "$(online)" "0-3"
check_eq "pool whole" "$(rd $K/pool_free)" "$pool"
check_eq "nothing assigned but p1's claim" "$(rd $K/cpus_assigned)" "2-3"
check "no CPU reported stuck" sh -c "! dmesg | grep -q 'did not come back online'"

write_ok $K/p1/console ttyS1
write_ok $K/p1/cmdline "console=ttyS1,115200 idle=halt"
start_app p1 2-3 128M
write_ok $K/p1/control stop
check_eq "CPUs back" "$(online)" "0-3"
check "rmdir p1" rmdir $K/p1
echo EXPECT-APP-BOOTS: ttyS1 1
finish
