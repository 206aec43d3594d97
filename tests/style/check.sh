#!/bin/bash
# The project's two styles, checked: kernel code (kmod/, boot-x86/, the
# ring in ipi/, the patch series) is clean for the kernel's checkpatch.pl,
# the ring --strict; user-space C follows .clang-format.
#
# A missing tool (the kernel tree with checkpatch.pl not extracted yet by
# make kernel, or clang-format not installed) makes it exit 77, which CTest
# reports as skipped -- except where the check must run: with CI set (the
# CI runner sets CI=true) or KPART_STYLE_REQUIRED=1 a missing tool fails
# (exit 1).
#
# Files are those git knows in a checkout (tracked, and new ones not
# ignored), every file under TOP otherwise (a tarball, a copy): build/ and
# generated module sources left out. An empty list fails: checking nothing
# is not a pass.
#
#   check.sh [TOP]
set -uo pipefail
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 1

required=
[[ ${KPART_STYLE_REQUIRED:-} == 1 ]] && required="KPART_STYLE_REQUIRED=1"
case ${CI:-} in
"" | false | 0) ;;
*) required=${required:-CI=$CI} ;;
esac
# missing WHAT: a tool is not there; skip, or fail where the check must run
missing() {
	if [[ -n $required ]]; then
		echo "style: FAILED: $1; with $required the style check must run, not be skipped"
		exit 1
	fi
	echo "style: $1: skipped (with CI or KPART_STYLE_REQUIRED=1 set this fails)"
	exit 77
}

checkpatch=${KPART_CHECKPATCH:-$top/build/linux/scripts/checkpatch.pl}
[[ -x $checkpatch ]] || missing "no $checkpatch (make kernel extracts it)"
command -v clang-format >/dev/null || missing "clang-format is not installed (apt-get install clang-format)"

# list PATTERN...: files matching git-style globs (a '*' also matches '/')
if [[ $(git rev-parse --show-toplevel 2>/dev/null) == "$(pwd -P)" ]]; then
	source_of_lists="git ls-files"
	list() {
		local f
		git ls-files --cached --others --exclude-standard -- "$@" | while IFS= read -r f; do
			[[ -f $f ]] && printf '%s\n' "$f" # not deleted in the work tree
		done
	}
else
	source_of_lists="find (no git checkout at $top)"
	list() {
		local p args=()
		for p; do
			args+=(${args[@]+-o} -path "./$p")
		done
		find . \( -path ./build -o -path ./.git \) -prune -o -type f ! -name '*.mod.c' \
			\( "${args[@]}" \) -print | sed 's|^\./||' | LC_ALL=C sort
	}
fi
# nonempty WHAT N: fail when a list came out empty
nonempty() {
	if (($2 == 0)); then
		echo "style: FAILED: no $1 found by $source_of_lists in $top: nothing would be checked"
		exit 1
	fi
}

mapfile -t kernel_files < <(list 'kmod/*.[ch]' 'boot-x86/*.[ch]' 'include/kpart/*.h')
ring_files=(ipi/ring.c ipi/ring.h ipi/ring_compat.h)
mapfile -t patches < <(list 'kernel-patches/*.patch')
mapfile -t user_files < <(list '*.c' '*.h' | grep -vE '^(kmod|boot-x86|include/kpart)/' |
	grep -vxF -f <(printf '%s\n' "${ring_files[@]}"))
nonempty "kernel source files" ${#kernel_files[@]}
nonempty "kernel patches" ${#patches[@]}
nonempty "user-space C files" ${#user_files[@]}
for f in "${ring_files[@]}"; do
	[[ -f $f ]] || {
		echo "style: FAILED: $f is missing"
		exit 1
	}
done

bad=0
cp_opts=(--no-tree --quiet --show-types)
for f in "${kernel_files[@]}"; do
	"$checkpatch" "${cp_opts[@]}" -f "$f" || bad=1
done
for f in "${ring_files[@]}"; do
	"$checkpatch" "${cp_opts[@]}" --strict -f "$f" || bad=1
done
# On standard input: given a path inside a git checkout, checkpatch
# reports the blank context lines of a patch as trailing whitespace
for p in "${patches[@]}"; do
	"$checkpatch" "${cp_opts[@]}" - <"$p" || {
		echo "in $p"
		bad=1
	}
done

if ! clang-format --dry-run --Werror "${user_files[@]}"; then
	echo "style: run clang-format -i on the files above"
	bad=1
fi
if ((bad)); then
	echo "style: FAILED"
	exit 1
fi
echo "style: files from $source_of_lists: $((${#kernel_files[@]} + ${#ring_files[@]})) kernel files, ${#patches[@]} patches checkpatch clean; ${#user_files[@]} user-space files clang-formatted"
