/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/* tp-badabi.c - a descriptor of a future ABI: refused before init runs. */
#include "dbgproxyd-plugin.h"

static bool init(dbgp_plugin *self, int argc, char **argv, GError **error)
{
	dbgp_log(self, G_LOG_LEVEL_MESSAGE, "PLUGIN-BUG: init of a refused plugin ran");
	return true;
}

__attribute__((visibility("default"))) const struct dbgp_plugin_info dbgproxyd_plugin = {
	DBGP_ABI_VERSION + 98, sizeof(struct dbgp_plugin_info), "badabi", "0", "wrong ABI", init, NULL
};
