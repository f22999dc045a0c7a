/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tzchan-vfp: checks that the normal world's floating-point registers survive the secure world. Four processes
 * each repeat a floating-point computation whose result the parent computed first, yielding the CPU every 1024
 * steps so that Linux switches their VFP state (lazily, by FPEXC.EN) while the secure timer's FIQ keeps taking
 * the CPU into the secure world. A secure world that does not keep the normal world's VFP state (registers,
 * FPSCR, FPEXC) makes results wrong or a process die of SIGILL. Run by tzchan-test when the initramfs has it
 * (the Linux normal world under Genode's TrustZone VMM). Exit status 0 when every result was right.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROCS 4
#define ROUNDS 15
#define STEPS 200000

static double work(double seed)
{
	double x = seed;
	for (int i = 0; i < STEPS; i++) {
		x = x * 1.0000001 + seed;
		if ((i & 1023) == 0)
			sched_yield();
	}
	return x;
}

int main(void)
{
	double want[PROCS];
	pid_t kids[PROCS];
	int wrong = 0, killed = 0;

	for (int k = 0; k < PROCS; k++)
		want[k] = work(1.0 + k);
	for (int k = 0; k < PROCS; k++) {
		kids[k] = fork();
		if (kids[k] < 0) {
			perror("tzchan-vfp: fork");
			return 1;
		}
		if (kids[k] == 0) {
			int bad = 0;
			for (int r = 0; r < ROUNDS; r++)
				bad += work(1.0 + k) != want[k];
			_exit(bad);
		}
	}
	for (int k = 0; k < PROCS; k++) {
		int st = 0;
		if (waitpid(kids[k], &st, 0) != kids[k] || !WIFEXITED(st))
			killed++;
		else
			wrong += WEXITSTATUS(st);
	}
	printf("vfp: %d processes x %d rounds of floating-point work, switched while the secure timer preempts them: "
	       "%d wrong results, %d killed\n", PROCS, ROUNDS, wrong, killed);
	return wrong || killed ? 1 : 0;
}
