#!/bin/sh
# Stand-in for the kpart module on a fixture directory (tests only).
#
#   fake-kpart.sh KERNFS_DIR [BOOT_SECONDS]
#
# Plays the kernel's part of docs/interfaces.md for what partd writes:
# a new partition directory gets state "stopped"; "start" written to
# NAME/control goes starting -> running after BOOT_SECONDS (default 0.3),
# or -> crashed (exit_reason panic) when the cmdline contains "crashme";
# "stop" goes to stopped (exit_reason stop). Partitions whose state file says
# "reboot-me" are turned into stopped/exit_reason reboot, as if the
# application kernel rebooted itself. With a top-level file "devices"
# (a module with device hand-off) it keeps that file listing every
# partition's NAME/devices as "ADDRESS NAME claimed|owned" (owned while
# the partition runs). Runs until killed.
set -u
root=$1
boot=${2:-0.3}

while :; do
	for d in "$root"/*/; do
		[ -d "$d" ] || continue
		d=${d%/}
		[ -f "$d/state" ] || { echo stopped >"$d/state"; echo none >"$d/exit_reason"; echo 0 >"$d/boot_count"; }
		state=$(cat "$d/state" 2>/dev/null) || continue # deleted meanwhile
		if [ "$state" = reboot-me ]; then
			echo reboot >"$d/exit_reason"
			echo stopped >"$d/state"
		fi
		[ -f "$d/control" ] || continue
		ctl=$(cat "$d/control")
		rm -f "$d/control"
		case $ctl in
		start)
			echo starting >"$d/state"
			if grep -q crashme "$d/cmdline" 2>/dev/null; then
				sleep "$boot"
				echo panic >"$d/exit_reason"
				echo crashed >"$d/state"
			else
				sleep "$boot"
				echo none >"$d/exit_reason"
				echo $(($(cat "$d/boot_count" 2>/dev/null || echo 0) + 1)) >"$d/boot_count"
				echo running >"$d/state"
			fi
			;;
		stop)
			echo stop >"$d/exit_reason"
			echo stopped >"$d/state"
			;;
		esac
	done
	if [ -f "$root/devices" ]; then
		for d in "$root"/*/; do
			d=${d%/}
			[ -f "$d/devices" ] || continue
			st=claimed
			[ "$(cat "$d/state" 2>/dev/null)" = running ] && st=owned
			for a in $(tr ',' ' ' <"$d/devices" 2>/dev/null); do
				echo "$a ${d##*/} $st"
			done
		done | sort >"$root/.devices.new"
		mv "$root/.devices.new" "$root/devices"
	fi
	sleep 0.05
done
