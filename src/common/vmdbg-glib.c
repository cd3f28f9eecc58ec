/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmdbg-glib.c - libvmdbg's GLib glue (vmdbg-glib.h).
 */
#include "vmdbg-glib.h"

G_DEFINE_QUARK(vmdbg-codec-error-quark, vmdbg_codec_error)

uint8_t *vmdbg_gba_reserve(struct vmdbg_out *out, size_t n)
{
	GByteArray *a = ((struct vmdbg_gba_out *)out)->array;
	guint at = a->len;
	g_byte_array_set_size(a, at + (guint)n);
	return a->data + at;
}

enum vmdbg_frame_status vmdbg_g_frame_peek(const uint8_t *buf, size_t avail,
					   size_t *frame_len, GError **error)
{
	struct vmdbg_diag d = { 0, "" };
	enum vmdbg_frame_status st = vmdbg_frame_peek(buf, avail, frame_len, &d);
	if (st == VMDBG_FRAME_BAD)
		g_set_error_literal(error, VMDBG_CODEC_ERROR, (gint)d.code, d.text);
	return st;
}

bool vmdbg_g_decode(const uint8_t *frame, size_t len, struct vmdbg_msg *msg, GError **error)
{
	struct vmdbg_diag d = { 0, "" };
	if (vmdbg_decode(frame, len, msg, &d) == 0)
		return true;
	g_set_error_literal(error, VMDBG_CODEC_ERROR, (gint)d.code, d.text);
	return false;
}
