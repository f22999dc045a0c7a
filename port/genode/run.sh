#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Builds and runs the tzchan scenario (run/tzchan.run) against a Genode tree, with Debian's gcc standing in for
# Genode's tool chain. Prepares, inside the Genode tree: a folder of genode-<arch>-* links to Debian's tools
# (build/tzchan-tools), the patches (genode-debian-gcc.patch and genode-tz-fpexc.patch, each applied once), and a build directory
# (build/tzchan-<target>) that adds this folder as a Genode source repository. Then runs `make run/tzchan`.
#
# Usage:  port/genode/run.sh GENODE_DIR [linux|virt_qemu_arm_v8a|virt_qemu_arm_v7a_tz]     (default: linux)
#         virt_qemu_arm_v7a_tz runs run/tzchan_tz.run (Genode as the TrustZone secure world, board files in this
#         folder), or run/tzchan_tz_linux.run (a Linux normal world) with TZCHAN_TZ_SCENARIO=tzchan_tz_linux; the
#         others run run/tzchan.run.
# Needs:  a Genode source tree (tested at commit ffb059da4d, version 26.02: a checkout or the unpacked snapshot);
#         Debian packages g++ (x86_64), g++-aarch64-linux-gnu (arm_v8a) or g++-arm-linux-gnueabihf (arm_v7a_tz),
#         qemu-system-arm for the QEMU targets, and expect tcl
#         libxml2-utils make git (.ci/packages.d/genode.txt).
# Env:    TZCHAN_GENODE_JOBS  parallel make jobs (default 2)
#         TZCHAN_TZ_NS_IMAGE  virt_qemu_arm_v7a_tz only: a normal-<mode>.bin of port/trustzone (make armv7-genode)
#                             for the scenario's second phase; without it, only the board check runs
#         TZCHAN_TZ_SCENARIO  virt_qemu_arm_v7a_tz only: tzchan_tz (default) or tzchan_tz_linux (needs
#                             TZCHAN_TZ_LINUX_DIR, see run/tzchan_tz_linux.run and linux-guest.sh)
# Exit:   0 only if the scenario passed; 1 if it failed; 2 on a usage or setup error.
set -euo pipefail
# The whole script is one block that bash reads before it runs any of it: a checkout that changes this file
# while a run is under way (the Genode build takes minutes) cannot make the run execute a mix of both versions.
{
usage() { echo "usage: $0 GENODE_DIR [linux|virt_qemu_arm_v8a|virt_qemu_arm_v7a_tz]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
[ -d "$1" ] || { echo "$0: no such folder: $1" >&2; exit 2; }
genode=$(cd "$1" && pwd)
target=${2:-linux}
here=$(cd "$(dirname "$0")" && pwd)
pinned=ffb059da4d
jobs=${TZCHAN_GENODE_JOBS:-2}

[ -x "$genode/tool/create_builddir" ] && [ -d "$genode/repos/base" ] ||
    { echo "$0: $genode is not a Genode source tree" >&2; exit 2; }
# git looks at the Genode tree alone: a checkout is its own repository, and an unpacked snapshot is none. Without
# this, a snapshot unpacked inside another repository (this project's build folder) would be taken for part of
# that one: `git apply` would skip every path of the patch, and the commit below would be the other's.
export GIT_CEILING_DIRECTORIES
GIT_CEILING_DIRECTORIES=$(dirname "$genode")
if head=$(git -C "$genode" rev-parse --short=10 HEAD 2>/dev/null) && [ "$head" != "$pinned" ]; then
    echo "$0: note: Genode tree is at $head; this port was tested at $pinned" >&2
fi

case $target in
    linux)                platform=x86_64;  arch=x86;     triplet=x86_64-linux-gnu;    kernel=linux; board=$target ;;
    virt_qemu_arm_v8a)    platform=arm_v8a; arch=aarch64; triplet=aarch64-linux-gnu;   kernel=hw;    board=$target ;;
    virt_qemu_arm_v7a_tz) platform=arm_v7a; arch=arm;     triplet=arm-linux-gnueabihf; kernel=hw;    board=$target ;;
    *) usage ;;
esac

need=(make expect tclsh xmllint "$triplet-gcc" "$triplet-g++")
case $target in
    virt_qemu_arm_v8a)    need+=(qemu-system-aarch64) ;;
    virt_qemu_arm_v7a_tz) need+=(qemu-system-arm) ;;
esac
scenario=tzchan
if [ "$target" = virt_qemu_arm_v7a_tz ]; then
    scenario=${TZCHAN_TZ_SCENARIO:-tzchan_tz}
    case $scenario in
        tzchan_tz) ;;
        tzchan_tz_linux) need+=(dtc) ;;
        *) echo "$0: TZCHAN_TZ_SCENARIO=$scenario: want tzchan_tz or tzchan_tz_linux" >&2; exit 2 ;;
    esac
fi
for tool in "${need[@]}"; do
    command -v "$tool" >/dev/null || { echo "$0: missing tool: $tool (see docs/GENODE.md)" >&2; exit 2; }
done

t_start=$SECONDS
stage() { echo "run.sh $target: [+$((SECONDS - t_start)) s] $*"; } # one line per stage, with the time since the start
stage "tool chain and compatibility patch"

# ---- tool chain: genode-<arch>-* links to Debian's cross (or native) tools ----------------------------------
tools="$genode/build/tzchan-tools"
mkdir -p "$tools"
for t in gcc g++ cpp ld as ar nm objcopy objdump ranlib strip readelf; do
    ln -sfn "$(command -v "$triplet-$t")" "$tools/genode-$arch-$t"
done
gcc_version=$("$triplet-g++" -dumpfullversion)
if [ "$arch" = arm ]; then
    # Genode's arm_v7a code is soft-float ABI (-mfloat-abi=softfp); Debian's armhf tool chain is hard-float.
    # 1. Its glibc headers look for gnu/stubs-soft.h, which only a soft-float glibc installs. The C++ headers need
    #    nothing from it but its existence (a list of unimplemented glibc functions): a shim folder searched
    #    after the system's (CC_OPT below).
    mkdir -p "$tools/include/gnu" "$tools/lib"
    echo '#include <gnu/stubs-hard.h>' > "$tools/include/gnu/stubs-soft.h"
    # 2. Its libgcc, libgcc_eh and libsupc++ carry the hard-float build attribute, so ld refuses to link them
    #    with Genode's objects. What Genode calls there passes no floating-point value in a register: libgcc's
    #    helpers are the ARM EABI run-time functions, which use the base calling convention in every build, and
    #    the C++ support passes only pointers and integers. So Genode gets copies without the attributes: the
    #    gcc and g++ links answer -print-libgcc-file-name and -print-file-name=lib{gcc_eh,supc++}.a with them.
    for lib in libgcc.a libgcc_eh.a libsupc++.a; do
        "$triplet-objcopy" -R .ARM.attributes "$("$triplet-g++" -print-file-name=$lib)" "$tools/lib/$lib"
    done
    # Genode finds the compiler's own headers (stdbool.h, stdarg.h) beside libgcc.a: link them in
    ln -sfn "$("$triplet-gcc" -print-file-name=include)" "$tools/lib/include"
    # 3. Its libgcc's division-by-zero handlers (__aeabi_idiv0, __aeabi_ldiv0) call glibc's raise(SIGFPE). In
    #    their place, the ones of a bare-metal libgcc: return, and the division yields 0 (as the ARM EABI allows).
    printf '\t.text\n\t.global __aeabi_idiv0\n\t.global __aeabi_ldiv0\n__aeabi_idiv0:\n__aeabi_ldiv0:\n\tbx lr\n' |
        "$triplet-as" -march=armv7-a -o "$tools/lib/dvmd_return.o" -
    "$triplet-ar" d "$tools/lib/libgcc.a" _dvmd_lnx.o
    "$triplet-ar" r "$tools/lib/libgcc.a" "$tools/lib/dvmd_return.o"
    for t in gcc g++; do
        rm -f "$tools/genode-$arch-$t"
        # 4. The run tool links the boot image with "g++ -nostdlib" and fails on any linker message: a
        #    position-dependent image (Debian's gcc defaults to PIE), no build-ID note (it would land before the
        #    image's start), and no warning about assembly files without a .note.GNU-stack section.
        cat > "$tools/genode-$arch-$t" <<WRAPPER
#!/bin/sh
# Debian's $triplet-$t, with the support libraries of run.sh (without their float-ABI attributes)
link=
for arg; do
    case \$arg in
        -print-libgcc-file-name)      echo "$tools/lib/libgcc.a"; exit 0 ;;
        -print-file-name=libgcc.a)    echo "$tools/lib/libgcc.a"; exit 0 ;;
        -print-file-name=libgcc_eh.a) echo "$tools/lib/libgcc_eh.a"; exit 0 ;;
        -print-file-name=libsupc++.a) echo "$tools/lib/libsupc++.a"; exit 0 ;;
        -nostdlib)                    link="-no-pie -Wl,--build-id=none -Wl,--no-warn-execstack" ;;
    esac
done
exec "$(command -v "$triplet-$t")" \$link "\$@"
WRAPPER
        chmod +x "$tools/genode-$arch-$t"
    done
fi

# ---- patches (each applied once; a tree that already has one is left alone) ---------------------------------
# genode-debian-gcc.patch (the compatibility patch) and genode-tz-fpexc.patch (the TrustZone monitor keeps the
# normal world's FPEXC)
for patch_file in "$here"/genode-*.patch; do
    if (cd "$genode" && git apply --check "$patch_file" 2>/dev/null); then
        (cd "$genode" && git apply "$patch_file")
        echo "applied $(basename "$patch_file")"
    elif ! (cd "$genode" && git apply --reverse --check "$patch_file" 2>/dev/null); then
        echo "$0: $(basename "$patch_file") neither applies to $genode nor is applied already" >&2
        exit 2
    fi
done

stage "build directory"
# ---- build directory -------------------------------------------------------------------------------------
build="$genode/build/tzchan-$target"
if [ ! -f "$build/etc/build.conf" ]; then
    rm -rf "$build"
    "$genode/tool/create_builddir" "$platform" BUILD_DIR="$build" >/dev/null
    conf="$build/etc/build.conf"
    # KERNEL and BOARD must be known before the run-tool options that depend on them
    sed -i "/^CONTRIB_DIR/a KERNEL := $kernel\nBOARD := $board" "$conf"
    # no display: the scenario only logs (Qemu runs with -nographic)
    sed -i '/^QEMU_OPT += -display sdl/d' "$conf"
    cat >> "$conf" <<CONF

# tzchan port
REQUIRED_GCC_VERSION = $gcc_version
MAKE += -j$jobs
REPOSITORIES += $here
CONF
    cat > "$build/etc/tools.conf" <<CONF
# Debian's gcc in place of Genode's tool chain (see docs/GENODE.md)
CROSS_DEV_PREFIX = $tools/genode-$arch-
CXX_LINK_OPT += -no-pie -Wl,--build-id=none
CXX_GLIBC_GLUE = yes
CONF
    if [ "$arch" = aarch64 ]; then
        # Debian's aarch64 gcc calls libgcc's outline atomics by default; Genode's tool chain inlines them
        echo "CC_OPT += -mno-outline-atomics" >> "$build/etc/tools.conf"
    fi
    if [ "$arch" = arm ]; then
        # Debian's armhf gcc emits Thumb-2 by default; Genode's arm code expects the ARM instruction set. The
        # board is not one of Genode's own, so the run tool learns here that it runs under QEMU.
        echo "CC_OPT += -marm -idirafter $tools/include" >> "$build/etc/tools.conf"
        echo "BOARD_RUN_OPT($board) = \$(QEMU_RUN_OPT)" >> "$conf"
    fi
    echo "created build directory $build"
fi
# The build directory may outlive the checkout that made it (a cache shared by several checkouts, or a checkout
# that moved): the port's repository is the one this script belongs to, on every run, never the one recorded when
# the directory was made ("No run script for tzchan" otherwise, once that checkout is gone). The port's own objects
# are rebuilt when the checkout changes (the libraries, the VMM and the TrustZone board's bootstrap and core): their
# dependency files name the old checkout's sources.
if [ "$(cat "$build/tzchan-repository" 2>/dev/null)" != "$here" ]; then
    rm -rf "$build/var/libcache/tzchan" "$build/var/libcache/tzchan_genode" "$build/test/tzchan" \
           "$build/app/tzchan_vmm" "$build/var/libcache/bootstrap-hw-virt_qemu_arm_v7a_tz" \
           "$build/var/libcache/core-hw-virt_qemu_arm_v7a_tz"
    echo "$here" > "$build/tzchan-repository"
fi
sed -i "/^# tzchan port\$/,\$ s|^REPOSITORIES += .*|REPOSITORIES += $here|" "$build/etc/build.conf"
grep -qxF "REPOSITORIES += $here" "$build/etc/build.conf" ||
    { echo "$0: $build/etc/build.conf does not name this port's repository" >&2; exit 2; }

# ---- build and run ---------------------------------------------------------------------------------------
stage "building and running the scenario (make run/$scenario; minutes the first time)"
log="$build/$scenario.log"
start=$SECONDS
set +e
make -C "$build" "run/$scenario" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
echo "run.sh $target: make run/$scenario exited $rc after $((SECONDS - start)) s (log: $log)"
if [ "$rc" -eq 0 ] && grep -q "^$scenario scenario passed" "$log"; then
    exit 0
fi
exit 1
}
