#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# dbgproxyd's lifecycle under hostile timing: signals twice, a client that
# kills the session from inside a handler, the VM going away with requests
# in flight, gdb leaving while a PAUSE is on its way.  Each case once
# crashed or aborted the daemon (use-after-free, a libev abort); run under
# the ASan build they fail on any memory error.  No KVM needed: the VM is
# the simulated AArch64 machine, or none at all.

load helpers

setup() {
	common_setup life
}

teardown() {
	common_teardown
}

# start_a64: the simulated AArch64 machine (running) on $VM_SOCK
start_a64() {
	VM_SOCK=$TMP/vm.sock
	"$DBGPROXY_VM" --arch aarch64 --kernel "$GUEST_ARM64" --socket "$VM_SOCK" \
		> "$TMP/serial.log" 2> "$TMP/vm.log" &
	VM_PID=$!
	wait_for test -S "$VM_SOCK"
}

# start_unix_daemon [ARGS...]: dbgproxyd listening on $TMP/gdb.sock
start_unix_daemon() {
	GDB_SOCK=$TMP/gdb.sock
	"$DBGPROXYD" --listen "unix:$GDB_SOCK" --vm "${VM_SOCK:-$TMP/no-vm.sock}" "$@" \
		> "$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for test -S "$GDB_SOCK"
}

# raw PYTHON-STATEMENTS: run them with `s`, a socket connected to the daemon
raw() {
	timeout -s KILL 30 python3 -c "
import socket, time
s = socket.socket(socket.AF_UNIX)
s.connect('$GDB_SOCK')
$1
"
}

# the daemon is alive, wrote no sanitizer report, and serves a new client
# (or, with no VM, tells it why it cannot: the VM is not reachable)
healthy() {
	kill -0 "$DAEMON_PID"
	! grep -q "Sanitizer\|runtime error\|aborting" "$TMP/daemon.log" || false
	raw "
s.sendall(b'\$qSupported#37'); s.settimeout(10); got = b''
while b'#' not in got.lstrip(b'+'):
    got += s.recv(4096)
print(got)" > "$TMP/probe"
	grep -q "PacketSize\|E.dbgproxyd: the VM at .* is not reachable" "$TMP/probe"
}

# ended_cleanly SIGNAL...: the daemon exits 0 with its socket gone
signals_end_cleanly() {
	local sig
	for sig in "$@"; do
		kill -"$sig" "$DAEMON_PID"
		sleep 0.08
	done
	local status=0
	wait "$DAEMON_PID" || status=$?
	DAEMON_PID=
	cat "$TMP/daemon.log"
	[ "$status" -eq 0 ]
	[ ! -e "$GDB_SOCK" ]
	! grep -q "Sanitizer\|runtime error\|aborting" "$TMP/daemon.log" || false
}

@test "two SIGTERMs 80 ms apart: exit 0, socket removed, no abort" {
	need_arm64
	start_a64 && start_unix_daemon
	wait_for grep -q "ready:" "$TMP/daemon.log"
	signals_end_cleanly TERM TERM
}

@test "SIGINT then SIGTERM: exit 0, socket removed, no abort" {
	need_arm64
	start_a64 && start_unix_daemon
	wait_for grep -q "ready:" "$TMP/daemon.log"
	signals_end_cleanly INT TERM
}

@test "SIGHUP does not stop the daemon; it re-reads the log level from the config file" {
	printf '[dbgproxyd]\nlog-level=warning\n' > "$TMP/d.conf"
	start_unix_daemon --config "$TMP/d.conf"
	kill -HUP "$DAEMON_PID"
	sleep 0.3
	printf '[dbgproxyd]\nlog-level=debug\n' > "$TMP/d.conf"
	kill -HUP "$DAEMON_PID"
	wait_for grep -q "SIGHUP: log level now debug" "$TMP/daemon.log"
	healthy
}

@test "k and D while the VM link is down: the client is told why, the daemon serves the next client" {
	start_unix_daemon
	raw "s.sendall(b'\$k#6b'); time.sleep(0.3)"
	healthy
	raw "s.sendall(b'\$D#44'); s.settimeout(5); s.recv(100); time.sleep(0.3)"
	healthy
	raw "s.sendall(b'\$qSupported#37\$k#6b\$g#67'); time.sleep(0.3)"
	healthy
	# whatever the first packet, its answer says why gdb cannot be served
	raw "
s.sendall(b'\$m0,4#fd'); s.settimeout(10); got = b''
while b'#' not in got.lstrip(b'+'):
    got += s.recv(4096)
print(got)" > "$TMP/reply"
	cat "$TMP/reply"
	grep -q "E.dbgproxyd: the VM at $TMP/no-vm.sock is not reachable (No such file or directory)" \
		"$TMP/reply"
}

# start_tcp_daemon: dbgproxyd on a free loopback port (PORT) for $VM_SOCK,
# which need not exist yet; returns once it listens
start_tcp_daemon() {
	local try
	for try in $(seq 1 20); do
		PORT=$((20000 + RANDOM % 30000))
		"$DBGPROXYD" --listen "127.0.0.1:$PORT" --vm "$VM_SOCK" > "$TMP/daemon$PORT.log" 2>&1 &
		DAEMON_PID="${DAEMON_PID:-} $!"
		if wait_for grep -q "gdb on 127.0.0.1:$PORT" "$TMP/daemon$PORT.log"; then
			return 0
		fi
	done
	return 1
}

@test "gdb connecting while no VM runs is told why at once; when the VM runs, the next gdb attaches without waiting out the back-off" {
	need_arm64
	VM_SOCK=$TMP/vm.sock
	start_tcp_daemon
	# it used to answer '?' with an error, which gdb takes for a stop: gdb
	# then waited for ever
	run gdb_batch "info registers pc"
	echo "$output"
	[[ "$output" == *"Remote failure reply: E.dbgproxyd: the VM at $VM_SOCK is not reachable (No such file or directory); connect again once it is"* ]]
	[[ "$output" == *"Remote connection closed"* ]]
	grep -q "refused gdb from 127.0.0.1:[0-9]*: the VM at $VM_SOCK is not reachable" "$TMP/daemon$PORT.log"
	# the link's back-off is at its 5 s ceiling after ~6.3 s: its next try
	# is ~11.3 s after the start, long after gdb below
	sleep 7
	start_a64
	run gdb_batch "info registers pc"
	echo "$output"
	[[ "$output" == *"pc             0x"* ]]
	[[ "$output" != *"not reachable"* ]]
}

@test "a VM held by another debugger: gdb is told so; once it is free, the next gdb attaches" {
	need_arm64
	start_a64
	start_tcp_daemon
	local first=$PORT
	wait_for grep -q "ready:" "$TMP/daemon$first.log"
	start_tcp_daemon
	wait_for grep -q "not reachable (another debugger" "$TMP/daemon$PORT.log"
	run gdb_batch "info registers pc"
	echo "$output"
	[[ "$output" == *"E.dbgproxyd: the VM at $VM_SOCK is not reachable (another debugger is already connected to this VM"* ]]
	local pid=${DAEMON_PID# }
	pid=${pid%% *}
	kill "$pid"
	wait_for sh -c "! kill -0 $pid 2>/dev/null"
	run gdb_batch "info registers pc"
	echo "$output"
	[[ "$output" == *"pc             0x"* ]]
}

@test "a client that floods g and never reads: dropped, not the daemon" {
	need_arm64
	start_a64 && start_unix_daemon
	wait_for grep -q "ready:" "$TMP/daemon.log"
	raw "
s.setblocking(False)
chunk = b'\$g#67' * 20000
sent = 0
t = time.time()
while time.time() - t < 10 and sent < 40 * len(chunk):
    try:
        sent += s.send(chunk)
    except BlockingIOError:
        time.sleep(0.01)
    except OSError:
        break
"
	healthy
}

@test "the VM dies with requests in flight: gdb is told, the daemon reconnects to the next VM" {
	need_arm64
	start_a64 && start_unix_daemon
	wait_for grep -q "ready:" "$TMP/daemon.log"
	raw "
s.sendall(b'+\$qSupported#37')
s.settimeout(5); s.recv(4096)
s.sendall(b'+' + b''.join(b'\$g#67' for _ in range(200)))
time.sleep(0.05)
import os, signal
os.kill($VM_PID, signal.SIGKILL)
time.sleep(0.5)
"
	wait "$VM_PID" 2>/dev/null || true
	start_a64
	wait_for grep -q "ready:.*" "$TMP/daemon.log"
	healthy
}

@test "gdb leaves while a PAUSE is pending: the guest runs on, the daemon serves the next gdb" {
	need_arm64
	start_a64 && start_unix_daemon
	wait_for grep -q "ready:" "$TMP/daemon.log"
	for i in 1 2 3 4 5; do
		raw "
s.sendall(b'+\$qSupported#37')
s.settimeout(5); s.recv(4096)
s.sendall(b'+\$c#63')
time.sleep(0.02)
s.sendall(b'\x03')
s.close()
"
	done
	healthy
	# the guest runs on: its counter moves between two attaches
	PORT=
	local probe=(timeout -s KILL 60 "$GDB_MULTIARCH" -batch -nx -ex "target remote $GDB_SOCK"
		-ex "p/x *(long *)&counters" -ex "detach" "$GUEST_ARM64")
	run "${probe[@]}"
	echo "$output"
	before=$(last_value "$output")
	sleep 0.5
	run "${probe[@]}"
	echo "$output"
	[ $(( $(last_value "$output") )) -gt $((before)) ]
}

@test "dbgproxy-vm survives clients that send a malformed frame and close at once; the guest keeps running" {
	need_arm64
	start_a64
	for i in $(seq 1 10); do
		timeout -s KILL 10 python3 -c "
import socket, struct
s = socket.socket(socket.AF_UNIX)
s.connect('$VM_SOCK')
s.sendall(struct.pack('<IHHII', 0xffffffff, 1, 5, 1, 0))
s.close()
"
	done
	sleep 0.3
	kill -0 "$VM_PID"
	! grep -q "Sanitizer\|runtime error" "$TMP/vm.log" || false
	# a debugger still gets the guest, which has kept running
	start_unix_daemon
	wait_for grep -q "ready:" "$TMP/daemon.log"
	healthy
}

@test "Ctrl-C in the same read as the continue it interrupts still stops the guest (SIGINT)" {
	need_arm64
	start_a64 && start_unix_daemon
	wait_for grep -q "ready:" "$TMP/daemon.log"
	raw "
s.settimeout(10)
s.sendall(b'+\$qSupported#37')
got = b''
while b'#' not in got.lstrip(b'+'):
    got += s.recv(4096)
s.sendall(b'+\$c#63\x03')
got = b''
while b'\$T' not in got:
    got += s.recv(4096)
print(got)
" > "$TMP/stop"
	cat "$TMP/stop"
	grep -q '\$T02' "$TMP/stop"
	healthy
}

@test "vCont;t alone gets an answer instead of a silence (all-stop: nothing would run)" {
	need_arm64
	start_a64 && start_unix_daemon
	wait_for grep -q "ready:" "$TMP/daemon.log"
	raw "
s.settimeout(10)
def pkt(p):
    return b'\$' + p + b'#' + b'%02x' % (sum(p) & 0xff)
s.sendall(b'+' + pkt(b'qSupported'))
got = b''
while b'#' not in got.lstrip(b'+'):
    got += s.recv(4096)
s.sendall(b'+' + pkt(b'vCont;t'))
got = b''
while b'#' not in got.lstrip(b'+'):
    got += s.recv(4096)
print(got)
" > "$TMP/reply"
	cat "$TMP/reply"
	grep -q "E.vCont resumes no vCPU" "$TMP/reply"
	healthy
}

@test "out of file descriptors, accept backs off instead of spinning; the daemon serves again after" {
	GDB_SOCK=$TMP/gdb.sock
	bash -c "ulimit -n 10; exec \"$DBGPROXYD\" --listen \"unix:$GDB_SOCK\" --vm \"$TMP/no-vm.sock\"" \
		> "$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for test -S "$GDB_SOCK"
	raw "
socks = []
for i in range(60):
    c = socket.socket(socket.AF_UNIX)
    c.connect('$GDB_SOCK')
    socks.append(c)
time.sleep(3)
for c in socks:
    c.close()
"
	sleep 1.5
	cat "$TMP/daemon.log" | head -20
	# a warning per episode, not a flood (it used to log ~200k lines a second)
	[ "$(wc -l < "$TMP/daemon.log")" -lt 500 ]
	grep -q "not accepting for 0.5 s" "$TMP/daemon.log"
	healthy
}

@test "a client that floods packets while the guest runs is told and dropped; the daemon's memory stays bounded" {
	need_arm64
	start_a64 && start_unix_daemon
	wait_for grep -q "ready:" "$TMP/daemon.log"
	raw "
s.settimeout(10)
s.sendall(b'+\$qSupported#37')
got = b''
while b'#' not in got.lstrip(b'+'):
    got += s.recv(4096)
s.sendall(b'+\$c#63')
time.sleep(0.2)
chunk = b'\$m40000000,4#' + b'%02x' % (sum(b'm40000000,4') & 0xff)
chunk = chunk * 4096
sent = 0
s.setblocking(False)
t = time.time()
while sent < (64 << 20) and time.time() - t < 20:
    try:
        sent += s.send(chunk)
    except BlockingIOError:
        time.sleep(0.005)
    except OSError:
        break
print('sent', sent)
"
	grep -q "floods the daemon with packets" "$TMP/daemon.log"
	# resident memory of the daemon stays far below the 64 MiB it was sent
	rss=$(awk '/VmRSS/ { print $2 }' /proc/$DAEMON_PID/status)
	echo "daemon RSS ${rss} kB"
	[ "$rss" -lt 60000 ]
	healthy
}
