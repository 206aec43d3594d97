#!/bin/sh
# Every bad request gets an errno and one kernel log line saying what was
# wrong, and changes nothing.
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh

check "mkdir with a bad name fails" sh -c "! mkdir '$K/bad name' 2>/dev/null"
check "mkdir .hidden fails" sh -c "! mkdir $K/.hidden 2>/dev/null"
mkdir $K/p1 $K/p2
write_ok $K/p2/cpus 3

expect_error "invalid cpulist" $K/p1/cpus "2-x" "Invalid argument" "invalid cpulist"
expect_error "CPU 0" $K/p1/cpus "0-1" "Invalid argument" "CPU 0 stays with the boot kernel"
expect_error "CPU beyond the machine" $K/p1/cpus "9" "Invalid argument" "CPUs are numbered below 4"
expect_error "CPU of another partition" $K/p1/cpus "2-3" "busy" "CPU 3 belongs to partition p2"
expect_error "more memory than the pool" $K/p1/memory "64G" "Cannot allocate memory" \
	"memory 65536 MiB refused: node 0: 65536 MiB asked there, [0-9]* MiB of the node.s 1024 MiB pool not claimed"
expect_error "bad memory size" $K/p1/memory "lots" "Invalid argument" "invalid memory size"
expect_error "missing kernel image" $K/p1/kernel "/boot/missing" "No such file" "cannot be opened"
expect_error "kernel not a bzImage" $K/p1/kernel "/boot/not-a-kernel" "Exec format error" "not a usable bzImage"
expect_error "relative kernel path" $K/p1/kernel "boot/bzImage" "Invalid argument" "not an absolute path"
expect_error "missing initrd" $K/p1/initrd "/boot/missing.cpio" "No such file" "cannot be opened"
expect_error "bad console" $K/p1/console "ttyS9" "Invalid argument" "invalid console"
expect_error "unknown control" $K/p1/control "jump" "Invalid argument" "unknown control command"
expect_error "start without resources" $K/p1/control "start" "Invalid argument" "set cpus, memory and kernel"
expect_error "stop while stopped" $K/p1/control "stop" "Invalid argument" "stop refused"

# Now a running partition
write_ok $K/p1/cpus 2
write_ok $K/p1/memory 128M
write_ok $K/p1/kernel /boot/bzImage
write_ok $K/p1/initrd /boot/app.cpio.gz
write_ok $K/p1/console ttyS1
write_ok $K/p1/cmdline "console=ttyS1,115200 idle=halt"
write_ok $K/p1/control start
wait_state p1 running
expect_app p1 2 128M
expect_error "start while running" $K/p1/control "start" "busy" "start refused: partition is running"
expect_error "cpus while running" $K/p1/cpus "2-3" "busy" "cannot change cpus while running"
expect_error "memory while running" $K/p1/memory "256M" "busy" "cannot change memory while running"
expect_error "kernel while running" $K/p1/kernel "/boot/bzImage" "busy" "cannot change kernel while running"
before=$(snapshot)
dmesg -c >/dev/null
out=$(rmdir $K/p1 2>&1)
rc=$?
# The line asked for, not the last one: the channel may log meanwhile
msg=$(dmesg | grep kpart | grep "cannot delete while running" | tail -n 1)
if [ $rc -ne 0 ] && echo "$out" | grep -q busy && [ -n "$msg" ] &&
	[ "$before" = "$(snapshot)" ]; then
	pass "delete while running: busy; log: ${msg#*] }"
else
	fail "delete while running: rc=$rc out='$out' log='$msg'"
fi
check_eq "p1 still running after all that" "$(rd $K/p1/state)" "running"
write_ok $K/p1/control stop
check "rmdir p1 once stopped" rmdir $K/p1
check "rmdir p2" rmdir $K/p2
check_eq "pool whole" "$(rd $K/pool_free)" "$(rd $K/pool_size)"
check_eq "nothing assigned" "$(rd $K/cpus_assigned)" ""
check_eq "all CPUs online" "$(online)" "0-3"
echo EXPECT-APP-BOOTS: ttyS1 1
finish
