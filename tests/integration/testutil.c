/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * testutil.c - see testutil.h.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

uint64_t tu_symbol(const char *elf, const char *name)
{
	g_autofree char *out = NULL;
	const char *argv[] = { "nm", elf, NULL };
	g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
				   NULL, NULL, NULL));
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_auto(GStrv) f = g_strsplit(*l, " ", 3);
		if (g_strv_length(f) == 3 && strcmp(f[2], name) == 0)
			return g_ascii_strtoull(f[0], NULL, 16);
	}
	g_error("symbol %s not found in %s", name, elf);
}

bool tu_kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

bool tu_skip_without_kvm(void)
{
	if (tu_kvm_usable())
		return false;
	g_test_skip("no usable /dev/kvm on this host: KVM integration tests need it");
	return true;
}

/* dbgproxy-vm --probe's output, asked once */
static const char *kvm_probe(void)
{
	static char *probe;
	if (!probe) {
		const char *vm = g_getenv("DBGPROXY_VM");
		g_assert_nonnull(vm);
		const char *argv[] = { vm, "--probe", NULL };
		g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
					   NULL, &probe, NULL, NULL, NULL));
	}
	return probe;
}

bool tu_kvm_offers(const char *what)
{
	if (!tu_kvm_usable())
		return false;
	g_autofree char *yes = g_strdup_printf("\n%s=yes\n", what);
	g_autofree char *lines = g_strconcat("\n", kvm_probe(), NULL);
	return strstr(lines, yes) != NULL;
}

bool tu_skip_unless_kvm_offers(const char *what)
{
	if (tu_skip_without_kvm())
		return true;
	if (tu_kvm_offers(what))
		return false;
	g_autofree char *lines = g_strdup(kvm_probe());
	g_strdelimit(lines, "\n", ' ');
	g_autofree char *msg = g_strdup_printf("this KVM host does not offer %s (dbgproxy-vm "
					       "--probe says: %s)", what, lines);
	g_test_skip(msg);
	return true;
}

/* In the child: die with the test.  A failed assertion aborts the test
 * process before its fixture can stop what it started; the kernel then
 * kills the child instead of leaving a VM spinning. */
static void die_with_parent(gpointer data)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

GPid tu_spawn(const char *cmd)
{
	g_autofree char *full = g_strconcat("exec ", cmd, NULL);
	const char *argv[] = { "/bin/sh", "-c", full, NULL };
	GPid pid;
	GError *err = NULL;
	g_assert_true(g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
				    die_with_parent, NULL, &pid, &err));
	g_assert_no_error(err);
	return pid;
}

bool tu_exited(GPid pid, int *status)
{
	return waitpid(pid, status, WNOHANG) == pid;
}

int tu_stop(GPid pid)
{
	int status = 0;
	kill(pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (tu_exited(pid, &status))
			goto done;
		g_usleep(20 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
done:
	g_spawn_close_pid(pid);
	return status;
}

int tu_connect_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	g_strlcpy(a.sun_path, path, sizeof(a.sun_path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(fd, >=, 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int tu_connect_tcp(const char *host, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, host, &a.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(fd, >=, 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int tu_connect_unix_retry(const char *path)
{
	for (int i = 0; i < 250; i++) {
		int fd = tu_connect_unix(path);
		if (fd >= 0)
			return fd;
		g_usleep(20 * 1000);
	}
	return -1;
}

bool tu_wait_file_contains(const char *path, const char *text)
{
	for (int i = 0; i < 600; i++) { /* ~30 s */
		g_autofree char *content = NULL;
		if (g_file_get_contents(path, &content, NULL, NULL) && strstr(content, text))
			return true;
		g_usleep(50 * 1000);
	}
	return false;
}
