#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# gdb-sim.sh - figures of gdb-multiarch against dbgproxyd and the simulated
# AArch64 machine (no KVM needed), each feature beside what gdb does
# without it, in one run:
#   a  stepi 2000: steps/s
#   i  next over a line that loops 1000 times (spin_line, 2000 instructions):
#      s per next with range stepping, and with `set range-stepping off`
#   d  break tick if <counter> == c0 + 3000: s until the hit with the
#      condition evaluated in the VM, and by gdb (condition-evaluation host)
#   p  dprintf tick x 200: s with dprintf-style agent (the VM prints), and
#      with gdb's style (a stop per hit)
#   g  8-byte memory read round trip (gdb's read_memory, 2000 times): us, with
#      the RAM the VM shares and with --no-shared-memory
#   e  dump 1 MiB of guest RAM: MiB/s, the same two ways
#   w  watch on round (stored once per pass), 200 hits: hits/s with the
#      debug registers and with page protection; and the guest's time for
#      3000 passes with no watch, and with a watch on a variable it never
#      stores to on the page it stores to most (page protection: every
#      store there is a silent trap)
# Figures, not pass/fail.  Usage: gdb-sim.sh BUILD_DIR (make bench passes it).
set -u
B=${1:?usage: gdb-sim.sh BUILD_DIR}
GDB=${GDB_MULTIARCH:-gdb-multiarch}
GUEST=$B/tests/guest/arm64/guest.elf
command -v "$GDB" > /dev/null || { echo "gdb-sim: $GDB not found: skipped"; exit 0; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gdb-sim.XXXXXX")
VM_PID= D_PID=
cleanup() {
	for p in $D_PID $VM_PID; do kill "$p" 2> /dev/null; done
	wait 2> /dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
# start_vm [ARG...]: a fresh VM (its old one stopped), ARGs to dbgproxy-vm
start_vm() {
	if [ -n "$VM_PID" ]; then kill "$VM_PID"; wait "$VM_PID" 2> /dev/null; fi
	rm -f "$TMP/vm.sock"
	"$B/dbgproxy-vm" --arch aarch64 --kernel "$GUEST" --socket "$TMP/vm.sock" --vcpus 1 "$@" \
		> "$TMP/serial.log" 2> "$TMP/vm.log" &
	VM_PID=$!
	for _ in $(seq 100); do [ -S "$TMP/vm.sock" ] && break; sleep 0.1; done
}
# start_daemon [ARG...]: a fresh daemon on a new PORT, ARGs to dbgproxyd
start_daemon() {
	if [ -n "$D_PID" ]; then kill "$D_PID"; wait "$D_PID" 2> /dev/null; fi
	PORT=$((20000 + RANDOM % 30000))
	"$B/dbgproxyd" --listen "127.0.0.1:$PORT" --vm "$TMP/vm.sock" "$@" > "$TMP/d.log" 2>&1 &
	D_PID=$!
	for _ in $(seq 100); do grep -q "ready:" "$TMP/d.log" 2> /dev/null && break; sleep 0.1; done
}
start_vm
start_daemon

cat > "$TMP/bench.py" <<'EOF'
import gdb, time
def ev(e):
    return int(gdb.parse_and_eval(e))
def run(c):
    gdb.execute(c, to_string=True)
a = ev("(long)&counters")
sc = ev("(long)&spin_count")
def result(name, value, unit):
    print("%-58s %10.4f %s" % (name, value, unit))

def mem_figures(how):
    inf = gdb.selected_inferior()
    t = time.perf_counter()
    for _ in range(2000):
        inf.read_memory(a, 8)
    result("g  8-byte read round trip, " + how, (time.perf_counter() - t) / 2000 * 1e6, "us")
    t = time.perf_counter()
    run("dump binary memory /dev/null 0x40000000 0x40100000")
    result("e  dump 1 MiB, " + how, 1 / (time.perf_counter() - t), "MiB/s")

# d: 3000 false hits of a conditional breakpoint
def cond(mode, kind):
    run("set breakpoint condition-evaluation " + mode)
    c0 = ev("*(long *)%d" % a)
    run("%s tick if *(long *)%d == %d" % (kind, a, c0 + 3000))
    t = time.perf_counter(); run("continue"); dt = time.perf_counter() - t
    run("delete")
    return dt

# w: watch hit rate, and the cost of silent traps to the guest
def passes(n):
    c0 = ev("*(long *)%d" % a)
    run("break after_probe if *(long *)%d >= %d" % (a, c0 + n))
    t = time.perf_counter(); run("continue"); dt = time.perf_counter() - t
    run("delete")
    return dt
def watch_figures(how):
    run("watch *(long *)%d" % ev("(long)&round"))
    t = time.perf_counter()
    for _ in range(200):
        run("continue")
    result("w  watch round, 200 hits, " + how, 200 / (time.perf_counter() - t), "hits/s")
    run("delete")
    base = passes(3000)
    run("watch *(long *)%d" % ev("(long)&load_target"))
    quiet = passes(3000)
    run("delete")
    result("w  3000 guest passes, no watch (" + how + ")", base, "s")
    result("w  3000 guest passes, a quiet watch on the busy page, " + how, quiet, "s")

if PARTS == "socket":
    mem_figures("through the VM's socket (--no-shared-memory)")
elif PARTS.startswith("watch-"):
    watch_figures({"watch-regs": "debug registers", "watch-pages": "page protection"}[PARTS])
elif PARTS == "daemon-conds":
    result("d  break if (3000 false hits), evaluated by dbgproxyd", cond("target", "break"), "s")
    result("d  hbreak if (3000 false hits), evaluated by dbgproxyd", cond("target", "hbreak"), "s")
else:
    mem_figures("shared memory")
    exec(open(REST).read())
EOF
cat > "$TMP/rest.py" <<'EOF'
# a: stepi
t = time.perf_counter(); run("stepi 2000"); dt = time.perf_counter() - t
result("a  stepi 2000", 2000 / dt, "steps/s")

# i: next over the loop line, range stepping on and off
def next_over(rs):
    run("set range-stepping " + rs)
    run("thbreak after_probe"); run("continue")  # past spin's own clearing of the count
    run("set *(long *)%d = 1000" % sc)
    run("thbreak spin_line"); run("continue")
    t = time.perf_counter(); run("next"); return time.perf_counter() - t
result("i  next over 2000 instructions, range stepping (vCont;r)", next_over("on"), "s")
result("i  next over 2000 instructions, single steps", next_over("off"), "s")
run("set range-stepping on")

# d: 3000 false hits of a conditional breakpoint
result("d  break if (3000 false hits), evaluated in the VM", cond("target", "break"), "s")
result("d  hbreak if (3000 false hits), evaluated in the VM", cond("target", "hbreak"), "s")
result("d  break if (3000 false hits), evaluated by gdb", cond("host", "break"), "s")
run("set breakpoint condition-evaluation auto")

# p: 200 dprintf hits, then a stop
def dprintf(style):
    run("set dprintf-style " + style)
    c0 = ev("*(long *)%d" % a)
    run('dprintf tick,"t %%ld\\n", *(long *)%d' % a)
    run("break after_probe if *(long *)%d >= %d" % (a, c0 + 200))
    t = time.perf_counter(); run("continue"); dt = time.perf_counter() - t
    run("delete")
    return dt
result("p  dprintf x 200, dprintf-style agent (the VM prints)", dprintf("agent"), "s")
result("p  dprintf x 200, dprintf-style gdb (a stop per hit)", dprintf("gdb"), "s")
EOF
# bench PARTS: gdb runs bench.py against the daemon on PORT
bench() {
	timeout -s KILL 600 "$GDB" -batch -nx -ex "set pagination off" -ex "set confirm off" \
		-ex "target remote 127.0.0.1:$PORT" -ex "python PARTS = '$1'; REST = '$TMP/rest.py'" -ex "source $TMP/bench.py" \
		-ex "detach" "$GUEST" 2>&1 |
		grep -E '^([adipgew] |Python Exception|Error)' || echo "gdb-sim: no figures (gdb failed)"
}
echo "gdb-multiarch -> dbgproxyd -> simulated AArch64 machine (one run; figures, not pass/fail)"
bench all
# the memory figures again, every byte through the VM's socket
start_daemon --no-shared-memory
bench socket
# watchpoints: the debug registers, then page protection
start_daemon --watch-with registers
bench watch-regs
start_daemon --watch-with pages
bench watch-pages
# conditions again, with a VM that leaves them to dbgproxyd
start_vm --no-conditions
start_daemon
bench daemon-conds
