#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Mutation test of the SMP image's checks (docs/PORTING.md, "The SMP image"): each mutant below breaks one thing
the image's verdict or the normal world's own checks must catch, and `run-qemu.sh aarch64 smp` must fail with it.
The tree (port/trustzone, include, src) is copied into <work>/tree and mutated there, one mutant at a time; the
checkout is never written. A mutant whose text no longer matches fails the run too (the table must follow the code).

Usage: smp_mutants.py <work dir> [mutant ...]      Exit: 0 all killed, 1 one survived or no longer applies,
77 skipped (qemu-system-aarch64 or aarch64-linux-gnu-gcc absent). Mutants that hang the run are killed by the
secure side's 60 s deadline, so a full run takes a few minutes.
"""
import os
import shutil
import subprocess
import sys

# name: (file under port/trustzone, text, its replacement)
MUTANTS = {
 'ns_sender_byte': ('common/tz_lane.c',
     '                gen(t->lane, t->side, t->tx_seq, t->tx_boff, t->tx_buf, t->tx_blen);',
     '                gen(t->lane, t->side, t->tx_seq, t->tx_boff, t->tx_buf, t->tx_blen);\n                if (t->side == TZCHAN_SIDE_A && t->tx_seq == 4 && t->tx_boff == 4096u) t->tx_buf[904] ^= 1u;'),
 'secure_sender_byte': ('common/tz_lane.c',
     '                gen(t->lane, t->side, t->tx_seq, t->tx_boff, t->tx_buf, t->tx_blen);',
     '                gen(t->lane, t->side, t->tx_seq, t->tx_boff, t->tx_buf, t->tx_blen);\n                if (t->side == TZCHAN_SIDE_B && t->lane == 3 && t->tx_seq == 6 && t->tx_boff == 1048576u) t->tx_buf[4095] ^= 0x80u;'),
 'report_msgs': ('aarch64/ns_smp.c',
     'smc(TZ_SMP_REPORT, l->msgs_recv,',
     'smc(TZ_SMP_REPORT, l->msgs_recv - (a64_cpu() == 2),'),
 'el3_drops_doorbell': ('aarch64/el3_world.c',
     '        if (smc32 && (oen == TZ_SMC_OEN_TOS || oen == TZ_SMC_OEN_TOS_GENERIC)) {',
     '        static unsigned nth[4];\n        if (fid == TZ_SMP_DOORBELL && ++nth[cpu] % 50u == 0u) { frame[0] = 0; frame[1] = 0; return; }\n        if (smc32 && (oen == TZ_SMC_OEN_TOS || oen == TZ_SMC_OEN_TOS_GENERIC)) {'),
 'sec_timer_cpu0_only': ('aarch64/gic.c',
     '    REG(rd + GICR_ISENABLER0) = (1u << TZ_IRQ_SEC_TIMER) | ns;',
     '    REG(rd + GICR_ISENABLER0) = (cpu == 0 ? 1u << TZ_IRQ_SEC_TIMER : 0u) | ns;'),
 'no_ns_pending': ('aarch64/sp_percpu.c',
     '        __atomic_store_n(&t->ns_pending, true, __ATOMIC_RELAXED);\n',
     '\n'),
 'ns_no_resume': ('aarch64/ns_smp.c',
     '    while ((int32_t)r[0] == TZ_SMP_PREEMPTED) {',
     '    if ((int32_t)r[0] == TZ_SMP_PREEMPTED) { c->preempted++; r[0] = 0; r[1] = 0; }\n    while ((int32_t)r[0] == TZ_SMP_PREEMPTED) {'),
 'ns_two_cpus': ('aarch64/ns_smp.c',
     '    for (ncpu = 1; ncpu < NCPU; ncpu++) {',
     '    for (ncpu = 1; ncpu < 2; ncpu++) {'),
 'ns_no_timer': ('aarch64/ns_smp.c',
     '    SYSREG_W(cntp_ctl_el0, 1u);',
     '    SYSREG_W(cntp_ctl_el0, 0u);'),
 'mid_never': ('aarch64/sp_smp.c',
     '    if (from_ns && c->opened && tz_lane_mid(&c->lane))',
     '    if (0 && from_ns && c->opened && tz_lane_mid(&c->lane))'),
 'secure_sends_fewer': ('aarch64/sp_smp.c',
     'tz_lane_init(&c->lane, &c->ch, TZCHAN_SIDE_B, cpu, TZ_LANE_MSGS);',
     'tz_lane_init(&c->lane, &c->ch, TZCHAN_SIDE_B, cpu, TZ_LANE_MSGS - (cpu == 1));'),
 'timer_no_serve': ('aarch64/sp_smp.c',
     '    if (c->opened && !tz_lane_done(&c->lane)) {',
     '    if (0 && c->opened && !tz_lane_done(&c->lane)) {'),
 'busy_nested': ('aarch64/sp_smp.c',
     '        if (sp_percpu_preempted()) {\n            c->busy_refused++;',
     '        if (0 && sp_percpu_preempted()) {\n            c->busy_refused++;'),
 'register_twice_ok': ('aarch64/sp_smp.c',
     '    if (a64_cpu() != 0 || __atomic_load_n(&reg.ready, __ATOMIC_RELAXED) != 0u)',
     '    if (__atomic_load_n(&reg.ready, __ATOMIC_RELAXED) != 0u && 0)'),
 'never_ring_ns': ('aarch64/sp_percpu.c',
     '        SYSREG_W(ICC_ASGI1R_EL1, a64_sgi_value(TZ_IRQ_SGI_TO_NORMAL, a64_cpu()));',
     '        (void)0;'),
}


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 1
    work = os.path.abspath(sys.argv[1])
    names = sys.argv[2:] or list(MUTANTS)
    for tool in ('qemu-system-aarch64', 'aarch64-linux-gnu-gcc', 'make'):
        if shutil.which(tool) is None:
            print('skip: %s not found' % tool)
            return 77
    top = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
    tree = os.path.join(work, 'tree')
    shutil.rmtree(tree, ignore_errors=True)
    for part in ('port/trustzone', 'include', 'src'):
        shutil.copytree(os.path.join(top, part), os.path.join(tree, part),
                        ignore=shutil.ignore_patterns('build', '*.o'))
    tz = os.path.join(tree, 'port', 'trustzone')
    build = os.path.join(work, 'build')
    image = os.path.join(build, 'aarch64', 'tz-smp.bin')
    failed = 0

    def run(label):
        b = subprocess.run(['make', '-s', '-C', tz, 'O=' + build, image], capture_output=True, text=True)
        if b.returncode:
            print('%s: BUILD FAILED\n%s' % (label, b.stderr[-3000:]))
            return None
        r = subprocess.run([os.path.join(tz, 'run-qemu.sh'), 'aarch64', 'smp', image, os.path.join(work, 'run')],
                           capture_output=True, text=True)
        return r

    # the unmutated copy must pass, or nothing below means anything
    r = run('unmutated')
    if r is None or r.returncode != 0:
        print('unmutated: FAILS, mutants not run')
        return 1
    print('unmutated: passes')
    for name in names:
        if name not in MUTANTS:
            print('%s: no such mutant' % name)
            failed += 1
            continue
        rel, old, new = MUTANTS[name]
        path = os.path.join(tz, rel)
        with open(path) as f:
            orig = f.read()
        if orig.count(old) != 1:
            print('%s: NO LONGER APPLIES (its text is not in %s exactly once)' % (name, rel))
            failed += 1
            continue
        with open(path, 'w') as f:
            f.write(orig.replace(old, new))
        try:
            r = run(name)
        finally:
            with open(path, 'w') as f:
                f.write(orig)
        if r is None:
            failed += 1
            continue
        why = [l.strip() for l in r.stdout.splitlines() if 'FAIL' in l or 'UNEXPECTED' in l or 'PANIC' in l]
        if r.returncode == 0:
            print('%s: SURVIVED' % name)
            failed += 1
        else:
            print('%s: killed (%s)' % (name, why[0] if why else 'exit %d' % r.returncode))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
