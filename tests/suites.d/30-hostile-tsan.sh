#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ThreadSanitizer: builds everything with clang -fsanitize=thread in build-tsan and runs the tests that share a
# region between threads of one process: the unit tests, the demo, and the two-thread stress test (at a size
# that fits the CI budget: TSan slows it about tenfold), with two ring sizes, and the Linux port's tests (label
# "linux": two processes, blocking calls; TSan checks the threads of each process) when the port is present.
# (The scribbler is not run here: its adversary races with the victim on purpose.)
# Env: TZCHAN_TSAN_MIB (default 32). Exit 0 pass, 1 fail, 77 skipped (no clang).
set -u
cd "$(dirname "$0")/../.."
command -v clang >/dev/null 2>&1 || { echo "clang not found: skipped"; exit 77; }
dir=build-tsan
mkdir -p "$dir"
# the emulated whole-system tests (Linux, Genode, OP-TEE under QEMU) run once, in run_all.sh's gcc tree: they
# build their own firmware and kernel code, which this host sanitizer does not instrument
cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTZCHAN_WERROR=ON \
      -DTZCHAN_SYSTEM_TESTS=OFF -DTZCHAN_SANITIZE=thread >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
# keep going past targets that cannot build under TSan (a program that forces -fsanitize=address, e.g. a
# libFuzzer target); a test selected below whose program did not build still fails in ctest
cmake --build "$dir" -j 2 -- -k 0 || echo "note: some targets do not build with -fsanitize=thread; they are not run here"
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
ctest --test-dir "$dir" --output-on-failure -j 2 --timeout 900 -L 'unit|demo|linux' || exit 1
mib=${TZCHAN_TSAN_MIB:-32}
"$dir/tests/stress_threads" "$mib" "$(date +%s)" 4096 || exit 1
"$dir/tests/stress_threads" $((mib / 4)) "$(date +%s)" 1024 || exit 1
