// SPDX-License-Identifier: BSD-2-Clause
// Entry of the secure payload at S-EL1 on CPU1 (from EL3's eret): stack, vectors, then C.
#define SP_STACK 16384
    .text
    .global sp_entry
sp_entry:
    ldr     x0, =sp_stack + SP_STACK
    mov     sp, x0
    ldr     x0, =el1_vectors
    msr     vbar_el1, x0
    isb
    bl      sp_main
    b       .

    .section .bss
    .balign 16
sp_stack:
    .space  SP_STACK
