#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds the normal world's Linux kernel from Debian's linux-source-6.1 with our minimal arm64 configuration
# (allnoconfig + tzchan-virt.config), out of tree, and caches it: the build folder is keyed by a hash of the
# configuration fragment, the source package's version, the cross compiler's prefix and the recipe number below,
# so a rerun with nothing changed only checks a stamp. Prints the kernel build folder (holding arch/arm64/boot/Image, Module.symvers and
# usr/gen_init_cpio) on its last line of output; that folder is also what the module is built against.
# Usage: build-kernel.sh <cache dir> [jobs]
# Env:   TZCHAN_LINUX_TARBALL (default /usr/src/linux-source-6.1.tar.xz), CROSS_COMPILE (aarch64-linux-gnu-)
set -eu
cache=$(mkdir -p "$1" && cd "$1" && pwd)
jobs=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
tarball=${TZCHAN_LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
frag=$here/tzchan-virt.config

[ -f "$tarball" ] || { echo "build-kernel: $tarball not found (install linux-source-6.1)" >&2; exit 2; }
version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || stat -c %s-%Y "$tarball")
# Bump when the steps below change what gets built (not for edits that cannot change the result).
recipe=1
key=$( (cat "$frag"; echo "recipe $recipe, linux-source $version, $cross") | sha256sum | cut -c1-16)
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
mk() { make -s -C "$src" O="$obj" ARCH=arm64 CROSS_COMPILE="$cross" "$@"; }
mk allnoconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >/dev/null
mk olddefconfig >/dev/null
# Every option the fragment sets must have survived (a missing dependency silently drops one).
grep '^CONFIG_' "$frag" | while IFS= read -r line; do
    grep -qxF "$line" "$obj/.config" || { echo "build-kernel: '$line' did not survive olddefconfig" >&2; exit 1; }
done

stage "building Image and modules with -j$jobs (takes minutes the first time)"
mk -j"$jobs" Image modules
touch "$obj/.tzchan-built"
stage "built"
echo "$obj"
