#!/bin/bash
# tests/run-demo.sh - the README's demo command: install what is missing,
# build, and run dbgproxy-vm with the demo guest (2 vCPUs) on a vmdbg
# socket.  Ctrl-C stops it.
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
if [ ! -r /dev/kvm ]; then
	echo "run-demo: /dev/kvm is not available on this machine; dbgproxy-vm needs KVM" >&2
	exit 1
fi
sock=${VMDBG_SOCKET:-/tmp/dbgproxy-demo-vm.sock}
echo "Booting the demo guest (build-demo/tests/guest/guest.elf, 2 vCPUs);"
echo "its serial console follows. vmdbg socket: $sock. Ctrl-C to stop."
exec build-demo/dbgproxy-vm --kernel build-demo/tests/guest/guest.elf --socket "$sock" --vcpus 2
