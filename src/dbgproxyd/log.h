/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * log.h - dbgproxyd's logging: GLib structured logging, filtered by
 * --log-level, written as GLib does (the journal when stderr is the
 * journal, else text lines) or as logfmt lines (--log-format logfmt).
 *
 * The events an operator cares about carry a fixed MESSAGE_ID (listed in
 * dbgproxyd(8)) and the fields VCPU=, PEER=, ADDR=, REASON= (words), VM=;
 * one line each at the default level.  Anything per stop or per packet is
 * debug.
 */
#ifndef DBGP_LOG_H
#define DBGP_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

enum log_event {
	LOG_STARTED,             /* listening: gdb may connect */
	LOG_STOPPING,            /* SIGTERM/SIGINT: an orderly shutdown begins */
	LOG_STOPPED,             /* the daemon exits */
	LOG_GDB_ATTACHED,
	LOG_GDB_DETACHED,
	LOG_GDB_REFUSED,         /* a second gdb, or one the VM cannot serve */
	LOG_VM_READY,            /* the VM's socket answered the handshake */
	LOG_VM_UNREACHABLE,      /* no VM (yet): retrying */
	LOG_VM_LOST,             /* a ready VM went away: reconnecting */
	LOG_BREAKPOINTS_CLEARED, /* the VM dropped every point (the last debugger left) */
	LOG_GUEST_DIED,          /* shut down, reset, halted for good */
	LOG_VCPU_STOPPED,        /* a stop told to gdb (debug level) */
	LOG_LEVEL_CHANGED,       /* SIGHUP re-read the level */
	LOG_N_EVENTS
};

/* Fields of an event; NULL strings and unset numbers are left out. */
struct log_fields {
	const char *peer;        /* gdb's address */
	const char *reason;      /* why, in words */
	const char *vm;          /* the VM's socket */
	uint32_t vcpu;
	bool has_vcpu;
	uint64_t addr;           /* a guest address (pc, watched address) */
	bool has_addr;
};

enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_LOGFMT };

/* "error", "warning", "message", "info", "debug" */
bool log_parse_level(const char *s, GLogLevelFlags *out);
bool log_parse_format(const char *s, enum log_format *out);
/* Installs the writer; callable again (SIGHUP) to change the level. */
void log_setup(GLogLevelFlags threshold, enum log_format format);
GLogLevelFlags log_threshold(void);
const char *log_event_id(enum log_event ev);

/* Called after each event is logged (whatever the level): the systemd
 * glue's STATUS= and READY=1 follow them. */
typedef void (*log_event_hook)(enum log_event ev, const struct log_fields *f, void *data);
void log_set_event_hook(log_event_hook fn, void *data);

void log_event_at(const char *file, const char *line, const char *func, enum log_event ev,
		  GLogLevelFlags level, const struct log_fields *f, const char *fmt, ...)
	G_GNUC_PRINTF(7, 8);
/* log_event(ev, level, fields, fmt, ...): fields is a struct log_fields
 * pointer, often a compound literal (whose commas the macro must not
 * split: hence all in __VA_ARGS__) */
#define log_event(ev, level, ...) \
	log_event_at(__FILE__, G_STRINGIFY(__LINE__), G_STRFUNC, (ev), (level), __VA_ARGS__)

#endif
