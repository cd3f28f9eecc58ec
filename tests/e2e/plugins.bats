#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# Plugins (dbgproxyd-plugin(7)) with real gdb-multiarch against the
# simulated AArch64 machine: bptrace's breakpoints gdb never sees, counted
# exactly across gdb's detach and re-attach; plugins loaded and unloaded
# while gdb is attached; plugins that are refused, fail, or unload
# themselves in the middle of a hit with a read in flight — the daemon,
# gdb and the guest carry on.  tests/unit/test-plugin-host covers the host
# without a VM (services, orders, versions).

load helpers

setup() {
	need_arm64
	common_setup
	TP=${TEST_PLUGIN_DIR:?set by make check}
}

teardown() {
	common_teardown
}

# the guest's pass counter (tick adds one per call, after its first instruction)
COUNTER='p *(long *)&counters'

# hits of the trace at tick in `monitor bptrace show` output
hits_of() {
	printf '%s\n' "$1" | sed -n 's/^0x[0-9a-f]*\( (hw)\)\?: \([0-9]*\) hits.*/\2/p' | tail -1
}

bptrace_across_detach() {
	local kind=$1
	start_vm_arm64 1 && start_daemon --plugin bptrace
	# gdb's own breakpoint at tick, and bptrace's at the same place
	run gdb_batch "break tick" "continue" "$COUNTER" \
		"eval \"monitor bptrace add $kind %p x1 pc\", &tick" "continue" "continue" "$COUNTER" \
		"monitor bptrace show" "delete" "detach"
	echo "$output"
	c0=$(values "$output" | head -1)
	c2=$(values "$output" | tail -1)
	[ "$c2" -eq $((c0 + 2)) ]            # gdb's breakpoint still stops gdb, once per call
	[ "$(printf '%s\n' "$output" | grep -c 'Breakpoint 1, tick')" -eq 3 ]
	[ "$(hits_of "$output")" -eq 3 ]      # the call gdb stopped in, and two more
	printf '%s\n' "$output" | grep -q "last, vCPU 0: x1=0x[0-9a-f]\{16\} pc=0x0*$(sym_hex tick)"
	# gdb gone: the guest runs on, bptrace keeps counting
	sleep 1
	run gdb_batch "break tick" "continue" "$COUNTER" "monitor bptrace show" "delete" "detach"
	echo "$output"
	cn=$(values "$output" | tail -1)
	[ "$cn" -gt $((c2 + 100)) ]
	# every call since the first counted once: exactly what the guest counted
	[ "$(hits_of "$output")" -eq $((cn - c0 + 1)) ]
	# nothing of it reached gdb while it was away
	! grep -q 'with no gdb attached' "$TMP/daemon.log" || false
}

# sym_hex NAME: the symbol's address in hex digits without 0x or leading zeros
sym_hex() {
	nm "$GUEST_ARM64" | awk -v n="$1" '$3 == n { sub(/^0+/, "", $1); print $1 }'
}

@test "bptrace: software breakpoint at tick counts exactly what the guest counted, across detach and re-attach" {
	bptrace_across_detach ""
}

@test "bptrace: the same with a hardware breakpoint slot" {
	bptrace_across_detach hw
}

@test "monitor plugin load/list/unload while gdb is attached; unload takes its breakpoint out of the VM" {
	start_vm_arm64 1 && start_daemon
	want=$("$GDB_BIN" -batch -nx -ex "x/wx tick" "$GUEST_ARM64" | awk '{ print $NF }')
	run gdb_batch "monitor plugin list" "monitor plugin load bptrace" "monitor plugin list" \
		"eval \"monitor bptrace add %p\", &tick" "monitor info vm" "x/wx tick" \
		"hbreak after_probe" "continue" "monitor bptrace show" \
		"monitor plugin unload bptrace" "monitor info vm" "monitor plugin list" "monitor bptrace show" \
		"detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q '^no plugins loaded'
	printf '%s\n' "$output" | grep -q '^plugin bptrace loaded'
	printf '%s\n' "$output" | grep -q '^bptrace 1.0: count hits'
	# in the VM, hidden from gdb's reads
	printf '%s\n' "$output" | grep -q 'sw breakpoints:   1 inserted'
	printf '%s\n' "$output" | grep -E "<tick>:[[:space:]]+$want"
	printf '%s\n' "$output" | grep -q '^plugin bptrace unloaded'
	printf '%s\n' "$output" | grep -q 'sw breakpoints:   0 inserted'
	printf '%s\n' "$output" | grep -q "unknown monitor command 'bptrace show'"
}

@test "refused and failing plugins: a clear message each, and the daemon and gdb carry on" {
	start_vm_arm64 1 && start_daemon --plugin "$TP/tp-badabi.so" --plugin "$TP/tp-a.so:fail" \
		--plugin nosuchplugin
	grep -q "tp-badabi.so was built for plugin ABI 99; this dbgproxyd has ABI 1" "$TMP/daemon.log"
	grep -q "plugin tp-a refused to start: told to fail; going on without it" "$TMP/daemon.log"
	grep -q "no plugin 'nosuchplugin'" "$TMP/daemon.log"
	run gdb_batch "monitor plugin load $TP/tp-nodesc.so" "monitor plugin load /nonexistent.so" \
		"monitor plugin load $TP/tp-b.so bad-arg" "monitor plugin unload nope" "monitor plugin frob" \
		"monitor plugin load $TP/tp-b.so" "monitor plugin load $TP/tp-b.so" "monitor tp-b noanswer" \
		"monitor plugin list" "hbreak tick" "continue" "p \$pc == tick" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q "tp-nodesc.so is not a dbgproxyd plugin (no 'dbgproxyd_plugin' descriptor"
	printf '%s\n' "$output" | grep -q "cannot load /nonexistent.so"
	printf '%s\n' "$output" | grep -q "plugin tp-b refused to start: bad argument 'bad-arg'"
	printf '%s\n' "$output" | grep -q "no plugin named 'nope' is loaded"
	printf '%s\n' "$output" | grep -q "usage: monitor plugin list"
	printf '%s\n' "$output" | grep -q "a plugin named tp-b is loaded already"
	printf '%s\n' "$output" | grep -q "plugin tp-b did not answer in time"
	[ "$(last_value "$output")" = 1 ]
	kill -0 "$DAEMON_PID"
	! grep -q PLUGIN-BUG "$TMP/daemon.log" || false
}

@test "a plugin that unloads itself in its hit with a register read in flight: no callback after its fini, the guest runs on" {
	# once 1 run in 4: the unload's REMOVE raced the step-over's own
	# REMOVE/INSERT of the point, the VM kept a breakpoint the table had
	# forgotten and gdb's next continue spun on stale stops.  Two
	# continues to byte_stores: gdb may attach between tick and it.
	start_vm_arm64 1 && start_daemon --plugin "$TP/tp-a.so"
	run gdb_batch "eval \"monitor tp-a break-unload %p\", &tick" "hbreak byte_stores" "continue" "continue" \
		"monitor plugin list" "monitor info vm" "delete" "hbreak tick" "continue" "continue" \
		"$COUNTER" "continue" "$COUNTER" "monitor tp-a readunload" "detach"
	echo "$output"
	grep -q "tp-a: hit vCPU 0 at 0x0*$(sym_hex tick)" "$TMP/daemon.log"
	grep -q "plugin tp-a unloading: unloading in a hit" "$TMP/daemon.log"
	grep -q "tp-a: fini" "$TMP/daemon.log"
	! grep -q PLUGIN-BUG "$TMP/daemon.log" || false
	! grep -q "that no client wanted" "$TMP/daemon.log" || false
	printf '%s\n' "$output" | grep -q '^no plugins loaded'
	printf '%s\n' "$output" | grep -q 'sw breakpoints:   0 inserted'
	vals=($(values "$output"))
	[ "${vals[1]}" -eq $((vals[0] + 1)) ]
	kill -0 "$DAEMON_PID"
}

@test "a plugin unloads itself with a read in flight from its monitor command" {
	start_vm_arm64 1 && start_daemon --plugin "$TP/tp-b.so"
	run gdb_batch "monitor tp-b readunload" "monitor plugin list" "monitor tp-b regs 0 pc" \
		"monitor plugin load $TP/tp-b.so" "monitor tp-b regs 0 pc x0 nosuchreg" "stepi" "p \$pc != 0" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q '^read under way'
	printf '%s\n' "$output" | grep -q '^no plugins loaded'
	printf '%s\n' "$output" | grep -q '^pc on vCPU 0: 64 bits, model 0'
	printf '%s\n' "$output" | grep -q '^x0 on vCPU 0: 64 bits, model 0'
	printf '%s\n' "$output" | grep -q "^nosuchreg on vCPU 0: vCPU 0 (CPU model 0) has no register 'nosuchreg'"
	! grep -q PLUGIN-BUG "$TMP/daemon.log" || false
	[ "$(last_value "$output")" = 1 ]
}

@test "threads from a plugin: in info threads after the vCPU, a sleeping thread's bt from the registers its plugin gives, read-only, never run by itself" {
	start_vm_arm64 1 && start_daemon --plugin "$TP/tp-a.so"
	run gdb_batch "hbreak tick" "continue" \
		"eval \"monitor tp-a threads %p %p late\", (char *)&tick + 8, (char *)&main_loop + 8" \
		"info threads" "thread 2" "bt" "p \$pc == (char *)&tick + 8" "p \$x0" \
		"set var \$x0 = 1" "stepi" "thread 3" "p \$pc" "thread 1" "p (long)\$pc - (long)&tick < 16" \
		"delete" "stepi" "info threads" "monitor plugin list" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q 'threads on (late)'
	# gdb's numbering: 1 the vCPU (named for the thread on it), 2 and 3 the sleepers
	printf '%s\n' "$output" | grep -Eq '^\* 1 +Thread 1 "vCPU 0: runner"'
	printf '%s\n' "$output" | grep -Eq '^  2 +Thread 4096 "sleeper" +tick \(\) at'
	printf '%s\n' "$output" | grep -Eq '^  3 +Thread [0-9]+ "blank" +<unavailable> in \?\? \(\)'
	printf '%s\n' "$output" | grep -Eq '^#1 +0x[0-9a-f]+ in main_loop \(\)'
	printf '%s\n' "$output" | grep -q '^\$1 = 1'
	printf '%s\n' "$output" | grep -q '^\$2 = <unavailable>'
	printf '%s\n' "$output" | grep -q 'registers of thread sleeper are read-only'
	printf '%s\n' "$output" | grep -q 'thread sleeper is not on a vCPU: it cannot run or step by itself'
	printf '%s\n' "$output" | grep -q '^\$3 = <unavailable>'
	# (before trying thread 2's step gdb stepped thread 1 off its breakpoint)
	printf '%s\n' "$output" | grep -q '^\$4 = 1'
	printf '%s\n' "$output" | grep -q 'threads: 3 in gdb'
	grep -q "tp-a: threads listed after a read of 8 bytes" "$TMP/daemon.log"
	grep -q "tp-a: sleeper's registers given" "$TMP/daemon.log"
	! grep -q PLUGIN-BUG "$TMP/daemon.log" || false
}

@test "threads from a plugin that never lists them, or unloads while gdb waits: gdb gets the vCPUs within the timeout, the late answer is dropped" {
	start_vm_arm64 1 && start_daemon --plugin "$TP/tp-a.so"
	args='(char *)&tick + 8, (char *)&main_loop + 8'
	run gdb_batch "hbreak tick" "continue" \
		"eval \"monitor tp-a threads %p %p never\", $args" "info threads" \
		"monitor tp-a threads-done" "info threads" \
		"eval \"monitor tp-a threads %p %p now\", $args" "info threads" \
		"eval \"monitor tp-a threads %p %p unload\", $args" "continue" "info threads" \
		"monitor plugin list" "continue" "p \$pc == tick" "detach"
	echo "$output"
	grep -q "plugin tp-a did not list its threads in time: gdb gets the others" "$TMP/daemon.log"
	grep -q "plugin tp-a unloading: unloading while gdb waits for its threads" "$TMP/daemon.log"
	printf '%s\n' "$output" | grep -q '^late list given'
	# the list made without tp-a's answer stands for this stop; asked
	# again once tp-a provides anew
	[ "$(printf '%s\n' "$output" | grep -c '"sleeper"')" -eq 1 ]
	[ "$(printf '%s\n' "$output" | grep -Ec '^\* 1 +Thread 1 "vCPU 0"')" -eq 3 ]
	printf '%s\n' "$output" | grep -q '^no plugins loaded'
	[ "$(last_value "$output")" = 1 ]
	! grep -q PLUGIN-BUG "$TMP/daemon.log" || false
}

@test "vCPUs of two CPU models (--sve-vl 512,0): z0 on one and not the other, for gdb and for a plugin's handles" {
	start_vm_arm64 2 --sve-vl 512,0 && start_daemon --plugin "$TP/tp-a.so"
	run gdb_batch "thread 1" "p sizeof(\$z0)" "set \$z0.d.u[7] = 0x77" "stepi" "p/x \$z0.d.u[7]" \
		"thread 2" "p \$z0" "p \$vg" "p/x \$x0" "set \$z0.d.u[0] = 1" "p \$pc != 0" \
		"monitor tp-a regs 0 z0 pc" "monitor tp-a regs 1 z0 pc" "monitor info vm" "detach"
	echo "$output"
	vals=($(values "$output"))
	[ "${vals[0]}" = 64 ]
	[ "${vals[1]}" = 0x77 ]
	[ "${vals[2]}" = "<unavailable>" ]
	[ "${vals[3]}" = "<unavailable>" ]
	[ "${vals[4]}" = 0x1 ]    # vCPU 1's x0 is its index
	printf '%s\n' "$output" | grep -q 'vCPU 1 has no register z0 (its CPU model lacks it)'
	[ "${vals[5]}" = 1 ]
	printf '%s\n' "$output" | grep -q '^z0 on vCPU 0: 512 bits, model 0'
	printf '%s\n' "$output" | grep -q '^pc on vCPU 0: 64 bits, model 0'
	printf '%s\n' "$output" | grep -q "^z0 on vCPU 1: vCPU 1 (CPU model 1) has no register 'z0'"
	printf '%s\n' "$output" | grep -q '^pc on vCPU 1: 64 bits, model 1'
	! grep -q PLUGIN-BUG "$TMP/daemon.log" || false
}

@test "with a plugin attached, D ends the session: packets behind it do not run without a client (fuzz-session found a crash)" {
	start_vm_arm64 1 && start_daemon --plugin "$TP/tp-a.so"
	# D, then a hardware breakpoint and a continue in the same write
	run timeout -s KILL 30 python3 -c '
import socket, sys, time
def pkt(p):
    return b"$" + p + b"#%02x" % (sum(p) & 0xff)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
s.sendall(pkt(b"?"))
time.sleep(0.5)
s.sendall(pkt(b"D") + pkt(b"Z1,40080060,4") + pkt(b"c"))
got = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    got += d
print(got)
' "$PORT"
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep -q '\$OK#9a'
	wait_for grep -q "gdb session from .* ended: gdb detached" "$TMP/daemon.log"
	kill -0 "$DAEMON_PID"
	run gdb_batch "p 1" "detach"
	printf '%s\n' "$output" | grep -q '^\$1 = 1'
	run gdb_batch "monitor hw"
	echo "$output"
	! printf '%s\n' "$output" | grep -q "exec" || false
}

@test "a plugin's breakpoint hit while gdb runs the guest logs no resume line each, even at debug (the log stays readable)" {
	start_vm_arm64 2 && DAEMON_LOG_LEVEL=debug start_daemon --plugin bptrace
	# both vCPUs call tick: bptrace's hits come while gdb runs the guest
	# to its own breakpoint
	run gdb_batch "eval \"monitor bptrace add %p\", &tick" "break byte_stores" "continue" \
		"continue" "continue" "continue" "monitor bptrace show" "delete" "detach"
	echo "$output"
	hits=$(printf '%s\n' "$output" | sed -n 's/^0x[0-9a-f]*: \([0-9]*\) hits.*/\1/p' | tail -1)
	told=$(grep -c "stopped (.*told gdb" "$TMP/daemon.log")
	resumes=$(grep -c "guest resumed by gdb" "$TMP/daemon.log")
	echo "$hits plugin hits, $told stops told to gdb, $resumes resume lines"
	[ "$hits" -gt "$told" ]
	# one line per resume gdb asked for (each told stop answers one), none
	# per plugin hit
	[ "$resumes" -le $((told + 1)) ]
}
