/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmdbg-glib.h - libvmdbg (proto/, GLib-free) as our GLib programs use it:
 * frames appended to a GByteArray, decode failures as GErrors in
 * VMDBG_CODEC_ERROR whose codes are enum vmdbg_err values.  Glue only:
 * every byte of the protocol is still laid out and judged in proto/.
 */
#ifndef VMDBG_GLIB_H
#define VMDBG_GLIB_H

#include <glib.h>

#include "vmdbg-codec.h"

#define VMDBG_CODEC_ERROR (vmdbg_codec_error_quark())
GQuark vmdbg_codec_error_quark(void);

/* An output that appends to a GByteArray (which never refuses). */
struct vmdbg_gba_out {
	struct vmdbg_out out;
	GByteArray *array;
};
uint8_t *vmdbg_gba_reserve(struct vmdbg_out *out, size_t n);
/* vmdbg_enc_*(VMDBG_GBA(array), ...): the output lives as long as the
 * enclosing block. */
#define VMDBG_GBA(a) (&(struct vmdbg_gba_out){ { vmdbg_gba_reserve }, (a) }.out)

/* vmdbg_g_frame_peek() and vmdbg_g_decode() with their diagnosis as a GError. */
enum vmdbg_frame_status vmdbg_g_frame_peek(const uint8_t *buf, size_t avail,
					   size_t *frame_len, GError **error);
bool vmdbg_g_decode(const uint8_t *frame, size_t len, struct vmdbg_msg *msg, GError **error);

#endif
