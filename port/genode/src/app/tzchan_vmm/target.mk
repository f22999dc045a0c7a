# SPDX-License-Identifier: BSD-2-Clause
TARGET   = tzchan_vmm
REQUIRES = hw arm_v7a
LIBS    += base
INC_DIR += $(PRG_DIR)
SRC_CC  += main.cc
