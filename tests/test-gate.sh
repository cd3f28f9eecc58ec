# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# test-gate.sh - sourced by the test runners (tests/tap-test, tests/bats-run):
# whether a test can run in this build.  Makefile.am's AM_TESTS_ENVIRONMENT
# says what configure left out (NO_VM, NO_AARCH64_GUEST: the reason, or
# empty) and which tests need it (NEEDS_VM, NEEDS_AARCH64_GUEST: file names).

# gate_in_list NAME LIST: whether NAME is a word of LIST
gate_in_list() {
	case " $2 " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# gate_reason TEST: prints why TEST (a path) cannot run here, or nothing
gate_reason() {
	gate_name=$(basename "$1")
	if [ -n "${NO_VM:-}" ] && gate_in_list "$gate_name" "${NEEDS_VM:-}"; then
		echo "$NO_VM"
	elif [ -n "${NO_AARCH64_GUEST:-}" ] && gate_in_list "$gate_name" "${NEEDS_AARCH64_GUEST:-}"; then
		echo "$NO_AARCH64_GUEST"
	fi
}
