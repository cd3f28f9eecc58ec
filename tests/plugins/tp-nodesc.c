/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/* tp-nodesc.c - a shared object without the descriptor: not a plugin. */
__attribute__((visibility("default"))) int tp_nodesc_something(void);

int tp_nodesc_something(void)
{
	return 1;
}
