#!/bin/sh
# A partition whose kernel wedges every CPU with interrupts off (the test
# knob kpart.app=wedge, 3 s after init) shows it: its channel reads
# "hung: no heartbeat for N s" while the state stays running. A stop of it
# is bounded by the caller: "stop 2" fails with ETIMEDOUT after about 2 s
# (state stopping), "stop 3 kill" kills it after about 3 s (exit reason
# "stop timeout"), CPUs and memory back. On a kernel that cooperates,
# "stop 30 kill" is an ordinary stop, and malformed stop commands are
# refused with EINVAL, changing nothing.
# e2e-promise: EXPECT-APP=2 EXPECT-APP-BOOTS=1
. /tests/lib.sh
pool=$(rd $K/pool_size)

setup p1 2-3 256M ttyS1 kpart.app=wedge
start_app p1 2-3 256M
wait_channel p1 hung 30
sleep 3
ch=$(rd $K/p1/channel)
n=${ch#hung: no heartbeat for }
n=${n% s}
check "channel says how long it has been silent ($ch)" test "$n" -ge 7
check_eq "state still running" "$(rd $K/p1/state)" "running"

t0=$(date +%s)
out=$(sh -c "echo 'stop 2' > $K/p1/control" 2>&1)
rc=$?
t=$(( $(date +%s) - t0 ))
check "stop 2 fails with ETIMEDOUT ($out)" sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'timed out'"
check "stop 2 returned within 2-4 s ($t s)" sh -c "[ $t -ge 1 ] && [ $t -le 4 ]"
check_eq "the partition is stopping" "$(rd $K/p1/state)" "stopping"
check "the kernel logged the timeout" sh -c "dmesg | grep -q 'p1: did not stop within 2 s'"

t0=$(date +%s)
write_ok $K/p1/control "stop 3 kill"
t=$(( $(date +%s) - t0 ))
check "stop 3 kill returned within 2-5 s ($t s)" sh -c "[ $t -ge 2 ] && [ $t -le 5 ]"
check_eq "killed after the timeout" "$(rd $K/p1/state) $(rd $K/p1/exit_reason)" "stopped stop timeout"
check "the kernel logged the kill" sh -c "dmesg | grep -q 'p1: did not stop within 3 s: killing it'"
check_eq "CPUs back" "$(online)" "0-3"
check_eq "memory back" "$(rd $K/pool_free)" "$pool"

write_ok $K/p1/cmdline "console=ttyS1,115200 idle=halt"
start_app p1 2-3 256M
expect_error "stop 0" $K/p1/control "stop 0" "Invalid argument" "stop timeout 0 s out of range"
expect_error "stop 3601" $K/p1/control "stop 3601" "Invalid argument" "stop timeout 3601 s out of range"
expect_error "stop 5 now" $K/p1/control "stop 5 now" "Invalid argument" "invalid stop command"
expect_error "stop x" $K/p1/control "stop x" "Invalid argument" "invalid stop command"
check_eq "channel up while heartbeats come" "$(rd $K/p1/channel)" "up"
t0=$(date +%s)
write_ok $K/p1/control "stop 30 kill"
t=$(( $(date +%s) - t0 ))
check_eq "a cooperative stop is a stop" "$(rd $K/p1/state) $(rd $K/p1/exit_reason)" "stopped stop"
check "it did not wait for the timeout ($t s)" test "$t" -lt 30
check_eq "pool whole" "$(rd $K/pool_free)" "$pool"
echo EXPECT-APP-BOOTS: ttyS1 2
finish
