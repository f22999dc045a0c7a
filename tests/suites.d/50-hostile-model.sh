#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The Spin model of the doorbell handshake, in full: safety and the LTL properties under weak fairness for two
# ring sizes, every mutant (no publish fence, no wait fence, no wait epoch) shown failing, and the epoch-wrap
# demonstration. Passes only if the model passes and every mutant fails. Exit 0 pass, 1 fail, 77 (no spin).
set -u
cd "$(dirname "$0")/../.."
exec bash tests/model/check.sh --full
