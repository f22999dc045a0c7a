#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The CTest entry for the Genode scenarios: runs port/genode/run.sh for one target on a Genode tree that needs no
# checkout. With GENODE_DIR set, that tree is used as it is. Otherwise the source snapshot
# genode-ffb059da4d.tar.xz is unpacked once into a cache folder and the compatibility patch applied there; Genode's
# build directories stay in that tree, so a rerun rebuilds nothing and only reruns the scenario.
#
# The cached tree is <cache>/genode/genode-<key>, where <key> is a checksum of the snapshot's name, the patch
# files and the recipe number below: a changed patch gets a fresh tree. Unpacking happens under a lock, in a
# temporary folder that is renamed into place only when it is complete, so two targets can start at once and an
# interrupted unpack is never used. Each target's build runs under a lock of its own, so the two targets build in
# parallel while two runs of the same target (two build trees sharing the cache) take turns.
#
# The TrustZone targets (virt_qemu_arm_v7a_tz[.MODE]: Genode as the secure world) also build their normal world, the
# bare-metal ARMv7 image of port/trustzone in its Genode variant (make armv7-genode, a few seconds, into
# FALLBACK_CACHE_DIR/tz-images/MODE), and hand it to run.sh in TZCHAN_TZ_NS_IMAGE; the suffix names the normal world's
# mode (hostile, restart, smcfuzz; traffic when there is none). All run in the same Genode build directory, one at
# a time.
#
# virt_qemu_arm_v7a_tz.linux boots a 32-bit Linux normal world instead (run/tzchan_tz_linux.run): linux-guest.sh
# builds its kernel (cached in the kernel cache, under a lock: two build folders never build it at once), tzchan.ko
# and the test programs of port/linux-kernel into FALLBACK_CACHE_DIR/linux-guest first.
#
# Usage:  port/genode/ctest.sh linux|virt_qemu_arm_v8a|virt_qemu_arm_v7a_tz[.MODE] FALLBACK_CACHE_DIR
# Env:    GENODE_DIR           a Genode tree to use instead of the snapshot
#         TZCHAN_THIRD_PARTY   the folder holding the snapshot (default: shared/third_party beside the checkout)
#         TZCHAN_KERNEL_CACHE  the cache folder shared by the system tests (default: FALLBACK_CACHE_DIR)
# Exit:   as run.sh: 0 passed, 1 failed, 2 usage or setup error (a missing snapshot is an error, not a skip).
set -euo pipefail
# The whole script is one block that bash reads before it runs any of it: a checkout that changes this file
# while a run is under way (the Genode build takes minutes) cannot make the run execute a mix of both versions.
{
usage="usage: $0 linux|virt_qemu_arm_v8a|virt_qemu_arm_v7a_tz[.hostile|.restart|.smcfuzz|.linux] FALLBACK_CACHE_DIR"
[ $# -eq 2 ] || { echo "$usage" >&2; exit 2; }
target=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

case $target in
    virt_qemu_arm_v7a_tz|virt_qemu_arm_v7a_tz.hostile|virt_qemu_arm_v7a_tz.restart|virt_qemu_arm_v7a_tz.smcfuzz)
        mode=traffic
        [ "$target" != virt_qemu_arm_v7a_tz ] && mode=${target#virt_qemu_arm_v7a_tz.}
        target=virt_qemu_arm_v7a_tz
        command -v arm-none-eabi-gcc >/dev/null ||
            { echo "$0: missing tool: arm-none-eabi-gcc (the normal world's compiler)" >&2; exit 2; }
        # a folder per mode: tests of two modes may build at the same time
        mkdir -p "$2/tz-images/$mode"
        images=$(cd "$2/tz-images/$mode" && pwd)
        export TZCHAN_TZ_NS_IMAGE=$images/armv7-genode/normal-$mode.bin
        make -s -C "$top/port/trustzone" O="$images" "$TZCHAN_TZ_NS_IMAGE" ||
            { echo "$0: could not build the normal-world image" >&2; exit 2; }
        echo "ctest.sh: normal world $TZCHAN_TZ_NS_IMAGE ($mode mode)" ;;
    virt_qemu_arm_v7a_tz.linux)
        target=virt_qemu_arm_v7a_tz
        command -v flock >/dev/null || { echo "$0: missing tool: flock (util-linux)" >&2; exit 2; }
        kcache=${TZCHAN_KERNEL_CACHE:-$2/kernel}
        mkdir -p "$kcache"
        export TZCHAN_TZ_LINUX_DIR=$2/linux-guest
        export TZCHAN_TZ_SCENARIO=tzchan_tz_linux
        rc=0
        flock "$kcache/linux-armv7.lock" "$here/linux-guest.sh" "$TZCHAN_TZ_LINUX_DIR" "$kcache" || rc=$?
        [ "$rc" -eq 0 ] || { echo "$0: could not prepare the Linux normal world" >&2; exit 2; }
        echo "ctest.sh: Linux normal world in $TZCHAN_TZ_LINUX_DIR" ;;
esac

if [ -n "${GENODE_DIR:-}" ]; then
    exec "$here/run.sh" "$GENODE_DIR" "$target"
fi

command -v flock >/dev/null || { echo "$0: missing tool: flock (util-linux)" >&2; exit 2; }
snapshot=${TZCHAN_THIRD_PARTY:-$top/../shared/third_party}/genode-ffb059da4d.tar.xz
[ -f "$snapshot" ] || {
    echo "$0: no Genode snapshot at $snapshot: set TZCHAN_THIRD_PARTY to the folder that holds it," \
         "or GENODE_DIR to a Genode tree (see docs/GENODE.md)" >&2
    exit 2
}

# Bump when the preparation below changes what the cached tree holds.
recipe=1
key=$( (echo "recipe $recipe, $(basename "$snapshot")"; cat "$here"/genode-*.patch) | sha256sum | cut -c1-16)
cache=${TZCHAN_KERNEL_CACHE:-$2}/genode
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
tree=$cache/genode-$key

t_start=$SECONDS
stage() { echo "ctest.sh $target: [+$((SECONDS - t_start)) s] $*"; }

# ---- unpack and prepare once, under the cache's lock ------------------------------------------------------
exec 8>"$cache/genode-$key.lock"
stage "waiting for the lock on the cached tree"
flock 8
if [ -d "$tree" ]; then
    stage "cached Genode tree $tree"
else
    rm -rf "$cache/genode-$key.unpack."*  # left behind by an interrupted unpack: only the lock holder unpacks
    tmp=$(mktemp -d "$cache/genode-$key.unpack.XXXXXX")
    stage "unpacking $(basename "$snapshot") into $tmp"
    tar -xJf "$snapshot" -C "$tmp"
    # The patch is applied here, under the lock, so that the two targets' run.sh find it applied and never race
    # to apply it. The tree is no git repository, and git must not look above it (the fallback cache lies inside
    # this project's checkout): with that, `git apply` patches plain files.
    for patch in "$here"/genode-*.patch; do
        (cd "$tmp/genode" && GIT_CEILING_DIRECTORIES=$tmp git apply "$patch")
        stage "applied $(basename "$patch")"
    done
    mv "$tmp/genode" "$tree"
    rmdir "$tmp"
    stage "cached Genode tree $tree"
fi
flock -u 8
exec 8>&-

# ---- build and run this target, one run per target at a time -----------------------------------------------
exec 9>"$cache/genode-$key.$target.lock"
flock 9
stage "running run.sh $target"
exec "$here/run.sh" "$tree" "$target"
}
