// SPDX-License-Identifier: BSD-2-Clause
// Entry of the normal-world image at NS-EL1 on CPU0 (EL3 erets here, MMU off): stack, vectors, .bss, then C.
#define NS_STACK 16384
    .section .text.boot, "ax"
    .global _ns_start
_ns_start:
    ldr     x0, =ns_stack + NS_STACK
    mov     sp, x0
    ldr     x0, =el1_vectors
    msr     vbar_el1, x0
    isb
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
1:  cmp     x0, x1
    b.hs    2f
    str     xzr, [x0], #8
    b       1b
2:  bl      ns_main
    b       .

    .section .bss
    .balign 16
ns_stack:
    .space  NS_STACK
