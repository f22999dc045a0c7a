#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds the normal world's Linux kernel from Debian's linux-source-6.1 with one of our minimal configurations,
# out of tree, and caches it: arm64 (the default: allnoconfig + tzchan-virt.config, for port/linux-kernel and
# port/optee) or 32-bit ARMv7 (TZCHAN_KERNEL_ARCH=arm: allnoconfig + tzchan-virt-armv7.config, for the Linux normal
# world under Genode's TrustZone VMM, port/genode). The build folder is keyed by a hash of the configuration
# fragment, the source package's version, the cross compiler's prefix, the recipe number below and (for arm only,
# so the arm64 key is the one it always was) the architecture, so a rerun with nothing changed only checks a
# stamp. Prints the kernel build folder (holding arch/arm64/boot/Image or arch/arm/boot/zImage, Module.symvers and
# usr/gen_init_cpio) on its last line of output; that folder is also what the module is built against.
# Usage: build-kernel.sh <cache dir> [jobs]
# Env:   TZCHAN_LINUX_TARBALL (default /usr/src/linux-source-6.1.tar.xz), TZCHAN_KERNEL_ARCH (arm64 or arm;
#        default arm64), CROSS_COMPILE (default aarch64-linux-gnu- for arm64, arm-linux-gnueabihf- for arm)
set -eu
cache=$(mkdir -p "$1" && cd "$1" && pwd)
jobs=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
tarball=${TZCHAN_LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
arch=${TZCHAN_KERNEL_ARCH:-arm64}
case $arch in
arm64) cross=${CROSS_COMPILE:-aarch64-linux-gnu-} frag=$here/tzchan-virt.config image=Image archkey="" ;;
arm)   cross=${CROSS_COMPILE:-arm-linux-gnueabihf-} frag=$here/tzchan-virt-armv7.config image=zImage archkey=", arch arm" ;;
*)     echo "build-kernel: TZCHAN_KERNEL_ARCH=$arch: want arm64 or arm" >&2; exit 2 ;;
esac

[ -f "$tarball" ] || { echo "build-kernel: $tarball not found (install linux-source-6.1)" >&2; exit 2; }
version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || stat -c %s-%Y "$tarball")
# Bump when the steps below change what gets built (not for edits that cannot change the result).
recipe=1
key=$( (cat "$frag"; echo "recipe $recipe, linux-source $version, $cross$archkey") | sha256sum | cut -c1-16)
src=$cache/linux-src-$version
obj=$cache/linux-obj-$key
mkdir -p "$cache"
start=$(date +%s)
# One line per stage, with the time since the start, on stderr (stdout carries only the result).
stage() { echo "build-kernel: [+$(( $(date +%s) - start )) s] $*" >&2; }

if [ -f "$obj/.tzchan-built" ]; then
    echo "build-kernel: cached kernel $key ($version)" >&2
    echo "$obj"
    exit 0
fi

if [ ! -f "$src/.tzchan-extracted" ]; then
    stage "extracting $tarball"
    rm -rf "$src" "$src.tmp"
    mkdir -p "$src.tmp"
    tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
    touch "$src.tmp/.tzchan-extracted"
    mv "$src.tmp" "$src"
fi

stage "configuring $key in $obj"
rm -rf "$obj"
mkdir -p "$obj"
mk() { make -s -C "$src" O="$obj" ARCH="$arch" CROSS_COMPILE="$cross" "$@"; }
mk allnoconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >/dev/null
mk olddefconfig >/dev/null
# Every option the fragment sets must have survived (a missing dependency silently drops one).
grep '^CONFIG_' "$frag" | while IFS= read -r line; do
    grep -qxF "$line" "$obj/.config" || { echo "build-kernel: '$line' did not survive olddefconfig" >&2; exit 1; }
done

stage "building $image and modules with -j$jobs (takes minutes the first time)"
mk -j"$jobs" "$image" modules
touch "$obj/.tzchan-built"
stage "built"
echo "$obj"
