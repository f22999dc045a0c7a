# SPDX-License-Identifier: BSD-2-Clause
# The "normal" client of the tzchan scenario (run/tzchan.run)
TARGET = tzchan_normal
SRC_CC = main.cc
LIBS   = base tzchan_genode
