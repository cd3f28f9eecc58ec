#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# notify-recv.py PATH SECONDS: what systemd's NOTIFY_SOCKET end does for
# sd_notify(3) senders: a datagram socket at PATH; prints every assignment
# of every message received (one per line, a line "--" after each message)
# until SECONDS have passed.  Output is flushed per message, for tests.
import os
import socket
import sys
import time

path, seconds = sys.argv[1], float(sys.argv[2])
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
end = time.monotonic() + seconds
while True:
    left = end - time.monotonic()
    if left <= 0:
        break
    sock.settimeout(left)
    try:
        msg = sock.recv(65536)
    except socket.timeout:
        break
    sys.stdout.write(msg.decode("utf-8", "replace").rstrip("\n") + "\n--\n")
    sys.stdout.flush()
os.unlink(path)
