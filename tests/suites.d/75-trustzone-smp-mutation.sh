#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Mutation test of the TrustZone SMP image's checks (port/trustzone/tests/smp_mutants.py): every named mutant of
# the monitor, the secure payload or the normal world must make `run-qemu.sh aarch64 smp` fail. Works on a copy
# of the tree in build-smp-mutation. Exit 0 pass, 1 fail, 77 skipped (python3, QEMU or the cross compiler absent).
set -u
cd "$(dirname "$0")/../.."
command -v python3 >/dev/null 2>&1 || { echo "python3 not found: skipped"; exit 77; }
exec python3 port/trustzone/tests/smp_mutants.py build-smp-mutation
