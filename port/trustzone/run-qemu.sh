#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Boots one TrustZone image on QEMU and checks its verdict twice: the line the secure side printed on the
# secure-only UART (second -serial) and QEMU's exit status, which the secure side sets through semihosting; and
# that the normal world (first -serial) reported nothing UNEXPECTED (its own checks in hostile mode).
# Mode smp (AArch64 only) boots the SMP image on 4 CPUs, every one of them running both worlds (aarch64/el3_smp.c).
# Usage: run-qemu.sh <aarch64|armv7> <traffic|hostile|restart|smcfuzz|smp> <image.bin> <work dir>
# Exit: 0 pass, 1 fail, 77 skip (QEMU or the image's cross toolchain is absent).
set -u
arch=$1 mode=$2 img=$3 work=$4
case $arch in
aarch64) qemu=qemu-system-aarch64; machine="-M virt,secure=on,gic-version=3 -cpu cortex-a53 -smp 2" ;;
armv7) qemu=qemu-system-arm; machine="-M virt,secure=on -cpu cortex-a15 -smp 1" ;;
*) echo "unknown architecture $arch"; exit 1 ;;
esac
[ "$arch-$mode" = aarch64-smp ] && machine="-M virt,secure=on,gic-version=3 -cpu cortex-a53 -smp 4"
command -v "$qemu" >/dev/null 2>&1 || { echo "skip: $qemu is not installed"; exit 77; }
command -v timeout >/dev/null 2>&1 || { echo "skip: timeout(1) is not installed"; exit 77; }
[ -f "$img" ] || { echo "skip: $img was not built (cross toolchain absent at configure time)"; exit 77; }
mkdir -p "$work"
log=$work/secure-$arch-$mode.log
rm -f "$log"
out=$work/normal-$arch-$mode.log
rm -f "$out"
echo "\$ $qemu $machine -m 128M -display none -monitor none -net none -semihosting -bios $img -serial file:$out -serial file:$log"
# shellcheck disable=SC2086
timeout -k 5 90 "$qemu" $machine -m 128M -display none -monitor none -net none -semihosting -bios "$img" \
    -serial "file:$out" -serial "file:$log" </dev/null
rc=$?
echo "--- normal world's UART ($out) ---"
cat "$out" 2>/dev/null
echo
echo "--- secure-only UART ($log) ---"
cat "$log" 2>/dev/null
echo "--- QEMU exit status: $rc"
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    echo "FAIL: QEMU did not finish within 90 s"
    exit 1
fi
if ! grep -q "^VERDICT PASS $arch $mode" "$log" 2>/dev/null; then
    echo "FAIL: no 'VERDICT PASS $arch $mode' on the secure UART"
    exit 1
fi
if grep -q UNEXPECTED "$out" 2>/dev/null; then
    echo "FAIL: the normal world saw something UNEXPECTED"
    exit 1
fi
if [ $rc -ne 0 ]; then
    echo "FAIL: the secure UART says PASS but the exit status is $rc"
    exit 1
fi
echo "PASS: secure UART verdict and exit status agree"
exit 0
