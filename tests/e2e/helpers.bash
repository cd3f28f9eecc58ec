# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# helpers.bash - start/stop dbgproxy-vm and dbgproxyd for bats tests, and
# run real gdb in batch mode against them.  Every process is started by the
# test, listens on loopback (or a private unix socket), and is killed by PID
# in teardown.  Every wait is bounded.

: "${DBGPROXY_VM:?set by make check}"
: "${DBGPROXYD:?set by make check}"
: "${GUEST_ELF:?set by make check}"

# need_vm: dbgproxy-vm was built (NO_VM: configure's reason it was not;
# Makefile.am skips the suites that need it throughout, need_vm the tests of
# the others that do)
need_vm() {
	if [ -n "${NO_VM:-}" ]; then
		skip "$NO_VM"
	fi
}

need_kvm() {
	need_vm
	if ! { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }; then
		skip "no usable /dev/kvm on this host: end-to-end tests need KVM"
	fi
}

# kvm_probe: what `dbgproxy-vm --probe` says of this host's KVM, asked once
kvm_probe() {
	local cache=${BATS_FILE_TMPDIR:-${BATS_TMPDIR:-/tmp}}/kvm-probe
	[ -s "$cache" ] || "$DBGPROXY_VM" --probe > "$cache" 2>/dev/null
	cat "$cache"
}

# kvm_offers WHAT: does the probe say WHAT=yes (sw-breakpoints,
# hw-breakpoints, hw-watchpoints, single-step, x87, x87-vm)?
kvm_offers() {
	kvm_probe | grep -qx "$1=yes"
}

# need_kvm_offers WHAT [WHY]: skip, with what the probe saw (and why the
# test needs it), unless it does
need_kvm_offers() {
	need_kvm
	kvm_offers "$1" ||
		skip "this KVM host does not offer $1${2:+ ($2)} (dbgproxy-vm --probe: $(kvm_probe | tr '\n' ' '))"
}

# stop_at SYMBOL: sets STOP_AT to gdb commands that stop vCPU 0 on SYMBOL's
# first instruction however this host allows: a temporary software
# breakpoint, else a hardware one, else single steps (nested KVM under
# QEMU's TCG traps neither), then print "stopped at SYMBOL".  Needs TMP.
stop_at() {
	local sym=$1
	if kvm_offers sw-breakpoints; then
		STOP_AT=("tbreak $sym" "continue")
	elif kvm_offers hw-breakpoints; then
		STOP_AT=("thbreak $sym" "continue")
	else
		printf '%s\n' "target = int(gdb.parse_and_eval('(long)&$sym'))" \
			"for _ in range(20000):" \
			"    if int(gdb.parse_and_eval('\$pc')) == target:" \
			"        break" \
			"    gdb.execute('stepi', to_string=True)" > "$TMP/stop-at-$sym.py"
		STOP_AT=("source $TMP/stop-at-$sym.py")
	fi
	STOP_AT+=("echo stopped at $sym\\n")
}

# wait_for CMD...: retry a condition up to ~30 s (generous: CI runs the
# KVM suites in parallel on two cores)
wait_for() {
	local i
	for i in $(seq 1 300); do
		if "$@"; then return 0; fi
		sleep 0.1
	done
	return 1
}

# start_vm [VCPUS]: the test guest, whose APs start at its entry point
start_vm() {
	TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/dbgproxy-e2e.XXXXXX")
	VM_SOCK=$TMP/vm.sock
	"$DBGPROXY_VM" --kernel "$GUEST_ELF" --socket "$VM_SOCK" --vcpus "${1:-1}" --ap-entry \
		> "$TMP/serial.log" 2> "$TMP/vm.log" &
	VM_PID=$!
	wait_for test -S "$VM_SOCK" || { cat "$TMP/vm.log" >&2; return 1; }
	wait_for grep -q "cpu 0 up" "$TMP/serial.log" || { cat "$TMP/serial.log" >&2; return 1; }
}

# need_arm64: gdb-multiarch and the AArch64 guest (no KVM needed: the
# AArch64 back end is simulated)
need_arm64() {
	need_vm
	if [ -n "${NO_AARCH64_GUEST:-}" ]; then
		skip "$NO_AARCH64_GUEST"
	fi
	if [ -z "${GDB_MULTIARCH:-}" ] || [ "$GDB_MULTIARCH" = no ]; then
		skip "gdb-multiarch not found at configure time: apt-get install gdb-multiarch"
	fi
	GDB_BIN=$GDB_MULTIARCH
	GUEST_IMAGE=${GUEST_ARM64:?set by make check}
}

# start_vm_arm64 [VCPUS [dbgproxy-vm options...]]: the simulated AArch64
# machine running the AArch64 guest (ARM64_KERNEL, printing ARM64_BANNER,
# if set: another guest)
start_vm_arm64() {
	local vcpus=${1:-1}
	shift || true
	TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/dbgproxy-e2e.XXXXXX")
	VM_SOCK=$TMP/vm.sock
	"$DBGPROXY_VM" --arch aarch64 --kernel "${ARM64_KERNEL:-$GUEST_ARM64}" --socket "$VM_SOCK" \
		--vcpus "$vcpus" "$@" > "$TMP/serial.log" 2> "$TMP/vm.log" &
	VM_PID=$!
	wait_for test -S "$VM_SOCK" || { cat "$TMP/vm.log" >&2; return 1; }
	wait_for grep -q "${ARM64_BANNER:-arm64 test guest up}" "$TMP/serial.log" ||
		{ cat "$TMP/serial.log" >&2; return 1; }
}

# sym NAME: the AArch64 guest's symbol's address as gdb prints it (0x..., no
# leading zeros)
sym() {
	printf '0x%x' "0x$(nm "$GUEST_ARM64" | awk -v n="$1" '$3 == n { print $1 }')"
}

daemon_settled() {
	grep -q "ready:" "$TMP/daemon.log" || ! kill -0 "$DAEMON_PID" 2>/dev/null
}

# start_daemon [ARG...]: on a free loopback port (ARGs go to dbgproxyd), sets PORT; logs at
# DAEMON_LOG_LEVEL (default info)
start_daemon() {
	local try
	for try in $(seq 1 20); do
		PORT=$((20000 + RANDOM % 30000))
		"$DBGPROXYD" --listen "127.0.0.1:$PORT" --vm "$VM_SOCK" --log-level "${DAEMON_LOG_LEVEL:-info}" "$@" \
			> "$TMP/daemon.log" 2>&1 &
		DAEMON_PID=$!
		# ready, or gone (the port was taken): then another port
		wait_for daemon_settled
		if grep -q "ready:" "$TMP/daemon.log"; then
			return 0
		fi
		kill "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	done
	cat "$TMP/daemon.log" >&2
	return 1
}

# fetch_deb PACKAGE: DEB_DIR = where its files are (tests/fetch-deb.sh), or skip
fetch_deb() {
	: "${DEB_CACHE:?set by make check}"
	DEB_DIR=$(bash "$TOP_SRCDIR/tests/fetch-deb.sh" "$1" "$DEB_CACHE") ||
		skip "cannot fetch Debian package $1 with apt-get download (offline?)"
}

# mach_image: the GNU Mach kernel (MACH_GZ, gzipped, as GRUB boots it) and
# its ELF with DWARF (MACH_ELF)
mach_image() {
	fetch_deb gnumach-image-1.8-486-dbg
	MACH_GZ=$DEB_DIR/boot/gnumach-1.8-486-dbg.gz
	MACH_ELF=$DEB_CACHE/gnumach-1.8-486-dbg
	[ -s "$MACH_ELF" ] || gzip -dc "$MACH_GZ" > "$MACH_ELF"
}

# common_setup [NAME]: what every suite's setup() does besides its own
# checks: no gdb of this test yet (GDB_PIDS, which stop_all kills); with
# NAME, TMP is a fresh private directory dbgproxy-NAME.XXXXXX, else
# start_vm/start_vm_arm64 make it.  stop_all removes TMP.
common_setup() {
	GDB_PIDS=
	if [ $# -gt 0 ]; then
		TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/dbgproxy-$1.XXXXXX")
	fi
}

# common_teardown: what every suite's teardown() does after its own
# cleanup: stop every process the test started and remove its TMP
common_teardown() {
	stop_all
}

# stop_all: kill (TERM, then KILL after ~30 s) every gdb, daemon and VM the
# test started, by PID, and remove TMP
stop_all() {
	local pid
	for pid in ${GDB_PIDS:-} ${DAEMON_PID:-} ${VM_PID:-}; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in ${GDB_PIDS:-} ${DAEMON_PID:-} ${VM_PID:-}; do
		wait_for sh -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
	done
	if [ -n "${TMP:-}" ]; then rm -rf "$TMP"; fi
	return 0
}

# gdb_batch CMD...: gdb ($GDB_BIN, default gdb) on the guest ELF
# ($GUEST_IMAGE, default $GUEST_ELF), connected to the daemon; each
# argument is one gdb command.  Output in $output (bats run) or stdout.
# GDB_ARCH, if set, is the architecture gdb is set to before connecting.
gdb_batch() {
	local args=(-batch -nx -ex "set pagination off" -ex "set confirm off")
	if [ -n "${GDB_ARCH:-}" ]; then args+=(-ex "set architecture $GDB_ARCH"); fi
	args+=(-ex "target remote 127.0.0.1:$PORT")
	local c
	for c in "$@"; do
		args+=(-ex "$c")
	done
	# gdb ignores SIGTERM: a stuck gdb must not outlive its test
	timeout -s KILL 120 "${GDB_BIN:-gdb}" "${args[@]}" "${GUEST_IMAGE:-$GUEST_ELF}" 2>&1 < /dev/null
}

# gdb_bg OUTFILE CMD...: like gdb_batch, in the background; GDB_PIDS is
# gdb's own PID (no wrapper in between, so signals reach gdb itself).
gdb_bg() {
	local out=$1; shift
	local args=(-batch -nx -ex "set pagination off" -ex "set confirm off"
		-ex "target remote 127.0.0.1:$PORT")
	local c
	for c in "$@"; do
		args+=(-ex "$c")
	done
	"${GDB_BIN:-gdb}" "${args[@]}" "${GUEST_IMAGE:-$GUEST_ELF}" > "$out" 2>&1 < /dev/null &
	GDB_PIDS=$!
}

# count_in FILE PATTERN N: at least N lines of FILE match PATTERN
count_in() {
	[ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ]
}

# the value printed by gdb's last "$N = VALUE" line
last_value() {
	printf '%s\n' "$1" | sed -n 's/^\$[0-9]* = //p' | tail -1
}

# received OUTPUT: the replies of "maint packet" exchanges, as gdb shows them
received() {
	printf '%s\n' "$1" | sed -n 's/^received: "\(.*\)"$/\1/p'
}

# every "$N = VALUE" of gdb's output, one per line
values() {
	printf '%s\n' "$1" | sed -n 's/^\$[0-9]* = //p'
}
