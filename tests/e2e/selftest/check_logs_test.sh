#!/usr/bin/env bash
# check-logs.sh, the host half of every end-to-end test, against logs made
# up here: one good run passes, and each way a run can go wrong (a FAIL
# line under rc=0, a guest that died before its EXPECT lines, an
# application kernel that saw other CPUs or RAM, a WARNING or unannounced
# panic in an application kernel, a broken promise) fails it.
#
#   check_logs_test.sh CHECK_LOGS
set -uo pipefail
CHECK=$1
T=$(mktemp -d /tmp/kpart-check-logs.XXXXXX)
trap 'rm -rf "$T"' EXIT
failures=0
n=0

# A good run of a test "t" with one partition on ttyS1
good() {
	rm -rf "$T/out" && mkdir -p "$T/out"
	printf '#!/bin/sh\n# e2e-promise: EXPECT-APP=1 EXPECT-APP-BOOTS=1\n' >"$T/t.sh"
	cat >"$T/out/ttyS0.log" <<'L'
BOOT: running test t
PASS: p1 is running
EXPECT-APP: ttyS1 cpus=2 apicids=2,3 ram=0x0000000040200000-0x000000004fffffff
PASS: p1 stopped
EXPECT-APP-BOOTS: ttyS1 1
SUMMARY: 0 failure(s)
KPART-TEST-RESULT: t rc=0
L
	cat >"$T/out/ttyS1.log" <<'L'
[    0.000000] Linux version 6.12
APP: init reached
APP: cpus=2 apicids=2,3 memtotal_kb=230000 ram=0x0000000040200000-0x000000004fffffff 
APP: kernel 6.12 cmdline: console=ttyS1
L
}

# expect RC DESCRIPTION [REASON]: check-logs on $T/out exits RC, and when
# it fails, says REASON (a regex) in a FAIL line
expect() {
	local rc=0 got
	n=$((n + 1))
	got=$("$CHECK" t "$T/out" "$T/t.sh" 2>&1) || rc=$?
	if [[ $rc -eq $1 && -n ${3:-} ]] && ! grep -qE "^FAIL: .*$3" <<<"$got"; then
		echo "FAIL: $2: exit $rc but not for the reason '$3'"
		sed 's/^/    | /' <<<"$got"
		failures=$((failures + 1))
	elif [[ $rc -eq $1 ]]; then
		echo "ok: $2 (exit $rc)"
	else
		echo "FAIL: $2: exit $rc, want $1"
		sed 's/^/    | /' <<<"$got"
		failures=$((failures + 1))
	fi
}
edit() { sed -i "$2" "$T/out/$1"; }

good
expect 0 "a good run passes"
grep -qx 't EXPECT-APP=1/1 EXPECT-APP-BOOTS=1/1 EXPECT-APP-PANICS=0/0 EXPECT-APP-DISTINCT=0/0 EXPECT-APP-SAYS=0/0 guest-checks=2' "$T/out/checked" ||
	{ echo "FAIL: checked file: $(cat "$T/out/checked")"; failures=$((failures + 1)); }

good; edit ttyS0.log '2a FAIL: something'
expect 1 "a FAIL line fails the test even with rc=0" 'printed 1 FAIL line'
good; edit ttyS0.log 's/rc=0/rc=1/'
expect 1 "a non-zero guest exit fails" 'did not pass'
good; edit ttyS0.log '/KPART-TEST-RESULT/d'
expect 1 "no result line fails" 'no result line'
good; edit ttyS0.log '/SUMMARY/d'
expect 1 "no summary line fails" 'SUMMARY: 0 failure'
good; edit ttyS0.log '/PASS:/d'
expect 1 "a guest that passed no check fails" 'passed no check'
good; edit ttyS0.log '/^EXPECT-APP/d'
expect 1 "a guest that printed none of its promised EXPECT lines fails" 'printed 0 line.*promises 1'
good; edit ttyS0.log '/^EXPECT-APP-BOOTS/d'
expect 1 "one promised EXPECT-APP-BOOTS line missing fails" 'EXPECT-APP-BOOTS: the guest printed 0'
good; echo '# e2e-promise: EXPECT-APP=2 EXPECT-APP-BOOTS=1' >>"$T/t.sh"; sed -i '2d' "$T/t.sh"
expect 1 "fewer EXPECT-APP lines than promised fails" 'EXPECT-APP: the guest printed 1 line.*promises 2'
good; sed -i '/e2e-promise/d' "$T/t.sh"
expect 1 "a script without a promise fails" 'no .# e2e-promise:. header'
good; sed -i 's/EXPECT-APP-BOOTS=1/EXPECT-APP-BOOT=1/' "$T/t.sh"
expect 1 "a misspelt promise fails" 'bad promise'
good; edit ttyS1.log 's/apicids=2,3/apicids=2,4/'
expect 1 "the application kernel saw other APIC IDs" 'no application kernel report'
good; edit ttyS1.log 's/cpus=2/cpus=1/'
expect 1 "the application kernel saw another CPU count" 'no application kernel report'
good; edit ttyS1.log 's/4fffffff $/4fffffff 0x100000000-0x1ffffffff/'
expect 1 "the application kernel saw RAM beyond its partition" 'no application kernel report'
good; edit ttyS1.log 's/4fffffff $/3fffffff/'
expect 1 "the application kernel saw less RAM" 'no application kernel report'
good; edit ttyS1.log 's/memtotal_kb=230000/memtotal_kb=100000/'
expect 1 "MemTotal far below the partition's RAM fails" 'MemTotal'
good; edit ttyS1.log '/^APP: cpus/d'
expect 1 "no report from the application kernel fails" 'no application kernel report'
good; edit ttyS1.log '/init reached/d'
expect 1 "init reached 0 times of 1 fails" 'init reached 0 time'
good; echo 'APP: init reached' >>"$T/out/ttyS1.log"
expect 1 "init reached twice of once fails" 'init reached 2 time'
good; edit ttyS1.log '1a [    1.0] WARNING: CPU: 1 PID: 1 at mm/x.c:1 f+0x1/0x2'
expect 1 "a WARNING in an application kernel fails" 'ttyS1: an application kernel reported a problem'
good; edit ttyS1.log '1a [    1.0] BUG: kernel NULL pointer dereference, address: 0'
expect 1 "a BUG in an application kernel fails" 'ttyS1: an application kernel reported a problem'
good; edit ttyS1.log '$a [    9.0] Kernel panic - not syncing: Attempted to kill init!'
echo '[    9.1] ---[ end Kernel panic - not syncing: Attempted to kill init! ]---' >>"$T/out/ttyS1.log"
expect 1 "an unannounced application kernel panic fails" '1 application kernel panic.*want 0'
sed -i '5a EXPECT-APP-PANICS: ttyS1 1' "$T/out/ttyS0.log"
sed -i 's/EXPECT-APP-BOOTS=1$/EXPECT-APP-BOOTS=1 EXPECT-APP-PANICS=1/' "$T/t.sh"
expect 0 "an announced panic passes"
echo '[   19.0] Kernel panic - not syncing: Attempted to kill init!' >>"$T/out/ttyS1.log"
expect 1 "two panics where one was announced fails" '2 application kernel panic.*want 1'
good; edit ttyS0.log '1a [    3.0] general protection fault, probably for non-canonical address'
expect 1 "a fault in the boot kernel fails" 'boot kernel reported a problem'
good; edit ttyS0.log '1a [  120.0] INFO: task partd:77 blocked for more than 120 seconds.'
expect 1 "a hung task in the boot kernel fails" 'boot kernel reported a problem'
good; edit ttyS0.log '1a [   45.0] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:'
expect 1 "an RCU stall in the boot kernel fails" 'boot kernel reported a problem'
good; edit ttyS0.log '1a [   50.0] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [sh:80]'
expect 1 "a soft lockup in the boot kernel fails" 'boot kernel reported a problem'
good; edit ttyS0.log '1a [   60.0] WARNING: possible circular locking dependency detected'
expect 1 "a lockdep report in the boot kernel fails" 'boot kernel reported a problem'
# EXPECT-APP-DISTINCT: three boots at three addresses
good; sed -i 's/EXPECT-APP-BOOTS=1$/EXPECT-APP-BOOTS=1 EXPECT-APP-DISTINCT=1/' "$T/t.sh"
sed -i '5a EXPECT-APP-DISTINCT: ttyS1 3 APP: kernel at' "$T/out/ttyS0.log"
printf 'APP: kernel at phys 1000000-1ffffff\nAPP: kernel at phys 3000000-3ffffff\nAPP: kernel at phys 5000000-5ffffff\n' >>"$T/out/ttyS1.log"
expect 0 "three different load addresses pass"
sed -i 's/5000000-5ffffff/1000000-1ffffff/' "$T/out/ttyS1.log"
expect 1 "a load address seen twice fails" 'only 2 of 3 lines'
sed -i '$d' "$T/out/ttyS1.log"
expect 1 "fewer lines than announced fails" '2 line.*want 3'
# EXPECT-APP-SAYS: the application kernel said exactly that, that often
good; sed -i 's/EXPECT-APP-BOOTS=1$/EXPECT-APP-BOOTS=1 EXPECT-APP-SAYS=1/' "$T/t.sh"
sed -i '5a EXPECT-APP-SAYS: ttyS1 1 APP: apic x2APIC' "$T/out/ttyS0.log"
echo 'APP: apic x2APIC' >>"$T/out/ttyS1.log"
expect 0 "a line said once passes"
sed -i 's/^APP: apic x2APIC$/APP: apic xAPIC/' "$T/out/ttyS1.log"
expect 1 "another line fails" "'APP: apic x2APIC' 0 time"
echo 'APP: apic x2APIC trailing' >>"$T/out/ttyS1.log"
expect 1 "a line that only starts alike fails" "'APP: apic x2APIC' 0 time"
good; rm "$T/out/ttyS0.log"
expect 1 "no boot kernel log fails" 'no boot kernel log'

echo "check_logs: $((n - failures)) passed, $failures failed"
[[ $failures -eq 0 ]]
