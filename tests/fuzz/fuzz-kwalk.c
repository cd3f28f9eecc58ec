/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz-kwalk.c - the tasks plugin's walk of a kernel's lists (plugins/
 * tasks/walk.c) over guest memory the input makes up: corrupt links,
 * cycles, null links, lists that end nowhere, short and failing reads.
 * The daemon's dbgp_mem_read is replaced by reads of the input (at
 * address MEM_BASE), answered from a queue as the daemon's loop would.
 * Input: byte 0 chooses the pointer size, how links point and what is
 * read of a thread, byte 1 how
 * many CPUs, byte 2 which read fails (0: none); the rest is memory.
 * Invariants: the walk answers exactly once, with at most
 * KWALK_MAX_THREADS threads, each inside memory; nothing leaks.
 */
#define FUZZ_NAME "fuzz-kwalk"
#include "fuzz.h"

#include <string.h>

#include "tasks.h"

#define MEM_BASE 0x1000

static const uint8_t *mem;
static size_t mem_len;
static unsigned reads, fail_at;

struct queued {
	uint64_t addr;
	size_t len;
	dbgp_mem_fn fn;
	void *ctx;
};
static GQueue q = G_QUEUE_INIT;

GQuark dbgp_error_quark(void)
{
	return g_quark_from_static_string("dbgp-error");
}

bool dbgp_mem_read(dbgp_plugin *self, uint32_t vcpu, uint64_t addr, size_t len, dbgp_mem_fn fn,
		   void *ctx, GError **error)
{
	if (len == 0 || len > (1u << 20)) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "bad length %zu", len);
		return false;
	}
	struct queued *r = g_new(struct queued, 1);
	*r = (struct queued){ addr, len, fn, ctx };
	g_queue_push_tail(&q, r);
	return true;
}

static void answer(struct queued *r)
{
	if (++reads == fail_at) {
		GError *err = g_error_new(DBGP_ERROR, DBGP_E_VM, "the VM went away");
		r->fn(r->ctx, NULL, 0, err);
		g_error_free(err);
		return;
	}
	size_t n = 0;
	if (r->addr >= MEM_BASE && r->addr - MEM_BASE < mem_len)
		n = MIN(r->len, mem_len - (r->addr - MEM_BASE));
	if (n == 0) {
		GError *err = g_error_new(DBGP_ERROR, DBGP_E_VM, "not mapped");
		r->fn(r->ctx, NULL, 0, err);
		g_error_free(err);
		return;
	}
	r->fn(r->ctx, mem + (r->addr - MEM_BASE), n, NULL);
}

static unsigned answers;
static void done(void *ctx, GArray *threads, const GError *err)
{
	answers++;
	REQUIRE((threads == NULL) != (err == NULL));
	if (!threads)
		return;
	REQUIRE(threads->len <= KWALK_MAX_THREADS);
	for (guint i = 0; i < threads->len; i++) {
		const struct kthread *t = &g_array_index(threads, struct kthread, i);
		REQUIRE(t->addr >= MEM_BASE && t->addr - MEM_BASE < mem_len);
		REQUIRE(t->vcpu >= -1 && t->vcpu < 64);
		REQUIRE(memchr(t->task_name, 0, sizeof(t->task_name)) != NULL);
	}
}

static const struct kprofile profile[2] = {
	{ .name = "to-element", .links = KLINKS_TO_ELEMENT, .state_at = KSTATE_STACK_TOP,
	  .stack_size = 64 },
	{ .name = "to-member", .links = KLINKS_TO_MEMBER, .state_at = KSTATE_MEMBER },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	struct klayout l = { 0 };
	l.p = &profile[data[0] & 1];
	l.ptr = data[0] & 2 ? 4 : 8;
	l.ncurrent = data[1] % 5;
	fail_at = data[2];
	mem = data + 3;
	mem_len = size - 3;
	/* a small kernel: the head, the CPUs' array, then objects anywhere */
	l.tasks_head = MEM_BASE;
	l.current = MEM_BASE + 16;
	l.task_size = 48, l.task_link = 16, l.task_name = 24, l.task_name_len = 16, l.task_threads = 0;
	l.thread_size = 40, l.thread_link = 8, l.thread_task = 0, l.thread_stack = 24;
	l.thread_resume = 32, l.has_resume = data[0] & 4;
	/* never-run threads: a pc of 0x1234 at state + 0, the function at + 8 */
	l.state_size = 16, l.has_start = data[0] & 8, l.start_pc = 0x1234, l.pc_off = 0, l.start_off = 8;
	reads = 0;
	answers = 0;
	GError *err = NULL;
	if (!kwalk_start(NULL, &l, data[1] % 7, done, NULL, &err)) {
		g_error_free(err);
		REQUIRE(g_queue_is_empty(&q));
		return 0;
	}
	struct queued *r;
	unsigned served = 0;
	while ((r = g_queue_pop_head(&q))) {
		REQUIRE(++served <= 2 * KWALK_MAX_THREADS + 4);
		answer(r);
		g_free(r);
	}
	REQUIRE(answers == 1);
	kwalk_drop_all();
	return 0;
}
