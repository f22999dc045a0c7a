#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds tzchan.ko for OP-TEE (Kbuild here) out of tree against a kernel build folder (from
# port/linux-kernel/kernel/build-kernel.sh). The build folder holds only links. Prints the path of tzchan.ko on its
# last line.
# Usage: build-kmod.sh <kernel build folder> <module build folder>
# Env:   TZCHAN_TEST_HOOKS=y builds the test hooks in (scribble/verdict ioctls, debug_hostile); the QEMU test sets it.
set -eu
kobj=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
ln -sf "$here/Kbuild" "$out/Kbuild"
ln -sf "$here/tzchan_optee.c" "$out/tzchan_optee.c"
ln -sf "$top/port/linux-kernel/module/tzchan_cdev.c" "$out/tzchan_cdev.c"
ln -sf "$top/src/tzchan.c" "$out/core_tzchan.c"
ln -sf "$top/src/strerror.c" "$out/core_strerror.c"
make -s -C "$kobj" ARCH=arm64 CROSS_COMPILE="$cross" M="$out" TZCHAN_TOP="$top" \
    TZCHAN_TEST_HOOKS="${TZCHAN_TEST_HOOKS:-}" modules >&2
echo "$out/tzchan.ko"
