#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# libFuzzer: builds the fuzz targets with clang -fsanitize=fuzzer,address,undefined (the core instrumented for
# coverage too) in build-fuzz and fuzzes each for a bounded time, one after the other, starting from its seed
# corpus (copied: the repository's corpus is not changed). Prints each target's exec count. A crash fails the
# suite; its input is left in build-fuzz/artifacts/ to be added to tests/fuzz/corpus/<target>/ with the fix.
# Env: TZCHAN_FUZZ_SECS (default 45 per target). Exit 0 pass, 1 fail, 77 skipped (no clang or no libFuzzer).
set -u
cd "$(dirname "$0")/../.."
command -v clang >/dev/null 2>&1 || { echo "clang not found: skipped"; exit 77; }
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; return (int)n * 0; }' \
  >/tmp/tzchan-fuzz-probe.$$.c
if ! clang -fsanitize=fuzzer -o /tmp/tzchan-fuzz-probe.$$ /tmp/tzchan-fuzz-probe.$$.c >/dev/null 2>&1; then
  rm -f /tmp/tzchan-fuzz-probe.$$*
  echo "clang cannot link libFuzzer (package libclang-rt-*-dev): skipped"; exit 77
fi
rm -f /tmp/tzchan-fuzz-probe.$$*
dir=build-fuzz
secs=${TZCHAN_FUZZ_SECS:-45}
mkdir -p "$dir"
cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTZCHAN_WERROR=ON \
      -DTZCHAN_SANITIZE=fuzzer-no-link,address,undefined -DTZCHAN_FUZZ=ON >"$dir.configure.log" 2>&1 \
  || { cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" -j 2 --target fuzz_open fuzz_recv fuzz_seq || exit 1
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
rc=0
mkdir -p "$dir/artifacts"
for t in open recv seq; do
  work="$dir/corpus-$t"
  rm -rf "$work"; mkdir -p "$work"
  cp tests/fuzz/corpus/$t/* "$work/"
  log="$dir/fuzz-$t.log"
  "$dir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 -max_len=4096 -timeout=10 \
      -artifact_prefix="$dir/artifacts/$t-" "$work" >"$log" 2>&1
  r=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1)
  echo "fuzz_$t: ${execs:-?} execs in $secs s, $cov, corpus $(ls "$work" | wc -l) inputs, exit $r"
  if [ $r -ne 0 ]; then
    rc=1
    tail -40 "$log"
    ls -l "$dir/artifacts/"
  fi
done
exit $rc
