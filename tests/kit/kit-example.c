/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * kit-example.c - the smallest VMM side of vmdbg, built against the
 * installed libvmdbg with nothing but
 *     cc $(pkg-config --cflags vmdbg) kit-example.c $(pkg-config --libs vmdbg)
 * (tests/kit/install.sh does exactly that; README.md shows it).
 *
 * It answers a client's HELLO as a VMM would: decode the request, check
 * it, encode the reply into a fixed buffer (no allocation), and prints
 * the reply's bytes.  A real VMM reads the request from its socket and
 * writes the reply back; the frames are the same.
 */
#include <stdio.h>
#include <string.h>

#include <vmdbg-codec.h>

int main(void)
{
	/* what a client (dbgproxyd) sends first: HELLO, seq 1, version 1 */
	static const uint8_t request[] = {
		0x18, 0, 0, 0, 1, 0, VMDBG_HELLO, 0, 1, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, 0, 0, 0, 0,
	};
	size_t len;
	struct vmdbg_diag diag;
	if (vmdbg_frame_peek(request, sizeof(request), &len, &diag) != VMDBG_FRAME_OK) {
		fprintf(stderr, "not a whole frame\n");
		return 1;
	}
	struct vmdbg_msg m;
	int err = vmdbg_decode(request, len, &m, &diag);
	if (err) {
		fprintf(stderr, "%s: %s\n", vmdbg_err_name((uint32_t)err), diag.text);
		return 1;
	}

	uint8_t mem[256];
	struct vmdbg_buf out;
	vmdbg_buf_init_fixed(&out, mem, sizeof(mem));
	if (m.type != VMDBG_HELLO || m.u.hello.version != VMDBG_VERSION) {
		vmdbg_enc_error(&out.out, m.seq, VMDBG_E_VERSION, "this VMM speaks vmdbg version 1");
	} else {
		struct vmdbg_hello h = {
			.version = VMDBG_VERSION, .arch = VMDBG_ARCH_X86_64, .nr_vcpus = 1,
			.hw_bps = 4, .hw_wps = 4,
			.features = VMDBG_FEAT_HW_SLOTS_SHARED | VMDBG_FEAT_SW_BP | VMDBG_FEAT_SINGLESTEP,
			.max_frame = VMDBG_MAX_FRAME,
		};
		if (vmdbg_enc_hello_reply(&out.out, m.seq, &h) != 0)
			return 1;
	}

	/* the reply decodes as what the client will see */
	struct vmdbg_msg r;
	if (vmdbg_decode(out.data, out.len, &r, &diag) != 0) {
		fprintf(stderr, "reply: %s\n", diag.text);
		return 1;
	}
	printf("%s reply, seq %u, %u vCPU(s), features 0x%x:", vmdbg_type_name(r.type), r.seq,
	       r.u.hello.nr_vcpus, r.u.hello.features);
	for (size_t i = 0; i < out.len; i++)
		printf(" %02x", out.data[i]);
	printf("\n");
	vmdbg_buf_fini(&out);
	return 0;
}
