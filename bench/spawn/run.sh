#!/usr/bin/env bash
# Spawn benchmark (make bench): how long a boot kernel takes to start an
# application kernel, against a cold QEMU boot of the same bzImage and
# initramfs, both timed by this host's clock in the same run; plus the
# boot kernel's memory cost per partition, the smallest partition an
# application kernel boots in, and partctl ping's round trips through the
# channel. Prints figures; the goals are information.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$top/build}
out=$build/bench/spawn
runs=${SPAWN_RUNS:-3}
bzimage=$build/kernel-obj/arch/x86/boot/bzImage
app_initrd=$build/initramfs/app.cpio.gz
mkdir -p "$out"

now() { echo "${EPOCHREALTIME/,/.}"; }

# wait_line FILE PATTERN [N]: wait until the Nth line matching PATTERN
# appears in FILE; print the time it was first seen (10 ms polling).
wait_line() {
	local deadline=$(( ${EPOCHREALTIME%.*} + 600 )) n
	while :; do
		n=$(grep -ac "$2" "$1" 2>/dev/null)
		(( ${n:-0} >= ${3:-1} )) && break
		(( ${EPOCHREALTIME%.*} > deadline )) && return 1
		sleep 0.01
	done
	now
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "== cold boot: QEMU (TCG, 2 vCPUs, 256 MiB) of the same bzImage + initramfs, launch -> init"
cold=()
for i in $(seq 1 "$runs"); do
	log=$out/cold-$i.log
	: >"$log"
	t0=$(now)
	qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 256M -no-reboot \
		-kernel "$bzimage" -initrd "$app_initrd" -display none -monitor none \
		-append "console=ttyS0,115200 idle=halt quiet panic=-1 kpart.app=poweroff" \
		-serial file:"$log" &
	qpid=$!
	t1=$(wait_line "$log" '^APP: init reached') || { echo "cold boot $i: no init marker"; kill $qpid; continue; }
	wait $qpid
	cold+=("$(echo "$t1 - $t0" | bc)")
	printf '  run %d: %.2f s\n' "$i" "${cold[-1]}"
done

echo "== spawn: boot kernel starts the same bzImage + initramfs on CPUs 2-3 / 256 MiB, start request -> init"
rm -f "$out"/machine/ttyS*.log
"$top/scripts/qemu.sh" --test bench_spawn --out "$out/machine" --timeout 1200 >/dev/null &
qpid=$!
spawn=()
for i in $(seq 1 "$runs"); do
	t0=$(wait_line "$out/machine/ttyS0.log" "^SPAWN-START $i") || break
	t1=$(wait_line "$out/machine/ttyS1.log" '^APP: init reached' "$i") || break
	spawn+=("$(echo "$t1 - $t0" | bc)")
	printf '  run %d: %.2f s\n' "$i" "${spawn[-1]}"
done
wait $qpid
sed -i 's/\r$//' "$out"/machine/ttyS*.log

verdict() { [[ $(echo "$1 <= 0.5" | bc) == 1 ]] && echo PASS || echo MISS; }
if [[ ${#cold[@]} -gt 0 && ${#spawn[@]} -gt 0 ]]; then
	c=$(printf '%s\n' "${cold[@]}" | median)
	s1=${spawn[0]}
	r1=$(echo "scale=2; $s1 / $c" | bc)
	echo
	printf '%-44s %8s\n' "measure" "seconds"
	printf '%-44s %8.2f\n' "cold QEMU boot to init (baseline, median)" "$c"
	printf '%-44s %8.2f   ratio %s, goal <= 0.50: %s\n' \
		"spawn to init, first start" "$s1" "$r1" "$(verdict "$r1")"
	if [[ ${#spawn[@]} -gt 1 ]]; then
		# Later starts reuse partition memory that held the previous
		# kernel's code: QEMU's TCG invalidates its translations page by
		# page as the boot kernel rewrites it, which real CPUs never do.
		sr=$(printf '%s\n' "${spawn[@]:1}" | median)
		rr=$(echo "scale=2; $sr / $c" | bc)
		printf '%-44s %8.2f   ratio %s, goal <= 0.50: %s\n' \
			"spawn to init, restarts (median)" "$sr" "$rr" "$(verdict "$rr")"
	fi
else
	echo "spawn benchmark: incomplete (see $out)"
fi

# memcost KIND=N free_before_kb=A free_after_kb=B -> KiB per partition.
# "configured": everything the boot kernel keeps per partition; "running":
# what starting adds (offline CPUs free their per-CPU caches, so it can be
# negative), shown as information.
while read -r _ _ kind before after; do
	n=${kind#*=}
	per=$(( (${before#*=} - ${after#*=}) / (n > 0 ? n : 1) ))
	if [[ ${kind%=*} == configured ]]; then
		printf '%-44s %8s KiB   goal < 1024 KiB: %s\n' \
			"boot-kernel memory per partition ($n made)" "$per" \
			"$( ((per < 1024)) && echo PASS || echo MISS)"
	else
		printf '%-44s %8s KiB   (information)\n' "  added by running ($n running)" "$per"
	fi
done < <(grep -a '^BENCH: memcost' "$out/machine/ttyS0.log")
small=$(sed -n 's/^BENCH: minmem smallest=//p' "$out/machine/ttyS0.log")
printf '%-44s %8s MiB   goal <= 128 MiB: %s\n' "smallest partition that boots to init" \
	"${small:-?}" "$([[ $small =~ ^[0-9]+$ && $small -le 128 ]] && echo PASS || echo MISS)"
grep -a '^BENCH: minmem' "$out/machine/ttyS0.log" | sed 's/^BENCH: /  /'
echo
echo "== partctl ping in QEMU (TCG; boot kernel CPU 0 <-> partition on CPUs 2-3; information only)"
grep -a '^BENCH: qemu-ping' "$out/machine/ttyS0.log" | sed 's/^BENCH: qemu-ping /  /'
