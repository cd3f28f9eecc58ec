/*
 * vm-main.c - dbgproxy-vm: a minimal KVM VMM that boots a multiboot kernel
 * and serves the vmdbg debug protocol on a Unix socket.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <glib.h>

#include "vm-server.h"
#include "vm.h"

int main(int argc, char **argv)
{
	g_autofree gchar *kernel = NULL, *socket_path = NULL, *cmdline = NULL;
	gint vcpus = 1, mem = 64;
	gboolean paused = FALSE, version = FALSE;
	GOptionEntry entries[] = {
		{ "kernel", 'k', 0, G_OPTION_ARG_FILENAME, &kernel,
		  "Multiboot (v1) kernel to boot: ELF32, ELF64 or a.out-kludge image", "FILE" },
		{ "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path,
		  "Unix socket to serve the vmdbg protocol on (created 0600)", "PATH" },
		{ "vcpus", 'c', 0, G_OPTION_ARG_INT, &vcpus, "Number of vCPUs (default 1)", "N" },
		{ "mem", 'm', 0, G_OPTION_ARG_INT, &mem, "Guest memory in MiB (default 64)", "MIB" },
		{ "cmdline", 0, 0, G_OPTION_ARG_STRING, &cmdline,
		  "Kernel command line passed in the multiboot information", "TEXT" },
		{ "paused", 'S', 0, G_OPTION_ARG_NONE, &paused,
		  "Start with every vCPU stopped at the entry point until a debugger resumes it", NULL },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- KVM VMM serving the vmdbg protocol");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx,
		"Boots FILE as qemu-system-x86_64 -kernel would, sends the guest's serial\n"
		"port (COM1) output to stdout, and lets one debugger (dbgproxyd) control it\n"
		"over PATH. See dbgproxy-vm(1) and vmdbg(7).");
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
	if (!kernel || !socket_path) {
		fprintf(stderr, "dbgproxy-vm: --kernel FILE and --socket PATH are required\n");
		return 2;
	}
	if (vcpus < 1 || vcpus > (gint)VMDBG_MAX_VCPUS || mem < 2 || mem > 3072) {
		fprintf(stderr, "dbgproxy-vm: --vcpus must be 1..%u and --mem 2..3072 MiB\n",
			VMDBG_MAX_VCPUS);
		return 2;
	}

	/* Kick signals are for vCPU threads only; the control thread keeps
	 * them blocked (vCPU threads unblock them).  Threads inherit this mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	struct vm_config cfg = {
		.kernel = kernel, .cmdline = cmdline ? cmdline : "", .nr_vcpus = (unsigned)vcpus,
		.mem_mib = (uint64_t)mem, .start_paused = paused, .serial_fd = STDOUT_FILENO,
	};
	struct vm *vm = vm_create(&cfg, &err);
	if (!vm) {
		fprintf(stderr, "dbgproxy-vm: %s\n", err->message);
		return 1;
	}
	int status = server_run(vm, socket_path, &err);
	if (status != 0)
		fprintf(stderr, "dbgproxy-vm: %s\n", err->message);
	vm_destroy(vm);
	return status;
}
