#!/bin/sh
# The boot kernel's own life cycle against running partitions:
# - suspend (freeze and mem) is refused while a partition runs: its
#   kernel owns CPUs and memory the boot kernel would take down. The
#   partition keeps running and answering, and a refused suspend leaves
#   nothing behind: starts still work afterwards;
# - under kernel lockdown (integrity, as Secure Boot turns on), a start is
#   refused like kexec_load: an unsigned kernel would run in ring 0. A
#   partition that runs already keeps running and can still be stopped.
# Lockdown is one way, so it comes last. The debug boot kernel is the one
# with the lockdown LSM and suspend (kernel-patches/debug.config).
# e2e-kernel: debug
# e2e-timeout: 900
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh

check "the boot kernel can suspend (freeze listed in /sys/power/state)" \
	grep -qw freeze /sys/power/state

setup p1 2 128M ttyS1
write_ok $K/p1/control start
wait_state p1 running
wait_channel p1 up 60
expect_app p1 2 128M

for state in freeze mem; do
	grep -qw $state /sys/power/state || continue
	dmesg -c >/dev/null
	out=$(sh -c "echo $state > /sys/power/state" 2>&1)
	rc=$?
	check "suspend ($state) refused while p1 runs" [ $rc -ne 0 ]
	check "suspend ($state): Device or resource busy" sh -c "echo '$out' | grep -q 'busy'"
	check "suspend ($state): kpart says why" sh -c \
		"dmesg | grep -q 'kpart: p1: is running: the boot kernel cannot suspend or hibernate; stop it first'"
	check_eq "p1 still running after the refused suspend ($state)" "$(rd $K/p1/state)" "running"
done
check "p1 still answers after the refused suspends" kpart-ping ping /dev/kpart-echo/p1 100

# Nothing left blocked: a second partition starts
setup p2 3 128M none
write_ok $K/p2/control start
wait_state p2 running
write_ok $K/p2/control stop
wait_state p2 stopped

# Lockdown
mountpoint -q /sys/kernel/security || mount -t securityfs none /sys/kernel/security
check "lockdown is available" test -w /sys/kernel/security/lockdown
write_ok /sys/kernel/security/lockdown integrity
check "the kernel is locked down" grep -q '\[integrity\]' /sys/kernel/security/lockdown
expect_error "start refused under lockdown" $K/p2/control start \
	"Operation not permitted" "start refused: the kernel is locked down"
check_eq "p2 still stopped" "$(rd $K/p2/state)" "stopped"
check_eq "p1 still running under lockdown" "$(rd $K/p1/state)" "running"
write_ok $K/p1/control stop
wait_state p1 stopped
expect_error "restart refused under lockdown" $K/p1/control start \
	"Operation not permitted" "start refused: the kernel is locked down"
check_eq "all CPUs back" "$(online)" "0-3"
echo "EXPECT-APP-BOOTS: ttyS1 1"
finish
