/* SPDX-License-Identifier: MIT */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmdbg-le.h - little-endian loads shared by the decoder and the
 * iterators of libvmdbg.  Private to proto/: not installed.
 */
#ifndef VMDBG_LE_H
#define VMDBG_LE_H

#include <stdint.h>

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

#endif
