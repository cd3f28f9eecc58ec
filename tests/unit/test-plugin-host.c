/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-plugin-host.c - the plugin host without a VM: loading and refusing
 * plugins, init failure, load orders and versions of services, the order
 * of up/down/fini, unloading from inside a plugin's own callback, and a
 * command that never answers.  The plugins are tests/plugins/ built under
 * several names; what they see reaches the log, which this test reads.
 */
#include <string.h>

#include "check.h"
#include "plugin-host.h"

static GString *logged;
static struct ev_loop *loop;
static struct target *tgt;
static struct plugin_host *host;
static char *plugdir;

static GLogWriterOutput writer(GLogLevelFlags level, const GLogField *f, gsize n, gpointer d)
{
	for (gsize i = 0; i < n; i++)
		if (strcmp(f[i].key, "MESSAGE") == 0) {
			g_string_append(logged, f[i].value);
			g_string_append_c(logged, '\n');
		}
	return G_LOG_WRITER_HANDLED;
}

/* Run the loop until nothing is due (bounded). */
static void settle(void)
{
	for (int i = 0; i < 50; i++)
		ev_run(loop, EVRUN_NOWAIT);
}

static void setup(void)
{
	g_string_truncate(logged, 0);
	loop = ev_loop_new(EVFLAG_AUTO);
	tgt = target_new(loop, "/nonexistent/vm.sock", NULL);
	host = plugin_host_new(loop, tgt);
}

static void teardown(void)
{
	plugin_host_free(host);
	target_free(tgt);
	ev_loop_destroy(loop);
}

static char *so(const char *name)
{
	return g_strdup_printf("%s/%s.so", plugdir, name);
}

static bool load(const char *name, const char *args, GError **error)
{
	g_autofree char *path = so(name);
	g_auto(GStrv) a = args ? g_strsplit(args, ",", -1) : g_new0(char *, 1);
	return plugin_host_load(host, path, a, NULL, error);
}

#define LOAD_OK(name, args)                                                  \
	do {                                                                 \
		g_autoptr(GError) e_ = NULL;                                 \
		CHECK(load(name, args, &e_), "%s: %s", name, e_ ? e_->message : ""); \
	} while (0)
#define UNLOAD_OK(name)                                                      \
	do {                                                                 \
		g_autoptr(GError) e_ = NULL;                                 \
		CHECK(plugin_host_unload(host, name, &e_), "%s: %s", name, e_ ? e_->message : ""); \
	} while (0)

/* The line of the log that contains what, -1 if none. */
static int line_of(const char *what)
{
	g_auto(GStrv) lines = g_strsplit(logged->str, "\n", -1);
	for (int i = 0; lines[i]; i++)
		if (strstr(lines[i], what))
			return i;
	return -1;
}

static void test_refusals(void)
{
	setup();
	g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL;
	CHECK(!load("tp-nodesc", NULL, &e1), "a .so without descriptor loads");
	CHECK(e1 && strstr(e1->message, "no 'dbgproxyd_plugin' descriptor"), "%s", e1 ? e1->message : "");
	CHECK(!load("tp-badabi", NULL, &e2), "a wrong ABI loads");
	CHECK(e2 && strstr(e2->message, "built for plugin ABI 99; this dbgproxyd has ABI 1"), "%s",
	      e2 ? e2->message : "");
	CHECK(line_of("PLUGIN-BUG") < 0, "a refused plugin's code ran: %s", logged->str);
	CHECK(!load("tp-a", "fail", &e3), "init failure loads");
	CHECK(e3 && strstr(e3->message, "plugin tp-a refused to start: told to fail"), "%s",
	      e3 ? e3->message : "");
	CHECK(line_of("fini") < 0, "fini of a plugin whose init failed ran");
	CHECK(!plugin_host_load(host, "/nonexistent/x.so", NULL, NULL, &e4), "a missing file loads");
	CHECK(e4 && strstr(e4->message, "cannot load /nonexistent/x.so"), "%s", e4 ? e4->message : "");
	/* after all that, the same name loads fine, once */
	LOAD_OK("tp-a", NULL);
	CHECK(!load("tp-a", NULL, &e5), "a second tp-a loads");
	CHECK(e5 && strstr(e5->message, "a plugin named tp-a is loaded already"), "%s",
	      e5 ? e5->message : "");
	g_autofree char *list = plugin_host_describe(host);
	CHECK(strstr(list, "tp-a 0: the plugin host's test plugin") && strstr(list, "command: monitor tp-a"),
	      "%s", list);
	teardown();
}

/* provider first or consumer first: the same up(), after the loop turns */
static void services_order(bool provider_first)
{
	setup();
	if (provider_first) {
		LOAD_OK("tp-a", "publish=answer:1.2");
		LOAD_OK("tp-b", "use=answer:1.1");
	} else {
		LOAD_OK("tp-b", "use=answer:1.1");
		settle();
		CHECK(line_of("up ") < 0, "up without a provider");
		LOAD_OK("tp-a", "publish=answer:1.2");
	}
	CHECK(line_of("up answer") < 0, "up() ran inside a load (not from the loop)");
	settle();
	CHECK(line_of("tp-b: up answer minor 2 answer 42") >= 0, "%s", logged->str);
	g_autofree char *list = plugin_host_describe(host);
	CHECK(strstr(list, "publishes: answer 1.2") && strstr(list, "uses: answer 1.1+ (up)"), "%s", list);
	/* the provider goes: the consumer hears down() before the provider's fini */
	UNLOAD_OK("tp-a");
	int down = line_of("tp-b: down answer"), fini = line_of("tp-a: fini");
	CHECK(down >= 0 && fini > down, "down %d fini %d:\n%s", down, fini, logged->str);
	/* and comes back: up() again */
	LOAD_OK("tp-a", "publish=answer:1.3");
	settle();
	CHECK(line_of("up answer minor 3") >= 0, "%s", logged->str);
	teardown();
}

/* plugin_host_settle (before gdb's next command, and before a resume)
 * runs the up() the loop's idle time would: a guest resumed right after
 * "monitor plugin load" must not stop before the consumer has its service
 * (taskprof counted a hit "(unknown task)" that way under load) */
static void test_settle_gives_services(void)
{
	setup();
	LOAD_OK("tp-b", "use=answer:1.1");
	LOAD_OK("tp-a", "publish=answer:1.2");
	CHECK(line_of("up answer") < 0, "up() ran inside a load (not from the loop)");
	plugin_host_settle(host);   /* no turn of the loop */
	CHECK(line_of("tp-b: up answer minor 2 answer 42") >= 0, "%s", logged->str);
	teardown();
}

static void test_services_provider_first(void)
{
	services_order(true);
}

static void test_services_consumer_first(void)
{
	services_order(false);
}

static void test_service_versions(void)
{
	setup();
	LOAD_OK("tp-a", "publish=answer:1.2");
	LOAD_OK("tp-b", "use=answer:2.0");
	LOAD_OK("tp-c", "use=answer:1.5");
	settle();
	CHECK(line_of("up ") < 0, "a mismatched version was given:\n%s", logged->str);
	CHECK(line_of("plugin tp-b wants service answer 2.0 or later; plugin tp-a provides 1.2") >= 0,
	      "%s", logged->str);
	CHECK(line_of("plugin tp-c wants service answer 1.5 or later") >= 0, "%s", logged->str);
	/* a second provider of the same name is refused */
	g_autoptr(GError) e2 = NULL;
	CHECK(!load("tp-d", "publish=answer:2.0", &e2), "a second provider loads");
	CHECK(e2 && strstr(e2->message, "service answer is published by plugin tp-a"), "%s",
	      e2 ? e2->message : "");
	teardown();
}

struct answer {
	GString *text;
	int calls;
};

static void replied(void *ctx, const char *text)
{
	struct answer *a = ctx;
	a->calls++;
	g_string_append(a->text, text);
}

static void test_unload_inside_callback(void)
{
	setup();
	LOAD_OK("tp-a", "publish=answer:1.0");
	LOAD_OK("tp-b", "use=answer:1.0");
	settle();
	/* the command asks for its own unload and goes on: it finishes first */
	struct answer a = { g_string_new(NULL), 0 };
	CHECK(plugin_host_command(host, "tp-b unload", replied, &a), "tp-b's command not found");
	CHECK(a.calls == 1 && strstr(a.text->str, "still running"), "%d %s", a.calls, a.text->str);
	CHECK(line_of("tp-b: fini") < 0, "unloaded inside its own callback");
	settle();
	CHECK(line_of("tp-b: fini") >= 0, "never unloaded:\n%s", logged->str);
	CHECK(!plugin_host_command(host, "tp-b unload", replied, &a), "the command outlived its plugin");
	/* notify with the consumer gone: nothing of it runs */
	CHECK(plugin_host_command(host, "tp-a notify", replied, &a), "tp-a's command not found");
	CHECK(line_of("event") < 0, "event to an unloaded consumer");
	CHECK(line_of("PLUGIN-BUG") < 0, "%s", logged->str);
	/* unload asked for in init: loaded, then gone from the loop */
	LOAD_OK("tp-c", "unload-in-init");
	settle();
	g_autofree char *list = plugin_host_describe(host);
	CHECK(!strstr(list, "tp-c"), "%s", list);
	g_string_free(a.text, TRUE);
	teardown();
}

static void test_event_and_no_answer(void)
{
	setup();
	LOAD_OK("tp-a", "publish=answer:1.0");
	LOAD_OK("tp-b", "use=answer:1.0");
	LOAD_OK("tp-c", "use=answer:1.0");
	settle();
	struct answer a = { g_string_new(NULL), 0 };
	CHECK(plugin_host_command(host, "tp-a notify", replied, &a), "no command");
	int b = line_of("tp-b: event answer 7 hello"), c = line_of("tp-c: event answer 7 hello");
	CHECK(b >= 0 && c > b, "events out of order (%d %d):\n%s", b, c, logged->str);
	/* down() in the reverse order of asking */
	UNLOAD_OK("tp-a");
	int db = line_of("tp-b: down"), dc = line_of("tp-c: down");
	CHECK(dc >= 0 && db > dc, "down order (%d %d):\n%s", dc, db, logged->str);
	/* a command that never answers: answered for it, once, in bounded time */
	a.calls = 0;
	g_string_truncate(a.text, 0);
	CHECK(plugin_host_command(host, "tp-b noanswer", replied, &a), "no command");
	for (int i = 0; i < 300 && a.calls == 0; i++) {
		ev_run(loop, EVRUN_ONCE);
	}
	CHECK(a.calls == 1 && strstr(a.text->str, "did not answer in time"), "%d '%s'", a.calls,
	      a.text->str);
	g_string_free(a.text, TRUE);
	teardown();  /* the unanswered command is freed with its plugin */
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	logged = g_string_new(NULL);
	g_log_set_writer_func(writer, NULL, NULL);
	plugdir = g_strdup(g_getenv("TEST_PLUGIN_DIR") ? g_getenv("TEST_PLUGIN_DIR") : "tests/plugins");
	g_test_add_func("/plugin-host/refusals", test_refusals);
	g_test_add_func("/plugin-host/services-provider-first", test_services_provider_first);
	g_test_add_func("/plugin-host/services-consumer-first", test_services_consumer_first);
	g_test_add_func("/plugin-host/service-versions", test_service_versions);
	g_test_add_func("/plugin-host/settle-gives-services", test_settle_gives_services);
	g_test_add_func("/plugin-host/unload-inside-callback", test_unload_inside_callback);
	g_test_add_func("/plugin-host/event-and-no-answer", test_event_and_no_answer);
	int r = g_test_run();
	g_free(plugdir);
	g_string_free(logged, TRUE);
	return r;
}
