#!/usr/bin/env python3
"""Runs `tokex login p` on a fresh pseudo-terminal, as a user at a terminal does, waits for its
hidden prompt (echo must be off then), sends a key (Ctrl-C or Ctrl-D, as argv[2] says), and
prints what the terminal's echo flag is after tokex ended, and how tokex ended. Bounded: 20 s."""
import fcntl, os, select, signal, subprocess, sys, termios, time

tokex, key = sys.argv[1], sys.argv[2]
master, slave = os.openpty()

def controlling_terminal():
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)

child = subprocess.Popen([tokex, "login", "p"], stdin=slave, stdout=slave, stderr=slave,
                         start_new_session=True, preexec_fn=controlling_terminal)
seen, until = b"", time.monotonic() + 20
while b"input hidden" not in seen and time.monotonic() < until:
    ready, _, _ = select.select([master], [], [], 0.2)
    if ready:
        seen += os.read(master, 4096)
if b"input hidden" not in seen:
    child.kill()
    sys.exit(f"no prompt: {seen!r}")
echo_during = bool(termios.tcgetattr(slave)[3] & termios.ECHO)
os.write(master, {"ctrl-c": b"\x03", "ctrl-d": b"\x04"}[key])
try:
    code = child.wait(timeout=15)
except subprocess.TimeoutExpired:
    child.kill()
    sys.exit("tokex did not end")
echo_after = bool(termios.tcgetattr(slave)[3] & termios.ECHO)
ended = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
print(f"echo during prompt: {echo_during}; echo after: {echo_after}; {ended}")
