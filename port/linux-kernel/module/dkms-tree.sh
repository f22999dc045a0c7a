#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Lays out the driver's source tree as the tzchan-dkms package installs it (/usr/src/tzchan-<version>): everything
# `make -C <kernel build folder> M=<folder>` needs and nothing else, flat enough that no variable has to name the
# repository. The Kbuild here serves both this tree and build-module.sh's build folder.
#   Kbuild, dkms.conf, tzchan_drv.c, tzchan_ioctl.h   the driver, its build file and its user interface
#   tzchan_cdev.c, tzchan_cdev.h                      the character device (shared with the OP-TEE client)
#   core_tzchan.c, core_strerror.c                    the portable core (src/tzchan.c, src/strerror.c), unchanged
#   src/atomics.h, include/tzchan/*.h                 the core's private and public headers
#   shim/*.h                                          <stdint.h> & co. for the driver, on <linux/types.h>
#   common/lk_smc.h, common/tz_smc.h, common/tz_region.h   the SMC interface shared with the secure side
# Usage: dkms-tree.sh <destination folder> <version>
set -eu
dest=$1 version=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
put() { install -D -m 0644 "$1" "$dest/$2"; }
put "$here/Kbuild" Kbuild
put "$here/tzchan_drv.c" tzchan_drv.c
put "$here/tzchan_cdev.c" tzchan_cdev.c
put "$here/tzchan_cdev.h" tzchan_cdev.h
put "$here/tzchan_ioctl.h" tzchan_ioctl.h
put "$top/src/tzchan.c" core_tzchan.c
put "$top/src/strerror.c" core_strerror.c
put "$top/src/atomics.h" src/atomics.h
for h in "$top"/include/tzchan/*.h; do put "$h" "include/tzchan/$(basename "$h")"; done
for h in "$here"/shim/*.h; do put "$h" "shim/$(basename "$h")"; done
put "$top/port/trustzone/common/lk_smc.h" common/lk_smc.h
put "$top/port/trustzone/common/tz_smc.h" common/tz_smc.h
put "$top/port/trustzone/common/tz_region.h" common/tz_region.h
sed "s/@VERSION@/$version/" "$here/dkms.conf.in" > "$dest/dkms.conf"
chmod 0644 "$dest/dkms.conf"
