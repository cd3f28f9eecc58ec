/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * guestmem.h - guest RAM that the VM shares with the daemon (vmdbg
 * MEM_MAP, proto/vmdbg.md): reads and writes without a round trip.
 *
 * Only what is exactly right is served here: a read or write whose every
 * byte translates to RAM of the map, and a write that touches no patched
 * software breakpoint.  Anything else — an unmapped page, device memory,
 * a write over a breakpoint, a breakpoint table that keeps changing — is
 * the VM's to answer (the caller falls back to READ_MEM/WRITE_MEM), so the
 * errors, short reads and breakpoint rules stay the VM's own.
 */
#ifndef GUESTMEM_H
#define GUESTMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "vmdbg-glib.h"
#include "x86-paging.h"

struct guestmem;

/* Map the VM's file fd (taken: closed on failure too) as m describes.
 * Refused (with the reason) unless the file is sealed against shrinking
 * and every region and the breakpoint table lie inside it. */
struct guestmem *guestmem_new(int fd, const struct vmdbg_mem_map *m, GError **error);
void guestmem_free(struct guestmem *g);

uint32_t guestmem_translation(const struct guestmem *g);   /* enum vmdbg_translation */
uint64_t guestmem_ram_bytes(const struct guestmem *g);

/* Read [addr, addr+len) as a vCPU whose paging is pg sees it (pg unused
 * with VMDBG_XLATE_IDENTITY), the guest's own bytes under patched
 * breakpoints: true when every byte was read. */
bool guestmem_read(struct guestmem *g, const struct x86_paging *pg, uint64_t addr, uint8_t *out,
		   size_t len);
/* Write, all or nothing: true when done; false (nothing written) when a
 * byte is not in RAM or lies under a patched breakpoint. */
bool guestmem_write(struct guestmem *g, const struct x86_paging *pg, uint64_t addr,
		    const uint8_t *data, size_t len);

#endif
