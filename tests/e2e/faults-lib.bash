# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# faults-lib.bash - what the fault suites (faults.bats on the simulated
# AArch64 machine, faults-kvm.bats on a KVM guest) share: descriptor
# counts, their baseline, a daemon started without waiting for its VM,
# SIGKILL by PID, and the checks every case ends with (probe, recovered).
# Needs helpers.bash loaded first.  A suite defines COUNTER_EXPR (a gdb
# expression for a guest counter that grows), TEXT_CMDS (gdb x commands
# over guest code) and want_text (what TEXT_CMDS show on the ELF file,
# failing when that is not what the suite means).

# nfds PID: how many file descriptors the process has open (no fork: the
# tests run beside a simulator that keeps a core busy)
nfds() {
	local fds=(/proc/"$1"/fd/*)
	echo "${#fds[@]}"
}

# nsockets PID: how many of them are sockets
nsockets() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'socket:'
}

# fds_are PID N: the process has exactly N descriptors open
fds_are() {
	local fds=(/proc/"$1"/fd/*)
	[ "${#fds[@]}" -eq "$2" ]
}

# fds_back PID N WHO: wait (bounded) until PID has N descriptors again;
# on failure show what it holds
fds_back() {
	if ! wait_for fds_are "$1" "$2"; then
		echo "$3 (pid $1) holds $(nfds "$1") file descriptors, baseline $2:" >&2
		ls -l "/proc/$1/fd" >&2
		return 1
	fi
}

# baseline: the daemon's and the VM's descriptor counts now (VM linked, no gdb)
baseline() {
	wait_for grep -q "ready:" "$TMP/daemon.log"
	D_FDS=$(nfds "$DAEMON_PID")
	VM_FDS=$(nfds "$VM_PID")
	echo "baseline: daemon $D_FDS fds, VM $VM_FDS fds"
}

# daemon_up ARGS...: dbgproxyd on a free loopback port for $VM_SOCK with
# ARGS; returns once it listens, without waiting for the VM; sets PORT
daemon_up() {
	local try
	for try in $(seq 1 20); do
		PORT=$((20000 + RANDOM % 30000))
		"$DBGPROXYD" --listen "127.0.0.1:$PORT" --vm "$VM_SOCK" "$@" \
			> "$TMP/daemon.log" 2>&1 3>&- &
		DAEMON_PID=$!
		wait_for grep -q "gdb on 127\|dbgproxyd: listen on" "$TMP/daemon.log" || true
		if grep -q "gdb on 127" "$TMP/daemon.log"; then
			return 0
		fi
		kill "$DAEMON_PID" 2>/dev/null || true
		wait "$DAEMON_PID" 2>/dev/null || true
	done
	cat "$TMP/daemon.log" >&2
	return 1
}

# kill9 PID: SIGKILL a process this test started and reap it
kill9() {
	kill -9 "$1"
	wait "$1" 2>/dev/null || true
}

# probe: a new gdb reads COUNTER_EXPR (into COUNT), the TEXT_CMDS lines
# (into TEXT), the daemon's view of the VM and its hw slots, and detaches;
# nothing may be left from the faulty session
probe() {
	run gdb_batch "p $COUNTER_EXPR" "${TEXT_CMDS[@]}" "monitor info vm" "monitor hw" "detach"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"[Inferior 1 (Remote target) detached]"* ]]
	[[ $output =~ (^|$'\n')\$1\ =\ ([0-9]+) ]]
	COUNT=${BASH_REMATCH[2]}
	TEXT=
	local line
	while IFS= read -r line; do
		if [[ $line =~ ^0x[0-9a-f]+\ \< ]]; then
			TEXT+=${TEXT:+$'\n'}$line
		fi
	done <<< "$output"
	[[ $output =~ (^|$'\n')sw\ breakpoints:\ +0\ inserted ]]
	[[ $output == *", 0 in use"* ]]
}

# recovered: the checks every case ends with: both processes alive, the
# guest's code as the ELF has it, the guest running (the counter grows),
# descriptors back to D_FDS and VM_FDS, no vCPU stopped behind the
# daemon's back, no sanitizer report
recovered() {
	local want c1
	want=$(want_text)
	kill -0 "$DAEMON_PID"
	kill -0 "$VM_PID"
	probe
	c1=$COUNT
	[ "$TEXT" = "$want" ] || { printf 'guest text differs from the ELF:\n%s\nwant:\n%s\n' "$TEXT" "$want" >&2; return 1; }
	sleep 0.3
	probe
	[ "$TEXT" = "$want" ]
	echo "counter: $c1 then $COUNT"
	[ "$COUNT" -gt "$c1" ]
	fds_back "$DAEMON_PID" "$D_FDS" dbgproxyd
	fds_back "$VM_PID" "$VM_FDS" dbgproxy-vm
	! grep -q "with no gdb attached" "$TMP/daemon.log" || false
	! grep -q "Sanitizer\|runtime error\|CRITICAL\|aborting" "$TMP/daemon.log" "$TMP/vm.log" || false
}
