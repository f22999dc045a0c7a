#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The tools refuse bad options before doing anything (exit 2, a message naming the option), and a failed
# system call is reported with the operating system's reason (strerror), not only "operating system call failed".
# Usage: test_tool_errors.sh TZCHAN-CAT TZCHAN-DEMO TZCHAN-STAT [TZCHAN-BENCH]
set -u
cat_=$1 demo=$2 stat=$3 bench=${4:-}
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fails=0 n=0

# expect STATUS TEXT COMMAND...: the command exits with STATUS and its stderr (or stdout) contains TEXT
expect() {
  want=$1 text=$2
  shift 2
  n=$((n + 1))
  "$@" </dev/null >"$dir/out" 2>"$dir/err"
  got=$?
  if [ "$got" -ne "$want" ] || ! cat "$dir/err" "$dir/out" | grep -qF -- "$text"; then
    echo "FAIL: $* -> exit $got (want $want), stderr and stdout:"
    cat "$dir/err" "$dir/out" | sed 's/^/    /'
    echo "    (wanted it to contain: $text)"
    fails=$((fails + 1))
  fi
}

# tzchan-cat
expect 1 "connect to $dir/missing.sock: No such file or directory" "$cat_" --connect "$dir/missing.sock"
expect 1 "No such file or directory" "$cat_" --listen "$dir/no/such/dir/sock"
: >"$dir/plain"
expect 1 "connect to $dir/plain: Connection refused" "$cat_" --connect "$dir/plain"
expect 2 "--ring wants a power of two" "$cat_" --connect "$dir/missing.sock" --ring 1000
expect 2 "--ring wants a power of two" "$cat_" --connect "$dir/missing.sock" --ring 512M
expect 2 "--ring wants a power of two" "$cat_" --connect "$dir/missing.sock" --ring -4K
expect 2 "--ring goes with --connect" "$cat_" --listen "$dir/sock" --ring 4K
expect 2 "--listen wants a socket path" "$cat_" --listen
expect 2 "give --listen PATH or --connect PATH" "$cat_"
expect 2 "unknown option '--bogus'" "$cat_" --bogus
# bad options must be refused before anything is done: no socket file appeared
[ ! -e "$dir/sock" ] || { echo "FAIL: tzchan-cat created $dir/sock despite a bad option"; fails=$((fails + 1)); }

# tzchan-demo
expect 2 "--ring wants a power of two" "$demo" --ring 1000
expect 2 "--lanes wants" "$demo" --lanes 0
expect 2 "--size wants" "$demo" --size -1
expect 2 "--eventfd allows at most 252 lanes" "$demo" --eventfd --lanes 300
expect 2 "unexpected argument 'extra'" "$demo" extra

# tzchan-stat
expect 2 "give exactly one of --pid, --file, --device" "$stat"
expect 2 "--pid wants a process id" "$stat" --pid abc
expect 2 "--pid wants a process id" "$stat" --pid 0
expect 2 "--watch wants seconds" "$stat" --pid 1 --watch 0
expect 2 "--watch wants seconds" "$stat" --pid 1 --watch nan
expect 2 "--lane wants" "$stat" --pid 1 --lane 1024
expect 2 "--fd goes with --pid" "$stat" --file "$dir/plain" --fd 3
expect 2 "unknown option '--bogus'" "$stat" --bogus
expect 1 "No such file or directory (no such process)" "$stat" --pid 2147483647
expect 1 "open $dir/missing (a region file): No such file or directory" "$stat" --file "$dir/missing"
expect 1 "Inappropriate ioctl for device" "$stat" --device /dev/null
expect 1 "holds no tzchan region" "$stat" --pid $$
expect 3 "header: INVALID: the file is 0 bytes" "$stat" --file "$dir/plain"

# tzchan-bench (when built)
if [ -n "$bench" ]; then
  expect 2 "--reps wants" "$bench" --reps 0
  expect 2 "--time wants" "$bench" --time abc
  expect 2 "--mode wants" "$bench" --mode sideways
  expect 2 "--sections wants" "$bench" --sections tput,nothing
  expect 2 "--fence wants" "$bench" --fence half
  expect 2 "unknown option '--bogus'" "$bench" --bogus
  expect 2 "$dir/no/such/dir/x.json: No such file or directory" "$bench" --quick --json "$dir/no/such/dir/x.json"
fi

echo "test_tool_errors: $n cases, $fails failed"
[ $fails -eq 0 ]
