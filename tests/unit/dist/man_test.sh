#!/usr/bin/env bash
# The man pages are generated (dist/md2man.py) from docs/, carry every
# section heading of their document, and render without a warning.
#   man_test.sh MANDIR DOCS
set -euo pipefail
mandir=$1 docs=$2
fail() { echo "FAIL: $*"; exit 1; }

# lint: groff with every warning on (man-db passes warnings on unreliably);
# render: what man -l shows
if command -v groff >/dev/null; then
	lint() { groff -man -Tutf8 -ww -z "$1"; }
	how="groff -man -ww"
elif command -v mandoc >/dev/null; then
	lint() { mandoc -Tlint -Wwarning "$1"; }
	how="mandoc -Tlint -Wwarning"
elif [[ -n ${CI:-} ]]; then
	fail "neither groff nor mandoc installed, and CI is set"
else
	echo "SKIP: neither groff nor mandoc installed"
	exit 77
fi
if command -v man >/dev/null; then
	render() { LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$1"; }
	how+=", man -l"
elif command -v mandoc >/dev/null; then
	render() { mandoc -Tutf8 "$1"; }
else
	render() { groff -man -Tutf8 "$1"; }
fi

for spec in partd.8:partd.md partctl.8:partctl.md kpart-plan.5:plans.md kpart.7:interfaces.md; do
	page=$mandir/${spec%%:*} doc=$docs/${spec#*:}
	[[ -s $page ]] || fail "$page not generated"
	grep -q "^\.\\\\\" Generated from docs/${spec#*:}" "$page" || fail "$page not generated from docs/${spec#*:}"
	warnings=$(lint "$page" 2>&1) || fail "$how $page failed: $warnings"
	[[ -z $warnings ]] || fail "$page: warnings:"$'\n'"$warnings"
	text=$(render "$page" 2>&1) || fail "cannot render $page: $text"
	# Every heading of the document is a heading of the page (no drift:
	# the page was made from this very document).
	while IFS= read -r h; do
		h=$(sed -E 's/^#+ +//; s/\[([^]]*)\]\([^)]*\)/\1/g; s/[`*]//g' <<<"$h")
		grep -qiF -- "$h" <<<"$text" || fail "${spec%%:*}: heading \"$h\" of docs/${spec#*:} missing"
	done < <(grep -E '^#{2,4} ' "$doc")
	lines=$(wc -l <<<"$text")
	((lines > 50)) || fail "${spec%%:*} renders to only $lines lines"
	echo "${spec%%:*}: $lines lines from docs/${spec#*:}, no warnings ($how)"
done
