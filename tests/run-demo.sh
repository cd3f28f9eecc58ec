#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# tests/run-demo.sh - the README's demo command: install what is missing,
# build, boot the demo guest in dbgproxy-vm (2 vCPUs) behind dbgproxyd on
# 127.0.0.1:3333, and print the gdb command line to use.  Ctrl-C stops both.
# `run-demo.sh aarch64` runs the AArch64 guest on the simulated machine
# instead (no KVM needed), for gdb-multiarch.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tests/deps.sh
if [ ! -f build-demo/Makefile ]; then
	autoreconf -fi >/dev/null
	mkdir -p build-demo
	(cd build-demo && ../configure >/dev/null)
fi
make -C build-demo -j"$(nproc)" >/dev/null
arch=${1:-x86_64}
case "$arch" in
x86_64) ;;
aarch64) ;;
*) echo "usage: run-demo.sh [x86_64|aarch64]" >&2; exit 2 ;;
esac
if [ "$arch" = x86_64 ] && ! { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }; then
	echo "run-demo: /dev/kvm is not usable on this machine; dbgproxy-vm needs KVM" >&2
	exit 1
fi

port=${DBGPROXY_PORT:-3333}
run=$top/build-demo/run
mkdir -p "$run"
vm_sock=$run/vm.sock
guest=$top/build-demo/tests/guest/guest.elf
vm_args=()
gdb=gdb
if [ "$arch" = aarch64 ]; then
	guest=$top/build-demo/tests/guest/arm64/guest.elf
	vm_args=(--arch aarch64)
	gdb=gdb-multiarch
else
	vm_args=(--ap-entry)   # the demo guest starts its APs at its entry point
fi

build-demo/dbgproxy-vm "${vm_args[@]}" --kernel "$guest" --socket "$vm_sock" --vcpus 2 \
	> "$run/serial.log" 2> "$run/vm.log" &
vm_pid=$!
build-demo/dbgproxyd --listen "127.0.0.1:$port" --vm "$vm_sock" 2> "$run/dbgproxyd.log" &
daemon_pid=$!
cleanup() {
	kill "$daemon_pid" "$vm_pid" 2>/dev/null || true
	wait "$daemon_pid" "$vm_pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 100); do
	grep -q "ready:" "$run/dbgproxyd.log" 2>/dev/null && break
	if ! kill -0 "$daemon_pid" 2>/dev/null || ! kill -0 "$vm_pid" 2>/dev/null; then
		cat "$run/vm.log" "$run/dbgproxyd.log" >&2
		exit 1
	fi
	sleep 0.1
done

if [ "$arch" = aarch64 ]; then
	where="on the simulated AArch64 machine"
	try='info threads | hbreak tick | continue | watch *(long *)&counters | continue
                   watch *(char (*)[3])((char *)&byte_area + 5) | monitor hw | p $sp | detach'
else
	where="under KVM"
	try='info threads | break tick | continue | p counters | x/8xb &pattern_buf
                   stepi | info registers rip | monitor info vm | detach'
fi
cat <<MSG
The demo guest runs on 2 vCPUs $where, behind dbgproxyd on 127.0.0.1:$port.
Guest console: $run/serial.log   daemon log: $run/dbgproxyd.log

Debug it with $gdb (from another terminal):

  $gdb $guest -ex "target remote :$port"

then for example:  $try

Ctrl-C here stops the VM and the daemon.
MSG
wait "$daemon_pid"
