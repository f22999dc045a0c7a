// SPDX-License-Identifier: BSD-2-Clause
// EL1 exception vectors, shared by the secure payload (S-EL1, CPU1) and the normal world (NS-EL1, CPU0), each
// linked into its own image. Interrupts (IRQ and FIQ) taken from the current EL save the caller-saved
// registers and call el1_irq(); synchronous exceptions from the current EL call el1_sync() with the saved frame
// (it may resume after the faulting instruction by moving the saved ELR, frame word 20); anything else calls
// el1_unexpected() with the syndrome.

    .macro  save_call func, arg
    sub     sp, sp, #192
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x29, [sp, #144]
    mrs     x0, elr_el1
    mrs     x1, spsr_el1
    stp     x0, x1, [sp, #160]
    str     x30, [sp, #176]
    mov     x0, #\arg
    mov     x1, sp
    bl      \func
    ldp     x0, x1, [sp, #160]
    msr     elr_el1, x0
    msr     spsr_el1, x1
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x29, [sp, #144]
    ldr     x30, [sp, #176]
    add     sp, sp, #192
    eret
    .endm

    .macro  bad n
    .balign 0x80
    mov     x0, #\n
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    b       el1_unexpected
    .endm

    .text
    .balign 0x800
    .global el1_vectors
el1_vectors:
    bad 0
    bad 1
    bad 2
    bad 3
    .balign 0x80
    b       el1_sync_entry  // current EL, SPx: synchronous
    .balign 0x80
    b       el1_irq_entry   // IRQ
    .balign 0x80
    b       el1_fiq_entry   // FIQ
    bad 7
    bad 8
    bad 9
    bad 10
    bad 11
    bad 12
    bad 13
    bad 14
    bad 15

el1_sync_entry:
    save_call el1_sync, 4
el1_irq_entry:
    save_call el1_irq, 0
el1_fiq_entry:
    save_call el1_irq, 1
