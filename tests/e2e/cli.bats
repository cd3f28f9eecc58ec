#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# Command lines and configuration of dbgproxyd and dbgproxy-vm: every bad
# input gets a clear message and a usage exit status; good config works.

: "${DBGPROXY_VM:?set by make check}"
: "${DBGPROXYD:?set by make check}"
: "${GUEST_ELF:?set by make check}"

load helpers   # need_vm

setup() {
	TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/dbgproxy-cli.XXXXXX")
	PIDS=
}

teardown() {
	for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
	for pid in $PIDS; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$TMP"
}

@test "dbgproxyd --help and --version" {
	run "$DBGPROXYD" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--listen"* ]]
	[[ "$output" == *"--vm"* ]]
	[[ "$output" == *"--config"* ]]
	run "$DBGPROXYD" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "dbgproxyd "* ]]
}

@test "dbgproxyd refuses bad options with a message" {
	run "$DBGPROXYD"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--vm PATH"* ]]
	run "$DBGPROXYD" --vm /nonexistent --listen 70000
	[ "$status" -eq 2 ]
	[[ "$output" == *"port must be 1..65535"* ]]
	run "$DBGPROXYD" --vm /nonexistent --log-level loud
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad log level 'loud'"* ]]
	run "$DBGPROXYD" --vm /nonexistent --bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"Unknown option"* ]]
	run "$DBGPROXYD" --vm /nonexistent extra
	[ "$status" -eq 2 ]
	[[ "$output" == *"unexpected argument"* ]]
	run "$DBGPROXYD" --vm /nonexistent --watch-with magic
	[ "$status" -eq 2 ]
	[[ "$output" == *"--watch-with must be auto, registers or pages, not 'magic'"* ]]
}

@test "dbgproxyd refuses a bad config file with a message naming it" {
	printf '[dbgproxyd]\nvm=/x\ncolour=blue\n' > "$TMP/bad.conf"
	run "$DBGPROXYD" --config "$TMP/bad.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown key 'colour'"* ]]
	printf '[other]\nvm=/x\n' > "$TMP/nogroup.conf"
	run "$DBGPROXYD" --config "$TMP/nogroup.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"no [dbgproxyd] group"* ]]
	printf 'this is not a key file\n' > "$TMP/junk.conf"
	run "$DBGPROXYD" --config "$TMP/junk.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$TMP/junk.conf"* ]]
	run "$DBGPROXYD" --config "$TMP/missing.conf"
	[ "$status" -eq 2 ]
	[[ "$output" == *"missing.conf"* ]]
}

@test "dbgproxyd takes listen/vm from the config; the command line wins" {
	printf '[dbgproxyd]\nlisten=unix:%s\nvm=%s\nlog-level=info\n' "$TMP/gdb.sock" "$TMP/vm.sock" > "$TMP/ok.conf"
	"$DBGPROXYD" --config "$TMP/ok.conf" > "$TMP/d.log" 2>&1 &
	PIDS="$!"
	for _ in $(seq 1 50); do [ -S "$TMP/gdb.sock" ] && break; sleep 0.1; done
	[ -S "$TMP/gdb.sock" ]
	[ "$(stat -c %a "$TMP/gdb.sock")" = "600" ]
	grep -q "VM at $TMP/vm.sock" "$TMP/d.log"
	kill "$PIDS"; wait "$PIDS" || true
	# the socket is removed on SIGTERM
	[ ! -e "$TMP/gdb.sock" ]
	"$DBGPROXYD" --config "$TMP/ok.conf" --listen "unix:$TMP/other.sock" > "$TMP/d2.log" 2>&1 &
	PIDS="$!"
	for _ in $(seq 1 50); do [ -S "$TMP/other.sock" ] && break; sleep 0.1; done
	[ -S "$TMP/other.sock" ]
	[ ! -e "$TMP/gdb.sock" ]
}

@test "dbgproxy-vm refuses bad options and bad kernels with a message" {
	need_vm
	run "$DBGPROXY_VM"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--kernel FILE and --socket PATH are required"* ]]
	run "$DBGPROXY_VM" --kernel "$GUEST_ELF" --socket "$TMP/s" --vcpus 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"--vcpus must be"* ]]
	run "$DBGPROXY_VM" --kernel "$GUEST_ELF" --socket "$TMP/s" --mem 1
	[ "$status" -eq 2 ]
	run "$DBGPROXY_VM" --kernel "$TMP/none" --socket "$TMP/s"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$TMP/none"* ]]
	head -c 4096 /dev/urandom > "$TMP/random.bin"
	run "$DBGPROXY_VM" --kernel "$TMP/random.bin" --socket "$TMP/s"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no multiboot header"* ]]
	run "$DBGPROXY_VM" --version
	[ "$status" -eq 0 ]
	[[ "$output" == *"vmdbg protocol 1"* ]]
}

@test "dbgproxy-vm --arch and the AArch64 options refuse bad values with a message" {
	need_vm
	run "$DBGPROXY_VM" --arch sparc --kernel "$GUEST_ELF" --socket "$TMP/s"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--arch must be x86_64 or aarch64, not 'sparc'"* ]]
	run "$DBGPROXY_VM" --arch aarch64 --kernel "$GUEST_ELF" --socket "$TMP/s" --hw-bps 17
	[ "$status" -eq 2 ]
	[[ "$output" == *"--hw-bps and --hw-wps must be 2..16"* ]]
	run "$DBGPROXY_VM" --arch aarch64 --kernel "$GUEST_ELF" --socket "$TMP/s" --sve-vl 100
	[ "$status" -eq 2 ]
	[[ "$output" == *"--sve-vl must be 128..2048"* ]]
	# one length per vCPU: each checked, and as many as there are vCPUs
	run "$DBGPROXY_VM" --arch aarch64 --kernel "$GUEST_ELF" --socket "$TMP/s" --vcpus 2 --sve-vl 512,abc
	[ "$status" -eq 2 ]
	[[ "$output" == *"one per vCPU, not '512,abc'"* ]]
	run "$DBGPROXY_VM" --arch aarch64 --kernel "$GUEST_ELF" --socket "$TMP/s" --vcpus 2 --sve-vl ,
	[ "$status" -eq 2 ]
	run "$DBGPROXY_VM" --arch aarch64 --kernel "$GUEST_ELF" --socket "$TMP/s" --vcpus 2 --sve-vl 512,0,128
	[ "$status" -eq 2 ]
	[[ "$output" == *"--sve-vl 512,0,128 gives 3 vector lengths for 2 vCPUs"* ]]
	run "$DBGPROXY_VM" --kernel "$GUEST_ELF" --socket "$TMP/s" --hw-wps 4
	[ "$status" -eq 2 ]
	[[ "$output" == *"are for --arch aarch64"* ]]
	run "$DBGPROXY_VM" --kernel "$GUEST_ELF" --socket "$TMP/s" --dead-watchpoints
	[ "$status" -eq 2 ]
	[[ "$output" == *"--dead-watchpoints and --dead-breakpoints are for --arch aarch64"* ]]
	run "$DBGPROXY_VM" --kernel "$GUEST_ELF" --socket "$TMP/s" --dead-breakpoints
	[ "$status" -eq 2 ]
	# an x86 image handed to the AArch64 machine, and the reverse
	run "$DBGPROXY_VM" --arch aarch64 --kernel "$GUEST_ELF" --socket "$TMP/s"
	[ "$status" -eq 1 ]
	[[ "$output" == *"need an AArch64 ELF64 executable"* ]]
	[ ! -e "$TMP/s" ]
	if [ -n "${GUEST_ARM64:-}" ]; then
		run "$DBGPROXY_VM" --kernel "$GUEST_ARM64" --socket "$TMP/s"
		[ "$status" -eq 1 ]
		[[ "$output" == *"no multiboot header"* ]]
	fi
}

@test "neither program replaces a file that is not a stale socket at its socket path" {
	printf 'keep me\n' > "$TMP/precious"
	# the VM's half needs dbgproxy-vm and a kernel it takes without KVM: the
	# AArch64 guest, when configure built them (NO_VM, NO_AARCH64_GUEST say
	# why not)
	if [ -z "${NO_VM:-}" ] && [ -n "${GUEST_ARM64:-}" ]; then
		run "$DBGPROXY_VM" --arch aarch64 --kernel "$GUEST_ARM64" --socket "$TMP/precious"
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"exists and is not a socket"* ]]
	fi
	run "$DBGPROXYD" --listen "unix:$TMP/precious" --vm "$TMP/no-vm.sock"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"exists and is not a socket"* ]]
	[ "$(cat "$TMP/precious")" = "keep me" ]
}

@test "--listen :PORT is loopback; an address other machines reach needs --listen-any" {
	local port=$((20000 + RANDOM % 30000))
	run "$DBGPROXYD" --listen "0.0.0.0:$port" --vm "$TMP/no-vm.sock"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"reachable from other machines"*"--listen-any"* ]]
	run "$DBGPROXYD" --listen "[::]:$port" --vm "$TMP/no-vm.sock"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--listen-any"* ]]
	# ":PORT" binds 127.0.0.1 (local address 0100007F in /proc/net/tcp, LISTEN = 0A)
	"$DBGPROXYD" --listen ":$port" --vm "$TMP/no-vm.sock" > "$TMP/d.log" 2>&1 &
	PIDS=$!
	local hexport i
	hexport=$(printf '%04X' "$port")
	for i in $(seq 1 100); do
		grep -q "0100007F:$hexport 00000000:0000 0A" /proc/net/tcp && break
		sleep 0.1
	done
	grep -q "0100007F:$hexport 00000000:0000 0A" /proc/net/tcp
	! grep -q "00000000:$hexport 00000000:0000 0A" /proc/net/tcp || false
}
