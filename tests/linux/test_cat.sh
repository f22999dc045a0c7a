#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# tzchan-cat both ways at once: 3 MB one way, 100 kB the other, over a socket path; both outputs must match.
# Usage: test_cat.sh [EMULATOR] path/to/tzchan-cat
set -u
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
head -c 3000000 /dev/urandom >"$dir/in1"
head -c 100000 /dev/urandom >"$dir/in2"
"$@" --listen "$dir/sock" <"$dir/in2" >"$dir/out1" &
pid=$!
i=0
while [ ! -S "$dir/sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
"$@" --connect "$dir/sock" --ring 4K <"$dir/in1" >"$dir/out2" || { echo "connect side failed"; exit 1; }
wait $pid || { echo "listen side failed"; exit 1; }
cmp "$dir/in1" "$dir/out1" && cmp "$dir/in2" "$dir/out2" || exit 1
echo "test_cat: 3000000 + 100000 bytes through tzchan-cat, both directions identical"
