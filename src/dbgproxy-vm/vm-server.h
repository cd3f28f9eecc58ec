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

/* The same, the socket given to group gid (-1: the process's) with mode
 * (0: 0600) before anyone is served */
int server_run_access(struct vm *vm, const char *path, gid_t gid, mode_t mode, GError **error);

#endif
