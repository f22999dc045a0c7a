# SPDX-License-Identifier: BSD-2-Clause
# The hostile client of the tzchan scenario (run/tzchan.run)
TARGET = tzchan_scribbler
SRC_CC = main.cc
LIBS   = base tzchan_genode
