#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Boots the Linux firmware (linux/, tz-linux.bin) with the PSCI check (linux/psci_check.c) in place of the kernel
# Image, on 3 CPUs (CPU0 and CPU2 normal world, CPU1 the secure payload), and checks that the check printed
# "PSCI-CHECK PASS" and no FAIL on the normal world's UART, and that it powered off through the monitor's
# SYSTEM_OFF: QEMU's exit status is then 2 ("no verdict": the check gives the payload none) and the secure UART
# says so.
# Usage: run-psci.sh <tz-linux.bin> <psci-check.bin> <work dir>
# Exit: 0 pass, 1 fail, 77 skip (QEMU absent, or the images were not built).
set -u
fw=$1 img=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
command -v qemu-system-aarch64 >/dev/null 2>&1 || { echo "skip: qemu-system-aarch64 is not installed"; exit 77; }
command -v timeout >/dev/null 2>&1 || { echo "skip: timeout(1) is not installed"; exit 77; }
[ -f "$fw" ] && [ -f "$img" ] || { echo "skip: $fw or $img was not built (no cross toolchain)"; exit 77; }
image_pa=$(sed -n 's/^#define LK_IMAGE_PA \(0x[0-9a-fA-F]*\)u.*/\1/p' "$here/linux/lk_board.h")
no_verdict=$(sed -n 's/^#define LK_EXIT_NO_VERDICT \([0-9]*\) .*/\1/p' "$here/linux/lk_board.h")
mkdir -p "$work"
out=$work/normal-psci.log log=$work/secure-psci.log
rm -f "$out" "$log"
set -- -M virt,secure=on,gic-version=3 -cpu cortex-a53 -smp 3 -m 512M -net none -display none -monitor none \
    -semihosting -bios "$fw" -device loader,file="$img",addr="$image_pa",force-raw=on \
    -serial "file:$out" -serial "file:$log"
echo "\$ qemu-system-aarch64 $*"
timeout -k 5 90 qemu-system-aarch64 "$@" </dev/null
rc=$?
echo "--- normal world's UART ($out) ---"
cat "$out" 2>/dev/null
echo "--- secure-only UART ($log) ---"
cat "$log" 2>/dev/null
echo "--- QEMU exit status: $rc"
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    echo "FAIL: QEMU did not finish within 90 s"
    exit 1
fi
grep -q '^PSCI-CHECK PASS' "$out" 2>/dev/null || { echo "FAIL: no 'PSCI-CHECK PASS' from the check"; exit 1; }
if grep -q 'FAIL' "$out" 2>/dev/null; then
    echo "FAIL: the check reported failures"
    exit 1
fi
grep -q "^EL3: PSCI SYSTEM_OFF from the normal world: QEMU exit status $no_verdict" "$log" 2>/dev/null || \
    { echo "FAIL: the monitor did not power off through SYSTEM_OFF"; exit 1; }
[ "$rc" -eq "$no_verdict" ] || \
    { echo "FAIL: QEMU's exit status is $rc, want $no_verdict (SYSTEM_OFF, no verdict)"; exit 1; }
echo "PASS: the firmware's PSCI behaves as the check expects"
exit 0
