/*
 * vm-boot.h - loading a multiboot (version 1) kernel into guest memory the
 * way qemu-system-x86_64 -kernel does.  Pure: file bytes in, guest memory
 * and the boot register values out.
 */
#ifndef VM_BOOT_H
#define VM_BOOT_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <glib.h>

#define MB_HEADER_MAGIC      0x1BADB002u
#define MB_HEADER_SEARCH     8192u        /* header must lie in the first 8 KiB */
#define MB_FLAG_AOUT_KLUDGE  (1u << 16)   /* address fields are valid */

/* Fixed low-memory layout of what the loader builds for the guest. */
#define BOOT_GDT_ADDR      0x0500u
#define BOOT_MBI_ADDR      0x9000u
#define BOOT_CMDLINE_ADDR  0x9100u
#define BOOT_MMAP_ADDR     0x9400u
#define BOOT_LOADER_ADDR   0x9600u
#define BOOT_AREA_END      0xa000u
#define BOOT_GDT_CODE_SEL  0x10
#define BOOT_GDT_DATA_SEL  0x18

struct boot_image {
	uint64_t entry;      /* physical entry point */
	uint64_t mbi;        /* physical address of the multiboot information */
	uint64_t load_start; /* lowest and highest+1 physical byte loaded */
	uint64_t load_end;
	bool elf64;
};

/* Guest-physical [base, base + size) is held at mem; no segment may start
 * below reserved_end. */
struct boot_window {
	uint8_t *mem;
	uint64_t base, size;
	uint64_t reserved_end;
};

/* Load an ELF executable's PT_LOAD segments at their physical addresses.
 * want_machine: an ELF64 e_machine (EM_AARCH64), or 0 for x86 (EM_386 or
 * EM_X86_64, ELF32 or ELF64).  img->entry is the entry point, moved to its
 * physical address when a segment's virtual and physical addresses differ. */
bool elf_load(const uint8_t *file, size_t size, const struct boot_window *w, unsigned want_machine,
	      struct boot_image *img, GError **error);

/* Load a multiboot kernel (ELF32, ELF64, or a.out-kludge image) into mem
 * and build the multiboot information structure and a flat GDT.  Every
 * offset and size in the file is checked against the file and memory. */
bool multiboot_load(const uint8_t *file, size_t size, uint8_t *mem, uint64_t mem_size,
		    const char *cmdline, struct boot_image *out, GError **error);

#endif
