#!/bin/sh
# Starting a partition runs an unsigned kernel in ring 0 with access to
# all memory: root without CAP_SYS_BOOT cannot start, stop or kill one,
# root without CAP_SYS_ADMIN cannot configure one (both checked at write
# time, for the opener and the writer), where partitions and the pool lie
# is root's only, the netlink events need CAP_SYS_ADMIN, and
# start_disabled switches starting off for good. kpart-priv
# (tests/e2e/tools) drops the capabilities: busybox has no capsh.
# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1
. /tests/lib.sh

# priv_refused DESC LOG KPART-PRIV-ARGS...: must fail with EPERM, log LOG
# and change nothing
priv_refused() {
	local desc=$1 log=$2 before out msg
	shift 2
	before=$(snapshot)
	dmesg -c >/dev/null
	out=$(kpart-priv "$@" 2>&1)
	msg=$(dmesg | grep 'kpart' | grep -- "$log" | tail -n 1)
	if ! echo "$out" | grep -q "Operation not permitted"; then
		fail "$desc: got '$out', want EPERM"
	elif [ -z "$msg" ]; then
		fail "$desc: no kernel log line '$log' among: $(dmesg | grep 'kpart' | tr '\n' '|')"
	elif [ "$before" != "$(snapshot)" ]; then
		fail "$desc: state changed: before [$before] after [$(snapshot)]"
	else
		pass "$desc: EPERM; log: ${msg#*] }"
	fi
}

# priv_ok DESC KPART-PRIV-ARGS...: must succeed
priv_ok() {
	local desc=$1 out
	shift
	out=$(kpart-priv "$@" 2>&1)
	check_eq "$desc" "$out" "ok"
}

mkdir $K/p1 $K/p3
priv_refused "mkdir without CAP_SYS_ADMIN" "p2: mkdir refused: needs CAP_SYS_ADMIN" \
	-d sys_admin mkdir $K/p2
check "no p2 made" test ! -e $K/p2
priv_refused "rmdir without CAP_SYS_ADMIN" "p3: rmdir refused: needs CAP_SYS_ADMIN" \
	-d sys_admin rmdir $K/p3
check "p3 still there" test -d $K/p3

# Configuration needs CAP_SYS_ADMIN, the opener's and the writer's
for f in "cpus 2" "memory 128M" "kernel /boot/bzImage" "initrd /boot/app.cpio.gz" \
	"cmdline quiet" "console ttyS1" "smt_split 1" "numa_node 0" "devices 0000:00:01.0"; do
	set -- $f
	priv_refused "$1 without CAP_SYS_ADMIN" "p1: write to $1 refused: needs CAP_SYS_ADMIN" \
		-d sys_admin write $K/p1/$1 "$2"
done
priv_refused "cpus, CAP_SYS_ADMIN dropped after open" \
	"p1: write to cpus refused: needs CAP_SYS_ADMIN" -a sys_admin write $K/p1/cpus 2
priv_ok "cpus with CAP_SYS_ADMIN, without CAP_SYS_BOOT" -d sys_boot write $K/p1/cpus 2
check_eq "p1 cpus written" "$(rd $K/p1/cpus)" "2"
configure p1 2 128M ttyS1 "console=ttyS1,115200 idle=halt"

# The refusal's log line is rate limited (the kernel's default: 10 lines
# per 5 s from one call site, so that a user without the capability
# cannot flood the log), and the ten refused writes above all came from
# that one line of kmod/fs.c. On a fast run the next two refusals fell
# within the same 5 s and went unlogged: wait the window out.
sleep 5

# Starting, stopping and killing need CAP_SYS_BOOT
priv_refused "start without CAP_SYS_BOOT" "p1: write to control refused: needs CAP_SYS_BOOT" \
	-d sys_boot write $K/p1/control start
priv_refused "start, CAP_SYS_BOOT dropped after open" \
	"p1: write to control refused: needs CAP_SYS_BOOT" -a sys_boot write $K/p1/control start
priv_refused "start by root without any capability" \
	"p1: write to control refused: needs CAP_SYS_BOOT" -d all write $K/p1/control start
check_eq "p1 not started" "$(rd $K/p1/state)" "stopped"
write_ok $K/p1/control start
wait_state p1 running
expect_app p1 2 128M
priv_refused "stop without CAP_SYS_BOOT" "p1: write to control refused: needs CAP_SYS_BOOT" \
	-d sys_boot write $K/p1/control stop
priv_refused "kill without CAP_SYS_BOOT" "p1: write to control refused: needs CAP_SYS_BOOT" \
	-d sys_boot write $K/p1/control kill
check_eq "p1 still running" "$(rd $K/p1/state)" "running"

# Who may read what
for f in pool_range p1/memory_range p1/console_log; do
	check_eq "$f is root's only" "$(stat -c %a $K/$f)" "400"
done
for f in version pool_size pool_free pool_available pool_nodes cpus_assigned \
	devices p1/state p1/exit_reason p1/channel; do
	check_eq "$f is readable by all" "$(stat -c %a $K/$f)" "444"
done
check_eq "control is write-only, root's" "$(stat -c %a $K/p1/control)" "200"
check_eq "cpus" "$(stat -c %a $K/p1/cpus)" "644"
check_eq "devices" "$(stat -c %a $K/p1/devices)" "644"
check_eq "start_disabled" "$(stat -c %a $K/start_disabled)" "644"
out=$(kpart-priv -u 65534 read $K/pool_range 2>&1)
check "nobody cannot read pool_range ($out)" sh -c "echo '$out' | grep -q 'Permission denied'"
out=$(kpart-priv -u 65534 read $K/p1/memory_range 2>&1)
check "nobody cannot read memory_range ($out)" sh -c "echo '$out' | grep -q 'Permission denied'"
out=$(kpart-priv -u 65534 read $K/p1/console_log 2>&1)
check "nobody cannot read console_log ($out)" sh -c "echo '$out' | grep -q 'Permission denied'"
out=$(kpart-priv -u 65534 read $K/p1/state 2>&1)
check_eq "nobody reads state" "$out" "running
ok"
out=$(kpart-priv -u 65534 write $K/p1/control stop 2>&1)
check "nobody cannot write control ($out)" sh -c "echo '$out' | grep -q 'Permission denied'"

# Netlink events: joining the group needs CAP_SYS_ADMIN
priv_ok "join the events group as root" join
out=$(kpart-priv -a sys_admin join 2>&1)
check_eq "join the events group without CAP_SYS_ADMIN" "$out" \
	"error: Operation not permitted (errno 1)"
out=$(kpart-priv -u 65534 join 2>&1)
check_eq "join the events group as nobody" "$out" "error: Operation not permitted (errno 1)"

write_ok $K/p1/control stop
check_eq "p1 stopped by root" "$(rd $K/p1/state)" "stopped"

# start_disabled: one way, CAP_SYS_BOOT; last, as it lasts until reboot
priv_refused "start_disabled without CAP_SYS_BOOT" \
	"/: write to start_disabled refused: needs CAP_SYS_BOOT" -d sys_boot write $K/start_disabled 1
check_eq "start_disabled still 0" "$(rd $K/start_disabled)" "0"
write_ok $K/start_disabled 1
check_eq "start_disabled 1" "$(rd $K/start_disabled)" "1"
expect_error "start while start_disabled" $K/p1/control start "not permitted" \
	"p1: start refused: start_disabled is set"
expect_error "start_disabled cannot be cleared" $K/start_disabled 0 "not permitted" \
	"start_disabled cannot be cleared"
check "the module cannot be unloaded meanwhile" sh -c "umount $K && ! rmmod kpart 2>/dev/null; mount -t kpart none $K"
check_eq "p1 still stopped" "$(rd $K/p1/state)" "stopped"
rmdir $K/p1 $K/p3
echo EXPECT-APP-BOOTS: ttyS1 1
finish
