#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# AddressSanitizer + UndefinedBehaviorSanitizer: builds everything with clang and both sanitizers in
# build-asan, runs the whole CTest suite there, then runs the scribbler (a hostile peer writing the whole region
# while the victim runs every call on every lane) for a bounded time.
# Env: TZCHAN_SCRIBBLE_SECS (default 60), TZCHAN_SCRIBBLE_SEED (default: from the clock; printed).
# Exit 0 pass, 1 fail, 77 skipped (no clang).
set -u
cd "$(dirname "$0")/../.."
command -v clang >/dev/null 2>&1 || { echo "clang not found: skipped"; exit 77; }
dir=build-asan
mkdir -p "$dir"
# the emulated whole-system tests (Linux, Genode, OP-TEE under QEMU) run once, in run_all.sh's gcc tree: they
# build their own firmware and kernel code, which this host sanitizer does not instrument
cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTZCHAN_WERROR=ON \
      -DTZCHAN_SYSTEM_TESTS=OFF -DTZCHAN_SANITIZE=address,undefined >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" -j 2 || exit 1
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ctest --test-dir "$dir" --output-on-failure -j 2 --timeout 900 -LE model || exit 1
"$dir/tests/hostile/scribbler" "${TZCHAN_SCRIBBLE_SECS:-60}" ${TZCHAN_SCRIBBLE_SEED:+"$TZCHAN_SCRIBBLE_SEED"} || exit 1
