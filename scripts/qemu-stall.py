#!/usr/bin/env python3
"""Record the state of a QEMU test machine whose console went silent.

    scripts/qemu-stall.py MONITOR_SOCKET LOG SECONDS OUT

Polls LOG (the boot kernel's console file) every 5 s. When it has not
grown for SECONDS while the monitor socket still answers, asks QEMU's
human monitor for every vCPU's registers and local APIC (where each CPU
is, whether it halted, what its timer holds) and writes the answers to
OUT, once, then keeps quiet. A machine that stopped altogether (every
CPU halted with no timer pending, say) leaves the evidence behind
instead of only a timeout. Exits when the socket goes away.
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


def main():
    sock_path, log, quiet_s, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    last_size, last_change = -1, time.monotonic()
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
            last_size, last_change = size, now
            continue
        if now - last_change < quiet_s:
            continue
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
            f.write("console silent for %d s; QEMU's view of the machine:\n" % quiet_s)
            f.write(text)
        print("qemu: console silent for %d s: vCPU state in %s" % (quiet_s, out),
              file=sys.stderr)
        return


if __name__ == "__main__":
    main()
