/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz/ share.
 *
 * Each target is one .c file built with clang -fsanitize=fuzzer (make
 * fuzz); libFuzzer supplies main(), which fuzzes, or with file names given
 * on the command line runs just those inputs.  A target defines FUZZ_NAME,
 * its name as a string literal, before it includes this header:
 *
 *   #define FUZZ_NAME "fuzz-rsp"
 *   #include "fuzz.h"
 *
 * FAIL(fmt, ...) reports a broken invariant on stderr as
 * "FUZZ_NAME: file:line: message" and calls abort(), which libFuzzer
 * reports as a crash, saving the input that caused it.  REQUIRE(cond)
 * FAILs with the text of the condition when cond is false.
 */
#ifndef DBGPROXY_TESTS_FUZZ_FUZZ_H
#define DBGPROXY_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_NAME
#error "define FUZZ_NAME (the target's name, a string literal) before including fuzz.h"
#endif

/* The entry point libFuzzer calls once per input; always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                       \
	do {                                                            \
		fprintf(stderr, FUZZ_NAME ": %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__);                           \
		fputc('\n', stderr);                                    \
		abort();                                                \
	} while (0)

#define REQUIRE(cond)                                                   \
	do {                                                            \
		if (!(cond))                                            \
			FAIL("check failed: %s", #cond);                \
	} while (0)

#endif
