// SPDX-License-Identifier: BSD-2-Clause
// EL3 vectors of the per-CPU world switch (el3_world.h): an SMC or a FIQ from either world's EL1 saves x0..x30
// in a frame on this CPU's EL3 stack, el3_world_trap() may replace the frame with the other world's registers,
// and the frame goes back into x0..x30 before eret. Everything else at EL3 is unexpected.

    .macro  bad_vector n
    .balign 0x80
    mov     x0, #\n
    mrs     x1, esr_el3
    mrs     x2, elr_el3
    mrs     x3, far_el3
    b       el3_unexpected
    .endm

    .macro  trap kind
    .balign 0x80
    sub     sp, sp, #256
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    mov     x1, #\kind
    b       el3_world_common
    .endm

    .text
    .balign 0x800
    .global el3_world_vectors
el3_world_vectors:
    bad_vector 0        // current EL, SP0
    bad_vector 1
    bad_vector 2
    bad_vector 3
    bad_vector 4        // current EL, SPx
    bad_vector 5
    bad_vector 6
    bad_vector 7
    trap 0              // lower EL, AArch64: synchronous (SMC)
    bad_vector 9        // IRQ: never routed to EL3
    trap 1              // FIQ: a Group 0 interrupt while the normal world runs
    bad_vector 11
    bad_vector 12       // lower EL, AArch32
    bad_vector 13
    bad_vector 14
    bad_vector 15

el3_world_common:
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
    mov     x0, sp
    bl      el3_world_trap
    mov     x0, sp
    add     sp, sp, #256
    b       load_and_eret

// void el3_world_eret(const uint64_t *x): x0..x30 from x[], then eret
    .global el3_world_eret
el3_world_eret:
load_and_eret:
    ldp     x2, x3, [x0, #16]
    ldp     x4, x5, [x0, #32]
    ldp     x6, x7, [x0, #48]
    ldp     x8, x9, [x0, #64]
    ldp     x10, x11, [x0, #80]
    ldp     x12, x13, [x0, #96]
    ldp     x14, x15, [x0, #112]
    ldp     x16, x17, [x0, #128]
    ldp     x18, x19, [x0, #144]
    ldp     x20, x21, [x0, #160]
    ldp     x22, x23, [x0, #176]
    ldp     x24, x25, [x0, #192]
    ldp     x26, x27, [x0, #208]
    ldp     x28, x29, [x0, #224]
    ldr     x30, [x0, #240]
    ldp     x0, x1, [x0, #0]
    eret
