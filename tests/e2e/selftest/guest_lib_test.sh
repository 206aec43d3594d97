#!/usr/bin/env bash
# The guest helpers (tests/e2e/guest/lib.sh, partd_lib.sh) under busybox
# sh, as the boot kernel runs them, against a made-up control directory:
# each must FAIL when what it checks is not there, never PASS on a read
# error or a timeout.
#
#   guest_lib_test.sh GUEST_DIR
set -uo pipefail
G=$(cd "$1" && pwd)
T=$(mktemp -d /tmp/kpart-guest-lib.XXXXXX)
trap 'rm -rf "$T"' EXIT
failures=0
n=0

# run SCRIPT: busybox sh with both libraries sourced and K=$T/k; output in
# $out, exit status in $rc
run() {
	rc=0
	out=$(cd "$T" && T=$T K=$T/k busybox sh -c ". $G/lib.sh; . $G/partd_lib.sh; $1" 2>&1) || rc=$?
}
# expect DESC RC PATTERN: the last run exited RC and printed PATTERN
# (a grep -E regex); NOPASS: and no PASS line
expect() {
	n=$((n + 1))
	if [[ $rc -ne $2 ]] || ! tr "\n" " " <<<"$out" | grep -qE -- "$3" ||
		{ [[ ${4:-} == NOPASS ]] && grep -q '^PASS:' <<<"$out"; }; then
		echo "FAIL: $1: exit $rc (want $2), output:"
		sed 's/^/    | /' <<<"$out"
		failures=$((failures + 1))
	else
		echo "ok: $1"
	fi
}

mkdir -p "$T/k/p1"
echo 1073741824 >"$T/k/pool_size"
echo 0x40000000-0x7fffffff >"$T/k/pool_range"
echo 1 >"$T/k/version"

# ---- wait_state / wait_channel
run 'wait_state nosuch running 2; echo "rc=$?"; finish'
expect "wait_state fails at once on an unreadable state file" 1 'FAIL: nosuch: cannot read .*state.*rc=1' NOPASS
echo starting >"$T/k/p1/state"
run 'wait_state p1 running 1; echo "rc=$?"; finish'
expect "wait_state fails on timeout" 1 "FAIL: p1 did not reach 'running' within 1 s \(state 'starting'\).*rc=1" NOPASS
run '(sleep 0.5; echo running > $K/p1/state) & wait_state p1 running 5; finish'
expect "wait_state passes once the state is read" 0 'PASS: p1 is running'
echo starting >"$T/k/p1/state"
run '(sleep 0.3; rm $K/p1/state) & wait_state p1 running 5; finish'
expect "wait_state fails when the file goes away while waiting" 1 'cannot read' NOPASS
run 'wait_channel p1 up 1; finish'
expect "wait_channel fails on an unreadable channel file" 1 'FAIL: p1: cannot read .*channel' NOPASS
echo "broken: x" >"$T/k/p1/channel"
run 'wait_channel p1 up 1; finish'
expect "wait_channel fails on timeout" 1 "FAIL: p1 channel not 'up' within 1 s" NOPASS
echo "up" >"$T/k/p1/channel"
run 'wait_channel p1 up 1; finish'
expect "wait_channel passes on up" 0 'PASS: p1 channel is up'

# ---- reads that fail cannot equal the empty string
run 'check_eq "no CPUs assigned" "$(rd $K/cpus_assigned)" ""; finish'
expect "check_eq against \"\" fails when the read fails" 1 'FAIL: cannot read .*cpus_assigned' NOPASS
: >"$T/k/cpus_assigned"
run 'check_eq "no CPUs assigned" "$(rd $K/cpus_assigned)" ""; finish'
expect "check_eq against \"\" passes on an empty file" 0 'PASS: no CPUs assigned'
run 'check_eq "states" "$(K=$K/gone; states)" ""; finish'
expect "no partitions is not what a missing control directory shows" 1 'FAIL: states' NOPASS
run 'check_eq a b c; finish'
expect "finish fails after a failure" 1 'SUMMARY: 1 failure'

# ---- expect_app: built from what the test asked
echo ttyS1 >"$T/k/p1/console"
echo 0x40000000-0x4fffffff >"$T/k/p1/memory_range"
run 'APICIDS="0:0 1:1 2:4 3:6"; expect_app p1 2-3 256M; finish'
expect "expect_app: the APIC IDs of the CPUs asked for, the RAM asked for" 0 \
	'EXPECT-APP: ttyS1 cpus=2 apicids=4,6 ram=0x0000000040200000-0x000000004fffffff '
run 'APICIDS="0:0 1:1 2:4 3:6"; expect_app p1 2-3 128M; finish'
expect "expect_app fails when the module's ranges do not hold the size asked" 1 \
	'FAIL: p1: memory ranges hold 268435456 bytes, 128M asked'
printf '%s\n' '0x40000000-0x4fffffff node 1' '0x7fe00000-0x7fffffff node 0' >"$T/k/p1/memory_range"
printf '%s\n' '0x40000000-0x4fffffff node 1' '0x7f000000-0x7fffffff node 0 low' >"$T/k/pool_range"
run 'APICIDS="0:0 1:1 2:4 3:6"; expect_app p1 2-3 256M; finish'
expect "expect_app: every range, sorted, the boot area off the first; a 2 MiB low range on top" 0 \
	'ram=0x0000000040200000-0x000000004fffffff 0x000000007fe00000-0x000000007fffffff'
printf '%s\n' '0x48000000-0x4fffffff node 1' '0x40000000-0x47ffffff node 1' >"$T/k/p1/memory_range"
run 'APICIDS="0:0 1:1 2:4 3:6"; expect_app p1 2-3 256M; finish'
expect "expect_app: adjacent ranges are one in the e820 map" 0 \
	'ram=0x0000000040000000-0x0000000047ffffff 0x0000000048200000-0x000000004fffffff'
printf '%s\n' '0x40000000-0x43ffffff node 1' '0x7fc00000-0x7fffffff node 0' >"$T/k/p1/memory_range"
run 'APICIDS="0:0 1:1 2:4 3:6"; expect_app p1 2-3 64M; finish'
expect "expect_app fails on more than 2 MiB from the low reserve" 1 \
	'FAIL: p1: range 0x7fc00000-0x7fffffff from the low reserve is not one 2 MiB range'
echo 0x40000000-0x7fffffff >"$T/k/pool_range"
echo 0x40000000-0x4fffffff >"$T/k/p1/memory_range"
run 'APICIDS="0:0 1:1 2:4 3:6"; pool=7 range=8 n=9 c=10 i=11; expect_app p1 2-3 256M >/dev/null; wait_state p1 running 1 >/dev/null; echo "vars $pool $range $n $c $i"'
expect "helpers leave the caller's variables alone" 0 'vars 7 8 9 10 11'
echo 0x80000000-0x8fffffff >"$T/k/p1/memory_range"
run 'APICIDS="0:0 1:1 2:4 3:6"; expect_app p1 2-3 256M; finish'
expect "expect_app fails on memory outside the pool" 1 'FAIL: p1: memory .* is not inside the pool'
echo 0x40000000-0x4fffffff >"$T/k/p1/memory_range"
run 'APICIDS="0:0 1:1"; expect_app p1 2-3 256M; finish'
expect "expect_app fails on a CPU whose APIC ID is unknown" 1 'FAIL: p1: no APIC ID known for CPU 2'
rm "$T/k/p1/memory_range"
run 'APICIDS="0:0 1:1 2:4 3:6"; expect_app p1 2-3 256M; finish'
expect "expect_app fails without memory_range" 1 'FAIL: cannot read' NOPASS

# ---- expect_error: the expected log line, wherever it is among the new ones
for f in pool_free pool_available; do echo 1 >"$T/k/$f"; done
for f in cpus memory kernel; do echo x >"$T/k/p1/$f"; done
echo running >"$T/k/p1/state"
# A made-up dmesg: "-c" clears, else it prints $T/dmesg
fake_dmesg='dmesg() { [ "${1:-}" = -c ] || cat $T/dmesg; }'
printf '%s\n' '[ 1.0] kpart: p1: cannot change cpus while running' \
	'[ 1.1] kpart: p1: channel up, application kernel 6.12 (protocol 1)' >"$T/dmesg"
run "$fake_dmesg"'; expect_error "cpus" $K/p1 2-3 "Is a directory" "cannot change cpus"; finish'
expect "expect_error finds its line before a late channel line" 0 'PASS: cpus: Is a directory; log: kpart: p1: cannot change cpus'
printf '%s\n' '[ 1.1] kpart: p1: channel up, application kernel 6.12 (protocol 1)' >"$T/dmesg"
run "$fake_dmesg"'; expect_error "cpus" $K/p1 2-3 "Is a directory" "cannot change cpus"; finish'
expect "expect_error fails without its line" 1 "FAIL: cpus: no kernel log line 'cannot change cpus' among: .*channel up" NOPASS
run "$fake_dmesg"'; expect_error "cpus" $K/p1/cpus 2-3 "Is a directory" "channel up"; finish'
expect "expect_error fails when the write succeeds" 1 'FAIL: cpus: write succeeded' NOPASS

# ---- configure / setup: the partition's files, each write checked
mkdir -p "$T/k/cfg"
run 'configure cfg 2-3 128M none "idle=halt"; for f in cpus memory kernel initrd console cmdline; do echo "$f=$(cat $K/cfg/$f)"; done; finish'
expect "configure writes the six files" 0 \
	"PASS: write '2-3' to cfg/cpus .*PASS: write 'idle=halt' to cfg/cmdline cpus=2-3 memory=128M kernel=/boot/bzImage initrd=/boot/app.cpio.gz console=none cmdline=idle=halt SUMMARY: 0 failure"
run 'setup p2 1 64M ttyS2; echo "cmdline=[$(cat $K/p2/cmdline)]"; finish'
expect "setup makes the partition and a console command line" 0 \
	"PASS: write 'ttyS2' to p2/console PASS: write 'console=ttyS2,115200 idle=halt ' to p2/cmdline cmdline=\\[console=ttyS2,115200 idle=halt \\] SUMMARY: 0 failure"
run 'setup p2 1 64M ttyS2; finish'
expect "setup fails on a partition that is there" 1 'FAIL: mkdir p2' NOPASS
rm -rf "$T/k/cfg" "$T/k/p2"
run 'configure cfg 2-3 128M none "idle=halt"; finish'
expect "configure fails on writes that fail" 1 "FAIL: write '2-3' to cfg/cpus" NOPASS

# ---- start_app: start, running, what the host must see, channel up
echo 0x40000000-0x4fffffff >"$T/k/p1/memory_range"
echo running >"$T/k/p1/state"
echo up >"$T/k/p1/channel"
run 'APICIDS="0:0 1:1 2:4 3:6"; start_app p1 2-3 256M; echo "control=$(cat $K/p1/control)"; finish'
expect "start_app: each step in turn" 0 \
	"PASS: write 'start' to p1/control PASS: p1 is running EXPECT-APP: ttyS1 cpus=2 apicids=4,6 ram=0x0000000040200000-0x000000004fffffff PASS: p1 channel is up control=start SUMMARY: 0 failure"
rm "$T/k/p1/state"
run 'APICIDS="0:0 1:1 2:4 3:6"; start_app p1 2-3 256M; finish'
expect "start_app fails on a failed step and still takes the later ones" 1 \
	'FAIL: p1: cannot read .*state.*EXPECT-APP: ttyS1 .*PASS: p1 channel is up SUMMARY: 1 failure'

# ---- partd: "no actions" needs partd's word and no step in its log
cat >"$T/log" <<'L'
partd: listening to kpart events (generic netlink kpart/events)
partd: /tmp/plan.json: the machine matches the plan
L
run 'LOG=$T/log; check_no_actions "new partd" 0; finish'
expect "no actions: passes on 'matches the plan'" 0 'PASS: new partd: no actions'
printf 'partd: x.json rejected (15 errors): nothing was changed\n' >"$T/log"
run 'LOG=$T/log; check_no_actions "apply" 0; finish'
expect "no actions: passes on a rejection" 0 'PASS: apply: no actions'
printf 'partd: listening\n' >"$T/log"
run 'LOG=$T/log; check_no_actions "new partd" 0; finish'
expect "no actions: fails when partd said nothing" 1 'FAIL: new partd: partd logged no outcome' NOPASS
printf 'partd: p: the machine matches the plan\npartd: [1/2] + start web (autostart)\n' >"$T/log"
run 'LOG=$T/log; check_no_actions "new partd" 0; finish'
expect "no actions: fails on a step" 1 'FAIL: new partd: partd acted' NOPASS
printf 'partd: /tmp/plan.json: 2 actions\npartd: step 1 of 2: start web\n' >"$T/log"
run 'LOG=$T/log; check_no_actions "new partd" 0; finish'
expect "no actions: fails on steps in another format" 1 'FAIL: new partd' NOPASS
printf 'partd: old line\npartd: p: the machine matches the plan\n' >"$T/log"
run 'LOG=$T/log; check_no_actions "after mark" 1; finish'
expect "no actions: looks only after the mark" 0 'PASS: after mark'
printf 'partd: p: the machine matches the plan\npartd: new line\n' >"$T/log"
run 'LOG=$T/log; check_no_actions "after mark" 1; finish'
expect "no actions: an outcome before the mark does not count" 1 'FAIL: after mark: partd logged no outcome'

echo "guest_lib: $((n - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
