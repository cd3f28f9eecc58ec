/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * dbgproxyd-plugin.h - the interface of dbgproxyd plugins (dbgproxyd-plugin(7)).
 *
 * A plugin is a shared object that exports one descriptor,
 *
 *     DBGP_PLUGIN("name", "version", "one line", init, fini);
 *
 * and calls the dbgp_* functions of the daemon that loads it (they are
 * resolved when it is loaded: a plugin that needs one this daemon lacks is
 * refused with the loader's message).  Build it with
 *
 *     cc -shared -fPIC $(pkg-config --cflags dbgproxyd-plugin) -o my.so my.c
 *
 * Rules (the daemon's loop is single-threaded):
 *  - every call is made on the daemon's loop; none blocks;
 *  - a read (registers, memory) either fails at once (false, *error set,
 *    no callback) or returns true and its callback runs exactly once,
 *    later, from the loop, never from inside the call; once the plugin is
 *    unloaded none of its callbacks runs again (fini frees what the
 *    contexts of reads still under way hold);
 *  - while a breakpoint-hit or stop callback's requests (and the requests
 *    their callbacks make) are outstanding, the guest stays stopped and gdb
 *    is not told yet: register values read then are those of that stop;
 *  - nothing a plugin passes in is kept by pointer unless said so; strings
 *    are copied;
 *  - errors are GErrors (domain DBGP_ERROR); nothing asserts or aborts.
 */
#ifndef DBGPROXYD_PLUGIN_H
#define DBGPROXYD_PLUGIN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change of this header; the daemon refuses a
 * plugin built for another. */
#define DBGP_ABI_VERSION 1

typedef struct dbgp_plugin dbgp_plugin;  /* a loaded plugin, as the daemon knows it */
typedef struct dbgp_reg dbgp_reg;        /* a register handle: one name on one CPU model */
typedef struct dbgp_cmd dbgp_cmd;        /* one run of a monitor command */
typedef struct dbgp_threads dbgp_threads;  /* one question about the guest OS's threads */

/* ---- the descriptor ----------------------------------------------------------------------- */

struct dbgp_plugin_info {
	uint32_t abi;              /* DBGP_ABI_VERSION */
	uint32_t size;             /* sizeof(struct dbgp_plugin_info) */
	const char *name;          /* 1-64 of [A-Za-z0-9_.-], unique among the loaded plugins */
	const char *version;
	const char *summary;
	/* Set the plugin up; argv[0..argc) are its arguments.  false with
	 * *error set refuses the load (fini does not run). */
	bool (*init)(dbgp_plugin *self, int argc, char **argv, GError **error);
	/* Before the plugin is unloaded (may be NULL).  Its breakpoints,
	 * commands, services and subscriptions are gone already. */
	void (*fini)(dbgp_plugin *self);
};

#define DBGP_PLUGIN_SYMBOL "dbgproxyd_plugin"
#define DBGP_PLUGIN(name, version, summary, init, fini)                                      \
	__attribute__((visibility("default"))) const struct dbgp_plugin_info dbgproxyd_plugin = \
		{ DBGP_ABI_VERSION, sizeof(struct dbgp_plugin_info), name, version, summary, init, fini }

/* ---- errors and logging --------------------------------------------------------------------- */

#define DBGP_ERROR (dbgp_error_quark())
GQuark dbgp_error_quark(void);
enum dbgp_error_code {
	DBGP_E_NOT_READY = 1,    /* no VM, or it runs and the request needs it stopped */
	DBGP_E_INVAL,            /* a bad argument (unknown register, wrong vCPU, ...) */
	DBGP_E_MODEL,            /* a register handle used on a vCPU of another CPU model */
	DBGP_E_EXISTS,           /* a name already taken */
	DBGP_E_VM,               /* the VM refused or failed the request */
};

/* A log line tagged with the plugin's name (GLib structured logging). */
void dbgp_log(dbgp_plugin *self, GLogLevelFlags level, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
const char *dbgp_name(const dbgp_plugin *self);

/* ---- the VM ------------------------------------------------------------------------------ */

/* Connected, and its registers can be served. */
bool dbgp_vm_ready(dbgp_plugin *self);
/* Every vCPU is stopped (a read of registers is possible). */
bool dbgp_vm_stopped(dbgp_plugin *self);
uint32_t dbgp_vcpu_count(dbgp_plugin *self);
/* gdb's architecture name: "i386:x86-64", "i386" or "aarch64"; NULL if not ready. */
const char *dbgp_arch(dbgp_plugin *self);
/* vCPUs of one CPU model share a number (0, 1, ...); -1: no such vCPU or no VM. */
int dbgp_vcpu_model(dbgp_plugin *self, uint32_t vcpu);

/* Why a vCPU stopped (the vmdbg STOPPED event). */
enum dbgp_stop_reason {
	DBGP_STOP_DEBUG = 1,     /* a single step, hardware breakpoint or watchpoint */
	DBGP_STOP_SW_BP = 2,     /* a software breakpoint */
	DBGP_STOP_SHUTDOWN = 3,
	DBGP_STOP_HALTED = 4,
	DBGP_STOP_INTERNAL = 5,
	DBGP_STOP_UNDEFINED = 6,
	DBGP_STOP_FAULT = 7,
	DBGP_STOP_WATCH = 8,     /* a page-protection watchpoint */
};
struct dbgp_stop {
	uint32_t vcpu;
	uint32_t reason;         /* enum dbgp_stop_reason (a pause, e.g. gdb's Ctrl-C, is no stop) */
	uint64_t pc;
	uint64_t info[3];        /* as proto/vmdbg.md says for the reason */
};

/* What the plugin hears (any member may be NULL).  vm_ready: the VM is
 * connected and described (also right after subscribing when it already
 * is, from the loop); vm_lost: it went away (every breakpoint of the
 * plugin is re-inserted when it comes back); stop: every stop gdb is about
 * to hear of, before it does. */
struct dbgp_events {
	void (*vm_ready)(void *ctx);
	void (*vm_lost)(void *ctx, const char *why);
	void (*stop)(void *ctx, const struct dbgp_stop *stop);
};
/* One set per plugin; subscribing again replaces it; NULL unsubscribes. */
void dbgp_subscribe(dbgp_plugin *self, const struct dbgp_events *events, void *ctx);

/* ---- registers by handle -------------------------------------------------------------------- */

/* The handle of register `name` (gdb's name in the target description) on
 * vcpu's CPU model.  vCPUs of one model share handles; another model has
 * its own.  The handle lives as long as the plugin (it follows the VM
 * across reconnections).  NULL with *error when the model has no such
 * register. */
const dbgp_reg *dbgp_reg_lookup(dbgp_plugin *self, uint32_t vcpu, const char *name,
				GError **error);
const char *dbgp_reg_name(const dbgp_reg *reg);
/* Its width: 8 ... 2048 bits. */
unsigned dbgp_reg_bits(const dbgp_reg *reg);

/* values: the n registers' little-endian bytes, concatenated in the order
 * asked (dbgp_reg_bits / 8 each); NULL with err on failure. */
typedef void (*dbgp_regs_fn)(void *ctx, uint32_t vcpu, const uint8_t *values, const GError *err);
/* Read n registers of a stopped vCPU in one request (shared with the one
 * gdb's own register read at this stop makes).  A handle of another model
 * than vcpu's is DBGP_E_MODEL. */
bool dbgp_regs_read(dbgp_plugin *self, uint32_t vcpu, const dbgp_reg *const *regs, unsigned n,
		    dbgp_regs_fn fn, void *ctx, GError **error);

/* ---- memory ------------------------------------------------------------------------------- */

/* data: the bytes read from addr up to the first that could not be (n may
 * be short; 0 with err). */
typedef void (*dbgp_mem_fn)(void *ctx, const uint8_t *data, size_t n, const GError *err);
/* Read len (1 ... 1 MiB) bytes at guest-virtual addr as vcpu sees them;
 * the VM must be stopped. */
bool dbgp_mem_read(dbgp_plugin *self, uint32_t vcpu, uint64_t addr, size_t len, dbgp_mem_fn fn,
		   void *ctx, GError **error);

/* ---- breakpoints of the plugin's own ---------------------------------------------------------- */

/* Invisible to gdb: never in its memory reads, never reported to it (a
 * hit at a place where gdb has a breakpoint too is reported to both), kept
 * while gdb detaches and re-attaches, removed when the plugin unloads.
 * The daemon steps the vCPU over them itself and resumes the guest as it
 * was (with no gdb attached: every vCPU continues). */
enum dbgp_break_kind {
	DBGP_BREAK_SW = 0,       /* a breakpoint instruction the VM plants */
	DBGP_BREAK_HW = 1,       /* a debug register slot (shared with gdb's hbreaks) */
};
/* A hit: the vCPU is stopped at stop->pc; reads made now see that stop. */
typedef void (*dbgp_hit_fn)(void *ctx, const struct dbgp_stop *stop);
/* Once: the VM has the breakpoint (err NULL) or refused it. */
typedef void (*dbgp_done_fn)(void *ctx, const GError *err);
/* Insert at guest-virtual addr (translated through vCPU 0).  Returns its
 * id (> 0), or 0 with *error.  The VM gets it now if it is stopped,
 * else after a short pause of every vCPU (the guest then runs on as it
 * was), or when it connects.  done (may be NULL) hears how it went. */
uint32_t dbgp_break_insert(dbgp_plugin *self, enum dbgp_break_kind kind, uint64_t addr,
			   dbgp_hit_fn hit, void *hit_ctx, dbgp_done_fn done, void *done_ctx,
			   GError **error);
/* Remove it (from the VM at its next stop or pause). */
bool dbgp_break_remove(dbgp_plugin *self, uint32_t id, GError **error);

/* ---- monitor commands ------------------------------------------------------------------------ */

/* `monitor NAME ARGS` from gdb: args is the rest of the line (stripped).
 * Print the answer with dbgp_cmd_print and end it with dbgp_cmd_done,
 * now or later, exactly once.  gdb waits 1.5 s at most: then it gets what
 * was printed and a note that the plugin did not answer in time (the
 * plugin still calls dbgp_cmd_done). */
typedef void (*dbgp_cmd_fn)(void *ctx, dbgp_cmd *cmd, const char *args);
/* NAME: one word, not a built-in command or another plugin's. */
bool dbgp_command_add(dbgp_plugin *self, const char *name, const char *help, dbgp_cmd_fn fn,
		      void *ctx, GError **error);
void dbgp_cmd_print(dbgp_cmd *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* After it, cmd is gone. */
void dbgp_cmd_done(dbgp_cmd *cmd);
/* args as words: split at spaces and tabs, empty ones dropped (a NULL
 * args gives none).  Free with g_strfreev. */
GStrv dbgp_split_args(const char *args);

/* ---- threads of the guest's OS ---------------------------------------------------------------- */

/* A plugin that knows the guest kernel's threads shows them to gdb: each
 * becomes a gdb thread (`info threads`, `thread N`, `bt`) named as the
 * plugin says.  One running on a vCPU names that vCPU's thread instead
 * ("vCPU 0: NAME"), whose registers stay the vCPU's.  gdb's id of a
 * thread is kept while the plugin keeps listing it: the same key of the
 * same plugin is the same gdb thread at every stop (one that was not
 * listed once and comes back later is a new thread).
 *
 *  - list() runs when gdb asks for the thread list, at most once per stop,
 *    with every vCPU stopped (memory and registers can be read): add each
 *    thread with dbgp_threads_add, then call dbgp_threads_done — now or
 *    from a read's callback;
 *  - regs() runs when gdb reads the registers of one of the plugin's
 *    threads that is not on a vCPU: give what the kernel saved with
 *    dbgp_threads_reg (handles of vCPU 0's CPU model), then
 *    dbgp_threads_done; the others are "unavailable" to gdb.  They are
 *    read-only to gdb.
 * gdb waits 1.5 s at most for either: then it gets what was given so far;
 * the plugin still calls dbgp_threads_done (what it adds after is
 * dropped).  After dbgp_threads_done the request is gone. */
struct dbgp_thread_ops {
	void (*list)(void *ctx, dbgp_threads *req);
	void (*regs)(void *ctx, uint64_t key, dbgp_threads *req);
};
/* One provider per plugin; again replaces it; NULL withdraws its threads. */
bool dbgp_threads_provide(dbgp_plugin *self, const struct dbgp_thread_ops *ops, void *ctx,
			  GError **error);
/* key: the plugin's id of the thread (e.g. its kernel object's address);
 * name: copied; vcpu: the vCPU it runs on now, or -1. */
void dbgp_threads_add(dbgp_threads *req, uint64_t key, const char *name, int vcpu);
/* value: dbgp_reg_bits(reg) / 8 little-endian bytes. */
bool dbgp_threads_reg(dbgp_threads *req, const dbgp_reg *reg, const void *value, GError **error);
void dbgp_threads_done(dbgp_threads *req);

/* ---- services between plugins ------------------------------------------------------------------- */

/* A service is a named table of functions (its layout is the provider's
 * header, e.g. "struct tasks_service_v1") with a major version (an
 * incompatible layout) and a minor one (additions at its end).
 *
 * Order, for people writing callbacks:
 *  - up() runs from the loop once the service is there and the plugin's
 *    request matches it (same major, minor at least the one asked for):
 *    right after dbgp_service_use when it is published already, else when
 *    it is; consumers in the order they asked;
 *  - down() runs before the service goes (withdrawn, or its provider
 *    unloading — before the provider's fini), consumers in the reverse
 *    order; the table must not be used after down() returns;
 *  - event() delivers the provider's dbgp_service_notify, consumers in the
 *    order they asked, synchronously (data lives for the call).
 * A consumer that unloads is simply forgotten. */
struct dbgp_service_events {
	void (*up)(void *ctx, const void *table, uint32_t minor);
	void (*down)(void *ctx);
	void (*event)(void *ctx, uint32_t event, const void *data);
};
/* Publish `name` (one provider per name).  table must stay valid until
 * it is withdrawn or the plugin unloads. */
bool dbgp_service_publish(dbgp_plugin *self, const char *name, uint32_t major, uint32_t minor,
			  const void *table, GError **error);
bool dbgp_service_withdraw(dbgp_plugin *self, const char *name, GError **error);
void dbgp_service_notify(dbgp_plugin *self, const char *name, uint32_t event, const void *data);
/* Ask for `name` major.minor-or-later.  Returns the use's id (> 0), or 0
 * with *error.  A service of that name with another version is reported
 * in the log and not given. */
uint32_t dbgp_service_use(dbgp_plugin *self, const char *name, uint32_t major, uint32_t min_minor,
			  const struct dbgp_service_events *events, void *ctx, GError **error);
void dbgp_service_unuse(dbgp_plugin *self, uint32_t id);

/* ---- the plugin itself ----------------------------------------------------------------------- */

/* Unload this plugin as soon as the current callback has returned. */
void dbgp_unload_self(dbgp_plugin *self, const char *why);

#ifdef __cplusplus
}
#endif

#endif
