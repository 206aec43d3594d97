#!/bin/sh
# Helpers for the guest side of the end-to-end tests (run by the boot
# kernel's /init under busybox sh). Each check prints "PASS: what" or
# "FAIL: what (details)"; finish() returns non-zero if anything failed.
# Lines starting with "EXPECT-APP:" tell the host what the application
# kernel's console must show.

K=/sys/fs/kpart
fails=0

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
finish() {
	echo "SUMMARY: $fails failure(s)"
	[ "$fails" -eq 0 ]
}

# check DESCRIPTION COMMAND...
check() {
	desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# check_eq DESCRIPTION ACTUAL EXPECTED
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: got '$2', want '$3'"; fi
}

online() { cat /sys/devices/system/cpu/online; }

# The resources a failed operation must leave untouched
snapshot() {
	echo "pool_free=$(cat $K/pool_free) available=$(cat $K/pool_available)" \
		"assigned=$(cat $K/cpus_assigned) online=$(online)"
	for d in $K/*/; do
		[ -d "$d" ] || continue
		echo "$(basename "$d"): cpus=$(cat "$d/cpus") memory=$(cat "$d/memory")" \
			"kernel=$(cat "$d/kernel") state=$(cat "$d/state")"
	done
}

# write_ok FILE VALUE: a write that must succeed
write_ok() {
	if out=$(sh -c "echo '$2' > '$1'" 2>&1); then
		pass "write '$2' to ${1#$K/}"
	else
		fail "write '$2' to ${1#$K/}: $out ($(dmesg | tail -n 1))"
	fi
}

# expect_error DESC FILE VALUE ERRNO_TEXT LOG_TEXT: a write that must fail
# with that errno and log that line, leaving everything else unchanged.
expect_error() {
	desc=$1 file=$2 value=$3 err=$4 log=$5
	before=$(snapshot)
	dmesg -c >/dev/null
	if out=$(sh -c "echo '$value' > '$file'" 2>&1); then
		fail "$desc: write succeeded"
		return
	fi
	msg=$(dmesg | grep 'kpart' | tail -n 1)
	after=$(snapshot)
	if ! echo "$out" | grep -q "$err"; then
		fail "$desc: error '$out', want '$err'"
	elif ! echo "$msg" | grep -q "$log"; then
		fail "$desc: kernel log '$msg', want '$log'"
	elif [ "$before" != "$after" ]; then
		fail "$desc: state changed: before [$before] after [$after]"
	else
		pass "$desc: $err; log: ${msg#*] }"
	fi
}

# wait_state NAME STATE [SECONDS]
wait_state() {
	i=0
	lim=$(( ${3:-120} * 10 ))
	while read -r st < $K/$1/state && [ "$st" != "$2" ]; do
		i=$((i + 1))
		if [ $i -ge $lim ]; then
			fail "$1 did not reach '$2' within ${3:-120} s (state $(cat $K/$1/state))"
			return 1
		fi
		sleep 0.1
	done
	pass "$1 is $2"
}

# setup NAME CPUS MEMORY CONSOLE [APP-ARGS]: a partition ready to start
setup() {
	mkdir $K/$1 || { fail "mkdir $1"; return 1; }
	write_ok $K/$1/cpus "$2"
	write_ok $K/$1/memory "$3"
	write_ok $K/$1/kernel /boot/bzImage
	write_ok $K/$1/initrd /boot/app.cpio.gz
	write_ok $K/$1/console "$4"
	write_ok $K/$1/cmdline "console=$4,115200 idle=halt $5"
}

# expect_app NAME: tell the host what NAME's console must report
expect_app() {
	con=$(cat $K/$1/console)
	range=$(cat $K/$1/memory_range)
	base=$(printf '0x%016x' $(( ${range%-*} + 0x200000 )))
	end=$(printf '0x%016x' $(( ${range#*-} )))
	cpus=$(wc -w < $K/$1/apic_ids)
	echo "EXPECT-APP: $con cpus=$cpus apicids=$(tr ' ' ',' < $K/$1/apic_ids | tr -d '\n') ram=$base-$end"
}

# wait_channel NAME STATE [SECONDS]: the channel file starts with STATE
wait_channel() {
	i=0
	lim=$(( ${3:-60} * 10 ))
	while :; do
		st=$(cat $K/$1/channel)
		case $st in "$2"*) break ;; esac
		i=$((i + 1))
		if [ $i -ge $lim ]; then
			fail "$1 channel not '$2' within ${3:-60} s (channel '$st')"
			return 1
		fi
		sleep 0.1
	done
	pass "$1 channel is $st"
}
