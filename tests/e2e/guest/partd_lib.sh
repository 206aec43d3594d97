#!/bin/sh
# Helpers for the partd/partctl end-to-end tests (sourced after lib.sh).
# partd runs in the background with its log in $LOG; the plan it reads on
# start and SIGHUP is $PLAN; the plans are in /tests/plans (tests/e2e/plans).

PLANS=/tests/plans
PLAN=/tmp/plan.json
LOG=/tmp/partd.log
SOCK=/run/kpart/partd.sock
PARTD_PID=

# start_partd [OPTIONS]: partd on $PLAN, verbose (events are logged); returns
# once it answers and its first apply is over.
start_partd() {
	partd -v -p $PLAN "$@" 2>>$LOG &
	PARTD_PID=$!
	wait_idle 120 && pass "partd (pid $PARTD_PID) up, first apply done"
}

# wait_idle [SECONDS]: until partd answers status and runs no job
wait_idle() {
	local i=0
	while [ $i -lt $(( ${1:-60} * 4 )) ]; do
		if [ -S $SOCK ] && partctl --json status 2>/dev/null | grep -q '"busy": false'; then
			return 0
		fi
		if ! kill -0 "$PARTD_PID" 2>/dev/null; then
			fail "partd exited (log below)"
			dump_log
			return 1
		fi
		i=$((i + 1))
		sleep 0.25
	done
	fail "partd still busy after ${1:-60} s"
	dump_log
	return 1
}

dump_log() { sed 's/^/LOG: /' $LOG; }

# show WHAT TEXT: print TEXT for the record, each line as "BOOT: WHAT| line"
show() {
	echo "$2" | while IFS= read -r line; do echo "BOOT: $1| $line"; done
}

# mark: the number of lines in the log so far; since N: the lines after it
mark() { wc -l < $LOG; }
since() { tail -n +$(($1 + 1)) $LOG; }

# wait_log MARK REGEX [SECONDS]: until a log line after MARK matches
wait_log() {
	local i=0
	while [ $i -lt $(( ${3:-60} * 4 )) ]; do
		since "$1" | grep -qE "$2" && return 0
		i=$((i + 1))
		sleep 0.25
	done
	return 1
}

# actions MARK: the actions partd logged after MARK, one per line, without
# the [i/n] counter ("- stop web (not in plan)")
actions() { since "$1" | sed -n 's/^partd: \[[0-9]*\/[0-9]*\] //p'; }

# check_actions DESC MARK EXPECTED: exactly these actions, in this order
check_actions() {
	got=$(actions "$2")
	if [ "$got" = "$3" ]; then
		pass "$1: $(echo "$got" | grep -c .) actions as expected"
	else
		fail "$1: actions differ"
		echo "$3" | sed 's/^/WANT: /'
		echo "$got" | sed 's/^/GOT:  /'
	fi
}

# check_no_actions DESC MARK: partd ended a run after MARK without acting.
# Needs both its word for it (an outcome line that means nothing was done)
# and no step or step count in the log, so that a change of the log format
# cannot make it pass.
check_no_actions() {
	local outcome steps
	outcome=$(since "$2" | grep -E 'the machine matches the plan|rejected \([0-9]+ errors?\): nothing was changed' | head -n 1)
	steps=$(since "$2" | grep -E '\[[0-9]+/[0-9]+\]|: [1-9][0-9]* actions?$|rolling back|undo ')
	if [ -z "$outcome" ]; then
		fail "$1: partd logged no outcome saying it did nothing"
		since "$2" | sed 's/^/LOG: /'
	elif [ -n "$steps" ]; then
		fail "$1: partd acted"
		echo "$steps" | sed 's/^/GOT:  /'
	else
		pass "$1: no actions (${outcome#partd: })"
	fi
}

# field NAME KEY: one value of a partition from `partctl --json status NAME`
field() {
	partctl --json status "$1" |
		sed -n -e "s/^ *\"$2\": \"\(.*\)\",\{0,1\}\$/\1/p" -e "s/^ *\"$2\": \([^\",]*\),\{0,1\}\$/\1/p" |
		head -n 1
}

# kfile NAME FILE: a partition's kernfs file
kfile() { rd $K/$1/$2; }

# each FILE: "name=value ..." of that kernfs file for every partition
each() {
	local out d
	[ -r $K/version ] || { echo "<no $K>"; return 1; }
	out=
	for d in $K/*/; do
		[ -d "$d" ] || continue
		out="$out$(basename "$d")=$(rd "$d/$1") "
	done
	echo "${out% }"
}
boots() { each boot_count; }
states() { each state; }

# machine: everything a rejected request must leave as it is
machine() {
	snapshot
	echo "boots: $(boots)"
	for d in $K/*/; do
		[ -d "$d" ] || continue
		echo "$(basename "$d"): range=$(rd "$d/memory_range") cmdline=$(rd "$d/cmdline")" \
			"initrd=$(rd "$d/initrd") console=$(rd "$d/console")"
	done
}

# run_rc CMD...: run it, output in $OUT, exit status in $RC
run_rc() {
	OUT=$("$@" 2>&1)
	RC=$?
}

# stop_partd SIGNAL: send it and wait for partd to exit; its status in $RC
stop_partd() {
	kill -"$1" "$PARTD_PID"
	wait "$PARTD_PID"
	RC=$?
}
