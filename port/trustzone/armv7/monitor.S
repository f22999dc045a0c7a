// SPDX-License-Identifier: BSD-2-Clause
// The ARMv7 monitor: SMC entry (world switch) and FIQ entry (secure interrupts, taken here from either world).
//
// SMC: the caller's r0-r12, its SVC-mode sp/lr/spsr, the return address and CPSR are saved in a frame on the
// monitor stack (struct a32_frame in sec_arch.c), with SCR.NS recorded and cleared so that the monitor's mode
// changes stay in the secure state. a32_mon_smc() may rewrite the frame (to answer, or to swap in the other
// world's saved frame) and says which world to return to. Banked registers the two worlds share and this port
// does not switch: IRQ mode (used by the normal world only; the secure side never unmasks IRQ), FIQ/ABT/UND
// (exception-entry stacks set on entry), USR/SYS (unused). CP15 state is banked by the hardware.

#define MODE_SVC 0x13
#define MODE_MON 0x16
#define FRAME 80                        // 13 regs + svc sp, lr, spsr + pc, cpsr + ns + 1 spare word

    .syntax unified
    .arm
    .text
    .balign 32
    .global mon_vectors
mon_vectors:
    b       .                           // reset (unused)
    b       mon_bad                     // undef
    b       mon_smc                     // SMC
    b       mon_bad                     // prefetch abort
    b       mon_bad                     // data abort
    b       .
    b       mon_bad                     // IRQ (SCR.IRQ is 0: never here)
    b       mon_fiq                     // FIQ

mon_smc:
    sub     sp, sp, #FRAME
    stmia   sp, {r0-r12}
    add     r4, sp, #52
    mrc     p15, 0, r5, c1, c1, 0       // SCR
    and     r6, r5, #1
    str     r6, [r4, #20]               // frame.ns: the caller's world
    bic     r5, r5, #1
    mcr     p15, 0, r5, c1, c1, 0       // NS = 0 while in the monitor
    isb
    cps     #MODE_SVC
    str     sp, [r4, #0]
    str     lr, [r4, #4]
    mrs     r5, spsr
    str     r5, [r4, #8]
    cps     #MODE_MON
    str     lr, [r4, #12]               // return address (after the SMC)
    mrs     r5, spsr
    str     r5, [r4, #16]               // caller's CPSR
    mov     r0, sp
    bl      a32_mon_smc                 // rewrites the frame; frame.ns = world to enter
    add     r4, sp, #52
    ldr     r5, [r4, #16]
    msr     spsr_cxsf, r5
    ldr     lr, [r4, #12]
    cps     #MODE_SVC
    ldr     sp, [r4, #0]
    ldr     lr, [r4, #4]
    ldr     r5, [r4, #8]
    msr     spsr_cxsf, r5
    cps     #MODE_MON
    ldr     r6, [r4, #20]
    mrc     p15, 0, r5, c1, c1, 0
    bic     r5, r5, #1
    orr     r5, r5, r6
    mcr     p15, 0, r5, c1, c1, 0       // SCR.NS for the world we enter
    isb
    ldmia   sp, {r0-r12}
    add     sp, sp, #FRAME
    movs    pc, lr

mon_fiq:
    sub     lr, lr, #4
    push    {r0-r3, r12, lr}
    mrs     r0, spsr
    mrc     p15, 0, r1, c1, c1, 0       // SCR
    push    {r0, r1}
    bic     r2, r1, #1
    mcr     p15, 0, r2, c1, c1, 0       // NS = 0: the secure timer's and GIC's secure views
    isb
    and     r0, r1, #1                  // argument: 1 if the normal world was interrupted
    bl      a32_mon_fiq
    pop     {r0, r1}
    mcr     p15, 0, r1, c1, c1, 0
    isb
    msr     spsr_cxsf, r0
    pop     {r0-r3, r12, lr}
    movs    pc, lr

mon_bad:
    mov     r0, lr
    mrs     r1, spsr
    bl      a32_mon_unexpected
    b       .
