#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Prepares the 32-bit Linux normal world that run/tzchan_tz_linux.run boots under Genode's TrustZone VMM:
#   1. the ARMv7 kernel (Debian's linux-source-6.1, allnoconfig + tzchan-virt-armv7.config; cached, keyed by its
#      inputs: port/linux-kernel/kernel/build-kernel.sh with TZCHAN_KERNEL_ARCH=arm);
#   2. tzchan.ko with the test hooks, built against it (port/linux-kernel/module/build-module.sh);
#   3. the test programs of port/linux-kernel, static armhf binaries (tzchan-test as /init, tzchan-hostile,
#      tzchan-stat, tzchan-vfp);
#   4. the initramfs (gen_init_cpio of that kernel).
# Leaves zImage and initramfs.cpio in OUT_DIR (what the run script takes as TZCHAN_TZ_LINUX_DIR).
# Usage: linux-guest.sh OUT_DIR KERNEL_CACHE_DIR
# Env:   TZCHAN_JOBS (kernel build jobs, default 2), TZCHAN_LINUX_TARBALL (see build-kernel.sh)
# Exit:  0 done, 1 a build failed, 2 a tool or package is missing (the test fails: it never skips).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 OUT_DIR KERNEL_CACHE_DIR" >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd)
kcache=$2
here=$(cd "$(dirname "$0")" && pwd)
lk=$(cd "$here/../linux-kernel" && pwd)
tz=$(cd "$here/../trustzone" && pwd)
cross=arm-linux-gnueabihf-
die() { echo "linux-guest.sh: $*" >&2; exit 1; }

for tool in ${cross}gcc make bc bison flex; do
    command -v "$tool" >/dev/null 2>&1 || { echo "linux-guest.sh: missing tool: $tool" >&2; exit 2; }
done
[ -f "${TZCHAN_LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}" ] ||
    { echo "linux-guest.sh: no linux-source-6.1 (apt-get install linux-source-6.1)" >&2; exit 2; }
[ -f /usr/arm-linux-gnueabihf/lib/libc.a ] ||
    { echo "linux-guest.sh: no static armhf libc (apt-get install libc6-dev-armhf-cross)" >&2; exit 2; }

echo "linux-guest.sh: kernel (cache: $kcache)"
kobj=$(TZCHAN_KERNEL_ARCH=arm "$lk/kernel/build-kernel.sh" "$kcache" "${TZCHAN_JOBS:-2}" | tail -n 1) ||
    die "kernel build"
[ -f "$kobj/arch/arm/boot/zImage" ] || die "no zImage in $kobj"
cp "$kobj/arch/arm/boot/zImage" "$out/zImage"

echo "linux-guest.sh: module"
ko=$(TZCHAN_KERNEL_ARCH=arm TZCHAN_TEST_HOOKS=y "$lk/module/build-module.sh" "$kobj" "$out/module" | tail -n 1) ||
    die "module build"
kver=$(cat "$kobj/include/config/kernel.release")
grep -aq "vermagic=$kver " "$ko" || die "$ko was not built for kernel $kver"

echo "linux-guest.sh: test programs and initramfs"
mkdir -p "$out/initramfs"
${cross}gcc -static -pthread -O2 -Wall -Wextra -Werror -I"$lk/module" -I"$tz/common" \
    -o "$out/initramfs/tzchan-test" "$lk/user/tzchan-test.c" "$tz/common/tz_crc32.c" || die "test program build"
${cross}gcc -static -pthread -O2 -Wall -Wextra -Werror -I"$lk/module" -I"$tz/common" \
    -o "$out/initramfs/tzchan-hostile" "$lk/user/tzchan-hostile.c" || die "hostile program build"
${cross}gcc -static -O2 -Wall -Wextra -Werror -I"$here/../../include" -I"$lk/module" \
    -o "$out/initramfs/tzchan-stat" "$here/../../tools/tzchan-stat.c" -lm || die "tzchan-stat build"
${cross}gcc -static -O2 -Wall -Wextra -Werror -o "$out/initramfs/tzchan-vfp" "$lk/user/tzchan-vfp.c" ||
    die "tzchan-vfp build"
cat > "$out/initramfs/list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $out/initramfs/tzchan-test 0755 0 0
file /tzchan-hostile $out/initramfs/tzchan-hostile 0755 0 0
file /tzchan-stat $out/initramfs/tzchan-stat 0755 0 0
file /tzchan-vfp $out/initramfs/tzchan-vfp 0755 0 0
file /tzchan.ko $ko 0644 0 0
LIST
"$kobj/usr/gen_init_cpio" "$out/initramfs/list" > "$out/initramfs.cpio" || die "initramfs"
echo "linux-guest.sh: $out/zImage ($kver), $out/initramfs.cpio"
