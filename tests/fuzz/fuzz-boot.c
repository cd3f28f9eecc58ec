/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz-boot.c - libFuzzer target for the boot loaders (src/dbgproxy-vm/core/vm-boot.h).
 *
 * Input: byte 0 picks the options, the rest is the kernel image:
 *   bit 0  an initrd (the image's last bytes, bits 4-7 pick how many)
 *   bit 1  a command line
 *   bit 2  firmware tables: an ACPI RSDP at 0xe0000 (revision 0 or 2 by bit 3)
 * The image goes through boot_load() once per protocol (auto, multiboot,
 * multiboot2, Linux) into 4 MiB of guest memory that lies between two
 * canary pages, all filled with a pattern.  After each call:
 *
 *   - the canaries are intact (nothing written outside guest memory);
 *   - refused: an error message, and guest memory exactly as before;
 *   - loaded: every byte that changed lies in the kernel, the boot
 *     information, the initrd or the GDT as the boot_image names them; the
 *     entry point is in guest memory; the mode and the register values
 *     match the protocol; the initrd is there byte for byte; the page
 *     tables of a 64-bit entry lie inside the boot information.
 *
 * Any violation calls abort().
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -Iproto \
 *          $(pkg-config --cflags glib-2.0) tests/fuzz/fuzz-boot.c \
 *          src/dbgproxy-vm/core/vm-boot.c src/dbgproxy-vm/core/vm-boot-mb2.c src/dbgproxy-vm/core/vm-boot-linux.c $(pkg-config --libs glib-2.0)
 * Seeds: tests/fuzz/corpus-boot/ (byte 0, then a small synthetic image of
 * each kind: multiboot ELF32/ELF64/a.out, multiboot2 ELF/address tag/
 * relocatable, Linux 32-bit and 64-bit).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "vm-boot.h"
#include "vm-pclayout.h"

#define FUZZ_NAME "fuzz-boot"
#include "fuzz.h"

#define MEM_SIZE   (4u << 20)
#define CANARY     4096u
#define FILL       0x5a
#define CANARY_BYTE 0xc3
#define RSDP_ADDR  0xe0000u

static uint8_t *arena;    /* canary, guest memory, canary */
static uint8_t *baseline; /* what guest memory holds before each load */

static void put_rsdp(uint8_t *m, uint8_t revision)
{
	uint8_t *r = m + RSDP_ADDR;
	memset(r, 0, 36);
	memcpy(r, "RSD PTR ", 8);
	r[15] = revision;
	r[20] = 36;
}

static bool in(uint64_t a, uint64_t lo, uint64_t hi)
{
	return a >= lo && a < hi;
}

static void check_canaries(void)
{
	for (size_t i = 0; i < CANARY; i++) {
		REQUIRE(arena[i] == CANARY_BYTE);
		REQUIRE(arena[CANARY + MEM_SIZE + i] == CANARY_BYTE);
	}
}

static void check_loaded(const uint8_t *mem, const struct boot_request *req, const struct boot_image *img)
{
	REQUIRE(img->entry < MEM_SIZE);
	REQUIRE(img->load_start < img->load_end && img->load_end <= MEM_SIZE);
	REQUIRE(img->load_start >= PC_BOOT_DATA_ADDR);
	REQUIRE(img->info_start < img->info_end && img->info_end <= MEM_SIZE);
	REQUIRE(img->info_start >= PC_BOOT_DATA_ADDR);
	REQUIRE(req->protocol == BOOT_AUTO || img->protocol == req->protocol);
	switch (img->protocol) {
	case BOOT_MULTIBOOT:
	case BOOT_MULTIBOOT2:
		REQUIRE(img->mode == BOOT_MODE_PROT32);
		REQUIRE(img->eax == (img->protocol == BOOT_MULTIBOOT ? 0x2BADB002u : 0x36D76289u));
		REQUIRE(in(img->ebx, img->info_start, img->info_end));
		break;
	case BOOT_LINUX:
		REQUIRE(img->ebx == 0 && img->eax == 0);
		REQUIRE(img->esi + 4096 <= PC_BASE_MEM_END && in(img->esi, img->info_start, img->info_end));
		if (img->mode == BOOT_MODE_LONG64)
			REQUIRE(img->cr3 >= img->info_start && img->cr3 + 6 * 4096 <= img->info_end);
		else
			REQUIRE(img->mode == BOOT_MODE_PROT32 && img->cr3 == 0);
		break;
	default:
		FAIL("loaded with protocol %d", (int)img->protocol);
	}
	if (req->initrd) {
		REQUIRE(img->initrd_end - img->initrd_start == req->initrd_size);
		REQUIRE(img->initrd_end <= MEM_SIZE);
		REQUIRE(memcmp(mem + img->initrd_start, req->initrd, req->initrd_size) == 0);
	} else {
		REQUIRE(img->initrd_start == 0 && img->initrd_end == 0);
	}
	/* every changed byte in a named area; compare a page at a time first */
	for (uint64_t page = 0; page < MEM_SIZE; page += 4096) {
		if (memcmp(mem + page, baseline + page, 4096) == 0)
			continue;
		for (uint64_t a = page; a < page + 4096; a++) {
			if (mem[a] == baseline[a])
				continue;
			if (in(a, img->load_start, img->load_end) || in(a, img->info_start, img->info_end) ||
			    in(a, img->initrd_start, img->initrd_end) || in(a, PC_GDT_ADDR, PC_GDT_END))
				continue;
			FAIL("%s load wrote byte 0x%" G_GINT64_MODIFIER "x outside its areas",
			     boot_protocol_name(img->protocol), a);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!arena) {
		arena = malloc(MEM_SIZE + 2 * CANARY);
		baseline = malloc(MEM_SIZE);
		memset(arena, CANARY_BYTE, MEM_SIZE + 2 * CANARY);
	}
	if (size < 1)
		return 0;
	uint8_t opts = data[0];
	const uint8_t *image = data + 1;
	size_t image_size = size - 1;
	uint8_t *mem = arena + CANARY;

	memset(baseline, FILL, MEM_SIZE);
	if (opts & 4)
		put_rsdp(baseline, opts & 8 ? 2 : 0);
	memcpy(mem, baseline, MEM_SIZE);

	struct boot_request req = { .mem = mem, .mem_size = MEM_SIZE };
	if (opts & 1) {
		req.initrd_size = MIN(image_size, (size_t)(opts >> 4) * 97);
		req.initrd = image + image_size - req.initrd_size;
		req.initrd_name = "initrd";
	}
	if (opts & 2)
		req.cmdline = "console=ttyS0 fuzz";
	if (opts & 4)
		req.acpi_rsdp = RSDP_ADDR;

	static const enum boot_protocol protos[] = { BOOT_AUTO, BOOT_MULTIBOOT, BOOT_MULTIBOOT2, BOOT_LINUX };
	for (size_t i = 0; i < G_N_ELEMENTS(protos); i++) {
		req.protocol = protos[i];
		struct boot_image img;
		GError *err = NULL;
		bool ok = boot_load(image, image_size, &req, &img, &err);
		check_canaries();
		if (ok) {
			REQUIRE(err == NULL);
			check_loaded(mem, &req, &img);
			memcpy(mem, baseline, MEM_SIZE);
		} else {
			REQUIRE(err != NULL && err->message && err->message[0]);
			g_error_free(err);
			REQUIRE(memcmp(mem, baseline, MEM_SIZE) == 0);
		}
	}
	return 0;
}
