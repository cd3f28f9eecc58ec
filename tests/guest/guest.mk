# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# guest.mk - the x86-64 test guest booted by dbgproxy-vm and QEMU.
#
# Included from the top-level (non-recursive) Makefile.am, so every path
# is relative to the top directory: sources under $(srcdir)/tests/guest,
# outputs under tests/guest in the build tree (VPATH-safe).
#
# The guest is built with its own flags only: $(CFLAGS), $(AM_CFLAGS),
# $(CPPFLAGS) and $(LDFLAGS) belong to the host build (which may add
# sanitizers, coverage, -fPIE ...) and must never reach the guest.
#
#   GUEST_ELF  ELF64 x86-64 image with full debug info (for gdb `file`)
#   GUEST_MB   the same image as ELF32, for multiboot loaders (QEMU's
#              -kernel refuses ELF64 multiboot images)
#   GUEST_ARM64  the AArch64 guest (assembly only) for dbgproxy-vm
#              --arch aarch64 and qemu-system-aarch64 -M virt
#   GUEST_ARM64_MT  the AArch64 multi-threaded toy kernel (mt.S, and
#              mt-data.c: data and DWARF only, compiled by clang for
#              AArch64) for the tasks plugin; not built without such a clang
#
# (The link flags are not called GUEST_LDFLAGS: automake -Wall takes any
# *_LDFLAGS for the flags of a program named GUEST and fails the build.)

GUEST_ELF = tests/guest/guest.elf
GUEST_MB = tests/guest/guest.mb
GUEST_ARM64 = tests/guest/arm64/guest.elf
GUEST_ARM64_MT = tests/guest/arm64/mt.elf
# each only where configure found what builds it (X86_GUEST: an x86-64
# host; AARCH64_GUEST: an AArch64 assembler and linker; HAVE_MT_GUEST:
# clang for AArch64 too)
GUEST_IMAGES =
if X86_GUEST
GUEST_IMAGES += $(GUEST_ELF) $(GUEST_MB)
endif
if AARCH64_GUEST
GUEST_IMAGES += $(GUEST_ARM64)
if HAVE_MT_GUEST
GUEST_IMAGES += $(GUEST_ARM64_MT)
MT_GUEST_PATH = $(abs_builddir)/$(GUEST_ARM64_MT)
endif
endif

GUEST_CFLAGS = -m64 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-mno-red-zone -mgeneral-regs-only -mcmodel=small -O1 \
	-fno-omit-frame-pointer -g -nostdlib -std=gnu11 -Wall -Wextra
GUEST_LINKFLAGS = -nostdlib -static -no-pie \
	-Wl,-T,$(srcdir)/tests/guest/guest.ld -Wl,--build-id=none \
	-Wl,-z,max-page-size=4096
GUEST_OBJS = tests/guest/boot.o tests/guest/guest.o

tests/guest/boot.o: $(srcdir)/tests/guest/boot.S
	@$(MKDIR_P) tests/guest
	$(AM_V_CC)$(CC) $(GUEST_CFLAGS) -c -o $@ $(srcdir)/tests/guest/boot.S

tests/guest/guest.o: $(srcdir)/tests/guest/guest.c
	@$(MKDIR_P) tests/guest
	$(AM_V_CC)$(CC) $(GUEST_CFLAGS) -c -o $@ $(srcdir)/tests/guest/guest.c

$(GUEST_ELF): $(GUEST_OBJS) $(srcdir)/tests/guest/guest.ld
	@$(MKDIR_P) tests/guest
	$(AM_V_GEN)$(CC) $(GUEST_CFLAGS) $(GUEST_LINKFLAGS) -o $@ $(GUEST_OBJS)

$(GUEST_MB): $(GUEST_ELF)
	$(AM_V_GEN)$(OBJCOPY) -O elf32-i386 $(GUEST_ELF) $@

tests/guest/arm64/guest.o: $(srcdir)/tests/guest/arm64/guest.S
	@$(MKDIR_P) tests/guest/arm64
	$(AM_V_CC)$(AS_AARCH64) -g -o $@ $(srcdir)/tests/guest/arm64/guest.S

$(GUEST_ARM64): tests/guest/arm64/guest.o $(srcdir)/tests/guest/arm64/guest.ld
	$(AM_V_GEN)$(LD_AARCH64) -T $(srcdir)/tests/guest/arm64/guest.ld --build-id=none \
		-z max-page-size=4096 -o $@ tests/guest/arm64/guest.o

tests/guest/arm64/mt.o: $(srcdir)/tests/guest/arm64/mt.S
	@$(MKDIR_P) tests/guest/arm64
	$(AM_V_CC)$(AS_AARCH64) -g -o $@ $(srcdir)/tests/guest/arm64/mt.S

# data only: no instruction of clang's reaches the simulator
tests/guest/arm64/mt-data.o: $(srcdir)/tests/guest/arm64/mt-data.c
	@$(MKDIR_P) tests/guest/arm64
	$(AM_V_CC)$(CLANG_AARCH64) --target=aarch64-none-elf -ffreestanding -fno-pic \
		-mgeneral-regs-only -O1 -g -c -o $@ $(srcdir)/tests/guest/arm64/mt-data.c

$(GUEST_ARM64_MT): tests/guest/arm64/mt.o tests/guest/arm64/mt-data.o $(srcdir)/tests/guest/arm64/guest.ld
	$(AM_V_GEN)$(LD_AARCH64) -T $(srcdir)/tests/guest/arm64/guest.ld --build-id=none \
		-z max-page-size=4096 -o $@ tests/guest/arm64/mt.o tests/guest/arm64/mt-data.o

EXTRA_DIST += tests/guest/arm64/guest.S tests/guest/arm64/guest.ld \
	tests/guest/arm64/mt.S tests/guest/arm64/mt-data.c
EXTRA_DIST += tests/guest/boot.S tests/guest/guest.c tests/guest/guest.ld \
	tests/guest/guest.mk
CLEANFILES += $(GUEST_ELF) $(GUEST_MB) tests/guest/*.o $(GUEST_ARM64) $(GUEST_ARM64_MT) \
	tests/guest/arm64/*.o
