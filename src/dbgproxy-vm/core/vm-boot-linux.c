/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-boot-linux.c - the Linux x86 boot protocol (Documentation/arch/x86/
 * boot.rst, zero-page.rst): a bzImage's protected-mode kernel in memory, a
 * zero page (struct boot_params) describing the machine, and the 32-bit or
 * 64-bit entry.  The real-mode setup code is never run (there is no BIOS),
 * so kernels that need it - zImage, iPXE's ipxe.lkrn - cannot boot.
 *
 * Choices:
 *   - protocol 2.06 (Linux 2.6.22) or later: it gives cmdline_size, and
 *     with it every field this loader reads; older kernels are refused;
 *   - a relocatable kernel (2.10+) is loaded at pref_address (when that
 *     is a RAM address above 1 MiB; else at 1 MiB): its decompressor would
 *     move itself there (LOAD_PHYSICAL_ADDR) from any lower address, so
 *     loading it there saves a copy and makes init_size the footprint;
 *   - the memory the kernel needs while it starts is boot.rst's init_size
 *     from its runtime_start: align_up(load, kernel_alignment) but at least
 *     pref_address (relocatable, as the decompressor does) or pref_address;
 *     before 2.10 (no init_size, no pref_address) GRUB's estimate of three
 *     times the protected-mode size, from 1 MiB;
 *   - a command line longer than cmdline_size is refused, not truncated;
 *   - the 64-bit entry (XLF_KERNEL_64) is used when offered: identity page
 *     tables for 0-4 GiB (2 MiB pages) go in the boot data area;
 *   - acpi_rsdp_addr is written whenever given: boot_params changes do not
 *     bump the protocol version (2.14 was burnt) and the field was padding
 *     before, so older kernels ignore it.
 */
#include "vm-boot-priv.h"
#include "vm-pclayout.h"

/* The setup header, at the same offsets in the file and in boot_params. */
#define HDR_START            0x1f1
#define HDR_SETUP_SECTS      0x1f1
#define HDR_BOOT_FLAG        0x1fe
#define HDR_JUMP             0x200
#define HDR_HEADER           0x202
#define HDR_VERSION          0x206
#define HDR_TYPE_OF_LOADER   0x210
#define HDR_LOADFLAGS        0x211
#define HDR_CODE32_START     0x214
#define HDR_RAMDISK_IMAGE    0x218
#define HDR_RAMDISK_SIZE     0x21c
#define HDR_CMD_LINE_PTR     0x228
#define HDR_INITRD_ADDR_MAX  0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE      0x234
#define HDR_XLOADFLAGS       0x236
#define HDR_CMDLINE_SIZE     0x238
#define HDR_HW_SUBARCH       0x23c
#define HDR_HW_SUBARCH_DATA  0x240
#define HDR_SETUP_DATA       0x250
#define HDR_PREF_ADDRESS     0x258
#define HDR_INIT_SIZE        0x260
#define HDR_READ_END         0x264   /* the last field read ends here */

#define BOOT_FLAG_MAGIC      0xAA55u
#define HDRS_MAGIC           0x53726448u /* "HdrS" */
#define LOADED_HIGH          (1u << 0)
#define XLF_KERNEL_64        (1u << 0)
#define XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)
#define TYPE_OF_LOADER_UNDEFINED 0xff
#define SETUP_SECT_MAX       64      /* arch/x86/boot/tools/build.c: 32 KiB of real-mode code */
#define MIN_VERSION          0x0206
#define ENTRY64_OFFSET       0x200

/* boot_params outside the setup header (zero-page.rst). */
#define BP_SIZE              4096
#define BP_ACPI_RSDP_ADDR    0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE  0x0c4
#define BP_E820_ENTRIES      0x1e8
#define BP_HDR_LIMIT         0x290   /* the setup header's hole ends at edd_mbr_sig_buffer */
#define BP_E820_TABLE        0x2d0
#define E820_ENTRY_SIZE      20

/* x86 paging: 4-level tables, 2 MiB pages (Intel SDM Vol. 3A 4.5). */
#define PTE_P                (1ull << 0)
#define PTE_RW               (1ull << 1)
#define PTE_PS               (1ull << 7)
#define IDENT_PDS            4       /* page directories for 0-4 GiB */
#define IDENT_PAGES          (2 + IDENT_PDS) /* PML4, PDPT, PDs */

bool linux_detect(const uint8_t *file, size_t size)
{
	return size >= HDR_HEADER + 4 && le16(file + HDR_BOOT_FLAG) == BOOT_FLAG_MAGIC &&
	       le32(file + HDR_HEADER) == HDRS_MAGIC;
}

/* What the kernel file says. */
struct linux_kernel {
	uint16_t version;
	uint8_t loadflags;
	uint16_t xloadflags;
	size_t setup_size, pm_size;
	uint32_t code32_start, initrd_addr_max, kernel_alignment, cmdline_size, init_size;
	bool relocatable;
	uint64_t pref_address;
};

static bool read_header(const uint8_t *file, size_t size, struct linux_kernel *k, GError **error)
{
	if (!linux_detect(file, size)) {
		g_set_error(error, BOOT_ERROR, 1,
			    "not a Linux bzImage: no boot flag 0xAA55 at 0x1FE and \"HdrS\" at 0x202 "
			    "(kernels older than boot protocol 2.00 are not supported)");
		return false;
	}
	if (size < HDR_READ_END) {
		g_set_error(error, BOOT_ERROR, 1, "Linux setup header truncated (%zu-byte file)", size);
		return false;
	}
	k->version = le16(file + HDR_VERSION);
	if (k->version < MIN_VERSION) {
		g_set_error(error, BOOT_ERROR, 1,
			    "Linux boot protocol %u.%02u is older than 2.06 (Linux 2.6.22), which this loader needs",
			    k->version >> 8, k->version & 0xff);
		return false;
	}
	k->loadflags = file[HDR_LOADFLAGS];
	if (!(k->loadflags & LOADED_HIGH)) {
		g_set_error(error, BOOT_ERROR, 1,
			    "zImage kernel (loadflags LOADED_HIGH clear) loads below 1 MiB through BIOS "
			    "services; only bzImage kernels can boot");
		return false;
	}
	unsigned sects = file[HDR_SETUP_SECTS] ? file[HDR_SETUP_SECTS] : 4;
	if (sects > SETUP_SECT_MAX) {
		g_set_error(error, BOOT_ERROR, 1,
			    "setup_sects %u is more than the %u sectors (32 KiB) of real-mode code Linux allows",
			    sects, SETUP_SECT_MAX);
		return false;
	}
	k->setup_size = (sects + 1) * 512u;
	if (size <= k->setup_size) {
		g_set_error(error, BOOT_ERROR, 1,
			    "Linux kernel truncated: the setup code (%u sectors) ends at byte %zu of a %zu-byte "
			    "file, leaving no protected-mode kernel", sects, k->setup_size, size);
		return false;
	}
	k->pm_size = size - k->setup_size;
	k->code32_start = le32(file + HDR_CODE32_START);
	k->initrd_addr_max = le32(file + HDR_INITRD_ADDR_MAX);
	k->kernel_alignment = le32(file + HDR_KERNEL_ALIGNMENT);
	k->relocatable = file[HDR_RELOCATABLE] != 0;
	k->cmdline_size = le32(file + HDR_CMDLINE_SIZE);
	k->xloadflags = k->version >= 0x020c ? le16(file + HDR_XLOADFLAGS) : 0;
	if (k->version >= 0x020a) {
		k->pref_address = le64(file + HDR_PREF_ADDRESS);
		k->init_size = le32(file + HDR_INIT_SIZE);
	} else {
		/* GRUB's estimate when the kernel does not say */
		k->pref_address = PC_HIGH_MEM;
		k->init_size = (uint32_t)MIN(3 * boot_align_up(k->pm_size, BOOT_PAGE), UINT32_MAX);
	}
	return true;
}

/* boot.rst, init_size: where the kernel runs when loaded at load.  A
 * relocatable kernel never runs below LOAD_PHYSICAL_ADDR, which is its
 * pref_address (arch/x86/boot/compressed/head_{32,64}.S raise the aligned
 * load address to it). */
static uint64_t runtime_start(const struct linux_kernel *k, uint64_t load)
{
	if (k->relocatable)
		return MAX(boot_align_up(load, MAX(k->kernel_alignment, 1u)), k->pref_address);
	return k->pref_address;
}

/* Does the kernel, loaded at load, fit in RAM above 1 MiB while it starts?
 * *end is the end of everything it occupies. */
static bool kernel_fits(const struct linux_kernel *k, uint64_t load, uint64_t mem_size, uint64_t *end)
{
	uint64_t run = runtime_start(k, load);
	if (load < PC_HIGH_MEM || load > mem_size || mem_size - load < k->pm_size ||
	    run < PC_HIGH_MEM || run > mem_size || mem_size - run < k->init_size)
		return false;
	*end = MAX(load + k->pm_size, run + k->init_size);
	return true;
}

static bool choose_load_address(const struct linux_kernel *k, uint64_t mem_size, uint64_t *load,
				uint64_t *end, GError **error)
{
	if (k->relocatable && k->version >= 0x020a && k->pref_address >= PC_HIGH_MEM &&
	    k->pref_address < BOOT_4GIB && kernel_fits(k, k->pref_address, mem_size, end)) {
		*load = k->pref_address;
		return true;
	}
	if (kernel_fits(k, PC_HIGH_MEM, mem_size, end)) {
		*load = PC_HIGH_MEM;
		return true;
	}
	uint64_t run = runtime_start(k, PC_HIGH_MEM);
	g_set_error(error, BOOT_ERROR, 1,
		    "the kernel needs 0x%x bytes (init_size) from 0x%" G_GINT64_MODIFIER "x and 0x%zx "
		    "bytes from 0x%x, more than the %" G_GUINT64_FORMAT " MiB of guest memory hold",
		    k->init_size, run, k->pm_size, PC_HIGH_MEM, mem_size >> 20);
	return false;
}

/* The initrd, page-aligned as high as the kernel allows and above the kernel. */
static bool place_initrd(const struct linux_kernel *k, const struct boot_request *req, uint64_t kernel_end,
			 uint64_t *addr, GError **error)
{
	uint64_t limit = (uint64_t)k->initrd_addr_max + 1;
	if (k->xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G)
		limit = req->mem_size;
	limit = MIN(limit, req->mem_size);
	uint64_t size = req->initrd_size;
	if (limit < size || (limit - size) / BOOT_PAGE * BOOT_PAGE < kernel_end) {
		g_set_error(error, BOOT_ERROR, 1,
			    "the %zu-byte initrd does not fit between the kernel's end 0x%" G_GINT64_MODIFIER
			    "x and 0x%" G_GINT64_MODIFIER "x (initrd_addr_max 0x%x, guest memory %"
			    G_GUINT64_FORMAT " MiB)", req->initrd_size, kernel_end, limit,
			    k->initrd_addr_max, req->mem_size >> 20);
		return false;
	}
	*addr = (limit - size) / BOOT_PAGE * BOOT_PAGE;
	return true;
}

static void build_page_tables(uint8_t *mem, uint64_t base)
{
	uint64_t pml4 = base, pdpt = base + BOOT_PAGE, pd = base + 2 * BOOT_PAGE;
	memset(mem + base, 0, IDENT_PAGES * BOOT_PAGE);
	put64(mem + pml4, pdpt | PTE_P | PTE_RW);
	for (unsigned i = 0; i < IDENT_PDS; i++) {
		put64(mem + pdpt + 8 * i, (pd + i * BOOT_PAGE) | PTE_P | PTE_RW);
		for (unsigned j = 0; j < 512; j++) {
			uint64_t page = ((uint64_t)i << 30) | ((uint64_t)j << 21);
			put64(mem + pd + i * BOOT_PAGE + 8 * j, page | PTE_P | PTE_RW | PTE_PS);
		}
	}
}

struct zero_page_args {
	uint32_t code32_start;
	uint64_t cmdline, initrd, initrd_size;
};

static void build_zero_page(uint8_t *bp, const uint8_t *file, const struct boot_request *req,
			    const struct zero_page_args *a)
{
	memset(bp, 0, BP_SIZE);
	/* the setup header: from 0x1f1 to 0x202 + the jump's offset byte */
	size_t end = MIN((size_t)HDR_HEADER + file[HDR_JUMP + 1], (size_t)BP_HDR_LIMIT);
	memcpy(bp + HDR_START, file + HDR_START, end - HDR_START);

	bp[HDR_TYPE_OF_LOADER] = TYPE_OF_LOADER_UNDEFINED;
	put32(bp + HDR_CODE32_START, a->code32_start);
	put32(bp + HDR_CMD_LINE_PTR, (uint32_t)a->cmdline);
	put32(bp + HDR_RAMDISK_IMAGE, (uint32_t)a->initrd);
	put32(bp + HDR_RAMDISK_SIZE, (uint32_t)a->initrd_size);
	put32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(a->initrd >> 32));
	put32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)(a->initrd_size >> 32));
	/* a PC, and no setup_data list whatever the file held there */
	put32(bp + HDR_HW_SUBARCH, 0);
	put64(bp + HDR_HW_SUBARCH_DATA, 0);
	put64(bp + HDR_SETUP_DATA, 0);
	if (req->acpi_rsdp)
		put64(bp + BP_ACPI_RSDP_ADDR, req->acpi_rsdp);

	struct pc_e820_entry map[PC_E820_MAX];
	size_t n = pc_e820_map(req->mem_size, map);
	bp[BP_E820_ENTRIES] = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = bp + BP_E820_TABLE + i * E820_ENTRY_SIZE;
		put64(e + 0, map[i].addr);
		put64(e + 8, map[i].size);
		put32(e + 16, map[i].type);
	}
}

bool linux_load(const uint8_t *file, size_t size, const struct boot_request *req,
		struct boot_image *out, GError **error)
{
	struct linux_kernel k;
	if (!read_header(file, size, &k, error))
		return false;
	const char *cmdline = req->cmdline ? req->cmdline : "";
	size_t cmdline_len = strlen(cmdline);
	if (cmdline_len > k.cmdline_size) {
		g_set_error(error, BOOT_ERROR, 1,
			    "the command line is %zu bytes; this kernel takes at most %u (cmdline_size)",
			    cmdline_len, k.cmdline_size);
		return false;
	}
	uint64_t load, kernel_end;
	if (!choose_load_address(&k, req->mem_size, &load, &kernel_end, error))
		return false;
	bool long64 = k.xloadflags & XLF_KERNEL_64;
	uint64_t entry;
	if (long64) {
		entry = load + ENTRY64_OFFSET;
		if (k.pm_size <= ENTRY64_OFFSET) {
			g_set_error(error, BOOT_ERROR, 1,
				    "the 64-bit entry at offset 0x200 lies past the %zu-byte protected-mode kernel",
				    k.pm_size);
			return false;
		}
	} else {
		/* code32_start is the entry for a kernel at 1 MiB; it moves with the kernel */
		if (k.code32_start < PC_HIGH_MEM || k.code32_start - PC_HIGH_MEM >= k.pm_size) {
			g_set_error(error, BOOT_ERROR, 1,
				    "code32_start 0x%x is not inside the protected-mode kernel loaded at 0x%x",
				    k.code32_start, PC_HIGH_MEM);
			return false;
		}
		entry = load + (k.code32_start - PC_HIGH_MEM);
	}

	struct boot_window w = { req->mem, 0, req->mem_size, PC_BOOT_DATA_ADDR };
	g_auto(boot_plan_t) p = { 0 };
	boot_plan_init(&p, file, size, &w);
	if (!boot_plan_add_segment(&p, k.setup_size, k.pm_size, load, k.pm_size, error) ||
	    !boot_plan_check_kernel(&p, error))
		return false;
	boot_plan_take(&p, load, kernel_end); /* what it uses while it starts */

	/* boot.rst, relocatable_kernel: code32_start must point to the loaded code */
	struct zero_page_args a = { .code32_start = (uint32_t)(long64 ? load : entry) };
	uint64_t zero_page, tables = 0;
	if (!boot_plan_area(&p, BP_SIZE, BOOT_PAGE, true, "zero page", &zero_page, error) ||
	    (long64 && !boot_plan_area(&p, IDENT_PAGES * BOOT_PAGE, BOOT_PAGE, true, "page tables",
				       &tables, error)) ||
	    !boot_plan_area(&p, cmdline_len + 1, 16, true, "command line", &a.cmdline, error))
		return false;
	if (req->initrd) {
		if (!place_initrd(&k, req, kernel_end, &a.initrd, error))
			return false;
		a.initrd_size = req->initrd_size;
	}

	boot_plan_write_kernel(&p);
	boot_write_gdt(req->mem, long64 ? BOOT_MODE_LONG64 : BOOT_MODE_PROT32);
	build_zero_page(req->mem + zero_page, file, req, &a);
	memcpy(req->mem + a.cmdline, cmdline, cmdline_len + 1);
	if (long64)
		build_page_tables(req->mem, tables);
	if (req->initrd)
		memcpy(req->mem + a.initrd, req->initrd, req->initrd_size);

	out->mode = long64 ? BOOT_MODE_LONG64 : BOOT_MODE_PROT32;
	out->entry = entry;
	out->cr3 = tables;
	out->esi = (uint32_t)zero_page;
	out->load_start = p.load_start;
	out->load_end = p.load_end;
	out->info_start = MIN(zero_page, a.cmdline);
	out->info_end = MAX(zero_page + BP_SIZE, a.cmdline + cmdline_len + 1);
	if (long64) {
		out->info_start = MIN(out->info_start, tables);
		out->info_end = MAX(out->info_end, tables + IDENT_PAGES * BOOT_PAGE);
	}
	if (req->initrd) {
		out->initrd_start = a.initrd;
		out->initrd_end = a.initrd + req->initrd_size;
	}
	return true;
}
