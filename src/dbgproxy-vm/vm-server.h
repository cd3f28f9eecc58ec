/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-server.h - the vmdbg socket server of dbgproxy-vm (its control thread).
 */
#ifndef VM_SERVER_H
#define VM_SERVER_H

#include <ev.h>
#include <glib.h>

#include "vm.h"

/* Serve vmdbg on a Unix socket at path (created 0600) until SIGINT or
 * SIGTERM; then detach any client and remove the socket.  Returns the
 * process exit status. */
int server_run(struct vm *vm, const char *path, GError **error);

#endif
