# SPDX-License-Identifier: BSD-2-Clause
#
# Users of the Genode wrapper see the core's API headers as well.
#
include $(call select_from_repositories,lib/import/import-tzchan.mk)
