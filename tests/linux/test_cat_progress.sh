#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# tzchan-cat's progress line: shown on a terminal, never when stderr is not one.
# 1. Not a terminal (stderr to a file): a 3 MB transfer both ways leaves both stderr files empty.
# 2. A terminal: the connecting side runs under script(1) (util-linux), which gives it a pseudo-terminal for
#    stderr while its stdin and stdout are redirected to files inside the command; what the terminal received
#    must hold the line, rewritten with \r, ending with the whole file sent: "sent 2.9 MiB of 2.9 MiB (100%".
#    Without script(1) the test checks part 1 only and says so. No timing is asserted: the final line is
#    printed however fast the transfer is.
# Usage: test_cat_progress.sh path/to/tzchan-cat
set -u
cat_=$1
dir=$(mktemp -d) || exit 1
trap 'kill $lpid 2>/dev/null; rm -rf "$dir"' EXIT
lpid=
head -c 3000000 /dev/urandom >"$dir/in1"
head -c 100000 /dev/urandom >"$dir/in2"

listen() {
  rm -f "$dir/sock"
  "$cat_" --listen "$dir/sock" <"$dir/in2" >"$dir/out1" 2>"$dir/err_listen" &
  lpid=$!
  i=0
  while [ ! -S "$dir/sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
}

# 1. not a terminal
listen
"$cat_" --connect "$dir/sock" <"$dir/in1" >"$dir/out2" 2>"$dir/err_connect" || { echo "FAIL: connect side"; exit 1; }
wait $lpid || { echo "FAIL: listen side"; exit 1; }
cmp -s "$dir/in1" "$dir/out1" && cmp -s "$dir/in2" "$dir/out2" || { echo "FAIL: data differs"; exit 1; }
for f in err_listen err_connect; do
  if [ -s "$dir/$f" ]; then
    echo "FAIL: progress (or anything) written to stderr that is not a terminal ($f):"
    od -c "$dir/$f" | head -5
    exit 1
  fi
done
echo "not a terminal: both sides silent on stderr"

# 2. a terminal, through script(1)
if ! command -v script >/dev/null 2>&1; then
  echo "script(1) not found: the terminal case is not tested"
  exit 0
fi
listen
script -q -e -c "'$cat_' --connect '$dir/sock' <'$dir/in1' >'$dir/out2'" "$dir/tty" </dev/null >/dev/null 2>&1
rc=$?
wait $lpid || { echo "FAIL: listen side (terminal run)"; exit 1; }
[ $rc -eq 0 ] || { echo "FAIL: connect side under script exited $rc"; cat "$dir/tty"; exit 1; }
cmp -s "$dir/in1" "$dir/out1" && cmp -s "$dir/in2" "$dir/out2" || { echo "FAIL: data differs (terminal run)"; exit 1; }
if ! grep -q "tzchan-cat: sent 2.9 MiB of 2.9 MiB (100%), .*received 97.7 KiB" "$dir/tty"; then
  echo "FAIL: no final progress line on the terminal; it received:"
  od -c "$dir/tty" | tail -20
  exit 1
fi
if ! tr '\r' '\n' <"$dir/tty" | grep -q '^tzchan-cat: sent'; then
  echo "FAIL: the progress line does not start with a carriage return"
  exit 1
fi
[ -s "$dir/err_listen" ] && { echo "FAIL: the listening side (stderr a file) wrote to stderr"; exit 1; }
echo "terminal: $(tr '\r' '\n' <"$dir/tty" | grep -c '^tzchan-cat: sent') progress line state(s), the last:"
tr '\r' '\n' <"$dir/tty" | grep '^tzchan-cat: sent' | tail -1 | sed 's/\x1b\[K//'
