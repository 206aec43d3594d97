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

# Sizes that overflow 64 bits are errors, not 0 (memparse wraps 16E to 0)
expect_error "memory 16E overflows" $K/p1/memory "16E" "Invalid argument" "invalid memory size '16E': too large"
expect_error "memory 17179869184G overflows" $K/p1/memory "17179869184G" "Invalid argument" "too large"
expect_error "memory just below 2^64" $K/p1/memory "18446744073709551615" "Invalid argument" "too large"
expect_error "memory with junk after the suffix" $K/p1/memory "128MB" "Invalid argument" "invalid memory size"
check_eq "p1 memory untouched" "$(rd $K/p1/memory)" "0"
# Values with junk after them, or a NUL byte inside
expect_error "console ttyS1junk" $K/p1/console "ttyS1junk" "Invalid argument" "invalid console 'ttyS1junk'"
expect_error "console io:0x2f8x" $K/p1/console "io:0x2f8x" "Invalid argument" "invalid console"
# nul_refused FILE HEAD TAIL: one write of HEAD NUL TAIL is refused
nul_refused() {
	local out msg before
	before=$(snapshot)
	dmesg -c >/dev/null
	out=$(kpart-priv writenul "$1" "$2" "$3" 2>&1)
	msg=$(dmesg | grep kpart | grep "write to ${1##*/} refused: the value contains a NUL byte" | tail -n 1)
	if [ "$out" = "error: Invalid argument (errno 22)" ] && [ -n "$msg" ] &&
		[ "$before" = "$(snapshot)" ]; then
		pass "'$2\\0$3' to ${1#$K/} refused; log: ${msg#*] }"
	else
		fail "'$2\\0$3' to ${1#$K/}: '$out', log '$msg'"
	fi
}
nul_refused $K/p1/console ttyS1 junk
nul_refused $K/p1/cpus 2 5
nul_refused $K/p1/memory 128M 9
nul_refused $K/p1/kernel /boot/bzImage junk
nul_refused $K/p1/cmdline quiet "init=/bin/evil"
nul_refused $K/p1/control start junk
check_eq "p1 console still none" "$(rd $K/p1/console)" "none"
check_eq "p1 cmdline still empty" "$(rd $K/p1/cmdline)" ""
# Names that would collide with device directories or read as options
for n in console echo control -rf --help; do
	dmesg -c >/dev/null
	if mkdir -- "$K/$n" 2>/dev/null; then
		fail "mkdir '$n' succeeded"
		rmdir -- "$K/$n"
	elif dmesg | grep -q "kpart: invalid partition name '$n'"; then
		pass "mkdir '$n' refused, logged"
	else
		fail "mkdir '$n' refused without the log line: $(dmesg | grep kpart | tail -n 1)"
	fi
done
check "dev/kpart-console is still a directory of consoles or absent" sh -c "[ ! -e /dev/kpart-console ] || [ -d /dev/kpart-console ]"

# A FIFO given as a file fails the type check instead of blocking the open
mkfifo /tmp/fifo
before=$(snapshot)
dmesg -c >/dev/null
out=$(timeout 10 sh -c "echo /tmp/fifo > $K/p1/kernel" 2>&1)
rc=$?
msg=$(dmesg | grep kpart | grep "kernel '/tmp/fifo' is not a regular file" | tail -n 1)
if [ $rc -ne 0 ] && echo "$out" | grep -q "Invalid argument" && [ -n "$msg" ]; then
	pass "kernel FIFO refused at once; log: ${msg#*] }"
else
	fail "kernel FIFO: rc=$rc (124: blocked) out='$out' log='$msg'"
fi

# An initrd larger than the partition, or one that fits but not above
# the kernel, fails the start: it must never be placed below the range
write_ok $K/p2/memory 32M
write_ok $K/p2/kernel /boot/bzImage
dd if=/dev/zero of=/tmp/big.img bs=1M count=40 2>/dev/null
dd if=/dev/zero of=/tmp/fits.img bs=1M count=30 2>/dev/null
write_ok $K/p2/initrd /tmp/big.img
expect_error "initrd larger than the partition" $K/p2/control start "too long" \
	"initrd /tmp/big.img: 41943040 bytes do not fit in 32 MiB"
write_ok $K/p2/initrd /tmp/fits.img
expect_error "initrd that leaves no room for the kernel" $K/p2/control start "too long" \
	"no range of the partition's memory holds the kernel and the 31457280 byte initrd"
# The initrd replaced by a FIFO after it was checked: the start fails on
# its own and the files of other partitions stay usable meanwhile (the
# files are opened without blocking and read without the global lock)
cp /boot/app.cpio.gz /tmp/swap.cpio.gz
write_ok $K/p2/initrd /tmp/swap.cpio.gz
rm /tmp/swap.cpio.gz
mkfifo /tmp/swap.cpio.gz
dmesg -c >/dev/null
timeout 20 sh -c "echo start > $K/p2/control" 2>/tmp/start.err &
bg=$!
sleep 1
t0=$(date +%s)
nodes=$(timeout 30 cat $K/pool_nodes)
t1=$(date +%s)
wait $bg
rc=$?
msg=$(dmesg | grep kpart | grep "initrd /tmp/swap.cpio.gz is not a regular file" | tail -n 1)
check "pool_nodes read within 3 s while p2 starts from a FIFO ($((t1 - t0)) s)" \
	sh -c "[ $((t1 - t0)) -le 3 ] && [ -n '$nodes' ]"
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "Invalid argument" /tmp/start.err && [ -n "$msg" ]; then
	pass "start with a FIFO initrd refused at once; log: ${msg#*] }"
else
	fail "start with a FIFO initrd: rc=$rc (124: blocked) err='$(cat /tmp/start.err)' log='$msg'"
fi
check_eq "p2 stopped" "$(rd $K/p2/state)" "stopped"
check_eq "pool whole after the failed starts" "$(rd $K/pool_free)" "$(rd $K/pool_size)"
check_eq "only p2's claim after the failed starts" "$(rd $K/cpus_assigned)" "3"
write_ok $K/p2/initrd ""
write_ok $K/p2/memory 0

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
