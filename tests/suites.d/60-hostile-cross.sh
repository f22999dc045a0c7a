#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Other architectures: cross-builds everything for armhf (ARMv7, arm-linux-gnueabihf) and aarch64
# (aarch64-linux-gnu) with the Debian cross compilers, statically linked, in build-armhf and build-aarch64, and
# runs the unit tests, the fuzz corpus replays, the scribbler and the demo under user-mode QEMU (as CTest's
# cross-compiling emulator), then the two-thread stress test at a reduced size. Also checks that the
# freestanding core object needs nothing but memcpy/memset on each architecture.
# User-mode QEMU on an x86 host runs guest threads on x86 cores with x86's strong ordering: it does not show the
# weak-memory reorderings of real ARM cores (docs/VERIFICATION.md); the Spin model covers those.
# An architecture whose compiler or QEMU is missing is skipped; exit 77 if both are. Exit 0 pass, 1 fail.
set -u
cd "$(dirname "$0")/../.."
ran=0; rc=0
cross() { # arch triple qemu
  local arch=$1 triple=$2 qemu=$3 dir=build-$1
  if ! command -v "$triple-gcc" >/dev/null 2>&1 || ! command -v "$qemu" >/dev/null 2>&1; then
    echo "$arch: $triple-gcc or $qemu not found: skipped"; return 0
  fi
  ran=1
  mkdir -p "$dir"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="$arch" \
        -DCMAKE_C_COMPILER="$triple-gcc" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTZCHAN_WERROR=ON \
        -DTZCHAN_BUILD_SHARED=OFF -DCMAKE_EXE_LINKER_FLAGS=-static -DCMAKE_CROSSCOMPILING_EMULATOR="$qemu" \
        >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; return 1; }
  # only the core and its own test programs: other parts (ports, their host tools) have their own cross runs
  cmake --build "$dir" -j 2 --target tzchan_static tzchan_freestanding test_core test_spec test_deadlocks \
        test_ordering stress_threads litmus_sb scribbler fuzz_open_replay fuzz_recv_replay fuzz_seq_replay \
        tzchan-demo-threads || return 1
  # the freestanding core: only memcpy and memset may stay undefined
  local undef
  undef=$("$triple-nm" -u "$dir/tzchan_freestanding.o" | awk '{print $2}' | grep -vxE 'memcpy|memset')
  if [ -n "$undef" ]; then echo "$arch: the freestanding core needs: $undef"; return 1; fi
  echo "$arch: freestanding core needs only memcpy/memset"
  # the core's own tests (unit tests, litmus, fuzz replays, scribbler, demo); not the model or the host-side symbol
  # check (not target programs), nor the full-size stress test, which runs below at a size that suits an emulator
  ctest --test-dir "$dir" --output-on-failure -j 2 --timeout 900 \
        -R '^(test_core|test_spec|test_deadlocks|test_ordering|litmus_sb|scribbler|demo_threads|fuzz_(open|recv|seq)/.*)$' \
        || return 1
  "$qemu" "$dir/tests/stress_threads" 16 "$(date +%s)" 4096 || return 1
  "$qemu" "$dir/tests/stress_threads" 4 "$(date +%s)" 1024 || return 1
  return 0
}
cross armhf arm-linux-gnueabihf qemu-arm-static || rc=1
cross aarch64 aarch64-linux-gnu qemu-aarch64-static || rc=1
[ $ran -eq 0 ] && exit 77
exit $rc
