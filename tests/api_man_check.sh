#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Fails unless every function the public headers declare (a declaration starting in column 0) has a man page
# (section 3).
# Usage: api_man_check.sh INCLUDE_DIR MAN_BUILD_DIR
set -eu
inc=$1 man=$2
fns=$(grep -hoE '^[A-Za-z][^(;#]*[ *]tzchan_[a-z0-9_]+\(' "$inc"/tzchan/*.h | sed 's/($//; s/.*[ *]//' | sort -u)
[ -n "$fns" ] || { echo "no TZCHAN_API functions found"; exit 1; }
missing=0 n=0
for f in $fns; do
  n=$((n + 1))
  if [ ! -s "$man/man3/$f.3" ]; then echo "no man page for $f"; missing=$((missing + 1)); fi
done
echo "$n public functions, $missing without a man page"
[ $missing -eq 0 ]
