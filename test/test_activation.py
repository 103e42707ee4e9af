# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly-daemon under a service manager: socket activation (LISTEN_FDS) and sd_notify readiness."""
import os
import signal
import subprocess

import pytest

from conftest import OLY_DAEMON, NotifySocket, pid_alive, wait_until


@pytest.fixture
def notify(oly_env):
    n = NotifySocket(oly_env.runtime / "notify")
    yield n
    n.close()


def _popen(args, env):
    return subprocess.Popen([str(a) for a in args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _finish(proc, sig=signal.SIGTERM, timeout=40):
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise AssertionError(f"the daemon did not exit on {sig!r}; output:\n{out}")
    return out


def test_socket_activation(oly_env, notify):
    cmd = ["systemd-socket-activate", "-l", oly_env.bus,
           "-E", f"OLY_STATE_DIR={oly_env.state}", "-E", f"OLY_RUNTIME_DIR={oly_env.runtime}",
           "-E", f"NOTIFY_SOCKET={notify.path}", OLY_DAEMON]
    proc = _popen(cmd, oly_env.env)
    try:
        wait_until(lambda: oly_env.bus.exists() or proc.poll() is not None, 15,
                   what="systemd-socket-activate to listen")
        assert proc.poll() is None
        assert not os.path.realpath(f"/proc/{proc.pid}/exe").endswith("oly-daemon"), "started before a connection"

        # The first connection starts the daemon, which serves it on the socket it was handed.
        p = oly_env.run("ls")
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() == "No sessions."
        assert os.path.realpath(f"/proc/{proc.pid}/exe") == os.path.realpath(OLY_DAEMON)

        notify.wait_for(lambda line: line == "READY=1", what="READY=1")
        status = notify.wait_for(lambda line: line.startswith("STATUS="), what="STATUS=")
        assert "session" in status

        sid = oly_env.start_detached("sh", "-c", "echo activated")
        oly_env.wait_status(sid, "stopped")
        assert oly_env.log(sid) == b"activated\r\n"
    finally:
        out = _finish(proc)
    assert proc.returncode == 0, out


def test_ready_and_stopping_without_socket_activation(oly_env, notify):
    env = dict(oly_env.env, NOTIFY_SOCKET=notify.path)
    proc = _popen([OLY_DAEMON], env)
    try:
        notify.wait_for(lambda line: line == "READY=1", what="READY=1")
        assert "session" in notify.wait_for(lambda line: line.startswith("STATUS="), what="STATUS=")
        # It bound the socket itself, and serves before saying READY=1.
        assert oly_env.bus.exists()
        assert oly_env.ok("ls").strip() == "No sessions."
        proc.send_signal(signal.SIGTERM)
        notify.wait_for(lambda line: line == "STOPPING=1", what="STOPPING=1")
    finally:
        out = _finish(proc)
    assert proc.returncode == 0, out
    assert not oly_env.bus.exists(), "the daemon left the socket it bound behind"


def test_status_counts_running_sessions(oly_env, notify):
    env = dict(oly_env.env, NOTIFY_SOCKET=notify.path)
    proc = _popen([OLY_DAEMON], env)
    try:
        notify.wait_for(lambda line: line == "READY=1", what="READY=1")
        oly_env.start_detached("sleep", "1000")
        notify.wait_for(lambda line: line.startswith("STATUS=1 "), what="STATUS= with one session running")
    finally:
        out = _finish(proc)
    assert proc.returncode == 0, out


def test_second_daemon_on_the_same_state_refuses(oly, notify):
    env = dict(oly.env, NOTIFY_SOCKET=notify.path)
    p = subprocess.run([str(OLY_DAEMON)], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=30)
    assert p.returncode != 0
    assert "already running" in p.stderr
    assert pid_alive(oly.daemon_pid)
    oly.ok("ls")
