#!/bin/bash
# partctl --version and partctl VERB --help for every verb, and that the
# usage lines are the SYNOPSIS of docs/partctl.md and of the man page made
# from it (dist/md2man.py): the three cannot drift apart.
#
#   help_test.sh PARTCTL DOCS_PARTCTL_MD MAN_PAGE VERSION
set -euo pipefail
partctl=$1 doc=$2 man=$3 version=$4
fail() { echo "FAIL: $*"; exit 1; }

# SYNOPSIS lines: "    partctl [OPTIONS] VERB ..."
mapfile -t synopsis < <(awk '/^## SYNOPSIS/ {on = 1; next} /^## / {on = 0} on && /^    partctl/ {sub(/^    /, ""); print}' "$doc")
[ ${#synopsis[@]} -gt 0 ] || fail "no SYNOPSIS lines in $doc"
verbs=$("$partctl" --help | awk '/^Commands:/ {on = 1; next} /^$/ {on = 0} on && /^  [a-z]/ {print $1}')
[ "$(echo "$verbs" | wc -l)" -eq ${#synopsis[@]} ] ||
	fail "partctl --help has $(echo "$verbs" | wc -w) commands, $doc SYNOPSIS ${#synopsis[@]} lines"

if command -v man >/dev/null; then
	page=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$man" 2>/dev/null)
else
	page=$(groff -man -Tutf8 -rLL=200n "$man" 2>/dev/null)
fi
for line in "${synopsis[@]}"; do
	verb=$(awk '{print $3}' <<<"$line")
	grep -qx "$verb" <<<"$verbs" || fail "SYNOPSIS verb $verb is not in partctl --help"
	out=$("$partctl" "$verb" --help) || fail "partctl $verb --help exits $?"
	[ "$(head -n 1 <<<"$out")" = "Usage: $line" ] ||
		fail "partctl $verb --help says '$(head -n 1 <<<"$out")', $doc says '$line'"
	[ "$(wc -l <<<"$out")" -ge 3 ] || fail "partctl $verb --help: only a usage line"
	# options before the verb work too
	[ "$("$partctl" --help "$verb" | head -n 1)" = "Usage: $line" ] ||
		fail "partctl --help $verb"
	grep -qF -- "$line" <<<"$page" || fail "the man page lacks '$line'"
	echo "ok: $verb --help: $line"
done
set +e
"$partctl" frobnicate --help >/dev/null 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || fail "an unknown command's --help exits $rc, not 2"

v=$("$partctl" --version)
[[ $v == "partctl (kpart) $version, plan format "*", kernfs interface "* ]] ||
	fail "partctl --version says '$v'"
grep -q -- "--version" "$doc" || fail "$doc does not document --version"
echo "ok: $v"
