/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * testutil.h - shared helpers of the integration tests: guest symbols,
 * child processes started and killed by PID, Unix/TCP connections, and
 * the KVM availability check.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/* Address of `name` in the ELF (via nm); aborts the test if absent. */
uint64_t tu_symbol(const char *elf, const char *name);

bool tu_kvm_usable(void);
/* g_test_skip() with the reason and true when /dev/kvm is unusable. */
bool tu_skip_without_kvm(void);
/* Also skip when `dbgproxy-vm --probe` ($DBGPROXY_VM) does not say
 * "WHAT=yes": nested and software KVMs lack some debug events. */
bool tu_skip_unless_kvm_offers(const char *what);
/* The same without skipping: does the probe say "WHAT=yes"? */
bool tu_kvm_offers(const char *what);

/* Run `sh -c cmd` in the background; returns its PID.  The process is
 * killed by the kernel if the test process dies first. */
GPid tu_spawn(const char *cmd);
/* SIGTERM, wait up to 2 s, then SIGKILL; returns the wait status. */
int tu_stop(GPid pid);
/* Has the process exited?  Stores its wait status. */
bool tu_exited(GPid pid, int *status);

int tu_connect_unix(const char *path);
int tu_connect_tcp(const char *host, int port);
/* Retry tu_connect_unix for up to ~5 s. */
int tu_connect_unix_retry(const char *path);

/* Wait (bounded, ~30 s) until the file contains the text. */
bool tu_wait_file_contains(const char *path, const char *text);

#endif
