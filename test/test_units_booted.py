# SPDX-License-Identifier: LGPL-2.1-or-later
"""The systemd user units in a real booted systemd, as a user uses them.

test/systemd/boot.sh boots Debian bookworm's systemd in systemd-nspawn (on a machine whose PID 1 is not
systemd), with user tester (uid 1000, lingering, so user@1000 runs). oly is installed into the container's
root with 'meson install' (DESTDIR); then, as tester: enable the two sockets, let the bus socket start
oly-daemon (Type=notify), set the web password in the running daemon, let an HTTP request start the
sandboxed oly-http, log in, start a session through the API, see it in 'oly ls', attach over WebSocket,
restart oly-http (the login stays valid), rate the sandbox with 'systemd-analyze security', stop the daemon.

Needs root, systemd-nspawn (systemd-container), debootstrap and a Debian mirror (the first boot
debootstraps a cached rootfs under /var/tmp/oly-systemd-test: ~40 s; later boots ~0.5 s). Without them the
tests are skipped, except under CI=true, where that is a failure. The container is torn down at the end
(no mount, cgroup or process is left)."""
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
import websocket

from conftest import BUILD

HERE = Path(__file__).resolve().parent / "systemd"
NAME = "oly-units-test"
SDP = os.environ.get("OLY_SYSTEMD_TEST_DIR", "/var/tmp/oly-systemd-test")
ENV = dict(os.environ, NAME=NAME, SDP=SDP)
TESTER_ENV = ["HOME=/home/tester", "USER=tester", "LOGNAME=tester", "XDG_RUNTIME_DIR=/run/user/1000",
              "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus", "PATH=/usr/local/bin:/usr/bin:/bin"]
PASSWORD = "booted correct horse"
MAX_EXPOSURE = 2.5


def missing(what):
    """A missing tool skips the tests on a developer's machine and fails them in CI."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI: {what}")
    pytest.skip(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Container:
    def __init__(self, root, exec_path, port):
        self.root = Path(root)
        self.exec = exec_path
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def run(self, *cmd, check=True, timeout=60):
        """A client command inside the container, as root."""
        r = subprocess.run([self.exec, *cmd], capture_output=True, text=True, timeout=timeout)
        if check:
            assert r.returncode == 0, f"{cmd}: rc={r.returncode}\n{r.stdout}\n{r.stderr}"
        return r

    def tester(self, *cmd, check=True, timeout=60):
        """A command inside the container as tester, with the environment of its login."""
        return self.run("setpriv", "--reuid=1000", "--regid=1000", "--init-groups", "env", "-i", *TESTER_ENV,
                        *cmd, check=check, timeout=timeout)

    def user_file(self, rel, text, mode=0o644):
        """Write ~tester/REL in the container's root (owned by tester)."""
        p = self.root / "home/tester" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        p.chmod(mode)
        d = p
        while d != self.root / "home/tester":
            os.chown(d, 1000, 1000)
            d = d.parent

    def show(self, unit, *props):
        out = self.tester("systemctl", "--user", "show", unit, *(f"-p{p}" for p in props)).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def journal(self, unit):
        return self.tester("journalctl", "--user", "-u", unit, "--no-pager", "-o", "cat", check=False).stdout

    def wait_until(self, cond, what, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            v = cond()
            if v:
                return v
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")


def teardown():
    r = subprocess.run([HERE / "teardown.sh"], env=ENV, capture_output=True, text=True, timeout=120)
    return r


@pytest.fixture(scope="module")
def ct():
    if os.geteuid() != 0:
        missing("booting systemd in a container needs root")
    for tool, pkg in (("systemd-nspawn", "systemd-container"), ("debootstrap", "debootstrap"),
                      ("nsenter", "util-linux")):
        if not shutil.which(tool):
            missing(f"{tool} is missing (Debian package {pkg})")
    if not (BUILD / "build.ninja").exists():
        pytest.fail(f"build oly first ({BUILD})")
    teardown()  # boot.sh would reuse a container of this NAME left running: start from a fresh one
    t0 = time.monotonic()
    r = subprocess.run([HERE / "boot.sh"], env=ENV, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        teardown()
        pytest.fail(f"boot.sh failed (rc {r.returncode}):\n{r.stdout}\n{r.stderr}")
    print(f"\nboot: {time.monotonic() - t0:.1f} s\n{r.stdout.strip()}")
    info = dict(line.split("=", 1) for line in r.stdout.splitlines() if re.match(r"^(root|leader|exec)=", line))
    nspawn_pid = int(Path(SDP, "machines", NAME, "nspawn.pid").read_text())
    try:
        c = Container(info["root"], info["exec"], free_port())
        yield c
    finally:
        r = teardown()
        m = Path(SDP, "machines", NAME)
        left = []
        if r.returncode != 0:
            left.append(f"teardown.sh rc {r.returncode}: {r.stdout}{r.stderr}")
        if os.path.exists(f"/proc/{nspawn_pid}"):
            left.append(f"systemd-nspawn {nspawn_pid} still runs")
        if m.exists():
            left.append(f"{m} is left")
        with open("/proc/self/mountinfo") as f:
            if any(str(m) in line for line in f):
                left.append(f"a mount under {m} is left")
        for h in ("/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
            if os.path.isdir(f"{h}/oly-ct-{NAME}"):
                left.append(f"cgroup {h}/oly-ct-{NAME} is left")
        assert not left, left


@pytest.fixture(scope="module")
def installed(ct):
    env = dict(os.environ, DESTDIR=str(ct.root))
    r = subprocess.run(["meson", "install", "-C", str(BUILD), "--quiet"], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    for f in ("usr/local/bin/oly", "usr/local/libexec/oly/oly-daemon", "usr/local/libexec/oly/oly-http",
              "usr/local/lib/systemd/user/oly-http.service", "usr/local/share/oly/web/index.html"):
        assert (ct.root / f).exists(), f
    # The user manager's search path includes /usr/local/lib/systemd/user.
    paths = ct.tester("systemd-analyze", "--user", "unit-paths").stdout.split()
    assert "/usr/local/lib/systemd/user" in paths, paths
    # The web port as a user changes it ('systemctl --user edit oly-http.socket'): a free one on this host,
    # whose network the container shares.
    ct.user_file(".config/systemd/user/oly-http.socket.d/port.conf",
                 f"[Socket]\nListenStream=\nListenStream=127.0.0.1:{ct.port}\n")
    ct.tester("systemctl", "--user", "daemon-reload")
    ct.tester("systemctl", "--user", "enable", "--now", "oly-daemon.socket", "oly-http.socket")
    return ct


@pytest.fixture(scope="module")
def web(installed):
    """The password set in the running daemon; a login token; one session started through the API."""
    ct = installed
    ct.user_file("pw", PASSWORD + "\n", 0o600)
    r = ct.tester("oly", "daemon", "start", "--password-file", "/home/tester/pw")
    assert "password was changed" in r.stdout + r.stderr, r
    r = requests.post(ct.url + "/api/auth/login", json={"password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    r = requests.post(ct.url + "/api/sessions", headers=h, timeout=30, json={
        "command": ["sh", "-c", 'echo booted-hello; read x; echo "booted-got-[$x]"; exec sleep 1000'],
        "title": "booted"})
    assert r.status_code == 201, r.text
    return {"token": token, "h": h, "session": r.json()}


def test_sockets_listen(installed):
    ct = installed
    out = ct.tester("systemctl", "--user", "list-sockets", "--no-pager").stdout
    assert "/run/user/1000/oly/bus" in out and f"127.0.0.1:{ct.port}" in out, out
    for u in ("oly-daemon.service", "oly-http.service"):
        assert ct.show(u, "ActiveState")["ActiveState"] == "inactive", u


def test_units_load_without_warnings(installed):
    """The user manager parsed every oly unit without a warning (an unknown or misplaced key is ignored
    with only a line in the journal: 'FILE:LINE: Unknown key ...')."""
    log = installed.tester("journalctl", "--user", "--no-pager", "-o", "cat").stdout
    bad = [line for line in log.splitlines() if re.search(r"/oly-[a-z-]+\.(service|socket)(\.d/[^:]*)?:\d+:", line)]
    assert not bad, "\n".join(bad)


def test_bus_socket_activates_daemon(installed):
    ct = installed
    r = ct.tester("oly", "ls")
    assert r.stdout.strip() == "No sessions.", r.stdout
    s = ct.show("oly-daemon.service", "Type", "ActiveState", "SubState", "NRestarts", "MainPID")
    assert s["Type"] == "notify" and s["ActiveState"] == "active" and s["SubState"] == "running", s
    assert s["NRestarts"] == "0", s


def test_http_socket_activates_sandboxed_http(installed):
    ct = installed
    r = requests.get(ct.url + "/api/health", timeout=30)
    assert r.status_code == 200 and r.json()["status"] == "ok", r.text
    s = ct.show("oly-http.service", "Type", "ActiveState", "SubState", "NRestarts", "StatusText")
    assert s["ActiveState"] == "active" and s["SubState"] == "running" and s["NRestarts"] == "0", s
    r = requests.get(ct.url + "/", timeout=30)
    assert r.status_code == 200 and "<html" in r.text.lower(), r.text[:200]
    log = ct.journal("oly-http.service")
    assert "Connected to oly-daemon." in log, log
    for bad in ("Failed at step", "status=226", "SIGSYS", "Bad system call", "Operation not permitted",
                "not available", "unable to load"):
        assert bad not in log, f"{bad!r} in oly-http's journal:\n{log}"


def test_session_from_api_in_oly_ls(web, installed):
    sid = web["session"]["id"]
    out = json.loads(installed.tester("oly", "ls", "--json").stdout)
    rows = out if isinstance(out, list) else out.get("sessions", [])
    assert any(s["id"] == sid and s["status"] == "running" for s in rows), out


def test_websocket_attach(web, installed):
    ct = installed
    sid = web["session"]["id"]
    ws = websocket.create_connection(f"ws://127.0.0.1:{ct.port}/api/sessions/{sid}/attach",
                                     header=[f"Authorization: Bearer {web['token']}"], timeout=15)
    try:
        seen = b""
        end = time.monotonic() + 15

        def until(needle):
            nonlocal seen
            while needle not in seen:
                assert time.monotonic() < end, seen
                op, data = ws.recv_data()
                if op == websocket.ABNF.OPCODE_BINARY and data[:1] in (b"s", b"o"):
                    seen += data[1:]
        until(b"booted-hello")
        ws.send_binary(b"iwebsocket\r")
        until(b"booted-got-[websocket]")
    finally:
        ws.close()


def test_restart_http_keeps_login(web, installed):
    ct = installed
    before = ct.show("oly-http.service", "MainPID")["MainPID"]
    ct.tester("systemctl", "--user", "restart", "oly-http.service")
    after = ct.show("oly-http.service", "MainPID", "ActiveState")
    assert after["ActiveState"] == "active" and after["MainPID"] != before, (before, after)
    r = requests.get(ct.url + "/api/sessions/" + web["session"]["id"], headers=web["h"], timeout=30)
    assert r.status_code == 200 and r.json()["status"] == "running", r.text


def test_security_exposure(installed):
    out = installed.tester("systemd-analyze", "security", "--user", "--no-pager", "oly-http.service").stdout
    m = re.search(r"Overall exposure level for oly-http\.service: ([0-9.]+) (\w+)", out)
    assert m, out
    print(f"\nsystemd-analyze security --user oly-http.service: {m.group(1)} {m.group(2)}")
    assert float(m.group(1)) < MAX_EXPOSURE, out


def test_stop_daemon_stops_sessions(web, installed):
    ct = installed
    pid = web["session"]["pid"]
    assert pid and ct.run("test", "-d", f"/proc/{pid}", check=False).returncode == 0, web["session"]
    ct.tester("systemctl", "--user", "stop", "oly-daemon.service", timeout=90)
    assert ct.show("oly-daemon.service", "ActiveState")["ActiveState"] in ("inactive", "failed")
    ct.wait_until(lambda: ct.run("test", "-d", f"/proc/{pid}", check=False).returncode != 0,
                  f"session process {pid} to end")
    # The socket stays: the next 'oly ls' starts the daemon again and shows the session ended.
    out = json.loads(ct.tester("oly", "ls", "--json").stdout)
    rows = out if isinstance(out, list) else out.get("sessions", [])
    row = [s for s in rows if s["id"] == web["session"]["id"]]
    assert row and row[0]["status"] != "running", out
