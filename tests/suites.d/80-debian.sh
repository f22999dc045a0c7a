#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Builds the Debian packages (dpkg-buildpackage -us -uc -b) from a copy of the tree, unpacks them into a clean
# folder, then builds and runs a program against that installed copy twice: with pkg-config and with
# find_package(tzchan). Skips (77) where the packaging tools are missing.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
for t in dpkg-buildpackage dh cmake pkg-config go-md2man help2man; do
  command -v $t >/dev/null || { echo "skip: $t missing"; exit 77; }
done
work=$top/build-debian
rm -rf "$work"
mkdir -p "$work/src"
git -C "$top" ls-files -z | (cd "$top" && xargs -0 tar cf - --no-recursion) | tar xf - -C "$work/src"
(cd "$work/src" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || { tail -50 "$work/build.log"; exit 1; }
ls "$work"/*.deb
root=$work/root
for deb in "$work"/*.deb; do
  dpkg -x "$deb" "$root"
  echo "--- $(basename "$deb")"; dpkg -c "$deb" | awk '{print $6}' | grep -v '/$'
done
multi=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
prog=$top/tests/packaging/installed_use.c
# 1. pkg-config
export PKG_CONFIG_PATH=$root/usr/lib/$multi/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
cc -std=c11 -Wall -Wextra -Werror -o "$work/use-pc" "$prog" $(pkg-config --cflags --libs tzchan)
LD_LIBRARY_PATH=$root/usr/lib/$multi "$work/use-pc"
# 2. CMake
mkdir -p "$work/cm"
cat >"$work/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project(use C)
find_package(tzchan REQUIRED)
add_executable(use-cmake $prog)
target_link_libraries(use-cmake tzchan::tzchan)
CM
cmake -S "$work/cm" -B "$work/cm/b" -DCMAKE_PREFIX_PATH="$root/usr" >/dev/null
cmake --build "$work/cm/b" >/dev/null
LD_LIBRARY_PATH=$root/usr/lib/$multi "$work/cm/b/use-cmake"
# the installed library exports exactly the API
sh "$top/tests/exported_symbols_check.sh" "$root/usr/lib/$multi/libtzchan.so.0" "$root/usr/include"
# every public function has a man page in the package
mkdir -p "$work/man/man3" && for f in "$root"/usr/share/man/man3/*.3.gz; do gunzip -c "$f" >"$work/man/man3/$(basename "$f" .gz)"; done
sh "$top/tests/api_man_check.sh" "$root/usr/include" "$work/man"
echo "debian packages: built, installed into a clean folder, used through pkg-config and CMake"
