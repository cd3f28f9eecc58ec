/*
 * hwslots.c - the hardware slot allocator of one VM (see hwdebug.h): gdb's
 * requests, the pieces they were split into, the slots those pieces hold
 * (shared by reference count), atomic insertion, exact removal, the
 * register set to commit, stop decoding, and the table for people.
 */
#include "hwdebug.h"

#include <inttypes.h>
#include <string.h>

#include "hwdebug-arch.h"

G_DEFINE_QUARK(dbgproxyd-hwdebug-error-quark, hwdebug_error)

/* Widest access an AArch64 instruction makes (LDP/STP of two X
 * registers, 16 bytes): a watchpoint's FAR can be that far below it. */
#define ARM64_MAX_ACCESS 16u
#define ESR_EC(esr)        (((esr) >> 26) & 0x3f)
#define ESR_EC_BKPT_LOW    0x30u   /* breakpoint from a lower EL */
#define ESR_EC_BKPT_CUR    0x31u
#define ESR_EC_SSTEP_LOW   0x32u   /* software step */
#define ESR_EC_SSTEP_CUR   0x33u
#define ESR_EC_WATCH_LOW   0x34u   /* watchpoint */
#define ESR_EC_WATCH_CUR   0x35u
#define ESR_ISS_WNR        (1ull << 6)  /* the access was a write */
#define DR6_BS             (1ull << 14) /* SDM 18.2.3: single step */

struct hw_slot {
	bool used;
	unsigned refs;
	struct hw_piece piece;
};

struct hw_point {
	enum hw_kind kind;
	uint64_t addr, len;        /* as gdb asked */
	unsigned refs;             /* identical requests */
	unsigned npieces;
	uint8_t bank[HW_MAX_SLOTS];
	uint8_t slot[HW_MAX_SLOTS];
};

struct hwslots {
	uint32_t arch;
	bool shared;
	unsigned nslots[2];        /* per bank */
	struct hw_slot slots[2][HW_MAX_SLOTS];
	GArray *points;            /* struct hw_point, in insertion order */
};

struct hwslots *hwslots_new(uint32_t vmdbg_arch, unsigned hw_bps, unsigned hw_wps, bool shared)
{
	struct hwslots *hs = g_new0(struct hwslots, 1);
	hs->arch = vmdbg_arch;
	hs->shared = shared;
	hs->nslots[HW_BANK_BP] = MIN(hw_bps, HW_MAX_SLOTS);
	hs->nslots[HW_BANK_WP] = shared ? 0 : MIN(hw_wps, HW_MAX_SLOTS);
	if (vmdbg_arch == VMDBG_ARCH_X86_64)
		hs->nslots[HW_BANK_BP] = MIN(hs->nslots[HW_BANK_BP], 4u);
	hs->points = g_array_new(FALSE, TRUE, sizeof(struct hw_point));
	return hs;
}

void hwslots_free(struct hwslots *hs)
{
	if (!hs)
		return;
	g_array_unref(hs->points);
	g_free(hs);
}

void hwslots_clear(struct hwslots *hs)
{
	memset(hs->slots, 0, sizeof(hs->slots));
	g_array_set_size(hs->points, 0);
}

unsigned hwslots_used(const struct hwslots *hs)
{
	unsigned n = 0;
	for (unsigned b = 0; b < 2; b++)
		for (unsigned i = 0; i < hs->nslots[b]; i++)
			n += hs->slots[b][i].used;
	return n;
}

static long find_point(const struct hwslots *hs, enum hw_kind kind, uint64_t addr, uint64_t len)
{
	for (guint i = 0; i < hs->points->len; i++) {
		const struct hw_point *p = &g_array_index(hs->points, struct hw_point, i);
		if (p->kind == kind && p->addr == addr && p->len == len)
			return (long)i;
	}
	return -1;
}

static const char *kind_name(enum hw_kind kind)
{
	switch (kind) {
	case HW_EXEC: return "exec";
	case HW_WRITE: return "write";
	case HW_READ: return "read";
	default: return "access";
	}
}

static unsigned split(const struct hwslots *hs, enum hw_kind kind, uint64_t addr, uint64_t len,
		      struct hw_piece *out, unsigned max, GError **error)
{
	if (hs->arch == VMDBG_ARCH_X86_64)
		return hw_x86_split(kind, addr, len, out, max, error);
	return hw_arm64_split(kind, addr, len, !hs->shared, out, max, error);
}

bool hwslots_insert(struct hwslots *hs, enum hw_kind kind, uint64_t addr, uint64_t len,
		    GError **error)
{
	if (kind < HW_EXEC || kind > HW_ACCESS) {
		g_set_error(error, HWDEBUG_ERROR, HWDEBUG_E_INVAL, "unknown point type %d", (int)kind);
		return false;
	}
	if (len == 0 || addr + len - 1 < addr) {
		g_set_error(error, HWDEBUG_ERROR, HWDEBUG_E_INVAL,
			    "%s region 0x%" PRIx64 "+%" PRIu64 " is empty or wraps around", kind_name(kind),
			    addr, len);
		return false;
	}
	long existing = find_point(hs, kind, addr, len);
	if (existing >= 0) {
		g_array_index(hs->points, struct hw_point, existing).refs++;
		return true;
	}
	struct hw_piece pieces[HW_MAX_SLOTS];
	unsigned max = HW_MAX_SLOTS;
	unsigned n = split(hs, kind, addr, len, pieces, max, error);
	if (n == 0)
		return false;
	if (n > max) {
		g_set_error(error, HWDEBUG_ERROR, HWDEBUG_E_NOSPC,
			    "%s 0x%" PRIx64 "+%" PRIu64 " needs more than %u hardware slots",
			    kind_name(kind), addr, len, max);
		return false;
	}
	/* Place every piece on a copy: all or nothing. */
	struct hw_slot trial[2][HW_MAX_SLOTS];
	memcpy(trial, hs->slots, sizeof(trial));
	struct hw_point pt = { .kind = kind, .addr = addr, .len = len, .refs = 1, .npieces = n };
	for (unsigned k = 0; k < n; k++) {
		unsigned b = pieces[k].bank;
		long found = -1, free_slot = -1;
		for (unsigned i = 0; i < hs->nslots[b]; i++) {
			const struct hw_slot *s = &trial[b][i];
			if (s->used && s->piece.value == pieces[k].value &&
			    s->piece.ctrl == pieces[k].ctrl) {
				found = i;
				break;
			}
			if (!s->used && free_slot < 0)
				free_slot = i;
		}
		if (found < 0 && free_slot < 0) {
			g_set_error(error, HWDEBUG_ERROR, HWDEBUG_E_NOSPC,
				    "%s 0x%" PRIx64 "+%" PRIu64 " needs %u %s slot(s); not enough are free "
				    "(%u in all)", kind_name(kind), addr, len, n,
				    b == HW_BANK_WP ? "watchpoint" : hs->shared ? "debug-register"
									      : "breakpoint",
				    hs->nslots[b]);
			return false;
		}
		unsigned i = found >= 0 ? (unsigned)found : (unsigned)free_slot;
		if (found < 0)
			trial[b][i] = (struct hw_slot){ true, 0, pieces[k] };
		trial[b][i].refs++;
		pt.bank[k] = (uint8_t)b;
		pt.slot[k] = (uint8_t)i;
	}
	memcpy(hs->slots, trial, sizeof(trial));
	g_array_append_val(hs->points, pt);
	return true;
}

bool hwslots_remove(struct hwslots *hs, enum hw_kind kind, uint64_t addr, uint64_t len,
		    GError **error)
{
	long i = find_point(hs, kind, addr, len);
	if (i < 0) {
		g_set_error(error, HWDEBUG_ERROR, HWDEBUG_E_NOENT,
			    "no %s point at 0x%" PRIx64 "+%" PRIu64 " was inserted", kind_name(kind),
			    addr, len);
		return false;
	}
	struct hw_point *p = &g_array_index(hs->points, struct hw_point, i);
	if (--p->refs > 0)
		return true;
	for (unsigned k = 0; k < p->npieces; k++) {
		struct hw_slot *s = &hs->slots[p->bank[k]][p->slot[k]];
		if (--s->refs == 0)
			memset(s, 0, sizeof(*s));
	}
	g_array_remove_index(hs->points, (guint)i);
	return true;
}

void hwslots_guest_debug(const struct hwslots *hs, struct vmdbg_guest_debug *out)
{
	memset(out, 0, sizeof(*out));
	out->arch = hs->arch;
	if (hwslots_used(hs) == 0)
		return;
	out->control = VMDBG_GDBG_ENABLE | VMDBG_GDBG_USE_HW;
	if (hs->arch == VMDBG_ARCH_X86_64) {
		bool used[4] = { false };
		uint64_t ctrl[4] = { 0 };
		for (unsigned i = 0; i < hs->nslots[HW_BANK_BP]; i++) {
			const struct hw_slot *s = &hs->slots[HW_BANK_BP][i];
			used[i] = s->used;
			ctrl[i] = s->piece.ctrl;
			out->regs.x86.debugreg[i] = s->used ? s->piece.value : 0;
		}
		out->regs.x86.debugreg[7] = hw_x86_dr7(used, ctrl);
		return;
	}
	for (unsigned i = 0; i < hs->nslots[HW_BANK_BP]; i++) {
		const struct hw_slot *s = &hs->slots[HW_BANK_BP][i];
		if (s->used) {
			out->regs.arm64.dbg_bcr[i] = s->piece.ctrl;
			out->regs.arm64.dbg_bvr[i] = s->piece.value;
		}
	}
	for (unsigned i = 0; i < hs->nslots[HW_BANK_WP]; i++) {
		const struct hw_slot *s = &hs->slots[HW_BANK_WP][i];
		if (s->used) {
			out->regs.arm64.dbg_wcr[i] = s->piece.ctrl;
			out->regs.arm64.dbg_wvr[i] = s->piece.value;
		}
	}
}

/* ---- stops ---------------------------------------------------------------------- */

/* The first point (in insertion order) holding slot (bank, i); with
 * prefer_kind_of_write >= 0, one whose kind can match that access wins. */
static const struct hw_point *owner_of(const struct hwslots *hs, unsigned bank, unsigned i,
				       int write_access)
{
	const struct hw_point *first = NULL;
	for (guint k = 0; k < hs->points->len; k++) {
		const struct hw_point *p = &g_array_index(hs->points, struct hw_point, k);
		for (unsigned j = 0; j < p->npieces; j++) {
			if (p->bank[j] != bank || p->slot[j] != i)
				continue;
			if (!first)
				first = p;
			if (write_access < 0 || p->kind == HW_ACCESS || p->kind == HW_EXEC ||
			    (write_access && p->kind == HW_WRITE) || (!write_access && p->kind == HW_READ))
				return p;
		}
	}
	return first;
}

static void hit_from_owner(const struct hw_point *p, struct hw_hit *out)
{
	if (p->kind == HW_EXEC) {
		out->type = HW_HIT_BREAK;
		return;
	}
	out->type = HW_HIT_WATCH;
	out->kind = p->kind;
	out->addr = p->addr;
}

static void decode_x86(const struct hwslots *hs, const struct vmdbg_stopped *ev, struct hw_hit *out)
{
	uint64_t dr6 = ev->info[1];
	/* SDM 18.2.3: B0-B3 say which DRn matched */
	for (unsigned n = 0; n < hs->nslots[HW_BANK_BP]; n++) {
		if (!(dr6 & (1ull << n)) || !hs->slots[HW_BANK_BP][n].used)
			continue;
		const struct hw_point *p = owner_of(hs, HW_BANK_BP, n, -1);
		if (p) {
			hit_from_owner(p, out);
			return;
		}
	}
	if (dr6 & DR6_BS)
		out->type = HW_HIT_STEP;
}

static void decode_arm64(const struct hwslots *hs, const struct vmdbg_stopped *ev,
			 struct hw_hit *out)
{
	uint64_t esr = ev->info[0], far = ev->info[1];
	switch (ESR_EC(esr)) {
	case ESR_EC_BKPT_LOW:
	case ESR_EC_BKPT_CUR:
		for (unsigned i = 0; i < hs->nslots[HW_BANK_BP]; i++) {
			const struct hw_slot *s = &hs->slots[HW_BANK_BP][i];
			if (s->used && s->piece.value == hw_arm64_sext(ev->pc)) {
				const struct hw_point *p = owner_of(hs, HW_BANK_BP, i, -1);
				if (p)
					hit_from_owner(p, out);
				return;
			}
		}
		return;
	case ESR_EC_SSTEP_LOW:
	case ESR_EC_SSTEP_CUR:
		out->type = HW_HIT_STEP;
		return;
	case ESR_EC_WATCH_LOW:
	case ESR_EC_WATCH_CUR: {
		/* Arm ARM D2.10.5: FAR is an address within the access, which may
		 * start below the watched bytes; pick the slot whose bytes an
		 * access at FAR can overlap, preferring one that contains FAR and
		 * then one whose kind fits the access (WnR). */
		int write_access = (esr & ESR_ISS_WNR) ? 1 : 0;
		unsigned bank = hs->shared ? HW_BANK_BP : HW_BANK_WP;
		int best = -1, best_score = -1;
		for (unsigned i = 0; i < hs->nslots[bank]; i++) {
			const struct hw_slot *s = &hs->slots[bank][i];
			if (!s->used)
				continue;
			uint64_t lo = s->piece.addr, hi = s->piece.addr + s->piece.len;
			if (!(far < hi && far + ARM64_MAX_ACCESS > lo))
				continue;
			const struct hw_point *p = owner_of(hs, bank, i, write_access);
			if (!p || p->kind == HW_EXEC)
				continue;
			bool fits = p->kind == HW_ACCESS || (write_access ? p->kind == HW_WRITE
									  : p->kind == HW_READ);
			int score = (far >= lo ? 2 : 0) + (fits ? 1 : 0);
			if (score > best_score) {
				best = (int)i;
				best_score = score;
			}
		}
		if (best >= 0)
			hit_from_owner(owner_of(hs, bank, (unsigned)best, write_access), out);
		return;
	}
	default:
		return;
	}
}

void hwslots_decode(const struct hwslots *hs, const struct vmdbg_stopped *ev, struct hw_hit *out)
{
	memset(out, 0, sizeof(*out));
	out->type = HW_HIT_NONE;
	if (ev->reason != VMDBG_STOP_DEBUG)
		return;
	if (hs->arch == VMDBG_ARCH_X86_64)
		decode_x86(hs, ev, out);
	else
		decode_arm64(hs, ev, out);
}

/* ---- for people ------------------------------------------------------------------- */

static void describe_owners(const struct hwslots *hs, unsigned bank, unsigned i, GString *out)
{
	bool first = true;
	for (guint k = 0; k < hs->points->len; k++) {
		const struct hw_point *p = &g_array_index(hs->points, struct hw_point, k);
		for (unsigned j = 0; j < p->npieces; j++) {
			if (p->bank[j] != bank || p->slot[j] != i)
				continue;
			g_string_append_printf(out, "%s%s 0x%" PRIx64 "+%" PRIu64, first ? "" : ", ",
					       kind_name(p->kind), p->addr, p->len);
			if (p->refs > 1)
				g_string_append_printf(out, " (x%u)", p->refs);
			first = false;
		}
	}
}

char *hwslots_describe(const struct hwslots *hs)
{
	GString *out = g_string_new(NULL);
	bool x86 = hs->arch == VMDBG_ARCH_X86_64;
	if (x86)
		g_string_append_printf(out, "hardware debug slots: x86-64, %u shared (DR0-DR%u), %u in use\n",
				       hs->nslots[0], hs->nslots[0] ? hs->nslots[0] - 1 : 0,
				       hwslots_used(hs));
	else
		g_string_append_printf(out,
				       "hardware debug slots: aarch64, %u breakpoint + %u watchpoint, %u in use\n",
				       hs->nslots[HW_BANK_BP], hs->nslots[HW_BANK_WP], hwslots_used(hs));
	g_string_append(out, "slot  piece                          refs  registers                                   gdb request(s)\n");
	for (unsigned b = 0; b < 2; b++) {
		for (unsigned i = 0; i < hs->nslots[b]; i++) {
			const struct hw_slot *s = &hs->slots[b][i];
			if (!s->used)
				continue;
			char name[8];
			g_snprintf(name, sizeof(name), "%s%u", x86 ? "DR" : b == HW_BANK_BP ? "BP" : "WP", i);
			g_string_append_printf(out, "%-5s 0x%016" PRIx64 "+%-4" PRIu64 "  %4u  ", name,
					       s->piece.addr, s->piece.len, s->refs);
			if (x86)
				g_string_append_printf(out, "DR%u=0x%016" PRIx64 " RW/LEN=0x%" PRIx64 "       ",
						       i, s->piece.value, s->piece.ctrl);
			else
				g_string_append_printf(out, "%s=0x%016" PRIx64 " %s=0x%08" PRIx64 " ",
						       b == HW_BANK_BP ? "BVR" : "WVR", s->piece.value,
						       b == HW_BANK_BP ? "BCR" : "WCR", s->piece.ctrl);
			describe_owners(hs, b, i, out);
			g_string_append_c(out, '\n');
		}
	}
	if (x86) {
		struct vmdbg_guest_debug g;
		hwslots_guest_debug(hs, &g);
		g_string_append_printf(out, "DR7=0x%016" PRIx64 "\n", g.regs.x86.debugreg[7]);
	}
	return g_string_free(out, FALSE);
}
