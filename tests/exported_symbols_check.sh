#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Fails unless the shared library's exported functions are exactly those declared TZCHAN_API in the headers.
# Usage: exported_symbols_check.sh LIBRARY INCLUDE_DIR
set -eu
lib=$1 inc=$2
want=$(grep -ho '^TZCHAN_API[^(]*(' "$inc"/tzchan/*.h | sed 's/($//; s/.*[ *]//' | sort -u)
have=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//' | sort -u)
if [ "$want" != "$have" ]; then
  echo "exported symbols differ from the API (< headers, > library):"
  echo "$want" > "${TMPDIR:-/tmp}/tzchan-want.$$"
  echo "$have" | diff "${TMPDIR:-/tmp}/tzchan-want.$$" - || true
  rm -f "${TMPDIR:-/tmp}/tzchan-want.$$"
  exit 1
fi
echo "$(echo "$have" | wc -l) exported symbols, all declared in the public headers"
