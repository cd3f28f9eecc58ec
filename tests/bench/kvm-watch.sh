#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# kvm-watch.sh - watchpoint figures on the KVM machine (x86-64 test guest),
# real gdb -> dbgproxyd -> dbgproxy-vm, one run:
#   w  watch counters[0] (stored once per pass), 200 hits: hits/s; each
#      hit must be the counter's next value (the counter grows by exactly
#      the hits)
#   w  the guest's passes/s for 2 s with no watch, and with a watch by page
#      protection on mailbox_in, which it never stores to, on the page of
#      the counters it stores to every pass (each such store is a silent trap)
# Figures, not pass/fail; skipped without /dev/kvm (make check-nested-kvm's
# tests/nested-kvm.sh can run it: see README).  Usage: kvm-watch.sh BUILD_DIR
set -u
B=${1:?usage: kvm-watch.sh BUILD_DIR}
{ [ -r /dev/kvm ] && [ -w /dev/kvm ]; } || { echo "kvm-watch: no usable /dev/kvm: skipped"; exit 0; }
command -v gdb > /dev/null || { echo "kvm-watch: gdb not found: skipped"; exit 0; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kvm-watch.XXXXXX")
VM_PID= D_PID=
cleanup() {
	for p in $D_PID $VM_PID; do kill "$p" 2> /dev/null; done
	wait 2> /dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
"$B/dbgproxy-vm" --kernel "$B/tests/guest/guest.mb" --socket "$TMP/vm.sock" --vcpus 1 \
	> "$TMP/serial.log" 2> "$TMP/vm.log" &
VM_PID=$!
for _ in $(seq 100); do [ -S "$TMP/vm.sock" ] && break; sleep 0.1; done
PORT=$((20000 + RANDOM % 30000))
"$B/dbgproxyd" --listen "127.0.0.1:$PORT" --vm "$TMP/vm.sock" --watch-with pages \
	--log-level warning > "$TMP/d.log" 2>&1 &
D_PID=$!
for _ in $(seq 100); do grep -q "ready:" "$TMP/d.log" 2> /dev/null && break; sleep 0.1; done
cat > "$TMP/bench.py" <<'EOF'
import gdb, threading, time
def run(c):
    gdb.execute(c, to_string=True)
def u64(e):
    return int(gdb.parse_and_eval(e))
def result(name, value, unit):
    print("%-66s %10.1f %s" % (name, value, unit))

run("watch counters[0]")
c0 = u64("counters[0]")
t = time.perf_counter()
for _ in range(200):
    run("continue")
dt = time.perf_counter() - t
run("delete")
exact = u64("counters[0]") - c0 == 200
result("w  watch counters[0], 200 hits%s" % ("" if exact else " (NOT EXACT)"), 200 / dt, "hits/s")

def passes_per_s(sec):
    p0 = u64("ring_pos")
    threading.Timer(sec, lambda: gdb.post_event(lambda: gdb.execute("interrupt"))).start()
    t = time.perf_counter(); run("continue"); dt = time.perf_counter() - t
    return (u64("ring_pos") - p0) / dt
result("w  guest passes/s, no watch", passes_per_s(2), "/s")
run("watch mailbox_in")
result("w  guest passes/s, a quiet watch on the page it stores to", passes_per_s(2), "/s")
run("delete")
EOF
echo "gdb -> dbgproxyd -> dbgproxy-vm (KVM), watches by page protection (one run; figures, not pass/fail)"
timeout -s KILL 600 gdb -batch -nx -ex "set pagination off" -ex "set confirm off" \
	-ex "target remote 127.0.0.1:$PORT" -ex "source $TMP/bench.py" -ex "detach" \
	"$B/tests/guest/guest.elf" 2>&1 | grep -E '^(w |Python Exception|Error)' || echo "kvm-watch: no figures (gdb failed)"
