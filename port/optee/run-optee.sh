#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The OP-TEE test, from sources to verdict:
#   1. the secure world: TF-A + OP-TEE OS with the tzchan pseudo TA (build-optee.sh; cached by its inputs)
#   2. the normal world's kernel (port/linux-kernel/kernel/build-kernel.sh: the same cached kernel as the Linux
#      test; its configuration has CONFIG_TEE and CONFIG_OPTEE) and tzchan.ko for OP-TEE (kmod/build-kmod.sh, with
#      the test hooks)
#   3. the initramfs: /init = user/tzchan-optee-init.c (static), which checks the PTA from user space and hands
#      over to /tzchan-test --optee=<mode> (port/linux-kernel's user test, with /tzchan-hostile and /tzchan.ko),
#      which loads the module (hostile registrations first), runs traffic of 0 B .. 6 MiB both ways on both lanes,
#      a scribble, reloads, a process killed mid-stream, signals, lane switches and the hostile program, and
#      powers off
#   4. the device tree: QEMU's own for this machine (dumped with the same -bios), plus /chosen (bootargs, initramfs);
#      TF-A adds the PSCI node and OP-TEE its firmware/optee node when they boot
#   5. QEMU: virt, secure=on, GICv3, 2 CPUs; TF-A's BL1 and FIP in flash, the kernel preloaded as BL33
# Modes (build-optee.sh): smc, OP-TEE's own SMC ABI (TF-A SPD=opteed); ffa, OP-TEE as an FF-A partition under
# TF-A's SPMC at EL3, which Linux reaches through its FF-A transport (the run checks which one Linux found).
# and checks: Linux's OP-TEE driver probed ("optee: revision 4.10"), OP-TEE logged the tzchan PTA at its init, the
# init program's checks passed, the test program's RESULT PASS, the module's VERDICT PASS (its own figures and the
# hostile requests all refused as documented), the PTA held no memory object before any load and after every
# unload, OP-TEE's own counts (threads in use, shared-memory objects and bytes, core heap bytes: the PTA's
# CORE_COUNTS, read by /tzchan-optee-counts with no client active) after the reload's unload, after the kill's
# unload and after the final unload equal those before the first load, QEMU ended by PSCI SYSTEM_OFF (TF-A's semihosting exit, status 0), and neither world reported a problem:
# any OP-TEE panic or TF-A error fails the run, and the kernel log must be free of the debug kernel's reports
# (KASAN, lockdep, oops, warnings; the patterns are in port/linux-kernel/kernel/report-patterns.txt). It ends with
# a summary: messages, bytes, PUMP invokes per message, rings back, hostile requests refused, OP-TEE's counts.
# Usage: run-optee.sh <work folder> [smc|ffa [kernel cache]]   (this run's files go to <work folder>/<mode>)
# Env:   TZCHAN_KERNEL_CACHE: the kernel cache (default: the third argument, else <work folder>/kernel); the CTest
#          test shares the Linux test's cache, and a resource lock keeps the two from building it at once
#        TZCHAN_OPTEE_CACHE: the firmware cache (default <work folder>/firmware)
#        TZCHAN_THIRD_PARTY: where the source snapshots are (see build-optee.sh)
#        TZCHAN_QEMU_TIMEOUT: seconds QEMU may run (default 600)
# Exit: 0 pass, 1 fail, 77 skip (a tool, linux-source-6.1 or a source snapshot is absent).
set -u
top=$(mkdir -p "$1" && cd "$1" && pwd)
mode=${2:-smc}
work=$top/$mode
kcache=${TZCHAN_KERNEL_CACHE:-${3:-$top/kernel}}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
. "$project/port/linux-kernel/kernel/qemu-run.sh" # qemu_run
jobs=${TZCHAN_JOBS:-2}
qemu_limit=${TZCHAN_QEMU_TIMEOUT:-600}
tarball=${TZCHAN_LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
third=${TZCHAN_THIRD_PARTY:-$project/../shared/third_party}
cross=aarch64-linux-gnu-
# the initramfs goes above the kernel (loaded at the BL33 address) with room for the kernel's whole image
initrd_pa=0x48000000

case $mode in smc|ffa) ;; *) echo "run-optee: mode '$mode': want smc or ffa"; exit 1 ;; esac
mkdir -p "$work"
for tool in qemu-system-aarch64 ${cross}gcc dtc make bc bison flex timeout flock; do
    command -v "$tool" >/dev/null 2>&1 || { echo "skip: $tool is not installed"; exit 77; }
done
[ -f "$tarball" ] || { echo "skip: $tarball is absent (apt-get install linux-source-6.1)"; exit 77; }
[ -f /usr/aarch64-linux-gnu/lib/libc.a ] || { echo "skip: no static arm64 libc (libc6-dev-arm64-cross)"; exit 77; }
for f in optee_os-4.10.0.tar.xz trusted-firmware-a-v2.14.0.tar.xz; do
    [ -f "$third/$f" ] || { echo "skip: $third/$f is absent (TZCHAN_THIRD_PARTY)"; exit 77; }
done

t_start=$(date +%s)
step() { echo "=== [+$(( $(date +%s) - t_start )) s] $*"; } # one line per stage, with the time since the start
die() { echo "FAIL: $*"; exit 1; }

step "secure world: TF-A + OP-TEE ($mode; cache: ${TZCHAN_OPTEE_CACHE:-$top/firmware})"
"$here/build-optee.sh" "${TZCHAN_OPTEE_CACHE:-$top/firmware}" "$mode" "$jobs" > "$work/firmware.path"
case $? in
0) ;;
2) echo "skip: build-optee.sh lacks a tool or snapshot (see above)"; exit 77 ;;
*) die "firmware build" ;;
esac
read -r fw bl33 < "$work/firmware.path" || die "no result from build-optee.sh"
[ -f "$fw/flash.bin" ] && [ -n "$bl33" ] || die "no flash.bin from build-optee.sh"

step "kernel (cache: $kcache)"
"$project/port/linux-kernel/kernel/build-kernel.sh" "$kcache" "$jobs" > \
    "$work/kernel.path" || die "kernel build"
kobj=$(tail -n 1 "$work/kernel.path")
[ -f "$kobj/arch/arm64/boot/Image" ] || die "no Image in $kobj"
grep -qx 'CONFIG_OPTEE=y' "$kobj/.config" || die "the kernel in $kobj has no CONFIG_OPTEE"
# The kernel's whole image (its header's image_size, bytes 16..23) must end below the initramfs.
size=$(od -A n -t u8 -j 16 -N 8 "$kobj/arch/arm64/boot/Image" | tr -d ' ')
[ $((bl33 + size)) -le $((initrd_pa)) ] || die "the kernel image ($size bytes at $bl33) overlaps the initramfs"

step "module (tzchan.ko for OP-TEE, with the test hooks)"
ko=$(TZCHAN_TEST_HOOKS=y "$here/kmod/build-kmod.sh" "$kobj" "$work/module" | tail -n 1) || die "module build"
grep -aq "vermagic=$(cat "$kobj/include/config/kernel.release") " "$ko" || die "$ko was not built for this kernel"

step "init program, test programs and initramfs"
mkdir -p "$work/initramfs"
lk=$project/port/linux-kernel
tzc=$project/port/trustzone/common
${cross}gcc -static -O2 -Wall -Wextra -Werror -I"$here/pta" -I"$project/include" \
    -o "$work/initramfs/init" "$here/user/tzchan-optee-init.c" || die "init program build"
${cross}gcc -static -pthread -O2 -Wall -Wextra -Werror -I"$lk/module" -I"$tzc" \
    -o "$work/initramfs/tzchan-test" "$lk/user/tzchan-test.c" "$tzc/tz_crc32.c" || die "test program build"
${cross}gcc -static -pthread -O2 -Wall -Wextra -Werror -I"$lk/module" -I"$tzc" \
    -o "$work/initramfs/tzchan-hostile" "$lk/user/tzchan-hostile.c" || die "hostile program build"
cat > "$work/initramfs/list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $work/initramfs/init 0755 0 0
file /tzchan-optee-counts $work/initramfs/init 0755 0 0
file /tzchan-test $work/initramfs/tzchan-test 0755 0 0
file /tzchan-hostile $work/initramfs/tzchan-hostile 0755 0 0
file /tzchan.ko $ko 0644 0 0
LIST
"$kobj/usr/gen_init_cpio" "$work/initramfs/list" > "$work/initramfs.cpio" || die "initramfs"

step "device tree"
machine="-M virt,secure=on,gic-version=3 -cpu cortex-a57 -smp 2 -m 1024M -net none"
# shellcheck disable=SC2086
qemu-system-aarch64 $machine -machine dumpdtb="$work/qemu.dtb" -bios "$fw/flash.bin" -display none \
    >/dev/null || die "dumpdtb"
dtc -q -I dtb -O dts -o "$work/qemu.dts" "$work/qemu.dtb" || die "dtc"
sed -i '/^\/dts-v1\/;/d' "$work/qemu.dts"
end=$(printf '0x%x' $((initrd_pa + $(stat -c %s "$work/initramfs.cpio"))))
cat > "$work/optee.dts" <<DTS
/dts-v1/;
/include/ "qemu.dts"
/ {
	chosen {
		bootargs = "console=ttyAMA0 earlycon=pl011,0x9000000 rdinit=/init panic=-1 -- --optee=$mode";
		linux,initrd-start = <0x00 $initrd_pa>;
		linux,initrd-end = <0x00 $end>;
	};
};
DTS
dtc -q -I dts -O dtb -o "$work/optee.dtb" "$work/optee.dts" || die "device tree"

step "boot"
log=$work/secure.log
console=$work/console.log
rm -f "$log" "$console"
# UART0 (stdio) is Linux's console, UART1 the secure world's (TF-A's runtime log and OP-TEE's).
# shellcheck disable=SC2086
qemu_run "$work" "$qemu_limit" "$console" $machine -display none -monitor none -semihosting-config enable=on,target=native \
    -bios "$fw/flash.bin" -dtb "$work/optee.dtb" \
    -device loader,file="$kobj/arch/arm64/boot/Image",addr="$bl33",force-raw=on \
    -device loader,file="$work/initramfs.cpio",addr="$initrd_pa",force-raw=on \
    -serial stdio -serial file:"$log"
echo
echo "--- secure UART ($log) ---"
cat "$log" 2>/dev/null
echo "--- QEMU exit status: $rc; boot to power-off $((te - tb)) s; whole run $((te - t_start)) s"

# The secure world: OP-TEE prints "Panic" for a core panic (with file and line), "TA panicked" and error-level
# lines ("E/TC:"); TF-A "PANIC at PC", "Unhandled Exception" and "ERROR:"; none is allowed, on either UART (TF-A's
# early stages print on UART0). Case matters: the kernel's command line carries "panic=-1". One ERROR line is
# TF-A's normal power-off path on this board (qemu_system_off, at error level), which the exit status then confirms.
if grep -E 'Panic|PANIC|panicked|Unhandled Exception|ERROR:|E/TC:|[Aa]ssertion' "$log" "$console" | \
    grep -v 'ERROR: *QEMU System Power off: with GPIO\.' > "$work/secure-reports.txt"; then
    echo "--- secure world reports ---"
    cat "$work/secure-reports.txt"
    die "the secure world reported a problem (panic, error or failed assertion)"
fi
# The kernel log must be clean: the debug kernel's reports, the patterns port/linux-kernel/run-linux.sh uses.
# Only the kernel's part of UART0 is judged by these: TF-A prints there first, and at warning level in FF-A mode
# ("WARNING: Missing VM availability messaging.": the SPMC manifest from OP-TEE's build repository has no VM
# availability properties, which Linux 6.1 does not use).
sed -n '/Booting Linux on physical CPU/,$p' "$console" > "$work/kernel.log"
grep -q 'Booting Linux' "$work/kernel.log" || die "the kernel did not start"
if grep -E -f "$project/port/linux-kernel/kernel/report-patterns.txt" "$work/kernel.log" > "$work/kernel-reports.txt"; then
    echo "--- kernel log reports ---"
    cat "$work/kernel-reports.txt"
    die "the kernel reported problems (KASAN, lockdep, atomic sleep, list/object/SLUB debugging, oops or warning)"
fi
grep -q 'optee: revision 4\.10' "$console" || die "no 'optee: revision 4.10' from Linux's OP-TEE driver"
# the ABI is the one asked for: Linux's FF-A transport found the SPMC (ffa) or found no FF-A firmware (smc)
if [ "$mode" = ffa ]; then
    grep -q 'ARM FF-A: Firmware version' "$work/kernel.log" || die "Linux's FF-A driver found no FF-A firmware"
else
    grep -q 'ARM FF-A: Firmware version' "$work/kernel.log" && die "FF-A firmware answered in smc mode"
fi
grep -q 'tzchan: pseudo TA .* ready' "$log" || die "OP-TEE did not log the tzchan PTA at its init"
grep -q '^init: the tzchan PTA answers from user space' "$console" || die "the init program's PTA checks failed"

# The channel test's figures, then its verdicts.
echo "--- summary ($mode) ---"
grep -E '^(device|sizes|poll|generator|signals|scribble|reload|kill|wake|interruptible|privilege|setlane|hostile)' \
    "$console"
grep -E '^(messages|bytes|throughput|doorbells|  [a-z].* messages, )' "$console"
grep -E 'tzchan-optee: (summary|hostile: [0-9]|PTA status|VERDICT)' "$work/kernel.log" | sed 's/^\[[^]]*\] //'
grep -q '^RESULT PASS' "$console" || die "no 'RESULT PASS' from the test program"
grep -q 'tzchan-optee: VERDICT PASS optee' "$work/kernel.log" || die "no 'VERDICT PASS optee' from the module"
# the hostile requests: all refused as documented, at least the dozen docs/OPTEE.md lists
h=$(sed -n 's/.*tzchan-optee: hostile: \([0-9]*\) of \([0-9]*\) requests refused as documented.*/\1 \2/p' \
    "$work/kernel.log" | head -n 1)
set -- $h
[ $# -eq 2 ] && [ "$1" -eq "$2" ] && [ "$2" -ge 12 ] || die "hostile requests: '${h:-none}' refused as documented"
grep -q 'NOT AS DOCUMENTED' "$work/kernel.log" && die "a hostile request was not refused as documented"
# nothing leaks: the PTA holds no memory object and no registration at every load (before the module registers:
# the previous instance, unloaded or killed mid-stream, gave everything back) and after every unload
loads=$(grep -c 'PTA status at load, before registering: .* registration 0, memory objects held 0,' \
    "$work/kernel.log")
all_loads=$(grep -c 'PTA status at load, before registering' "$work/kernel.log")
unloads=$(grep -c 'PTA status after unload: .* registration 0, memory objects held 0,' "$work/kernel.log")
all_unloads=$(grep -c 'PTA status after unload' "$work/kernel.log")
[ "$all_loads" -ge 3 ] && [ "$loads" -eq "$all_loads" ] || \
    die "PTA status at load: $loads of $all_loads clean (want all, at least 3 loads)"
[ "$all_unloads" -ge 2 ] && [ "$unloads" -eq "$all_unloads" ] || \
    die "PTA status after unload: $unloads of $all_unloads clean (want all, at least 2 unloads)"
grep -q '^scribble: secure side reported -4 ' "$console" || die "no scribble line with TZCHAN_EPROTO"
grep -q '^kill: a process streaming both ways was killed mid-transfer' "$console" || die "no kill line"
# one of the unloads skipped UNREGISTER: the session close alone released (the after-unload status above), and
# the module never had to leak the memory because the PTA still held it
[ "$(grep -c 'closing the sessions without UNREGISTER' "$work/kernel.log")" -eq 1 ] || \
    die "no unload without UNREGISTER (the kill item)"
grep -q 'leaking the region' "$work/kernel.log" && die "the module leaked the region: the PTA still held it"
echo "leaks: the PTA held no registration and no memory object at $loads loads and after $unloads unloads"
# nothing leaks in OP-TEE either: its own counts, taken with no client of the PTA active (the measuring program's
# session only: one thread in use, its own), are the same after every lifetime item as before the first load
grep '^optee-counts ' "$console" | tr -d '\r'
base=$(sed -n 's/^optee-counts before the first load: //p' "$console" | tr -d '\r' | head -n 1)
[ -n "$base" ] || die "no OP-TEE counts before the first load"
case $base in
"threads in use 1 of "*", PTA objects held 0, PTA sessions 1") ;;
*) die "OP-TEE counts before the first load: '$base' (want 1 thread in use: the measuring call's; nothing held)" ;;
esac
for when in "after the reload's unload" "after the kill's unload" "after the final unload"; do
    now=$(sed -n "s/^optee-counts $when: //p" "$console" | tr -d '\r' | head -n 1)
    [ -n "$now" ] || die "no OP-TEE counts $when"
    [ "$now" = "$base" ] || die "OP-TEE counts $when: '$now', before the first load: '$base' (a leak)"
done
[ "$(grep -c '^optee-counts ' "$console")" -eq 4 ] || die "not exactly 4 OP-TEE count lines"
echo "leaks: OP-TEE's threads, shared memory and heap after the reload, the kill and the final unload as before the first load: $base"
# the machine went down by the kernel's power-off, after the verdict (not by a reset, a hang or a timeout)
sed -n '/^RESULT PASS/,$p' "$console" | grep -q '^reboot: Power down' || \
    die "no 'reboot: Power down' from the kernel after the verdict"
[ "$rc" -eq 0 ] || die "the checks passed but QEMU's exit status is $rc (not a clean PSCI SYSTEM_OFF)"
echo "PASS: OP-TEE ($mode): the tzchan PTA serves /dev/tzchan through the TEE client API; verdicts agree; clean power-off"
exit 0
