# faults-lib.bash - what the fault suites (faults.bats on the simulated
# AArch64 machine, faults-kvm.bats on a KVM guest) share: descriptor
# counts, their baseline, a daemon started without waiting for its VM, and
# SIGKILL by PID.  Needs helpers.bash loaded first.

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
		kill "$DAEMON_PID" 2>/dev/null; wait "$DAEMON_PID" 2>/dev/null
	done
	cat "$TMP/daemon.log" >&2
	return 1
}

# kill9 PID: SIGKILL a process this test started and reap it
kill9() {
	kill -9 "$1"
	wait "$1" 2>/dev/null || true
}
