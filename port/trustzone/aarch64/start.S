// SPDX-License-Identifier: BSD-2-Clause
// Reset entry of the AArch64 secure image (secure flash at 0x0, EL3, MMU off) and the EL3 exception vectors.
// All CPUs arrive here together (QEMU's PSCI is off with secure=on and -bios). CPU0 prepares memory and
// releases the others from a pen keyed by MPIDR; the pen word lives in its own section outside .bss, because CPU0
// clears .bss while the others are already polling. CPU1 becomes the secure payload's; CPUs 2 .. MAX_CPUS-1 go to
// el3_main_secondary() (the image decides: park, or wait for PSCI CPU_ON); any further CPU parks in wfi.

#define PEN_MAGIC 0x50454e31        // "1NEP": random RAM content is unlikely to hold it
#define STACK_SIZE 8192
#define MAX_CPUS 4                  // one EL3 stack each (el3_common.h: EL3_MAX_CPUS)

    .section .text.boot, "ax"
    .global _start
_start:
    mrs     x19, mpidr_el1
    and     x19, x19, #0xff
    adr     x0, el3_vectors
    msr     vbar_el3, x0
    isb
    // EL3 stack: el3_stacks + (cpu + 1) * STACK_SIZE
    ldr     x0, =el3_stacks
    add     x1, x19, #1
    mov     x2, #STACK_SIZE
    madd    x0, x1, x2, x0
    mov     sp, x0
    cbnz    x19, secondary

    // CPU0: copy .data from flash, clear .bss
    ldr     x0, =__data_start
    ldr     x1, =__data_load
    ldr     x2, =__data_end
1:  cmp     x0, x2
    b.hs    2f
    ldr     x3, [x1], #8
    str     x3, [x0], #8
    b       1b
2:  ldr     x0, =__bss_start
    ldr     x2, =__bss_end
3:  cmp     x0, x2
    b.hs    4f
    str     xzr, [x0], #8
    b       3b
4:  bl      el3_main_cpu0           // does not return
    b       .

secondary:
    cmp     x19, #MAX_CPUS
    b.hs    park                    // no EL3 stack for it
    // wait for CPU0 (wfe, with a 10 s timeout on the system counter)
    mrs     x20, cntfrq_el0
    mov     x1, #10
    mul     x20, x20, x1
    mrs     x1, cntpct_el0
    add     x20, x20, x1
    ldr     x21, =tz_pen
    ldr     w22, =PEN_MAGIC
5:  ldar    w0, [x21]
    cmp     w0, w22
    b.eq    6f
    mrs     x1, cntpct_el0
    cmp     x1, x20
    b.hs    pen_timeout
    wfe
    b       5b
6:  cmp     x19, #1
    b.ne    7f
    bl      el3_main_cpu1           // does not return
    b       .
7:  mov     x0, x19
    bl      el3_main_secondary      // does not return
    b       .

pen_timeout:
    mov     x0, #0x18               // semihosting SYS_EXIT, status 4
    adr     x1, pen_exit_block
    hlt     #0xf000
park:
    wfi
    b       park

    .balign 8
pen_exit_block:
    .quad   0x20026, 4

// void el3_secondary_restart(void): this CPU starts over in el3_main_secondary() on a fresh EL3 stack (PSCI
// CPU_OFF: whatever the SMC left on the stack is dropped, so any number of off/on rounds fits).
    .global el3_secondary_restart
el3_secondary_restart:
    mrs     x19, mpidr_el1
    and     x19, x19, #0xff
    ldr     x0, =el3_stacks
    add     x1, x19, #1
    mov     x2, #STACK_SIZE
    madd    x0, x1, x2, x0
    mov     sp, x0
    mov     x0, x19
    bl      el3_main_secondary
    b       .

    .global tz_pen_release
tz_pen_release:                     // void tz_pen_release(void): called by CPU0 once memory is ready
    ldr     x0, =tz_pen
    ldr     w1, =PEN_MAGIC
    stlr    w1, [x0]
    dsb     sy
    sev
    ret

// ---- EL3 vectors ------------------------------------------------------------------------------------------
    .macro  bad_vector n
    .balign 0x80
    mov     x0, #\n
    mrs     x1, esr_el3
    mrs     x2, elr_el3
    mrs     x3, far_el3
    b       el3_unexpected
    .endm

    .balign 0x800
el3_vectors:
    bad_vector 0        // current EL, SP0
    bad_vector 1
    bad_vector 2
    bad_vector 3
    bad_vector 4        // current EL, SPx
    bad_vector 5
    bad_vector 6
    bad_vector 7
    .balign 0x80        // lower EL, AArch64: synchronous (SMC)
    b       el3_sync_lower
    bad_vector 9
    bad_vector 10
    bad_vector 11
    bad_vector 12       // lower EL, AArch32
    bad_vector 13
    bad_vector 14
    bad_vector 15

// SMC from a lower EL: save the caller's x0..x30 in a frame on the EL3 stack, let C read and rewrite it.
el3_sync_lower:
    sub     sp, sp, #256
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
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
    mrs     x1, esr_el3
    lsr     x2, x1, #26
    cmp     x2, #0x17               // EC 0x17: SMC from AArch64
    b.ne    8f
    mov     x0, sp
    bl      el3_smc
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    add     sp, sp, #256
    eret
8:  mov     x0, #8
    mrs     x2, elr_el3
    mrs     x3, far_el3
    b       el3_unexpected

    .section .pen, "aw", %nobits
    .balign 64
    .global tz_pen
tz_pen:
    .space  64

    .section .bss
    .balign 16
    .global el3_stacks
el3_stacks:
    .space  STACK_SIZE * MAX_CPUS
