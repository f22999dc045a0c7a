#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds tzchan.ko out of tree against a kernel build folder (from build-kernel.sh). The module's build folder
# holds only links: to Kbuild, tzchan_drv.c and tzchan_cdev.c here, and to the portable core (src/tzchan.c, src/strerror.c),
# which is compiled unchanged. Prints the path of tzchan.ko on its last line.
# Usage: build-module.sh <kernel build folder> <module build folder>
# Env:   TZCHAN_TEST_HOOKS=y builds the test hooks in (scribble/verdict ioctls, debug_* parameters); the QEMU test
#        sets it, a production build leaves it unset.
#        TZCHAN_KERNEL_ARCH: arm64 (default) or arm (the 32-bit kernel of build-kernel.sh); CROSS_COMPILE (default
#        aarch64-linux-gnu- for arm64, arm-linux-gnueabihf- for arm).
set -eu
kobj=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
arch=${TZCHAN_KERNEL_ARCH:-arm64}
case $arch in
arm64) cross=${CROSS_COMPILE:-aarch64-linux-gnu-} ;;
arm)   cross=${CROSS_COMPILE:-arm-linux-gnueabihf-} ;;
*)     echo "build-module: TZCHAN_KERNEL_ARCH=$arch: want arm64 or arm" >&2; exit 2 ;;
esac
mkdir -p "$out"
ln -sf "$here/Kbuild" "$out/Kbuild"
ln -sf "$here/tzchan_drv.c" "$out/tzchan_drv.c"
ln -sf "$here/tzchan_cdev.c" "$out/tzchan_cdev.c"
ln -sf "$top/src/tzchan.c" "$out/core_tzchan.c"
ln -sf "$top/src/strerror.c" "$out/core_strerror.c"
make -s -C "$kobj" ARCH="$arch" CROSS_COMPILE="$cross" M="$out" TZCHAN_TOP="$top" \
    TZCHAN_TEST_HOOKS="${TZCHAN_TEST_HOOKS:-}" modules >&2
echo "$out/tzchan.ko"
