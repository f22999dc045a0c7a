#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# libFuzzer: builds the fuzz targets with clang -fsanitize=fuzzer,address,undefined (the core instrumented for
# coverage too) in build-fuzz and fuzzes them for a bounded time, starting from copies of their seed corpora (the
# repository's corpus is not changed), on both cores: one runner fuzzes fuzz_recv then fuzz_open for half the time
# each, the other fuzz_seq (the most expensive per run, and the one that reaches deepest) for the whole time.
#
# The suite must reach TZCHAN_FUZZ_MIN_EXECS executions in total (default 10 million), so that a target that
# became slow, or a run that quietly did little, is visible. A loaded machine gives the fuzzers less CPU, so when
# the first round falls short the suite measures the rate it got and runs fuzz_recv and fuzz_open again, in
# parallel, for as long as that rate says is needed, up to TZCHAN_FUZZ_EXTRA_CAP seconds. If the total is still
# short, the machine was busy with other work: the suite then judges the targets by the execs per CPU second each
# run got, which do not depend on the load: it passes (saying so) only if the first round would have reached the
# minimum with its two cores to itself, and fails otherwise. Prints each run's exec count, CPU time and rate, the
# total, and fuzz_seq's content-checked share.
# A crash fails the suite; its input is left in build-fuzz/artifacts/ to be added to tests/fuzz/corpus/<target>/
# with the fix.
# Env: TZCHAN_FUZZ_SECS (default 120: the first round's length), TZCHAN_FUZZ_MIN_EXECS (default 10000000),
# TZCHAN_FUZZ_EXTRA_CAP (default 60). Exit 0 pass, 1 fail, 77 skipped (no clang or no libFuzzer).
set -u
cd "$(dirname "$0")/../.."
command -v clang >/dev/null 2>&1 || { echo "clang not found: skipped"; exit 77; }
probe=$(mktemp -d)
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; return (int)n * 0; }' \
  >"$probe/p.c"
if ! clang -fsanitize=fuzzer -o "$probe/p" "$probe/p.c" >/dev/null 2>&1; then
  rm -rf "$probe"
  echo "clang cannot link libFuzzer (package libclang-rt-*-dev): skipped"; exit 77
fi
rm -rf "$probe"
dir=build-fuzz
secs=${TZCHAN_FUZZ_SECS:-120}
min_execs=${TZCHAN_FUZZ_MIN_EXECS:-10000000}
extra_cap=${TZCHAN_FUZZ_EXTRA_CAP:-60}
mkdir -p "$dir"
cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTZCHAN_WERROR=ON \
      -DTZCHAN_SANITIZE=fuzzer-no-link,address,undefined -DTZCHAN_FUZZ=ON >"$dir.configure.log" 2>&1 \
  || { cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" -j 2 --target fuzz_open fuzz_recv fuzz_seq || exit 1
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p "$dir/artifacts"
rm -f "$dir"/fuzz-*.log "$dir"/result-*
for t in open recv seq; do
  rm -rf "$dir/corpus-$t"; mkdir -p "$dir/corpus-$t"
  cp tests/fuzz/corpus/$t/* "$dir/corpus-$t/"
done

# fuzz_recv and fuzz_open run thousands of times faster than libFuzzer's entropic schedule can keep its per-feature
# statistics up to date (that bookkeeping took more than half their time), so they use the plain schedule;
# fuzz_seq, whose runs are long sequences, keeps the default.
opts_open=-entropic=0 opts_recv=-entropic=0 opts_seq=

# run TARGET SECONDS TAG: fuzzes TARGET from its work corpus; writes "execs exit-code cpu-tenths-of-seconds" to
# result-TARGET-TAG (the CPU time it got shows how loaded the machine was)
run() {
  local t=$1 s=$2 tag=$3 log="$dir/fuzz-$1-$3.log" o="opts_$1" r cpu
  local TIMEFORMAT='%U %S'
  cpu=$( { time "$dir/tests/fuzz/fuzz_$t" -max_total_time="$s" -print_final_stats=1 -max_len=4096 -timeout=10 \
      ${!o} -artifact_prefix="$dir/artifacts/$t-" "$dir/corpus-$t" >"$log" 2>&1; echo "rc $?" >"$log.rc"; } 2>&1 )
  r=$(sed -n 's/^rc //p' "$log.rc")
  local n; n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "${n:-0} ${r:-1} $(echo "$cpu" | awk '{printf "%.0f", 10 * ($1 + $2)}')" >"$dir/result-$t-$tag"
}

report() { # TARGET TAG SECONDS: one line; returns the run's exit code
  local t=$1 tag=$2 s=$3 n r c
  read -r n r c <"$dir/result-$t-$tag"
  local cov; cov=$(grep -Eo 'cov: [0-9]+' "$dir/fuzz-$t-$tag.log" | tail -1)
  local extra; extra=$(grep -Eo '^fuzz_seq: .*' "$dir/fuzz-$t-$tag.log" | tail -1 | sed 's/^fuzz_seq: /; /')
  echo "fuzz_$t ($tag): $n execs in $s s, $((c / 10)).$((c % 10)) s of CPU" \
       "($((n * 10 / (c > 0 ? c : 1))) per CPU second), $cov, corpus $(ls "$dir/corpus-$t" | wc -l) inputs," \
       "exit $r$extra"
  if [ "$r" -ne 0 ]; then
    tail -40 "$dir/fuzz-$t-$tag.log"
    ls -l "$dir/artifacts/"
  fi
  return "$r"
}

half=$((secs / 2))
t0=$(date +%s)
(run recv "$half" 1; run open "$((secs - half))" 1) &
a=$!
run seq "$secs" 1 &
b=$!
wait "$a" "$b"
t1=$(date +%s)
rc=0
report recv 1 "$half" || rc=1
report open 1 "$((secs - half))" || rc=1
report seq 1 "$secs" || rc=1
[ $rc -eq 0 ] || exit 1
total=0
for f in "$dir"/result-*; do read -r n r c <"$f"; total=$((total + n)); done

if [ "$total" -lt "$min_execs" ]; then
  # the rate this machine gave us, over both runners, in execs per second of wall time
  rate=$((total / (t1 - t0 > 0 ? t1 - t0 : 1)))
  need=$(( (min_execs - total) / (rate > 0 ? rate : 1) * 12 / 10 + 5 ))
  [ "$need" -le "$extra_cap" ] || need=$extra_cap
  echo "fuzz: $total execs after the first round ($rate /s): $need s more for fuzz_recv and fuzz_open"
  run recv "$need" 2 &
  a=$!
  run open "$need" 2 &
  b=$!
  wait "$a" "$b"
  report recv 2 "$need" || rc=1
  report open 2 "$need" || rc=1
  [ $rc -eq 0 ] || exit 1
  total=0
  for f in "$dir"/result-*; do read -r n r c <"$f"; total=$((total + n)); done
fi
echo "fuzz: $total execs in total in $(( $(date +%s) - t0 )) s (at least $min_execs required)"
[ "$total" -ge "$min_execs" ] && exit 0
# Still short: the CPU the runs got tells a loaded machine from slow targets. What would the first round have done
# with both cores, at each target's measured execs per CPU second?
projected=0 cpu=0
for t in recv open seq; do
  read -r n r c <"$dir/result-$t-1"
  case $t in recv) b=$half ;; open) b=$((secs - half)) ;; seq) b=$secs ;; esac
  projected=$((projected + n * 10 / (c > 0 ? c : 1) * b))
  cpu=$((cpu + c))
done
echo "fuzz: the first round got $((cpu / 10)) s of CPU of the $((2 * secs)) s two cores give; at the rates it" \
     "measured it would have made $projected execs with both"
if [ "$projected" -ge "$min_execs" ]; then
  echo "fuzz: pass: the machine was busy with other work; the targets themselves are fast enough"
  exit 0
fi
echo "fuzz: FAIL: fewer than $min_execs execs, and too slow per CPU second to make them in the time budget:" \
     "a target got slower"
exit 1
