/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * bootimg-dump.c - build the guest memory dbgproxy-vm would boot (firmware
 * tables, then the kernel and its boot information, by the same library
 * calls vm-kvm.c makes) and write it as files QEMU loads:
 *
 *   DIR/low.img   guest-physical 0 .. 0x9ffff
 *   DIR/high.img  1 MiB .. the last non-zero byte
 *   DIR/bios.bin  128 KiB for 0xe0000 .. 0xfffff: the tables area, with
 *                 bootrom (the CPU-state setter) at 0xf8000 and its
 *                 parameters (mode, entry, cr3, eax, ebx, esi) filled in
 *
 *   bootimg-dump --kernel FILE --rom bootrom.bin --out DIR
 *                [--cmdline TEXT] [--mem MIB] [--vcpus N]
 *
 * Then: qemu-system-x86_64 -bios DIR/bios.bin -m MIB
 *       -device loader,file=DIR/low.img,addr=0
 *       -device loader,file=DIR/high.img,addr=0x100000 ...
 */
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "vm-boot.h"
#include "vm-firmware.h"
#include "vm-pclayout.h"

#define BIOS_BASE  0xe0000u
#define BIOS_SIZE  0x20000u
#define ROM_CODE_BASE  0xf8000u

struct rom_params {
	char magic[8];
	uint32_t mode, eax, ebx, esi;
	uint64_t entry, cr3;
};

static bool write_file(const char *dir, const char *name, const uint8_t *data, size_t len,
		       GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	return g_file_set_contents(path, (const char *)data, (gssize)len, error);
}

int main(int argc, char **argv)
{
	g_autofree char *kernel = NULL, *rom = NULL, *out = NULL, *cmdline = NULL;
	gint mem_mib = 128, vcpus = 1;
	GOptionEntry entries[] = {
		{ "kernel", 0, 0, G_OPTION_ARG_FILENAME, &kernel, "kernel", "FILE" },
		{ "rom", 0, 0, G_OPTION_ARG_FILENAME, &rom, "bootrom.bin", "FILE" },
		{ "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "output directory", "DIR" },
		{ "cmdline", 0, 0, G_OPTION_ARG_STRING, &cmdline, "command line", "TEXT" },
		{ "mem", 0, 0, G_OPTION_ARG_INT, &mem_mib, "MiB of RAM", "MIB" },
		{ "vcpus", 0, 0, G_OPTION_ARG_INT, &vcpus, "processors in the tables", "N" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- dump a dbgproxy-vm boot image");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_autoptr(GError) err = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || !kernel || !rom || !out ||
	    mem_mib < 2 || mem_mib > 3072 || vcpus < 1) {
		fprintf(stderr, "usage: bootimg-dump --kernel FILE --rom FILE --out DIR [--cmdline "
			"TEXT] [--mem MIB] [--vcpus N]\n");
		return 2;
	}
	uint64_t mem_size = (uint64_t)mem_mib << 20;
	g_autofree uint8_t *mem = g_malloc0(mem_size);
	g_autoptr(GBytes) image = NULL;
	gsize rom_len = 0;
	g_autofree gchar *rom_bytes = NULL;
	struct pc_firmware fw;
	struct boot_image img;
	if (!boot_read_file(kernel, &image, &err) ||
	    !g_file_get_contents(rom, &rom_bytes, &rom_len, &err) ||
	    !pc_firmware_build(mem, mem_size, (unsigned)vcpus, &fw, &err)) {
		fprintf(stderr, "bootimg-dump: %s\n", err->message);
		return 1;
	}
	gsize size = 0;
	const uint8_t *data = g_bytes_get_data(image, &size);
	struct boot_request req = {
		.mem = mem, .mem_size = mem_size, .cmdline = cmdline, .acpi_rsdp = fw.rsdp,
	};
	if (!boot_load(data, size, &req, &img, &err)) {
		fprintf(stderr, "bootimg-dump: %s: %s\n", kernel, err->message);
		return 1;
	}
	if (rom_len != PC_BIOS_END - ROM_CODE_BASE) {
		fprintf(stderr, "bootimg-dump: %s: expected %u bytes\n", rom, PC_BIOS_END - ROM_CODE_BASE);
		return 1;
	}
	/* the ROM code must not cover anything the loader or the tables wrote */
	for (uint64_t a = ROM_CODE_BASE; a < PC_BIOS_END; a++)
		if (mem[a]) {
			fprintf(stderr, "bootimg-dump: 0x%" G_GINT64_MODIFIER "x is in use\n", a);
			return 1;
		}
	memcpy(mem + ROM_CODE_BASE, rom_bytes, rom_len);
	uint8_t *p = memmem(mem + ROM_CODE_BASE, rom_len, "DBGPBOOT", 8);
	if (!p) {
		fprintf(stderr, "bootimg-dump: no parameter block in %s\n", rom);
		return 1;
	}
	struct rom_params params = {
		.mode = img.mode == BOOT_MODE_LONG64, .eax = img.eax, .ebx = img.ebx, .esi = img.esi,
		.entry = img.entry, .cr3 = img.cr3,
	};
	memcpy(params.magic, "DBGPBOOT", 8);
	memcpy(p, &params, sizeof(params));
	uint64_t top = mem_size;
	while (top > PC_HIGH_MEM && !mem[top - 1])
		top--;
	if (!write_file(out, "low.img", mem, PC_VGA_ADDR, &err) ||
	    !write_file(out, "high.img", mem + PC_HIGH_MEM, top - PC_HIGH_MEM, &err) ||
	    !write_file(out, "bios.bin", mem + BIOS_BASE, BIOS_SIZE, &err)) {
		fprintf(stderr, "bootimg-dump: %s\n", err->message);
		return 1;
	}
	printf("%s: %s, %s entry 0x%" G_GINT64_MODIFIER "x\n", kernel, boot_protocol_name(img.protocol),
	       img.mode == BOOT_MODE_LONG64 ? "64-bit" : "32-bit", img.entry);
	return 0;
}
