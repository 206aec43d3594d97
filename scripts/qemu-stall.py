#!/usr/bin/env python3
"""Record the state of a QEMU test machine whose console went silent.

    scripts/qemu-stall.py MONITOR_SOCKET LOG SECONDS OUT [MAX_BOOTS]

Polls LOG (the boot kernel's console file) every 5 s. When it has not
grown for SECONDS while the monitor socket still answers, asks QEMU's
human monitor for every vCPU's registers and local APIC (where each CPU
is, whether it halted, what its timer holds) and writes the answers to
OUT, once, then keeps quiet. A machine that stopped altogether (every
CPU halted with no timer pending, say) leaves the evidence behind
instead of only a timeout. Exits when the socket goes away.

A boot kernel that reports a lost timer interrupt (RCU: "timer wakeup
didn't happen") before its test script began is the TCG flake
tests/e2e/run.sh boots again for (docs/testing.md): the machine's state
is recorded at once and QEMU told to quit, instead of the test waiting
for its timeout with nothing left to learn.

MAX_BOOTS, for a machine allowed to reboot (a disk-booted system, whose
test reboots it on purpose): once the console shows more boots than
that (a kernel that panics and reboots, over and over), QEMU is told to
quit instead of rebooting until the test's timeout.
"""
import os
import re
import socket
import sys
import time


def ask(sock_path, commands):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    out = []

    def read_until_prompt():
        buf = b""
        while not buf.endswith(b"(qemu) "):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        return buf.decode(errors="replace")

    read_until_prompt()  # banner
    for cmd in commands:
        s.sendall(cmd.encode() + b"\n")
        answer = read_until_prompt()
        # drop the monitor's echo of the command line (terminal escapes)
        answer = "\n".join(l for l in answer.splitlines()[1:] if l != "(qemu) ")
        out.append("### %s\n%s\n" % (cmd, answer))
    s.close()
    return "".join(out)


STALL = b"timer wakeup didn't happen"
TEST_BEGAN = b"BOOT: running test"


def record(sock_path, out, why):
    try:
        cpus = ask(sock_path, ["info cpus"])
        n = sum(1 for line in cpus.splitlines() if "CPU #" in line)
        cmds = ["info cpus", "info registers -a"]
        for i in range(n):
            cmds += ["cpu %d" % i, "info lapic"]
        text = ask(sock_path, cmds)
    except OSError as e:
        text = "monitor did not answer: %s\n" % e
    with open(out, "w") as f:
        f.write("%s; QEMU's view of the machine:\n" % why)
        f.write(text)
    print("qemu: %s: vCPU state in %s" % (why, out), file=sys.stderr)


BOOT = b"Linux version "


def quit_qemu(sock_path):
    try:
        ask(sock_path, ["quit"])
    except OSError:
        pass  # QEMU is gone already, which is what was asked


def main():
    sock_path, log, quiet_s, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    max_boots = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    last_size, last_change = -1, time.monotonic()
    seen, began = 0, False
    while True:
        time.sleep(5)
        if not os.path.exists(sock_path):
            return
        try:
            size = os.path.getsize(log)
        except OSError:
            size = 0
        now = time.monotonic()
        if size != last_size:
            if not began and size > seen:
                # the new bytes, and a line's worth before them: a marker
                # may straddle two polls
                start = max(0, seen - 256)
                with open(log, "rb") as f:
                    f.seek(start)
                    new = f.read(size - start)
                seen = size
                began = TEST_BEGAN in new
                if not began and STALL in new:
                    record(sock_path, out, "boot kernel lost a timer interrupt before its test began")
                    quit_qemu(sock_path)
                    return
            if max_boots:
                with open(log, "rb") as f:
                    boots = f.read().count(BOOT)
                if boots > max_boots:
                    print("qemu: the machine booted %d times, more than the %d allowed: quitting"
                          % (boots, max_boots), file=sys.stderr)
                    quit_qemu(sock_path)
                    return
            last_size, last_change = size, now
            continue
        if now - last_change < quiet_s:
            continue
        record(sock_path, out, "console silent for %d s" % quiet_s)
        return


if __name__ == "__main__":
    main()
