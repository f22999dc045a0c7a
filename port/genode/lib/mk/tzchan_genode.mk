# SPDX-License-Identifier: BSD-2-Clause
#
# C++ wrapper of a tzchan endpoint for Genode components: signal doorbells
# and blocking send/receive (include/tzchan/channel.h).
#
TZCHAN_DIR := $(realpath $(REP_DIR)/../..)

SRC_CC   = channel.cc
INC_DIR += $(TZCHAN_DIR)/include

LIBS    += tzchan

vpath %.cc $(REP_DIR)/src/lib/tzchan_genode
