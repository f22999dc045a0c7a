# SPDX-License-Identifier: BSD-2-Clause
#
# The TrustZone VMM and secure tzchan endpoint for board virt_qemu_arm_v7a_tz. The secure payload logic of the
# bare-metal TrustZone port (port/trustzone/common: calls, registration checks, traffic and verdict) is compiled
# in unchanged, with the portable core (library tzchan); main.cc provides its platform hooks.
#
TARGET   = tzchan_vmm
REQUIRES = hw arm_v7a
LIBS    += base tzchan
SRC_CC  += main.cc

TZCHAN_DIR := $(realpath $(REP_DIR)/../..)
TZ_COMMON  := $(TZCHAN_DIR)/port/trustzone/common

SRC_C    += tz_secure.c tz_traffic.c tz_region.c tz_crc32.c tz_smccc.c tz_sp_memmap.c tz_print.c
INC_DIR  += $(TZ_COMMON) $(TZCHAN_DIR)/src
CC_C_OPT += -std=c11

vpath %.c $(TZ_COMMON)
