// SPDX-License-Identifier: BSD-2-Clause
// Entry of the secure payload at S-EL1 on each CPU of the SMP image (EL3's first eret there, x0 = the CPU):
// this CPU's secure stack, the vectors, then C. The payload never comes back here: it returns to the normal
// world with an SMC (sp_smp.c) and continues after it when EL3 hands it the next event.
#define SP_STACK 16384
#define SP_CPUS 4                   // el3_common.h: EL3_MAX_CPUS
    .text
    .global sp_smp_entry
sp_smp_entry:
    cmp     x0, #SP_CPUS
    b.hs    .                       // EL3 enters only CPUs it has a context for
    ldr     x1, =sp_smp_stacks
    add     x2, x0, #1
    mov     x3, #SP_STACK
    madd    x1, x2, x3, x1
    mov     sp, x1
    ldr     x1, =el1_vectors
    msr     vbar_el1, x1
    isb
    bl      sp_smp_main
    b       .

    .section .bss
    .balign 16
sp_smp_stacks:
    .space  SP_STACK * SP_CPUS
