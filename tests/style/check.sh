#!/bin/bash
# The project's two styles, checked: kernel code (kmod/, boot-x86/, the
# ring in ipi/, the patch series) is clean for the kernel's checkpatch.pl,
# the ring --strict; user-space C follows .clang-format. Exits 77, which
# CTest reports as skipped, when the kernel tree with checkpatch.pl has not
# been extracted yet (make kernel) or clang-format is missing.
#
#   check.sh [TOP]
set -uo pipefail
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 1
checkpatch=${KPART_CHECKPATCH:-$top/build/linux/scripts/checkpatch.pl}
if [[ ! -x $checkpatch ]]; then
	echo "style: no $checkpatch (make kernel extracts it): skipped"
	exit 77
fi
if ! command -v clang-format >/dev/null; then
	echo "style: clang-format not installed: skipped"
	exit 77
fi
bad=0
cp_opts=(--no-tree --quiet --show-types)

kernel_files=$(git ls-files 'kmod/*.[ch]' 'boot-x86/*.[ch]' 'include/kpart/*.h')
ring_files="ipi/ring.c ipi/ring.h ipi/ring_compat.h"
for f in $kernel_files; do
	"$checkpatch" "${cp_opts[@]}" -f "$f" || bad=1
done
for f in $ring_files; do
	"$checkpatch" "${cp_opts[@]}" --strict -f "$f" || bad=1
done
# On standard input: given a path inside a git checkout, checkpatch
# reports the blank context lines of a patch as trailing whitespace
for p in kernel-patches/*.patch; do
	"$checkpatch" "${cp_opts[@]}" - <"$p" || { echo "in $p"; bad=1; }
done

user_files=$(git ls-files '*.c' '*.h' | grep -vE '^(kmod|boot-x86|include/kpart)/' |
	grep -vxF -f <(tr ' ' '\n' <<<"$ring_files"))
if ! clang-format --dry-run --Werror $user_files; then
	echo "style: run clang-format -i on the files above"
	bad=1
fi
if ((bad)); then
	echo "style: FAILED"
	exit 1
fi
echo "style: $(wc -w <<<"$kernel_files $ring_files") kernel files, $(ls kernel-patches/*.patch | wc -l) patches checkpatch clean; $(wc -w <<<"$user_files") user-space files clang-formatted"
