/* SPDX-License-Identifier: MIT */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmdbg-codec.h - the one encoder/decoder of vmdbg frames (libvmdbg),
 * linked by dbgproxyd, dbgproxy-vm, vmdbg-conform and any VMM that wants
 * it.  Pure C99 and libc: bytes in, structs out, no I/O, no allocation
 * but what a growable struct vmdbg_buf asks of realloc(), no global state.
 *
 * Decoding never copies variable-length data: a decoded message points into
 * the frame it came from, so the frame must outlive the message.  Every
 * length and count is checked against the frame before it is trusted.
 * Failures are enum vmdbg_err codes (the code a VM answers the frame
 * with), with words in a struct vmdbg_diag when the caller passes one.
 */
#ifndef VMDBG_CODEC_H
#define VMDBG_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmdbg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Why a decode failed: code is an enum vmdbg_err, text a NUL-terminated
 * English sentence fit for a log or for the text of the ERROR answer. */
#define VMDBG_DIAG_TEXT 256
struct vmdbg_diag {
	uint32_t code;
	char text[VMDBG_DIAG_TEXT];
};

/* ---- output: where the encoders append frames ------------------------------
 * An encoder computes its frame's length n, asks reserve() for n bytes at
 * the end of the output, and fills them.  reserve() returns NULL when
 * there is no room: the encoder then appends nothing and fails with
 * VMDBG_E_NOSPC.  struct vmdbg_buf is the ready-made output; a program
 * with buffers of its own implements reserve() over them. */
struct vmdbg_out {
	uint8_t *(*reserve)(struct vmdbg_out *out, size_t n);
};

struct vmdbg_buf {
	struct vmdbg_out out;  /* pass &buf.out to the encoders */
	uint8_t *data;         /* the frames, back to back */
	size_t len;            /* bytes of them */
	size_t cap;            /* bytes at data */
	bool fixed;            /* caller's memory: never grown */
};

/* A buffer grown with realloc() (vmdbg_buf_fini frees it), or one over
 * the caller's cap bytes at mem, never grown. */
void vmdbg_buf_init(struct vmdbg_buf *b);
void vmdbg_buf_init_fixed(struct vmdbg_buf *b, void *mem, size_t cap);
void vmdbg_buf_fini(struct vmdbg_buf *b);
/* Forget the first n bytes (those sent): the rest moves to the start. */
void vmdbg_buf_consume(struct vmdbg_buf *b, size_t n);

struct vmdbg_hello {
	uint32_t version;
	uint32_t arch;      /* reply only: enum vmdbg_arch */
	uint32_t nr_vcpus;  /* reply only */
	uint32_t hw_bps;    /* reply only: hardware breakpoint slots */
	uint32_t hw_wps;    /* reply only: hardware watchpoint slots */
	uint32_t features;  /* VMDBG_FEAT_* (request: what the client understands) */
	uint32_t max_frame; /* reply only */
};

/* A list of register ids: REG_LIST reply, GET_REGS request. */
struct vmdbg_reg_ids {
	uint32_t vcpu;
	uint32_t count;
	const uint8_t *ids; /* count little-endian u64 */
};

/* id/value pairs: GET_REGS reply, SET_REGS request.  Each value is
 * vmdbg_reg_bytes(id) long; iterate with vmdbg_regvals_next(). */
struct vmdbg_reg_vals {
	uint32_t vcpu;
	uint32_t count;
	const uint8_t *data;
	size_t len;
};

struct vmdbg_mem {
	uint32_t vcpu;        /* requests: whose page tables translate addr */
	uint32_t len;
	uint64_t addr;
	const uint8_t *data;  /* WRITE_MEM request, READ_MEM reply */
};

struct vmdbg_guest_debug {
	uint32_t control;     /* VMDBG_GDBG_* */
	uint32_t arch;        /* enum vmdbg_arch: selects the union member */
	union {
		struct vmdbg_x86_debugregs x86;
		struct vmdbg_arm64_debugregs arm64;
	} regs;
};

struct vmdbg_sw_bp {
	uint32_t vcpu;
	uint32_t kind;        /* gdb's breakpoint kind (x86: 1, A64: 4) */
	uint64_t addr;        /* guest-virtual */
};

struct vmdbg_resume_entry {
	uint32_t vcpu;
	uint32_t action;      /* enum vmdbg_action */
	uint64_t start, end;  /* RANGE_STEP: the range [start, end); else unused (0) */
};

struct vmdbg_resume {
	uint32_t default_action; /* for vCPUs not listed */
	uint32_t count;
	const uint8_t *entries;  /* count × {u32 vcpu, u32 action} */
	uint32_t nranges;        /* entries with action RANGE_STEP */
	const uint8_t *ranges;   /* nranges × {u64 start, u64 end}, in their order */
};

/* POINT_COND: the condition list and the commands of the breakpoint at
 * addr (gdb agent expressions); none of either removes them.  regs maps
 * the register numbers the bytecode uses (gdb's) to register ids. */
struct vmdbg_cond_reg {
	uint64_t id;
	uint32_t regnum;
};

struct vmdbg_point_cond {
	uint64_t addr;
	uint32_t nregs, nconds, ncmds;
	const uint8_t *regs;   /* nregs × {u64 id, u32 regnum, u32 reserved(0)} */
	const uint8_t *conds;  /* nconds × {u32 len, u8 code[len]}, then ncmds more */
};

/* MEM_MAP reply: guest RAM in the file passed with the reply. */
struct vmdbg_mem_region {
	uint64_t gpa, size, offset;  /* guest-physical [gpa, gpa+size) at file offset */
};

struct vmdbg_mem_map {
	uint32_t translation;        /* enum vmdbg_translation */
	uint32_t nregions;
	uint64_t table_offset;       /* struct vmdbg_shm_bp_table in the file */
	uint32_t table_capacity;
	const uint8_t *regions;      /* nregions × {u64 gpa, u64 size, u64 offset} */
};

/* WATCH_INSERT, WATCH_REMOVE: a page-protection watch on guest-virtual
 * [addr, addr + len), translated through vcpu. */
struct vmdbg_watch {
	uint32_t vcpu;
	uint32_t kind;        /* enum vmdbg_watch_kind */
	uint64_t addr, len;
};

/* WATCH_LIST reply: count records; iterate with vmdbg_watch_list_next(). */
struct vmdbg_watch_list {
	uint32_t count;
	const uint8_t *data;
	size_t len;
};

/* One watch as WATCH_LIST reports it. */
struct vmdbg_watch_info {
	uint64_t addr, len;   /* as inserted */
	uint32_t kind;        /* enum vmdbg_watch_kind */
	uint32_t npages;      /* guest-physical pages protected for it */
	uint64_t hits;        /* accesses reported (STOPPED WATCH) */
	uint64_t silent;      /* accesses to its pages that missed its bytes */
	uint64_t pages[VMDBG_WATCH_MAX_PAGES]; /* their guest-physical addresses */
};

/* OUTPUT event: text a breakpoint command printed on a vCPU. */
struct vmdbg_output {
	uint32_t vcpu;
	uint32_t len;
	const char *text;     /* not NUL-terminated */
};

struct vmdbg_stopped {
	uint32_t vcpu;
	uint32_t reason;      /* enum vmdbg_stop_reason */
	uint64_t pc;
	uint64_t info[3];
};

struct vmdbg_error {
	uint32_t code;        /* enum vmdbg_err */
	uint32_t len;
	const char *text;     /* not NUL-terminated; len bytes of UTF-8 */
};

struct vmdbg_msg {
	uint8_t type;         /* enum vmdbg_type, maybe | VMDBG_REPLY */
	uint32_t seq;
	union {
		struct vmdbg_hello hello;         /* HELLO, HELLO reply */
		uint32_t vcpu;                    /* REG_LIST request */
		struct vmdbg_reg_ids reg_ids;     /* REG_LIST reply, GET_REGS request */
		struct vmdbg_reg_vals reg_vals;   /* GET_REGS reply, SET_REGS request */
		struct vmdbg_mem mem;             /* READ_MEM, WRITE_MEM, READ_MEM reply */
		struct vmdbg_guest_debug gdbg;    /* SET_GUEST_DEBUG */
		struct vmdbg_sw_bp sw_bp;         /* SW_BP_INSERT, SW_BP_REMOVE */
		struct vmdbg_resume resume;       /* RESUME */
		struct vmdbg_point_cond cond;     /* POINT_COND */
		struct vmdbg_output output;       /* EV_OUTPUT */
		struct vmdbg_mem_map mem_map;     /* MEM_MAP reply */
		struct vmdbg_watch watch;         /* WATCH_INSERT, WATCH_REMOVE */
		struct vmdbg_watch_list watch_list; /* WATCH_LIST reply */
		struct vmdbg_stopped stopped;     /* EV_STOPPED */
		struct vmdbg_error error;         /* ERROR */
	} u;
};

/* ---- stream framing ------------------------------------------------------ */

enum vmdbg_frame_status {
	VMDBG_FRAME_NEED_MORE, /* fewer bytes than a whole frame; *frame_len is a hint or 0 */
	VMDBG_FRAME_OK,        /* a whole frame of *frame_len bytes starts at buf */
	VMDBG_FRAME_BAD,       /* the length field is impossible: the stream is lost */
};

/* Look at the start of a byte stream: is a whole frame there?  Only the
 * length field is judged here; vmdbg_decode() judges the rest.  BAD fills
 * diag (may be NULL) with EPROTO. */
enum vmdbg_frame_status vmdbg_frame_peek(const uint8_t *buf, size_t avail,
					 size_t *frame_len, struct vmdbg_diag *diag);

/* Decode one whole frame (as delimited by vmdbg_frame_peek): 0, or the
 * enum vmdbg_err code to answer it with (and diag, when not NULL, says
 * why).  On failure msg->type and msg->seq are still filled in when the
 * header was readable, so the caller can answer with an ERROR for that
 * seq. */
int vmdbg_decode(const uint8_t *frame, size_t len, struct vmdbg_msg *msg,
		 struct vmdbg_diag *diag);

/* Iterators over decoded variable parts.  Safe: decode validated them. */
uint64_t vmdbg_reg_ids_get(const struct vmdbg_reg_ids *ids, uint32_t i);
bool vmdbg_regvals_next(const struct vmdbg_reg_vals *vals, size_t *offset,
			uint64_t *id, const uint8_t **value, uint32_t *size);
/* Register table entry i of a POINT_COND; its conditions and then its
 * commands in order (offset starts at 0; false after the last; *index
 * counts from 0 over both: >= nconds is a command). */
struct vmdbg_cond_reg vmdbg_cond_reg_get(const struct vmdbg_point_cond *c, uint32_t i);
bool vmdbg_cond_next(const struct vmdbg_point_cond *c, size_t *offset, const uint8_t **code,
		     uint32_t *len, uint32_t *index);

/* Entry i, with its range when its action is RANGE_STEP. */
struct vmdbg_resume_entry vmdbg_resume_get(const struct vmdbg_resume *r, uint32_t i);

/* Region i of a MEM_MAP reply. */
struct vmdbg_mem_region vmdbg_mem_region_get(const struct vmdbg_mem_map *m, uint32_t i);

/* The next record of a WATCH_LIST reply (offset starts at 0; false after
 * the last). */
bool vmdbg_watch_list_next(const struct vmdbg_watch_list *l, size_t *offset,
			   struct vmdbg_watch_info *out);

/* Is this a register id this protocol allows (known arch, size <= U2048)? */
bool vmdbg_reg_id_valid(uint64_t id);

/* Human names, for logs and errors. */
const char *vmdbg_type_name(uint8_t type);
const char *vmdbg_err_name(uint32_t code);

/* ---- encoding -------------------------------------------------------------
 * Each appends one whole frame to out and returns 0; or appends nothing
 * and returns VMDBG_E_NOSPC (out has no room) or VMDBG_E_INVAL (the frame
 * would exceed VMDBG_MAX_FRAME).  Values are written as given: a caller
 * that encodes what the spec forbids gets a frame its peer refuses. */
int vmdbg_enc_hello_request(struct vmdbg_out *out, uint32_t seq, uint32_t version,
			     uint32_t features);
int vmdbg_enc_hello_reply(struct vmdbg_out *out, uint32_t seq, const struct vmdbg_hello *h);
int vmdbg_enc_reg_list_request(struct vmdbg_out *out, uint32_t seq, uint32_t vcpu);
int vmdbg_enc_reg_ids(struct vmdbg_out *out, uint8_t type, uint32_t seq, uint32_t vcpu,
		       const uint64_t *ids, uint32_t count);
/* GET_REGS reply / SET_REGS request: values[i] has vmdbg_reg_bytes(ids[i])
 * bytes, all concatenated in one buffer. */
int vmdbg_enc_reg_vals(struct vmdbg_out *out, uint8_t type, uint32_t seq, uint32_t vcpu,
			const uint64_t *ids, uint32_t count, const uint8_t *values);
int vmdbg_enc_read_mem(struct vmdbg_out *out, uint32_t seq, uint32_t vcpu,
			uint64_t addr, uint32_t len);
int vmdbg_enc_read_mem_reply(struct vmdbg_out *out, uint32_t seq, uint64_t addr,
			      const uint8_t *data, uint32_t len);
int vmdbg_enc_write_mem(struct vmdbg_out *out, uint32_t seq, uint32_t vcpu,
			 uint64_t addr, const uint8_t *data, uint32_t len);
int vmdbg_enc_set_guest_debug(struct vmdbg_out *out, uint32_t seq,
			       const struct vmdbg_guest_debug *g);
int vmdbg_enc_sw_bp(struct vmdbg_out *out, uint8_t type, uint32_t seq,
		     const struct vmdbg_sw_bp *bp);
/* Entries with action RANGE_STEP carry their range (start, end). */
int vmdbg_enc_resume(struct vmdbg_out *out, uint32_t seq, uint32_t default_action,
		      const struct vmdbg_resume_entry *entries, uint32_t count);
/* codes/lens: nconds conditions, then ncmds commands */
int vmdbg_enc_point_cond(struct vmdbg_out *out, uint32_t seq, uint64_t addr,
			  const struct vmdbg_cond_reg *regs, uint32_t nregs,
			  const uint8_t *const *codes, const uint32_t *lens, uint32_t nconds,
			  uint32_t ncmds);
int vmdbg_enc_mem_map_reply(struct vmdbg_out *out, uint32_t seq, const struct vmdbg_mem_map *m,
			     const struct vmdbg_mem_region *regions);
int vmdbg_enc_watch(struct vmdbg_out *out, uint8_t type, uint32_t seq, const struct vmdbg_watch *w);
int vmdbg_enc_watch_list_reply(struct vmdbg_out *out, uint32_t seq, const struct vmdbg_watch_info *w,
				uint32_t count);
int vmdbg_enc_output(struct vmdbg_out *out, uint32_t vcpu, const char *text, uint32_t len);
int vmdbg_enc_stopped(struct vmdbg_out *out, const struct vmdbg_stopped *s);
int vmdbg_enc_error(struct vmdbg_out *out, uint32_t seq, uint32_t code, const char *text);
/* A message without payload: PAUSE, DETACH, MEM_MAP, WATCH_LIST, and every empty "OK" reply. */
int vmdbg_enc_empty(struct vmdbg_out *out, uint8_t type, uint32_t seq);

#ifdef __cplusplus
}
#endif

#endif /* VMDBG_CODEC_H */
