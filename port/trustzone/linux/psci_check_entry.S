// SPDX-License-Identifier: BSD-2-Clause
// Entry points of the PSCI check (psci_check.c), which the Linux firmware boots in place of the kernel Image:
// CPU0 arrives at _start (from EL3, NS-EL1, MMU off, x0 = device tree), CPU2 at psci_check_secondary_entry (from
// PSCI CPU_ON, x0 = context ID). Each gets its own stack; CPU0 clears .bss first (CPU2 starts only later).

#define STACK_SIZE 4096

    .section .text.boot, "ax"
    .global _start
_start:
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  ldr     x1, =stack_cpu0 + STACK_SIZE
    mov     sp, x1
    bl      psci_check_main
    b       .

    .global psci_check_secondary_entry
psci_check_secondary_entry:         // x0: context ID, passed on
    ldr     x1, =stack_cpu2 + STACK_SIZE
    mov     sp, x1
    bl      psci_check_secondary
    b       .

    .section .bss
    .balign 16
stack_cpu0:
    .space  STACK_SIZE
stack_cpu2:
    .space  STACK_SIZE
