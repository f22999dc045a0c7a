#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Checks the Spin models of tests/model/: each model must pass and every mutant must fail.
#
# doorbell.pml, the doorbell handshake. Model (4 messages through a ring of 2): exhaustive safety search (no
# invalid end state: nobody asleep for good when the run should end; the assertions), with full fences and with
# the asymmetric sleep fence on the consumer (ASYM_C). With --full also a ring of 1 message, the sleep fence on the
# producer and on both sides, the three LTL properties under weak fairness, and the announced bell value kept
# modulo 4 (the wrap must be harmless). Mutants NO_FENCE_PUBLISH, NO_FENCE_WAIT, NO_SEEN, and NO_SLEEP_FENCE with
# the sleep fence on both sides: the search must find an error (with --full, also the LTL search).
#
# records.pml, the record layer (ring of 128 bytes, calls atomic). Model: one message of every kind and edge size
# from every 8-aligned offset, exhaustive safety search (no deadlock, the assertions); with --full also the LTL
# property all_delivered under weak fairness, and two messages (the first a whole message or a declared stream
# longer than max_msg, the second of every kind); with --large also two messages of which the first is an
# unknown-length stream of up to two pieces (kept out of the suite for its time). Mutants M1 (today's unknown-length producer and the 32-byte
# receive threshold), M2 (owed padding), M3 (recv's EAGAIN/EMSGSIZE do not publish a skipped PAD), M4 (receive
# threshold below the producer's demand), M5 (version 2 with a receive threshold that ignores its 8-byte reserve):
# the search must find an error (with --full, also the LTL search); the gist of each counterexample (the messages,
# where the indices stand, what each side waits for) is printed. Version 2's record layer (-DV2: the producer's
# 8-byte reserve) is checked like version 1's: N=1, and with --full N=2 and the LTL property.
#
# selfpub.pml, the self-published records of wire format version 2 (ring of 8 words of 8 bytes): exhaustive safety
# search with 4 whole messages of every span, and with 3 messages that may also be stream records (-DSTREAMS); with
# --full also 5 whole messages and 4 with streams. Mutants NO_ZERO, NO_RESERVE, HEADER_FIRST, ZERO_LATE (with
# streams) and LAG: the search must find an error.
#
# Usage: check.sh [--full | --large] [doorbell|records|selfpub] (--large: --full plus the largest records run).
# Exit 0 pass, 1 fail, 77 skipped (no spin or no C compiler).
set -u
here=$(cd "$(dirname "$0")" && pwd)
command -v spin >/dev/null 2>&1 || { echo "spin not found: skipped"; exit 77; }
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || cc=gcc
command -v "$cc" >/dev/null 2>&1 || { echo "no C compiler: skipped"; exit 77; }
full=0 large=0 which=all
for a in "$@"; do
  case $a in
  --full) full=1 ;;
  --large) full=1; large=1 ;;
  all | doorbell | records | selfpub) which=$a ;;
  *) echo "usage: check.sh [--full | --large] [doorbell|records|selfpub]"; exit 1 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/doorbell.pml" "$here/records.pml" "$here/selfpub.pml" "$work/"
cd "$work" || exit 1
fail=0

model=doorbell.pml
panextra=
# build <spin -D flags> <safety|liveness>: generates and compiles the verifier ./pan for $model (with $panextra)
build() {
  rm -f pan pan.c ./*.trail
  spin $1 -a $model >spin.log 2>&1 || { cat spin.log; return 1; }
  if [ "$2" = safety ]; then
    "$cc" -O1 -w -DSAFETY -DNOCLAIM $panextra -o pan pan.c
  else
    "$cc" -O1 -w $panextra -o pan pan.c
  fi
}

# gist <spin -D flags>: one paragraph on the counterexample of records.pml: the end state of the trail
gist() {
  spin $1 -t -g -l $model 2>/dev/null | awk '
    /^[ \t]+(prod|cons|sent|delivered) = / { v[$1] = $3 }
    /^[ \t]+msg_len\[[0-9]+\] = / { ml = ml " " $3 }
    /^[ \t]+qfl\[[0-9]+\] = / { i = $1; gsub(/[^0-9]/, "", i); fl[i] = $3 }
    /^[ \t]+qlen\[[0-9]+\] = / { i = $1; gsub(/[^0-9]/, "", i); ln[i] = $3 }
    /^[ \t]+qh = / { qh = $3 } /^[ \t]+qn = / { qn = $3 }
    /Producer\([0-9]+\):(need|p_owed|kind|sz|p1|p2|p3) = / { split($1, a, ":"); p[a[2]] = $3 }
    /Consumer\([0-9]+\):(c_v|rc|c_some|c_msg) = / { split($1, a, ":"); c[a[2]] = $3 }
    END {
      split("EAGAIN EMSGSIZE", rcn, " ")
      printf "    gist: message lengths%s; sent %d, delivered %d; prod %d (mod 256), cons published %d, ", \
             ml, v["sent"], v["delivered"], v["prod"], v["cons"]
      printf "consumer at %d", c["c_v"]
      if (c["rc"] == 1) printf ", its last call EAGAIN (asleep)"
      if (c["c_some"] == 1 || c["c_msg"] == 1) printf " (reading with recv_some)"
      if (p["need"] == 0) printf "; producer finished"
      if (p["need"] > 0) printf "; producer asleep until %d bytes are free (kind %d, size %d)", p["need"], p["kind"], p["sz"]
      if (p["p_owed"] > 0) printf ", owing %d padding bytes", p["p_owed"]
      printf "; records unread:"
      for (k = 0; k < qn; k++) { j = (qh + k) % 16; printf " [flags %d len %d]", fl[j], ln[j] }
      printf "\n"
    }'
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
    echo "$label: the model FAILS"; cat pan.log; spin $defs -t -p -g $model | tail -60; fail=1
  elif [ "$expect" = fail ] && [ "$errors" = 0 ]; then
    echo "$label: the mutant PASSES: the check cannot fail"; fail=1
  elif [ "$expect" = fail ] && [ "$model" = records.pml ] && [ -n "$first" ]; then
    gist "$defs"
  fi
}

if [ "$which" = all ] || [ "$which" = doorbell ]; then
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
fi

# records.pml: R = 128 bytes. N=1: one message of every kind and size from every offset; N=2: two messages, the
# first a whole message or a declared stream > max_msg (a declared one <= max_msg ends as a whole one does), or
# (--large only: 25 million states, 1.1 GiB, one to two minutes) an unknown-length stream of at most two pieces;
# the second message of every kind.
if [ "$which" = all ] || [ "$which" = records ]; then
  model=records.pml
  panextra="-DCOLLAPSE -DMEMLIM=2048" # state vectors compressed, memory capped at 2 GiB (the machine is shared)
  rfail=$fail
  rconfigs="-DN=1 -DN=1+-DV2"
  [ $full -eq 1 ] && rconfigs="$rconfigs -DN=2+-DKINDS_FIRST=5 -DN=2+-DKINDS_FIRST=5+-DV2"
  [ $large -eq 1 ] && rconfigs="$rconfigs -DN=2+-DKINDS_FIRST=8+-DPIECES=2"
  for c in $rconfigs; do
    cfg=${c//+/ }
    build "$cfg" safety || { fail=1; continue; }
    check "records $cfg: safety" pass "$cfg" ""
    if [ $full -eq 1 ] && { [ "$cfg" = "-DN=1" ] || [ "$cfg" = "-DN=1 -DV2" ]; }; then
      build "$cfg" liveness || { fail=1; continue; }
      check "records $cfg: ltl all_delivered (weak fairness)" pass "$cfg" "-a -f -N all_delivered"
    fi
  done
  for m in -DN=1+-DM1 -DN=2+-DKINDS_FIRST=5+-DM2 -DN=1+-DM3 -DN=1+-DM4 -DN=1+-DM5; do
    md=${m//+/ }
    build "$md" safety || { fail=1; continue; }
    check "mutant records $md: safety" fail "$md" ""
    if [ $full -eq 1 ]; then
      build "$md" liveness || { fail=1; continue; }
      check "mutant records $md: ltl all_delivered" fail "$md" "-a -f -N all_delivered"
    fi
  done
  [ $fail -eq $rfail ] && echo "records model: passes; every mutant fails"
fi

# selfpub.pml: W = 8 words. Safety only (no cycles: every step writes a word or moves an index forward, N bounded).
if [ "$which" = all ] || [ "$which" = selfpub ]; then
  model=selfpub.pml
  panextra="-DCOLLAPSE -DMEMLIM=2048"
  sfail=$fail
  sconfigs="-DN=4 -DN=3+-DSTREAMS"
  [ $full -eq 1 ] && sconfigs="$sconfigs -DN=5 -DN=4+-DSTREAMS"
  for c in $sconfigs; do
    cfg=${c//+/ }
    build "$cfg" safety || { fail=1; continue; }
    check "selfpub $cfg: safety" pass "$cfg" ""
  done
  for m in -DN=4+-DNO_ZERO -DN=4+-DNO_RESERVE -DN=4+-DHEADER_FIRST -DN=4+-DSTREAMS+-DZERO_LATE -DN=4+-DLAG; do
    md=${m//+/ }
    build "$md" safety || { fail=1; continue; }
    check "mutant selfpub $md: safety" fail "$md" ""
  done
  [ $fail -eq $sfail ] && echo "selfpub model: passes; every mutant fails"
fi
exit $fail
