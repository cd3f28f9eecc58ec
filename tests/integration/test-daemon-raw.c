/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-daemon-raw.c - dbgproxyd driven with raw RSP bytes (no gdb): framing
 * errors, junk, oversize and unknown packets, NAK retransmission, no-ack
 * mode, split and merged writes, Ctrl-C, half packets, SIGTERM, and the VM
 * going away and coming back.  Real dbgproxy-vm on real KVM behind it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "rsp-codec.h"
#include "testutil.h"

#define TIMEOUT_MS 30000

static const char *vm_bin, *daemon_bin, *guest_elf;

struct fix {
	char *dir, *vm_sock, *gdb_sock, *daemon_log;
	GPid vm, daemon;
	int fd;
	GByteArray *in;
};

static void start_vm(struct fix *f)
{
	g_autofree char *cmd = g_strdup_printf("'%s' --kernel '%s' --socket '%s' > '%s/serial.log' 2>&1",
					       vm_bin, guest_elf, f->vm_sock, f->dir);
	f->vm = tu_spawn(cmd);
	g_autofree char *serial = g_build_filename(f->dir, "serial.log", NULL);
	g_assert_true(tu_wait_file_contains(serial, "cpu 0 up"));
}

static void start(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	f->dir = g_dir_make_tmp("dbgraw-XXXXXX", NULL);
	f->vm_sock = g_build_filename(f->dir, "vm.sock", NULL);
	f->gdb_sock = g_build_filename(f->dir, "gdb.sock", NULL);
	f->daemon_log = g_build_filename(f->dir, "daemon.log", NULL);
	f->in = g_byte_array_new();
	start_vm(f);
	g_autofree char *cmd = g_strdup_printf("'%s' --listen 'unix:%s' --vm '%s' --log-level debug > '%s' 2>&1",
					       daemon_bin, f->gdb_sock, f->vm_sock, f->daemon_log);
	f->daemon = tu_spawn(cmd);
	g_assert_true(tu_wait_file_contains(f->daemon_log, "ready:"));
	f->fd = tu_connect_unix_retry(f->gdb_sock);
	g_assert_cmpint(f->fd, >=, 0);
}

static void stop(struct fix *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->daemon)
		tu_stop(f->daemon);
	if (f->vm)
		tu_stop(f->vm);
	g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	g_assert_cmpint(system(cmd), ==, 0);
	g_free(f->dir);
	g_free(f->vm_sock);
	g_free(f->gdb_sock);
	g_free(f->daemon_log);
	g_byte_array_unref(f->in);
}

static void send_raw(struct fix *f, const void *data, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(f->fd, (const char *)data + off, len - off, MSG_NOSIGNAL);
		g_assert_cmpint(n, >, 0);
		off += (size_t)n;
	}
}

static void send_str(struct fix *f, const char *s)
{
	send_raw(f, s, strlen(s));
}

static void send_packet(struct fix *f, const char *payload)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	rsp_encode_packet(b, payload, strlen(payload));
	send_raw(f, b->data, b->len);
}

/* Read until `want` bytes are buffered; false on timeout or EOF. */
static bool fill(struct fix *f, size_t want)
{
	while (f->in->len < want) {
		struct pollfd p = { .fd = f->fd, .events = POLLIN };
		if (poll(&p, 1, TIMEOUT_MS) <= 0)
			return false;
		uint8_t buf[65536];
		ssize_t n = recv(f->fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return false;
		g_byte_array_append(f->in, buf, (guint)n);
	}
	return true;
}

static char next_byte(struct fix *f)
{
	g_assert_true(fill(f, 1));
	char c = (char)f->in->data[0];
	g_byte_array_remove_range(f->in, 0, 1);
	return c;
}

/* One framed packet from the daemon; checks its checksum; returns the raw
 * (still escaped) payload. */
static char *read_packet(struct fix *f)
{
	for (;;) {
		g_assert_true(fill(f, 1));
		if (f->in->data[0] == '$')
			break;
		g_error("expected a packet, got byte 0x%02x", f->in->data[0]);
	}
	for (size_t i = 1;; i++) {
		g_assert_true(fill(f, i + 3));
		if (f->in->data[i] == '#') {
			char *payload = g_strndup((const char *)f->in->data + 1, i - 1);
			char cs[3] = { (char)f->in->data[i + 1], (char)f->in->data[i + 2], 0 };
			g_assert_cmpuint((guint)g_ascii_strtoull(cs, NULL, 16), ==,
					 rsp_checksum(payload, i - 1));
			g_byte_array_remove_range(f->in, 0, (guint)(i + 3));
			return payload;
		}
	}
}

/* Send a packet in ack mode: expect '+', then the reply (which we ack). */
static char *request(struct fix *f, const char *payload)
{
	send_packet(f, payload);
	g_assert_cmpint(next_byte(f), ==, '+');
	char *r = read_packet(f);
	send_str(f, "+");
	return r;
}

/* "c", let the guest run for ms, Ctrl-C: the stop reply. */
static char *run_then_interrupt(struct fix *f, unsigned ms)
{
	send_packet(f, "c");
	g_assert_cmpint(next_byte(f), ==, '+');
	g_usleep(ms * 1000);
	send_str(f, "\x03");
	char *r = read_packet(f);
	send_str(f, "+");
	return r;
}

static void handshake(struct fix *f)
{
	g_autofree char *r = request(f, "qSupported:swbreak+;hwbreak+;xmlRegisters=i386");
	g_assert_nonnull(strstr(r, "PacketSize=20000"));
	g_assert_nonnull(strstr(r, "QStartNoAckMode+"));
	g_assert_nonnull(strstr(r, "qXfer:features:read+"));
	g_assert_nonnull(strstr(r, "vContSupported+"));
	g_autofree char *q = request(f, "?");
	g_assert_true(g_str_has_prefix(q, "T05thread:"));
}

/* ---- tests ------------------------------------------------------------------ */

static void test_framing_errors(void)
{
	if (tu_skip_without_kvm())
		return;
	struct fix f;
	start(&f);
	handshake(&f);
	/* a bad checksum is NAKed, nothing is answered */
	send_str(&f, "$g#00");
	g_assert_cmpint(next_byte(&f), ==, '-');
	/* junk between packets is ignored */
	send_str(&f, "hello\r\n\xff");
	g_autofree char *r1 = request(&f, "qC");
	g_assert_cmpstr(r1, ==, "QC1");
	/* unknown packets get the empty reply */
	g_autofree char *r2 = request(&f, "qNoSuchThing:1234");
	g_assert_cmpstr(r2, ==, "");
	g_autofree char *r3 = request(&f, "vMustReplyEmpty");
	g_assert_cmpstr(r3, ==, "");
	/* a known packet with malformed parameters gets an error with text */
	g_autofree char *r4 = request(&f, "mzz,4");
	g_assert_true(g_str_has_prefix(r4, "E."));
	g_autofree char *r5 = request(&f, "Hg99");
	g_assert_cmpstr(r5, ==, "E01");
	g_autofree char *r6 = request(&f, "p9999");
	g_assert_true(g_str_has_prefix(r6, "E."));
	/* a packet above PacketSize: acked, answered with an error, then all is well */
	GString *big = g_string_new("$");
	for (int i = 0; i < 0x20010; i++)
		g_string_append_c(big, 'a');
	g_string_append(big, "#00");
	send_raw(&f, big->str, big->len);
	g_string_free(big, TRUE);
	g_assert_cmpint(next_byte(&f), ==, '+');
	g_autofree char *r7 = read_packet(&f);
	g_assert_true(g_str_has_prefix(r7, "E."));
	send_str(&f, "+");
	g_autofree char *r8 = request(&f, "qC");
	g_assert_cmpstr(r8, ==, "QC1");
	stop(&f);
}

static void test_nak_and_no_ack(void)
{
	if (tu_skip_without_kvm())
		return;
	struct fix f;
	start(&f);
	handshake(&f);
	/* '-' after a reply: the same reply again */
	send_packet(&f, "qC");
	g_assert_cmpint(next_byte(&f), ==, '+');
	g_autofree char *a = read_packet(&f);
	send_str(&f, "-");
	g_autofree char *b = read_packet(&f);
	g_assert_cmpstr(a, ==, b);
	send_str(&f, "+");
	/* no-ack mode: the OK is acked, nothing after it is */
	g_autofree char *ok = request(&f, "QStartNoAckMode");
	g_assert_cmpstr(ok, ==, "OK");
	send_packet(&f, "qC");
	g_autofree char *c = read_packet(&f); /* no '+' in front */
	g_assert_cmpstr(c, ==, "QC1");
	/* split across writes, and two packets in one write */
	send_str(&f, "$q");
	g_usleep(50 * 1000);
	send_str(&f, "C#b4");
	g_autofree char *d = read_packet(&f);
	g_assert_cmpstr(d, ==, "QC1");
	send_str(&f, "$qC#b4$qAttached#8f");
	g_autofree char *e1 = read_packet(&f);
	g_autofree char *e2 = read_packet(&f);
	g_assert_cmpstr(e1, ==, "QC1");
	g_assert_cmpstr(e2, ==, "1");
	/* a burst of pipelined packets in one write: every one answered, in
	 * order, without the daemon recursing per packet */
	GString *burst = g_string_new(NULL);
	for (int i = 0; i < 3000; i++)
		g_string_append(burst, i % 2 ? "$qC#b4" : "$qAttached#8f");
	send_raw(&f, burst->str, burst->len);
	g_string_free(burst, TRUE);
	for (int i = 0; i < 3000; i++) {
		g_autofree char *r = read_packet(&f);
		g_assert_cmpstr(r, ==, i % 2 ? "QC1" : "1");
	}
	stop(&f);
}

static void test_memory_and_registers(void)
{
	if (tu_skip_without_kvm())
		return;
	struct fix f;
	start(&f);
	handshake(&f);
	uint64_t pattern = tu_symbol(guest_elf, "pattern_buf");
	g_autofree char *m = request(&f, "m104000,8");
	g_assert_cmpuint(pattern, ==, 0x104000);
	g_assert_cmpstr(m, ==, "030a11181f262d34");
	/* unmapped: an error, never garbage; "ENN" exactly, as gdb parses any
	 * other 'm' reply as hex ("E.text" made gdb say "Invalid hex digit") */
	g_autofree char *bad = request(&f, "m80000000,8");
	g_assert_cmpstr(bad, ==, "E0e");
	/* the end of RAM: the readable part only */
	g_autofree char *part = request(&f, "m3fffff8,10");
	g_assert_cmpuint(strlen(part), ==, 16);
	/* a read larger than one VM transfer (pipelined chunks) */
	g_autofree char *large = request(&f, "m100000,ffff");
	g_assert_cmpuint(strlen(large), ==, 2 * 0xffff);
	/* binary write with escapes, read back */
	/* X payload bytes '#', '}', 'A', '*': the encoder escapes three of them */
	uint8_t data[] = { '#', '}', 'A', '*' };
	GByteArray *x = g_byte_array_new();
	g_byte_array_append(x, (const guint8 *)"X114128,4:", 10);
	g_byte_array_append(x, data, 4);
	g_autoptr(GByteArray) framed = g_byte_array_new();
	rsp_encode_packet(framed, x->data, x->len);
	g_byte_array_unref(x);
	send_raw(&f, framed->data, framed->len);
	g_assert_cmpint(next_byte(&f), ==, '+');
	g_autofree char *xr = read_packet(&f);
	send_str(&f, "+");
	g_assert_cmpstr(xr, ==, "OK");
	g_autofree char *rb = request(&f, "m114128,4");
	g_assert_cmpstr(rb, ==, "237d412a");
	/* registers: g is the whole set; p of rip (0x10) matches its slice of g */
	g_autofree char *g = request(&f, "g");
	g_assert_cmpuint(strlen(g), >, 16 * 16);
	g_autofree char *rip = request(&f, "p10");
	g_assert_cmpuint(strlen(rip), ==, 16);
	g_assert_true(strncmp(g + 16 * 16, rip, 16) == 0);
	/* P then p: written through */
	g_autofree char *w = request(&f, "P3=efbeadde00000000");
	g_assert_cmpstr(w, ==, "OK");
	g_autofree char *r = request(&f, "p3");
	g_assert_cmpstr(r, ==, "efbeadde00000000");
	g_autofree char *wbad = request(&f, "P3=efbe");
	g_assert_true(g_str_has_prefix(wbad, "E."));
	/* target description served in pieces */
	g_autofree char *t1 = request(&f, "qXfer:features:read:target.xml:0,40");
	g_assert_cmpint(t1[0], ==, 'm');
	g_assert_cmpuint(strlen(t1), ==, 0x41);
	g_autofree char *tnone = request(&f, "qXfer:features:read:nosuch.xml:0,40");
	g_assert_true(g_str_has_prefix(tnone, "E."));
	stop(&f);
}

static void test_interrupt(void)
{
	if (tu_skip_without_kvm())
		return;
	struct fix f;
	start(&f);
	handshake(&f);
	g_autofree char *stop_reply = run_then_interrupt(&f, 200);
	g_assert_true(g_str_has_prefix(stop_reply, "T02thread:1;"));
	/* expedited registers: rbp (6), rsp (7), rip (10) */
	g_assert_nonnull(strstr(stop_reply, ";6:"));
	g_assert_nonnull(strstr(stop_reply, ";7:"));
	g_assert_nonnull(strstr(stop_reply, ";10:"));
	stop(&f);
}

static void test_half_packet_disconnect(void)
{
	if (tu_skip_without_kvm())
		return;
	struct fix f;
	start(&f);
	handshake(&f);
	send_str(&f, "$m104000,");
	close(f.fd);
	g_assert_true(tu_wait_file_contains(f.daemon_log, "ended"));
	f.fd = tu_connect_unix_retry(f.gdb_sock);
	g_byte_array_set_size(f.in, 0);
	handshake(&f);
	g_autofree char *m = request(&f, "m104000,2");
	g_assert_cmpstr(m, ==, "030a");
	/* the listening socket is private to its owner */
	struct stat st;
	g_assert_cmpint(stat(f.gdb_sock, &st), ==, 0);
	g_assert_cmpuint(st.st_mode & 0777, ==, 0600);
	stop(&f);
}

static void test_sigterm_cleans_up(void)
{
	if (tu_skip_unless_kvm_offers("sw-breakpoints"))
		return;
	struct fix f;
	start(&f);
	handshake(&f);
	uint64_t tick = tu_symbol(guest_elf, "tick");
	g_autofree char *z = g_strdup_printf("Z0,%" G_GINT64_MODIFIER "x,1", tick);
	g_autofree char *zr = request(&f, z);
	g_assert_cmpstr(zr, ==, "OK");
	kill(f.daemon, SIGTERM);
	int status = -1;
	for (int i = 0; i < 250 && !tu_exited(f.daemon, &status); i++)
		g_usleep(20 * 1000);
	g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	g_spawn_close_pid(f.daemon);
	f.daemon = 0;
	g_assert_false(g_file_test(f.gdb_sock, G_FILE_TEST_EXISTS));
	/* the guest runs on with its code intact: a fresh daemon sees both.
	 * gdb may come before the daemon has reached the VM: it is attached
	 * as soon as the VM is there. */
	g_autofree char *log2 = g_build_filename(f.dir, "daemon2.log", NULL);
	g_autofree char *cmd = g_strdup_printf("'%s' --listen 'unix:%s' --vm '%s' > '%s' 2>&1",
					       daemon_bin, f.gdb_sock, f.vm_sock, log2);
	f.daemon = tu_spawn(cmd);
	close(f.fd);
	f.fd = tu_connect_unix_retry(f.gdb_sock);
	g_byte_array_set_size(f.in, 0);
	g_assert_true(tu_wait_file_contains(log2, "ready:"));
	handshake(&f);
	uint64_t counters = tu_symbol(guest_elf, "counters");
	g_autofree char *m1 = g_strdup_printf("m%" G_GINT64_MODIFIER "x,8", counters);
	g_autofree char *c1 = request(&f, m1);
	g_autofree char *mt = g_strdup_printf("m%" G_GINT64_MODIFIER "x,1", tick);
	g_autofree char *code = request(&f, mt);
	g_assert_cmpstr(code, !=, "cc");
	g_autofree char *sr = run_then_interrupt(&f, 300);
	g_assert_true(g_str_has_prefix(sr, "T02"));
	g_autofree char *c2 = request(&f, m1);
	g_assert_cmpstr(c1, !=, c2);
	stop(&f);
}

static void test_vm_lost_and_back(void)
{
	if (tu_skip_without_kvm())
		return;
	struct fix f;
	start(&f);
	handshake(&f);
	send_packet(&f, "c");
	g_assert_cmpint(next_byte(&f), ==, '+');
	g_usleep(100 * 1000);
	tu_stop(f.vm);
	f.vm = 0;
	/* gdb is told on the console, then that the target is gone */
	g_autofree char *o = read_packet(&f);
	g_assert_cmpint(o[0], ==, 'O');
	g_autofree char *x = read_packet(&f);
	g_assert_cmpstr(x, ==, "X09");
	g_assert_false(fill(&f, f.in->len + 1)); /* then the connection ends */
	close(f.fd);
	/* a new VM on the same socket: the daemon reconnects by itself */
	start_vm(&f);
	for (int i = 0; i < 200; i++) {
		g_autofree char *log = NULL;
		g_file_get_contents(f.daemon_log, &log, NULL, NULL);
		char *first = strstr(log, "ready:");
		if (first && strstr(first + 1, "ready:"))
			break;
		g_usleep(50 * 1000);
	}
	f.fd = tu_connect_unix_retry(f.gdb_sock);
	g_byte_array_set_size(f.in, 0);
	handshake(&f);
	g_autofree char *m = request(&f, "m104000,2");
	g_assert_cmpstr(m, ==, "030a");
	stop(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	vm_bin = g_getenv("DBGPROXY_VM");
	daemon_bin = g_getenv("DBGPROXYD");
	guest_elf = g_getenv("GUEST_ELF");
	if (!vm_bin || !daemon_bin || !guest_elf) {
		g_printerr("DBGPROXY_VM, DBGPROXYD and GUEST_ELF must be set (make check sets them)\n");
		return 99;
	}
	signal(SIGPIPE, SIG_IGN);
	g_test_add_func("/daemon-raw/framing-errors", test_framing_errors);
	g_test_add_func("/daemon-raw/nak-and-no-ack", test_nak_and_no_ack);
	g_test_add_func("/daemon-raw/memory-and-registers", test_memory_and_registers);
	g_test_add_func("/daemon-raw/interrupt", test_interrupt);
	g_test_add_func("/daemon-raw/half-packet-disconnect", test_half_packet_disconnect);
	g_test_add_func("/daemon-raw/sigterm-cleans-up", test_sigterm_cleans_up);
	g_test_add_func("/daemon-raw/vm-lost-and-back", test_vm_lost_and_back);
	return g_test_run();
}
