#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The whole Linux normal-world test, from sources to verdict:
#   1. the kernel (Debian's linux-source-6.1, minimal arm64 config; cached by config hash: kernel/build-kernel.sh)
#   2. the firmware (our EL3 monitor + secure payload: port/trustzone/linux, make -C port/trustzone linux)
#   3. tzchan.ko out of tree (module/build-module.sh, with the test hooks; or the module TZCHAN_MODULE_KO names)
#      and the static test programs (user/tzchan-test.c, user/tzchan-hostile.c)
#   4. the initramfs (/init = the test program, /tzchan-hostile, /tzchan.ko, /dev/console) with gen_init_cpio
#   5. the device tree (mk-dtb.sh)
#   6. QEMU: virt, secure=on, GICv3, cortex-a53, 3 CPUs (CPU1 our payload at S-EL1; CPU0 and CPU2 Linux at NS-EL1,
#      CPU2 started by Linux through PSCI CPU_ON)
# and checks five things: the test program's RESULT line on the console (and, for the whole test, its restart
# line: the secure side took over from a driver that vanished without unregistering), the secure side's VERDICT
# line on the secure-only UART, QEMU's exit status, which our monitor sets when Linux powers off (PSCI
# SYSTEM_OFF), that the kernel found PSCI 1.0 and SMCCC 1.0 (its PSCI_FEATURES query answered by our monitor)
# and brought up all its CPUs, and that the kernel log is clean: the kernel is built with KASAN, lockdep,
# atomic-sleep, list, object and SLUB debugging, and any report of theirs (or any oops, warning or stack dump)
# fails the run (the patterns are listed below).
# Usage: run-linux.sh <work folder>      (the kernel cache lives in <work folder>/kernel unless
#                                         TZCHAN_KERNEL_CACHE names another folder)
# Env:   TZCHAN_INIT_ARGS: arguments for the test program (e.g. --only=intr,unbind, to try one hardening test)
#        TZCHAN_MODULE_KO: boot this tzchan.ko (built against the same kernel) instead of building one, e.g. the
#          production module DKMS builds from the tzchan-dkms package's source tree
#        TZCHAN_MODULE_MODE: "hooks" (the test hooks are in: the whole test) or "production" (none: the test
#          program runs with --production, which skips the parts that need a hook, checks that the test ioctls
#          are absent, and hands its verdict over the channel). Default: "hooks" for the module built here; for
#          TZCHAN_MODULE_KO, what the module is (it has debug_* parameters or not). A mode the module
#          contradicts fails the run.
#        TZCHAN_QEMU_TIMEOUT: seconds QEMU may run (default 600)
#        TZCHAN_QEMU_SMP: QEMU's CPU count, 2..4 (default 3; 4 with TZCHAN_FIRMWARE=smp): CPU1 is the secure
#          payload's, Linux gets the others (with TZCHAN_FIRMWARE=smp Linux gets them all)
#        TZCHAN_FIRMWARE: "single" (default: tz-linux.bin, the secure payload on CPU1 for good) or "smp"
#          (tz-linux-smp.bin: every CPU runs Linux and enters its own secure world; the driver uses the yielding
#          doorbell; the run also checks that every CPU is online in Linux and that every CPU's secure side came up
#          and served the lanes, from the secure side's per-CPU summary)
# Exit: 0 pass, 1 fail, 77 skip (tools or linux-source-6.1 absent).
set -u
work=$(mkdir -p "$1" && cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kernel/qemu-run.sh" # qemu_run
jobs=${TZCHAN_JOBS:-2}
# The whole boot takes 40 to 70 s of wall time with the debug kernel (KASAN, lockdep) under TCG; the limit allows
# for a busy machine. The secure side gives up on its own after 600 s.
qemu_limit=${TZCHAN_QEMU_TIMEOUT:-600}
tarball=${TZCHAN_LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
cross=aarch64-linux-gnu-

for tool in qemu-system-aarch64 ${cross}gcc dtc make bc bison flex timeout; do
    command -v "$tool" >/dev/null 2>&1 || { echo "skip: $tool is not installed"; exit 77; }
done
[ -f "$tarball" ] || { echo "skip: $tarball is absent (apt-get install linux-source-6.1)"; exit 77; }
[ -f /usr/aarch64-linux-gnu/lib/libc.a ] || { echo "skip: no static arm64 libc (libc6-dev-arm64-cross)"; exit 77; }
[ -f /usr/include/openssl/ssl.h ] && [ -f /usr/include/libelf.h ] || \
    { echo "skip: kernel build dependencies absent (libssl-dev, libelf-dev)"; exit 77; }

# The SMP firmware's own checks (TZCHAN_FIRMWARE=smp), after the common ones: Linux saw every CPU online and the
# driver chose the yielding doorbell; every CPU's secure side came up on its own stack, and its per-CPU summary
# (printed at power-off) shows the lanes served from more than one CPU, by doorbells and by secure-timer events,
# with preempted calls all resumed, and lanes served in parallel (a round on one lane while another CPU held
# another lane's word).
smp_checks() {
    last=$((smp - 1))
    grep -q "^cpus online: 0-$last[[:space:]]*$" "$console" || { echo "FAIL: Linux did not report CPUs 0-$last online"; return 1; }
    grep -q 'yielding (secure side on every CPU) doorbell' "$console" || \
        { echo "FAIL: the driver did not choose the yielding doorbell of the SMP firmware"; return 1; }
    c=0
    while [ "$c" -lt "$smp" ]; do
        grep -q "^secure side up on CPU$c " "$log" || { echo "FAIL: the secure side of CPU$c never came up"; return 1; }
        c=$((c + 1))
    done
    if [ "$smp" = 4 ]; then
        # the test took CPU3 offline and back: Linux saw it OFF (AFFINITY_INFO, after its PSCI CPU_OFF) and CPU_ON
        # brought it back (its secure side came up again: the summary's "ups" column)
        grep -q "psci: CPU$last killed (polled" "$console" || { echo "FAIL: no 'psci: CPU$last killed' (CPU_OFF) on the console"; return 1; }
        ! grep -q "CPU$last may not have shut down cleanly\|unable to power off CPU$last" "$console" || \
            { echo "FAIL: CPU$last did not power off cleanly"; return 1; }
    fi
    awk -v n="$smp" '
        /^---- per-CPU secure side/ { on = 1; next }
        on && /^[0-9]+ / {
            rows++; split($2, m, "/"); if (m[1] + m[2] > 0) served++; if ($4 > 0) bell++
            split($9, ev, "/"); if (ev[2] > 0) tev++; split($10, tk, "/"); mid += tk[2]; pre += $11; res += $12
            par += $14; again += $15; if ($1 == n - 1) ups = $16 + 0
        }
        END {
            if (rows != 4) { print "FAIL: no per-CPU summary from the secure side (" rows " rows)"; exit 1 }
            if (bell < 2) { print "FAIL: the lanes were served by doorbells on " bell " CPU(s), want at least 2"; exit 1 }
            if (served < 2) { print "FAIL: messages were served on " served " CPU(s), want at least 2"; exit 1 }
            if (tev < 1) { print "FAIL: no secure-timer event moved anything on any CPU"; exit 1 }
            if (mid < 1) { print "FAIL: no secure-timer interrupt landed mid-transfer on any CPU"; exit 1 }
            if (pre < 1) { print "FAIL: no secure call was preempted"; exit 1 }
            if (pre != res) { print "FAIL: " pre " preempted secure calls but " res " resumed"; exit 1 }
            # one word per lane: a round on one lane while another CPU holds another lane (one word for the whole
            # service could never show that)
            if (par < 1) { print "FAIL: no lane was served while another CPU held another lane (lanes not served in parallel)"; exit 1 }
            if (again < 1) { print "FAIL: no lane was served again for a server that found its word taken"; exit 1 }
            # CPU hotplug (tzchan-test --smp with 4 CPUs): the last CPU came up twice (boot, and the CPU_ON after its CPU_OFF)
            if (n == 4 && ups != 2) { print "FAIL: the secure side of CPU" n - 1 " came up " ups " time(s), want 2 (boot, and again after CPU_OFF)"; exit 1 }
            printf "smp: messages served on %d CPUs, doorbells on %d, secure-timer service on %d, %d timer interrupts mid-transfer, %d calls preempted and resumed, %d rounds in parallel with another CPU'"'"'s lane, %d rounds again for a server that found a lane taken%s\n", served, bell, tev, mid, pre, par, again, n == 4 ? ", CPU" n - 1 " off (PSCI CPU_OFF) and on again (its secure side up " ups " times)" : ""
        }' "$log" || return 1
}

t_start=$(date +%s)
step() { echo "=== [+$(( $(date +%s) - t_start )) s] $*"; } # one line per stage, with the time since the start
die() { echo "FAIL: $*"; exit 1; }
tz=$(cd "$here/../trustzone" && pwd) # the secure side: the firmware's sources and the SMC interface we share
board() { sed -n "s/^#define $1 \(0x[0-9a-fA-F]*\)u.*/\1/p" "$tz/linux/lk_board.h"; }

t0=$(date +%s)
step "kernel (cache: ${TZCHAN_KERNEL_CACHE:-$work/kernel})"
kobj=$("$here/kernel/build-kernel.sh" "${TZCHAN_KERNEL_CACHE:-$work/kernel}" "$jobs" | tail -n 1) || die "kernel build"
[ -f "$kobj/arch/arm64/boot/Image" ] || die "no Image in $kobj"
t1=$(date +%s)
echo "kernel ready in $((t1 - t0)) s"

step "firmware"
make -s -C "$tz" O="$work/firmware" A64_CROSS="$cross" linux || die "firmware build"
firmware=${TZCHAN_FIRMWARE:-single}
case $firmware in
single) fw=$work/firmware/linux/tz-linux.bin ;;
smp) fw=$work/firmware/linux/tz-linux-smp.bin ;;
*) die "TZCHAN_FIRMWARE=$firmware: want single or smp" ;;
esac

step "module"
if [ -n "${TZCHAN_MODULE_KO:-}" ]; then
    ko=$TZCHAN_MODULE_KO
    [ -f "$ko" ] || die "TZCHAN_MODULE_KO: $ko not found"
    echo "using $ko (not built here)"
else
    # the whole test needs the test hooks (scribble and verdict ioctls, debug_* parameters); production has none
    ko=$(TZCHAN_TEST_HOOKS=y "$here/module/build-module.sh" "$kobj" "$work/module" | tail -n 1) || die "module build"
fi
# What the module is: the test hooks bring the debug_* parameters, whose names are in its .modinfo section.
if grep -aq 'parm=debug_' "$ko"; then has_hooks=hooks; else has_hooks=production; fi
mode=${TZCHAN_MODULE_MODE:-$has_hooks}
case $mode in hooks|production) ;; *) die "TZCHAN_MODULE_MODE=$mode: want hooks or production" ;; esac
[ "$mode" = "$has_hooks" ] || die "TZCHAN_MODULE_MODE=$mode but $ko is a $has_hooks module"
# the module must have been built for the kernel we boot
kver=$(cat "$kobj/include/config/kernel.release")
grep -aq "vermagic=$kver " "$ko" || die "$ko was not built for kernel $kver"
echo "module: $ko ($mode: $([ "$mode" = hooks ] && echo 'test hooks in' || echo 'no test hooks'), for $kver)"
init_args=${TZCHAN_INIT_ARGS:-}
[ "$mode" = production ] && init_args="--production${init_args:+ $init_args}"
[ "${TZCHAN_FIRMWARE:-single}" = smp ] && init_args="--smp${init_args:+ $init_args}"

step "test program and initramfs"
mkdir -p "$work/initramfs"
${cross}gcc -static -pthread -O2 -Wall -Wextra -Werror -I"$here/module" -I"$tz/common" \
    -o "$work/initramfs/tzchan-test" "$here/user/tzchan-test.c" "$tz/common/tz_crc32.c" || die "test program build"
${cross}gcc -static -pthread -O2 -Wall -Wextra -Werror -I"$here/module" -I"$tz/common" \
    -o "$work/initramfs/tzchan-hostile" "$here/user/tzchan-hostile.c" || die "hostile program build"
${cross}gcc -static -O2 -Wall -Wextra -Werror -I"$here/../../include" -I"$here/module" \
    -o "$work/initramfs/tzchan-stat" "$here/../../tools/tzchan-stat.c" -lm || die "tzchan-stat build"
cat > "$work/initramfs/list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $work/initramfs/tzchan-test 0755 0 0
file /tzchan-hostile $work/initramfs/tzchan-hostile 0755 0 0
file /tzchan-stat $work/initramfs/tzchan-stat 0755 0 0
file /tzchan.ko $ko 0644 0 0
LIST
"$kobj/usr/gen_init_cpio" "$work/initramfs/list" > "$work/initramfs.cpio" || die "initramfs"

step "device tree"
if [ "$firmware" = smp ]; then
    smp=${TZCHAN_QEMU_SMP:-4}
    linux_cpus=$smp
    export TZCHAN_DTB_ALL_CPUS=1
else
    smp=${TZCHAN_QEMU_SMP:-3}
    linux_cpus=$((smp - 1))
fi
case $smp in 2|3|4) ;; *) die "TZCHAN_QEMU_SMP=$smp: want 2, 3 or 4 (the firmware has EL3 stacks for 4)" ;; esac
machine="-M virt,secure=on,gic-version=3 -cpu cortex-a53 -smp $smp -m 512M -net none"
# shellcheck disable=SC2086
TZCHAN_INIT_ARGS=$init_args "$here/mk-dtb.sh" "$fw" "$work/initramfs.cpio" "$(board LK_INITRD_PA)" \
    "$work/tzchan.dtb" $machine || die "device tree"

step "boot"
log=$work/secure.log
console=$work/console.log
rm -f "$log" "$console"
qemu_run "$work" "$qemu_limit" "$console" $machine -display none -monitor none -semihosting -bios "$fw" \
    -device loader,file="$kobj/arch/arm64/boot/Image",addr="$(board LK_IMAGE_PA)",force-raw=on \
    -device loader,file="$work/tzchan.dtb",addr="$(board LK_DTB_PA)",force-raw=on \
    -device loader,file="$work/initramfs.cpio",addr="$(board LK_INITRD_PA)",force-raw=on \
    -serial stdio -serial file:"$log"
echo
echo "--- secure-only UART ($log) ---"
cat "$log" 2>/dev/null
echo "--- QEMU exit status: $rc; boot to power-off $((te - tb)) s; whole run $((te - t0)) s"
# The kernel log must be clean. What the debug kernel (and the kernel anyway) prints when something is wrong:
# KASAN reports ("BUG: KASAN: ..."), lockdep ("WARNING: possible circular locking dependency", "... recursive
# locking", "inconsistent lock state", "INFO: lockdep is turned off"; the boot banner "RCU lockdep checking is
# enabled" is not a report), atomic-sleep ("BUG: sleeping function called
# from invalid context", "scheduling while atomic"), DEBUG_LIST ("list_add corruption"), DEBUG_OBJECTS ("ODEBUG:"),
# SLUB debugging ("BUG kmalloc-64 (Not tainted): Redzone overwritten"), WARN_ON, oopses, panics, hung tasks,
# RCU stalls, and the stack dump every one of them comes with ("Call trace:"). The extended regular expressions, one
# a line, are in kernel/report-patterns.txt, shared with the OP-TEE test (port/optee/run-optee.sh).
if grep -E -f "$here/kernel/report-patterns.txt" "$console" > "$work/kernel-reports.txt"; then
    echo "--- kernel log reports (patterns in run-linux.sh) ---"
    cat "$work/kernel-reports.txt"
    die "the kernel reported problems (KASAN, lockdep, atomic sleep, list/object/SLUB debugging, oops or warning)"
fi
echo "kernel log clean: no KASAN, lockdep, atomic-sleep, list/object/SLUB debugging reports, oops or warnings"
first_fail=$(grep -m 1 '^FAIL: ' "$console" | tr -d '\r' | sed 's/^FAIL: //')
grep -q '^RESULT PASS' "$console" || \
    die "no 'RESULT PASS' from the test program on the console${first_fail:+ (its first failure: $first_fail)}"
# The whole test (no --only) must have shown the peer restart: driver dropped without UNREGISTER, reloaded, the
# secure side took over with a new generation and traffic verified again. A production module cannot (no
# debug_crash_unload): its run must instead show the test ioctls absent and the verdict handed over the channel.
if [ "$mode" = production ] && [ -z "${TZCHAN_INIT_ARGS:-}" ]; then
    grep -q '^privilege: production driver: the scribble, verdict and generation ioctls are absent' "$console" || \
        die "no 'privilege: production driver: ... absent' line from the test program on the console"
    grep -q '^verdict handed to the secure side over the channel' "$console" || \
        die "the test program did not hand its verdict over the channel"
    grep -q '^verdict rules: production driver' "$log" 2>/dev/null || \
        die "the secure side did not judge by the production driver's rules"
elif [ -z "${TZCHAN_INIT_ARGS:-}" ]; then
    grep -q '^restart: driver reloaded without unregister, takeover generation [0-9]* -> [0-9]*, [1-9][0-9]* messages' \
        "$console" || die "no 'restart: ... takeover generation N -> M' line from the test program on the console"
fi
grep -q '^VERDICT PASS linux' "$log" 2>/dev/null || die "no 'VERDICT PASS linux' on the secure UART"
# PSCI 1.0: the kernel found it, asked PSCI_FEATURES about SMCCC_VERSION and was told NOT_SUPPORTED (our monitor
# speaks SMCCC 1.0; a PSCI_FEATURES that claimed it would make Linux print the -1 of an unserved SMCCC_VERSION)
grep -q 'psci: PSCIv1.0 detected in firmware\.' "$console" || \
    die "no 'psci: PSCIv1.0 detected in firmware.' in the kernel log"
grep -q 'psci: SMC Calling Convention v1\.0[[:space:]]*$' "$console" || \
    die "no 'psci: SMC Calling Convention v1.0' in the kernel log"
grep -q '^EL3: PSCI_FEATURES(0x80000000) = NOT_SUPPORTED' "$log" 2>/dev/null || \
    die "the monitor did not answer the kernel's PSCI_FEATURES(SMCCC_VERSION) with NOT_SUPPORTED"
# every normal-world CPU came up: the secondaries through PSCI CPU_ON (the kernel prints each and the total)
grep -q "smp: Brought up 1 node, $linux_cpus CPU" "$console" || \
    die "the kernel did not bring up its $linux_cpus CPUs ('smp: Brought up 1 node, $linux_cpus CPU...')"
if [ "$firmware" = smp ]; then
    smp_checks || exit 1
fi
[ "$rc" -eq 0 ] || die "the verdicts say PASS but QEMU's exit status is $rc"
echo "PASS: test program, secure side and exit status agree ($mode module)"
exit 0
