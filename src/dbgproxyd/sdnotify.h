/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * sdnotify.h - dbgproxyd under systemd (libsystemd): readiness, STATUS=
 * lines, the watchdog, socket activation.  Without libsystemd (configure
 * --without-libsystemd) every call does nothing and no socket is passed.
 */
#ifndef SDNOTIFY_H
#define SDNOTIFY_H

#include <ev.h>
#include <glib.h>

/* The listening socket systemd passed (dbgproxyd.socket), non-blocking:
 * >= 0; -1 when none was passed; -2 with error set when what was passed
 * cannot be served (more than one socket, not a listening stream). */
int sdn_listen_fd(GError **error);

/* From here on the log events drive STATUS= and READY=1 (sent once the VM
 * link was tried: it answered, or it is not there), and WATCHDOG=1 is sent
 * from the loop when systemd asked for it (WatchdogSec=). */
void sdn_start(struct ev_loop *loop, const char *listen_desc);
/* An orderly shutdown begins (STOPPING=1) */
void sdn_stopping(void);
void sdn_stop(struct ev_loop *loop);

#endif
