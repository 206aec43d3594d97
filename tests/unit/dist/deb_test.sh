#!/usr/bin/env bash
# The Debian packages hold what a Debian system needs, at Debian's paths,
# and nothing at /usr/local (docs/packaging.md).
#   deb_test.sh DIR                   check every package in DIR
#   deb_test.sh --build TOP DIR       first build kpart and kpart-dkms into
#                                     DIR with TOP/scripts/deb.sh
# The kernel packages are checked when they are in DIR (`make deb`, and
# e2e_systemd_boot before it installs them).
set -euo pipefail
if [[ $1 == --build ]]; then
	"$2/scripts/deb.sh" kpart "$3"
	"$2/scripts/deb.sh" dkms "$3"
	shift 2
fi
dir=$1
fail() { echo "FAIL: $*"; exit 1; }
command -v dpkg-deb >/dev/null || { echo "no dpkg-deb"; [[ -n ${CI:-} ]] && exit 1; exit 77; }

one() { # the one package matching a glob
# (no `| grep -q` on a producer: with pipefail its SIGPIPE would fail a
# check that matched)
	local m=("$dir"/$1)
	[[ ${#m[@]} -eq 1 && -f ${m[0]} ]] || fail "expected one $1 in $dir, found: ${m[*]}"
	echo "${m[0]}"
}
paths() { dpkg-deb -c "$1" | awk '{print substr($6, 2)}'; }
has() { # PACKAGE PATH...: each path in the package
	local deb=$1 list p
	shift
	list=$(paths "$deb")
	for p; do grep -qx -- "$p" <<<"$list" || fail "$(basename "$deb") lacks $p"; done
}
field() { dpkg-deb -f "$1" "$2"; }
file_of() { dpkg-deb --fsys-tarfile "$1" | tar -xO ".$2"; }
common_checks() { # root-owned, nothing under /usr/local, a copyright file
	local deb=$1
	local list
	list=$(dpkg-deb -c "$deb")
	[[ -z $(awk '$2 != "root/root"' <<<"$list") ]] ||
		fail "$(basename "$deb") has files not owned by root"
	! grep -q ' \./usr/local' <<<"$list" || fail "$(basename "$deb") installs under /usr/local"
	echo "ok: $(basename "$deb") $(stat -c %s "$deb") bytes, Installed-Size $(field "$deb" Installed-Size) KiB"
}

# kpart: programs, units, library, man pages, completion, docs, schema
deb=$(one 'kpart_*.deb')
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
has "$deb" /usr/sbin/partd /usr/sbin/partctl \
	/lib/systemd/system/partd.service /lib/systemd/system/sys-fs-kpart.mount \
	/usr/lib/modules-load.d/kpart.conf \
	/usr/lib/"$ma"/libkpartplan.a /usr/lib/"$ma"/pkgconfig/kpartplan.pc \
	/usr/include/kpart/plan.h /usr/include/kpart/uapi.h \
	/usr/share/man/man8/partd.8.gz /usr/share/man/man8/partctl.8.gz \
	/usr/share/man/man5/kpart-plan.5.gz /usr/share/man/man7/kpart.7.gz \
	/usr/share/bash-completion/completions/partctl \
	/usr/share/doc/kpart/copyright /usr/share/doc/kpart/partd.md \
	/usr/share/kpart/plan.schema.json /usr/share/kpart/examples/minimal.json
common_checks "$deb"
unit=$(file_of "$deb" /lib/systemd/system/partd.service)
grep -qx 'ExecStart=/usr/sbin/partd' <<<"$unit" || fail "partd.service: $(grep ExecStart <<<"$unit")"
grep -q 'file:///usr/share/doc/kpart/partd.md' <<<"$unit" || fail "partd.service: Documentation= not under /usr/share/doc/kpart"
pc=$(file_of "$deb" /usr/lib/"$ma"/pkgconfig/kpartplan.pc)
grep -qx "libdir=/usr/lib/$ma" <<<"$pc" || fail "kpartplan.pc: $(grep libdir= <<<"$pc")"
deps=$(field "$deb" Depends)
for lib in libsystemd0 libjson-c5 libnl-genl-3-200 libsmartcols1; do
	grep -q "$lib" <<<"$deps" || fail "kpart: Depends lacks $lib: $deps"
done
ctrl=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t)
for s in postinst prerm postrm; do
	grep -qx "./$s" <<<"$ctrl" || fail "kpart: no $s"
done
grep -q 'enable partd.service' <<<"$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst)" ||
	fail "kpart: postinst does not enable partd.service"

# kpart-dkms: dkms.conf and every source file Kbuild names
deb=$(one 'kpart-dkms_*.deb')
v=$(field "$deb" Version)
src=/usr/src/kpart-$v
has "$deb" "$src/dkms.conf" "$src/Kbuild" "$src/include/kpart/uapi.h"
objs=$(file_of "$deb" "$src/Kbuild" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' |
	sed -n 's/^kpart-y *:=//p' | tr ' \t' '\n\n' | grep '\.o$')
[[ $(wc -l <<<"$objs") -gt 5 ]] || fail "kpart-dkms: Kbuild names too few objects: $objs"
for o in $objs; do
	o=${o%.o}
	grep -qE "^$src/$o\.(c|S)\$" <<<"$(paths "$deb")" || fail "kpart-dkms lacks $src/$o.c (Kbuild builds $o.o)"
done
conf=$(file_of "$deb" "$src/dkms.conf")
grep -qx "PACKAGE_VERSION=\"$v\"" <<<"$conf" || fail "dkms.conf PACKAGE_VERSION is not $v"
grep -qx 'BUILT_MODULE_NAME\[0\]="kpart"' <<<"$conf" || fail "dkms.conf builds no kpart module"
grep -q 'dkms' <<<"$(field "$deb" Depends)" || fail "kpart-dkms does not depend on dkms"
common_checks "$deb"

# The kernel, when built: bindeb-pkg's image and headers of one release
shopt -s nullglob
images=("$dir"/linux-image-*.deb)
if [[ ${#images[@]} -eq 0 ]]; then
	echo "note: no kernel packages in $dir (make deb builds them)"
	exit 0
fi
deb=$(one 'linux-image-*.deb')
rel=$(field "$deb" Package)
rel=${rel#linux-image-}
[[ $rel == *-kpart ]] || fail "kernel release $rel does not end in -kpart"
has "$deb" "/boot/vmlinuz-$rel" "/boot/config-$rel" "/boot/System.map-$rel"
grep -qx CONFIG_KPART=y <<<"$(file_of "$deb" "/boot/config-$rel")" ||
	fail "linux-image-$rel: CONFIG_KPART is not y"
common_checks "$deb"
deb=$(one "linux-headers-$rel"_'*.deb')
has "$deb" "/usr/src/linux-headers-$rel/Makefile" \
	"/usr/src/linux-headers-$rel/arch/x86/include/asm/kpart.h" \
	"/usr/src/linux-headers-$rel/Module.symvers" \
	"/usr/src/linux-headers-$rel/scripts/mod/modpost" \
	"/lib/modules/$rel/build"
# its programs (objtool, modpost...) run on the machine that builds a
# module: their libraries and the compiler are dependencies
deps=$(field "$deb" Depends)
for d in libelf1 libc6 gcc make; do
	grep -qE "(^|, )$d( |,|$)" <<<"$deps" || fail "linux-headers-$rel does not depend on $d: '$deps'"
done
common_checks "$deb"
echo "ok: kernel packages for $rel"
