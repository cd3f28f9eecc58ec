#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# nested-kvm.sh [--rw DIR]... [--timeout SECONDS] -- COMMAND...
#
# Run COMMAND where a real /dev/kvm exists although this host has none:
# inside Debian's own Linux kernel booted under QEMU's TCG emulator with
# AMD SVM emulated, so the guest kernel's kvm_amd module gives it /dev/kvm.
# The guest sees this host's root file system read-only (9p) with each
# --rw DIR writable at its own path, a fresh /tmp (in which each --ro DIR
# of this host's /tmp stays visible, read-only), /proc, /sys and /dev,
# and loopback networking; COMMAND runs as root from the first --rw DIR
# with the caller's PATH.  Prints COMMAND's output (the guest's serial
# console) and exits with its status.
#
# The kernel (linux-image-amd64's image package) and busybox-static are
# fetched with `apt-get download` into $DEB_CACHE/nested-kvm (default
# ./deb-cache), only the few files needed kept, never committed.  Exits 77
# (automake's skip) with the reason when it cannot run: qemu-system-x86_64
# or cpio missing, the packages cannot be fetched, or QEMU cannot emulate SVM.
#
# Environment: NESTED_KVM_TCG_THREAD=multi for QEMU's multi-threaded TCG
# (default single: measured, multi hangs about one run in two),
# NESTED_KVM_TIMEOUT=SECONDS as --timeout (default 2400),
# NESTED_KVM_QUIET= (empty) for the guest kernel's boot log.
#
# What differs from hardware KVM, measured: the nested KVM runs a few
# million guest instructions a second, and QEMU's emulated SVM checks the
# INTn intercept for an int3, so a #BP reaches the guest instead of exiting
# (dbgproxy-vm --probe says "int3=to-guest" and software breakpoints are
# refused), and DR0-DR3 breakpoints and watchpoints never fire; single
# steps, pauses, the in-kernel irqchip and PIT, INIT/SIPI work.  With multi-threaded TCG about one run in
# two hung: a nested vCPU thread stays in KVM_RUN and no signal ends it (the
# tests' own timeouts cannot help); --timeout bounds the whole run, and a
# run killed by it exits 77.
set -u
me=nested-kvm.sh
skip() { echo "$me: SKIP: $*" >&2; exit 77; }
die() { echo "$me: $*" >&2; exit 2; }

rw=()
ro=()
limit=${NESTED_KVM_TIMEOUT:-2400}
while [ $# -gt 0 ]; do
	case $1 in
	--rw) [ $# -ge 2 ] || die "--rw needs a directory"; rw+=("$(cd "$2" && pwd)") || exit 2; shift 2 ;;
	--ro) [ $# -ge 2 ] || die "--ro needs a directory"; ro+=("$(cd "$2" && pwd)") || exit 2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || die "--timeout needs seconds"; limit=$2; shift 2 ;;
	--) shift; break ;;
	*) die "usage: $me [--rw DIR]... [--ro DIR]... [--timeout SECONDS] -- COMMAND..." ;;
	esac
done
[ $# -gt 0 ] || die "no COMMAND"
[ ${#rw[@]} -gt 0 ] || rw=("$(pwd)")
for d in "${rw[@]}" "${ro[@]}"; do
	case $d in *[!A-Za-z0-9_./+-]*) skip "--rw '$d': the guest's mount list takes only plain path characters" ;; esac
done

qemu=${QEMU_X86:-}
{ [ -z "$qemu" ] || [ "$qemu" = no ]; } && qemu=qemu-system-x86_64
command -v "$qemu" >/dev/null 2>&1 || skip "$qemu not installed (apt-get install qemu-system-x86)"
command -v cpio >/dev/null 2>&1 || skip "cpio not installed"
"$qemu" -cpu help 2>/dev/null | grep -qw svm || skip "$qemu cannot emulate SVM"

cache=${DEB_CACHE:-$(pwd)/deb-cache}/nested-kvm
mkdir -p "$cache" || skip "cannot create $cache"

# fetch_deb PACKAGE DIR PATTERN...: unpack only the matching paths
fetch_deb() {
	local pkg=$1 dir=$2; shift 2
	[ -f "$dir/.done" ] && return 0
	local work
	work=$(mktemp -d "$cache/.fetch-XXXXXX") || return 1
	if ! (cd "$work" && apt-get download -q -o Acquire::Retries=0 \
		-o Acquire::http::Timeout=20 "$pkg") >"$work/log" 2>&1; then
		echo "$me: apt-get download $pkg failed: $(tail -n 1 "$work/log")" >&2
		rm -rf "$work"
		return 1
	fi
	mkdir -p "$dir" &&
	dpkg-deb --fsys-tarfile "$work"/*.deb | tar -x -C "$dir" --wildcards "$@" &&
	touch "$dir/.done"
	local rc=$?
	rm -rf "$work"
	return $rc
}

kpkg=$(apt-cache show linux-image-amd64 2>/dev/null |
	sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*-amd64\).*/\1/p' | head -n 1)
[ -n "$kpkg" ] || skip "apt-cache knows no linux-image-amd64 (run apt-get update)"
kdir=$cache/$kpkg
mods='net/9p/9pnet.ko net/9p/9pnet_virtio.ko fs/9p/9p.ko fs/netfs/netfs.ko
      fs/fscache/fscache.ko drivers/virtio/virtio.ko drivers/virtio/virtio_ring.ko
      drivers/virtio/virtio_pci.ko drivers/virtio/virtio_pci_legacy_dev.ko
      drivers/virtio/virtio_pci_modern_dev.ko virt/lib/irqbypass.ko
      drivers/crypto/ccp/ccp.ko arch/x86/kvm/kvm.ko arch/x86/kvm/kvm-amd.ko'
pats=('./boot/vmlinuz-*')
for m in $mods; do pats+=("./lib/modules/*/kernel/$m"); done
fetch_deb "$kpkg" "$kdir" "${pats[@]}" || skip "cannot fetch $kpkg with apt-get download"
fetch_deb busybox-static "$cache/busybox" ./bin/busybox || skip "cannot fetch busybox-static"
vmlinuz=$(ls "$kdir"/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$vmlinuz" ] || skip "$kpkg has no kernel image"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nested-kvm.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# The initramfs: busybox, the modules in load order, and /init.
root=$tmp/root
mkdir -p "$root"/{bin,mods,proc,sys,dev,host} &&
cp "$cache/busybox/bin/busybox" "$root/bin/" || exit 2
order=""
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs \
	fscache 9pnet 9pnet_virtio 9p irqbypass kvm ccp kvm-amd; do
	f=$(find "$kdir/lib/modules" -name "$m.ko" | head -n 1)
	[ -n "$f" ] || skip "$kpkg lacks $m.ko"
	cp "$f" "$root/mods/" || exit 2
	order="$order $m"
done

# The command, from the first --rw directory, its status left in $tmp:
# $tmp is under /tmp, which the guest replaces, so both go through rw[0].
state=${rw[0]}/.nested-kvm.$$
mkdir -p "$state" || exit 2
trap 'rm -rf "$tmp" "$state"' EXIT
{
	printf 'cd %q || exit 2\n' "${rw[0]}"
	printf 'export PATH=%q HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8\n' "$PATH"
	for v in DEB_CACHE QEMU_X86 DBGPROXY_DEB_CACHE; do
		[ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf '%q ' "$@"
	printf '\necho $? > %q\n' "$state/rc"
} > "$state/cmd.sh"

cat > "$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $order; do insmod /mods/\$m.ko || echo "$me: insmod \$m failed"; done
[ -c /dev/kvm ] || echo "$me: the guest kernel has no /dev/kvm"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host ||
	echo "$me: cannot mount the host's root"
mount -t proc proc /host/proc; mount -t sysfs sys /host/sys; mount -t devtmpfs dev /host/dev
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts devpts /host/dev/pts; mount -t tmpfs shm /host/dev/shm
ln -sf /proc/self/fd /host/dev/fd; ln -sf /proc/self/fd/0 /host/dev/stdin
ln -sf /proc/self/fd/1 /host/dev/stdout; ln -sf /proc/self/fd/2 /host/dev/stderr
mkdir -p /hosttmp; mount -o bind /host/tmp /hosttmp
mount -t tmpfs tmp /host/tmp; mount -t tmpfs run /host/run
for d in ${ro[*]}; do
	case \$d in /tmp/*) mkdir -p /host\$d; mount -o bind /hosttmp\${d#/tmp} /host\$d ||
		echo "$me: cannot show \$d" ;; esac
done
i=0
for d in ${rw[*]}; do
	mkdir -p /host\$d; mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 rw\$i /host\$d ||
		echo "$me: cannot mount \$d"
	i=\$((i + 1))
done
ip link set lo up
echo booted > /host$state/booted
chroot /host /bin/bash $state/cmd.sh
sync
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$tmp/initrd") || exit 2

args=(-machine q35 -accel "tcg,thread=${NESTED_KVM_TCG_THREAD:-single}" -cpu qemu64,+svm,+npt -smp "$(nproc)" -m 4096
      -display none -monitor none -nodefaults -no-reboot
      -chardev stdio,id=console,signal=off -serial chardev:console
      -kernel "$vmlinuz" -initrd "$tmp/initrd"
      -append "console=ttyS0 ${NESTED_KVM_QUIET-quiet} panic=-1"
      -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap)
i=0
for d in "${rw[@]}"; do
	args+=(-virtfs "local,path=$d,mount_tag=rw$i,security_model=none,multidevs=remap")
	i=$((i + 1))
done
# QEMU dies with this script (a killed test run leaves no emulator behind)
# and after --timeout seconds at most (timeout passes the TERM on to QEMU,
# which ends on it).  Measured here: once in a while the emulated machine
# hangs before its init runs; a guest that has not reached COMMAND after
# 120 s is killed and booted again, at most three times.
qpid=
trap 'if [ -n "$qpid" ]; then kill -TERM $qpid 2>/dev/null; wait $qpid 2>/dev/null; fi; rm -rf "$tmp" "$state"' EXIT
trap 'exit 143' TERM INT HUP
for try in 1 2 3; do
	rm -f "$state/booted"
	timeout -s KILL "$limit" "$qemu" "${args[@]}" < /dev/null > >(tr -d '\r') 2>&1 &
	qpid=$!
	for _ in $(seq 1 1200); do
		[ -e "$state/booted" ] && break
		kill -0 $qpid 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$state/booted" ] && break
	echo "$me: the nested guest did not reach its init in 120 s (try $try of 3)" >&2
	kill -TERM $qpid 2>/dev/null
	wait $qpid 2>/dev/null
	qpid=
done
[ -n "$qpid" ] || skip "the nested guest did not boot in three tries"
wait $qpid
qrc=$?
qpid=
if [ ! -s "$state/rc" ]; then
	# 137: timeout's SIGKILL after --timeout seconds.  The tests bound
	# their own waits, so a run this long is the emulated SVM's hang
	# (README.md): what COMMAND finished stays recorded, the rest is
	# reported as skipped, not as a result.
	if [ "$qrc" -eq 137 ]; then
		skip "the nested guest hung: killed after $limit s (QEMU TCG's emulated SVM; what finished before is kept)"
	fi
	echo "$me: the guest ended without COMMAND's status (QEMU exit $qrc)" >&2
	exit 2
fi
exit "$(cat "$state/rc")"
