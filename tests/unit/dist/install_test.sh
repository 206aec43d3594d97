#!/usr/bin/env bash
# `cmake --install` of BUILD (its own prefix, /usr/local unless configured
# otherwise) into a scratch DESTDIR gives a unit whose paths exist, the man
# pages, completion, docs, schema, module loading and a pkg-config file a
# program can build against libkpartplan with.
#   install_test.sh BUILD
set -euo pipefail
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

DESTDIR=$dest cmake --install "$build" >/dev/null
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
echo "installed with prefix $prefix:"
(cd "$dest" && find . -type f | sort | sed 's/^\./  /')

unit=$(find "$dest" -name partd.service)
[[ -n $unit ]] || fail "no partd.service installed"
exec=$(sed -n 's/^ExecStart=//p' "$unit")
[[ $exec == "$prefix/sbin/partd" ]] || fail "ExecStart=$exec, expected $prefix/sbin/partd"
[[ -x $dest$exec ]] || fail "ExecStart=$exec is not an installed program"
for doc in $(sed -n 's/^Documentation=//p' "$unit"); do
	case $doc in
	file://*) [[ -f $dest${doc#file://} ]] || fail "Documentation=$doc is not installed" ;;
	man:*)
		page=${doc#man:} name=${page%(*} sec=${page#*(}
		sec=${sec%)}
		[[ -f $dest$prefix/share/man/man$sec/$name.$sec ]] || fail "Documentation=$doc: no $prefix/share/man/man$sec/$name.$sec"
		;;
	esac
done
[[ -f $(dirname "$unit")/sys-fs-kpart.mount ]] || fail "no sys-fs-kpart.mount next to partd.service"
[[ $(grep -v '^#' "$dest$prefix/lib/modules-load.d/kpart.conf") == kpart ]] ||
	fail "no modules-load.d/kpart.conf loading kpart"
for f in share/kpart/plan.schema.json share/kpart/examples/minimal.json \
	share/bash-completion/completions/partctl share/doc/kpart/partd.md \
	sbin/partctl include/kpart/plan.h include/kpart/uapi.h; do
	[[ -f $dest$prefix/$f ]] || fail "$prefix/$f not installed"
done

# systemd-analyze verify: the unit as installed, with ExecStart and
# ExecReload pointed at the staged partd and partctl (this host has none
# in $prefix/sbin).
if command -v systemd-analyze >/dev/null; then
	vdir=$dest/verify
	mkdir "$vdir"
	grep -qx "ExecReload=$prefix/sbin/partctl --quiet reload" "$unit" ||
		fail "ExecReload is not $prefix/sbin/partctl --quiet reload: $(grep ExecReload "$unit")"
	sed -e "s|^ExecStart=.*|ExecStart=$dest$exec|" \
		-e "s|^ExecReload=$prefix/sbin/partctl|ExecReload=$dest$prefix/sbin/partctl|" \
		"$unit" >"$vdir/partd.service"
	cp "$(dirname "$unit")/sys-fs-kpart.mount" "$vdir/"
	# it only warns about a setting it cannot parse: any output is a failure
	out=$(cd "$vdir" && systemd-analyze verify --man=no partd.service sys-fs-kpart.mount 2>&1) ||
		fail "systemd-analyze verify: $out"
	[[ -z $out ]] || fail "systemd-analyze verify: $out"
	echo "systemd-analyze verify: partd.service and sys-fs-kpart.mount ok"
elif [[ -n ${CI:-} ]]; then
	fail "systemd-analyze missing and CI is set"
else
	echo "note: systemd-analyze not installed, unit not verified"
fi

# A program built against the installed libkpartplan through pkg-config
pc=$(find "$dest" -name kpartplan.pc)
[[ -n $pc ]] || fail "no kpartplan.pc"
cat >"$dest/t.c" <<'C'
#include <kpart/plan.h>
#include <stdio.h>
int main(void)
{
	const char *p = plan_name_problem("-web");
	printf("%s\n", p ? p : "ok");
	return 0;
}
C
export PKG_CONFIG_PATH=$(dirname "$pc")
pkg-config --exists kpartplan || fail "pkg-config kpartplan: $(pkg-config --print-errors kpartplan 2>&1)"
echo "pkg-config kpartplan: $(pkg-config --cflags --libs kpartplan)"
# The .pc names the installed paths; they are under DESTDIR here (not with
# PKG_CONFIG_SYSROOT_DIR: that would move json-c's paths as well).
flags="-I$dest$(pkg-config --variable=includedir kpartplan) -L$dest$(pkg-config --variable=libdir kpartplan)"
flags+=" -lkpartplan $(pkg-config --cflags --libs json-c)"
# shellcheck disable=SC2086
cc -o "$dest/t" "$dest/t.c" $flags || fail "cannot build against the installed libkpartplan"
"$dest/t" >/dev/null || fail "program linked against libkpartplan does not run"
echo "ok"
