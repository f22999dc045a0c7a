#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Instructions per 64-byte send+recv pair, counted by valgrind's callgrind (deterministic: the same binary and
# inputs give the same count whatever else the machine does). For each way of tools/bench/icount.c it counts
# the whole program at N = 100 000 and 200 000 pairs and prints (difference of totals) / 100 000, next to
# ck_ring's count from the same run. With --max-send A --max-batch B --max-many C --max-batchmany E --max-zerocopy D
# it fails (exit 1) when tzchan's counts exceed A, B, C, E or D: a regression guard on counts, never on time.
# With --inline BIN2 (tzchan-icount-inline: the same loops with the per-message calls inlined into them) it also
# prints those counts, which show how much of each figure is call overhead; no ceiling applies to them.
# Usage: icount.sh <tzchan-icount binary> [--max-send A] [--max-batch B] [--max-many C] [--max-batchmany E]
#                  [--max-zerocopy D] [--inline BIN2]
# Exit: 0 pass, 1 over a ceiling or a failed run, 77 no valgrind.
set -u
bin=$1; shift
max_send=; max_batch=; max_many=; max_bm=; max_zc=; inl=
while [ $# -gt 0 ]; do
    case $1 in
        --max-send) max_send=$2; shift 2 ;;
        --max-batch) max_batch=$2; shift 2 ;;
        --max-many) max_many=$2; shift 2 ;;
        --max-batchmany) max_bm=$2; shift 2 ;;
        --inline) inl=$2; shift 2 ;;
        --max-zerocopy) max_zc=$2; shift 2 ;;
        *) echo "usage: $0 BIN [--max-send A] [--max-batch B] [--max-many C] [--max-batchmany E] [--max-zerocopy D] [--inline BIN2]" >&2
           exit 2 ;;
    esac
done
command -v valgrind >/dev/null 2>&1 || { echo "skip: valgrind is not installed"; exit 77; }

total() { # way n [binary] -> instructions of the whole run
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "${3:-$bin}" "$1" "$2" 2>&1 >/dev/null |
        sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
per_pair() { # way [binary] -> instructions per pair, to one decimal
    a=$(total "$1" 100000 "${2:-}"); b=$(total "$1" 200000 "${2:-}")
    [ -n "$a" ] && [ -n "$b" ] || return 1
    echo "$a $b" | awk '{ printf "%.1f", ($2 - $1) / 100000 }'
}

send=$(per_pair send) || { echo "FAIL: tzchan-icount send did not run"; exit 1; }
batch=$(per_pair batch32) || { echo "FAIL: tzchan-icount batch32 did not run"; exit 1; }
many=$(per_pair many32) || { echo "FAIL: tzchan-icount many32 did not run"; exit 1; }
bm=$(per_pair batchmany) || { echo "FAIL: tzchan-icount batchmany did not run"; exit 1; }
zc=$(per_pair zerocopy) || { echo "FAIL: tzchan-icount zerocopy did not run"; exit 1; }
ck=$(per_pair ck_ring 2>/dev/null) || ck=n/a
echo "instructions per 64-byte send+recv pair (callgrind, 64 KiB ring, one thread):"
echo "  tzchan send + recv            $send"
echo "  tzchan MORE x32 + flush, recv $batch"
echo "  tzchan send_many/recv_many 32 $many"
echo "  tzchan MORE x32 + flush, recv_many $bm"
echo "  tzchan reserve/commit, peek/release $zc (the caller's own 64-byte copies)"
echo "  ck_ring enqueue/dequeue       $ck (pointer to a 64-byte slot, both 64-byte copies)"
[ "$ck" != n/a ] && echo "$send $batch $many $zc $ck $bm" |
    awk '{ printf "  ratios to ck_ring: send %.2fx, batch32 %.2fx, many32 %.2fx, MORE + recv_many %.2fx, zerocopy %.2fx\n", $1 / $5, $2 / $5, $3 / $5, $6 / $5, $4 / $5 }'
if [ -n "$inl" ]; then
    isend=$(per_pair send "$inl") && ibatch=$(per_pair batch32 "$inl") && imany=$(per_pair many32 "$inl") &&
        ibm=$(per_pair batchmany "$inl") || { echo "FAIL: $inl did not run"; exit 1; }
    echo "the same with the per-message calls inlined into the loop (tzchan-icount-inline; no library is built so):"
    echo "  send + recv $isend, MORE x32 + recv $ibatch, send_many/recv_many $imany, MORE x32 + recv_many $ibm"
fi
rc=0
if [ -n "$max_send" ] && awk "BEGIN { exit !($send > $max_send) }"; then
    echo "FAIL: send+recv costs $send instructions, over the ceiling of $max_send"; rc=1
fi
if [ -n "$max_batch" ] && awk "BEGIN { exit !($batch > $max_batch) }"; then
    echo "FAIL: batched send+recv costs $batch instructions, over the ceiling of $max_batch"; rc=1
fi
if [ -n "$max_many" ] && awk "BEGIN { exit !($many > $max_many) }"; then
    echo "FAIL: send_many+recv_many costs $many instructions per message, over the ceiling of $max_many"; rc=1
fi
if [ -n "$max_bm" ] && awk "BEGIN { exit !($bm > $max_bm) }"; then
    echo "FAIL: batched send + recv_many costs $bm instructions per message, over the ceiling of $max_bm"; rc=1
fi
if [ -n "$max_zc" ] && awk "BEGIN { exit !($zc > $max_zc) }"; then
    echo "FAIL: reserve+commit+peek+release costs $zc instructions, over the ceiling of $max_zc"; rc=1
fi
exit $rc
