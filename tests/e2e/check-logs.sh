#!/usr/bin/env bash
# Check what both kernels printed during one end-to-end test, on the host:
#
#   check-logs.sh NAME OUTDIR GUEST_SCRIPT
#
# OUTDIR holds the UART logs: ttyS0.log is the boot kernel's console, the
# others the application kernels'. The test passes only if:
# - the guest script ended with "KPART-TEST-RESULT: NAME rc=0", printed
#   "SUMMARY: 0 failure(s)", at least one PASS line and no FAIL line;
# - no kernel, boot or application, printed an oops, BUG, WARNING, general
#   protection fault or hung task; an application kernel's panic only
#   where the guest announced it ("EXPECT-APP-PANICS: UART N", exactly N);
# - every "EXPECT-APP: UART cpus=N apicids=A ram=R" line is matched by
#   the application kernel's own report on that UART ("APP: cpus=N
#   apicids=A memtotal_kb=M ram=R", R its whole usable e820 RAM), with
#   MemTotal at most R and at least 90% of R less 24 MiB (what a kernel
#   built for 8192 CPUs keeps for itself: a 62 MiB partition has 46 MiB);
# - every "EXPECT-APP-BOOTS: UART N" saw "APP: init reached" N times there;
# - every "EXPECT-APP-DISTINCT: UART N PREFIX" found exactly N lines that
#   start with "PREFIX" there, no two alike (e.g. where KASLR put a kernel);
# - every "EXPECT-APP-SAYS: UART N LINE" found exactly N lines that are
#   LINE there (e.g. "APP: apic x2APIC");
# - the guest printed exactly as many EXPECT-* lines of each kind as its
#   script promised in its header ("# e2e-promise: EXPECT-APP=2 ..."), so
#   that a guest that died early or a cut line cannot check nothing.
#
# Writes OUTDIR/checked: one line saying how many of each were checked.
set -uo pipefail

name=$1 out=$2 script=$3
boot=$out/ttyS0.log
failures=0
ok() { echo "ok:   $*"; }
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }

kinds=(EXPECT-APP EXPECT-APP-BOOTS EXPECT-APP-PANICS EXPECT-APP-DISTINCT EXPECT-APP-SAYS)
declare -A promised=() seen=() checked=()
for k in "${kinds[@]}"; do promised[$k]=0 seen[$k]=0 checked[$k]=0; done

# ---- the promise
header=$(grep -m1 '^# e2e-promise:' "$script" 2>/dev/null)
if [[ -z $header ]]; then
	bad "$script has no '# e2e-promise:' header"
else
	for kv in ${header#*:}; do
		k=${kv%%=*} v=${kv#*=}
		if [[ -z ${promised[$k]+x} || ! $v =~ ^[0-9]+$ ]]; then
			bad "$script: bad promise '$kv'"
			continue
		fi
		promised[$k]=$v
	done
fi

if [[ ! -r $boot ]]; then
	bad "no boot kernel log $boot"
	echo "e2e $name: $failures host check(s) failed"
	exit 1
fi

# ---- the guest script's own verdict
echo "---- guest checks (boot kernel, $boot)"
grep -aE '^(PASS|FAIL|SUMMARY|BOOT):' "$boot" || true
echo "---- host checks"
results=$(grep -ac "^KPART-TEST-RESULT: $name rc=" "$boot")
if grep -aq "^KPART-TEST-RESULT: $name rc=0\$" "$boot" && [[ $results -eq 1 ]]; then
	ok "guest script exited 0"
else
	bad "guest script did not pass: $(grep -a 'KPART-TEST-RESULT' "$boot" | tr '\n' ' ')$( ((results)) || echo 'no result line')"
fi
nfail=$(grep -ac '^FAIL:' "$boot")
npass=$(grep -ac '^PASS:' "$boot")
if [[ $nfail -ne 0 ]]; then
	bad "guest printed $nfail FAIL line(s)"
	grep -a '^FAIL:' "$boot" | head -n 20 | sed 's/^/      /'
fi
if grep -aq '^SUMMARY: 0 failure(s)$' "$boot"; then
	ok "guest summary: 0 failures, $npass checks passed"
else
	bad "no 'SUMMARY: 0 failure(s)' line (got: $(grep -a '^SUMMARY:' "$boot" || echo none))"
fi
[[ $npass -gt 0 ]] || bad "guest passed no check at all"

# ---- kernels' health
oops='BUG:|Oops|WARNING: CPU|WARNING: at|WARNING: [a-z]|general protection|INFO: task .* blocked|Unable to handle|detected stalls|self-detected stall'
if grep -aqE "Kernel panic|$oops" "$boot"; then
	bad "boot kernel reported a problem:"
	grep -aE -A5 "Kernel panic|$oops" "$boot" | head -30
else
	ok "boot kernel log clean"
fi
declare -A panics_allowed=()
while read -r _ uart n; do
	seen[EXPECT-APP-PANICS]=$((seen[EXPECT-APP-PANICS] + 1))
	panics_allowed[$uart]=$n
done < <(grep -a '^EXPECT-APP-PANICS:' "$boot")
for log in "$out"/ttyS*.log; do
	uart=$(basename "$log" .log)
	[[ $uart == ttyS0 ]] && continue
	if grep -aqE "$oops" "$log"; then
		bad "$uart: an application kernel reported a problem:"
		grep -aE -A5 "$oops" "$log" | head -30
	fi
	# a panic prints "Kernel panic - ..." and ends "---[ end Kernel panic - ..."
	got=$(grep -a 'Kernel panic' "$log" | grep -vc -- '---\[ end Kernel panic')
	want=${panics_allowed[$uart]:-0}
	if [[ $got -ne $want ]]; then
		bad "$uart: $got application kernel panic(s), want $want"
		grep -a -A3 'Kernel panic' "$log" | head -20
	elif [[ -n ${panics_allowed[$uart]+x} ]]; then
		ok "$uart: $got panic(s), as announced"
		checked[EXPECT-APP-PANICS]=$((checked[EXPECT-APP-PANICS] + 1))
	fi
done

# ---- what the application kernels saw
while read -r _ uart cpus apicids ram_list; do
	seen[EXPECT-APP]=$((seen[EXPECT-APP] + 1))
	log=$out/$uart.log
	want_ram=${ram_list#ram=}
	line=
	while IFS= read -r l; do
		got_ram=$(sed -n 's/.* ram=\(.*\)$/\1/p' <<<"$l" | xargs)
		[[ $got_ram == "$want_ram" ]] && { line=$l; break; }
	done < <(grep -a "^APP: $cpus $apicids memtotal_kb=" "$log" 2>/dev/null)
	if [[ -z $line ]]; then
		bad "$uart: no application kernel report 'APP: $cpus $apicids ... ram=$want_ram'"
		grep -a '^APP: cpus' "$log" 2>/dev/null | head -n 4 | sed 's/^/      got: /'
		continue
	fi
	size_kb=0
	for rr in $want_ram; do
		size_kb=$(( size_kb + ($(printf "%d" "${rr#*-}") - $(printf "%d" "${rr%-*}") + 1) / 1024 ))
	done
	mem=$(sed -n 's/.*memtotal_kb=\([0-9]*\).*/\1/p' <<<"$line")
	low=$(( size_kb * 9 / 10 - 24 * 1024 ))
	if [[ -z $mem ]] || (( mem > size_kb || mem < low )); then
		bad "$uart: MemTotal '$mem' kB outside $low-$size_kb kB (the partition's RAM less 10% and 24 MiB)"
	else
		ok "$uart: application kernel sees $cpus $apicids, RAM $want_ram, MemTotal $mem of $size_kb kB"
		checked[EXPECT-APP]=$((checked[EXPECT-APP] + 1))
	fi
done < <(grep -a '^EXPECT-APP:' "$boot")

while read -r _ uart n; do
	seen[EXPECT-APP-BOOTS]=$((seen[EXPECT-APP-BOOTS] + 1))
	got=$(grep -ac '^APP: init reached' "$out/$uart.log" 2>/dev/null)
	if [[ ${got:-0} -eq $n ]]; then
		ok "$uart: init reached $n time(s)"
		checked[EXPECT-APP-BOOTS]=$((checked[EXPECT-APP-BOOTS] + 1))
	else
		bad "$uart: init reached ${got:-0} time(s), want $n"
	fi
done < <(grep -a '^EXPECT-APP-BOOTS:' "$boot")

while read -r _ uart n prefix; do
	seen[EXPECT-APP-DISTINCT]=$((seen[EXPECT-APP-DISTINCT] + 1))
	lines=$(grep -a -- "^$prefix" "$out/$uart.log" 2>/dev/null)
	got=$(grep -c . <<<"$lines")
	distinct=$(sort -u <<<"$lines" | grep -c .)
	if [[ $got -ne $n ]]; then
		bad "$uart: $got line(s) starting '$prefix', want $n"
	elif [[ $distinct -ne $n ]]; then
		bad "$uart: only $distinct of $n lines starting '$prefix' differ:"
		sort <<<"$lines" | uniq -c | sort -rn | head -n 5 | sed 's/^/      /'
	else
		ok "$uart: $n lines starting '$prefix', all different"
		checked[EXPECT-APP-DISTINCT]=$((checked[EXPECT-APP-DISTINCT] + 1))
	fi
done < <(grep -a '^EXPECT-APP-DISTINCT:' "$boot")

while read -r _ uart n line; do
	seen[EXPECT-APP-SAYS]=$((seen[EXPECT-APP-SAYS] + 1))
	got=$(grep -acxF -- "$line" "$out/$uart.log" 2>/dev/null)
	if [[ ${got:-0} -eq $n ]]; then
		ok "$uart: '$line' $n time(s)"
		checked[EXPECT-APP-SAYS]=$((checked[EXPECT-APP-SAYS] + 1))
	else
		bad "$uart: '$line' ${got:-0} time(s), want $n (got: $(grep -a "^${line%% *}" "$out/$uart.log" | sort | uniq -c | head -n 3 | tr -s ' \n' ' '))"
	fi
done < <(grep -a '^EXPECT-APP-SAYS:' "$boot")

# ---- the promise kept
summary=
for k in "${kinds[@]}"; do
	if [[ ${seen[$k]} -ne ${promised[$k]} ]]; then
		bad "$k: the guest printed ${seen[$k]} line(s), its script promises ${promised[$k]}"
	fi
	summary+=" $k=${checked[$k]}/${promised[$k]}"
done
echo "$name$summary guest-checks=$npass" >"$out/checked"
echo "checked:$summary"

if [[ $failures -ne 0 ]]; then
	echo "e2e $name: $failures host check(s) failed; logs in $out"
	exit 1
fi
echo "e2e $name: passed"
