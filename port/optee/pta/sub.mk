# SPDX-License-Identifier: BSD-2-Clause
# OP-TEE OS build fragment for the tzchan pseudo TA: build-optee.sh copies this folder into the build's copy of
# optee_os as core/pta/tzchan/, with the project's include/tzchan/ as core/pta/tzchan/include/tzchan/, the portable
# core's sources (src/tzchan.c, src/strerror.c, src/atomics.h, as core_tzchan.c and core_strerror.c: compiled
# unchanged) and port/trustzone/common's registration checks, CRC-32 and test-service formats (tz_region.c,
# tz_crc32.c, lk_smc.h and the headers they need) in shared/, and adds the folder to core/pta/sub.mk.
incdirs-y += . include shared
srcs-y += tzchan_pta.c
srcs-y += shared/core_tzchan.c
srcs-y += shared/core_strerror.c
srcs-y += shared/tz_region.c
srcs-y += shared/tz_crc32.c
# The core declares variables where it first needs them (C11); OP-TEE's warning set forbids that by default.
cflags-shared/core_tzchan.c-y += -Wno-declaration-after-statement
cflags-shared/core_strerror.c-y += -Wno-declaration-after-statement
cflags-shared/tz_crc32.c-y += -Wno-declaration-after-statement
