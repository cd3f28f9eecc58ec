/* SPDX-License-Identifier: MIT */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmdbg.h - the vmdbg wire protocol: constants, register ids and the
 * architecture debug-register layouts that both dbgproxyd and a VMM use.
 *
 * proto/vmdbg.md is the normative description; this header mirrors it.
 * Every multi-byte field on the wire is little-endian.  Nothing outside
 * proto/ builds or parses frames by hand (but vmdbg-conform's deliberately
 * malformed ones): use vmdbg-codec.h.  Installed with libvmdbg.
 */
#ifndef VMDBG_H
#define VMDBG_H

#include <stdint.h>

#define VMDBG_VERSION        1u
#define VMDBG_HDR_SIZE       16u          /* len, version, type, seq, reserved */
#define VMDBG_MAX_FRAME      (1u << 20)   /* whole frame, header included */
#define VMDBG_MAX_MEM_XFER   (64u * 1024) /* READ_MEM / WRITE_MEM payload bytes */
#define VMDBG_MAX_REGS       4096u        /* ids in one REG_LIST / GET_REGS / SET_REGS */
#define VMDBG_MAX_ERROR_TEXT 1024u
#define VMDBG_MAX_VCPUS      256u
#define VMDBG_MAX_DBG_REGS   16u          /* KVM_ARM_MAX_DBG_REGS */

/* Message types.  A reply has the request's type with VMDBG_REPLY set and
 * the request's sequence number; events carry sequence number 0. */
enum vmdbg_type {
	VMDBG_HELLO           = 0x01,
	VMDBG_REG_LIST        = 0x02,
	VMDBG_GET_REGS        = 0x03,
	VMDBG_SET_REGS        = 0x04,
	VMDBG_READ_MEM        = 0x05,
	VMDBG_WRITE_MEM       = 0x06,
	VMDBG_SET_GUEST_DEBUG = 0x07,
	VMDBG_SW_BP_INSERT    = 0x08,
	VMDBG_SW_BP_REMOVE    = 0x09,
	VMDBG_PAUSE           = 0x0a,
	VMDBG_RESUME          = 0x0b,
	VMDBG_DETACH          = 0x0c,
	VMDBG_POINT_COND      = 0x0d,
	VMDBG_MEM_MAP         = 0x0e,
	VMDBG_WATCH_INSERT    = 0x0f,
	VMDBG_WATCH_REMOVE    = 0x10,
	VMDBG_WATCH_LIST      = 0x11,
	VMDBG_EV_STOPPED      = 0x40,
	VMDBG_EV_OUTPUT       = 0x41,
	VMDBG_ERROR           = 0x7f,
};
#define VMDBG_REPLY       0x80u
#define VMDBG_TYPE_MASK   0x7fu

/* Architectures (HELLO reply). */
enum vmdbg_arch {
	VMDBG_ARCH_X86_64  = 1,
	VMDBG_ARCH_AARCH64 = 2,
};

/* HELLO feature bits (VM side). */
#define VMDBG_FEAT_HW_SLOTS_SHARED (1u << 0) /* bp and wp share slots (x86 DR0-3) */
#define VMDBG_FEAT_SW_BP           (1u << 1) /* SW_BP_INSERT/REMOVE supported */
#define VMDBG_FEAT_SINGLESTEP      (1u << 2) /* RESUME action STEP supported */
#define VMDBG_FEAT_BLOCKIRQ        (1u << 3) /* stepping blocks interrupts */
#define VMDBG_FEAT_SIMULATED       (1u << 4) /* not KVM: an instruction-set simulator */
#define VMDBG_FEAT_RANGE_STEP      (1u << 5) /* RESUME action RANGE_STEP supported */
#define VMDBG_FEAT_CONDITIONS      (1u << 6) /* POINT_COND: breakpoint conditions in the VM */
#define VMDBG_FEAT_SHARED_MEM      (1u << 7) /* MEM_MAP: guest RAM shared as a memfd */
#define VMDBG_FEAT_PAGE_WATCH      (1u << 8) /* WATCH_INSERT/REMOVE/LIST: page protection */
#define VMDBG_FEAT_HW_WATCH_DEAD   (1u << 9) /* data breakpoints in the slots never fire here */
#define VMDBG_FEAT_HW_BP_DEAD      (1u << 10) /* execution breakpoints in the slots never fire here */

/* WATCH_INSERT kinds: gdb's Z packet types. */
enum vmdbg_watch_kind {
	VMDBG_WATCH_WRITE  = 2,
	VMDBG_WATCH_READ   = 3,
	VMDBG_WATCH_ACCESS = 4,
};
/* WATCH_INSERT limits: bytes per watch, watches per VM. */
#define VMDBG_MAX_WATCH_LEN   (64u * 1024)
#define VMDBG_MAX_WATCHES     64u
/* pages one watch can cover: its bytes, plus one when they start mid-page */
#define VMDBG_WATCH_MAX_PAGES (VMDBG_MAX_WATCH_LEN / 4096 + 1)

/* MEM_MAP: how the client turns a guest-virtual address into a
 * guest-physical one, and the table of patched software breakpoints kept
 * in the shared file (native byte order: both peers are on one host). */
enum vmdbg_translation {
	VMDBG_XLATE_IDENTITY = 1,  /* guest-virtual = guest-physical */
	VMDBG_XLATE_X86      = 2,  /* x86 paging from the vCPU's CR0, CR3, CR4, EFER */
};
#define VMDBG_MAX_MEM_REGIONS 64u

struct vmdbg_shm_bp {
	uint64_t gpa;              /* first patched byte */
	uint32_t len;              /* 1..4 */
	uint8_t orig[4];           /* the guest's bytes under the patch */
};
struct vmdbg_shm_bp_table {
	uint32_t seq;              /* odd while the VM changes the table */
	uint32_t count;            /* entries in use, sorted by gpa */
	struct vmdbg_shm_bp e[];   /* table_capacity of them */
};

/* POINT_COND limits. */
#define VMDBG_MAX_CONDS      32u    /* expressions per point, and commands per point */
#define VMDBG_MAX_COND_LEN   4096u  /* bytes per expression */
#define VMDBG_MAX_COND_REGS  256u   /* register table entries per point */

/* ERROR codes. */
enum vmdbg_err {
	VMDBG_E_PROTO   = 1,  /* malformed frame */
	VMDBG_E_VERSION = 2,  /* unsupported protocol version */
	VMDBG_E_UNKNOWN = 3,  /* unknown message type */
	VMDBG_E_INVAL   = 4,  /* bad argument (vCPU, register id, length, flags) */
	VMDBG_E_STATE   = 5,  /* not possible now (vCPU running, no HELLO, guest dead) */
	VMDBG_E_FAULT   = 6,  /* guest address not mapped */
	VMDBG_E_EXIST   = 7,  /* breakpoint already inserted */
	VMDBG_E_NOENT   = 8,  /* no such breakpoint */
	VMDBG_E_BUSY    = 9,  /* another debugger is connected */
	VMDBG_E_NOSPC   = 10, /* table full */
	VMDBG_E_HOST    = 11, /* a host call (ioctl) failed */
};

/* SET_GUEST_DEBUG control bits. */
#define VMDBG_GDBG_ENABLE  (1u << 0) /* guest debugging on */
#define VMDBG_GDBG_USE_HW  (1u << 1) /* the arch registers are live */
#define VMDBG_GDBG_VALID   (VMDBG_GDBG_ENABLE | VMDBG_GDBG_USE_HW)

/* RESUME actions. */
enum vmdbg_action {
	VMDBG_ACT_STAY     = 0, /* leave this vCPU stopped */
	VMDBG_ACT_CONTINUE = 1,
	VMDBG_ACT_STEP     = 2, /* one instruction, interrupts blocked */
	VMDBG_ACT_RANGE_STEP = 3, /* steps while pc is in [start, end) (entries only) */
};

/* STOPPED reasons.  info[] meaning is given per reason and arch. */
enum vmdbg_stop_reason {
	VMDBG_STOP_DEBUG      = 1, /* debug exit. x86: info0 exception, info1 dr6, info2 dr7.
	                              AArch64: info0 ESR, info1 FAR. */
	VMDBG_STOP_SW_BP      = 2, /* a VM-owned software breakpoint; info0 = its address */
	VMDBG_STOP_SHUTDOWN   = 3, /* the guest is over: info0 = enum vmdbg_shutdown_cause */
	VMDBG_STOP_HALTED     = 4, /* guest halted for good (no vCPU can wake it) */
	VMDBG_STOP_INTERNAL   = 5, /* host/KVM failure: info0 exit reason, info1 suberror */
	VMDBG_STOP_UNDEFINED  = 6, /* undefined instruction: info0 = its encoding */
	VMDBG_STOP_FAULT      = 7, /* access outside guest memory (simulated back end):
	                              info0 = the address, info1 = 1 for an instruction fetch */
	VMDBG_STOP_WATCH      = 8, /* a page-protection watch fired: info0 = the watch's address
	                              as inserted, info1 = the access's guest-physical address,
	                              info2 = VMDBG_WATCH_ACC_* | size << 8 | watch kind << 16 */
};
#define VMDBG_STOP_REASON_MAX VMDBG_STOP_WATCH
#define VMDBG_WATCH_ACC_READ   1u
#define VMDBG_WATCH_ACC_WRITE  2u

/* Why a guest died (STOPPED SHUTDOWN info0). */
enum vmdbg_shutdown_cause {
	VMDBG_SHUTDOWN_FAULT    = 0, /* x86 triple fault (KVM_EXIT_SHUTDOWN), or unknown */
	VMDBG_SHUTDOWN_RESET    = 1, /* the guest asked for a reset (i8042 0xFE, port 0xCF9,
	                                PSCI SYSTEM_RESET) */
	VMDBG_SHUTDOWN_POWEROFF = 2, /* the guest powered off (PSCI SYSTEM_OFF, ACPI) */
};

/* ---- register ids ------------------------------------------------------
 * KVM ONE_REG encoding: arch (bits 63..56) | size (bits 55..52) | index.
 * The size field is log2 of the value's byte count: U8 = 0 ... U2048 = 8. */
#define VMDBG_REG_ARCH_MASK   0xff00000000000000ull
#define VMDBG_REG_ARCH_X86    0x2000000000000000ull /* KVM_REG_X86 */
#define VMDBG_REG_ARCH_ARM64  0x6000000000000000ull /* KVM_REG_ARM64 */
#define VMDBG_REG_SIZE_SHIFT  52
#define VMDBG_REG_SIZE_MASK   0x00f0000000000000ull
#define VMDBG_REG_SIZE_MAX    8u                    /* U2048 */
#define VMDBG_REG_SIZE(log2)  ((uint64_t)(log2) << VMDBG_REG_SIZE_SHIFT)
#define VMDBG_REG_U8    VMDBG_REG_SIZE(0)
#define VMDBG_REG_U16   VMDBG_REG_SIZE(1)
#define VMDBG_REG_U32   VMDBG_REG_SIZE(2)
#define VMDBG_REG_U64   VMDBG_REG_SIZE(3)
#define VMDBG_REG_U128  VMDBG_REG_SIZE(4)
#define VMDBG_REG_U256  VMDBG_REG_SIZE(5)
#define VMDBG_REG_U512  VMDBG_REG_SIZE(6)
#define VMDBG_REG_U1024 VMDBG_REG_SIZE(7)
#define VMDBG_REG_U2048 VMDBG_REG_SIZE(8)

static inline unsigned vmdbg_reg_size_log2(uint64_t id)
{
	return (unsigned)((id & VMDBG_REG_SIZE_MASK) >> VMDBG_REG_SIZE_SHIFT);
}

/* Byte count of a register id's value, or 0 if the size field is invalid. */
static inline uint32_t vmdbg_reg_bytes(uint64_t id)
{
	unsigned l = vmdbg_reg_size_log2(id);
	return l <= VMDBG_REG_SIZE_MAX ? 1u << l : 0;
}

/*
 * x86-64 ids, defined by this protocol (KVM has no ONE_REG ids for x86's
 * architectural state).  Index = group << 16 | number.  Values are the
 * register's natural little-endian bytes.  x87 st0-7 are 80-bit extended
 * values carried in a U128 container: bytes 0-9 significant, 10-15 zero
 * (the FXSAVE layout); the VMDBG_X86_F80 bit in the index marks that.
 */
#define VMDBG_X86_GROUP_SHIFT 16
#define VMDBG_X86_F80        (1ull << 15)
#define VMDBG_X86_ID(size, group, num) \
	(VMDBG_REG_ARCH_X86 | (size) | ((uint64_t)(group) << VMDBG_X86_GROUP_SHIFT) | (uint64_t)(num))

enum vmdbg_x86_group {
	VMDBG_X86_G_GPR    = 1, /* rax..r15 (0..15 in gdb order), rip 16, rflags 17 */
	VMDBG_X86_G_SEG    = 2, /* cs ss ds es fs gs 0..5, fs_base 6, gs_base 7, k_gs_base 8 */
	VMDBG_X86_G_CR     = 3, /* cr0 0, cr2 2, cr3 3, cr4 4, cr8 8, efer 16 */
	VMDBG_X86_G_X87    = 4, /* st0..7 0..7, fctrl 8 fstat 9 ftag 10 fiseg 11 fioff 12 foseg 13 fooff 14 fop 15 */
	VMDBG_X86_G_SSE    = 5, /* xmm0..15 0..15, mxcsr 16 */
	VMDBG_X86_G_AVX    = 6, /* ymm0h..ymm15h: bits 255..128 of ymm0..15 */
	VMDBG_X86_G_AVX512 = 7, /* zmm0h..15h (bits 511..256) 0..15, zmm16..31 16..31, k0..7 32..39 */
};

/* gdb's amd64 GPR order: rax rbx rcx rdx rsi rdi rbp rsp r8..r15 */
#define VMDBG_X86_RAX    VMDBG_X86_ID(VMDBG_REG_U64, VMDBG_X86_G_GPR, 0)
#define VMDBG_X86_GPR(n) VMDBG_X86_ID(VMDBG_REG_U64, VMDBG_X86_G_GPR, (n))
#define VMDBG_X86_RSP    VMDBG_X86_GPR(7)
#define VMDBG_X86_RBP    VMDBG_X86_GPR(6)
#define VMDBG_X86_RIP    VMDBG_X86_ID(VMDBG_REG_U64, VMDBG_X86_G_GPR, 16)
#define VMDBG_X86_RFLAGS VMDBG_X86_ID(VMDBG_REG_U32, VMDBG_X86_G_GPR, 17)
#define VMDBG_X86_SEL(n) VMDBG_X86_ID(VMDBG_REG_U16, VMDBG_X86_G_SEG, (n))
#define VMDBG_X86_FS_BASE    VMDBG_X86_ID(VMDBG_REG_U64, VMDBG_X86_G_SEG, 6)
#define VMDBG_X86_GS_BASE    VMDBG_X86_ID(VMDBG_REG_U64, VMDBG_X86_G_SEG, 7)
#define VMDBG_X86_K_GS_BASE  VMDBG_X86_ID(VMDBG_REG_U64, VMDBG_X86_G_SEG, 8)
#define VMDBG_X86_CR(n)  VMDBG_X86_ID(VMDBG_REG_U64, VMDBG_X86_G_CR, (n))
#define VMDBG_X86_EFER   VMDBG_X86_ID(VMDBG_REG_U64, VMDBG_X86_G_CR, 16)
#define VMDBG_X86_ST(n)  VMDBG_X86_ID(VMDBG_REG_U128, VMDBG_X86_G_X87, VMDBG_X86_F80 | (n))
#define VMDBG_X86_FCTRL  VMDBG_X86_ID(VMDBG_REG_U16, VMDBG_X86_G_X87, 8)
#define VMDBG_X86_FSTAT  VMDBG_X86_ID(VMDBG_REG_U16, VMDBG_X86_G_X87, 9)
#define VMDBG_X86_FTAG   VMDBG_X86_ID(VMDBG_REG_U16, VMDBG_X86_G_X87, 10)
#define VMDBG_X86_FISEG  VMDBG_X86_ID(VMDBG_REG_U16, VMDBG_X86_G_X87, 11)
#define VMDBG_X86_FIOFF  VMDBG_X86_ID(VMDBG_REG_U32, VMDBG_X86_G_X87, 12)
#define VMDBG_X86_FOSEG  VMDBG_X86_ID(VMDBG_REG_U16, VMDBG_X86_G_X87, 13)
#define VMDBG_X86_FOOFF  VMDBG_X86_ID(VMDBG_REG_U32, VMDBG_X86_G_X87, 14)
#define VMDBG_X86_FOP    VMDBG_X86_ID(VMDBG_REG_U16, VMDBG_X86_G_X87, 15)
#define VMDBG_X86_XMM(n) VMDBG_X86_ID(VMDBG_REG_U128, VMDBG_X86_G_SSE, (n))
#define VMDBG_X86_MXCSR  VMDBG_X86_ID(VMDBG_REG_U32, VMDBG_X86_G_SSE, 16)
#define VMDBG_X86_YMMH(n) VMDBG_X86_ID(VMDBG_REG_U128, VMDBG_X86_G_AVX, (n))
#define VMDBG_X86_ZMMH(n) VMDBG_X86_ID(VMDBG_REG_U256, VMDBG_X86_G_AVX512, (n))
#define VMDBG_X86_ZMM(n)  VMDBG_X86_ID(VMDBG_REG_U512, VMDBG_X86_G_AVX512, (n)) /* n = 16..31 */
#define VMDBG_X86_K(n)    VMDBG_X86_ID(VMDBG_REG_U64, VMDBG_X86_G_AVX512, 32 + (n))

/*
 * AArch64 ids are KVM's own (arch/arm64/include/uapi/asm/kvm.h, absent from
 * x86 hosts' headers, hence spelled out here).  Core registers index
 * struct kvm_regs in 32-bit words: user_pt_regs {x0-x30, sp, pc, pstate},
 * sp_el1, elr_el1, spsr[5], then (16-byte aligned, at byte 336)
 * user_fpsimd_state {vregs[32], fpsr, fpcr}.
 */
#define VMDBG_ARM64_CORE        (VMDBG_REG_ARCH_ARM64 | (0x0010ull << 16)) /* KVM_REG_ARM_CORE */
#define VMDBG_ARM64_CORE_REG(size, word) (VMDBG_ARM64_CORE | (size) | (uint64_t)(word))
#define VMDBG_ARM64_X(n)        VMDBG_ARM64_CORE_REG(VMDBG_REG_U64, 2 * (n))
#define VMDBG_ARM64_SP          VMDBG_ARM64_CORE_REG(VMDBG_REG_U64, 62)
#define VMDBG_ARM64_PC          VMDBG_ARM64_CORE_REG(VMDBG_REG_U64, 64)
#define VMDBG_ARM64_PSTATE      VMDBG_ARM64_CORE_REG(VMDBG_REG_U64, 66)
#define VMDBG_ARM64_SP_EL1      VMDBG_ARM64_CORE_REG(VMDBG_REG_U64, 68)
#define VMDBG_ARM64_ELR_EL1     VMDBG_ARM64_CORE_REG(VMDBG_REG_U64, 70)
#define VMDBG_ARM64_SPSR(i)     VMDBG_ARM64_CORE_REG(VMDBG_REG_U64, 72 + 2 * (i)) /* i = 0 (EL1) .. 4 */
#define VMDBG_ARM64_V(n)        VMDBG_ARM64_CORE_REG(VMDBG_REG_U128, 84 + 4 * (n))
#define VMDBG_ARM64_FPSR        VMDBG_ARM64_CORE_REG(VMDBG_REG_U32, 212)
#define VMDBG_ARM64_FPCR        VMDBG_ARM64_CORE_REG(VMDBG_REG_U32, 213)
/* KVM_REG_ARM64_SYSREG: op0 op1 CRn CRm op2 of the MRS/MSR encoding */
#define VMDBG_ARM64_SYSREG_GROUP (0x0013ull << 16)
#define VMDBG_ARM64_SYSREG(op0, op1, crn, crm, op2)                                          \
	(VMDBG_REG_ARCH_ARM64 | VMDBG_REG_U64 | VMDBG_ARM64_SYSREG_GROUP |                    \
	 ((uint64_t)(op0) << 14) | ((uint64_t)(op1) << 11) | ((uint64_t)(crn) << 7) |          \
	 ((uint64_t)(crm) << 3) | (uint64_t)(op2))
#define VMDBG_ARM64_GROUP_MASK   (0xffffull << 16)
/* KVM_REG_ARM64_SVE: Z registers as 2048-bit containers, P and FFR as
 * 256-bit ones (slice 0: vector lengths up to 2048 bits need no other);
 * bits past the vCPU's vector length read as zero and must be written as
 * zero.  With SVE, KVM does not serve V0-V31 as core registers: they are
 * the low 128 bits of Z0-Z31. */
#define VMDBG_ARM64_SVE_GROUP    (0x0015ull << 16)
#define VMDBG_ARM64_ZREG(n)  (VMDBG_REG_ARCH_ARM64 | VMDBG_ARM64_SVE_GROUP | VMDBG_REG_U2048 | \
			      ((uint64_t)(n) << 5))
#define VMDBG_ARM64_PREG(n)  (VMDBG_REG_ARCH_ARM64 | VMDBG_ARM64_SVE_GROUP | VMDBG_REG_U256 | \
			      0x400ull | ((uint64_t)(n) << 5))
#define VMDBG_ARM64_FFR      (VMDBG_REG_ARCH_ARM64 | VMDBG_ARM64_SVE_GROUP | VMDBG_REG_U256 | 0x600ull)
/* KVM_REG_ARM64_SVE_VLS: u64[8], bit (vq - 1) set for each vector length
 * of vq * 128 bits the vCPU has.  Configuration, not state: GET_REGS of
 * it alone is served while the vCPU runs (proto/vmdbg.md). */
#define VMDBG_ARM64_SVE_VLS  (VMDBG_REG_ARCH_ARM64 | VMDBG_ARM64_SVE_GROUP | VMDBG_REG_U512 | 0xffffull)

/* ---- architecture debug registers (SET_GUEST_DEBUG payload) ------------- */

/* x86: struct kvm_guest_debug_arch { __u64 debugreg[8]; }.  0-3 = DR0-DR3,
 * 7 = DR7; 4-6 are carried but ignored, as KVM ignores them. */
struct vmdbg_x86_debugregs {
	uint64_t debugreg[8];
};

/* AArch64: struct kvm_guest_debug_arch of arch/arm64 uapi (absent from
 * x86 hosts' headers, hence defined here).  Entries past the VM's slot
 * counts must be zero. */
struct vmdbg_arm64_debugregs {
	uint64_t dbg_bcr[VMDBG_MAX_DBG_REGS];
	uint64_t dbg_bvr[VMDBG_MAX_DBG_REGS];
	uint64_t dbg_wcr[VMDBG_MAX_DBG_REGS];
	uint64_t dbg_wvr[VMDBG_MAX_DBG_REGS];
};

/* dbgproxy-vm --ap-entry: secondary vCPUs of an x86 multiboot guest start at
 * the same entry point and CPU state as vCPU 0, with EAX = VMDBG_AP_MAGIC
 * and EBX = the vCPU index (instead of 0x2BADB002 and the info pointer). */
#define VMDBG_MULTIBOOT_MAGIC 0x2BADB002u
#define VMDBG_AP_MAGIC        0x44425041u /* "APBD" little-endian: 'A','P','B','D' */

#endif /* VMDBG_H */
