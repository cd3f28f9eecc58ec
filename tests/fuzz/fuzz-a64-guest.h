/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz-a64-guest.h - the guest the stateful fuzzers' simulated AArch64
 * machine runs: an ELF64 AArch64 executable with one RWX PT_LOAD of
 * 0x200 bytes at RAM_BASE + 0x80000 holding "loop: add x0, x0, #1;
 * b loop" and then zeroed data, entry at the loop.  Include after
 * <elf.h> (itself after ev.h) and fuzz.h; RAM_BASE is the includer's.
 */
#ifndef FUZZ_A64_GUEST_H
#define FUZZ_A64_GUEST_H

/* Writes the image to PATH; FAILs when it cannot. */
static void a64_guest_write(const char *path)
{
	uint8_t img[0x300] = { 0 };
	Elf64_Ehdr *eh = (Elf64_Ehdr *)(void *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_AARCH64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = RAM_BASE + 0x80000;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 1;
	Elf64_Phdr *ph = (Elf64_Phdr *)(void *)(img + sizeof(Elf64_Ehdr));
	ph->p_type = PT_LOAD;
	ph->p_flags = PF_R | PF_W | PF_X;
	ph->p_offset = 0x100;
	ph->p_vaddr = ph->p_paddr = RAM_BASE + 0x80000;
	ph->p_filesz = ph->p_memsz = 0x200;
	ph->p_align = 4;
	static const uint32_t code[] = { 0x91000400u /* add x0, x0, #1 */, 0x17ffffffu /* b .-4 */ };
	memcpy(img + 0x100, code, sizeof(code));
	if (!g_file_set_contents(path, (const char *)img, sizeof(img), NULL))
		FAIL("cannot write the guest image %s", path);
}

#endif
