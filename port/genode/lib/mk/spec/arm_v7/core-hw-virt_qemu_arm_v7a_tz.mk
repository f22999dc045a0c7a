# SPDX-License-Identifier: BSD-2-Clause
# Core for QEMU virt ARMv7 with Genode as the secure world (board virt_qemu_arm_v7a_tz): base-hw's arm_v7
# TrustZone support (monitor-mode vector, VCPU, VM service) on a Cortex-A15 with the generic timer.
REP_INC_DIR += src/core/board/virt_qemu_arm_v7a_tz
REP_INC_DIR += src/include
REP_INC_DIR += src/core/spec/arm_v7/trustzone

SRC_CC += kernel/vcpu_thread_on.cc
SRC_CC += spec/arm/generic_timer.cc
SRC_CC += spec/arm/gicv2.cc
SRC_CC += spec/arm_v7/trustzone/kernel/vcpu.cc
SRC_CC += spec/arm_v7/trustzone/platform_services.cc
SRC_CC += spec/arm_v7/trustzone/vm_session_component.cc

SRC_S += spec/arm_v7/trustzone/exception_vector.s

CC_MARCH = -march=armv7ve -mtune=cortex-a15 -mfpu=vfpv3 -mfloat-abi=softfp -marm

include $(call select_from_repositories,lib/mk/spec/arm_v7/core-hw-cortex_a15.inc)
