/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * soak.c - `make soak`: dbgproxyd and dbgproxy-vm under sustained load,
 * for memory and descriptor growth (not a test: figures, read by people).
 *
 *  1. packets: SOAK_PACKETS (default 1,000,000) requests through one gdb
 *     session in pipelined batches of 64 (g, p, m, qC, Hg, T, qXfer);
 *  2. steps: SOAK_STEPS (default 100,000) single steps (vCont;s) of vCPU 0;
 *  3. storm: SOAK_STORM (default 1000) connections opened at once to the
 *     daemon's TCP port while the session keeps reading memory; each one
 *     is answered (refused: one gdb at a time) or closed; the session's
 *     request rate during the storm against before it is its hit rate.
 *     Twice: growth in the second storm would be a leak.
 *
 * RSS (VmRSS) and open descriptors of both processes are printed after
 * warm-up, between the phases and at the end; growth after warm-up is
 * what to look at.  The VM is the simulated AArch64 machine (no KVM
 * needed), so figures from one run compare, not with KVM's.
 *
 * Environment: DBGPROXY_VM, DBGPROXYD, GUEST_ARM64 (set by make soak).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "rsp-codec.h"
#include "testutil.h"

#define BATCH 64

static int fd = -1;
static GByteArray *in;

static double now(void)
{
	return (double)g_get_monotonic_time() / 1e6;
}

static void send_all(const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0) {
			perror("soak: send");
			exit(1);
		}
		p = (const char *)p + w;
		n -= (size_t)w;
	}
}

/* The next reply (no-ack mode); returns its payload's first byte. */
static char read_reply(void)
{
	for (;;) {
		uint8_t *start = memchr(in->data, '$', in->len);
		uint8_t *hash = start ? memchr(start, '#', in->len - (size_t)(start - in->data)) : NULL;
		if (hash && (size_t)(hash - in->data) + 3 <= in->len) {
			char first = hash > start + 1 ? (char)start[1] : 0;
			g_byte_array_remove_range(in, 0, (guint)((size_t)(hash - in->data) + 3));
			return first;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 20000) <= 0) {
			fprintf(stderr, "soak: no reply in 20 s\n");
			exit(1);
		}
		uint8_t buf[1 << 16];
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0) {
			fprintf(stderr, "soak: the daemon closed the session\n");
			exit(1);
		}
		g_byte_array_append(in, buf, (guint)r);
	}
}

static void queue(GByteArray *out, const char *payload)
{
	rsp_encode_packet(out, payload, strlen(payload));
}

static char request(const char *payload)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	queue(b, payload);
	send_all(b->data, b->len);
	return read_reply();
}

static long status_kib(GPid pid, const char *field)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return -1;
	char *p = strstr(text, field);
	return p ? strtol(p + strlen(field), NULL, 10) : -1;
}

static int fd_count(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/fd", pid);
	GDir *d = g_dir_open(path, 0, NULL);
	if (!d)
		return -1;
	int n = 0;
	while (g_dir_read_name(d))
		n++;
	g_dir_close(d);
	return n;
}

static GPid vm_pid, daemon_pid;

static void figures(const char *when)
{
	printf("  %-22s dbgproxyd RSS %6ld KiB, %3d fds | dbgproxy-vm RSS %6ld KiB, %3d fds\n",
	       when, status_kib(daemon_pid, "VmRSS:"), fd_count(daemon_pid),
	       status_kib(vm_pid, "VmRSS:"), fd_count(vm_pid));
	fflush(stdout);
}

static unsigned long env_count(const char *name, unsigned long dflt)
{
	const char *v = g_getenv(name);
	return v && *v ? strtoul(v, NULL, 10) : dflt;
}

/* Pipelined batches of the mix; n requests in all; errors counted. */
static unsigned long packets(unsigned long n, const char *mem_req, const char *regnum)
{
	static const char *const fixed[] = { "g", "qC", "Hg1", "T1", "qXfer:features:read:target.xml:0,400" };
	g_autofree char *p_req = g_strdup_printf("p%s", regnum);
	const char *mix[] = { fixed[0], p_req, mem_req, fixed[1], fixed[2], fixed[3], mem_req, fixed[4] };
	unsigned long errors = 0, done = 0;
	g_autoptr(GByteArray) out = g_byte_array_new();
	while (done < n) {
		unsigned b = (unsigned)MIN((unsigned long)BATCH, n - done);
		g_byte_array_set_size(out, 0);
		for (unsigned i = 0; i < b; i++)
			queue(out, mix[(done + i) % G_N_ELEMENTS(mix)]);
		send_all(out->data, out->len);
		for (unsigned i = 0; i < b; i++)
			errors += read_reply() == 'E';
		done += b;
	}
	return errors;
}

/* In a child process: open n TCP connections at once (non-blocking),
 * send each a first packet, and wait (bounded, 30 s) until each is
 * answered or closed; the count answered goes to out_fd. */
static void storm_child(int port, unsigned n, int out_fd)
{
	int *fds = g_new(int, n);
	bool *done = g_new0(bool, n), *sent = g_new0(bool, n);
	g_autoptr(GByteArray) q = g_byte_array_new();
	queue(q, "qSupported");
	unsigned answered = 0;
	for (unsigned i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		if (fds[i] < 0 || (connect(fds[i], (struct sockaddr *)&a, sizeof(a)) < 0 &&
				   errno != EINPROGRESS)) {
			done[i] = true;  /* refused at once: an answer too */
			answered++;
		}
	}
	double t0 = now();
	unsigned left = n;
	while (left && now() - t0 < 30) {
		left = 0;
		for (unsigned i = 0; i < n; i++) {
			if (done[i])
				continue;
			/* a refused gdb's first packet is answered, then closed */
			if (!sent[i])
				sent[i] = send(fds[i], q->data, q->len, MSG_NOSIGNAL | MSG_DONTWAIT) ==
					  (ssize_t)q->len;
			char buf[512];
			ssize_t r = recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT);
			if (r == 0 || (r > 0 && memchr(buf, '$', (size_t)r)) ||
			    (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN)) {
				done[i] = true;
				answered++;
			} else {
				left++;
			}
		}
		g_usleep(5000);
	}
	if (write(out_fd, &answered, sizeof(answered)) != sizeof(answered))
		_exit(1);
	_exit(0);
}

/* The storm, while this process keeps the session busy: returns how many
 * storm connections were answered; *session_rate: requests/s meanwhile. */
static unsigned storm(int port, unsigned n, const char *mem_req, double *session_rate)
{
	int p[2];
	if (pipe(p) < 0)
		return 0;
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		close(p[0]);
		storm_child(port, n, p[1]);
	}
	close(p[1]);
	unsigned answered = 0, reqs = 0;
	double t0 = now();
	for (;;) {
		for (int i = 0; i < 16; i++)
			reqs += request(mem_req) != 'E';
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		if (poll(&pf, 1, 0) > 0)
			break;
	}
	*session_rate = reqs / (now() - t0);
	if (read(p[0], &answered, sizeof(answered)) != sizeof(answered))
		answered = 0;
	close(p[0]);
	int status;
	waitpid(child, &status, 0);
	return answered;
}

int main(void)
{
	const char *vm_bin = g_getenv("DBGPROXY_VM"), *daemon_bin = g_getenv("DBGPROXYD");
	const char *guest = g_getenv("GUEST_ARM64");
	if (!vm_bin || !daemon_bin || !guest) {
		fprintf(stderr, "soak: DBGPROXY_VM, DBGPROXYD, GUEST_ARM64 must be set (make soak)\n");
		return 2;
	}
	unsigned long n_packets = env_count("SOAK_PACKETS", 1000000);
	unsigned long n_steps = env_count("SOAK_STEPS", 100000);
	unsigned n_storm = (unsigned)env_count("SOAK_STORM", 1000);
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n_storm + 64) {
		rl.rlim_cur = MIN(rl.rlim_max, (rlim_t)n_storm + 64);
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	in = g_byte_array_new();
	g_autofree char *dir = g_dir_make_tmp("dbgsoak-XXXXXX", NULL);
	g_autofree char *vm_sock = g_build_filename(dir, "vm.sock", NULL);
	g_autofree char *serial = g_build_filename(dir, "serial.log", NULL);
	g_autofree char *log = g_build_filename(dir, "daemon.log", NULL);
	g_autofree char *vcmd = g_strdup_printf(
		"'%s' --arch aarch64 --kernel '%s' --socket '%s' > '%s' 2>&1", vm_bin, guest,
		vm_sock, serial);
	vm_pid = tu_spawn(vcmd);
	tu_wait_file_contains(serial, "arm64 test guest up");
	int port = 0;
	for (int tries = 0; tries < 20 && !port; tries++) {
		int p = 20000 + g_random_int_range(0, 30000);
		g_autofree char *dcmd = g_strdup_printf(
			"'%s' --listen 127.0.0.1:%d --vm '%s' --log-level warning > '%s' 2>&1",
			daemon_bin, p, vm_sock, log);
		daemon_pid = tu_spawn(dcmd);
		for (int i = 0; i < 100 && fd < 0; i++) {
			fd = tu_connect_tcp("127.0.0.1", p);
			if (fd < 0)
				g_usleep(50000);
		}
		if (fd >= 0)
			port = p;
		else
			tu_stop(daemon_pid);
	}
	if (!port) {
		fprintf(stderr, "soak: the daemon did not come up\n");
		return 1;
	}
	send_all("+", 1);
	request("QStartNoAckMode");
	/* the guest's code, for reads; pc is register 32 in the arm64 description */
	uint64_t tick = tu_symbol(guest, "tick");
	g_autofree char *mem_req = g_strdup_printf("m%" G_GINT64_MODIFIER "x,40", tick);

	printf("soak: dbgproxyd + dbgproxy-vm --arch aarch64 (simulated), TCP loopback, no-ack\n");
	packets(20000, mem_req, "20"); /* warm-up */
	figures("after warm-up");

	double t0 = now();
	unsigned long half = n_packets / 2;
	unsigned long errors = packets(half, mem_req, "20");
	figures("packets: half way");
	errors += packets(n_packets - half, mem_req, "20");
	double t = now() - t0;
	printf("  %lu packets in %.1f s (%.0f/s), %lu error replies\n", n_packets, t,
	       n_packets / t, errors);
	figures("packets: done");

	t0 = now();
	unsigned long stepped = 0, odd = 0;
	for (unsigned long i = 0; i < n_steps; i++) {
		char r = request("vCont;s:1");
		if (r == 'T' || r == 'S')
			stepped++;
		else
			odd++;
		if (i == n_steps / 2)
			figures("steps: half way");
	}
	t = now() - t0;
	printf("  %lu single steps in %.1f s (%.0f/s), %lu odd replies\n", stepped, t,
	       stepped / t, odd);
	figures("steps: done");

	double before_rate;
	t0 = now();
	for (int i = 0; i < 2000; i++)
		request(mem_req);
	before_rate = 2000 / (now() - t0);
	/* twice: the first storm's heap stays with the allocator; a leak would
	 * show as growth in the second */
	for (int round = 1; round <= 2; round++) {
		double during_rate = 0;
		unsigned answered = storm(port, n_storm, mem_req, &during_rate);
		printf("  storm %d: %u connections, %u answered or closed within 30 s; the session "
		       "ran %.0f req/s during it (%.0f before: %.0f%%)\n", round, n_storm, answered,
		       during_rate, before_rate, 100.0 * during_rate / before_rate);
		g_usleep(500000);
		figures(round == 1 ? "storm 1: done" : "storm 2: done");
	}

	request("D");
	close(fd);
	tu_stop(daemon_pid);
	tu_stop(vm_pid);
	g_autofree char *logtext = NULL;
	if (g_file_get_contents(log, &logtext, NULL, NULL) && *logtext)
		printf("daemon warnings:\n%s", logtext);
	g_unlink(serial);
	g_unlink(log);
	g_rmdir(dir);
	return 0;
}
