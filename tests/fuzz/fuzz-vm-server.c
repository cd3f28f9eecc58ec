/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz-vm-server.c - libFuzzer target for dbgproxy-vm's request server,
 * the stateful layer between the vmdbg socket and a VM: every input is one
 * client's byte stream (frames, whole or cut anywhere), fed to the
 * server's own decode-and-dispatch (vm-server.c, included here for its
 * static functions) against a real VM object — the simulated AArch64
 * machine with two running vCPUs, created once and kept across inputs, so
 * state (paused or running vCPUs, breakpoints, registers and memory the
 * last client changed) carries over as it does between real clients.
 *
 * Checked: no memory error or undefined behaviour (ASan+UBSan); every
 * byte the server writes back is a sequence of well-formed frames, each a
 * reply or an ERROR whose seq is one a request carried (or 0 for an
 * unframeable stream), a reply of the type of a request with its seq, or a
 * STOPPED or OUTPUT event; a WATCH_LIST reply describes watches this machine
 * can have (guest RAM, identity translation: the pages the bytes span), a
 * STOPPED WATCH an access its watch wants; the client ending (detach)
 * always leaves the VM running with no breakpoint and no watch.
 *
 * Input: byte 0 chooses the chunk size the stream arrives in (1..256),
 * the rest is the stream.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/dbgproxy-vm/vm-server.c"

/* after ev.h: <elf.h> defines EV_NONE, a name libev's enum uses */
#include <elf.h>

#define FUZZ_NAME "fuzz-vm-server"
#include "fuzz.h"

#define RAM_BASE 0x40000000u
#define RAM_SIZE (4u << 20)
#include "fuzz-a64-guest.h"

static struct vm *vm;
static struct server srv;

/* The guest image, in a file dbgproxy-vm's loader reads. */
static char *write_guest(void)
{
	char *path = g_strdup("/tmp/fuzz-vm-server-XXXXXX");
	int fd = g_mkstemp(path);
	if (fd < 0)
		FAIL("cannot create the guest image %s", path);
	close(fd);
	a64_guest_write(path);
	return path;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_log_set_writer_func(g_log_writer_default, NULL, NULL);
	g_setenv("G_MESSAGES_DEBUG", "", TRUE);
	g_autofree char *guest = write_guest();
	int devnull = open("/dev/null", O_WRONLY);
	struct vm_config cfg = {
		.arch = VMDBG_ARCH_AARCH64, .kernel = guest, .nr_vcpus = 2, .mem_mib = RAM_SIZE >> 20,
		.serial_fd = devnull, .serial_in_fd = -1, .hw_bps = 6, .hw_wps = 4,
	};
	GError *err = NULL;
	vm = vm_a64_create(&cfg, &err);
	if (!vm)
		FAIL("cannot create the VM: %s", err->message);
	unlink(guest);
	srv.vm = vm;
	srv.loop = ev_loop_new(EVFLAG_AUTO);
	srv.listen_fd = -1;
	g_queue_init(&srv.closed_clients);
	ev_prepare_init(&srv.reap_w, reap_cb);
	srv.reap_w.data = &srv;
	return 0;
}

/* The request types sent with each seq: (seq << 8 | type) keys. */
static gint64 *req_key(uint32_t seq, uint8_t type)
{
	gint64 *k = g_new(gint64, 1);
	*k = (gint64)seq << 8 | type;
	return k;
}

static bool was_asked(const GHashTable *asked, uint32_t seq, uint8_t type)
{
	gint64 k = (gint64)seq << 8 | type;
	return g_hash_table_contains((GHashTable *)asked, &k);
}

/* A WATCH_LIST reply from the simulated machine: its MMU is off, so a
 * watch's pages are the pages of its own bytes, in order, all in RAM. */
static void check_watch_list(const struct vmdbg_watch_list *l)
{
	struct vmdbg_watch_info w;
	size_t off = 0;
	uint32_t n = 0;
	while (vmdbg_watch_list_next(l, &off, &w)) {
		n++;
		REQUIRE(w.kind >= VMDBG_WATCH_WRITE && w.kind <= VMDBG_WATCH_ACCESS);
		REQUIRE(w.addr >= RAM_BASE && w.addr + w.len <= (uint64_t)RAM_BASE + RAM_SIZE);
		uint64_t first = w.addr & ~0xfffull, last = (w.addr + w.len - 1) & ~0xfffull;
		REQUIRE(w.npages == (last - first) / 0x1000 + 1);
		for (uint32_t k = 0; k < w.npages; k++)
			REQUIRE(w.pages[k] == first + 0x1000ull * k);
	}
	REQUIRE(n == l->count && n <= VMDBG_MAX_WATCHES);
}

/* STOPPED WATCH: an access of a kind its watch wants, overlapping it (the
 * watch's address is guest-physical here too). */
static void check_watch_stop(const struct vmdbg_stopped *s)
{
	uint64_t acc = s->info[2] & 0xff, size = s->info[2] >> 8 & 0xff, kind = s->info[2] >> 16;
	REQUIRE(acc == VMDBG_WATCH_ACC_READ || acc == VMDBG_WATCH_ACC_WRITE);
	REQUIRE(kind == VMDBG_WATCH_ACCESS ||
		kind == (acc == VMDBG_WATCH_ACC_WRITE ? VMDBG_WATCH_WRITE : VMDBG_WATCH_READ));
	REQUIRE(size >= 1);
	REQUIRE(s->info[0] >= RAM_BASE && s->info[0] < (uint64_t)RAM_BASE + RAM_SIZE);
	REQUIRE(s->info[1] + size > s->info[0]);
}

/* Every frame in out[0..len) is well formed, and is a reply/ERROR to a
 * request seq we sent (seen), a reply of a type sent with that seq
 * (asked), or a STOPPED or OUTPUT event. */
static void check_output(const GByteArray *out, const GHashTable *seen, const GHashTable *asked)
{
	size_t off = 0;
	while (off < out->len) {
		size_t frame_len;
		g_autoptr(GError) err = NULL;
		enum vmdbg_frame_status st =
			vmdbg_g_frame_peek(out->data + off, out->len - off, &frame_len, &err);
		REQUIRE(st == VMDBG_FRAME_OK);
		struct vmdbg_msg m;
		g_autoptr(GError) derr = NULL;
		if (!vmdbg_g_decode(out->data + off, frame_len, &m, &derr))
			FAIL("the server wrote a frame its own codec rejects: %s", derr->message);
		if (m.type == VMDBG_EV_STOPPED) {
			REQUIRE(m.u.stopped.vcpu < 2);
			if (m.u.stopped.reason == VMDBG_STOP_WATCH)
				check_watch_stop(&m.u.stopped);
		} else if (m.type == VMDBG_EV_OUTPUT) {  /* what breakpoint commands print */
			REQUIRE(m.u.output.vcpu < 2);
			REQUIRE(m.seq == 0);
		} else {
			REQUIRE(m.type == VMDBG_ERROR || (m.type & VMDBG_REPLY));
			REQUIRE(m.seq == 0 || g_hash_table_contains((GHashTable *)seen,
								  GUINT_TO_POINTER(m.seq)));
			if (m.type != VMDBG_ERROR)
				REQUIRE(was_asked(asked, m.seq, m.type & VMDBG_TYPE_MASK));
			if (m.type == (VMDBG_WATCH_LIST | VMDBG_REPLY))
				check_watch_list(&m.u.watch_list);
		}
		off += frame_len;
	}
}

/* The seqs of the whole frames in data[0..len): what replies may carry;
 * and with each its type (asked). */
static void collect_seqs(const uint8_t *data, size_t len, GHashTable *seen, GHashTable *asked)
{
	size_t off = 0;
	while (off < len) {
		size_t frame_len;
		if (vmdbg_g_frame_peek(data + off, len - off, &frame_len, NULL) != VMDBG_FRAME_OK)
			break;
		if (frame_len >= 12) {
			uint32_t seq;
			memcpy(&seq, data + off + 8, 4);
			g_hash_table_add(seen, GUINT_TO_POINTER(GUINT32_FROM_LE(seq)));
			g_hash_table_add(asked, req_key(GUINT32_FROM_LE(seq), data[off + 6]));
		}
		off += frame_len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = (size_t)data[0] + 1;
	data++;
	size--;
	g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
	g_autoptr(GHashTable) asked = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	collect_seqs(data, size, seen, asked);

	struct client *c = g_new0(struct client, 1);
	c->srv = &srv;
	c->fd = -1;
	c->in = g_byte_array_new();
	c->out = g_byte_array_new();
	srv.client = c;
	bool keep = true;
	for (size_t off = 0; off < size && keep; off += chunk) {
		g_byte_array_append(c->in, data + off, (guint)MIN(chunk, size - off));
		keep = client_process(c);
		/* stops the VM queued meanwhile, as notify_cb delivers them */
		deliver_stops(&srv);
		check_output(c->out, seen, asked);
		g_byte_array_set_size(c->out, 0);
	}
	/* the client goes: the VM lets the guest run, free of breakpoints */
	srv.client = NULL;
	vm_detach(vm);
	struct vmdbg_stopped ev;
	while (vm_pop_stop(vm, &ev))
		;
	g_autofree struct vmdbg_watch_info *w = g_new(struct vmdbg_watch_info, VMDBG_MAX_WATCHES);
	uint32_t nw = 1;
	REQUIRE(vm_watch_list(vm, w, &nw, NULL));
	REQUIRE(nw == 0);
	g_byte_array_unref(c->in);
	g_byte_array_unref(c->out);
	g_free(c);
	return 0;
}
