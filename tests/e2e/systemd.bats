#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# dbgproxyd under systemd: the generated units (systemd-analyze verify and
# security, against the bar: dbgproxyd <= 2.0, dbgproxy-vm <= 4.0),
# readiness and STATUS= through a real NOTIFY_SOCKET, the watchdog, socket
# activation with systemd-socket-activate (gdb attaches through the socket
# it passes), SIGHUP, the configuration-error exit status, and
# dbgproxy-vm's socket group.  Where systemd is not PID 1, what needs a
# running systemd (systemd-run) is skipped with the reason.

load helpers

# Each test makes TMP: start_vm_arm64, or fresh_tmp when it needs no VM
# or starts the VM itself (vm_later)
setup() {
	common_setup
	NOTIFY_PID=
	PIDS=
}

fresh_tmp() {
	common_setup systemd
}

# vm_later: the simulated AArch64 machine at $TMP/vm.sock, in this TMP
vm_later() {
	"$DBGPROXY_VM" --arch aarch64 --kernel "$GUEST_ARM64" --socket "$VM_SOCK" \
		> "$TMP/serial.log" 2> "$TMP/vm.log" &
	VM_PID=$!
	wait_for test -S "$VM_SOCK"
}

teardown() {
	local pid
	for pid in $NOTIFY_PID $PIDS; do
		kill "$pid" 2>/dev/null || true
	done
	common_teardown
}

need_analyze() {
	if [ -z "${SYSTEMD_ANALYZE:-}" ] || [ "$SYSTEMD_ANALYZE" = no ]; then
		skip "systemd-analyze not found at configure time: apt-get install systemd"
	fi
}

need_libsystemd() {
	if [ "${HAVE_LIBSYSTEMD:-}" != yes ]; then
		skip "built --without-libsystemd: no sd_notify, no socket activation"
	fi
}

need_socket_activate() {
	need_libsystemd
	if [ -z "${SYSTEMD_SOCKET_ACTIVATE:-}" ] || [ "$SYSTEMD_SOCKET_ACTIVATE" = no ]; then
		skip "systemd-socket-activate not found at configure time: apt-get install systemd"
	fi
}

# unit_root: $TMP/root, a file system root the generated units are
# installed in as make install would (the binaries at their configured
# paths, systemd's own units beside them), for systemd-analyze --root
unit_root() {
	ROOT=$TMP/root
	mkdir -p "$ROOT$UNIT_BINDIR" "$ROOT/bin" "$ROOT/etc/systemd/system" "$ROOT/lib/systemd"
	cp "$DBGPROXYD" "$DBGPROXY_VM" "$ROOT$UNIT_BINDIR/"
	cp /bin/kill "$ROOT/bin/"
	cp -r /lib/systemd/system "$ROOT/lib/systemd/"
	cp "$UNITS_DIR"/*.service "$ROOT/etc/systemd/system/"
	if [ -e "$UNITS_DIR/dbgproxyd.socket" ]; then
		cp "$UNITS_DIR/dbgproxyd.socket" "$ROOT/etc/systemd/system/"
	fi
}

UNITS_CHECKED="dbgproxyd.service dbgproxyd@demo.service dbgproxy-vm.service dbgproxy-vm@demo.service"

@test "the units carry the configured paths and the daemon's configuration path is the installed one" {
	grep -qx "ExecStart=$UNIT_BINDIR/dbgproxyd --config $UNIT_SYSCONFDIR/dbgproxyd/dbgproxyd.conf" \
		"$UNITS_DIR/dbgproxyd.service"
	grep -qx "ExecStart=$UNIT_BINDIR/dbgproxyd --config $UNIT_SYSCONFDIR/dbgproxyd/%i.conf" \
		"$UNITS_DIR/dbgproxyd@.service"
	grep -q "^ExecStart=$UNIT_BINDIR/dbgproxy-vm .*--socket /run/dbgproxy-vm/vm.sock --socket-group dbgproxy" \
		"$UNITS_DIR/dbgproxy-vm.service"
	# the example configuration points at the VM unit's socket
	grep -qx "vm=/run/dbgproxy-vm/vm.sock" "$TOP_SRCDIR/etc/dbgproxyd.conf"
	# no placeholder left
	! grep -l '@[A-Za-z_]*@' "$UNITS_DIR"/*.service || false
	if [ "${HAVE_LIBSYSTEMD:-}" = yes ]; then
		grep -qx "Type=notify" "$UNITS_DIR/dbgproxyd.service"
		grep -qx "Type=notify" "$UNITS_DIR/dbgproxyd@.service"
		grep -qx "ListenStream=127.0.0.1:3333" "$UNITS_DIR/dbgproxyd.socket"
	fi
}

@test "systemd-analyze verify accepts every unit (instances of the templates too)" {
	need_analyze
	fresh_tmp
	unit_root
	cd "$ROOT/etc/systemd/system"
	local units=$UNITS_CHECKED
	if [ -e dbgproxyd.socket ]; then units="$units dbgproxyd.socket"; fi
	run "$SYSTEMD_ANALYZE" verify --man=no --root="$ROOT" $units
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# and it is not blind: a unit whose program is not there fails
	sed 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/dbgproxyd|' dbgproxyd.service > broken.service
	run "$SYSTEMD_ANALYZE" verify --man=no --root="$ROOT" broken.service
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent/dbgproxyd"* ]]
}

@test "systemd-analyze security --offline: dbgproxyd <= 2.0, dbgproxy-vm <= 4.0" {
	need_analyze
	fresh_tmp
	unit_root
	cd "$ROOT/etc/systemd/system"
	local u score bar
	for u in $UNITS_CHECKED; do
		run "$SYSTEMD_ANALYZE" security --offline=yes --root="$ROOT" "$u"
		score=$(printf '%s\n' "$output" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		case $u in dbgproxyd*) bar=2.0 ;; *) bar=4.0 ;; esac
		echo "$u: $score (bar $bar)"
		[ -n "$score" ]
		awk -v s="$score" -v b="$bar" 'BEGIN { exit !(s <= b) }'
	done
}

# notify_start: a NOTIFY_SOCKET receiver (notify-recv.py) writing to
# $TMP/notify.log; sets NOTIFY_SOCKET
notify_start() {
	NOTIFY_SOCKET=$TMP/notify.sock
	python3 "$TOP_SRCDIR/tests/e2e/notify-recv.py" "$NOTIFY_SOCKET" 120 > "$TMP/notify.log" &
	NOTIFY_PID=$!
	wait_for test -S "$NOTIFY_SOCKET"
}

notified() {
	grep -q -- "$1" "$TMP/notify.log"
}

@test "Type=notify: READY=1 once the VM link was tried (VM absent), STATUS= follows the VM and gdb" {
	need_libsystemd
	need_arm64
	fresh_tmp
	notify_start
	VM_SOCK=$TMP/vm.sock
	PORT=$((20000 + RANDOM % 30000))
	NOTIFY_SOCKET=$NOTIFY_SOCKET "$DBGPROXYD" --listen "127.0.0.1:$PORT" --vm "$VM_SOCK" \
		> "$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for notified "READY=1"
	cat "$TMP/notify.log"
	grep -q "STATUS=gdb not attached, listening on 127.0.0.1:$PORT; VM not reachable at $VM_SOCK" "$TMP/notify.log"
	# the VM comes
	vm_later
	wait_for notified "STATUS=.*VM reachable at $VM_SOCK"
	run gdb_batch "p \$pc != 0" "detach"
	echo "$output"
	[ "$(last_value "$output")" = 1 ]
	wait_for notified "STATUS=gdb not attached.*VM reachable"
	cat "$TMP/notify.log"
	grep -q "STATUS=gdb attached from 127.0.0.1:[0-9]*; VM reachable at $VM_SOCK" "$TMP/notify.log"
	[ "$(grep -c '^READY=1' "$TMP/notify.log")" -eq 1 ]
	# SIGTERM: STOPPING=1, exit 0
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	DAEMON_PID=
	wait_for notified "STOPPING=1"
}

@test "WatchdogSec=: WATCHDOG=1 comes from the loop, at half the period" {
	need_libsystemd
	fresh_tmp
	notify_start
	PORT=$((20000 + RANDOM % 30000))
	WATCHDOG_USEC=200000 NOTIFY_SOCKET=$NOTIFY_SOCKET "$DBGPROXYD" --listen "127.0.0.1:$PORT" \
		--vm "$TMP/no-vm.sock" > "$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for notified "READY=1"
	sleep 1
	n=$(grep -c '^WATCHDOG=1' "$TMP/notify.log")
	echo "$n pings in about 1 s"
	# every 0.1 s: about 10; a loop that had stopped would send none
	[ "$n" -ge 5 ]
	# a stopped loop sends none: SIGSTOP the daemon, no ping arrives
	kill -STOP "$DAEMON_PID"
	before=$(grep -c '^WATCHDOG=1' "$TMP/notify.log")
	sleep 0.5
	[ "$(grep -c '^WATCHDOG=1' "$TMP/notify.log")" -eq "$before" ]
	kill -CONT "$DAEMON_PID"
	wait_for sh -c "[ \$(grep -c '^WATCHDOG=1' '$TMP/notify.log') -gt $before ]"
	# without WATCHDOG_USEC: none
	kill "$DAEMON_PID"; wait "$DAEMON_PID" || true
	: > "$TMP/notify.log"
	NOTIFY_SOCKET=$NOTIFY_SOCKET "$DBGPROXYD" --listen "127.0.0.1:$PORT" \
		--vm "$TMP/no-vm.sock" > "$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for notified "READY=1"
	sleep 0.5
	! notified "WATCHDOG=1" || false
}

# activate_daemon ARG...: dbgproxyd under systemd-socket-activate on a free
# loopback port (PORT); it starts when gdb first connects
activate_daemon() {
	PORT=$((20000 + RANDOM % 30000))
	"$SYSTEMD_SOCKET_ACTIVATE" -l "127.0.0.1:$PORT" -E NOTIFY_SOCKET="$NOTIFY_SOCKET" \
		-E G_DEBUG=fatal-criticals ${ASAN_OPTIONS:+-E ASAN_OPTIONS="$ASAN_OPTIONS"} \
		${UBSAN_OPTIONS:+-E UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
		"$DBGPROXYD" "$@" > "$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!  # systemd-socket-activate execs the daemon: the same PID
	wait_for grep -q "Listening on 127.0.0.1:$PORT" "$TMP/daemon.log"
}

@test "socket activation: gdb attaches through the socket systemd-socket-activate passes (--listen ignored)" {
	need_socket_activate
	need_arm64
	start_vm_arm64 1
	notify_start
	# a --listen that would fail: the passed socket is used instead
	activate_daemon --listen 127.0.0.1:1 --vm "$VM_SOCK" --log-level info
	# nothing runs dbgproxyd until gdb connects
	! grep -q "dbgproxyd 0" "$TMP/daemon.log" || false
	run gdb_batch "break tick" "continue" "p \$pc == &tick" "detach"
	echo "$output"
	cat "$TMP/daemon.log"
	[ "$(last_value "$output")" = 1 ]
	grep -q "gdb on the socket systemd passed" "$TMP/daemon.log"
	grep -q "gdb connected from 127.0.0.1" "$TMP/daemon.log"
	# gdb, whose connection started the daemon, was accepted once the VM
	# had answered: its first packets were not told "not connected"
	[ "$(grep -n "ready:" "$TMP/daemon.log" | head -1 | cut -d: -f1)" -lt \
	  "$(grep -n "gdb connected" "$TMP/daemon.log" | head -1 | cut -d: -f1)" ]
	! grep -q "not connected to the VM" "$TMP/daemon.log" || false
	[ "$(cat /proc/$DAEMON_PID/comm)" = dbgproxyd ]
	notified "READY=1"
	# the next gdb, on the same socket
	run gdb_batch "p \$pc != 0" "detach"
	[ "$(last_value "$output")" = 1 ]
	# SIGHUP: the log level changes (no config file: says so) and it serves on
	kill -HUP "$DAEMON_PID"
	wait_for grep -q "SIGHUP: nothing to reload" "$TMP/daemon.log"
	run gdb_batch "p \$pc != 0" "detach"
	[ "$(last_value "$output")" = 1 ]
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	DAEMON_PID=
}

@test "socket activation: more than one socket passed is a configuration error (exit 2)" {
	need_socket_activate
	fresh_tmp
	notify_start
	PORT=$((20000 + RANDOM % 30000))
	"$SYSTEMD_SOCKET_ACTIVATE" -l "127.0.0.1:$PORT" -l "127.0.0.1:$((PORT + 1))" \
		"$DBGPROXYD" --vm "$TMP/no-vm.sock" > "$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for grep -q "Listening on 127.0.0.1:$((PORT + 1))" "$TMP/daemon.log"
	(exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null || true
	local rc=0
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=
	cat "$TMP/daemon.log"
	[ "$rc" -eq 2 ]
	grep -q "systemd passed 2 sockets; dbgproxyd serves one" "$TMP/daemon.log"
}

@test "SIGHUP re-reads the config's log level; the unix socket stays, gdb keeps being served" {
	need_arm64
	start_vm_arm64 1
	printf '[dbgproxyd]\nlisten=unix:%s\nvm=%s\nlog-level=message\n' "$TMP/gdb.sock" "$VM_SOCK" \
		> "$TMP/d.conf"
	"$DBGPROXYD" --config "$TMP/d.conf" > "$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for grep -q "ready:" "$TMP/daemon.log"
	sed -i 's/log-level=message/log-level=debug/' "$TMP/d.conf"
	kill -HUP "$DAEMON_PID"
	wait_for grep -q "SIGHUP: log level now debug" "$TMP/daemon.log"
	[ -S "$TMP/gdb.sock" ]
	kill -0 "$DAEMON_PID"
	run timeout -s KILL 60 "$GDB_MULTIARCH" -batch -nx -ex "target remote $TMP/gdb.sock" \
		-ex "stepi" -ex "p \$pc != 0" -ex detach "$GUEST_ARM64"
	echo "$output"
	[ "$(last_value "$output")" = 1 ]
	# debug now: the step is logged with its reason in words
	grep -q "stopped (step) at 0x" "$TMP/daemon.log"
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	DAEMON_PID=
	[ ! -e "$TMP/gdb.sock" ]
}

@test "configuration errors exit 2 (RestartPreventExitStatus=2) naming the file and key" {
	fresh_tmp
	printf '[dbgproxyd]\nlisten=99999\nvm=%s\n' "$TMP/no-vm.sock" > "$TMP/d.conf"
	run "$DBGPROXYD" --config "$TMP/d.conf"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"config $TMP/d.conf: listen='99999': port must be 1..65535"* ]]
	printf '[dbgproxyd]\nlisten=0.0.0.0:3333\nvm=%s\n' "$TMP/no-vm.sock" > "$TMP/d.conf"
	run "$DBGPROXYD" --config "$TMP/d.conf"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"config $TMP/d.conf: listen='0.0.0.0:3333' is reachable from other machines"* ]]
	printf '[dbgproxyd]\nlog-format=json\nvm=%s\n' "$TMP/no-vm.sock" > "$TMP/d.conf"
	run "$DBGPROXYD" --config "$TMP/d.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"config $TMP/d.conf: log-format: bad log format 'json'"* ]]
	printf '[dbgproxyd]\nlog-level=loud\nx86-arch=sparc\nvm=%s\n' "$TMP/no-vm.sock" > "$TMP/d.conf"
	run "$DBGPROXYD" --config "$TMP/d.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"config $TMP/d.conf: log-level: bad log level 'loud'"* ]]
	run "$DBGPROXYD" --config "$TMP/d.conf" --log-level debug
	[ "$status" -eq 2 ]
	[[ "$output" == *"config $TMP/d.conf: x86-arch must be auto, i386 or x86-64, not 'sparc'"* ]]
	printf '[dbgproxyd]\ntdesc=%s\nvm=%s\n' "$TMP/none.xml" "$TMP/no-vm.sock" > "$TMP/d.conf"
	run "$DBGPROXYD" --config "$TMP/d.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"config $TMP/d.conf: tdesc: "*"none.xml"* ]]
	# the same value on the command line is named as the option
	run "$DBGPROXYD" --listen 99999 --vm "$TMP/no-vm.sock"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--listen '99999': port must be 1..65535"* ]]
	grep -qx "RestartPreventExitStatus=2" "$UNITS_DIR/dbgproxyd.service"
	# a port that is taken is not a configuration error: exit 1, restartable
	python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' > "$TMP/port" &
	PIDS=$!
	wait_for test -s "$TMP/port"
	run "$DBGPROXYD" --listen "127.0.0.1:$(cat "$TMP/port")" --vm "$TMP/no-vm.sock"
	echo "$output"
	[ "$status" -eq 1 ]
}

@test "dbgproxy-vm --socket-group/--socket-mode: the vmdbg socket is the group's, and bad values are refused" {
	need_arm64
	local group
	group=$(id -gn)
	start_vm_arm64 1 --socket-group "$group"
	[ "$(stat -c '%a %G' "$VM_SOCK")" = "660 $group" ]
	kill "$VM_PID"; wait "$VM_PID" || true
	rm -rf "$TMP"  # start_vm_arm64 makes another
	start_vm_arm64 1 --socket-group "$(id -g)" --socket-mode 0640
	[ "$(stat -c '%a %g' "$VM_SOCK")" = "640 $(id -g)" ]
	# and dbgproxyd reaches it
	start_daemon
	run gdb_batch "p \$pc != 0" "detach"
	[ "$(last_value "$output")" = 1 ]
	run "$DBGPROXY_VM" --arch aarch64 --kernel "$GUEST_ARM64" --socket "$TMP/s" --socket-group no-such-group-here
	[ "$status" -eq 2 ]
	[[ "$output" == *"--socket-group: no group 'no-such-group-here'"* ]]
	local m
	for m in 0666 0604 9 rw 0400 01660; do
		run "$DBGPROXY_VM" --arch aarch64 --kernel "$GUEST_ARM64" --socket "$TMP/s" --socket-mode "$m"
		echo "$m: $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"--socket-mode must be octal"* ]]
	done
	[ ! -e "$TMP/s" ]
}

@test "under systemd (systemd-run --user): Type=notify start, STATUS=, reload by SIGHUP, gdb served" {
	need_libsystemd
	need_arm64
	if [ "$(ps -p 1 -o comm=)" != systemd ]; then
		skip "systemd is not PID 1 here ($(ps -p 1 -o comm=)): no service manager to run the daemon under"
	fi
	if ! systemctl --user show-environment > /dev/null 2>&1; then
		skip "no systemd user manager for this user (systemctl --user fails)"
	fi
	start_vm_arm64 1
	PORT=$((20000 + RANDOM % 30000))
	local unit=dbgproxyd-test-$$-$RANDOM
	printf '[dbgproxyd]\nlisten=127.0.0.1:%s\nvm=%s\n' "$PORT" "$VM_SOCK" > "$TMP/d.conf"
	# Type=notify: systemd-run returns once READY=1 came
	timeout 60 systemd-run --user --unit="$unit" -p Type=notify -p WatchdogSec=10 \
		-p RestartPreventExitStatus=2 "$DBGPROXYD" --config "$TMP/d.conf"
	systemctl --user is-active "$unit"
	systemctl --user show -p StatusText "$unit" | grep -q "StatusText=gdb not attached"
	run gdb_batch "p \$pc != 0" "detach"
	[ "$(last_value "$output")" = 1 ]
	sed -i '$a log-level=debug' "$TMP/d.conf"
	systemctl --user kill -s HUP "$unit"
	sleep 0.5
	systemctl --user is-active "$unit"
	run gdb_batch "p \$pc != 0" "detach"
	[ "$(last_value "$output")" = 1 ]
	systemctl --user stop "$unit"
	! systemctl --user is-active "$unit" || false
}
