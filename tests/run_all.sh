#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Builds tzchan and runs every test: the CTest suite with gcc and with clang (warnings are errors), then each
# extra suite in tests/suites.d/ (sanitizers, cross-architecture, models, emulated boards), in name order.
# Usage: tests/run_all.sh            (from the repository's top folder; build trees go to ./build-*)
# Env:   TZCHAN_SUITES="10 20"      run only the suites whose names start with these prefixes ("none": none)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)
# The Linux kernel the kernel-driver test boots is built once (minutes) and cached here, shared by the gcc and
# clang build trees; a rerun takes seconds. Point it elsewhere to share one cache between checkouts. The other
# third-party builds the system tests need (OP-TEE, TF-A, Genode) are cached in the same folder.
export TZCHAN_KERNEL_CACHE=${TZCHAN_KERNEL_CACHE:-$top/build-kernel-cache}
passed=0; failed=0; skipped=0; failures=()
ct_pass=0; ct_fail=0; ct_skip=0 # individual CTest tests, summed over the ctest runs

run_step() { # name, command...
  local name=$1; shift
  echo "=== $name"
  local t0=$SECONDS
  "$@"
  local rc=$?
  if [ $rc -eq 0 ]; then passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - t0)) s)"
  elif [ $rc -eq 77 ]; then skipped=$((skipped + 1)); echo "=== $name: skipped"
  else failed=$((failed + 1)); failures+=("$name"); echo "=== $name: FAILED (exit $rc)"; fi
}

ctest_build() { # compiler, build dir, extra cmake args...
  local cc=$1 dir=$2; shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DTZCHAN_WERROR=ON "$@" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; return 1; }
  cmake --build "$dir" -j "$jobs" || return 1
  local log="$dir.ctest.log" rc
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  local total nfail nskip
  total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
  nfail=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -1)
  nskip=$(grep -c '\*\*\*Skipped\| Not Run' "$log" || true)
  if [ -n "$total" ]; then
    ct_fail=$((ct_fail + ${nfail:-0})); ct_skip=$((ct_skip + nskip))
    ct_pass=$((ct_pass + total - ${nfail:-0} - nskip))
  fi
  return "$rc"
}

run_suite() { # suite script; its output is kept for the digest at the end
  local log
  log=build-suites/$(basename "$1" .sh).log
  bash "$1" 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}

mkdir -p build-gcc build-clang build-suites
rm -f build-suites/*.log build-gcc.ctest.log build-clang.ctest.log # no stale output in the digest
run_step "gcc build + ctest" ctest_build gcc build-gcc
# the emulated whole-system tests do not depend on the host compiler: the gcc tree runs them, the clang tree not
run_step "clang build + ctest" ctest_build clang build-clang -DTZCHAN_SYSTEM_TESTS=OFF

if [ "${TZCHAN_SUITES:-}" != none ]; then
  for suite in tests/suites.d/*.sh; do
    [ -e "$suite" ] || continue
    base=$(basename "$suite")
    if [ -n "${TZCHAN_SUITES:-}" ]; then
      want=0; for p in $TZCHAN_SUITES; do case $base in "$p"*) want=1 ;; esac; done
      [ $want -eq 1 ] || continue
    fi
    run_step "suite $base" run_suite "$suite"
  done
fi

# The digest: a CI page often shows only the head and the tail of this output, so the end repeats, for each
# failed CTest test, the last lines of its output (the scripts print their reason for failing last).
for log in build-gcc.ctest.log build-clang.ctest.log; do
  [ -f "$log" ] || continue
  awk -v n="${TZCHAN_DIGEST_LINES:-25}" '
    function flush() { if (name != "") { printf "=== digest: %s (%s), its last %d lines\n", name, FILENAME, k < n ? k : n
                         for (i = (k > n ? k - n : 0); i < k; i++) print "  | " buf[i % n] } name = ""; k = 0 }
    /^ *[0-9]+\/[0-9]+ Test +#[0-9]+: / { flush()
      if ($0 ~ /\*\*\*(Failed|Timeout|Exception)|Not Run/) { name = $4; k = 0 } next }
    /^ +Start +[0-9]+: / || /^[0-9]+% tests passed/ { flush(); next }
    name != "" { buf[k % n] = $0; k++ }
    END { flush() }' "$log"
done
for name in "${failures[@]}"; do
  case $name in "suite "*) ;; *) continue ;; esac
  log=build-suites/$(basename "${name#suite }" .sh).log
  [ -f "$log" ] || continue
  echo "=== digest: $name, its last ${TZCHAN_DIGEST_LINES:-25} lines"
  tail -n "${TZCHAN_DIGEST_LINES:-25}" "$log" | sed 's/^/  | /'
done
echo
[ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "steps (builds and suites): $passed passed, $failed failed, $skipped skipped"
echo "ctest tests over both builds: $ct_pass passed, $ct_fail failed, $ct_skip skipped"
# the closing line: every CTest test plus every extra suite; any failed step counts as a failure
suites_passed=$((passed - 2 < 0 ? 0 : passed - 2))
echo "tests: $((ct_pass + suites_passed)) passed, $((ct_fail + failed)) failed, $((ct_skip + skipped)) skipped"
[ $failed -eq 0 ]
