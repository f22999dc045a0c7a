#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Mutation testing of the core: every named mutant of src/tzchan.c in tests/mutation/mutants.txt must be killed by
# one of the tests (unit, spec, deadlock replays, memory-order trace, liveness explorer, stress, fuzz corpus
# replays, scribbler). Prints mutant -> the test that killed it; fails if one survives or no longer applies.
# Builds in build-mutation. Exit 0 pass, 1 fail, 77 skipped (no python3).
set -u
cd "$(dirname "$0")/../.."
command -v python3 >/dev/null 2>&1 || { echo "python3 not found: skipped"; exit 77; }
exec python3 tests/mutation/run.py --build build-mutation
