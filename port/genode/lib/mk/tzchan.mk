# SPDX-License-Identifier: BSD-2-Clause
#
# The portable tzchan core as a Genode library, built unchanged from the
# repository's src/ folder (this Genode repository lives in port/genode/).
# It is freestanding C11; memcpy and memset come from Genode's base library.
#
TZCHAN_DIR := $(realpath $(REP_DIR)/../..)

SRC_C   = tzchan.c strerror.c
INC_DIR += $(TZCHAN_DIR)/include $(TZCHAN_DIR)/src
CC_C_OPT += -std=c11 -DTZCHAN_STATIC_BUILD

vpath %.c $(TZCHAN_DIR)/src
