#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# deb-boot.sh - the Debian packages tests/deb-check.sh built (tests/debs/),
# installed with dpkg in a minimal Debian 12 (debootstrap, cached) booted
# under systemd (systemd-nspawn -b), used as an operator would:
#   systemctl start dbgproxy-vm@demo dbgproxyd@demo  (/etc/dbgproxy-vm/demo.conf,
#   /etc/dbgproxyd/demo.conf), the daemon non-root (a dynamic user), no
#   capabilities, Type=notify with its STATUS=, the watchdog kept fed, gdb
#   (on this host: the container shares its network) debugging the guest,
#   systemctl reload (SIGHUP), a configuration error (exit 2, not restarted),
#   socket activation (dbgproxyd.socket), and the journal's MESSAGE_IDs.
# The VM is the packaged dbgproxy-vm@demo.service with the x86 test guest
# where /dev/kvm exists, else the simulated AArch64 machine (as a transient
# unit) with the AArch64 test guest.
#
# Skipped, with the reason, without the packages, systemd-nspawn (package
# systemd-container), debootstrap, or a Debian mirror to bootstrap from.
# The root file system is cached as a tarball in DBGPROXY_ROOTFS_CACHE
# (default /var/cache/dbgproxyd-tests), keyed by the packages it holds.
set -uo pipefail
me=deb-boot
skip() { echo "$me: SKIP: $*"; exit 77; }
ok() { echo "ok - $*"; }

build=$PWD
debs=$build/tests/debs
ls "$debs"/dbgproxyd_*.deb > /dev/null 2>&1 ||
	skip "no packages in $debs (tests/deb-check.sh builds them first)"
command -v systemd-nspawn > /dev/null || skip "systemd-nspawn not found (apt-get install systemd-container)"
command -v debootstrap > /dev/null || skip "debootstrap not found (apt-get install debootstrap)"
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, systemd-nspawn)"
: "${GUEST_ELF:?set by make check}"

work=$(mktemp -d /var/tmp/dbgproxyd-deb-boot.XXXXXX) || exit 99
root=$work/root
NSPAWN_PID=
GDB_PIDS=
cleanup() {
	local pid
	for pid in $GDB_PIDS; do kill -9 "$pid" 2>/dev/null; done
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		kill -TERM "$NSPAWN_PID" 2>/dev/null   # the container powers off
		for _ in $(seq 1 100); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$NSPAWN_PID" 2>/dev/null
		wait "$NSPAWN_PID" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# ct CMD...: run CMD inside the booted container (all its namespaces)
ct() { timeout -s KILL 60 nsenter -t "$INIT_PID" -a "$@"; }
journal() { ct journalctl --no-pager -o short-precise "$@" 2>&1 | tail -40; }
fail() {
	echo "$me: FAIL: $*"
	journal -u dbgproxyd@demo -u dbgproxy-vm@demo -u dbgproxyd -u demo-vm -u dbgproxyd@bad
	exit 1
}
# wait_until SECONDS CMD...: poll CMD every 0.1 s
wait_until() {
	local n=$(( $1 * 10 )) i; shift
	for i in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}
prop() { ct systemctl show -P "$2" "$1"; }

# ---- the root file system: Debian 12 with the packages' dependencies ----------
# Depends: of each package, first alternative, version and arch qualifiers off
deps=$(for d in "$debs"/*.deb; do dpkg-deb -f "$d" Depends; done | tr ',' '\n' |
	sed -e 's/|.*//' -e 's/(.*)//' -e 's/:.*//' -e 's/ //g' | grep -v '^$' |
	grep -vE '^(libvmdbg0|dbgproxyd|dbgproxy-vm)$' | sort -u | tr '\n' ',')
include="systemd,systemd-sysv,dbus,${deps%,}"
cache=${DBGPROXY_ROOTFS_CACHE:-/var/cache/dbgproxyd-tests}
key=$(printf '%s' "$include" | sha256sum | cut -c1-16)
tarball=$cache/bookworm-$key.tar.gz
mkdir -p "$root"
if [ -s "$tarball" ]; then
	tar -C "$root" -xzf "$tarball" || exit 99
	echo "$me: root file system from $tarball"
else
	mirror=${DBGPROXY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
	echo "$me: debootstrap --variant=minbase --include=$include bookworm ($mirror)"
	if ! timeout 900 debootstrap --variant=minbase --include="$include" bookworm "$root" "$mirror" \
			> "$work/debootstrap.log" 2>&1; then
		tail -5 "$work/debootstrap.log"
		skip "debootstrap of Debian 12 from $mirror failed (offline?); log above"
	fi
	mkdir -p "$cache" && tar -C "$root" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
fi

# ---- the packages, the operator's configuration -------------------------------
mkdir -p "$root/tmp/debs" && cp "$debs"/*.deb "$root/tmp/debs/"
chroot "$root" sh -c 'dpkg -i /tmp/debs/dbgproxyd_*.deb /tmp/debs/libvmdbg0_*.deb /tmp/debs/dbgproxy-vm_*.deb' \
	> "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; echo "$me: FAIL: dpkg -i"; exit 1; }
rm -rf "$root/tmp/debs"
for g in dbgproxy kvm; do
	grep -q "^$g:" "$root/etc/group" || { echo "$me: FAIL: the packages created no group $g"; exit 1; }
done
ok "dpkg -i of the packages; their postinst created the groups dbgproxy and kvm"

port() { echo $((20000 + RANDOM % 30000)); }
PORT=$(port)
SOCK_PORT=$(port)
kvm=
[ -c /dev/kvm ] && [ -w /dev/kvm ] && [ -z "${NO_X86_GUEST:-}" ] && kvm=yes
if [ -n "$kvm" ]; then
	install -m 0644 "$GUEST_ELF" "$root/srv/guest.elf"
	mkdir -p "$root/etc/dbgproxy-vm"
	echo "DBGPROXY_KERNEL=/srv/guest.elf" > "$root/etc/dbgproxy-vm/demo.conf"
	GDB=gdb GDB_IMAGE=$GUEST_ELF
else
	[ -n "${GUEST_ARM64:-}" ] && [ -s "$GUEST_ARM64" ] ||
		skip "neither /dev/kvm nor the AArch64 test guest for a VM"
	command -v "${GDB_MULTIARCH:-gdb-multiarch}" > /dev/null ||
		skip "no /dev/kvm, and no gdb-multiarch for the simulated AArch64 machine"
	install -m 0644 "$GUEST_ARM64" "$root/srv/guest-arm64.elf"
	GDB=${GDB_MULTIARCH:-gdb-multiarch} GDB_IMAGE=$GUEST_ARM64
fi
printf '[dbgproxyd]\nlisten=127.0.0.1:%s\nvm=/run/dbgproxy-vm-demo/vm.sock\n' "$PORT" \
	> "$root/etc/dbgproxyd/demo.conf"
printf '[dbgproxyd]\nlisten=127.0.0.1:99999\nvm=/run/nowhere.sock\n' > "$root/etc/dbgproxyd/bad.conf"
# the socket unit's port and the daemon it starts (dbgproxyd.service) on the same VM
sed -i "s|^vm=.*|vm=/run/dbgproxy-vm-demo/vm.sock|" "$root/etc/dbgproxyd/dbgproxyd.conf"
mkdir -p "$root/etc/systemd/system/dbgproxyd.socket.d"
printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "$SOCK_PORT" \
	> "$root/etc/systemd/system/dbgproxyd.socket.d/test-port.conf"
# a watchdog a test can see fed: 2 s instead of 30
mkdir -p "$root/etc/systemd/system/dbgproxyd@demo.service.d"
printf '[Service]\nWatchdogSec=2s\n' > "$root/etc/systemd/system/dbgproxyd@demo.service.d/watchdog.conf"

# ---- boot -----------------------------------------------------------------------
# --keep-unit --register=no: no systemd (machined) needed on this side
systemd-nspawn -q -D "$root" -M "dbgpt$$" --keep-unit --register=no --console=pipe -b \
	< /dev/null > "$work/console.log" 2>&1 &
NSPAWN_PID=$!
find_init() {
	INIT_PID=$(cat /proc/"$NSPAWN_PID"/task/*/children 2>/dev/null | awk '{ print $1; exit }')
	[ -n "$INIT_PID" ] && [ "$(cat /proc/"$INIT_PID"/comm 2>/dev/null)" = systemd ]
}
wait_until 30 find_init || { cat "$work/console.log"; skip "systemd-nspawn could not boot a container here (above)"; }
booted() {
	state=$(ct systemctl is-system-running 2>&1)
	case "$state" in running|degraded) return 0 ;; esac
	return 1
}
if ! wait_until 120 booted; then
	ct systemctl --failed --no-pager
	skip "the container did not finish booting within 120 s ($state)"
fi
ok "Debian 12 booted under systemd-nspawn ($state)"

# ---- the VM ---------------------------------------------------------------------
if [ -n "$kvm" ]; then
	# as udev's default rule makes it (this host has no udev): root:kvm 0660, a
	# node of the container's own
	ct sh -c 'umount /dev/kvm 2>/dev/null; rm -f /dev/kvm; mknod -m 0660 /dev/kvm c 10 232 && chgrp kvm /dev/kvm' ||
		fail "could not make /dev/kvm in the container"
	ct systemctl start dbgproxy-vm@demo || fail "systemctl start dbgproxy-vm@demo"
	VM_UNIT=dbgproxy-vm@demo
else
	ct systemd-run -q --unit=demo-vm -p DynamicUser=yes -p SupplementaryGroups=dbgproxy \
		-p RuntimeDirectory=dbgproxy-vm-demo /usr/bin/dbgproxy-vm --arch aarch64 \
		--kernel /srv/guest-arm64.elf --socket /run/dbgproxy-vm-demo/vm.sock \
		--socket-group dbgproxy --socket-mode 0660 || fail "systemd-run the simulated VM"
	VM_UNIT=demo-vm
fi
wait_until 30 ct test -S /run/dbgproxy-vm-demo/vm.sock || fail "$VM_UNIT made no socket"
vm_pid=$(prop "$VM_UNIT" MainPID)
ct grep -q '^Uid:[[:space:]]*0[[:space:]]' /proc/"$vm_pid"/status && fail "$VM_UNIT runs as root"
ok "$VM_UNIT active, not root, its socket group dbgproxy: $(ct stat -c '%A %G' /run/dbgproxy-vm-demo/vm.sock)"

# ---- dbgproxyd@demo ---------------------------------------------------------------
# Type=notify: start returns once the daemon said READY=1
ct systemctl start dbgproxyd@demo || fail "systemctl start dbgproxyd@demo"
[ "$(prop dbgproxyd@demo Type)" = notify ] || fail "dbgproxyd@demo is not Type=notify"
[ "$(prop dbgproxyd@demo ActiveState)" = active ] || fail "dbgproxyd@demo not active after start"
status=$(prop dbgproxyd@demo StatusText)
case "$status" in
*"gdb not attached, listening on 127.0.0.1:$PORT; VM reachable at /run/dbgproxy-vm-demo/vm.sock"*) ;;
*) fail "STATUS= says '$status'" ;;
esac
pid=$(prop dbgproxyd@demo MainPID)
ct cat /proc/"$pid"/status > "$work/status"
uid=$(awk '/^Uid:/ { print $2 }' "$work/status")
[ "$uid" -ne 0 ] || fail "dbgproxyd runs as root"
grep -q '^CapEff:[[:space:]]*0000000000000000$' "$work/status" || fail "dbgproxyd has capabilities"
grep -q '^NoNewPrivs:[[:space:]]*1$' "$work/status" || fail "dbgproxyd may gain privileges"
grep -q '^Seccomp:[[:space:]]*2$' "$work/status" || fail "dbgproxyd has no system call filter"
ok "dbgproxyd@demo: Type=notify, active, uid $uid (dynamic), no capabilities, seccomp; STATUS=$status"

# the watchdog (2 s here): fed, so neither killed nor restarted
wd1=$(prop dbgproxyd@demo WatchdogTimestampMonotonic)
sleep 5
wd2=$(prop dbgproxyd@demo WatchdogTimestampMonotonic)
[ "$wd2" -gt "$wd1" ] || fail "no WATCHDOG=1 in 5 s ($wd1 -> $wd2)"
[ "$(prop dbgproxyd@demo NRestarts)" = 0 ] && [ "$(prop dbgproxyd@demo MainPID)" = "$pid" ] ||
	fail "dbgproxyd@demo was restarted under a 2 s watchdog"
ok "WatchdogSec=2s: WATCHDOG=1 keeps coming (last ping moved $(( (wd2 - wd1) / 1000 )) ms), no restart"

# gdb from this host; STATUS= while it is attached
gdb_out=$work/gdb.out
timeout -s KILL 120 "$GDB" -q -batch -nx -ex "set pagination off" \
	-ex "target remote 127.0.0.1:$PORT" -ex "info registers pc" \
	-ex "shell nsenter -t $INIT_PID -a systemctl show -P StatusText dbgproxyd@demo" \
	-ex "stepi" -ex "x/i \$pc" -ex "detach" "$GDB_IMAGE" > "$gdb_out" 2>&1 < /dev/null
cat "$gdb_out"
grep -qE '^(pc|rip) +0x' "$gdb_out" || fail "gdb read no pc"
grep -q "gdb attached from 127.0.0.1:[0-9]*; VM reachable" "$gdb_out" || fail "STATUS= while gdb is attached"
grep -q "=> 0x" "$gdb_out" || fail "gdb could not step"
ok "gdb attached through dbgproxyd@demo, read pc, stepped, detached"

# the journal reads like an operator's: the events with their MESSAGE_IDs
ct journalctl -u dbgproxyd@demo -o json --no-pager > "$work/journal.json"
for id in d6445e9ab8434c26ae8610bb7f6abb5a 5bbd3dab5d444785a57aaaf733f65736 \
	  3cd0026022044ff0b72ffc9a1354411e 79b11e6d612444339dc6537abc3d4461; do
	grep -q "\"MESSAGE_ID\":\"$id\"" "$work/journal.json" || fail "no MESSAGE_ID=$id in the journal"
done
grep -q '"PEER":"127.0.0.1:' "$work/journal.json" || fail "no PEER= field in the journal"
ok "journal: started, VM reachable, gdb attached, gdb detached with MESSAGE_ID and PEER="
# the catalog: installed, taken into the journal's database by systemd's
# trigger, explaining the events in journalctl -x
ct journalctl --list-catalog > "$work/catalog" 2>/dev/null
grep -q '^3cd0026022044ff0b72ffc9a1354411e dbgproxyd: gdb attached from' "$work/catalog" ||
	fail "the journal's catalog has no dbgproxyd entries"
ct journalctl -x -u dbgproxyd@demo --no-pager > "$work/journal-x"
grep -q "Subject: gdb attached from 127.0.0.1:" "$work/journal-x" ||
	fail "journalctl -x shows no catalog text for gdb attached"
ok "journalctl -x explains the events from the packaged catalog"

# reload: SIGHUP, the same process
ct systemctl reload dbgproxyd@demo || fail "systemctl reload dbgproxyd@demo"
sleep 0.5
[ "$(prop dbgproxyd@demo MainPID)" = "$pid" ] && [ "$(prop dbgproxyd@demo ActiveState)" = active ] ||
	fail "reload did not leave the same daemon running"
wait_until 10 sh -c "nsenter -t $INIT_PID -a journalctl -u dbgproxyd@demo --no-pager > '$work/j' && grep -q SIGHUP '$work/j'" ||
	fail "the daemon logged nothing of the SIGHUP"
ok "systemctl reload: SIGHUP, the same daemon (pid $pid) still active"

# a configuration error: exit 2, named, not restarted
ct systemctl start dbgproxyd@bad > /dev/null 2>&1 && fail "dbgproxyd@bad started"
sleep 1
[ "$(prop dbgproxyd@bad ExecMainStatus)" = 2 ] || fail "dbgproxyd@bad: exit $(prop dbgproxyd@bad ExecMainStatus), not 2"
[ "$(prop dbgproxyd@bad NRestarts)" = 0 ] || fail "dbgproxyd@bad was restarted"
ct journalctl -u dbgproxyd@bad --no-pager > "$work/bad"
grep -q "bad.conf.*port must be 1..65535\|listen='127.0.0.1:99999'" "$work/bad" ||
	fail "the journal does not name the bad key"
ok "a bad listen= in /etc/dbgproxyd/bad.conf: exit 2, named in the journal, not restarted"

# stop: clean
ct systemctl stop dbgproxyd@demo || fail "systemctl stop dbgproxyd@demo"
[ "$(prop dbgproxyd@demo Result)" = success ] || fail "dbgproxyd@demo stopped with $(prop dbgproxyd@demo Result)"
ok "systemctl stop dbgproxyd@demo: Result=success"

# socket activation: systemd listens, the first gdb starts dbgproxyd.service
ct systemctl start dbgproxyd.socket || fail "systemctl start dbgproxyd.socket"
[ "$(prop dbgproxyd.service ActiveState)" = inactive ] || fail "dbgproxyd.service started before any gdb"
timeout -s KILL 120 "$GDB" -q -batch -nx -ex "target remote 127.0.0.1:$SOCK_PORT" \
	-ex "info registers pc" -ex "detach" "$GDB_IMAGE" > "$gdb_out" 2>&1 < /dev/null
cat "$gdb_out"
grep -qE '^(pc|rip) +0x' "$gdb_out" || fail "gdb through the socket unit read no pc"
[ "$(prop dbgproxyd.service ActiveState)" = active ] || fail "dbgproxyd.service not active after gdb"
journal -u dbgproxyd.service > "$work/sock"
grep -q "gdb on the socket systemd passed" "$work/sock" ||
	fail "dbgproxyd.service did not take the socket systemd passed"
ok "dbgproxyd.socket: gdb's connection started dbgproxyd.service, which served it"

echo "$me: PASS"
