#!/usr/bin/env bash
# Spawn benchmark (make bench): how long a boot kernel takes to start an
# application kernel, against a cold QEMU boot of the same bzImage and
# initramfs, both timed by this host's clock in the same run; plus the
# boot kernel's memory cost per partition, the smallest partition an
# application kernel boots in, partctl ping's round trips through the
# channel, and where a restart's extra time goes. Guest side: guest.sh.
#
# Samples (at least 5 of each; SPAWN_COLD, SPAWN_FIRST, SPAWN_RESTARTS):
#   cold boot    QEMU (TCG, 2 vCPUs, 256 MiB) launched -> "APP: init reached"
#   first start  "SPAWN-START" on the boot kernel's console -> the same
#                line on the partition's UART, for the first start after
#                the boot kernel booted: its pool memory was never used.
#                One sample per boot of the QEMU machine (the pool hands
#                out memory first fit, so only a fresh boot gives a 256
#                MiB partition the same never-used memory again).
#   restart      the same, starting the same partition again in the same
#                boot (memory that held the previous kernel).
# Cold boots and first-start boots take turns, so a slow phase of this
# host hits both. Every sample that does not reach init counts as failed
# and is reported next to the verdict over the others; the figures are
# median [min-max]; ratios are computed and compared at full precision.
# Goals are information; the exit status is 1 when a sample failed, the
# guest reported an error or a figure could not be measured.
#
# Where a restart's extra time goes (the "restart experiment" table): a
# partition started on pool memory that was never written, that the boot
# kernel wrote data into, that held the previous kernel's code (a plain
# restart), and that held code the boot kernel then overwrote with data.
# Measured (TCG, make bench, three runs on a shared host; medians; see
# docs/architecture.md): the plain restart has the longest boot_time in
# every run, 0.35-0.49 s over fresh memory (1579 against 1094 fresh, 1271
# data, 1080 overwritten; 3681/3280/3027/2222; 1690/1230/1141/1498), and
# the boot kernel laying 128 MiB over memory that held a kernel takes
# 5.3-6.9 s against 0.85-1.1 s over fresh memory: the same writes. Memory
# that only held data starts as fast as fresh memory, and so does memory
# that held a kernel once the boot kernel has written over it (in one run
# of three it lay within the spread between the two): the cost goes to
# whoever first writes pages that held translated code, boot kernel or new
# kernel alike. That is QEMU's TCG invalidating its translations of those
# pages. Our start does the same work in all four conditions; none of the
# restart penalty measured is ours. (Before KASLR the module's layout paid
# it, 2.3-3.1 s per restart against 0.14-0.35 s on fresh memory; now the
# layout takes 0.1-0.3 s in all four.)
set -uo pipefail
export LC_ALL=C

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$top/build}
out=$build/bench/spawn
n_cold=${SPAWN_COLD:-5}
n_first=${SPAWN_FIRST:-5}
n_restart=${SPAWN_RESTARTS:-5}
bzimage=$build/kernel-obj/arch/x86/boot/bzImage
app_initrd=$build/initramfs/app.cpio.gz
for n in "$n_cold" "$n_first" "$n_restart"; do
	[[ $n =~ ^[0-9]+$ && $n -ge 5 ]] ||
		{ echo "spawn benchmark: SPAWN_COLD/FIRST/RESTARTS must be at least 5" >&2; exit 2; }
done
for f in "$bzimage" "$app_initrd" "$build/initramfs/boot.cpio.gz"; do
	[[ -f $f ]] || { echo "spawn benchmark: missing $f (make initramfs)" >&2; exit 2; }
done
rm -rf "$out"
mkdir -p "$out"
samples=$out/samples	# KIND ID ok SECONDS BOOT_US LAYOUT_MS, or KIND ID failed 0 0 0 REASON
: >"$samples"

now() { echo "${EPOCHREALTIME/,/.}"; }
# count FILE TEXT: occurrences of TEXT in FILE, wherever they are on a line
# (a kernel stopped mid-line leaves its last UART line without a newline,
# and the next kernel's first line continues it)
count() { grep -aoF "$2" "$1" 2>/dev/null | wc -l; }
# lines FILE: the lines of FILE that are complete (QEMU writes a UART's
# output to its file as it comes, so the last line may still be growing)
lines() {
	local s
	s=$(cat "$1" 2>/dev/null; echo .)
	s=${s%.}
	if [[ $s != *$'\n'* ]]; then
		s=
	elif [[ $s != *$'\n' ]]; then
		s=${s%$'\n'*}$'\n'
	fi
	printf '%s' "$s"
}
record() { echo "$*" >>"$samples"; }

# cold_sample I: one cold boot, launch -> init marker
cold_sample() {
	local log=$out/cold-$1.log t0 t1='' qpid deadline
	: >"$log"
	t0=$(now)
	timeout 300 qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 256M -no-reboot \
		-kernel "$bzimage" -initrd "$app_initrd" -display none -monitor none \
		-append "console=ttyS0,115200 idle=halt quiet panic=-1 kpart.app=poweroff" \
		-serial file:"$log" &
	qpid=$!
	deadline=$(( ${EPOCHREALTIME%.*} + 300 ))
	while (( ${EPOCHREALTIME%.*} < deadline )) && kill -0 $qpid 2>/dev/null; do
		if (( $(count "$log" 'APP: init reached') > 0 )); then
			t1=$(now)
			break
		fi
		sleep 0.01
	done
	if [[ -n $t1 ]]; then
		wait $qpid
		record cold c$1 ok "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", b - a}')" 0 0
		printf '  cold %d: %.2f s\n' "$1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')"
	else
		kill $qpid 2>/dev/null
		wait $qpid
		record cold c$1 failed 0 0 0 "no init marker (see $log)"
		echo "  cold $1: FAILED, no init marker (see $log)"
	fi
}

# follow DIR QPID ID KIND: time sample ID of a boot: SPAWN-START ID on
# ttyS0 -> the next "APP: init reached" on ttyS1; the guest's SPAWN-END
# says whether it reached init and its channel came up.
follow() {
	local dir=$1 qpid=$2 id=$3 kind=$4 t0='' t1='' base end='' deadline
	deadline=$(( ${EPOCHREALTIME%.*} + 900 ))
	while :; do
		# Not anchored: a kernel message may share the console line
		if lines "$dir/ttyS0.log" | grep -aq "SPAWN-START $id"$'\r'"\?\$"; then
			t0=$(now)
			break
		fi
		if ! kill -0 "$qpid" 2>/dev/null || (( ${EPOCHREALTIME%.*} > deadline )); then
			record "$kind" "$id" failed 0 0 0 "the guest never started it"
			echo "  $kind $id: FAILED, the guest never started it"
			return 1
		fi
		sleep 0.01
	done
	# The previous start was stopped after its init line: all of its lines are in
	base=$(count "$dir/ttyS1.log" 'APP: init reached')
	deadline=$(( ${EPOCHREALTIME%.*} + 600 ))
	while :; do
		if [[ -z $t1 ]] && (( $(count "$dir/ttyS1.log" 'APP: init reached') > base )); then
			t1=$(now)
		fi
		end=$(lines "$dir/ttyS0.log" | grep -ao "SPAWN-END $id .*" | tr -d '\r' | head -n 1)
		[[ -n $end ]] && break
		if ! kill -0 "$qpid" 2>/dev/null || (( ${EPOCHREALTIME%.*} > deadline )); then
			end="SPAWN-END $id FAILED no end of sample from the guest"
			break
		fi
		sleep 0.01
	done
	local st us ms
	read -r _ _ st us ms _ <<<"$end"
	if [[ $st == ok && -n $t1 && $us == boot_time_us=?* && $ms == layout_ms=?* ]]; then
		local s
		us=${us#boot_time_us=} ms=${ms#layout_ms=}
		s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", b - a}')
		record "$kind" "$id" ok "$s" "$us" "$ms"
		printf '  %s %s: %.2f s (layout, request->CPU release: %.3f s; boot_time, CPU release->running: %.3f s)\n' \
			"$kind" "$id" "$s" "$(awk -v m="$ms" 'BEGIN {print m / 1e3}')" \
			"$(awk -v u="$us" 'BEGIN {print u / 1e6}')"
	else
		local reason=${end#SPAWN-END $id }
		reason=${reason#FAILED }
		[[ $st == ok && -z $t1 ]] && reason="the guest saw it up, this host no init line on ttyS1"
		[[ $st == ok && -n $t1 ]] && reason="incomplete end of sample: $end"
		record "$kind" "$id" failed 0 0 0 "$reason"
		echo "  $kind $id: FAILED: $reason"
	fi
}

# boot NAME MODE ID: a QEMU machine running guest.sh; follows its samples
boot() {
	local dir=$out/$1 qpid i
	"$top/scripts/qemu.sh" --test bench_spawn --out "$dir" --timeout 1800 \
		--append "kpart_bench=$2 kpart_bench_id=$3 kpart_bench_restarts=$n_restart" \
		>"$out/$1.qemu" 2>&1 &
	qpid=$!
	follow "$dir" $qpid "f$3" first
	if [[ $2 == full ]]; then
		for i in $(seq 1 "$n_restart"); do follow "$dir" $qpid "r$i" restart; done
		echo "  (the rest of the full run: ping, restart experiment, memory, smallest partition)"
	fi
	wait $qpid
	sed -i 's/\r$//' "$dir"/ttyS*.log
	# QEMU's own words too: "terminating on signal 15 from pid N" means
	# something on this host killed the machine, not the guest
	grep -a 'KPART-TEST-RESULT' "$dir/ttyS0.log" | grep -q 'rc=0' ||
		echo "BENCH-ERROR: $1: guest script did not finish with rc=0 ($(tr '\n' ' ' <"$out/$1.qemu"))" \
			>>"$dir/ttyS0.log"
}

echo "== spawn benchmark: $n_cold cold boots and $n_first first starts taking turns," \
	"$n_restart restarts in the first machine"
echo "   cold: QEMU (TCG, 2 vCPUs, 256 MiB) of the same bzImage + initramfs, launch -> init"
echo "   spawn: boot kernel starts it on CPUs 2-3 / 256 MiB, start request -> init"
cold_sample 1
boot full full 1
for i in $(seq 2 "$n_first"); do
	cold_sample "$i"
	boot "first$i" first "$i"
done
for i in $(seq $((n_first + 1)) "$n_cold"); do cold_sample "$i"; done
full=$out/full/ttyS0.log

# stats KIND FIELD: "n median min max" over the ok samples of KIND
stats() {
	awk -v k="$1" -v f="$2" '$1 == k && $3 == "ok" {print $f}' "$samples" | sort -g |
		awk '{a[NR] = $1} END {
			if (!NR) { print 0; exit }
			m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			printf "%d %.6f %.6f %.6f\n", NR, m, a[1], a[NR] }'
}
taken() { awk -v k="$1" '$1 == k' "$samples" | wc -l; }
failed() { awk -v k="$1" '$1 == k && $3 != "ok"' "$samples" | wc -l; }

read -r nc cmed _ < <(stats cold 4)
echo
echo "== summary (host clock; median [min-max] of the samples that reached init)"
printf '%-42s %6s %15s %8s\n' "measure" "median" "[min-max]" "samples"
line() { # LABEL KIND
	local n med min max
	read -r n med min max < <(stats "$2" 4)
	if (( n == 0 )); then
		printf '%-42s %6s %15s %8s' "$1" "-" "" "0/$(taken "$2")"
	else
		printf '%-42s %6.2f %15s %8s' "$1" "$med" "$(printf '[%.2f-%.2f]' "$min" "$max")" \
			"$n/$(taken "$2")"
	fi
	if [[ $2 != cold ]]; then
		if (( n == 0 || nc == 0 )); then
			printf '   goal <= 0.50 x cold: NO VERDICT (no samples)'
		else
			local r
			r=$(awk -v a="$med" -v b="$cmed" 'BEGIN {printf "%.9f", a / b}')
			printf '   ratio %.2f, goal <= 0.50 x cold: %s' "$r" \
				"$(awk -v r="$r" 'BEGIN {print (r <= 0.5) ? "PASS" : "MISS"}')"
		fi
	fi
	local nf
	nf=$(failed "$2")
	if (( nf > 0 )); then
		printf ' -- %d of %d samples FAILED, figures over the %d that finished' \
			"$nf" "$(taken "$2")" "$n"
	elif [[ $2 != cold ]] && (( $(failed cold) > 0 )); then
		printf ' -- baseline has failed samples'
	fi
	echo
}
line "cold QEMU boot to init (baseline), s" cold
line "spawn to init, first start, s" first
line "spawn to init, restart, s" restart
for k in first restart; do
	read -r n med min max < <(stats $k 6)
	(( n > 0 )) && printf '  %-40s %6.3f %15s\n' "$k: layout (request->CPU), s" \
		"$(awk -v v="$med" 'BEGIN {print v / 1e3}')" \
		"$(awk -v a="$min" -v b="$max" 'BEGIN {printf "[%.3f-%.3f]", a / 1e3, b / 1e3}')"
	read -r n med min max < <(stats $k 5)
	(( n > 0 )) && printf '  %-40s %6.3f %15s\n' "$k: boot_time (CPU->running), s" \
		"$(awk -v v="$med" 'BEGIN {print v / 1e6}')" \
		"$(awk -v a="$min" -v b="$max" 'BEGIN {printf "[%.3f-%.3f]", a / 1e6, b / 1e6}')"
done
awk '$3 != "ok" {$3 = "FAILED:"; $4 = $5 = $6 = ""; print "  " $0}' "$samples"

# Memory per partition, over the partitions the guest made: the kernel's
# own allocations (the verdict) and MemFree (cross-check). A drop that is
# not positive is no measurement.
kv() { local w; for w in $2; do [[ $w == "$1="* ]] && { echo "${w#*=}"; return; }; done; }
per_part() { # BEFORE AFTER N -> KiB per partition, or nothing if invalid
	[[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]] && (( $3 > 0 && $2 - $1 > 0 )) &&
		awk -v d="$(( $2 - $1 ))" -v n="$3" 'BEGIN {printf "%.9f", d / n}'
}
invalid=0
label="boot-kernel memory per configured partition"
if cfg=$(grep -a '^BENCH: memcost configured=' "$full"); then
	n=$(kv configured "$cfg")
	km=$(per_part "$(kv kmem_before_kb "$cfg")" "$(kv kmem_after_kb "$cfg")" "$n")
	fr=$(per_part "$(kv free_after_kb "$cfg")" "$(kv free_before_kb "$cfg")" "$n")
	if [[ -n $km ]]; then
		printf '%-42s %6.1f KiB  goal < 1024 KiB: %s  (kernel allocations, %d made of %d, %d with a CPU)\n' \
			"$label" "$km" "$(awk -v p="$km" 'BEGIN {print (p < 1024) ? "PASS" : "MISS"}')" \
			"$n" "$(kv of "$cfg")" "$(kv with_cpus "$cfg")"
	else
		printf '%-42s invalid measurement: kernel allocations %s -> %s KiB over %s partitions\n' \
			"$label" "$(kv kmem_before_kb "$cfg")" "$(kv kmem_after_kb "$cfg")" "$n"
		invalid=1
	fi
	if [[ -n $fr ]]; then
		printf '  %-40s %6.1f KiB  (cross-check)\n' "MemFree drop per partition" "$fr"
	else
		printf '  %-40s invalid measurement: MemFree %s -> %s KiB (cross-check only)\n' \
			"MemFree drop per partition" "$(kv free_before_kb "$cfg")" "$(kv free_after_kb "$cfg")"
	fi
else
	echo "$label: not measured (no memcost line)"
	invalid=1
fi
if run=$(grep -a '^BENCH: memcost running=' "$full"); then
	n=$(kv running "$run")
	if (( n > 0 )); then
		printf '  %-40s %6.1f KiB kernel allocations, %.1f KiB MemFree  (information; %d running)\n' \
			"added by running, per partition" \
			"$(awk -v a="$(kv kmem_before_kb "$run")" -v b="$(kv kmem_after_kb "$run")" -v n="$n" 'BEGIN {print (b - a) / n}')" \
			"$(awk -v a="$(kv free_before_kb "$run")" -v b="$(kv free_after_kb "$run")" -v n="$n" 'BEGIN {print (a - b) / n}')" "$n"
	else
		echo "  added by running: not measured (no partition came up)"
	fi
fi
small=$(sed -n 's/^BENCH: minmem smallest=//p' "$full")
printf '%-42s %6s MiB  goal <= 128 MiB: %s\n' "smallest partition that boots to init" \
	"${small:-?}" "$([[ $small =~ ^[0-9]+$ && $small -le 128 ]] && echo PASS || echo MISS)"
grep -a '^BENCH: minmem [0-9]' "$full" | sed 's/^BENCH: /  /'

echo
echo "== restart experiment (partition x: CPUs 2-3, 128 MiB, no console; median [min-max] n)"
printf '  %-48s %22s %22s\n' "x's memory before the start" "layout (start->CPU), ms" \
	"boot_time (CPU->running), ms"
for cond in fresh data reuse over; do
	case $cond in
	fresh) what="never written since boot" ;;
	data) what="data written by the boot kernel" ;;
	reuse) what="previous kernel's code (plain restart)" ;;
	over) what="kernel code, then boot kernel's data" ;;
	esac
	grep -a "^BENCH: restart-exp cond=$cond " "$full" | sed 's/.*layout_ms=\([0-9]*\) boot_us=\([0-9]*\).*/\1 \2/' |
		awk -v w="$what" '
		function st(a, n,   i, j, t, m) {
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			return sprintf("%.0f [%.0f-%.0f] %d", m, a[1], a[n], n)
		}
		NF == 2 { l[++n] = $1; b[n] = $2 / 1000 }
		END { if (n) printf "  %-48s %22s %22s\n", w, st(l, n), st(b, n); else printf "  %-48s %22s\n", w, "no samples" }'
done
for over in fresh code; do
	case $over in
	fresh) what="j's layout: 128 MiB over fresh memory" ;;
	code) what="j's layout: 128 MiB over a previous kernel" ;;
	esac
	grep -a "^BENCH: restart-exp junk over=$over " "$full" | sed 's/.*layout_ms=//' | sort -g |
		awk -v w="$what" '{a[NR] = $1} END { if (NR) printf "  %-48s %22s\n", w, sprintf("%.0f [%.0f-%.0f] %d", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2, a[1], a[NR], NR) }'
done

echo
echo "== partctl ping in QEMU (TCG; boot kernel CPU 0 <-> partition on CPUs 2-3; information only)"
grep -a '^BENCH: qemu-ping' "$full" | sed 's/^BENCH: qemu-ping /  /'

errors=$(cat "$out"/*/ttyS0.log | grep -a '^BENCH-ERROR' | sort | uniq)
nfail=$(awk '$3 != "ok"' "$samples" | wc -l)
echo
if [[ -n $errors ]]; then
	echo "guest errors:"
	echo "$errors" | sed 's/^/  /'
fi
if [[ -n $errors ]] || (( nfail > 0 || invalid )); then
	echo "spawn benchmark: $nfail failed sample(s), $(echo -n "$errors" | grep -c .) guest error(s)$( ((invalid)) && echo ", invalid memory measurement"); logs in $out"
	exit 1
fi
echo "spawn benchmark: every sample reached init; logs in $out"
