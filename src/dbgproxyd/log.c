/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * log.c - dbgproxyd's logging (log.h): the level filter, the two output
 * formats, and the events with their MESSAGE_IDs.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static GLogLevelFlags threshold = G_LOG_LEVEL_MESSAGE;
static enum log_format format = LOG_FORMAT_TEXT;
static log_event_hook hook;
static void *hook_data;

/* Fixed ids (journalctl MESSAGE_ID=...), one per kind of event: never
 * change one, add new ones (systemd-id128 new). */
static const char *const event_ids[LOG_N_EVENTS] = {
	[LOG_STARTED] = "d6445e9ab8434c26ae8610bb7f6abb5a",
	[LOG_STOPPING] = "d94135d88b074bf6b7457ddc6433f1ed",
	[LOG_STOPPED] = "f71a30c120104fb684a7a9354bf9f4d8",
	[LOG_GDB_ATTACHED] = "3cd0026022044ff0b72ffc9a1354411e",
	[LOG_GDB_DETACHED] = "79b11e6d612444339dc6537abc3d4461",
	[LOG_GDB_REFUSED] = "10b7674ff8ae4a8abfb36495ace3f345",
	[LOG_VM_READY] = "5bbd3dab5d444785a57aaaf733f65736",
	[LOG_VM_UNREACHABLE] = "a333e7361a92484d809b8722a376cc02",
	[LOG_VM_LOST] = "e150bdcbc0fb4e3fad93e6e1392fbfed",
	[LOG_BREAKPOINTS_CLEARED] = "80fc19d6b6e648499a744d4adcd3b337",
	[LOG_GUEST_DIED] = "bdcfee78bfb448be8ea85b4db8971588",
	[LOG_VCPU_STOPPED] = "2b4449781d924ca498ed6ae074a6ae3e",
	[LOG_LEVEL_CHANGED] = "a42fbfc849c744ef9fe09e1607e7dcb6",
};

const char *log_event_id(enum log_event ev)
{
	return ev < LOG_N_EVENTS ? event_ids[ev] : NULL;
}

static const struct {
	const char *name;
	GLogLevelFlags level;
	const char *priority;    /* syslog's, for the journal */
} levels[] = {
	{ "error", G_LOG_LEVEL_CRITICAL, "3" }, { "warning", G_LOG_LEVEL_WARNING, "4" },
	{ "message", G_LOG_LEVEL_MESSAGE, "5" }, { "info", G_LOG_LEVEL_INFO, "6" },
	{ "debug", G_LOG_LEVEL_DEBUG, "7" },
};

bool log_parse_level(const char *s, GLogLevelFlags *out)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(levels); i++)
		if (g_ascii_strcasecmp(s, levels[i].name) == 0) {
			*out = levels[i].level;
			return true;
		}
	return false;
}

bool log_parse_format(const char *s, enum log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (strcmp(s, "logfmt") == 0)
		*out = LOG_FORMAT_LOGFMT;
	else
		return false;
	return true;
}

static const char *level_name(GLogLevelFlags lvl)
{
	if (lvl & G_LOG_LEVEL_ERROR)
		return "fatal";
	for (unsigned i = 0; i < G_N_ELEMENTS(levels); i++)
		if (lvl <= levels[i].level)
			return levels[i].name;
	return "debug";
}

/* key=value, the value quoted (with \" and \\ and \n escaped) when it
 * has to be */
static void logfmt_pair(GString *out, const char *key, const char *val, gssize len)
{
	size_t n = len < 0 ? strlen(val) : (size_t)len;
	bool quote = n == 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = val[i] == ' ' || val[i] == '"' || val[i] == '=' || val[i] == '\\' ||
			(unsigned char)val[i] < 0x20;
	g_string_append_printf(out, "%s%s=", out->len ? " " : "", key);
	if (!quote) {
		g_string_append_len(out, val, (gssize)n);
		return;
	}
	g_string_append_c(out, '"');
	for (size_t i = 0; i < n; i++) {
		char c = val[i];
		if (c == '"' || c == '\\')
			g_string_append_c(out, '\\');
		if (c == '\n')
			g_string_append(out, "\\n");
		else if ((unsigned char)c < 0x20)
			g_string_append_printf(out, "\\x%02x", (unsigned char)c);
		else
			g_string_append_c(out, c);
	}
	g_string_append_c(out, '"');
}

/* One line per record: time, level, msg, then every field but GLib's and
 * the code location. */
static GLogWriterOutput write_logfmt(GLogLevelFlags lvl, const GLogField *fields, gsize n)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *ts = g_date_time_format_iso8601(now);
	logfmt_pair(out, "time", ts, -1);
	logfmt_pair(out, "level", level_name(lvl), -1);
	for (gsize i = 0; i < n; i++)
		if (strcmp(fields[i].key, "MESSAGE") == 0)
			logfmt_pair(out, "msg", fields[i].value, fields[i].length);
	for (gsize i = 0; i < n; i++) {
		const char *k = fields[i].key;
		if (strcmp(k, "MESSAGE") == 0 || strcmp(k, "PRIORITY") == 0 ||
		    g_str_has_prefix(k, "GLIB_") || g_str_has_prefix(k, "CODE_"))
			continue;
		logfmt_pair(out, k, fields[i].value, fields[i].length);
	}
	g_string_append_c(out, '\n');
	/* one write: lines of concurrent writers stay whole */
	return write(STDERR_FILENO, out->str, out->len) == (ssize_t)out->len ?
		G_LOG_WRITER_HANDLED : G_LOG_WRITER_UNHANDLED;
}

static GLogWriterOutput writer(GLogLevelFlags level, const GLogField *fields, gsize n,
			       gpointer data)
{
	/* lower flag values are more severe */
	GLogLevelFlags lvl = level & G_LOG_LEVEL_MASK;
	if (lvl > threshold)
		return G_LOG_WRITER_HANDLED;
	if (format == LOG_FORMAT_LOGFMT)
		return write_logfmt(lvl, fields, n);
	return g_log_writer_default(level, fields, n, data);
}

void log_setup(GLogLevelFlags level, enum log_format fmt)
{
	static bool installed;
	threshold = level;
	format = fmt;
	/* GLib's own writer drops info and debug unless told otherwise */
	if (threshold >= G_LOG_LEVEL_INFO)
		g_setenv("G_MESSAGES_DEBUG", "all", TRUE);
	if (!installed)
		g_log_set_writer_func(writer, NULL, NULL);
	installed = true;
}

GLogLevelFlags log_threshold(void)
{
	return threshold;
}

void log_set_event_hook(log_event_hook fn, void *data)
{
	hook = fn;
	hook_data = data;
}

static const char *priority_of(GLogLevelFlags level)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(levels); i++)
		if (level <= levels[i].level)
			return levels[i].priority;
	return "7";
}

void log_event_at(const char *file, const char *line, const char *func, enum log_event ev,
		  GLogLevelFlags level, const struct log_fields *f, const char *fmt, ...)
{
	static const struct log_fields none;
	if (!f)
		f = &none;
	if (level <= threshold) {
		va_list ap;
		va_start(ap, fmt);
		g_autofree char *msg = g_strdup_vprintf(fmt, ap);
		va_end(ap);
		char vcpu[16], addr[24];
		GLogField fields[12];
		gsize n = 0;
#define FIELD(k, v) (fields[n++] = (GLogField){ (k), (v), -1 })
		FIELD("MESSAGE", msg);
		FIELD("MESSAGE_ID", event_ids[ev]);
		FIELD("PRIORITY", priority_of(level));
		FIELD("GLIB_DOMAIN", G_LOG_DOMAIN);
		FIELD("CODE_FILE", file);
		FIELD("CODE_LINE", line);
		FIELD("CODE_FUNC", func);
		if (f->has_vcpu) {
			g_snprintf(vcpu, sizeof(vcpu), "%u", f->vcpu);
			FIELD("VCPU", vcpu);
		}
		if (f->has_addr) {
			g_snprintf(addr, sizeof(addr), "0x%" G_GINT64_MODIFIER "x", f->addr);
			FIELD("ADDR", addr);
		}
		if (f->peer)
			FIELD("PEER", f->peer);
		if (f->reason)
			FIELD("REASON", f->reason);
		if (f->vm)
			FIELD("VM", f->vm);
#undef FIELD
		g_log_structured_array(level, fields, n);
	}
	if (hook)
		hook(ev, f, hook_data);
}
