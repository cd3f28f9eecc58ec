/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * profiles.c - which structures and symbols make a kernel's task and
 * thread lists.  A kernel is a table here: names only; offsets and sizes
 * come from the kernel's own DWARF when the plugin loads (klayout_resolve),
 * so a rebuilt kernel with another layout needs nothing new.
 */
#include <string.h>

#include "tasks.h"

/* GNU Mach (x86-64): processor sets hold the tasks (queue_t pset_tasks),
 * a task its threads (queue_t thread_list); Mach's queues link element
 * to element.  active_threads[cpu] runs on each CPU.  A thread switched
 * out by Switch_context saved its callee-saved registers in the
 * i386_kernel_state at the top of its kernel stack (STACK_IKS); one that
 * blocked with a continuation has no stack and resumes at swap_func.
 * KERNEL_STACK_SIZE is a macro (one page on x86-64: Switch_context
 * stores k_ebx at stack + 0xfc0 = 4096 - 64). */
static const struct kprofile gnumach = {
	.name = "gnumach",
	.detect = "Switch_context",
	.arch = "i386:x86-64",
	.links = KLINKS_TO_ELEMENT,
	.tasks_sym = "default_pset",
	.tasks_head = { "processor_set", "tasks" },
	.task_link = { "task", "pset_tasks" },
	.task_name = { "task", "name" },
	.task_threads = { "task", "thread_list" },
	.thread_link = { "thread", "thread_list" },
	.thread_task = { "thread", "task" },
	.current_sym = "active_threads",
	.state_at = KSTATE_STACK_TOP,
	.thread_stack = { "thread", "kernel_stack" },
	.stack_size = 4096,
	.state_type = "i386_kernel_state",
	.thread_resume = { "thread", "swap_func" },
	/* stack_attach: a new thread "returns" to Thread_continue, which calls
	 * the continuation stack_attach left in k_ebx */
	.start_sym = "Thread_continue",
	.start_member = "k_ebx",
	.regs = {
		{ "rip", "k_eip" }, { "rsp", "k_esp" }, { "rbp", "k_ebp" }, { "rbx", "k_ebx" },
		{ "r12", "k_r12" }, { "r13", "k_r13" }, { "r14", "k_r14" }, { "r15", "k_r15" },
	},
	.pc_reg = "rip",
};

/* The AArch64 test guest's scheduler (tests/guest/arm64/mt.S, mt-data.c):
 * Linux-style lists (links point at the link member), the registers of a
 * thread that is switched out in its struct mt_thread itself. */
static const struct kprofile mtguest = {
	.name = "mtguest",
	.detect = "mt_switch",
	.arch = "aarch64",
	.links = KLINKS_TO_MEMBER,
	.tasks_sym = "mt_tasks",
	.task_link = { "mt_task", "link" },
	.task_name = { "mt_task", "name" },
	.task_threads = { "mt_task", "threads" },
	.thread_link = { "mt_thread", "link" },
	.thread_task = { "mt_thread", "task" },
	.current_sym = "mt_current",
	.state_at = KSTATE_MEMBER,
	.thread_state = { "mt_thread", "ctx" },
	.state_type = "mt_context",
	.regs = {
		{ "pc", "pc" }, { "sp", "sp" }, { "x29", "x29" }, { "x30", "pc" },
		{ "x19", "x19" }, { "x20", "x20" }, { "x21", "x21" }, { "x22", "x22" },
	},
	.pc_reg = "pc",
};

const struct kprofile *const kprofiles[] = { &gnumach, &mtguest, NULL };

static bool field(struct kdwarf *k, const struct kfield *f, uint64_t *off, uint64_t *size,
		  GError **error)
{
	return kdwarf_member(k, f->type, f->member, off, size, error);
}

static bool symbol(struct kdwarf *k, const char *name, uint64_t *addr, uint64_t *size,
		   GError **error)
{
	if (kdwarf_symbol(k, name, addr, size))
		return true;
	g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "the kernel has no symbol %s", name);
	return false;
}

static const struct kprofile *pick(struct kdwarf *k, const char *name, GError **error)
{
	uint64_t a;
	for (unsigned i = 0; kprofiles[i]; i++) {
		if (name ? strcmp(kprofiles[i]->name, name) == 0
			 : kdwarf_symbol(k, kprofiles[i]->detect, &a, NULL))
			return kprofiles[i];
	}
	GString *known = g_string_new(NULL);
	for (unsigned i = 0; kprofiles[i]; i++)
		g_string_append_printf(known, "%s%s", i ? ", " : "", kprofiles[i]->name);
	if (name)
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "no profile %s (known: %s)", name,
			    known->str);
	else
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
			    "the kernel is none the plugin knows (%s): name one with os=", known->str);
	g_string_free(known, TRUE);
	return NULL;
}

bool klayout_resolve(struct kdwarf *k, const char *name, struct klayout *l, GError **error)
{
	const struct kprofile *p = pick(k, name, error);
	if (!p)
		return false;
	memset(l, 0, sizeof(*l));
	l->p = p;
	l->ptr = kdwarf_pointer_size(k);
	uint64_t off = 0, size;
	if (!symbol(k, p->tasks_sym, &l->tasks_head, NULL, error) ||
	    (p->tasks_head.type && !field(k, &p->tasks_head, &off, NULL, error)))
		return false;
	l->tasks_head += off;
	if (!symbol(k, p->current_sym, &l->current, &size, error))
		return false;
	l->ncurrent = (unsigned)MIN(size / l->ptr, 4096);
	if (!kdwarf_struct_size(k, p->task_link.type, &l->task_size, error) ||
	    !field(k, &p->task_link, &l->task_link, NULL, error) ||
	    !field(k, &p->task_name, &l->task_name, &l->task_name_len, error) ||
	    !field(k, &p->task_threads, &l->task_threads, NULL, error) ||
	    !kdwarf_struct_size(k, p->thread_link.type, &l->thread_size, error) ||
	    !field(k, &p->thread_link, &l->thread_link, NULL, error) ||
	    !field(k, &p->thread_task, &l->thread_task, NULL, error) ||
	    !kdwarf_struct_size(k, p->state_type, &l->state_size, error))
		return false;
	if (p->state_at == KSTATE_STACK_TOP) {
		if (!field(k, &p->thread_stack, &l->thread_stack, NULL, error))
			return false;
		if (p->stack_size < l->state_size) {
			g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
				    "profile %s: a stack smaller than struct %s", p->name, p->state_type);
			return false;
		}
	} else if (!field(k, &p->thread_state, &l->thread_state, NULL, error)) {
		return false;
	}
	if (p->thread_resume.type) {
		if (!field(k, &p->thread_resume, &l->thread_resume, NULL, error))
			return false;
		l->has_resume = true;
	}
	if (p->start_sym) {
		struct kfield f = { p->state_type, p->start_member };
		if (!symbol(k, p->start_sym, &l->start_pc, NULL, error) ||
		    !field(k, &f, &l->start_off, NULL, error))
			return false;
		l->has_start = true;
	}
	for (unsigned i = 0; i < KPROFILE_MAX_REGS && p->regs[i].reg; i++) {
		struct kfield f = { p->state_type, p->regs[i].member };
		if (!field(k, &f, &l->reg_off[i], &l->reg_size[i], error))
			return false;
		if (l->reg_off[i] + l->reg_size[i] > l->state_size || l->reg_size[i] > 8) {
			g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "%s.%s: not a saved register",
				    p->state_type, p->regs[i].member);
			return false;
		}
		if (strcmp(p->regs[i].reg, p->pc_reg) == 0)
			l->pc_off = l->reg_off[i];
		l->nregs = i + 1;
	}
	return true;
}
