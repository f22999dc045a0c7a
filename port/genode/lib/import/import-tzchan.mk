# SPDX-License-Identifier: BSD-2-Clause
#
# Users of the tzchan library see the core's API headers (include/ at the top
# of the tzchan repository, two levels above this Genode repository).
#
INC_DIR += $(realpath $(dir $(call select_from_repositories,lib/mk/tzchan.mk))../../../../include)
CC_OPT  += -DTZCHAN_STATIC_BUILD
