# SPDX-License-Identifier: BSD-2-Clause
# Bootstrap for QEMU virt ARMv7 with Genode as the secure world (board virt_qemu_arm_v7a_tz)
REP_INC_DIR += src/bootstrap/board/virt_qemu_arm_v7a_tz
REP_INC_DIR += src/include

vpath bootstrap/board/% $(REP_DIR)/src

SRC_CC += bootstrap/board/virt_qemu_arm_v7a_tz/platform.cc
SRC_CC += bootstrap/spec/arm/cortex_a15_cpu.cc

include $(call select_from_repositories,lib/mk/spec/arm_v7/bootstrap-hw.inc)

# no FPU instructions before the MMU is on; soft-float ABI (Debian's arm-linux-gnueabihf defaults to hard)
CC_MARCH = -march=armv7ve+nofp -mtune=cortex-a15 -mfpu=vfpv3 -mfloat-abi=softfp -marm
