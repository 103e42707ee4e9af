# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fixtures for oly's integration tests: real binaries, each test with its own state and runtime dirs."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("OLY_BUILD_DIR", REPO / "build")).resolve()
OLY = BUILD / "src" / "cli" / "oly"
OLY_DAEMON = BUILD / "src" / "daemon" / "oly-daemon"
OLY_HTTP = BUILD / "src" / "http" / "oly-http"
WEB_DIR = REPO / "web"
WEB_PASSWORD = "correct horse battery staple"
DBUS_XML = REPO / "dbus" / "org.openrelay.Oly1.xml"


def wait_until(pred, timeout=10.0, interval=0.02, what="condition"):
    """Polls pred() until it returns something truthy; fails the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Oly:
    """One isolated oly instance: its state dir, runtime dir and environment."""

    def __init__(self, state: Path, runtime: Path):
        self.state = state
        self.runtime = runtime
        self.bus = runtime / "bus"
        self.address = f"unix:path={self.bus}"
        self.env = dict(os.environ)
        for k in ("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "DBUS_SESSION_BUS_ADDRESS"):
            self.env.pop(k, None)
        self.env.update(OLY_STATE_DIR=str(state), OLY_RUNTIME_DIR=str(runtime), OLY_DAEMON=str(OLY_DAEMON),
                        OLY_HTTP=str(OLY_HTTP), OLY_WEB_DIR=str(WEB_DIR))
        self.daemon_pid = None
        self.keeper_pid = None
        self.http_port = None
        self.http_url = None
        self.password = None

    def run(self, *args, input=None, timeout=30, env=None, cwd=None):
        e = dict(self.env)
        if env:
            e.update(env)
        return subprocess.run([str(OLY), *map(str, args)], input=input, capture_output=True, text=True,
                              timeout=timeout, env=e, cwd=cwd, stdin=None if input is not None else subprocess.DEVNULL)

    def ok(self, *args, **kw):
        """Runs oly and asserts exit 0; returns stdout."""
        p = self.run(*args, **kw)
        assert p.returncode == 0, f"oly {' '.join(map(str, args))} -> {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
        return p.stdout

    def start_detached(self, *cmd, title=None, cwd=None, extra=()):
        args = ["start", "--detach", *extra]
        if title:
            args += ["--title", title]
        args += ["--", *cmd] if cmd and str(cmd[0]).startswith("-") else list(cmd)
        return self.ok(*args, cwd=cwd).strip()

    def ls_json(self, *args):
        return json.loads(self.ok("ls", "--json", "--limit", "1000", *args))

    def session(self, sid):
        for s in self.ls_json():
            if s["id"] == sid:
                return s
        raise AssertionError(f"no session {sid}")

    def wait_status(self, sid, statuses, timeout=10):
        if isinstance(statuses, str):
            statuses = (statuses,)
        return wait_until(lambda: (s := self.session(sid))["status"] in statuses and s, timeout,
                          what=f"session {sid} to reach {statuses}")

    def log(self, sid):
        return (self.state / "sessions" / sid / "output.log").read_bytes()

    def daemon_start(self, *extra):
        p = self.run("daemon", "start", "--detach", "--no-http", *extra)
        assert p.returncode == 0, f"daemon start failed: {p.stdout}{p.stderr}"
        self.note_pids(p.stdout)
        return p

    def http_start(self, password=WEB_PASSWORD, no_auth=False, port=None, extra=()):
        """Starts the daemon with oly-http on a free loopback port (password from a file, as a script
        would), and waits until /api/health answers."""
        import urllib.request
        self.http_port = port or free_port()
        args = ["daemon", "start", "--detach", "--port", str(self.http_port), *extra]
        if no_auth:
            args += ["--no-auth", "--i-understand-no-auth-risk"]
        elif password is not None:
            pwfile = self.state.parent / "web-password"
            pwfile.write_text(password + "\n")
            args += ["--password-file", str(pwfile)]
        p = self.run(*args)
        assert p.returncode == 0, f"daemon start failed: {p.stdout}{p.stderr}"
        self.note_pids(p.stdout)
        self.password = password
        self.http_url = f"http://127.0.0.1:{self.http_port}"

        def healthy():
            try:
                with urllib.request.urlopen(self.http_url + "/api/health", timeout=2) as r:
                    return r.status == 200
            except Exception:
                return False
        wait_until(healthy, 15, what="oly-http to answer /api/health")
        return p

    def note_pids(self, out):
        """The daemon's pid and its keeper's from what 'oly daemon start --detach' printed."""
        self.daemon_pid = int(out.split("pid ")[1].split(")")[0])
        m = re.search(r"oly-keeper \(pid (\d+)\)", out)
        self.keeper_pid = int(m.group(1)) if m else None

    def kill_all(self):
        """SIGKILL for oly-keeper and the daemon: everything that could keep the sessions is gone (a daemon
        killed alone is started again by its keeper, with its sessions)."""
        for pid in (self.keeper_pid, self.daemon_pid):
            if pid and pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
        for pid in (self.keeper_pid, self.daemon_pid):
            if pid:
                wait_until(lambda: not pid_alive(pid), what=f"pid {pid} to die")
        self.daemon_pid = self.keeper_pid = None

    def daemon_stop(self, grace=1):
        p = self.run("daemon", "stop", "--grace", str(grace), timeout=grace + 40)
        if self.daemon_pid:
            wait_until(lambda: not pid_alive(self.daemon_pid), 10, what="daemon to exit")
            self.daemon_pid = None
        if self.keeper_pid:
            wait_until(lambda: not pid_alive(self.keeper_pid), 10, what="oly-keeper to exit")
            self.keeper_pid = None
        return p

    def busctl(self, *args, timeout=10):
        return subprocess.run(["busctl", f"--address={self.address}", *map(str, args)], capture_output=True,
                              text=True, timeout=timeout)

    def cleanup(self):
        if (self.daemon_pid and pid_alive(self.daemon_pid)) or (self.keeper_pid and pid_alive(self.keeper_pid)):
            try:
                self.daemon_stop(grace=0)
            except Exception:
                pass
            # The keeper first: it would start a killed daemon again.
            if self.keeper_pid and pid_alive(self.keeper_pid):
                os.kill(self.keeper_pid, signal.SIGKILL)
            if self.daemon_pid and pid_alive(self.daemon_pid):
                os.kill(self.daemon_pid, signal.SIGKILL)


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (our own child, not yet reaped) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.fixture
def oly_env(tmp_path):
    """An isolated oly instance with no daemon running."""
    runtime = Path(tempfile.mkdtemp(prefix="oly-", dir="/tmp"))  # short: socket paths must fit 108 bytes
    o = Oly(tmp_path / "state", runtime)
    yield o
    o.cleanup()
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def oly(oly_env):
    """An isolated oly instance with its daemon running."""
    oly_env.daemon_start()
    return oly_env


def pytest_report_header(config):
    return [f"oly build: {BUILD}"]


def pytest_collection_modifyitems(config, items):
    missing = [p for p in (OLY, OLY_DAEMON) if not p.exists()]
    if missing:
        raise pytest.UsageError(f"build oly first (missing {', '.join(map(str, missing))})")


# ---- Helpers shared by the test modules (no fixtures changed above) ----

import re  # noqa: E402
import socket  # noqa: E402
from datetime import datetime  # noqa: E402

RFC3339_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
# The contract's id alphabet: 0-9 a-z without i l o u.
ID_RE = re.compile(r"^[0-9abcdefghjkmnpqrstvwxyz]{8}$")
BUS_NAME = "org.openrelay.Oly1"
MANAGER_PATH = "/org/openrelay/Oly1"
MANAGER_IFACE = "org.openrelay.Oly1.Manager"
SESSION_IFACE = "org.openrelay.Oly1.Session"


def session_path(sid):
    return f"{MANAGER_PATH}/session/{sid}"


def project_version():
    m = re.search(r"version\s*:\s*'([^']+)'", (REPO / "meson.build").read_text())
    assert m, "no version in meson.build"
    return m.group(1)


def parse_time(s):
    """An RFC 3339 string from 'oly ls --json' to an aware datetime."""
    assert isinstance(s, str) and RFC3339_RE.match(s), f"not an RFC 3339 timestamp: {s!r}"
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def write_config(o, text):
    """Writes <state>/config.json (before the daemon starts); dict -> JSON."""
    o.state.mkdir(parents=True, exist_ok=True)
    if not isinstance(text, str):
        text = json.dumps(text)
    (o.state / "config.json").write_text(text)


def daemon_start_fails(o, config):
    """Writes config.json and checks that 'oly daemon start' refuses it: exit 1, config.json left as it
    was, and no daemon serving afterwards. Returns the daemon's stderr."""
    write_config(o, config)
    before = (o.state / "config.json").read_text()
    p = o.run("daemon", "start", "--detach", "--no-http")
    if p.returncode == 0:
        o.note_pids(p.stdout)
    assert p.returncode == 1, f"the daemon started with {config!r}"
    assert (o.state / "config.json").read_text() == before, "config.json was rewritten"
    assert o.run("ls").returncode == 1, "a daemon serves after all"
    return p.stderr


def wait_log(o, sid, needle, timeout=10):
    """Waits until the session's output.log contains needle (bytes); returns the log."""
    if isinstance(needle, str):
        needle = needle.encode()
    return wait_until(lambda: (p := o.state / "sessions" / sid / "output.log").exists() and needle in p.read_bytes()
                      and p.read_bytes(), timeout, what=f"{needle!r} in the log of {sid}")


def sessions_sharing_first_char(o, cmd=("true",), max_sessions=40):
    """Creates sessions until two ids share their first character (33 always suffice: 32 characters).
    Returns (char, [id1, id2])."""
    seen = {}
    for _ in range(max_sessions):
        sid = o.start_detached(*cmd)
        if sid[0] in seen:
            return sid[0], [seen[sid[0]], sid]
        seen[sid[0]] = sid
    raise AssertionError(f"{max_sessions} sessions and no two ids share a first character: {sorted(seen.values())}")


def dbus_connect(o, timeout=10):
    """A raw D-Bus connection to the daemon (see minidbus.py)."""
    import minidbus
    return minidbus.Connection(o.bus, timeout=timeout)


class NotifySocket:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET: collects what the daemon sends."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []

    def close(self):
        self.sock.close()

    def fields(self):
        """Every KEY=VALUE line received so far."""
        return [line for m in self.messages for line in m.split("\n") if line]

    def wait_for(self, pred, timeout=30, what="a notification"):
        """Waits for a KEY=VALUE line for which pred(line) holds; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.fields():
                if pred(line):
                    return line
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}; got {self.fields()!r}")
            self.sock.settimeout(left)
            try:
                self.messages.append(self.sock.recv(4096).decode(errors="replace"))
            except socket.timeout:
                pass


@pytest.fixture
def oly_http(oly_env):
    """An isolated oly instance with its daemon and oly-http running, protected by WEB_PASSWORD."""
    oly_env.http_start()
    return oly_env
