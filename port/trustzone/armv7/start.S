// SPDX-License-Identifier: BSD-2-Clause
// Reset entry of the ARMv7 secure image (secure flash at 0x0, secure SVC mode, MMU off, all interrupts masked)
// and the secure exception vectors. Sets the secure and monitor vector bases, a stack per mode, copies .data,
// clears .bss and calls sec_main() in secure SVC mode. The secure side never takes IRQs (they belong to the
// normal world); its own interrupts are FIQs and go to the monitor (SCR.FIQ).

#define MODE_SVC 0x13
#define MODE_MON 0x16
#define MODE_ABT 0x17
#define MODE_UND 0x1b
#define MODE_IRQ 0x12
#define MODE_FIQ 0x11
#define IF_MASK 0xc0

    .syntax unified
    .arm
    .section .text.boot, "ax"
    .global _start
_start:
    b       reset
    b       sec_undef
    b       sec_svc
    b       sec_pabt
    b       sec_dabt
    b       .
    b       sec_irq
    b       sec_fiq

reset:
    // only CPU0 (the tests run -smp 1; park anything else)
    mrc     p15, 0, r0, c0, c0, 5       // MPIDR
    ands    r0, r0, #0xff
    bne     park
    ldr     r0, =_start
    mcr     p15, 0, r0, c12, c0, 0      // VBAR (secure)
    ldr     r0, =mon_vectors
    mcr     p15, 0, r0, c12, c0, 1      // MVBAR
    isb
    cps     #MODE_MON
    ldr     sp, =mon_stack_top
    cps     #MODE_ABT
    ldr     sp, =exc_stack_top
    cps     #MODE_UND
    ldr     sp, =exc_stack_top
    cps     #MODE_FIQ
    ldr     sp, =exc_stack_top
    cps     #MODE_SVC
    ldr     sp, =svc_stack_top

    ldr     r0, =__data_start
    ldr     r1, =__data_load
    ldr     r2, =__data_end
1:  cmp     r0, r2
    ldrlo   r3, [r1], #4
    strlo   r3, [r0], #4
    blo     1b
    ldr     r0, =__bss_start
    ldr     r2, =__bss_end
    mov     r3, #0
2:  cmp     r0, r2
    strlo   r3, [r0], #4
    blo     2b
    bl      sec_main
    b       .
park:
    wfi
    b       park

sec_undef:
    mov     r0, #1
    b       sec_exc
sec_svc:
    mov     r0, #2
    b       sec_exc
sec_pabt:
    mov     r0, #3
    b       sec_exc
sec_dabt:
    mov     r0, #4
    b       sec_exc
sec_irq:
    mov     r0, #6
    b       sec_exc
sec_fiq:
    mov     r0, #7
sec_exc:
    ldr     sp, =exc_stack_top
    mov     r1, lr
    mrc     p15, 0, r2, c5, c0, 0       // DFSR
    mrc     p15, 0, r3, c6, c0, 0       // DFAR
    bl      sec_unexpected
    b       .

    .section .bss
    .balign 8
    .space  8192
svc_stack_top:
    .space  4096
mon_stack_top:
    .space  1024
exc_stack_top:
