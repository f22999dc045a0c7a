# SPDX-License-Identifier: BSD-2-Clause
# The "secure" server of the tzchan scenario (run/tzchan.run)
TARGET = tzchan_secure
SRC_CC = main.cc
LIBS   = base tzchan_genode
