// SPDX-License-Identifier: BSD-2-Clause
// Entry of the ARMv7 normal-world image (NS SVC mode, MMU off, from the monitor): vectors, stacks, .bss, C.
// IRQs (timer, doorbell SGI) are the normal world's; they are handled in IRQ mode by a32_ns_irq().
#define MODE_SVC 0x13
#define MODE_IRQ 0x12
#define MODE_ABT 0x17
#define MODE_UND 0x1b
    .syntax unified
    .arm
    .section .text.boot, "ax"
    .global _ns_start
_ns_start:
    ldr     r0, =ns_vectors
    mcr     p15, 0, r0, c12, c0, 0      // VBAR (non-secure)
    isb
    cps     #MODE_IRQ
    ldr     sp, =irq_stack_top
    cps     #MODE_ABT
    ldr     sp, =exc_stack_top
    cps     #MODE_UND
    ldr     sp, =exc_stack_top
    cps     #MODE_SVC
    ldr     sp, =svc_stack_top
    ldr     r0, =__bss_start
    ldr     r2, =__bss_end
    mov     r3, #0
1:  cmp     r0, r2
    strlo   r3, [r0], #4
    blo     1b
    bl      ns_main
    b       .

    .balign 32
ns_vectors:
    b       .
    b       ns_undef
    b       ns_svc
    b       ns_pabt
    b       ns_dabt
    b       .
    b       ns_irq
    b       ns_fiq

ns_irq:
    sub     lr, lr, #4
    push    {r0-r3, r12, lr}
    bl      a32_ns_irq
    pop     {r0-r3, r12, lr}
    movs    pc, lr

ns_undef:
    mov     r0, #1
    b       ns_exc
ns_svc:
    mov     r0, #2
    b       ns_exc
ns_pabt:
    mov     r0, #3
    b       ns_exc
ns_dabt:                                // a probe's abort resumes after the access; anything else is fatal
    push    {r0-r3, r12, lr}
    bl      a32_ns_dabt
    cmp     r0, #0
    pop     {r0-r3, r12, lr}
    subsne  pc, lr, #4                  // lr = faulting instruction + 8
    mov     r0, #4
    b       ns_exc
ns_fiq:
    mov     r0, #7
ns_exc:
    ldr     sp, =exc_stack_top
    mov     r1, lr
    mrc     p15, 0, r2, c5, c0, 0
    mrc     p15, 0, r3, c6, c0, 0
    bl      ns_unexpected
    b       .

    .section .bss
    .balign 8
    .space  16384
svc_stack_top:
    .space  2048
irq_stack_top:
    .space  1024
exc_stack_top:
