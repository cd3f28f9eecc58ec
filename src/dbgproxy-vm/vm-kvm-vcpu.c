/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-kvm-vcpu.c - the vCPU threads of the KVM machine (vm-kvm-priv.h): guest
 * addresses, the published debug state, KVM_RUN and what every exit means,
 * stops, and work handed to a stopped vCPU's own thread.
 */
#include "vm-kvm-priv.h"

/* ---- guest memory --------------------------------------------------------- */

static struct x86_paging paging_of(const struct kvm_sregs *s)
{
	struct x86_paging pg = { s->cr0, s->cr3, s->cr4, s->efer };
	return pg;
}

bool gva_to_gpa(struct vm_kvm *vm, const struct kvm_sregs *s, uint64_t gva,
		       uint64_t *gpa, uint64_t *contig)
{
	struct x86_paging pg = paging_of(s);
	return x86_translate(&pg, vm->mem, vm->mem_size, gva, gpa, contig) &&
	       *gpa < vm->mem_size;
}

/* Linear address of the instruction at rip (segment base matters outside
 * 64-bit mode). */
static uint64_t linear_rip(const struct kvm_sregs *s, uint64_t rip)
{
	if (s->cs.l)
		return rip;
	return (s->cs.base + rip) & 0xffffffffull;
}

/* ---- the debug-state snapshot ----------------------------------------------- */

void publish(struct vm_kvm *vm, struct debug_state *next)
{
	struct debug_state *old = vm->dbg;
	if (vm->shm.table) {
		/* the shared copy for a client that reads RAM itself: patched bytes */
		struct vmdbg_shm_bp *e = vm_shm_bps_begin(&vm->shm);
		for (size_t i = 0; i < next->nr_sw; i++)
			e[i] = (struct vmdbg_shm_bp){ .gpa = next->sw[i].gpa, .len = 1,
						      .orig = { next->sw[i].orig } };
		vm_shm_bps_end(&vm->shm, (uint32_t)next->nr_sw);
	}
	rcu_assign_pointer(vm->dbg, next);
	urcu_memb_synchronize_rcu();
	g_free(old);
}

/* Make running vCPUs leave KVM_RUN once (to pick up new guest debug). */
void kick_locked(struct vcpu *v)
{
	if (v->state != VCPU_RUNNING || !v->thread_started)
		return;
	v->run->immediate_exit = 1;
	pthread_kill(v->thread, KICK_SIGNAL);
}

void kick_all(struct vm_kvm *vm)
{
	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		kick_locked(&vm->vcpus[i]);
	pthread_mutex_unlock(&vm->lock);
}

/* ---- the vCPU thread ------------------------------------------------------------ */

static void vcpu_capture_sregs(struct vcpu *v)
{
	if (ioctl(v->fd, KVM_GET_SREGS, &v->sregs) < 0)
		g_warning("vCPU %u: KVM_GET_SREGS: %s", v->index, g_strerror(errno));
}

/* Give KVM the current debug registers and step flag, if they changed;
 * the DR0-3 slots in `suppress` are left disabled in DR7. */
static void vcpu_sync_debug(struct vcpu *v, bool step, uint32_t suppress)
{
	struct vm_kvm *vm = v->vm;
	struct kvm_guest_debug g;
	memset(&g, 0, sizeof(g));

	urcu_memb_read_lock();
	const struct debug_state *s = rcu_dereference(vm->dbg);
	uint64_t gen = s->generation;
	uint32_t ctl = s->control;
	bool have_sw = s->nr_sw > 0;
	memcpy(g.arch.debugreg, s->hw.debugreg, sizeof(g.arch.debugreg));
	urcu_memb_read_unlock();

	if (v->debug_applied && gen == v->applied_gen && step == v->applied_step &&
	    suppress == v->applied_suppress && !v->inject)
		return;
	for (unsigned n = 0; n < 4; n++)
		if (suppress & (1u << n))
			g.arch.debugreg[7] &= ~DR7_ENABLE_MASK(n);
	if ((ctl & VMDBG_GDBG_ENABLE) || have_sw || step || v->inject)
		g.control = KVM_GUESTDBG_ENABLE;
	if (have_sw)
		g.control |= KVM_GUESTDBG_USE_SW_BP;
	if ((ctl & VMDBG_GDBG_ENABLE) && (ctl & VMDBG_GDBG_USE_HW))
		g.control |= KVM_GUESTDBG_USE_HW_BP;
	else
		memset(g.arch.debugreg, 0, sizeof(g.arch.debugreg));
	if (step)
		g.control |= KVM_GUESTDBG_SINGLESTEP | (vm->blockirq ? KVM_GUESTDBG_BLOCKIRQ : 0);
	g.control |= v->inject;
	if (ioctl(v->fd, KVM_SET_GUEST_DEBUG, &g) < 0) {
		g_warning("vCPU %u: KVM_SET_GUEST_DEBUG(0x%x): %s", v->index, g.control,
			  g_strerror(errno));
		return;
	}
	v->inject = 0;
	v->applied_gen = gen;
	v->applied_dr7 = (g.control & KVM_GUESTDBG_USE_HW_BP) ? g.arch.debugreg[7] : 0;
	v->applied_step = step;
	v->applied_suppress = suppress;
	v->debug_applied = true;
}

/* Is the vCPU still at the instruction breakpoint it stopped on? */
static bool vcpu_still_at(struct vcpu *v, uint64_t linear_pc)
{
	struct kvm_regs regs;
	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return false;
	return linear_rip(&v->sregs, regs.rip) == linear_pc;
}

/* What the int3 the vCPU stopped on at linear address pc is (see
 * debug_state_int3_verdict); rerun_before: the previous exit re-ran a
 * stale int3 at this pc. */
static enum int3_verdict int3_verdict_at(struct vm_kvm *vm, const struct kvm_sregs *s,
					 uint64_t pc, bool rerun_before)
{
	uint64_t gpa, contig;
	uint8_t bytes[2];
	size_t n = 0;
	if (gva_to_gpa(vm, s, pc, &gpa, &contig) && gpa < vm->mem_size) {
		bytes[n++] = vm->mem[gpa];
		if (contig >= 2 && gpa + 1 < vm->mem_size)
			bytes[n++] = vm->mem[gpa + 1];
	} else {
		gpa = UINT64_MAX;
	}
	urcu_memb_read_lock();
	enum int3_verdict verdict =
		debug_state_int3_verdict(rcu_dereference(vm->dbg), gpa, bytes, n, rerun_before);
	urcu_memb_read_unlock();
	return verdict;
}

/* A #DB is the debugger's if we asked for the step it reports, or if it
 * comes from a slot our DR7 enabled (SDM Vol. 3B 18.2.3 DR6). */
static bool debug_exit_is_ours(struct vcpu *v, const struct kvm_debug_exit_arch *a, bool step)
{
	if (step && (a->dr6 & DR6_BS))
		return true;
	urcu_memb_read_lock();
	const struct debug_state *s = rcu_dereference(v->vm->dbg);
	uint64_t dr7 = (s->control & VMDBG_GDBG_USE_HW) ? s->hw.debugreg[7] : 0;
	urcu_memb_read_unlock();
	for (unsigned n = 0; n < 4; n++)
		if ((a->dr6 & (1ull << n)) && (dr7 & DR7_ENABLE_MASK(n)))
			return true;
	return false;
}

/* A #DB the current state does not claim, but the state KVM ran the vCPU
 * with did: with KVM_GUESTDBG_USE_HW_BP the debug registers are ours, not
 * the guest's (KVM keeps the guest's aside), and a step we asked for is
 * ours.  Injecting it would hand the guest a #DB it never armed. */
static bool stale_debug_exit(const struct vcpu *v, const struct kvm_debug_exit_arch *a, bool step)
{
	if (!step && v->applied_step && (a->dr6 & DR6_BS))
		return true;
	for (unsigned n = 0; n < 4; n++)
		if ((a->dr6 & (1ull << n)) && (v->applied_dr7 & DR7_ENABLE_MASK(n)))
			return true;
	return false;
}

static void note_exec_breakpoint(struct vcpu *v, const struct kvm_debug_exit_arch *a)
{
	urcu_memb_read_lock();
	uint64_t dr7 = rcu_dereference(v->vm->dbg)->hw.debugreg[7];
	urcu_memb_read_unlock();
	v->fired_slots = 0;
	for (unsigned n = 0; n < 4; n++)
		if ((a->dr6 & (1ull << n)) && DR7_RW(dr7, n) == 0)
			v->fired_slots |= 1u << n;
	v->fired_at = a->pc;
	v->fired_pending = v->fired_slots != 0;
}

/* Linear address of the vCPU's next instruction (0 if KVM cannot say). */
static uint64_t current_pc(struct vcpu *v)
{
	struct kvm_regs regs;
	vcpu_capture_sregs(v);
	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return 0;
	return linear_rip(&v->sregs, regs.rip);
}


/* Decide what a KVM exit means.  Returns true and fills ev when the vCPU
 * must stop and report; false to run on. */
static bool handle_exit(struct vcpu *v, bool step, struct vmdbg_stopped *ev)
{
	struct vm_kvm *vm = v->vm;
	struct kvm_run *run = v->run;
	memset(ev, 0, sizeof(*ev));
	ev->vcpu = v->index;
	if (run->exit_reason != KVM_EXIT_INTERNAL_ERROR)
		v->guest_bp_count = 0;
	bool rerun_before = v->int3_rerun;  /* only for the exit right after one */
	v->int3_rerun = false;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		v->io_pending = true;
		if (handle_io(v)) {
			/* the access completes before the stop (exact stops) */
			ev->reason = VMDBG_STOP_SHUTDOWN;
			ev->info[0] = VMDBG_SHUTDOWN_RESET;
			ev->pc = current_pc(v);
			g_message("vCPU %u: the guest asked for a reset at 0x%" G_GINT64_MODIFIER "x; "
				  "it is stopped, not rebooted", v->index, ev->pc);
			return true;
		}
		return false;
	case KVM_EXIT_MMIO: {
		bool hit = false;
		if (!vm_kvm_watch_mmio(v, &hit, ev))
			handle_mmio(v);
		v->io_pending = true;
		if (!hit)
			return false;
		ev->vcpu = v->index;  /* pc: after the access completes (vcpu_thread) */
		return true;
	}
	case KVM_EXIT_DEBUG: {
		const struct kvm_debug_exit_arch *a = &run->debug.arch;
		if (a->exception == 3) {
			vcpu_capture_sregs(v);
			switch (int3_verdict_at(vm, &v->sregs, a->pc,
						rerun_before && v->int3_rerun_pc == a->pc)) {
			case INT3_OURS:
				break;
			case INT3_RERUN:
				/* our breakpoint, removed after the vCPU fetched it: the
				 * original instruction is back, run it (rip is at it) */
				g_debug("vCPU %u: stale int3 at 0x%" G_GINT64_MODIFIER "x re-run",
					v->index, (uint64_t)a->pc);
				v->int3_rerun = true;
				v->int3_rerun_pc = a->pc;
				return false;
			default:
				v->inject = KVM_GUESTDBG_INJECT_BP; /* the guest's own */
				return false;
			}
			ev->reason = VMDBG_STOP_SW_BP;
			ev->pc = a->pc;
			ev->info[0] = a->pc;
			return true;
		}
		if (!debug_exit_is_ours(v, a, step)) {
			if (stale_debug_exit(v, a, step)) {
				/* ours, from a slot or a step the debugger dropped while
				 * the vCPU ran (a detach): not the guest's #DB; run on
				 * with the current state */
				g_debug("vCPU %u: #DB at 0x%" G_GINT64_MODIFIER "x from a slot or step "
					"no longer wanted (dr6 0x%" G_GINT64_MODIFIER "x): dropped",
					v->index, (uint64_t)a->pc, (uint64_t)a->dr6);
				return false;
			}
			v->inject = KVM_GUESTDBG_INJECT_DB;
			return false;
		}
		note_exec_breakpoint(v, a);
		ev->reason = VMDBG_STOP_DEBUG;
		ev->pc = a->pc;
		ev->info[0] = a->exception;
		ev->info[1] = a->dr6;
		ev->info[2] = a->dr7;
		return true;
	}
	case KVM_EXIT_INTERNAL_ERROR: {
		/* kvm_pvm (and other nested set-ups) fail to emulate a guest int3
		 * instead of exiting with #BP: at a patched address that is our
		 * breakpoint. */
		struct kvm_regs regs;
		vcpu_capture_sregs(v);
		if (ioctl(v->fd, KVM_GET_REGS, &regs) == 0) {
			uint64_t pc = linear_rip(&v->sregs, regs.rip);
			ev->pc = pc;
			/* code on a page protected against reads (no slot): KVM could
			 * not fetch it; step it with the page (before any re-run: KVM
			 * queued a #UD that must not reach the guest) */
			if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && !v->fetch_step &&
			    vm_kvm_fetch_blocked(v, pc, &v->fetch_page)) {
				v->fetch_step = true;
				return false;
			}
			enum int3_verdict verdict = INT3_FAIL;
			if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION)
				verdict = int3_verdict_at(vm, &v->sregs, pc,
							  rerun_before && v->int3_rerun_pc == pc);
			if (verdict == INT3_OURS) {
				ev->reason = VMDBG_STOP_SW_BP;
				ev->info[0] = pc;
				return true;
			}
			/* the guest's own int3 (a kernel debugger's): its handler runs */
			if (verdict == INT3_GUEST && vm_kvm_deliver_guest_int3(v, &regs, pc))
				return false;
			/* another instruction the host could not emulate (x87): also
			 * where no int3 is now (what is there is the instruction to
			 * run; re-running it would only fail again first) */
			enum emul_result done = EMUL_FAILED;
			if ((verdict == INT3_FAIL || verdict == INT3_RERUN) &&
			    run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION)
				done = vm_kvm_complete_insn(v, &regs, pc);
			if (done == EMUL_DONE && step) {
				/* the step is over: report it as the CPU would have */
				ev->reason = VMDBG_STOP_DEBUG;
				ev->pc = linear_rip(&v->sregs, regs.rip);
				ev->info[0] = 1;
				ev->info[1] = DR6_BS | 0xffff0ff0;
				return true;
			}
			if (done != EMUL_FAILED)
				return false;
			if (verdict == INT3_RERUN) {
				/* no int3 there now: ours, removed while the vCPU ran;
				 * retried once (a real emulation failure fails again) */
				g_debug("vCPU %u: emulation failure at 0x%" G_GINT64_MODIFIER "x, where "
					"no int3 is now: re-run once", v->index, pc);
				v->int3_rerun = true;
				v->int3_rerun_pc = pc;
				return false;
			}
		}
		ev->reason = VMDBG_STOP_INTERNAL;
		ev->info[0] = run->exit_reason;
		ev->info[1] = run->internal.suberror;
		g_warning("vCPU %u: KVM internal error, suberror %u at 0x%" G_GINT64_MODIFIER "x",
			  v->index, run->internal.suberror, ev->pc);
		return true;
	}
	/* No KVM_EXIT_HLT: with the in-kernel local APIC a halted vCPU waits
	 * inside KVM_RUN for an interrupt (a pause still stops it). */
	case KVM_EXIT_SHUTDOWN:
	case KVM_EXIT_SYSTEM_EVENT: {
		ev->pc = current_pc(v);
		ev->reason = VMDBG_STOP_SHUTDOWN;
		ev->info[0] = VMDBG_SHUTDOWN_FAULT;
		if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT)
			ev->info[0] = run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ?
				      VMDBG_SHUTDOWN_POWEROFF :
				      run->system_event.type == KVM_SYSTEM_EVENT_RESET ?
				      VMDBG_SHUTDOWN_RESET : VMDBG_SHUTDOWN_FAULT;
		g_message("vCPU %u: guest %s at 0x%" G_GINT64_MODIFIER "x; kept for inspection",
			  v->index, run->exit_reason == KVM_EXIT_SHUTDOWN ? "triple-faulted" :
			  "shut down", ev->pc);
		return true;
	}
	default:
		ev->reason = VMDBG_STOP_INTERNAL;
		ev->info[0] = run->exit_reason;
		if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
			ev->info[1] = run->fail_entry.hardware_entry_failure_reason;
		g_warning("vCPU %u: unexpected KVM exit %u", v->index, run->exit_reason);
		return true;
	}
}

/* A range step goes on after a step that only stepped (no slot of ours
 * fired with it) and left pc inside the range: the stop is nobody's.  The
 * range is compared with the pc the stop would report (linear: rip where
 * CS's base is 0, as in long and flat protected mode). */
static bool range_step_goes_on(struct vcpu *v, const struct vmdbg_stopped *ev)
{
	if (v->range.end == 0 || ev->reason != VMDBG_STOP_DEBUG || ev->info[0] != 1 ||
	    !(ev->info[1] & DR6_BS))
		return false;
	const struct kvm_debug_exit_arch *a = &v->run->debug.arch;
	if (debug_exit_is_ours(v, a, false))
		return false;   /* a breakpoint or watchpoint fired with the step */
	return ev->pc >= v->range.start && ev->pc < v->range.end;
}

/* The exit is the end of a single step and nothing else of ours (no slot
 * fired with it): a hidden step is over, unseen. */
static bool only_the_step(struct vcpu *v)
{
	const struct kvm_debug_exit_arch *a = &v->run->debug.arch;
	return v->run->exit_reason == KVM_EXIT_DEBUG && a->exception == 1 && (a->dr6 & DR6_BS) &&
	       !debug_exit_is_ours(v, a, false);
}

static void notify(struct vm_kvm *vm)
{
	uint64_t one = 1;
	ssize_t r = write(vm->notify_fd, &one, sizeof(one));
	(void)r; /* an eventfd at its limit is already readable */
}

/* Called with vm->lock held: the vCPU is now stopped; ev (if any) queued. */
static void enter_stopped_locked(struct vcpu *v, const struct vmdbg_stopped *ev)
{
	struct vm_kvm *vm = v->vm;
	v->state = VCPU_STOPPED;
	/* any stop answers a pause asked of it meanwhile: a request left over
	 * would pause the vCPU again at its next resume, silently */
	v->pause_req = false;
	v->step = false;
	v->range = (struct vm_step_range){ 0, 0 };
	v->stopped_by_event = ev != NULL;
	if (ev) {
		g_queue_push_tail(&vm->stops, g_memdup2(ev, sizeof(*ev)));
		if (ev->reason == VMDBG_STOP_SHUTDOWN) {
			vm->dead = true;
			for (unsigned i = 0; i < vm->nr_vcpus; i++) {
				struct vcpu *o = &vm->vcpus[i];
				if (o->state == VCPU_RUNNING) {
					o->pause_req = true;
					kick_locked(o);
				}
			}
		}
		notify(vm);
	}
	pthread_cond_broadcast(&vm->cond);
}

/* Finish an I/O or MMIO access KVM handed us before the vCPU reports a
 * stop: KVM_RUN with immediate_exit completes it and returns at once with
 * EINTR, running no guest code.  A string access may hand back its next
 * element first; each is served, a bounded number of times.  Returns true
 * with ev filled when completing it stopped the vCPU for a reason of its
 * own (a reset the access asked for, a shutdown). */
static bool complete_io(struct vcpu *v, struct vmdbg_stopped *ev)
{
	bool stop = false;
	struct vmdbg_stopped next;
	for (unsigned i = 0; v->io_pending && i < 4096; i++) {
		v->io_pending = false;
		v->run->immediate_exit = 1;
		if (ioctl(v->fd, KVM_RUN, 0) == 0 && handle_exit(v, false, &next) && !stop) {
			*ev = next;
			stop = true;
		}
	}
	if (v->io_pending) {
		g_warning("vCPU %u: an I/O access did not complete", v->index);
		v->io_pending = false;
	}
	return stop;
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm_kvm *vm = v->vm;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	urcu_memb_register_thread();

	pthread_mutex_lock(&vm->lock);
	for (;;) {
		if (v->work) {
			void (*fn)(struct vcpu *, void *) = v->work;
			pthread_mutex_unlock(&vm->lock);
			fn(v, v->work_arg);
			pthread_mutex_lock(&vm->lock);
			v->work = NULL;
			pthread_cond_broadcast(&vm->cond);
			continue;
		}
		if (vm->quit)
			break;
		if (v->state == VCPU_STOPPED) {
			pthread_cond_wait(&vm->cond, &vm->lock);
			continue;
		}
		if (v->pause_req) {
			v->pause_req = false;
			if (v->over_slots) {   /* re-check where it is on the next resume */
				v->over_slots = 0;
				v->fired_pending = true;
			}
			pthread_mutex_unlock(&vm->lock);
			struct vmdbg_stopped why;
			bool own = complete_io(v, &why);
			vcpu_capture_sregs(v);
			pthread_mutex_lock(&vm->lock);
			enter_stopped_locked(v, own ? &why : NULL);
			continue;
		}
		v->run->immediate_exit = 0;
		bool step = v->step;
		pthread_mutex_unlock(&vm->lock);

		if (v->fired_pending) {
			v->fired_pending = false;
			if (vcpu_still_at(v, v->fired_at))
				v->over_slots = v->fired_slots;
		}
		/* a continue from a breakpoint first steps over it, unseen; so
		 * does an instruction fetched from a page without a slot */
		bool fetch = v->fetch_step;
		if (fetch && !vm_kvm_fetch_map(v, v->fetch_page, true))
			fetch = v->fetch_step = false;  /* it fails again, and stops */
		bool hidden_step = (v->over_slots || fetch) && !step;
		vcpu_sync_debug(v, step || hidden_step, v->over_slots);
		int r = ioctl(v->fd, KVM_RUN, 0);
		int err = errno;
		v->io_pending = false; /* entering KVM_RUN completed it */
		if (fetch) {
			vm_kvm_fetch_map(v, v->fetch_page, false);
			if (r < 0 || (v->run->exit_reason != KVM_EXIT_IO &&
				      v->run->exit_reason != KVM_EXIT_MMIO))
				v->fetch_step = false;  /* the instruction is done */
			if (hidden_step && !v->over_slots && r == 0 && only_the_step(v)) {
				pthread_mutex_lock(&vm->lock);
				continue;
			}
		}
		struct vmdbg_stopped ev;
		bool stop = false;
		if (r == 0 && v->over_slots && v->run->exit_reason != KVM_EXIT_IO &&
		    v->run->exit_reason != KVM_EXIT_MMIO) {
			v->over_slots = 0; /* the instruction is done (or something stopped it) */
			if (hidden_step && only_the_step(v)) {
				pthread_mutex_lock(&vm->lock);
				continue;
			}
		}
		if (r < 0) {
			if (err != EINTR && err != EAGAIN) {
				memset(&ev, 0, sizeof(ev));
				ev.vcpu = v->index;
				ev.reason = VMDBG_STOP_INTERNAL;
				ev.info[1] = (uint64_t)err;
				g_warning("vCPU %u: KVM_RUN: %s", v->index, g_strerror(err));
				stop = true;
			}
		} else {
			stop = handle_exit(v, step, &ev);
		}
		if (stop && range_step_goes_on(v, &ev)) {
			pthread_mutex_lock(&vm->lock);
			continue;
		}
		if (stop) {
			struct vmdbg_stopped later; /* the stop at hand is the one to report */
			complete_io(v, &later);
			if (ev.reason == VMDBG_STOP_SHUTDOWN || ev.reason == VMDBG_STOP_WATCH)
				ev.pc = current_pc(v); /* after the access that asked for it */
			vcpu_capture_sregs(v);
		}
		pthread_mutex_lock(&vm->lock);
		if (stop)
			enter_stopped_locked(v, &ev);
	}
	pthread_mutex_unlock(&vm->lock);
	urcu_memb_unregister_thread();
	return NULL;
}

/* Run fn on the stopped vCPU's own thread and wait for it. */
bool on_vcpu(struct vm_kvm *vm, uint32_t index, void (*fn)(struct vcpu *, void *), void *arg,
	     GError **error)
{
	if (!vm_check_vcpu(vm->nr_vcpus, index, error))
		return false;
	struct vcpu *v = &vm->vcpus[index];
	pthread_mutex_lock(&vm->lock);
	if (v->state != VCPU_STOPPED) {
		pthread_mutex_unlock(&vm->lock);
		g_set_error(error, VM_ERROR, VMDBG_E_STATE, "vCPU %u is running: PAUSE first", index);
		return false;
	}
	v->work = fn;
	v->work_arg = arg;
	pthread_cond_broadcast(&vm->cond);
	while (v->work)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	return true;
}

struct vcpu *stopped_vcpu(struct vm_kvm *vm, uint32_t index, GError **error)
{
	if (!vm_check_vcpu(vm->nr_vcpus, index, error))
		return NULL;
	struct vcpu *v = &vm->vcpus[index];
	pthread_mutex_lock(&vm->lock);
	bool stopped = v->state == VCPU_STOPPED;
	pthread_mutex_unlock(&vm->lock);
	if (!stopped) {
		g_set_error(error, VM_ERROR, VMDBG_E_STATE, "vCPU %u is running: PAUSE first", index);
		return NULL;
	}
	return v;
}
