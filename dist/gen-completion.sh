#!/usr/bin/env bash
# Make partctl's bash completion from partctl's own help:
#   gen-completion.sh PARTCTL TEMPLATE OUT
# The "Commands:" part of `partctl --help` gives each verb and its first
# argument (PLAN, NAME or [NAME]); the "Options:" part gives the options and
# whether they take a value. A verb added to partctl is completed without
# touching the completion.
set -euo pipefail
partctl=$1 template=$2 out=$3

help=$("$partctl" --help)
verbs=$(awk '/^Commands:/ {on = 1; next} /^$/ {on = 0} on && /^  [a-z]/ {print $1}' <<<"$help")
[[ -n $verbs ]] || { echo "gen-completion: no commands in $partctl --help" >&2; exit 1; }

# verb:KIND with KIND plan, name or none
args=""
while read -r verb arg _; do
	case $arg in
	PLAN | \[PLAN\]) kind=plan ;;
	NAME | \[NAME\]) kind=name ;;
	*) kind=none ;;
	esac
	args+="$verb:$kind "
done < <(awk '/^Commands:/ {on = 1; next} /^$/ {on = 0} on && /^  [a-z]/' <<<"$help")

# Options: "  -j, --json ..." or "      --size BYTES ..."; an upper-case word
# after the long name means it takes a value.
opts=$(grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+( [A-Z]+)?' <<<"$help" | sed -E 's/^ +//')
flags="" valued=""
while IFS= read -r o; do
	short="" long="" val=""
	if [[ $o =~ ^(-[a-zA-Z]),\ (--[a-z-]+)(\ [A-Z]+)?$ ]]; then
		short=${BASH_REMATCH[1]} long=${BASH_REMATCH[2]} val=${BASH_REMATCH[3]}
	elif [[ $o =~ ^(--[a-z-]+)(\ [A-Z]+)?$ ]]; then
		long=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
	fi
	[[ -n $long ]] || continue
	flags+="$short $long "
	[[ -n $val ]] && valued+="$short $long "
done <<<"$opts"

sed -e "s|@VERBS@|$(echo $verbs)|" -e "s|@VERB_ARGS@|${args% }|" \
	-e "s|@OPTIONS@|$(echo $flags)|" -e "s|@VALUED@|$(echo $valued)|" \
	"$template" >"$out.tmp"
mv "$out.tmp" "$out"
