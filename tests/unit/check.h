/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * check.h - the assertion the unit tests share.
 *
 * CHECK(cond, fmt, ...) is an assertion with a printf-style message: when
 * cond is false, the message is reported through g_assertion_message(),
 * with the file, line and function of the CHECK, as GLib's own g_assert*()
 * macros report theirs.  The test programs call
 * g_test_set_nonfatal_assertions(), so a failed CHECK marks the running
 * test failed and execution goes on: one run reports every check that
 * fails, each with the values that made it fail.
 */
#ifndef DBGPROXY_TESTS_UNIT_CHECK_H
#define DBGPROXY_TESTS_UNIT_CHECK_H

#include <glib.h>

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			char *m_ = g_strdup_printf(__VA_ARGS__);            \
			g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, \
					    G_STRFUNC, m_);                 \
			g_free(m_);                                         \
		}                                                           \
	} while (0)

#endif
