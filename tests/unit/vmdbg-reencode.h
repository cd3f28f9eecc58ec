/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmdbg-reencode.h - encode a decoded vmdbg message again (test helper).
 */
#ifndef VMDBG_REENCODE_H
#define VMDBG_REENCODE_H

#include <stdbool.h>
#include <glib.h>

#include "vmdbg-glib.h"

/* Append the frame of m (as vmdbg_decode() gave it) to out with the
 * encoders; false if its variable parts do not add up to its counts. */
bool vmdbg_reencode(const struct vmdbg_msg *m, GByteArray *out);

#endif
