/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz-session.c - libFuzzer target for dbgproxyd's gdb session, the
 * stateful layer between gdb's bytes and the VM: each input is one gdb
 * connection's byte stream (packets, acks, NAKs, Ctrl-C, junk; whole or
 * cut anywhere) fed to a real session (session.c, runctl.c, regmem.c,
 * breakpoints.c, threads.c, monitor.c) on a real target (target*.c,
 * vmlink.c) whose VM peer is dbgproxy-vm's own request server
 * (vm-server.c, included here for its static functions) serving the
 * simulated AArch64 machine with two running vCPUs — all in this process,
 * on one libev loop, connected by real sockets.  The daemon, its link and
 * the VM live across inputs, as they do across gdb connections.
 *
 * Checked: no memory error or undefined behaviour (ASan+UBSan); every
 * reply the daemon writes is well-formed RSP (checksums match); the
 * daemon still serves the next connection (the link stays up); the session
 * ends and is freed when gdb goes.
 *
 * Two plugins are loaded for every input and unloaded after it (built
 * beside this binary by `make fuzz`, with the same sanitizers, and kept
 * mapped): bptrace, whose monitor command parser gets what qRcmd carries,
 * and the host's test plugin (as tp-a), whose threads (`monitor tp-a
 * threads PC LR`) the thread packets then list and read.
 *
 * Input: byte 0 chooses the chunk size the stream arrives in (1..256),
 * the rest is the stream.  With FUZZ_VM_NO_CONDITIONS in the environment
 * the VM leaves breakpoint conditions to the daemon (target-conds.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/dbgproxy-vm/vm-server.c"

/* after ev.h: <elf.h> defines EV_NONE, a name libev's enum uses */
#include <elf.h>

#include "daemon.h"
#include "plugin-host.h"
#include <gmodule.h>
#include "rsp-codec.h"

#define FUZZ_NAME "fuzz-session"
#include "fuzz.h"

#define RAM_BASE 0x40000000u
#include "fuzz-a64-guest.h"

static struct vm *vm;
static struct server srv;
static struct daemon d;
static char *dir;
static char *plugin_paths[2];

static void run_loop(unsigned rounds);

/* Each input starts with both plugins fresh: loaded again, since an input
 * may unload them (monitor plugin unload, dbgp_unload_self), and without
 * what an earlier input left (a trace at a hot function would make every
 * later input wade through its hits). */
static void load_plugins(void)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(plugin_paths); i++) {
		g_autoptr(GError) err = NULL;
		char *noargs[] = { NULL };
		if (!plugin_host_load(d.plugins, plugin_paths[i], noargs, NULL, &err))
			FAIL("plugin %s: %s", plugin_paths[i], err->message);
	}
}

static void unload_plugins(void)
{
	static const char *const names[] = { "bptrace", "tp-a" };
	for (unsigned i = 0; i < G_N_ELEMENTS(names); i++)
		plugin_host_unload(d.plugins, names[i], NULL);  /* gone already is fine */
	run_loop(8);  /* their breakpoints leave the VM */
}

/* ---- what daemon-main.c provides the session ------------------------------------ */

static void reap_sessions(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct session *s;
	while ((s = g_queue_pop_head(&d.closed_sessions)))
		session_free(s);
	ev_prepare_stop(loop, w);
}

void daemon_free_later(struct daemon *dm, struct session *s)
{
	g_queue_push_tail(&dm->closed_sessions, s);
	ev_prepare_start(dm->loop, &dm->reap_w);
}

/* ---- the VM --------------------------------------------------------------------------- */

/* The guest image, in a file dbgproxy-vm's loader reads. */
static char *write_guest(void)
{
	char *path = g_build_filename(dir, "guest.elf", NULL);
	a64_guest_write(path);
	return path;
}

static void run_loop(unsigned rounds)
{
	for (unsigned i = 0; i < rounds; i++)
		ev_run(d.loop, EVRUN_NOWAIT);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_log_set_writer_func(g_log_writer_default, NULL, NULL);
	g_setenv("G_MESSAGES_DEBUG", "", TRUE);
	signal(SIGPIPE, SIG_IGN);
	dir = g_dir_make_tmp("fuzz-session-XXXXXX", NULL);
	if (!dir)
		FAIL("no temporary directory");
	g_autofree char *guest = write_guest();
	int devnull = open("/dev/null", O_WRONLY);
	struct vm_config cfg = {
		.arch = VMDBG_ARCH_AARCH64, .kernel = guest, .nr_vcpus = 2, .mem_mib = 4,
		.serial_fd = devnull, .serial_in_fd = -1, .hw_bps = 6, .hw_wps = 4,
		/* set: a VM without conditions, the daemon evaluates them */
		.no_conditions = getenv("FUZZ_VM_NO_CONDITIONS") != NULL,
	};
	GError *err = NULL;
	vm = vm_a64_create(&cfg, &err);
	if (!vm)
		FAIL("cannot create the VM: %s", err->message);
	unlink(guest);

	/* the VM's server, as server_run() sets it up, on our loop */
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	g_autofree char *vm_sock = g_build_filename(dir, "vm.sock", NULL);
	srv.vm = vm;
	srv.loop = loop;
	srv.listen_fd = sock_listen_unix(vm_sock, &err);
	if (srv.listen_fd < 0)
		FAIL("listen: %s", err->message);
	srv.path = g_strdup(vm_sock);
	ev_io_init(&srv.listen_w, listen_cb, srv.listen_fd, EV_READ);
	ev_io_init(&srv.notify_w, notify_cb, vm_notify_fd(vm), EV_READ);
	g_queue_init(&srv.closed_clients);
	ev_prepare_init(&srv.reap_w, reap_cb);
	srv.listen_w.data = srv.notify_w.data = srv.reap_w.data = &srv;
	ev_io_start(loop, &srv.listen_w);
	ev_io_start(loop, &srv.notify_w);

	/* the daemon's side: its target links to that socket */
	d.loop = loop;
	d.listen_fd = -1;
	g_queue_init(&d.closed_sessions);
	ev_prepare_init(&d.reap_w, reap_sessions);
	d.target = target_new(loop, vm_sock, NULL);
	const char *why;
	for (int i = 0; i < 5000 && !target_ready(d.target, &why); i++) {
		run_loop(1);
		g_usleep(1000);
	}
	if (!target_ready(d.target, &why))
		FAIL("the daemon never got the VM: %s", why);
	d.plugins = plugin_host_new(loop, d.target);
	g_autofree char *here = g_path_get_dirname((*argv)[0]);
	plugin_paths[0] = g_build_filename(here, "fuzz-bptrace.so", NULL);
	plugin_paths[1] = g_build_filename(here, "fuzz-tp.so", NULL);
	/* mapped for good: libFuzzer keeps pointers to their coverage counters,
	 * so the host's unload must not unmap them (it drops a reference) */
	for (unsigned i = 0; i < G_N_ELEMENTS(plugin_paths); i++) {
		GModule *m = g_module_open(plugin_paths[i], G_MODULE_BIND_LOCAL);
		if (!m)
			FAIL("plugin %s: %s", plugin_paths[i], g_module_error());
		g_module_make_resident(m);
	}
	load_plugins();  /* fails here, not in the first input, if they cannot load */
	unload_plugins();
	return 0;
}

/* ---- one gdb connection ---------------------------------------------------------------- */

static void check_reply(void *ctx, const struct rsp_event *ev)
{
	if (ev->type == RSP_EV_BAD_CHECKSUM)
		FAIL("the daemon sent a packet with a wrong checksum");
}

/* Read what the daemon sent (non-blocking) and check it is good RSP. */
static void drain(int fd, struct rsp_decoder *dec)
{
	uint8_t buf[65536];
	ssize_t n;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		rsp_decoder_feed(dec, buf, (size_t)n, check_reply, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	data++;
	size--;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		FAIL("socketpair: %s", g_strerror(errno));
	struct rsp_decoder *dec = rsp_decoder_new(1 << 20);
	load_plugins();
	session_accept(&d, sv[0], "fuzz");
	run_loop(8);  /* the attach: PAUSE, the mode */
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = MIN(chunk, size - off);
		if (send(sv[1], data + off, n, MSG_NOSIGNAL) != (ssize_t)n)
			break;  /* the daemon closed the connection (e.g. k, D, a flood) */
		run_loop(4);
		drain(sv[1], dec);
	}
	run_loop(16);
	drain(sv[1], dec);
	/* gdb goes: the session ends (DETACH) and is freed from the loop */
	close(sv[1]);
	for (int i = 0; i < 1000 && (d.session || d.closed_sessions.length); i++)
		run_loop(1);
	if (d.session)
		FAIL("the session outlived its connection");
	rsp_decoder_free(dec);
	unload_plugins();
	/* the daemon still has the VM for the next gdb */
	const char *why;
	for (int i = 0; i < 2000 && !target_ready(d.target, &why); i++) {
		run_loop(1);
		g_usleep(1000);
	}
	if (!target_ready(d.target, &why))
		FAIL("the daemon lost the VM: %s", why);
	return 0;
}
