#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# The fault suite on a real KVM guest: the faults of faults.bats (which runs
# them on the simulated AArch64 machine everywhere) injected into
# gdb -> dbgproxyd -> dbgproxy-vm (KVM) -> the x86-64 test guest.  After
# each, with fresh processes:
#   - the guest runs: counters[0] grows between two attaches of a new gdb;
#   - its code is its own: tick's, guest_main's and io_loop's bytes read
#     through the daemon equal the ELF's (no 0xcc left over);
#   - no breakpoint is left in the daemon (monitor info vm, monitor hw);
#   - the daemon serves a new gdb;
#   - the daemon's and the VM's descriptor counts are back to the baseline.
# The points: a hardware breakpoint on guest_main (entered once per vCPU at
# boot, never again) and, where this KVM traps int3 (dbgproxy-vm --probe), a
# software one on io_loop (never entered: io_loop_enable stays 0).  Both
# are inserted at once (breakpoint always-inserted) and never hit.
# Every wait is bounded, every process is killed by PID, all on loopback.

load helpers
load faults-lib

setup() {
	need_kvm
	common_setup
	EXTRA_PIDS=
	GDB_BIN=gdb
}

teardown() {
	local pid
	for pid in ${GDB_PIDS:-} ${EXTRA_PIDS:-}; do
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	GDB_PIDS=
	common_teardown
}

# ---- helpers of this file ----------------------------------------------------

# vm_up: a new KVM machine on the existing $VM_SOCK (a stale socket there
# is replaced), its guest running; sets VM_PID
vm_up() {
	rm -f "$TMP/serial.log"
	"$DBGPROXY_VM" --kernel "$GUEST_ELF" --socket "$VM_SOCK" --vcpus 1 \
		> "$TMP/serial.log" 2>> "$TMP/vm.log" 3>&- &
	VM_PID=$!
	wait_for grep -q "cpu 0 up" "$TMP/serial.log" || { cat "$TMP/vm.log" >&2; return 1; }
}

# the gdb commands that insert the points, and how many software ones
points() {
	POINTS=("set breakpoint always-inserted on" "hbreak guest_main")
	NSW=0
	if kvm_offers sw-breakpoints; then
		POINTS+=("break io_loop")
		NSW=1
	fi
}

# points_in OUT: gdb's output shows the points inserted in the daemon
points_in() {
	grep -Eq "^sw breakpoints: +$NSW inserted" "$1"
	grep -q ", 1 in use" "$1"
}

# elf_text: the code bytes the checks compare, as the ELF file has them
elf_text() {
	gdb -batch -nx -ex "x/16xb tick" -ex "x/16xb guest_main" -ex "x/8xb io_loop" \
		"$GUEST_ELF" 2>&1 | grep -E '^0x[0-9a-f]+ <'
}

# what probe/recovered (faults-lib.bash) read: the counter, the code
COUNTER_EXPR='counters[0]'
TEXT_CMDS=("x/16xb tick" "x/16xb guest_main" "x/8xb io_loop")

# want_text: the ELF's code bytes as TEXT_CMDS show them
want_text() {
	local want
	want=$(elf_text)
	[[ $want == *"<tick>:"*"<guest_main>:"*"<io_loop>:"* ]] || return 1
	printf '%s\n' "$want"
}

# gdb_stopped_with_points OUT: a gdb in the background (GDB_PIDS), stopped
# in tick with the points inserted, staying attached for up to 60 s
gdb_stopped_with_points() {
	points
	stop_at tick
	gdb_bg "$1" "${STOP_AT[@]}" "${POINTS[@]}" "monitor info vm" "monitor hw" \
		'echo STOPPED-WITH-POINTS\n' "python import time; time.sleep(60)" "detach"
	wait_for grep -q "STOPPED-WITH-POINTS" "$1" || { cat "$1" >&2; return 1; }
	cat "$1"
	grep -q "stopped at tick" "$1"
	points_in "$1"
}

# ---- the matrix ------------------------------------------------------------------

@test "KVM: gdb killed (-9) while stopped with breakpoints inserted" {
	start_vm 1
	start_daemon
	baseline
	gdb_stopped_with_points "$TMP/gdb.out"
	kill9 "$GDB_PIDS"
	GDB_PIDS=
	wait_for grep -q "gdb session from .* ended" "$TMP/daemon.log"
	wait_for grep -q "debug state cleared: $NSW software breakpoint(s) restored, 0 watch(es) removed, guest resumed" "$TMP/vm.log"
	recovered
}

@test "KVM: gdb killed (-9) while the guest runs with never-hit breakpoints inserted" {
	start_vm 1
	DAEMON_LOG_LEVEL=debug start_daemon
	baseline
	points
	gdb_bg "$TMP/gdb.out" "${POINTS[@]}" "monitor info vm" "monitor hw" 'echo RUNNING\n' "continue"
	wait_for grep -q "RUNNING" "$TMP/gdb.out"
	wait_for grep -q "guest resumed by gdb" "$TMP/daemon.log"
	cat "$TMP/gdb.out"
	points_in "$TMP/gdb.out"
	sleep 0.2
	kill -0 "$GDB_PIDS"
	kill9 "$GDB_PIDS"
	GDB_PIDS=
	wait_for grep -q "gdb session from .* ended" "$TMP/daemon.log"
	wait_for grep -q "debug state cleared: $NSW software breakpoint(s) restored, 0 watch(es) removed, guest resumed" "$TMP/vm.log"
	recovered
}

@test "KVM: dbgproxyd killed (-9) with breakpoints inserted: the VM restores and resumes; a new daemon serves" {
	start_vm 1
	start_daemon
	baseline
	gdb_stopped_with_points "$TMP/gdb.out"
	kill9 "$DAEMON_PID"
	DAEMON_PID=
	wait_for grep -q "debug state cleared: $NSW software breakpoint(s) restored, 0 watch(es) removed, guest resumed" "$TMP/vm.log"
	grep -q "debugger disconnected" "$TMP/vm.log"
	kill9 "$GDB_PIDS"
	GDB_PIDS=
	mv "$TMP/daemon.log" "$TMP/daemon-killed.log"
	fds_back "$VM_PID" $((VM_FDS - 1)) dbgproxy-vm
	start_daemon
	recovered
}

@test "KVM: two SIGTERMs at once with breakpoints inserted: the daemon ends cleanly, the guest is intact" {
	start_vm 1
	start_daemon
	baseline
	gdb_stopped_with_points "$TMP/gdb.out"
	kill -TERM "$DAEMON_PID"
	kill -TERM "$DAEMON_PID" 2>/dev/null || true
	wait_for sh -c "! kill -0 $DAEMON_PID 2>/dev/null"
	rc=0
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=
	echo "dbgproxyd exit status $rc"
	[ "$rc" -eq 0 ]
	wait_for grep -q "debug state cleared: $NSW software breakpoint(s) restored, 0 watch(es) removed, guest resumed" "$TMP/vm.log"
	kill9 "$GDB_PIDS"
	GDB_PIDS=
	mv "$TMP/daemon.log" "$TMP/daemon-termed.log"
	fds_back "$VM_PID" $((VM_FDS - 1)) dbgproxy-vm
	start_daemon
	recovered
}

@test "KVM: dbgproxy-vm killed (-9) under a running gdb: gdb sees the end, the daemon reconnects to the next VM" {
	TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/dbgproxy-faults.XXXXXX")
	VM_SOCK=$TMP/vm.sock
	vm_up
	DAEMON_LOG_LEVEL=debug start_daemon
	baseline
	gdb_bg "$TMP/gdb.out" 'echo RUNNING\n' "continue" 'echo AFTER-CONTINUE\n'
	wait_for grep -q "RUNNING" "$TMP/gdb.out"
	wait_for grep -q "guest resumed by gdb" "$TMP/daemon.log"
	kill9 "$VM_PID"
	wait_for sh -c "! kill -0 $GDB_PIDS 2>/dev/null"
	wait "$GDB_PIDS" 2>/dev/null || true
	GDB_PIDS=
	cat "$TMP/gdb.out"
	grep -q "dbgproxyd: lost the VM" "$TMP/gdb.out"
	grep -q "AFTER-CONTINUE" "$TMP/gdb.out"
	grep -q "lost the VM at $VM_SOCK" "$TMP/daemon.log"
	kill -0 "$DAEMON_PID"
	fds_back "$DAEMON_PID" $((D_FDS - 1)) dbgproxyd
	vm_up
	wait_for count_in "$TMP/daemon.log" "ready:" 2
	recovered
}

@test "KVM: a client that floods g and never reads is dropped; the guest is intact and a real gdb works" {
	start_vm 1
	start_daemon
	baseline
	timeout -s KILL 60 python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setblocking(False)
chunk = b"$g#67" * 20000
sent, how, t = 0, "not dropped", time.time()
while time.time() - t < 40:
    try:
        sent += s.send(chunk)
    except BlockingIOError:
        time.sleep(0.01)
    except OSError as e:
        how = "dropped: %s" % e
        break
print("%s after %d bytes in %.1f s" % (how, sent, time.time() - t))
' "$PORT" > "$TMP/flood.out" 2>&1 3>&-
	cat "$TMP/flood.out"
	grep -q "^dropped" "$TMP/flood.out"
	grep -Eq "gdb session from 127.0.0.1:[0-9]+ ended: (gdb floods the daemon with packets|gdb does not read its replies)" \
		"$TMP/daemon.log"
	recovered
}
