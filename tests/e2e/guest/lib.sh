#!/bin/sh
# Helpers for the guest side of the end-to-end tests (run by the boot
# kernel's /init under busybox sh). Each check prints "PASS: what" or
# "FAIL: what (details)"; finish() returns non-zero if anything failed.
# Lines starting with "EXPECT-APP:" tell the host what the application
# kernel's console must show; the script's "# e2e-promise:" header says how
# many of them the host must find (tests/e2e/check-logs.sh).
#
# No helper passes on what it could not observe: a file that cannot be
# read is a failure (rd), and a wait ends in PASS only once the value was
# read and matched.

K=${K:-/sys/fs/kpart}
fails=0

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
finish() {
	echo "SUMMARY: $fails failure(s)"
	[ "$fails" -eq 0 ]
}

# check DESCRIPTION COMMAND...
check() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# check_eq DESCRIPTION ACTUAL EXPECTED
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: got '$2', want '$3'"; fi
}

# rd FILE: FILE's content. A read error prints a FAIL line (the host
# fails a test on any) and a text no check can want, so that
# check_eq "..." "$(rd FILE)" "" cannot pass on a file that is not there.
rd() {
	cat "$1" 2>/dev/null && return 0
	echo "FAIL: cannot read $1" >&2
	echo "<unreadable $1>"
	return 1
}

online() { rd /sys/devices/system/cpu/online; }

# The resources a failed operation must leave untouched
snapshot() {
	echo "pool_free=$(rd $K/pool_free) available=$(rd $K/pool_available)" \
		"assigned=$(rd $K/cpus_assigned) online=$(online)"
	for d in $K/*/; do
		[ -d "$d" ] || continue
		echo "$(basename "$d"): cpus=$(rd "$d/cpus") memory=$(rd "$d/memory")" \
			"kernel=$(rd "$d/kernel") state=$(rd "$d/state")"
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
# The line is looked for among the kpart lines logged since the write
# began, not taken as the last one: a running partition's channel may log
# ("channel up") at any time.
expect_error() {
	local desc=$1 file=$2 value=$3 err=$4 log=$5 before after out msg
	before=$(snapshot)
	dmesg -c >/dev/null
	if out=$(sh -c "echo '$value' > '$file'" 2>&1); then
		fail "$desc: write succeeded"
		return
	fi
	msg=$(dmesg | grep 'kpart' | grep -- "$log" | tail -n 1)
	after=$(snapshot)
	if ! echo "$out" | grep -q "$err"; then
		fail "$desc: error '$out', want '$err'"
	elif [ -z "$msg" ]; then
		fail "$desc: no kernel log line '$log' among: $(dmesg | grep 'kpart' | tr '\n' '|')"
	elif [ "$before" != "$after" ]; then
		fail "$desc: state changed: before [$before] after [$after]"
	else
		pass "$desc: $err; log: ${msg#*] }"
	fi
}

# wait_state NAME STATE [SECONDS]: until NAME's state reads STATE. Fails
# on timeout and at once when the file cannot be read.
wait_state() {
	local i lim st
	i=0
	lim=$(( ${3:-120} * 10 ))
	while :; do
		if ! st=$(rd $K/$1/state 2>/dev/null); then
			fail "$1: cannot read $K/$1/state while waiting for '$2'"
			return 1
		fi
		[ "$st" = "$2" ] && break
		i=$((i + 1))
		if [ $i -ge $lim ]; then
			fail "$1 did not reach '$2' within ${3:-120} s (state '$st')"
			return 1
		fi
		sleep 0.1
	done
	pass "$1 is $2"
}

# configure NAME CPUS MEMORY CONSOLE CMDLINE: the existing partition NAME
# made ready to start: the boot images and what the arguments say
configure() {
	write_ok $K/$1/cpus "$2"
	write_ok $K/$1/memory "$3"
	write_ok $K/$1/kernel /boot/bzImage
	write_ok $K/$1/initrd /boot/app.cpio.gz
	write_ok $K/$1/console "$4"
	write_ok $K/$1/cmdline "$5"
}

# setup NAME CPUS MEMORY CONSOLE [APP-ARGS]: a partition ready to start
setup() {
	mkdir $K/$1 || { fail "mkdir $1"; return 1; }
	configure "$1" "$2" "$3" "$4" "console=$4,115200 idle=halt $5"
}

# The boot kernel's APIC ID of each CPU, read while all are online (when
# this file is sourced): "cpu:apicid ..."
APICIDS=$(awk -F': ' '/^processor/ {c = $2} /^apicid/ {printf "%s:%s ", c, $2}' /proc/cpuinfo 2>/dev/null)

# cpulist_expand LIST: "1-3,5" -> "1 2 3 5"
cpulist_expand() {
	echo "$1" | tr ',' '\n' | while IFS=- read -r a b; do
		[ -n "$a" ] || continue
		seq "$a" "${b:-$a}"
	done | tr '\n' ' '
}

# size_bytes SIZE: "256M" -> bytes (K, M, G suffixes as the kernel's memparse)
size_bytes() {
	case $1 in
	*K) echo $(( ${1%K} * 1024 )) ;;
	*M) echo $(( ${1%M} * 1024 * 1024 )) ;;
	*G) echo $(( ${1%G} * 1024 * 1024 * 1024 )) ;;
	*) echo "$1" ;;
	esac
}

# in_pool FIRST LAST: "pool" or "low" (the low reserve) when the bytes lie
# inside one range of the pool (pool_range: "0xB-0xE node N [low]" a line)
in_pool() {
	local r _n _nid low found
	found=
	while read -r r _n _nid low; do
		[ -n "$r" ] || continue
		if [ "$1" -ge $(( ${r%-*} )) ] && [ "$2" -le $(( ${r#*-} )) ]; then
			found=${low:-pool}
		fi
	done <<EOF
$(rd $K/pool_range)
EOF
	[ -n "$found" ] && echo "$found"
}

# expect_app NAME CPUS MEMORY: tell the host what NAME's console must
# report, built from what the test asked for: the APIC IDs the boot kernel
# had for CPUS, and MEMORY as RAM less the 2 MiB boot area. Only the
# addresses come from the module (where in the pool it placed NAME: one
# line per range in memory_range, the boot range first); each range must
# lie inside the pool, and together they must be MEMORY, plus at most one
# 2 MiB range from the low reserve (the AP trampoline's memory).
expect_app() {
	local con ranges size ids n c id m r _n _nid a b sum low ram where
	con=$(rd $K/$1/console) && ranges=$(rd $K/$1/memory_range) ||
		{ fail "$1: no expectation for the host"; return 1; }
	size=$(size_bytes "$3")
	sum=0 low=0 ram=
	while read -r r _n _nid; do
		[ -n "$r" ] || continue
		a=$(( ${r%-*} )) b=$(( ${r#*-} ))
		where=$(in_pool $a $b)
		case $where in
		low) [ $((b - a + 1)) -eq $((0x200000)) ] && [ $low -eq 0 ] ||
			fail "$1: range $r from the low reserve is not one 2 MiB range"
			low=$((b - a + 1)) ;;
		pool) sum=$((sum + b - a + 1)) ;;
		*) fail "$1: memory $r ($3 asked) is not inside the pool" ;;
		esac
		# the boot range comes first: its first 2 MiB are the boot area
		[ -n "$ram" ] || a=$((a + 0x200000))
		ram="$ram$(printf '0x%016x-0x%016x' $a $b) "
	done <<EOF
$ranges
EOF
	[ $sum -eq $size ] || fail "$1: memory ranges hold $sum bytes, $3 asked"
	ids= n=0
	for c in $(cpulist_expand "$2"); do
		id=
		for m in $APICIDS; do [ "${m%:*}" = "$c" ] && id=${m#*:}; done
		[ -n "$id" ] || fail "$1: no APIC ID known for CPU $c"
		ids="$ids${ids:+,}$id" n=$((n + 1))
	done
	echo "EXPECT-APP: $con cpus=$n apicids=$ids ram=$(e820_merge $ram)"
}

# e820_merge RANGE...: sorted, adjacent ranges joined, as a kernel prints
# its e820 map
e820_merge() {
	local r a b pa pb out
	pa= out=
	for r in $(for r in "$@"; do echo "$r"; done | sort); do
		a=$(( ${r%-*} )) b=$(( ${r#*-} ))
		if [ -n "$pa" ] && [ $a -eq $((pb + 1)) ]; then
			pb=$b
			continue
		fi
		[ -z "$pa" ] || out="$out$(printf '0x%016x-0x%016x' $pa $pb) "
		pa=$a pb=$b
	done
	[ -z "$pa" ] || out="$out$(printf '0x%016x-0x%016x' $pa $pb)"
	echo "$out"
}

# wait_channel NAME STATE [SECONDS]: the channel file starts with STATE
wait_channel() {
	local i lim st
	i=0
	lim=$(( ${3:-60} * 10 ))
	while :; do
		if ! st=$(rd $K/$1/channel 2>/dev/null); then
			fail "$1: cannot read $K/$1/channel while waiting for '$2'"
			return 1
		fi
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

# start_app NAME CPUS MEMORY: start NAME, wait until it runs, tell the host
# what its console must report (expect_app NAME CPUS MEMORY) and wait for
# its channel to be up. Each step prints its own PASS or FAIL line, and a
# failed step does not skip the later ones.
start_app() {
	write_ok $K/$1/control start
	wait_state $1 running
	expect_app $1 "$2" "$3"
	wait_channel $1 up
}
