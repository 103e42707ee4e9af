# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers shared by the input-needed tests (test_prompt_detect.py, test_wait_for_prompt.py,
test_notify_hook.py): the session's InputNeeded/InputTrigger/InputLine properties, oly logs
--wait-for-prompt, and a signal watcher on a raw D-Bus connection."""
import os
import subprocess
import sys
import time

from conftest import BUS_NAME, MANAGER_IFACE, OLY, SESSION_IFACE, dbus_connect, session_path, wait_until

PY = sys.executable  # Debian's python (the tests run under it); the first python3 on PATH may be a shim

# Generous: the detector needs prompt_idle_ms (250 ms) of quiet; a loaded machine needs more.
PROMPT_TIMEOUT = "15s"


def prop(o, sid, name):
    """A session property as busctl prints it, e.g. 's "yes-no"' or 'b true'."""
    p = o.busctl("get-property", BUS_NAME, session_path(sid), SESSION_IFACE, name)
    if p.returncode != 0 and "Input/output error" in p.stderr:
        # Seen twice in ~3000 calls under a loaded CI machine since the keeper/restructuring work, cause not
        # found yet (not reproduced in 400 calls on an idle one): say so in the log and ask once more, so
        # that the property's value is still what the test checks.
        import sys
        print(f"promptutil: busctl get-property {name} failed with EIO; retrying once", file=sys.stderr)
        p = o.busctl("get-property", BUS_NAME, session_path(sid), SESSION_IFACE, name)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def busctl_str(s):
    """The busctl rendering of a string property value (busctl escapes non-ASCII as octal)."""
    out = []
    for b in s.encode():
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append(f"\\{b:03o}")
    return 's "' + "".join(out) + '"'


def trigger(o, sid):
    return prop(o, sid, "InputTrigger")


def input_needed(o, sid):
    """InputNeeded as both 'oly ls --json' and the D-Bus property say it (they must agree)."""
    ls = o.session(sid)["input_needed"]
    bus = prop(o, sid, "InputNeeded")
    assert bus in ("b true", "b false"), bus
    return ls, bus == "b true"


def wait_for_prompt(o, sid, timeout=PROMPT_TIMEOUT, *extra, proc_timeout=None):
    """oly logs --wait-for-prompt --timeout TIMEOUT SID; returns (CompletedProcess, elapsed seconds)."""
    args = ["logs", "--wait-for-prompt"]
    if timeout is not None:
        args += ["--timeout", timeout]
    args += [*extra, sid] if sid is not None else list(extra)
    t = time.monotonic()
    p = o.run(*args, timeout=proc_timeout or 120)
    return p, time.monotonic() - t


def assert_waiting(o, sid, expect_trigger, timeout=PROMPT_TIMEOUT):
    """The session needs input with that trigger: wait-for-prompt says 0, ls and the bus agree."""
    p, _ = wait_for_prompt(o, sid, timeout)
    assert p.returncode == 0, (f"wait-for-prompt -> {p.returncode}\nstderr: {p.stderr}\nstdout: {p.stdout}\n"
                               f"log: {o.log(sid)[-400:]!r}")
    assert p.stderr == f"oly: session {sid} needs input ({expect_trigger}).\n", p.stderr
    assert input_needed(o, sid) == (True, True)
    assert trigger(o, sid) == busctl_str(expect_trigger)
    return p


def wait_trigger(o, sid, expect_trigger, timeout=20):
    """Polls until the session waits with exactly that trigger (for programs that pass through other
    prompts on the way, e.g. gdb's own (gdb) before its question)."""
    return wait_until(lambda: trigger(o, sid) == busctl_str(expect_trigger), timeout,
                      interval=0.1, what=f"session {sid} to wait with trigger {expect_trigger}")


def wait_cleared(o, sid, timeout=10):
    return wait_until(lambda: input_needed(o, sid) == (False, False), timeout, interval=0.05,
                      what=f"session {sid} no longer to need input")


class Watch:
    """A raw D-Bus connection that keeps every signal it sees (the daemon sends its signals to every
    connected client; a Ping first makes sure we are one)."""

    def __init__(self, o):
        self.o = o
        self.bus = dbus_connect(o, timeout=30)
        self.bus.call("/org/openrelay/Oly1", "org.freedesktop.DBus.Peer", "Ping")
        self.seen = []

    def close(self):
        self.bus.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def pump(self, seconds):
        """Reads signals for that long (or until none are pending if seconds is 0)."""
        try:
            self.bus.wait_signal(lambda m: False, timeout=max(seconds, 0.05))
        except TimeoutError:
            pass
        self.seen.extend(self.bus.signals)
        self.bus.signals.clear()

    def wait(self, pred, timeout=20, what="a signal"):
        for m in self.seen:
            if pred(m):
                return m
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; saw {self.seen!r}")
            self.pump(min(left, 0.2))
            for m in self.seen:
                if pred(m):
                    return m

    def of(self, member, sid):
        """Every signal `member` (of the Manager) seen so far for session sid."""
        return [m for m in self.seen if m.member == member and m.interface == MANAGER_IFACE and m.body
                and m.body[0] == sid]

    def wait_count(self, member, sid, n, timeout=20):
        return self.wait(lambda m: len(self.of(member, sid)) >= n, timeout,
                         what=f"{n} {member} signal(s) for {sid}")

    def input_needed_changes(self, sid):
        """The InputNeeded values of the session's PropertiesChanged signals, in order."""
        path = session_path(sid)
        return [m.body[1]["InputNeeded"] for m in self.seen if m.member == "PropertiesChanged" and m.path == path
                and "InputNeeded" in m.body[1]]


def popen_wait_for_prompt(o, sid, timeout):
    """oly logs --wait-for-prompt in the background; returns (Popen, start time)."""
    p = subprocess.Popen([str(OLY), "logs", "--wait-for-prompt", "--timeout", timeout, sid], env=o.env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p, time.monotonic()


def go_file(tmp_path, name="go"):
    """A path a session's script polls for before going on ('until [ -e F ]; do sleep 0.05; done')."""
    return str(tmp_path / name)


def wait_go(path):
    return f"until [ -e {path} ]; do sleep 0.05; done"


def touch(path):
    with open(path, "w"):
        pass


def pid_of_child_with_cmdline(ppid, argv):
    """The pid of the child of ppid whose command line is exactly argv, or None."""
    want = ("\0".join(argv) + "\0").encode()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                st = f.read()
            if int(st[st.rindex(b")") + 2:].split()[1]) != ppid:
                continue
            with open(f"/proc/{d}/cmdline", "rb") as f:
                if f.read() == want:
                    return int(d)
        except (OSError, ValueError):
            continue
    return None


def line(o, sid):
    """InputLine as the exact string (read over a raw connection: busctl escapes)."""
    with dbus_connect(o) as bus:
        return bus.get_property(session_path(sid), SESSION_IFACE, "InputLine")
