#!/usr/bin/env bash
# partd.service's `systemd-analyze security` exposure (0 best, 10 worst),
# measured offline on the generated unit; fails above MAX.
#   security_test.sh UNIT MAX
set -euo pipefail
unit=$1 max=$2

if ! command -v systemd-analyze >/dev/null; then
	if [[ -n ${CI:-} ]]; then
		echo "FAIL: systemd-analyze missing and CI is set (scripts/deps.sh installs systemd)"
		exit 1
	fi
	echo "SKIP: systemd-analyze not installed (package systemd); CI would fail here"
	exit 77
fi
# --offline needs systemd 252 (Debian 12)
out=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1) || true
level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
if [[ -z $level ]]; then
	echo "$out"
	echo "FAIL: no exposure level from systemd-analyze security --offline=yes $unit"
	exit 1
fi
# the lines that cost something, for whoever wants to lower it
grep -E '^✗' <<<"$out" | sed -E 's/ {2,}/  /g' || true
echo "partd.service: systemd-analyze security exposure $level (at most $max)"
if awk -v l="$level" -v m="$max" 'BEGIN { exit !(l > m) }'; then
	echo "FAIL: exposure $level is above $max"
	exit 1
fi
