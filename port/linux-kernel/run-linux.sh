#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The whole Linux normal-world test, from sources to verdict:
#   1. the kernel (Debian's linux-source-6.1, minimal arm64 config; cached by config hash: kernel/build-kernel.sh)
#   2. the firmware (our EL3 monitor + secure payload, firmware/Makefile)
#   3. tzchan.ko out of tree (module/build-module.sh) and the static test program (user/tzchan-test.c)
#   4. the initramfs (/init = the test program, /tzchan.ko, /dev/console) with the kernel's gen_init_cpio
#   5. the device tree (mk-dtb.sh)
#   6. QEMU: virt, secure=on, GICv3, cortex-a53, 2 CPUs (CPU0 Linux at NS-EL1, CPU1 our payload at S-EL1)
# and checks three things: the test program's RESULT line on the console, the secure side's VERDICT line on the
# secure-only UART, and QEMU's exit status, which our monitor sets when Linux powers off (PSCI SYSTEM_OFF).
# Usage: run-linux.sh <work folder>      (the kernel cache lives in <work folder>/kernel unless
#                                         TZCHAN_KERNEL_CACHE names another folder)
# Exit: 0 pass, 1 fail, 77 skip (tools or linux-source-6.1 absent).
set -u
work=$(mkdir -p "$1" && cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
jobs=${TZCHAN_JOBS:-2}
tarball=${TZCHAN_LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
cross=aarch64-linux-gnu-

for tool in qemu-system-aarch64 ${cross}gcc dtc make bc bison flex timeout; do
    command -v "$tool" >/dev/null 2>&1 || { echo "skip: $tool is not installed"; exit 77; }
done
[ -f "$tarball" ] || { echo "skip: $tarball is absent (apt-get install linux-source-6.1)"; exit 77; }
[ -f /usr/aarch64-linux-gnu/lib/libc.a ] || { echo "skip: no static arm64 libc (libc6-dev-arm64-cross)"; exit 77; }
[ -f /usr/include/openssl/ssl.h ] && [ -f /usr/include/libelf.h ] || \
    { echo "skip: kernel build dependencies absent (libssl-dev, libelf-dev)"; exit 77; }

step() { echo "=== $*"; }
die() { echo "FAIL: $*"; exit 1; }
board() { sed -n "s/^#define $1 \(0x[0-9a-fA-F]*\)u.*/\1/p" "$here/firmware/lk_board.h"; }

t0=$(date +%s)
step "kernel (cache: ${TZCHAN_KERNEL_CACHE:-$work/kernel})"
kobj=$("$here/kernel/build-kernel.sh" "${TZCHAN_KERNEL_CACHE:-$work/kernel}" "$jobs" | tail -n 1) || die "kernel build"
[ -f "$kobj/arch/arm64/boot/Image" ] || die "no Image in $kobj"
t1=$(date +%s)
echo "kernel ready in $((t1 - t0)) s"

step "firmware"
make -s -C "$here/firmware" O="$work/firmware" CROSS="$cross" || die "firmware build"
fw=$work/firmware/tz-linux.bin

step "module"
# the test needs the test hooks (scribble and verdict ioctls, debug_* parameters); a production build has none
ko=$(TZCHAN_TEST_HOOKS=y "$here/module/build-module.sh" "$kobj" "$work/module" | tail -n 1) || die "module build"

step "test program and initramfs"
mkdir -p "$work/initramfs"
${cross}gcc -static -O2 -Wall -Wextra -Werror -I"$here/common" -I"$here/module" \
    -I"$here/../trustzone/common" -o "$work/initramfs/tzchan-test" "$here/user/tzchan-test.c" \
    "$here/../trustzone/common/tz_crc32.c" || die "test program build"
cat > "$work/initramfs/list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $work/initramfs/tzchan-test 0755 0 0
file /tzchan.ko $ko 0644 0 0
LIST
"$kobj/usr/gen_init_cpio" "$work/initramfs/list" > "$work/initramfs.cpio" || die "initramfs"

step "device tree"
machine="-M virt,secure=on,gic-version=3 -cpu cortex-a53 -smp 2 -m 512M -net none"
# shellcheck disable=SC2086
"$here/mk-dtb.sh" "$fw" "$work/initramfs.cpio" "$(board LK_INITRD_PA)" "$work/tzchan.dtb" $machine || die "device tree"

step "boot"
log=$work/secure.log
console=$work/console.log
rm -f "$log" "$console"
set -- $machine -display none -monitor none -semihosting -bios "$fw" \
    -device loader,file="$kobj/arch/arm64/boot/Image",addr="$(board LK_IMAGE_PA)",force-raw=on \
    -device loader,file="$work/tzchan.dtb",addr="$(board LK_DTB_PA)",force-raw=on \
    -device loader,file="$work/initramfs.cpio",addr="$(board LK_INITRD_PA)",force-raw=on \
    -serial stdio -serial file:"$log"
echo "\$ qemu-system-aarch64 $*"
tb=$(date +%s)
rm -f "$work/qemu.rc"
{ timeout -k 5 600 qemu-system-aarch64 "$@" </dev/null; echo $? > "$work/qemu.rc"; } | tee "$console"
rc=$(cat "$work/qemu.rc" 2>/dev/null || echo 255)
[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && echo "QEMU did not finish within 600 s"
te=$(date +%s)
echo
echo "--- secure-only UART ($log) ---"
cat "$log" 2>/dev/null
echo "--- QEMU exit status: $rc; boot to power-off $((te - tb)) s; whole run $((te - t0)) s"
grep -q '^RESULT PASS' "$console" || die "no 'RESULT PASS' from the test program on the console"
grep -q '^VERDICT PASS linux' "$log" 2>/dev/null || die "no 'VERDICT PASS linux' on the secure UART"
[ "$rc" -eq 0 ] || die "the verdicts say PASS but QEMU's exit status is $rc"
echo "PASS: test program, secure side and exit status agree"
exit 0
