# SPDX-License-Identifier: BSD-2-Clause
# Sourced by port/linux-kernel/run-linux.sh and port/optee/run-optee.sh: one QEMU run of a Linux test.
# qemu_run WORK LIMIT CONSOLE ARGS...: prints the command line, runs qemu-system-aarch64 ARGS under a LIMIT-second
# timeout with its stdio on CONSOLE too, and sets rc (QEMU's exit status; 124 or 137 after the timeout, said so),
# tb and te (start and end, seconds since the epoch).
qemu_run() {
    _work=$1 _limit=$2 _console=$3
    shift 3
    echo "\$ qemu-system-aarch64 $*"
    tb=$(date +%s)
    rm -f "$_work/qemu.rc"
    { timeout -k 5 "$_limit" qemu-system-aarch64 "$@" </dev/null; echo $? > "$_work/qemu.rc"; } | tee "$_console"
    rc=$(cat "$_work/qemu.rc" 2>/dev/null || echo 255)
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "QEMU did not finish within $_limit s"
    fi
    te=$(date +%s)
}
