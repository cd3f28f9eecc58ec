/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-main.c - dbgproxy-vm: a minimal KVM VMM that boots a kernel on a small
 * PC (multiboot v1/v2 or the Linux boot protocol; x86-64), or a simulated
 * AArch64 machine that runs an ELF, and serves the vmdbg debug protocol on a
 * Unix socket.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <glib.h>

#include "kvm-probe.h"
#include "vm-boot.h"
#include "sockio.h"
#include "vm-server.h"
#include "vm.h"

static bool parse_protocol(const char *name, unsigned *out)
{
	static const struct {
		const char *name;
		enum boot_protocol p;
	} names[] = {
		{ "auto", BOOT_AUTO }, { "multiboot", BOOT_MULTIBOOT },
		{ "multiboot2", BOOT_MULTIBOOT2 }, { "linux", BOOT_LINUX },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(names); i++)
		if (strcmp(name, names[i].name) == 0) {
			*out = names[i].p;
			return true;
		}
	return false;
}

/* COM1 reads the terminal only when dbgproxy-vm owns it: a background job
 * reading its terminal would be stopped (SIGTTIN). */
static int console_input_fd(bool wanted)
{
	if (!wanted)
		return -1;
	signal(SIGTTIN, SIG_IGN); /* put in the background later: reads fail, the guest runs on */
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) != getpgrp())
		return -1;
	return STDIN_FILENO;
}

/* dbgproxy-vm --probe: one "key=value" line a probe (tests decide skips
 * from it), exit 1 when /dev/kvm cannot be used at all. */
static int print_probe(void)
{
	static const char *const res[] = { "unknown", "yes", "no" };
	struct kvm_probe p;
	g_autoptr(GError) err = NULL;
	if (!kvm_probe_all("/dev/kvm", &p, &err)) {
		fprintf(stderr, "dbgproxy-vm: %s\n", err->message);
		return 1;
	}
	printf("int3=%s\n", kvm_int3_mode_name(p.int3));
	printf("sw-breakpoints=%s\n",
	       p.int3 == KVM_INT3_TO_GUEST ? "no" : p.int3 == KVM_INT3_UNKNOWN ? "unknown" : "yes");
	printf("hw-breakpoints=%s\n", res[p.hw_exec]);
	printf("hw-watchpoints=%s\n", res[p.hw_write]);
	printf("single-step=%s\n", res[p.single_step]);
	printf("x87=%s\n", res[p.x87]);
	printf("x87-vm=%s\n", res[p.x87_vm]);
	if (p.detail[0])
		printf("int3-detail=%s\n", p.detail);
	return 0;
}

/* --sve-vl: BITS or BITS,BITS,... (each 0 or 128..2048 in steps of 128). */
static bool parse_sve_vls(const char *arg, GArray *out)
{
	g_auto(GStrv) parts = g_strsplit(arg, ",", -1);
	for (char **p = parts; *p; p++) {
		guint64 v;
		if (!g_ascii_string_to_unsigned(g_strstrip(*p), 10, 0, 2048, &v, NULL) || v % 128)
			return false;
		unsigned u = (unsigned)v;
		g_array_append_val(out, u);
	}
	return out->len > 0;
}

int main(int argc, char **argv)
{
	g_autofree gchar *kernel = NULL, *socket_path = NULL, *cmdline = NULL, *arch = NULL;
	g_autofree gchar *initrd = NULL, *protocol = NULL, *vga = NULL;
	gint vcpus = 1, mem = 64, hw_bps = -1, hw_wps = -1; /* -1: not given */
	g_autofree gchar *sve_vl = NULL, *socket_group = NULL, *socket_mode = NULL;
	gboolean paused = FALSE, version = FALSE, ap_entry = FALSE, no_console = FALSE, probe = FALSE;
	gboolean no_conditions = FALSE, dead_watchpoints = FALSE, dead_breakpoints = FALSE;
	GOptionEntry entries[] = {
		{ "arch", 'a', 0, G_OPTION_ARG_STRING, &arch,
		  "x86_64 (a KVM VM, the default) or aarch64 (a simulated machine)", "ARCH" },
		{ "kernel", 'k', 0, G_OPTION_ARG_FILENAME, &kernel,
		  "x86_64: a multiboot (v1 or v2) kernel (ELF32, ELF64, a.out kludge) or a Linux "
		  "bzImage, gzipped or not; aarch64: ELF64 executable", "FILE" },
		{ "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
		  "Unix socket to serve the vmdbg protocol on (created 0600)", "PATH" },
		{ "socket-group", 0, 0, G_OPTION_ARG_STRING, &socket_group,
		  "Give the socket to this group (name or number; this process must be in it), "
		  "mode 0660 unless --socket-mode says otherwise", "GROUP" },
		{ "socket-mode", 0, 0, G_OPTION_ARG_STRING, &socket_mode,
		  "The socket's mode, octal, at most 0770 (default 0600, or 0660 with "
		  "--socket-group)", "MODE" },
		{ "vcpus", 'c', 0, G_OPTION_ARG_INT, &vcpus, "Number of vCPUs (default 1)", "N" },
		{ "mem", 'm', 0, G_OPTION_ARG_INT, &mem, "Guest memory in MiB (default 64)", "MIB" },
		{ "cmdline", 0, 0, G_OPTION_ARG_STRING, &cmdline,
		  "Kernel command line (multiboot information or Linux boot_params)", "TEXT" },
		{ "initrd", 0, 0, G_OPTION_ARG_FILENAME, &initrd,
		  "x86_64: Linux initrd, or multiboot module 0 (gzipped files are unpacked)", "FILE" },
		{ "boot-protocol", 0, 0, G_OPTION_ARG_STRING, &protocol,
		  "x86_64: auto (default: Linux, then multiboot2, then multiboot), multiboot, "
		  "multiboot2 or linux", "NAME" },
		{ "vga", 0, 0, G_OPTION_ARG_FILENAME, &vga,
		  "x86_64: mirror the VGA text screen (0xb8000) to FILE, 25 lines of text", "FILE" },
		{ "ap-entry", 0, 0, G_OPTION_ARG_NONE, &ap_entry,
		  "x86_64: start the other vCPUs at the kernel's entry (EAX=0x44425041, EBX=index) "
		  "instead of waiting for INIT/SIPI from vCPU 0", NULL },
		{ "no-console-input", 0, 0, G_OPTION_ARG_NONE, &no_console,
		  "x86_64: do not feed standard input to COM1's receiver", NULL },
		{ "hw-bps", 0, 0, G_OPTION_ARG_INT, &hw_bps,
		  "aarch64: hardware breakpoint pairs, 2..16 (default 6)", "N" },
		{ "hw-wps", 0, 0, G_OPTION_ARG_INT, &hw_wps,
		  "aarch64: hardware watchpoint pairs, 2..16 (default 4)", "N" },
		{ "sve-vl", 0, 0, G_OPTION_ARG_STRING, &sve_vl,
		  "aarch64: give the vCPUs SVE with this vector length, 128..2048 bits in "
		  "steps of 128, 0 for none; a list gives each vCPU its own (default: no SVE)",
		  "BITS[,BITS...]" },
		{ "no-conditions", 0, 0, G_OPTION_ARG_NONE, &no_conditions,
		  "aarch64: do not evaluate breakpoint conditions here (vmdbg without CONDITIONS, as "
		  "a VMM without them: the debugger evaluates them)", NULL },
		{ "dead-watchpoints", 0, 0, G_OPTION_ARG_NONE, &dead_watchpoints,
		  "aarch64: watchpoints are accepted but never fire, as on a host like nested "
		  "kvm_pvm (the start-up self-test then tells the debugger to watch with page "
		  "protection)", NULL },
		{ "dead-breakpoints", 0, 0, G_OPTION_ARG_NONE, &dead_breakpoints,
		  "aarch64: hardware breakpoints are accepted but never fire, as in QEMU's emulated "
		  "SVM (the start-up self-test then says HW_BP_DEAD)", NULL },
		{ "paused", 'S', 0, G_OPTION_ARG_NONE, &paused,
		  "Start with every vCPU stopped at the entry point until a debugger resumes it", NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
		{ "probe", 0, 0, G_OPTION_ARG_NONE, &probe,
		  "x86_64: report what this host's KVM does with int3, hardware breakpoints, data "
		  "watchpoints and single steps (tried in a throw-away VM), then exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- KVM VMM serving the vmdbg protocol");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx,
		"x86_64: boots FILE on a small PC (in-kernel irqchip and PIT, 16550A COM1 on\n"
		"stdin/stdout, i8042, CMOS/RTC, BIOS data area, MP and ACPI tables) with\n"
		"the multiboot, multiboot2 or Linux boot protocol.  aarch64: runs FILE on simulated vCPUs\n"
		"laid out like qemu-system-aarch64 -M virt (RAM at 0x40000000, PL011 data\n"
		"register at 0x09000000 to stdout).  Either way one debugger (dbgproxyd)\n"
		"controls it over PATH. See dbgproxy-vm(1) and vmdbg(7).");
	g_autoptr(GError) err = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "dbgproxy-vm: %s\nTry 'dbgproxy-vm --help'.\n", err->message);
		return 2;
	}
	if (version) {
		printf("dbgproxy-vm %s (vmdbg protocol %u)\n", PACKAGE_VERSION, VMDBG_VERSION);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "dbgproxy-vm: unexpected argument '%s'\n", argv[1]);
		return 2;
	}
	if (probe)
		return print_probe();
	if (!kernel || !socket_path) {
		fprintf(stderr, "dbgproxy-vm: --kernel FILE and --socket PATH are required\n");
		return 2;
	}
	gid_t sock_gid = (gid_t)-1;
	if (socket_group && !sock_parse_group(socket_group, &sock_gid)) {
		fprintf(stderr, "dbgproxy-vm: --socket-group: no group '%s'\n", socket_group);
		return 2;
	}
	guint64 sock_mode = socket_group ? 0660 : 0;
	/* whoever reaches the socket controls the guest: never "others" */
	if (socket_mode && (!g_ascii_string_to_unsigned(socket_mode, 8, 0, 0770, &sock_mode, NULL) ||
			    (sock_mode & 0600) != 0600 || (sock_mode & 07))) {
		fprintf(stderr, "dbgproxy-vm: --socket-mode must be octal, 0600..0770 with the "
			"owner's read and write, nothing for others, not '%s'\n", socket_mode);
		return 2;
	}
	uint32_t vm_arch;
	if (!arch || strcmp(arch, "x86_64") == 0 || strcmp(arch, "x86-64") == 0) {
		vm_arch = VMDBG_ARCH_X86_64;
	} else if (strcmp(arch, "aarch64") == 0 || strcmp(arch, "arm64") == 0) {
		vm_arch = VMDBG_ARCH_AARCH64;
	} else {
		fprintf(stderr, "dbgproxy-vm: --arch must be x86_64 or aarch64, not '%s'\n", arch);
		return 2;
	}
	if (vm_arch == VMDBG_ARCH_X86_64 && (hw_bps != -1 || hw_wps != -1 || sve_vl ||
					      no_conditions || dead_watchpoints || dead_breakpoints)) {
		fprintf(stderr, "dbgproxy-vm: --hw-bps, --hw-wps, --sve-vl, --no-conditions, "
			"--dead-watchpoints and --dead-breakpoints are for --arch aarch64\n");
		return 2;
	}
	if (hw_bps == -1)
		hw_bps = 6;
	if (hw_wps == -1)
		hw_wps = 4;
	if (vm_arch == VMDBG_ARCH_AARCH64 &&
	    (hw_bps < 2 || hw_bps > (gint)VMDBG_MAX_DBG_REGS || hw_wps < 2 ||
	     hw_wps > (gint)VMDBG_MAX_DBG_REGS)) {
		fprintf(stderr, "dbgproxy-vm: --hw-bps and --hw-wps must be 2..%u\n",
			VMDBG_MAX_DBG_REGS);
		return 2;
	}
	g_autoptr(GArray) vls = g_array_new(FALSE, FALSE, sizeof(unsigned));
	if (sve_vl && !parse_sve_vls(sve_vl, vls)) {
		fprintf(stderr, "dbgproxy-vm: --sve-vl must be 128..2048 in steps of 128 (0: no SVE), "
			"one for every vCPU or a comma-separated list of one per vCPU, not '%s'\n",
			sve_vl);
		return 2;
	}
	if (vm_arch == VMDBG_ARCH_AARCH64 &&
	    (cmdline || initrd || protocol || vga || ap_entry || no_console)) {
		fprintf(stderr, "dbgproxy-vm: --cmdline, --initrd, --boot-protocol, --vga, --ap-entry "
			"and --no-console-input are for --arch x86_64\n");
		return 2;
	}
	unsigned boot_protocol = BOOT_AUTO;
	if (protocol && !parse_protocol(protocol, &boot_protocol)) {
		fprintf(stderr, "dbgproxy-vm: --boot-protocol must be auto, multiboot, multiboot2 or "
			"linux, not '%s'\n", protocol);
		return 2;
	}
	if (vcpus < 1 || vcpus > (gint)VMDBG_MAX_VCPUS || mem < 2 || mem > 3072) {
		fprintf(stderr, "dbgproxy-vm: --vcpus must be 1..%u and --mem 2..3072 MiB\n",
			VMDBG_MAX_VCPUS);
		return 2;
	}
	if (vls->len > 1 && vls->len != (guint)vcpus) {
		fprintf(stderr, "dbgproxy-vm: --sve-vl %s gives %u vector lengths for %d vCPUs\n",
			sve_vl, vls->len, vcpus);
		return 2;
	}

	/* Kick signals are for vCPU threads only; the control thread keeps
	 * them blocked (vCPU threads unblock them).  Threads inherit this mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	struct vm_config cfg = {
		.arch = vm_arch, .hw_bps = (unsigned)hw_bps, .hw_wps = (unsigned)hw_wps,
		.sve_vl = vls->len ? g_array_index(vls, unsigned, 0) : 0,
		.sve_vls = vls->len > 1 ? (const unsigned *)(void *)vls->data : NULL,
		.no_conditions = no_conditions,
		.dead_watchpoints = dead_watchpoints, .dead_breakpoints = dead_breakpoints, .kernel = kernel, .cmdline = cmdline ? cmdline : "", .nr_vcpus = (unsigned)vcpus,
		.mem_mib = (uint64_t)mem, .start_paused = paused, .serial_fd = STDOUT_FILENO,
		.initrd = initrd, .boot_protocol = boot_protocol, .vga_file = vga,
		.ap_entry = ap_entry,
		.serial_in_fd = vm_arch == VMDBG_ARCH_X86_64 ? console_input_fd(!no_console) : -1,
	};
	struct vm *vm = vm_create(&cfg, &err);
	if (!vm) {
		fprintf(stderr, "dbgproxy-vm: %s\n", err->message);
		return 1;
	}
	int status = server_run_access(vm, socket_path, sock_gid, (mode_t)sock_mode, &err);
	if (status != 0)
		fprintf(stderr, "dbgproxy-vm: %s\n", err->message);
	vm_destroy(vm);
	return status;
}
