#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Checks the Spin model of the doorbell handshake (doorbell.pml): the model must pass and every mutant must fail.
# Model (4 messages through a ring of 2): exhaustive safety search (no invalid end state: nobody asleep for good
# when the run should end; the assertions), with full fences and with the asymmetric sleep fence on the consumer
# (ASYM_C). With --full also a ring of 1 message, the sleep fence on the producer and on both sides, the three LTL
# properties under weak fairness, and the announced bell value kept modulo 4 (the wrap must be harmless). Mutants
# NO_FENCE_PUBLISH, NO_FENCE_WAIT, NO_SEEN, and NO_SLEEP_FENCE with the sleep fence on both sides: the search must
# find an error (with --full, also the LTL search).
# Usage: check.sh [--full]. Exit 0 pass, 1 fail, 77 skipped (no spin or no C compiler).
set -u
here=$(cd "$(dirname "$0")" && pwd)
command -v spin >/dev/null 2>&1 || { echo "spin not found: skipped"; exit 77; }
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || cc=gcc
command -v "$cc" >/dev/null 2>&1 || { echo "no C compiler: skipped"; exit 77; }
full=0; [ "${1:-}" = --full ] && full=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/doorbell.pml" "$work/"
cd "$work" || exit 1
fail=0

# build <spin -D flags> <safety|liveness>: generates and compiles the verifier ./pan
build() {
  rm -f pan pan.c doorbell.pml.trail
  spin $1 -a doorbell.pml >spin.log 2>&1 || { cat spin.log; return 1; }
  if [ "$2" = safety ]; then
    "$cc" -O1 -w -DSAFETY -DNOCLAIM -o pan pan.c
  else
    "$cc" -O1 -w -o pan pan.c
  fi
}

# check <label> <expect: pass|fail> <spin -D flags> <pan flags>: runs the built verifier and judges its result
check() {
  local label=$1 expect=$2 defs=$3 panflags=$4
  local t0=$SECONDS
  ./pan -m100000 $panflags >pan.log 2>&1
  local errors states first
  errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.log | tail -1)
  states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' pan.log | tail -1)
  first=$(grep -m1 -E "^pan:1:" pan.log)
  printf '%-46s states %-9s errors %-2s %3d s %s\n' "$label" "${states:-?}" "${errors:-?}" $((SECONDS - t0)) \
         "${first:+-- $first}"
  if [ -z "$errors" ] || grep -q "max search depth too small" pan.log; then
    echo "$label: incomplete search"; cat pan.log; fail=1
  elif [ "$expect" = pass ] && [ "$errors" != 0 ]; then
    echo "$label: the model FAILS"; cat pan.log; spin $defs -t -p -g doorbell.pml | tail -60; fail=1
  elif [ "$expect" = fail ] && [ "$errors" = 0 ]; then
    echo "$label: the mutant PASSES: the check cannot fail"; fail=1
  fi
}

configs="-DN=4+-DCAP=2 -DN=4+-DCAP=2+-DASYM_C"
[ $full -eq 1 ] && configs="$configs -DN=4+-DCAP=1 -DN=4+-DCAP=2+-DASYM_P -DN=4+-DCAP=2+-DASYM_C+-DASYM_P -DN=4+-DCAP=2+-DE=4"
for c in $configs; do
  cfg=${c//+/ }
  build "$cfg" safety || { fail=1; continue; }
  check "model $cfg: safety" pass "$cfg" ""
  if [ $full -eq 1 ]; then
    build "$cfg" liveness || { fail=1; continue; }
    for p in all_arrive data_wakes room_wakes; do
      check "model $cfg: ltl $p (weak fairness)" pass "$cfg" "-a -f -N $p"
    done
  fi
done
for m in NO_FENCE_PUBLISH NO_FENCE_WAIT NO_SEEN ASYM_C+-DASYM_P+-DNO_SLEEP_FENCE; do
  md=${m//+/ }
  build "-DN=4 -DCAP=2 -D$md" safety || { fail=1; continue; }
  check "mutant $md: safety" fail "-DN=4 -DCAP=2 -D$md" "-w20"
  if [ $full -eq 1 ]; then
    build "-DN=4 -DCAP=2 -D$md" liveness || { fail=1; continue; }
    check "mutant $md: ltl all_arrive" fail "-DN=4 -DCAP=2 -D$md" "-w20 -a -f -N all_arrive"
  fi
done
[ $fail -eq 0 ] && echo "doorbell model: passes; every mutant fails"
exit $fail
