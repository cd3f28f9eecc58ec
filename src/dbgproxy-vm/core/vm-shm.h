/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-shm.h - guest RAM in a memfd that a vmdbg client can map (MEM_MAP,
 * proto/vmdbg.md), with the table of patched software breakpoints after
 * it, so the client reads and writes guest memory without a round trip
 * and still sees the guest's own bytes under a breakpoint.
 *
 * The file is sealed against shrinking: a client that maps it can never
 * fault on a page the VM took away.
 */
#ifndef VM_SHM_H
#define VM_SHM_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "vmdbg.h"

struct vm_shm {
	int fd;                          /* -1: none */
	uint8_t *ram;                    /* the file's first ram_size bytes, mapped */
	uint64_t ram_size;
	uint64_t table_offset;           /* page-aligned, after the RAM */
	uint32_t capacity;
	struct vmdbg_shm_bp_table *table;
	uint64_t map_size;
};

/* A zeroed file of ram_size bytes of RAM and a table of capacity entries,
 * mapped shared.  name shows in /proc/PID/fd. */
bool vm_shm_create(struct vm_shm *s, const char *name, uint64_t ram_size, uint32_t capacity,
		   GError **error);
void vm_shm_destroy(struct vm_shm *s);

/* Replace the table (control thread only; the entries sorted by gpa, at
 * most capacity): begin, write e[0 .. count), end. */
struct vmdbg_shm_bp *vm_shm_bps_begin(struct vm_shm *s);
void vm_shm_bps_end(struct vm_shm *s, uint32_t count);

#endif
