/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * mt-data.c - the data of the AArch64 multi-threaded test guest (mt.S): a
 * toy kernel's tasks and threads, for the tasks plugin's "mtguest" profile.
 * Data only (no code: dbgproxy-vm runs a subset of A64, and this file is
 * compiled by clang for AArch64 just for its DWARF and initialised data).
 * mt.S uses the same offsets; the assertions below keep them equal.
 *
 * Two tasks with Linux-style circular lists (links point at the link
 * member): "kernel" with threads idle (vCPU 0's scheduler loop) and cpu1
 * (vCPU 1's), "app" with workers a and b.  vCPU 0 switches idle -> a ->
 * b -> idle ... cooperatively; every thread counts its calls of mt_work.
 */
#include <stddef.h>

struct mt_list {
	struct mt_list *next, *prev;
};

/* a switched-out thread's registers */
struct mt_context {
	unsigned long x19, x20, x21, x22, x29, sp, pc;
};

struct mt_task {
	struct mt_list link;
	char name[16];
	struct mt_list threads;
};

struct mt_thread {
	struct mt_list link;
	struct mt_task *task;
	struct mt_context ctx;
	unsigned long work;              /* calls of mt_work */
	struct mt_thread *next_run;      /* vCPU 0's round robin */
};

_Static_assert(offsetof(struct mt_task, threads) == 32, "mt.S: TASK_THREADS");
_Static_assert(offsetof(struct mt_thread, ctx) == 24, "mt.S: TH_CTX");
_Static_assert(offsetof(struct mt_thread, work) == 80, "mt.S: TH_WORK");
_Static_assert(offsetof(struct mt_thread, next_run) == 88, "mt.S: TH_NEXT");
_Static_assert(offsetof(struct mt_context, pc) == 48, "mt.S: CTX_PC");

#define STACK 4096
extern void mt_worker_main(void);
extern void mt_idle_main(void);
extern void mt_cpu1_main(void);

struct mt_thread th_idle, th_cpu1, th_a, th_b;
struct mt_task mt_task_kernel, mt_task_app;
unsigned char mt_stacks[4][STACK] __attribute__((aligned(16)));

#define TOP(i) ((unsigned long)&mt_stacks[i][STACK])
#define START(th, fn, i) { .x19 = (unsigned long)&th, .sp = TOP(i), .pc = (unsigned long)fn }

struct mt_list mt_tasks = { &mt_task_kernel.link, &mt_task_app.link };
struct mt_task mt_task_kernel = { { &mt_task_app.link, &mt_tasks }, "kernel",
				  { &th_idle.link, &th_cpu1.link } };
struct mt_task mt_task_app = { { &mt_tasks, &mt_task_kernel.link }, "app",
			       { &th_a.link, &th_b.link } };

struct mt_thread th_idle = { { &th_cpu1.link, &mt_task_kernel.threads }, &mt_task_kernel,
			     START(th_idle, mt_idle_main, 0), 0, &th_a };
struct mt_thread th_cpu1 = { { &mt_task_kernel.threads, &th_idle.link }, &mt_task_kernel,
			     START(th_cpu1, mt_cpu1_main, 1), 0, 0 };
struct mt_thread th_a = { { &th_b.link, &mt_task_app.threads }, &mt_task_app,
			  START(th_a, mt_worker_main, 2), 0, &th_b };
struct mt_thread th_b = { { &mt_task_app.threads, &th_a.link }, &mt_task_app,
			  START(th_b, mt_worker_main, 3), 0, &th_idle };

/* what runs on each vCPU */
struct mt_thread *mt_current[2];
