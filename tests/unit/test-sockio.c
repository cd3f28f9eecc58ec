/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-sockio.c - the shared socket plumbing (src/common/sockio.h): what
 * a Unix listening socket may replace, and the send/receive loops.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "sockio.h"

static char *tmp_path(const char *name)
{
	static char *dir;
	if (!dir)
		dir = g_dir_make_tmp("sockio-XXXXXX", NULL);
	g_assert_nonnull(dir);
	return g_build_filename(dir, name, NULL);
}

static void test_listen_fresh(void)
{
	g_autofree char *path = tmp_path("fresh.sock");
	g_autoptr(GError) err = NULL;
	int fd = sock_listen_unix(path, &err);
	g_assert_no_error(err);
	g_assert_cmpint(fd, >=, 0);
	struct stat st;
	g_assert_cmpint(lstat(path, &st), ==, 0);
	g_assert_true(S_ISSOCK(st.st_mode));
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_cmpint(fcntl(fd, F_GETFL) & O_NONBLOCK, !=, 0);
	g_assert_cmpint(fcntl(fd, F_GETFD) & FD_CLOEXEC, !=, 0);
	close(fd);
	unlink(path);
}

static void test_listen_refuses_a_file(void)
{
	g_autofree char *path = tmp_path("precious.txt");
	g_assert_true(g_file_set_contents(path, "keep me", -1, NULL));
	g_autoptr(GError) err = NULL;
	g_assert_cmpint(sock_listen_unix(path, &err), ==, -1);
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, "is not a socket"));
	g_autofree char *text = NULL;
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	g_assert_cmpstr(text, ==, "keep me");
	unlink(path);
}

static void test_listen_refuses_a_live_socket(void)
{
	g_autofree char *path = tmp_path("live.sock");
	g_autoptr(GError) err = NULL;
	int first = sock_listen_unix(path, &err);
	g_assert_cmpint(first, >=, 0);
	g_assert_cmpint(sock_listen_unix(path, &err), ==, -1);
	g_assert_nonnull(strstr(err->message, "in use by another process"));
	/* the first server still has its socket */
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strcpy(a.sun_path, path);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	g_assert_cmpint(connect(c, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	close(c);
	close(first);
	unlink(path);
}

static void test_listen_replaces_a_stale_socket(void)
{
	g_autofree char *path = tmp_path("stale.sock");
	g_autoptr(GError) err = NULL;
	int old = sock_listen_unix(path, &err);
	g_assert_cmpint(old, >=, 0);
	close(old); /* its server is gone, the file stays */
	int fd = sock_listen_unix(path, &err);
	g_assert_no_error(err);
	g_assert_cmpint(fd, >=, 0);
	close(fd);
	unlink(path);
}

static void test_listen_path_too_long(void)
{
	g_autofree char *path = g_strnfill(200, 'x');
	g_autoptr(GError) err = NULL;
	g_assert_cmpint(sock_listen_unix(path, &err), ==, -1);
	g_assert_nonnull(strstr(err->message, "too long"));
}

static void test_flush_and_recv(void)
{
	int sv[2];
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), ==, 0);
	g_autoptr(GByteArray) out = g_byte_array_new();
	g_autoptr(GByteArray) in = g_byte_array_new();
	uint8_t b = 0x5a;
	for (int i = 0; i < 4 << 20; i++)
		g_byte_array_append(out, &b, 1);
	/* more than the socket buffer: some goes, the rest waits */
	g_assert_cmpint(sock_flush(sv[0], out), ==, SOCK_FLUSH_PENDING);
	g_assert_cmpuint(out->len, <, 4u << 20);
	g_assert_cmpuint(out->len, >, 0);
	guint sent = (4u << 20) - out->len;
	while (in->len < sent) {
		ssize_t n = sock_recv_append(sv[1], in, 65536);
		g_assert_cmpint(n, >, 0);
	}
	g_assert_cmpuint(in->len, ==, sent);
	g_assert_cmpint(in->data[0], ==, 0x5a);
	/* nothing more: EAGAIN, and the buffer keeps its length */
	g_assert_cmpint(sock_recv_append(sv[1], in, 65536), ==, -1);
	g_assert_cmpint(errno, ==, EAGAIN);
	g_assert_cmpuint(in->len, ==, sent);
	/* the peer is gone: an error, not a signal */
	close(sv[1]);
	enum sock_flush r = sock_flush(sv[0], out);
	while (r == SOCK_FLUSH_PENDING)
		r = sock_flush(sv[0], out);
	g_assert_cmpint(r, ==, SOCK_FLUSH_ERROR);
	g_assert_cmpint(errno, ==, EPIPE);
	close(sv[0]);
	/* an empty buffer is done at once */
	g_byte_array_set_size(out, 0);
	g_assert_cmpint(sock_flush(-1, out), ==, SOCK_FLUSH_DONE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sockio/listen/fresh", test_listen_fresh);
	g_test_add_func("/sockio/listen/refuses-a-file", test_listen_refuses_a_file);
	g_test_add_func("/sockio/listen/refuses-a-live-socket", test_listen_refuses_a_live_socket);
	g_test_add_func("/sockio/listen/replaces-a-stale-socket", test_listen_replaces_a_stale_socket);
	g_test_add_func("/sockio/listen/path-too-long", test_listen_path_too_long);
	g_test_add_func("/sockio/flush-and-recv", test_flush_and_recv);
	return g_test_run();
}
