#!/usr/bin/env bash
# Compile ipi/ring.c as kernel code, outside kbuild, to check that it builds
# unchanged in the kernel (headers, types, warnings as errors).  Nothing is
# written to the kernel trees; the object goes to a temporary directory.
#
#   ipi/kcheck.sh [SRC [OBJ]]
#     SRC  kernel source tree (default build/linux, else build/linux-source-6.12)
#     OBJ  configured object tree with generated headers (default build/kernel-obj)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-$top/build/linux}
[[ -d $src ]] || src=$top/build/linux-source-6.12
obj=${2:-$top/build/kernel-obj}
if [[ ! -f $obj/include/generated/autoconf.h || ! -d $src/include/linux ]]; then
	echo "kcheck: no configured kernel tree ($src, $obj); skipped" >&2
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
a=x86
flags=(-nostdinc
	-I"$src/arch/$a/include" -I"$obj/arch/$a/include/generated"
	-I"$src/include" -I"$obj/include"
	-I"$src/arch/$a/include/uapi" -I"$obj/arch/$a/include/generated/uapi"
	-I"$src/include/uapi" -I"$obj/include/generated/uapi"
	-include "$src/include/linux/compiler-version.h"
	-include "$src/include/linux/kconfig.h"
	-include "$src/include/linux/compiler_types.h"
	-D__KERNEL__ -DMODULE -DKBUILD_MODNAME='"kpart"' -DKBUILD_BASENAME='"ring"'
	-std=gnu11 -fcf-protection=branch -fshort-wchar -funsigned-char -fno-common -fno-PIE -fno-strict-aliasing
	-mno-sse -mno-mmx -mno-sse2 -mno-3dnow -mno-avx -m64 -mno-80387 -mno-fp-ret-in-387
	-mno-red-zone -mcmodel=kernel -O2 -fno-delete-null-pointer-checks
	-Wall -Wextra -Wundef -Werror=implicit-function-declaration -Werror=implicit-int
	-Werror=return-type -Werror=strict-prototypes -Wmissing-declarations
	-Wmissing-prototypes -Wframe-larger-than=1024 -Wvla -Wno-sign-compare
	-Wno-unused-parameter -Wno-missing-field-initializers -Wno-type-limits
	-Wdeclaration-after-statement -Werror)
gcc "${flags[@]}" -c "$top/ipi/ring.c" -o "$tmp/ring.o"
# No floating point, no calls outside the kernel's string helpers.
undef=$(nm -u "$tmp/ring.o" | awk '{print $2}' | grep -v -E '^(memcpy|memset|__fentry__|__x86_return_thunk|__x86_indirect_thunk_.*|__stack_chk_fail)$' || true)
if [[ -n $undef ]]; then
	echo "kcheck: unexpected external symbols: $undef" >&2
	exit 1
fi
echo "kcheck: ipi/ring.c builds as kernel code ($(basename "$src"))"
