#!/usr/bin/env bash
# Run one end-to-end test: boot the QEMU machine with kpart.test=NAME, which
# runs tests/e2e/guest/NAME.sh in the boot kernel, then check on the host
# what both kernels printed (tests/e2e/check-logs.sh says what is checked).
# A guest script may ask for another machine shape, or more boot kernel
# options, in its header:
#   # e2e-machine: -smp 4,sockets=1,cores=2,threads=2
#   # e2e-append: no5lvl
#   # e2e-kernel: debug        (the debug boot kernel: scripts/kernel.sh debug,
#                                or a kernel image's path)
#   # e2e-disk: @OUT@/disk.img  (boot the system on this disk, not the
#                                initramfs: scripts/qemu.sh --disk)
#   # e2e-timeout: 900         (seconds; default E2E_TIMEOUT or 600)
#   # e2e-accel: tcg           (QEMU's -accel; default scripts/qemu.sh's
#                                single-threaded TCG)
# "@OUT@" in the machine line is the test's output directory (a disk image
# a host script made there). tests/e2e/host/NAME.sh, when there, runs on
# the host with "pre OUTDIR" before the boot and "post OUTDIR" after the
# log checks; the test fails if either fails.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
name=$1
out=${BUILD_DIR:-$top/build}/e2e/$name
rm -f "$out/checked"
[[ -n ${E2E_REBOOTED:-} ]] || rm -f "$out/stalled-ttyS0.log"

script=$top/tests/e2e/guest/$name.sh
machine=$(sed -n 's/^# e2e-machine: //p' "$script")
machine=${machine//@OUT@/$out}
append=$(sed -n 's/^# e2e-append: //p' "$script")
kernel=$(sed -n 's/^# e2e-kernel: //p' "$script")
kernel=${kernel//@OUT@/$out}
disk=$(sed -n 's/^# e2e-disk: //p' "$script")
disk=${disk//@OUT@/$out}
limit=$(sed -n 's/^# e2e-timeout: //p' "$script")
accel=$(sed -n 's/^# e2e-accel: //p' "$script")
[[ -z $accel ]] || export KPART_ACCEL=$accel
host=$top/tests/e2e/host/$name.sh
mkdir -p "$out"
if [[ -x $host ]] && ! "$host" pre "$out"; then
	echo "FAIL: $host pre" >&2
	exit 1
fi
"$top/scripts/qemu.sh" --test "$name" --out "$out" --timeout "${limit:-${E2E_TIMEOUT:-600}}" \
	--machine "$machine" --append "$append" --kernel "$kernel" ${disk:+--disk "$disk"}
sed -i 's/\r$//' "$out"/ttyS*.log	# the UARTs' CRLF line ends
# A boot kernel whose idle CPU lost its timer interrupt before the test
# began (TCG under host load; docs/testing.md, "A known flake") proves
# nothing about kpart either way: boot once more, and say so. Only before
# the guest script started, only once; the stalled log is kept.
if [[ -z ${E2E_REBOOTED:-} ]] && ! grep -aq '^BOOT: running test' "$out/ttyS0.log" &&
	grep -aq "timer wakeup didn't happen" "$out/ttyS0.log"; then
	echo "RETRY: $name: the boot kernel stalled before the test began (an idle CPU's timer interrupt was lost); booting again once, stalled log in $out/stalled-ttyS0.log"
	mv "$out/ttyS0.log" "$out/stalled-ttyS0.log"
	E2E_REBOOTED=1 exec "$0" "$@"
fi
if [[ -f $out/qemu-stall.txt ]]; then
	echo "---- the console was silent for 180 s; QEMU's view then ($out/qemu-stall.txt):"
	grep -aE "CPU #|RIP=|HLT=|^LVTT|^Timer|^ISR|^IRR" "$out/qemu-stall.txt" | head -80
fi
"$top/tests/e2e/check-logs.sh" "$name" "$out" "$script"
rc=$?
if [[ -x $host ]] && ! "$host" post "$out"; then
	echo "FAIL: $host post" >&2
	rc=1
fi
exit $rc
