#!/bin/sh
# Ending a partition sends INIT to all of its CPUs, brings each back online
# and frees the memory only once every CPU is confirmed back. A CPU that
# does not come back (the test knob test_cpu_lost makes CPU 3 refuse to
# come online, once) leaves the partition crashed with "killed; memory
# quarantined": its memory stays out of the pool (pool_quarantined, not in
# pool_free or pool_available) for good, the other CPU is back, and a later
# start never gets the quarantined range. The operator brings the CPU back
# by hand. A start and stop with every CPU coming back leaves the
# quarantine as it was.
# e2e-promise: EXPECT-APP=2 EXPECT-APP-BOOTS=1
. /tests/lib.sh
pool=$(rd $K/pool_size)
M=1048576

check_eq "nothing quarantined at first" "$(rd $K/pool_quarantined)" "0"
setup p1 2-3 256M ttyS1
start_app p1 2-3 256M
range=$(rd $K/p1/memory_range)
free_running=$(rd $K/pool_free)
write_ok /sys/module/kpart/parameters/test_cpu_lost 3
dmesg -c >/dev/null
write_ok $K/p1/control kill
dmesg | grep 'kpart' | sed 's/^/LOG: /'
check_eq "a partition whose CPU did not come back is crashed" "$(rd $K/p1/state)" "crashed"
check_eq "exit reason says the memory is quarantined" "$(rd $K/p1/exit_reason)" \
	"killed; memory quarantined"
check "INIT went to the CPU that stayed away" sh -c "dmesg | grep -q 'kpart: test: CPU 3 refuses to come back online'"
check "the boot kernel logged the quarantine" sh -c \
	"dmesg | grep -q 'p1: crashed (killed); CPUs 3 did not come back to the boot kernel: 256 MiB of its memory quarantined'"
check_eq "CPU 2 is back, CPU 3 is not" "$(online)" "0-2"
check_eq "the memory did not go back to the pool" "$(rd $K/pool_free)" "$free_running"
check_eq "pool_quarantined" "$(rd $K/pool_quarantined)" "$((256 * M))"
# p1 still claims 256M: available is the pool less the quarantine and that
check_eq "quarantined memory is not available" "$(rd $K/pool_available)" "$((pool - 512 * M))"
check_eq "the knob was for one end" "$(rd /sys/module/kpart/parameters/test_cpu_lost)" "-1"

write_ok /sys/devices/system/cpu/cpu3/online 1
check_eq "the operator brought CPU 3 back" "$(online)" "0-3"

# A new run gets other memory: none of the quarantined range
start_app p1 2-3 256M
new=$(rd $K/p1/memory_range)
echo "BOOT: quarantined [$range] new [$new]"
overlap=
while read -r r _n _nid; do
	[ -n "$r" ] || continue
	while read -r q _qn _qnid; do
		[ -n "$q" ] || continue
		[ $(( ${r%-*} )) -le $(( ${q#*-} )) ] && [ $(( ${q%-*} )) -le $(( ${r#*-} )) ] &&
			overlap="$overlap $r"
	done <<EOF
$range
EOF
done <<EOF
$new
EOF
check_eq "the new run's memory avoids the quarantined range" "$overlap" ""
check_eq "exit reason cleared by the start" "$(rd $K/p1/exit_reason)" "none"
write_ok $K/p1/control stop
check_eq "a clean stop" "$(rd $K/p1/state) $(rd $K/p1/exit_reason)" "stopped stop"
check_eq "all CPUs back" "$(online)" "0-3"
check_eq "the quarantine stays" "$(rd $K/pool_quarantined)" "$((256 * M))"
check_eq "the rest of the pool is free" "$(rd $K/pool_free)" "$((pool - 256 * M))"
echo EXPECT-APP-BOOTS: ttyS1 2
finish
