#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds tzchan.ko out of tree against a kernel build folder (from build-kernel.sh). The module's build folder
# holds only links: to Kbuild, tzchan_drv.c and tzchan_cdev.c here, and to the portable core (src/tzchan.c, src/strerror.c),
# which is compiled unchanged. Prints the path of tzchan.ko on its last line.
# Usage: build-module.sh <kernel build folder> <module build folder>
# Env:   TZCHAN_TEST_HOOKS=y builds the test hooks in (scribble/verdict ioctls, debug_* parameters); the QEMU test
#        sets it, a production build leaves it unset.
set -eu
kobj=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
mkdir -p "$out"
ln -sf "$here/Kbuild" "$out/Kbuild"
ln -sf "$here/tzchan_drv.c" "$out/tzchan_drv.c"
ln -sf "$here/tzchan_cdev.c" "$out/tzchan_cdev.c"
ln -sf "$top/src/tzchan.c" "$out/core_tzchan.c"
ln -sf "$top/src/strerror.c" "$out/core_strerror.c"
make -s -C "$kobj" ARCH=arm64 CROSS_COMPILE="$cross" M="$out" TZCHAN_TOP="$top" \
    TZCHAN_TEST_HOOKS="${TZCHAN_TEST_HOOKS:-}" modules >&2
echo "$out/tzchan.ko"
