/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-bootimg.c - reading a kernel or initrd from the host: the whole file,
 * gunzipped when it is gzip data (RFC 1952, possibly several members, as
 * `cat a.gz b.gz` makes), as GRUB's loaders do.  The only part of the boot
 * code that touches the host; the loaders themselves stay pure.
 */
#include "vm-boot-priv.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

#define GZIP_MAGIC0 0x1f
#define GZIP_MAGIC1 0x8b
#define GUNZIP_STEP (1u << 20)

static bool is_gzip(const uint8_t *p, size_t n)
{
	return n >= 2 && p[0] == GZIP_MAGIC0 && p[1] == GZIP_MAGIC1;
}

/* Decompress the member at in[*pos] onto out, advancing *pos past it. */
static bool gunzip_member(const uint8_t *in, size_t len, size_t *pos, GByteArray *out, const char *path,
			  GError **error)
{
	g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP);
	for (;;) {
		/* one byte past the limit tells "exactly the limit" from "more" */
		size_t room = MIN(MAX((size_t)out->len, (size_t)GUNZIP_STEP),
				  (size_t)BOOT_FILE_MAX + 1 - out->len);
		if (room == 0) {
			g_set_error(error, BOOT_ERROR, 1, "%s: decompresses to more than %u MiB", path,
				    BOOT_FILE_MAX >> 20);
			return false;
		}
		size_t old = out->len;
		g_byte_array_set_size(out, (guint)(old + room));
		gsize nread = 0, nwritten = 0;
		GError *zerr = NULL;
		GConverterResult r = g_converter_convert(G_CONVERTER(z), in + *pos, len - *pos, out->data + old,
							 room, G_CONVERTER_INPUT_AT_END, &nread, &nwritten, &zerr);
		g_byte_array_set_size(out, (guint)(old + nwritten));
		*pos += nread;
		if (r == G_CONVERTER_FINISHED)
			return true;
		if (r == G_CONVERTER_ERROR) {
			if (g_error_matches(zerr, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
				g_set_error(error, BOOT_ERROR, 1, "%s: gzip data truncated", path);
			else
				g_set_error(error, BOOT_ERROR, 1, "%s: corrupt gzip data: %s", path,
					    zerr->message);
			g_error_free(zerr);
			return false;
		}
		if (nread == 0 && nwritten == 0) {
			g_set_error(error, BOOT_ERROR, 1, "%s: gzip data truncated", path);
			return false;
		}
	}
}

static GBytes *gunzip(const uint8_t *in, size_t len, const char *path, GError **error)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	size_t pos = 0;
	while (pos < len) {
		if (!is_gzip(in + pos, len - pos)) {
			/* zero padding after the last member is common (tar, dd) */
			size_t i = pos;
			while (i < len && in[i] == 0)
				i++;
			if (i == len)
				break;
			g_set_error(error, BOOT_ERROR, 1, "%s: %zu bytes of trailing data after the gzip data",
				    path, len - pos);
			return NULL;
		}
		if (!gunzip_member(in, len, &pos, out, path, error))
			return NULL;
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}

bool boot_read_file(const char *path, GBytes **out, GError **error)
{
	GStatBuf st;
	if (g_stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > BOOT_FILE_MAX) {
		g_set_error(error, BOOT_ERROR, 1, "%s: larger than %u MiB", path, BOOT_FILE_MAX >> 20);
		return false;
	}
	g_autofree gchar *data = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &data, &len, error))
		return false;
	if (len == 0) {
		g_set_error(error, BOOT_ERROR, 1, "%s: empty file", path);
		return false;
	}
	if (len > BOOT_FILE_MAX) {
		g_set_error(error, BOOT_ERROR, 1, "%s: larger than %u MiB", path, BOOT_FILE_MAX >> 20);
		return false;
	}
	if (is_gzip((const uint8_t *)data, len)) {
		GBytes *b = gunzip((const uint8_t *)data, len, path, error);
		if (!b)
			return false;
		*out = b;
		return true;
	}
	*out = g_bytes_new_take(g_steal_pointer(&data), len);
	return true;
}
