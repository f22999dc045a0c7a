// SPDX-License-Identifier: BSD-2-Clause
// Entries of the SMP image's normal world at NS-EL1 (MMU off): _ns_start on CPU0 (EL3's first eret), which
// clears .bss, and ns_smp_secondary for the CPUs CPU0 powers on with PSCI CPU_ON (x0 = the context it passed).
// Each CPU takes its own stack by MPIDR, installs the vectors and calls ns_smp_main(cpu).
#define NS_STACK 16384
#define NS_CPUS 4
    .section .text.boot, "ax"
    .global _ns_start
_ns_start:
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
1:  cmp     x0, x1
    b.hs    ns_smp_secondary
    str     xzr, [x0], #8
    b       1b

    .global ns_smp_secondary
ns_smp_secondary:
    mrs     x19, mpidr_el1
    and     x19, x19, #0xff
    cmp     x19, #NS_CPUS
    b.hs    .
    ldr     x0, =ns_smp_stacks
    add     x1, x19, #1
    mov     x2, #NS_STACK
    madd    x0, x1, x2, x0
    mov     sp, x0
    ldr     x0, =el1_vectors
    msr     vbar_el1, x0
    isb
    mov     x0, x19
    bl      ns_smp_main
    b       .

    .section .bss
    .balign 16
ns_smp_stacks:
    .space  NS_STACK * NS_CPUS
