/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * bench-daemon.c - figures for dbgproxyd on real KVM: packet round trip,
 * register and memory reads, single-step rate, CPU used by an idle daemon
 * while the guest runs, and the daemon's resident memory.  Prints numbers;
 * asserts nothing about speed (targets live here, not in the tests).
 *
 * Run with `make bench` (needs /dev/kvm).
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>

#include "rsp-codec.h"
#include "testutil.h"

static int fd = -1;
static GByteArray *in;

static void send_all(const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0) {
			perror("send");
			exit(1);
		}
		p = (const char *)p + w;
		n -= (size_t)w;
	}
}

/* The next packet's payload length (no-ack mode: no '+' in the stream). */
static size_t read_reply(void)
{
	for (;;) {
		uint8_t *hash = memchr(in->data, '#', in->len);
		if (hash && (size_t)(hash - in->data) + 3 <= in->len) {
			size_t end = (size_t)(hash - in->data) + 3;
			size_t payload = (size_t)(hash - in->data) - 1;
			g_byte_array_remove_range(in, 0, (guint)end);
			return payload;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 10000) <= 0) {
			fprintf(stderr, "bench: no reply\n");
			exit(1);
		}
		uint8_t buf[1 << 17];
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0) {
			fprintf(stderr, "bench: connection closed\n");
			exit(1);
		}
		g_byte_array_append(in, buf, (guint)r);
	}
}

static size_t request(const char *payload)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	rsp_encode_packet(b, payload, strlen(payload));
	send_all(b->data, b->len);
	return read_reply();
}

static double now(void)
{
	return (double)g_get_monotonic_time() / 1e6;
}

static long cpu_ticks(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	char *p = strrchr(text, ')');
	long utime = 0, stime = 0;
	/* fields after the command: state(3) ... utime(14) stime(15) */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime,
			 &stime) != 2)
		return -1;
	return utime + stime;
}

static long rss_kib(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	char *p = strstr(text, "VmRSS:");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

/* The host's own floor: a socketpair ping-pong between two processes. */
static double baseline_rtt_us(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	pid_t child = fork();
	if (child == 0) {
		char b[8];
		while (read(sv[1], b, sizeof(b)) > 0)
			if (write(sv[1], b, sizeof(b)) != sizeof(b))
				_exit(1);
		_exit(0);
	}
	const int n = 5000;
	char b[8] = "pingpong";
	double t0 = now();
	for (int i = 0; i < n; i++)
		if (write(sv[0], b, sizeof(b)) != sizeof(b) || read(sv[0], b, sizeof(b)) != sizeof(b))
			break;
	double t = now() - t0;
	close(sv[0]);
	close(sv[1]);
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	return t / n * 1e6;
}

int main(void)
{
	const char *vm_bin = g_getenv("DBGPROXY_VM"), *daemon_bin = g_getenv("DBGPROXYD");
	const char *guest = g_getenv("GUEST_ELF");
	if (!vm_bin || !daemon_bin || !guest) {
		fprintf(stderr, "bench: DBGPROXY_VM, DBGPROXYD, GUEST_ELF must be set (make bench)\n");
		return 2;
	}
	if (!tu_kvm_usable()) {
		printf("bench: skipped: no usable /dev/kvm\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	in = g_byte_array_new();
	g_autofree char *dir = g_dir_make_tmp("dbgbench-XXXXXX", NULL);
	g_autofree char *vm_sock = g_build_filename(dir, "vm.sock", NULL);
	g_autofree char *gdb_sock = g_build_filename(dir, "gdb.sock", NULL);
	g_autofree char *serial = g_build_filename(dir, "serial.log", NULL);
	g_autofree char *log = g_build_filename(dir, "daemon.log", NULL);
	g_autofree char *vcmd = g_strdup_printf("'%s' --kernel '%s' --socket '%s' > '%s' 2>&1", vm_bin,
						guest, vm_sock, serial);
	GPid vm = tu_spawn(vcmd);
	tu_wait_file_contains(serial, "cpu 0 up");
	g_autofree char *dcmd = g_strdup_printf("'%s' --listen 'unix:%s' --vm '%s' > '%s' 2>&1",
						daemon_bin, gdb_sock, vm_sock, log);
	GPid daemon = tu_spawn(dcmd);
	tu_wait_file_contains(log, "ready:");
	fd = tu_connect_unix_retry(gdb_sock);
	send_all("+", 1);
	request("QStartNoAckMode");

	double t0 = now();
	const int rt = 5000;
	for (int i = 0; i < rt; i++)
		request("qC");
	double t_rt = now() - t0;

	t0 = now();
	const int regs = 2000;
	for (int i = 0; i < regs; i++)
		request("p10");
	double t_reg = now() - t0;

	t0 = now();
	const int reads = 200;
	size_t bytes = 0;
	for (int i = 0; i < reads; i++)
		bytes += request("m100000,ffff") / 2;
	double t_mem = now() - t0;

	t0 = now();
	const int steps = 500;
	for (int i = 0; i < steps; i++)
		request("vCont;s:1");
	double t_step = now() - t0;

	/* idle: the guest runs, gdb waits; the daemon should sleep */
	g_autoptr(GByteArray) c = g_byte_array_new();
	rsp_encode_packet(c, "c", 1);
	send_all(c->data, c->len);
	long ticks0 = cpu_ticks(daemon);
	g_usleep(2 * G_USEC_PER_SEC);
	long ticks1 = cpu_ticks(daemon);
	long hz = sysconf(_SC_CLK_TCK);
	send_all("\x03", 1);
	read_reply();

	printf("dbgproxyd benchmark (real KVM, unix socket, no-ack mode)\n");
	printf("  host baseline (socket ping-pong): %5.1f us   (two processes, no daemon)\n",
	       baseline_rtt_us());
	printf("  packet round trip (qC):        %8.1f us   (%d packets)\n", t_rt / rt * 1e6, rt);
	printf("  register read (p rip):         %8.1f us   (%d reads, cached after the first)\n",
	       t_reg / regs * 1e6, regs);
	printf("  memory read (m, 64 KiB):       %8.1f MiB/s (%zu bytes)\n",
	       (double)bytes / t_mem / (1 << 20), bytes);
	printf("  single step (vCont;s + stop):  %8.0f steps/s (%d steps)\n", steps / t_step, steps);
	printf("  idle daemon, guest running:    %8.2f %% CPU over 2 s\n",
	       100.0 * (double)(ticks1 - ticks0) / (double)hz / 2.0);
	printf("  daemon resident memory:        %8ld KiB\n", rss_kib(daemon));

	close(fd);
	tu_stop(daemon);
	tu_stop(vm);
	g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
	return system(rm) == 0 ? 0 : 1;
}
