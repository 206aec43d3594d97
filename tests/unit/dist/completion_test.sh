#!/usr/bin/env bash
# partctl's bash completion, sourced into this bash: verbs (and that they
# are partctl's verbs), partition names from a stand-in kpart root
# (KPART_ROOT, or --root on the command line), plan files, options.
#   completion_test.sh COMPLETION PARTCTL SRC
set -uo pipefail
completion=$1 partctl=$2 src=$3
fixture=$src/tests/unit/plan/fixtures/numa-pool/kpart # partitions batch db web
failed=0

# shellcheck disable=SC1090
source "$completion" || { echo "FAIL: cannot source $completion"; exit 1; }

# complete LINE: what <TAB> at the end of LINE offers, sorted, one line
complete_line() {
	local line=$1
	# split as bash does: at blanks, and around "=" (COMP_WORDBREAKS)
	read -ra COMP_WORDS <<<"${line//=/ = }"
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line COMP_POINT=${#line}
	COMPREPLY=()
	_partctl partctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

expect() { # LINE WANT
	local got
	got=$(complete_line "$1")
	if [[ $got == "$2" ]]; then
		echo "ok   '$1' -> $got"
	else
		echo "FAIL '$1' -> '$got', want '$2'"
		failed=1
	fi
}

# Verbs: the completion offers exactly the verbs partctl dispatches
verbs=$(complete_line "partctl ")
src_verbs=$(grep -oE 'strcmp\(cmd, "[a-z]+"\)' "$src/partctl/main.c" | sed -E 's/.*"(.*)".*/\1/' |
	sort -u | tr '\n' ' ' | sed 's/ $//')
want_verbs=$(tr ' ' '\n' <<<"$verbs" | sort -u | tr '\n' ' ' | sed 's/ $//')
echo "verbs: $verbs"
if [[ $want_verbs != "$src_verbs" ]]; then
	echo "FAIL completion verbs '$want_verbs' differ from partctl/main.c's '$src_verbs'"
	failed=1
fi
for v in $verbs; do
	if KPART_ROOT=/nonexistent KPART_SOCKET=/nonexistent "$partctl" "$v" 2>&1 </dev/null |
		grep -q 'unknown command'; then
		echo "FAIL partctl does not know the completed verb $v"
		failed=1
	fi
done

export KPART_ROOT=$fixture
expect "partctl st" "start status stop"
expect "partctl -j st" "start status stop"
expect "partctl --socket /tmp/x.sock in" "inventory"
expect "partctl start " "batch db web"
expect "partctl logs w" "web"
expect "partctl --json status d" "db"
expect "partctl start web " ""
expect "partctl inventory " ""
expect "partctl --ro" "--root"
expect "partctl ping --co" "--count"
KPART_ROOT=/nonexistent expect "partctl start " ""
KPART_ROOT=/nonexistent expect "partctl --root $fixture ping " "batch db web"
KPART_ROOT=/nonexistent expect "partctl -r $fixture console b" "batch"
KPART_ROOT=/nonexistent expect "partctl --root=$fixture stop " "batch db web"

# Plans: *.json, directories and - (standard input)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/plans"
touch "$tmp/web.json" "$tmp/notes.txt" "$tmp/db.json"
cd "$tmp" || exit 1
expect "partctl validate " "- db.json plans web.json"
expect "partctl apply --dry-run w" "web.json"
expect "partctl --root $tmp/plans apply " "- db.json plans web.json"
expect "partctl --root " "plans"
expect "partctl --root=" "plans"

exit $failed
