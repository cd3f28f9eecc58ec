/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * tasks.h - the tasks plugin's pieces: a kernel's layout read from its
 * DWARF (kdwarf.c), the profiles that say which structures and symbols
 * make a kernel's task and thread lists (profiles.c), and the walk of
 * those lists in guest memory (walk.c).
 */
#ifndef TASKS_H
#define TASKS_H

#include <stdbool.h>
#include <stdint.h>

#include "dbgproxyd-plugin.h"

/* ---- the kernel's ELF and DWARF (libdw) ------------------------------------------------------ */

struct kdwarf;

struct kdwarf *kdwarf_open(const char *path, GError **error);
void kdwarf_close(struct kdwarf *k);
/* The address of symbol name (and its size, if size is not NULL). */
bool kdwarf_symbol(struct kdwarf *k, const char *name, uint64_t *addr, uint64_t *size);
/* The name of the function containing addr, or NULL. */
const char *kdwarf_addr_name(struct kdwarf *k, uint64_t addr);
/* sizeof(struct type) (or of a typedef'd struct of that name). */
bool kdwarf_struct_size(struct kdwarf *k, const char *type, uint64_t *size, GError **error);
/* offsetof(struct type, member) and the member's size; member may be a
 * path "a.b" through nested structures. */
bool kdwarf_member(struct kdwarf *k, const char *type, const char *member, uint64_t *offset,
		   uint64_t *size, GError **error);
/* The size of a pointer in the kernel (its CUs' address size). */
unsigned kdwarf_pointer_size(struct kdwarf *k);

/* ---- profiles: what makes a kernel's task and thread lists --------------------------------- */

/* A member of a structure, resolved from the DWARF at load time. */
struct kfield {
	const char *type;
	const char *member;
};

/* How a list's links point: at the next element's start (Mach's
 * queue_chain_t) or at the link member inside it (Linux's list_head).
 * Either way the link's first word is "next", and the list ends when it
 * comes back to its head. */
enum klinks { KLINKS_TO_ELEMENT, KLINKS_TO_MEMBER };

/* Where a thread that is not running keeps its registers. */
enum kstate_at {
	KSTATE_STACK_TOP,        /* struct state_type at thread.stack + stack_size - sizeof */
	KSTATE_MEMBER,           /* struct state_type is thread.state itself */
};

#define KPROFILE_MAX_REGS 16

struct kprofile {
	const char *name;            /* "gnumach" */
	const char *detect;          /* a symbol only this kernel has */
	const char *arch;            /* gdb's architecture the saved registers are for */
	enum klinks links;
	/* the tasks: a list whose head is at symbol tasks_sym + tasks_head */
	const char *tasks_sym;
	struct kfield tasks_head;    /* {NULL, NULL}: the symbol is the head */
	struct kfield task_link;     /* the task's link in that list */
	struct kfield task_name;     /* a char array */
	/* a task's threads: a list whose head is in the task */
	struct kfield task_threads;
	struct kfield thread_link;
	struct kfield thread_task;   /* a thread's pointer to its task */
	/* what runs on each CPU: an array of thread pointers, one per CPU */
	const char *current_sym;
	/* a thread that is not running */
	enum kstate_at state_at;
	struct kfield thread_stack;  /* KSTATE_STACK_TOP: the kernel stack's base */
	uint64_t stack_size;         /* KSTATE_STACK_TOP: a macro, not in the DWARF */
	struct kfield thread_state;  /* KSTATE_MEMBER: the saved registers */
	const char *state_type;
	struct kfield thread_resume; /* a function it resumes at without a stack ({0}: none) */
	/* a thread that has a stack but never ran: its saved pc is start_sym,
	 * and start_member of state_type holds the function it will start in
	 * (NULL: none) */
	const char *start_sym;
	const char *start_member;
	struct {
		const char *reg;         /* gdb's register name */
		const char *member;      /* of state_type */
	} regs[KPROFILE_MAX_REGS];
	const char *pc_reg;          /* gdb's name of the pc, for thread_resume */
};

extern const struct kprofile *const kprofiles[];

/* A profile with every offset and size resolved. */
struct klayout {
	const struct kprofile *p;
	unsigned ptr;                /* pointer size */
	uint64_t tasks_head;         /* address of the tasks list head */
	uint64_t current;            /* address of the per-CPU array */
	unsigned ncurrent;           /* its length */
	uint64_t task_size, task_link, task_name, task_name_len, task_threads;
	uint64_t thread_size, thread_link, thread_task, thread_stack, thread_state, thread_resume;
	bool has_resume;
	uint64_t state_size;
	uint64_t start_pc, start_off, pc_off;  /* start_sym's address; offsets in the state */
	bool has_start;
	unsigned nregs;
	uint64_t reg_off[KPROFILE_MAX_REGS], reg_size[KPROFILE_MAX_REGS];
};

/* Pick the profile (by name, or the first whose detect symbol the kernel
 * has when name is NULL) and resolve it. */
bool klayout_resolve(struct kdwarf *k, const char *name, struct klayout *out, GError **error);

/* ---- the walk of the lists --------------------------------------------------------------- */

struct kthread {
	uint64_t addr;               /* the thread object */
	uint64_t task;               /* its task object */
	char task_name[64];
	unsigned index;              /* its place in its task's list */
	uint64_t stack;              /* KSTATE_STACK_TOP: 0 when it has none */
	uint64_t resume;             /* where it resumes without a stack (0: none) */
	uint64_t start;              /* never ran: the function it will start in (0: none) */
	int vcpu;                    /* running on this vCPU, or -1 */
};

/* results: struct kthread, in the kernel's order; NULL with err. */
typedef void (*kwalk_fn)(void *ctx, GArray *threads, const GError *err);

#define KWALK_MAX_THREADS 4096

/* Read the lists through vCPU 0 (every vCPU stopped).  fn runs exactly
 * once, unless the plugin unloads first. */
bool kwalk_start(dbgp_plugin *self, const struct klayout *l, uint32_t nvcpus, kwalk_fn fn,
		 void *ctx, GError **error);
/* At unload: free the walks under way (their callbacks never run). */
void kwalk_drop_all(void);

#endif
