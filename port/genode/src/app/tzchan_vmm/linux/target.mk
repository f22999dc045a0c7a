# SPDX-License-Identifier: BSD-2-Clause
#
# The TrustZone VMM for a Linux normal world (board virt_qemu_arm_v7a_tz): the same main.cc as tzchan_vmm, built
# with TZCHAN_VMM_LINUX, and the secure service of port/trustzone's Linux firmware (port/trustzone/linux/
# sp_linux.c: calls, registration checks, traffic and verdict rules) compiled in unchanged with the portable core.
#
TARGET   = tzchan_vmm_linux
REQUIRES = hw arm_v7a
LIBS    += base tzchan
SRC_CC  += main.cc

TZCHAN_DIR := $(realpath $(REP_DIR)/../..)
TZ_COMMON  := $(TZCHAN_DIR)/port/trustzone/common
TZ_LINUX   := $(TZCHAN_DIR)/port/trustzone/linux

SRC_C    += sp_linux.c tz_region.c tz_crc32.c tz_smccc.c tz_sp_memmap.c tz_print.c
INC_DIR  += $(TZ_COMMON) $(TZ_LINUX) $(TZCHAN_DIR)/src
CC_OPT   += -DTZCHAN_VMM_LINUX
CC_C_OPT += -std=c11

vpath main.cc $(PRG_DIR)/..
vpath %.c $(TZ_COMMON)
vpath sp_linux.c $(TZ_LINUX)
