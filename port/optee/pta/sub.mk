# SPDX-License-Identifier: BSD-2-Clause
# OP-TEE OS build fragment for the tzchan pseudo TA: build-optee.sh copies this folder into the build's copy of
# optee_os as core/pta/tzchan/, with the project's include/tzchan/ as core/pta/tzchan/include/tzchan/, and adds
# the folder to core/pta/sub.mk.
incdirs-y += . include
srcs-y += tzchan_pta.c
