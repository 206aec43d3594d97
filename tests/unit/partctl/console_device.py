#!/usr/bin/env python3
"""Stand-in for /dev/kpart-console/NAME that records what it is sent (tests only).

    console_device.py LINK RECORD -- COMMAND [ARG...]

Creates a pseudo-terminal in raw mode, makes LINK a symlink to its slave
side and runs COMMAND (standard input, output and error inherited). The
master side plays the application kernel: every byte COMMAND writes to the
device is appended to RECORD and sent back as console output, the way a
shell with echo on would. One descriptor carries both directions, as on the
real device, but unlike a FIFO opened for reading and writing the input
and the output stay apart: RECORD holds what was written to the device and
nothing else, whether or not COMMAND read the echo back before it exited.

When COMMAND has exited, bytes it wrote just before are still collected
(until the device has been quiet for 0.3 s); then RECORD is written, LINK
removed, and the exit status is COMMAND's (128 + N for signal N).
"""
import os
import pty
import select
import subprocess
import sys
import tty


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit("usage: console_device.py LINK RECORD -- COMMAND [ARG...]")
    link, record, cmd = sys.argv[1], sys.argv[2], sys.argv[4:]
    master, slave = pty.openpty()
    tty.setraw(slave)  # no echo, no line editing, no output processing
    os.symlink(os.ttyname(slave), link)
    got = bytearray()

    def serve(timeout):
        ready, _, _ = select.select([master], [], [], timeout)
        if not ready:
            return False
        data = os.read(master, 65536)
        got.extend(data)
        os.write(master, data)
        return True

    try:
        # our own slave descriptor stays open: no hangup when COMMAND closes
        child = subprocess.Popen(cmd)
        while child.poll() is None:
            serve(0.05)
        while serve(0.3):
            pass
    finally:
        os.unlink(link)
        with open(record, "wb") as f:
            f.write(got)
    rc = child.returncode
    sys.exit(128 - rc if rc < 0 else rc)


if __name__ == "__main__":
    main()
