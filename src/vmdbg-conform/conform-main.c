/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * conform-main.c - vmdbg-conform(1): options, the pass/fail/skip table,
 * the exit status.
 */
#include "conform.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

enum { EXIT_PASS = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

void report(struct conform *c, const char *check, enum verdict v, const char *fmt, ...)
{
	static const char *const words[] = { "PASS", "FAIL", "SKIP" };
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	printf("%-4s  %-24s %s\n", words[v], check, detail);
	fflush(stdout);
	if (v == V_PASS)
		c->passed++;
	else if (v == V_FAIL)
		c->failed++;
	else
		c->skipped++;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmdbg-conform --vm PATH [--scratch ADDR [--scratch-len N]] [--code ADDR]\n"
		"                     [--timeout MS]\n"
		"Check a VMM's vmdbg socket against the vmdbg protocol, version %u.\n\n"
		"  --vm PATH         the VMM's vmdbg socket\n"
		"  --scratch ADDR    guest-virtual memory the guest does not use: the only\n"
		"                    memory written (and restored); without it the memory and\n"
		"                    software-breakpoint checks are skipped\n"
		"  --scratch-len N   bytes of it to use, 4..256 (default 64)\n"
		"  --code ADDR       an instruction the guest keeps executing: breakpoint hits\n"
		"                    are checked there (skipped without it)\n"
		"  --timeout MS      the longest wait for one reply or event (default 5000)\n"
		"  -h, --help        this text\n"
		"  -V, --version     the version\n\n"
		"Exit status: 0 every check passed or was skipped, 1 a check failed,\n"
		"2 bad usage.  See vmdbg-conform(1).\n", VMDBG_VERSION);
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-')
		return false;
	*out = v;
	return true;
}

static int parse_args(struct conform *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'm' },
		{ "scratch", required_argument, NULL, 's' },
		{ "scratch-len", required_argument, NULL, 'l' },
		{ "code", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	uint64_t v;
	while ((o = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (o) {
		case 'm':
			c->path = optarg;
			break;
		case 's':
			if (!parse_u64(optarg, &c->scratch))
				goto bad;
			c->have_scratch = true;
			break;
		case 'l':
			if (!parse_u64(optarg, &v) || v < 4 || v > 256)
				goto bad;
			c->scratch_len = (uint32_t)v;
			break;
		case 'c':
			if (!parse_u64(optarg, &c->code))
				goto bad;
			c->have_code = true;
			break;
		case 't':
			if (!parse_u64(optarg, &v) || v == 0 || v > 600000)
				goto bad;
			c->timeout_ms = (int)v;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_PASS);
		case 'V':
			printf("vmdbg-conform (%s) %s, vmdbg protocol %u\n", PACKAGE_NAME, PACKAGE_VERSION,
			       VMDBG_VERSION);
			exit(EXIT_PASS);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmdbg-conform: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (!c->path) {
		fprintf(stderr, "vmdbg-conform: --vm PATH is required\n");
		return EXIT_USAGE;
	}
	return EXIT_PASS;
bad:
	fprintf(stderr, "vmdbg-conform: bad value '%s' (%s)\n", optarg, argv[optind - 1]);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct conform c = { .timeout_ms = 5000, .scratch_len = 64 };
	int rc = parse_args(&c, argc, argv);
	if (rc != EXIT_PASS)
		return rc;
	signal(SIGPIPE, SIG_IGN);  /* a VM that hangs up is a failed check, not our death */
	printf("vmdbg-conform: %s\n", c.path);
	conform_run(&c);
	printf("%u passed, %u failed, %u skipped\n", c.passed, c.failed, c.skipped);
	return c.failed ? EXIT_FAILED : EXIT_PASS;
}
