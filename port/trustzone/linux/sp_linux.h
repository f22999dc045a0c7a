/* SPDX-License-Identifier: BSD-2-Clause */
/* What sp_linux.c (the test service) tells the payload of the firmware for an SMP Linux (sp_linux_smp.c) for its
 * per-CPU summary. Called with the service's busy word held (sp_linux_smp.c). */
#ifndef SP_LINUX_H
#define SP_LINUX_H

#include <stdbool.h>
#include <stdint.h>

/* Messages and bytes so far: c[0] messages in, c[1] bytes in, c[2] messages out, c[3] bytes out. */
void sp_linux_counts(uint64_t c[4]);
/* A message is half received or half sent on some lane right now. */
bool sp_linux_mid(void);

#endif /* SP_LINUX_H */
