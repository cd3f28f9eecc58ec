#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# The fault suite: real processes die, vanish or misbehave at the worst
# moment, and the system must come back whole.  Each case injects one
# fault into gdb-multiarch -> dbgproxyd -> dbgproxy-vm --arch aarch64 (the
# simulated machine: no KVM needed) and then checks, with fresh processes,
# that
#   - the guest runs: counters[0] grows between two attaches of a new gdb;
#   - its code is its own: x/16xw tick and x/4xw after_probe read through
#     the daemon equal the ELF's bytes (no BRK #0, 0xd4200000, left over);
#   - no breakpoint is left in the daemon (monitor info vm, monitor hw);
#   - the daemon serves a new gdb;
#   - the daemon's and the VM's file descriptor counts are back to the
#     baseline taken before the fault.
# Every wait is bounded, every process is killed by PID, all on loopback.
# The guest is tests/guest/arm64/guest.S: tick runs every pass of the loop;
# puts runs once at boot and power_off never, so breakpoints there never hit.

load helpers
load faults-lib

setup_file() {
	# what the guest's code must read as after every fault, taken once
	# (without gdb-multiarch or the guest, need_arm64 skips every test)
	if [ -n "${GDB_MULTIARCH:-}" ] && [ "$GDB_MULTIARCH" != no ] && [ -n "${GUEST_ARM64:-}" ]; then
		ELF_TEXT=$(GDB_BIN=$GDB_MULTIARCH GUEST_ARM64=${GUEST_ARM64:-} elf_text)
		export ELF_TEXT
	fi
}

setup() {
	need_arm64
	common_setup
	EXTRA_PIDS=
}

teardown() {
	local pid
	# gdb ignores SIGTERM: KILL it, and the helpers this file starts
	for pid in ${GDB_PIDS:-} ${EXTRA_PIDS:-}; do
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	GDB_PIDS=
	common_teardown
}

# ---- helpers of this file ----------------------------------------------------

# vm_up: a new simulated AArch64 machine on the existing $VM_SOCK (a stale
# socket there is replaced), its guest running; sets VM_PID
vm_up() {
	rm -f "$TMP/serial.log"
	"$DBGPROXY_VM" --arch aarch64 --kernel "$GUEST_ARM64" --socket "$VM_SOCK" --vcpus 1 \
		> "$TMP/serial.log" 2>> "$TMP/vm.log" 3>&- &
	VM_PID=$!
	wait_for grep -q "arm64 test guest up" "$TMP/serial.log" || { cat "$TMP/vm.log" >&2; return 1; }
}

# gdb_stopped_with_points OUT: a gdb in the background (GDB_PIDS) that
# inserts a software breakpoint on tick and a hardware one on after_probe
# (always inserted), runs to one of them and stays attached, stopped, for
# up to 60 s; returns once it is there, with both points in the VM
gdb_stopped_with_points() {
	gdb_bg "$1" "set breakpoint always-inserted on" "break tick" "hbreak after_probe" \
		"continue" "monitor info vm" "monitor hw" 'echo STOPPED-WITH-POINTS\n' \
		"python import time; time.sleep(60)" "detach"
	wait_for grep -q "STOPPED-WITH-POINTS" "$1" || { cat "$1" >&2; return 1; }
	cat "$1"
	grep -Eq '^Breakpoint [12], (tick|after_probe)' "$1"
	grep -Eq '^sw breakpoints: +1 inserted' "$1"
	grep -Eq '^BP0 .* exec 0x[0-9a-f]+\+4' "$1"
}

# elf_text: tick's 16 and after_probe's 4 words as the ELF file has them
# (gdb on the file, no target)
elf_text() {
	"$GDB_BIN" -batch -nx -ex "x/16xw tick" -ex "x/4xw after_probe" "$GUEST_ARM64" 2>&1 |
		grep -E '^0x[0-9a-f]+ <'
}

# what probe/recovered (faults-lib.bash) read: the counter, the code
COUNTER_EXPR='*(long *)&counters'
TEXT_CMDS=("x/16xw tick" "x/4xw after_probe")

# want_text: the ELF's code bytes as TEXT_CMDS show them, checked to be
# what this file means (4 lines of tick, 1 of after_probe, no BRK #0)
want_text() {
	local want=${ELF_TEXT:-}
	[ -n "$want" ] || want=$(elf_text)
	local nl=${want//[!$'\n']/}
	[ "${#nl}" -eq 4 ] || return 1
	[[ $want == *"<tick>:"*"<after_probe>:"* ]] || return 1
	[[ $want != *d4200000* ]] || return 1
	printf '%s\n' "$want"
}

# ---- the matrix ------------------------------------------------------------------

@test "gdb killed (-9) while stopped with a software and a hardware breakpoint inserted" {
	start_vm_arm64 1
	start_daemon
	baseline
	gdb_stopped_with_points "$TMP/gdb.out"
	kill9 "$GDB_PIDS"
	GDB_PIDS=
	wait_for grep -q "gdb session from .* ended" "$TMP/daemon.log"
	# the VM took the software breakpoint out of the guest's code
	wait_for grep -q "debug state cleared: 1 software breakpoint(s) restored, 0 watch(es) removed, guest resumed" "$TMP/vm.log"
	recovered
}

@test "gdb killed (-9) while the guest runs with never-hit breakpoints inserted" {
	start_vm_arm64 1
	DAEMON_LOG_LEVEL=debug start_daemon
	baseline
	# puts runs once at boot, power_off never: continue runs until gdb dies
	gdb_bg "$TMP/gdb.out" "set breakpoint always-inserted on" "break *puts" "hbreak *power_off" \
		"monitor info vm" "monitor hw" 'echo RUNNING\n' "continue"
	wait_for grep -q "RUNNING" "$TMP/gdb.out"
	wait_for grep -q "guest resumed by gdb" "$TMP/daemon.log"
	cat "$TMP/gdb.out"
	grep -Eq '^sw breakpoints: +1 inserted' "$TMP/gdb.out"
	grep -Eq '^BP0 .* exec 0x[0-9a-f]+\+4' "$TMP/gdb.out"
	sleep 0.2
	kill -0 "$GDB_PIDS"
	kill9 "$GDB_PIDS"
	GDB_PIDS=
	wait_for grep -q "gdb session from .* ended" "$TMP/daemon.log"
	wait_for grep -q "debug state cleared: 1 software breakpoint(s) restored, 0 watch(es) removed, guest resumed" "$TMP/vm.log"
	recovered
}

@test "dbgproxyd killed (-9) with breakpoints inserted: the VM restores and resumes; a new daemon serves" {
	start_vm_arm64 1
	start_daemon
	baseline
	gdb_stopped_with_points "$TMP/gdb.out"
	kill9 "$DAEMON_PID"
	DAEMON_PID=
	# the VM notices its debugger is gone on its own
	wait_for grep -q "debug state cleared: 1 software breakpoint(s) restored, 0 watch(es) removed, guest resumed" "$TMP/vm.log"
	grep -q "debugger disconnected" "$TMP/vm.log"
	kill9 "$GDB_PIDS"
	GDB_PIDS=
	mv "$TMP/daemon.log" "$TMP/daemon-killed.log"
	fds_back "$VM_PID" $((VM_FDS - 1)) dbgproxy-vm
	start_daemon
	recovered
}

@test "dbgproxy-vm killed (-9) under a running gdb: gdb sees the end, the daemon reconnects to the next VM" {
	# both VMs started alike, so that their descriptor counts compare
	TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/dbgproxy-faults.XXXXXX")
	VM_SOCK=$TMP/vm.sock
	vm_up
	DAEMON_LOG_LEVEL=debug start_daemon
	baseline
	gdb_bg "$TMP/gdb.out" 'echo RUNNING\n' "continue" 'echo AFTER-CONTINUE\n'
	wait_for grep -q "RUNNING" "$TMP/gdb.out"
	wait_for grep -q "guest resumed by gdb" "$TMP/daemon.log"
	kill9 "$VM_PID"
	# gdb is told and its continue ends: the target terminated
	wait_for sh -c "! kill -0 $GDB_PIDS 2>/dev/null"
	wait "$GDB_PIDS" 2>/dev/null || true
	GDB_PIDS=
	cat "$TMP/gdb.out"
	grep -q "dbgproxyd: lost the VM" "$TMP/gdb.out"
	grep -q "terminated with signal SIGKILL" "$TMP/gdb.out"
	grep -q "AFTER-CONTINUE" "$TMP/gdb.out"
	# the daemon lives on, without the VM and without gdb
	grep -q "lost the VM at $VM_SOCK" "$TMP/daemon.log"
	kill -0 "$DAEMON_PID"
	fds_back "$DAEMON_PID" $((D_FDS - 1)) dbgproxyd
	vm_up
	wait_for count_in "$TMP/daemon.log" "ready:" 2
	recovered
}

@test "the VM socket drops mid-frame during the handshake: the daemon logs, retries, then takes the real VM" {
	TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/dbgproxy-faults.XXXXXX")
	VM_SOCK=$TMP/vm.sock
	# a fake VM: for each of 4 connections reads the HELLO request and
	# sends part of the 48-byte reply (header and 8 payload bytes, 8 header
	# bytes, all but the last byte, nothing), then closes; then it is gone
	python3 -c '
import signal, socket, struct, sys
signal.alarm(30)  # bounded whatever happens
path, log = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(4)
srv.settimeout(20)
with open(log, "a", buffering=1) as f:
    for i, cut in enumerate((24, 8, 47, 0)):
        c, _ = srv.accept()
        c.settimeout(5)
        req = b""
        while len(req) < 24:
            got = c.recv(24 - len(req))
            if not got:
                break
            req += got
        seq = struct.unpack_from("<I", req, 8)[0] if len(req) >= 12 else 0
        reply = struct.pack("<IHHII", 48, 1, 0x81, seq, 0) + \
            struct.pack("<8I", 1, 2, 1, 6, 4, 0x16, 1 << 20, 0)
        c.sendall(reply[:cut])
        c.close()
        f.write("connection %d: HELLO of %d bytes, sent %d of 48\n" % (i, len(req), cut))
srv.close()
' "$VM_SOCK" "$TMP/fake.log" 3>&- &
	FAKE_PID=$!
	EXTRA_PIDS=$FAKE_PID
	wait_for test -S "$VM_SOCK"
	daemon_up --log-level info
	wait_for count_in "$TMP/fake.log" "^connection" 4
	wait "$FAKE_PID" || true
	EXTRA_PIDS=
	cat "$TMP/fake.log"
	[ "$(grep -c '^connection .*HELLO of 24 bytes' "$TMP/fake.log")" -eq 4 ]
	grep -q "VM at $VM_SOCK not reachable (the VM closed the connection); retrying with back-off" \
		"$TMP/daemon.log"
	! grep -q "ready:" "$TMP/daemon.log" || false
	kill -0 "$DAEMON_PID"
	# between two retries only the listening socket is open: none of the
	# failed handshakes' links leaked
	wait_for sh -c "[ \$(ls -l /proc/$DAEMON_PID/fd | grep -c socket:) -eq 1 ]"
	# the real VM comes up on the same (now stale) socket path
	vm_up
	wait_for grep -q "ready:" "$TMP/daemon.log"
	cat "$TMP/daemon.log"
	[ "$(nsockets "$DAEMON_PID")" -eq 2 ]
	D_FDS=$(nfds "$DAEMON_PID")
	VM_FDS=$(nfds "$VM_PID")
	recovered
}

@test "SIGHUP with gdb attached: the daemon re-reads its log level, the gdb session goes on" {
	start_vm_arm64 1
	printf '[dbgproxyd]\nlog-level=info\n' > "$TMP/d.conf"
	daemon_up --config "$TMP/d.conf"
	baseline
	gdb_bg "$TMP/gdb.out" "hbreak tick" "continue" "p *(long *)&counters" 'echo READY\n' \
		"python import os, time; [time.sleep(0.05) for _ in range(600) if not os.path.exists('$TMP/go')]" \
		"continue" "p *(long *)&counters" "monitor info vm" "continue" "p *(long *)&counters" \
		"delete" "detach"
	wait_for grep -q "READY" "$TMP/gdb.out"
	printf '[dbgproxyd]\nlog-level=debug\n' > "$TMP/d.conf"
	kill -HUP "$DAEMON_PID"
	wait_for grep -q "SIGHUP: log level now debug" "$TMP/daemon.log"
	printf '[dbgproxyd]\nlog-level=loud\n' > "$TMP/d.conf"
	kill -HUP "$DAEMON_PID"
	wait_for grep -q "SIGHUP: .*bad log-level 'loud'; log level unchanged" "$TMP/daemon.log"
	lines_before=$(wc -l < "$TMP/daemon.log")
	touch "$TMP/go"
	wait_for sh -c "! kill -0 $GDB_PIDS 2>/dev/null"
	wait "$GDB_PIDS"
	GDB_PIDS=
	cat "$TMP/gdb.out"
	[ "$(grep -c '^Breakpoint 1, tick' "$TMP/gdb.out")" -eq 3 ]
	vals=($(values "$(cat "$TMP/gdb.out")"))
	[ "${#vals[@]}" -eq 3 ]
	[ $((vals[1] - vals[0])) -eq 1 ]
	[ $((vals[2] - vals[1])) -eq 1 ]
	grep -Eq '^state: +stopped' "$TMP/gdb.out"
	grep -q '^\[Inferior 1 (Remote target) detached\]' "$TMP/gdb.out"
	! grep -q "Remote connection closed" "$TMP/gdb.out" || false
	# the new level took effect: debug lines after the SIGHUPs
	[ "$(tail -n +"$lines_before" "$TMP/daemon.log" | grep -c 'DEBUG')" -gt 0 ]
	printf '[dbgproxyd]\nlog-level=info\n' > "$TMP/d.conf"
	kill -HUP "$DAEMON_PID"
	wait_for grep -q "SIGHUP: log level now info" "$TMP/daemon.log"
	recovered
}

@test "a gdb-port client that floods g and never reads: a second client is refused politely meanwhile; after the drop a real gdb works" {
	start_vm_arm64 1
	start_daemon
	baseline
	# phase 1: 2000 g requests, none of the replies read; phase 2 (once
	# $TMP/go exists): flood until the daemon drops the connection
	python3 -c '
import os, signal, socket, sys, time
signal.alarm(60)  # bounded whatever happens
port, tmp = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"$g#67" * 2000)
open(tmp + "/stuck", "w").close()
t = time.time()
while not os.path.exists(tmp + "/go") and time.time() - t < 30:
    time.sleep(0.05)
s.setblocking(False)
chunk = b"$g#67" * 20000
sent, how = 0, "not dropped"
t = time.time()
while time.time() - t < 20:
    try:
        sent += s.send(chunk)
    except BlockingIOError:
        time.sleep(0.01)
    except OSError as e:
        how = "dropped: %s" % e
        break
open(tmp + "/flood.out", "w").write("%s after %d bytes in %.1f s\n" % (how, sent, time.time() - t))
' "$PORT" "$TMP" 3>&- &
	FLOOD_PID=$!
	EXTRA_PIDS=$FLOOD_PID
	wait_for test -e "$TMP/stuck"
	wait_for grep -q "attaching gdb" "$TMP/daemon.log"
	# a second gdb while the flooder holds the session: an answer, then the end
	SECONDS=0
	run gdb_batch "p 1"
	echo "$output"
	[ "$SECONDS" -lt 10 ]
	printf '%s\n' "$output" | grep -q "E.dbgproxyd: another gdb is already attached to this VM"
	printf '%s\n' "$output" | grep -q "Remote connection closed"
	grep -q "refused a second gdb from 127.0.0.1" "$TMP/daemon.log"
	kill -0 "$FLOOD_PID"
	! grep -q "gdb session from .* ended" "$TMP/daemon.log" || false
	touch "$TMP/go"
	wait "$FLOOD_PID"
	EXTRA_PIDS=
	cat "$TMP/flood.out"
	grep -q "^dropped" "$TMP/flood.out"
	grep "ended:" "$TMP/daemon.log"
	grep -Eq "gdb session from 127.0.0.1:[0-9]+ ended: (gdb floods the daemon with packets|gdb does not read its replies)" \
		"$TMP/daemon.log"
	recovered
}

@test "a storm of 1000 connections while a gdb works: each is answered or closed in time; the gdb's commands all succeed" {
	# the storm client and the daemon hold ~1000 descriptors at once
	hard=$(ulimit -Hn)
	if [ "$hard" != unlimited ] && [ "$hard" -lt 2200 ]; then
		skip "the hard limit on open files ($hard) is below the 2200 this storm needs"
	fi
	soft=$(ulimit -Sn)
	if [ "$soft" != unlimited ] && [ "$soft" -lt 2200 ]; then
		ulimit -Sn 4096
	fi
	start_vm_arm64 1
	start_daemon
	baseline
	cat > "$TMP/loop.py" <<-EOF
	import gdb, os, time
	vals, errs, t = [], 0, time.time()
	stamps = []
	open("$TMP/gdb-ready", "w").close()
	while not os.path.exists("$TMP/done") and time.time() - t < 40:
	    try:
	        gdb.execute("continue", to_string=True)
	        out = gdb.execute("p *(long *)&counters", to_string=True)
	        vals.append(int(out.split("=")[1]))
	        stamps.append(time.time())
	    except Exception as e:
	        errs += 1
	        print("ERROR", e)
	start, end = map(float, open("$TMP/storm-window").read().split())
	print("ITERATIONS", len(vals), "ERRORS", errs)
	print("DURING-STORM", sum(1 for s in stamps if start <= s <= end))
	print("CONSECUTIVE", all(b == a + 1 for a, b in zip(vals, vals[1:])))
	EOF
	gdb_bg "$TMP/gdb.out" "hbreak tick" "source $TMP/loop.py" "delete" "detach"
	wait_for test -e "$TMP/gdb-ready"
	timeout -s KILL 40 python3 -c '
import errno, resource, selectors, socket, sys, time
port, n = int(sys.argv[1]), 1000
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft != resource.RLIM_INFINITY and soft < n + 100:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
sel = selectors.DefaultSelector()
kind = {}   # sock -> "talk" (sends a packet), "silent" or "abort" (RST at once)
got = {}
res = {"refused": 0, "aborted": 0, "answered+closed": 0, "closed unanswered": 0, "hung": 0}
t0 = time.time()
for i in range(n):
    s = socket.socket()
    s.setblocking(False)
    e = s.connect_ex(("127.0.0.1", port))
    if e not in (0, errno.EINPROGRESS):
        res["refused"] += 1
        s.close()
        continue
    kind[s] = ("talk", "silent", "abort")[i % 3]
    got[s] = b""
    sel.register(s, selectors.EVENT_WRITE)
opened = time.time() - t0
deadline = t0 + 20
while sel.get_map() and time.time() < deadline:
    for key, ev in sel.select(timeout=0.2):
        s = key.fileobj
        if ev & selectors.EVENT_WRITE:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                res["refused"] += 1
                sel.unregister(s); s.close()
            elif kind[s] == "abort":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                res["aborted"] += 1
                sel.unregister(s); s.close()
            else:
                if kind[s] == "talk":
                    s.send(b"$qSupported#37")
                sel.modify(s, selectors.EVENT_READ)
            continue
        try:
            d = s.recv(4096)
        except OSError:
            d = b""
        if d:
            got[s] += d
            continue
        if b"another gdb is already attached" in got[s]:
            res["answered+closed"] += 1
        else:
            res["closed unanswered"] += 1
        sel.unregister(s); s.close()
res["hung"] = len(sel.get_map())
open(sys.argv[2] + "/storm-window", "w").write("%f %f\n" % (t0, time.time()))
print("opened %d connections in %.2f s, done in %.2f s: %s" % (n, opened, time.time() - t0, res))
' "$PORT" "$TMP" > "$TMP/storm.out" 2>&1 3>&-
	cat "$TMP/storm.out"
	grep -q "'refused': 0, 'aborted': 333, 'answered+closed': 667, 'closed unanswered': 0, 'hung': 0" \
		"$TMP/storm.out"
	# the attached gdb is still the one being served: nothing leaked
	fds_back "$DAEMON_PID" $((D_FDS + 1)) dbgproxyd
	touch "$TMP/done"
	wait_for sh -c "! kill -0 $GDB_PIDS 2>/dev/null"
	wait "$GDB_PIDS"
	GDB_PIDS=
	grep -v '^Breakpoint 1, tick\|^$' "$TMP/gdb.out"
	grep -q "^ITERATIONS [0-9]* ERRORS 0$" "$TMP/gdb.out"
	# the daemon kept serving the attached gdb through the storm
	[ "$(sed -n 's/^DURING-STORM //p' "$TMP/gdb.out")" -ge 5 ]
	grep -q "^CONSECUTIVE True$" "$TMP/gdb.out"
	grep -q '^\[Inferior 1 (Remote target) detached\]' "$TMP/gdb.out"
	[ "$(grep -c "refused a second gdb" "$TMP/daemon.log")" -ge 667 ]
	recovered
}
