# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly daemon start|stop, in the background and the foreground, and the state directory it keeps."""
import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import time

import pytest

from conftest import OLY, OLY_DAEMON, pid_alive, wait_until


def _pid_from(stdout):
    m = re.search(r"pid (\d+)", stdout)
    assert m, f"no pid in {stdout!r}"
    return int(m.group(1))


def test_start_detach_prints_pid_and_serves(oly_env):
    p = oly_env.run("daemon", "start", "--detach", "--no-http")
    assert p.returncode == 0, p.stderr
    pid = _pid_from(p.stdout)
    oly_env.daemon_pid = pid
    assert pid_alive(pid)
    assert os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(OLY_DAEMON)
    # It returned once the daemon serves: the very next call works.
    assert oly_env.ok("ls").strip() == "No sessions."


def test_second_start_says_already_running(oly):
    p = oly.run("daemon", "start", "--detach", "--no-http")
    assert p.returncode == 1
    assert "already running" in p.stderr
    assert pid_alive(oly.daemon_pid)
    oly.ok("ls")


def test_start_with_http_prints_the_web_ui_url_and_serves_it(oly_env, tmp_path):
    """'oly daemon start' (web UI on) says where the web UI is, and it answers there at once."""
    import urllib.request
    from conftest import WEB_PASSWORD, free_port
    port = free_port()
    pwfile = tmp_path / "pw"
    pwfile.write_text(WEB_PASSWORD + "\n")
    p = oly_env.run("daemon", "start", "--detach", "--password-file", pwfile, "--port", port)
    if p.returncode == 0:
        oly_env.daemon_pid = _pid_from(p.stdout)
    assert p.returncode == 0, p.stderr
    web_url = f"http://127.0.0.1:{port}/"
    assert f"Web UI: {web_url}" in p.stdout.splitlines(), p.stdout

    def health():
        try:
            with urllib.request.urlopen(web_url + "api/health", timeout=2) as r:
                return r.status == 200 and json.loads(r.read())["status"] == "ok"
        except OSError:
            return False
    wait_until(health, 15, what="the web UI to answer /api/health")
    oly_env.ok("ls")


@pytest.mark.parametrize("port", ["0", "abc", "65536", "-1"])
def test_bad_port_is_a_usage_error(oly_env, port):
    p = oly_env.run("daemon", "start", "--detach", "--no-http", "--port", port)
    if p.returncode == 0:
        oly_env.daemon_pid = _pid_from(p.stdout)
    assert p.returncode == 2
    assert f"'{port}'" in p.stderr
    assert oly_env.run("ls").returncode == 1, "a daemon was started anyway"


def test_daemon_stop_stops_sessions_and_exits(oly):
    sid = oly.start_detached("sleep", "1000")
    pid = oly.wait_status(sid, "running")["pid"]
    daemon_pid = oly.daemon_pid
    p = oly.daemon_stop(grace=1)
    assert p.returncode == 0, p.stderr
    assert "stopped" in p.stdout
    assert not pid_alive(daemon_pid)
    wait_until(lambda: not pid_alive(pid), what="the session's process to end")
    assert oly.run("ls").returncode == 1

    oly.daemon_start()
    s = oly.session(sid)
    assert s["status"] in ("stopped", "killed")
    assert s["exit_code"] is not None
    assert s["ended_at"] is not None


def test_daemon_stop_does_not_wait_out_the_grace_for_sessions_that_ended(oly):
    """Sessions that end on SIGHUP/SIGTERM leave nothing to SIGKILL: the stop returns then, not after the
    grace. (Regression: the leader, an unreaped zombie when its exit was handled, looked like a job that
    outlived it, so every stop took the whole grace.)"""
    for cmd in (["sleep", "1000"], ["bash"], ["sh", "-c", "sleep 1000 | cat"]):
        oly.wait_status(oly.start_detached(*cmd), "running")
    t0 = time.monotonic()
    p = oly.daemon_stop(grace=60)
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - t0 < 30, "the stop waited for the grace period"
    assert "outlived" not in (oly.state / "daemon.log").read_text()


def test_daemon_stop_kills_after_grace(oly):
    sid = oly.start_detached("sh", "-c", 'trap "" TERM HUP; echo ready; while :; do sleep 0.1; done')
    oly.wait_status(sid, "running")
    wait_until(lambda: b"ready" in oly.log(sid), what="the trap to be set")
    t0 = time.monotonic()
    p = oly.daemon_stop(grace=1)
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - t0 >= 1.0
    oly.daemon_start()
    s = oly.session(sid)
    assert s["status"] == "killed"
    assert s["exit_code"] == 128 + signal.SIGKILL


def test_daemon_stop_when_not_running(oly_env):
    p = oly_env.run("daemon", "stop")
    assert p.returncode == 0
    assert "not running" in p.stdout + p.stderr


@pytest.mark.parametrize("grace", ["-1", "abc", "99999"])
def test_daemon_stop_bad_grace(oly, grace):
    p = oly.run("daemon", "stop", "--grace", grace)
    assert p.returncode == 2
    assert f"'{grace}'" in p.stderr
    assert pid_alive(oly.daemon_pid)


def test_daemon_killed_leaves_cli_saying_not_running_and_can_restart(oly):
    # The daemon and its keeper (a daemon killed alone comes back: test_keeper.py).
    oly.kill_all()
    p = oly.run("ls")
    assert p.returncode == 1
    assert len(p.stderr.splitlines()) == 1
    assert "not running" in p.stderr
    oly.daemon_start()
    oly.ok("ls")


def test_state_directory_mode(oly):
    assert stat.S_IMODE(oly.state.stat().st_mode) == 0o700
    assert stat.S_IMODE((oly.state / "sessions").stat().st_mode) == 0o700


def test_config_written_with_defaults(oly):
    cfg = json.loads((oly.state / "config.json").read_text())
    for field in ("http_port", "log_level", "prompt_patterns", "web_push_subject", "web_push_vapid_public_key",
                  "web_push_vapid_private_key", "max_running_sessions", "session_eviction_seconds",
                  "notification_hook"):
        assert field in cfg, f"config.json lacks {field}"
    assert cfg["http_port"] == 15443
    assert isinstance(cfg["log_level"], str)
    assert isinstance(cfg["max_running_sessions"], int) and cfg["max_running_sessions"] > 0
    assert isinstance(cfg["session_eviction_seconds"], int) and cfg["session_eviction_seconds"] >= 0
    assert stat.S_IMODE((oly.state / "config.json").stat().st_mode) & 0o077 == 0


def test_database_is_sqlite_in_wal_mode(oly):
    sid = oly.start_detached("true")
    oly.wait_status(sid, "stopped")
    db = oly.state / "oly.db"
    assert db.is_file()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        con.close()


def test_daemon_log_written(oly):
    assert (oly.state / "daemon.log").is_file()
    assert (oly.state / "daemon.log").read_text().strip() != ""


def test_output_log_has_raw_bytes(oly):
    sid = oly.start_detached("sh", "-c", r"printf 'A\tB\033[31mC\001D\n\303\251'")
    oly.wait_status(sid, "stopped")
    # Exactly what the program wrote, as the terminal passed it on (ONLCR: \n -> \r\n), escapes included.
    assert oly.log(sid) == b"A\tB\x1b[31mC\x01D\r\n\xc3\xa9"


def _run_foreground(oly_env, sig):
    """Runs 'oly daemon start --no-http' in the foreground, sends it sig once it serves.
    Returns (exit code, stderr, whether the bus socket is still there)."""
    proc = subprocess.Popen([str(OLY), "daemon", "start", "--no-http"], env=oly_env.env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: proc.poll() is not None or oly_env.run("ls").returncode == 0, 30,
                   what="the foreground daemon to serve")
        assert proc.poll() is None, f"the foreground daemon exited: {proc.communicate()}"
        assert oly_env.bus.exists()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=40)
        return proc.returncode, err, oly_env.bus.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_foreground_daemon_exits_cleanly_on_signal(oly_env, sig):
    rc, err, _ = _run_foreground(oly_env, sig)
    assert rc == 0, err
    assert oly_env.run("ls").returncode == 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_foreground_daemon_removes_its_socket(oly_env, sig):
    rc, err, still_there = _run_foreground(oly_env, sig)
    assert rc == 0, err
    assert not still_there, f"{oly_env.bus} is left behind after the daemon exited"


def test_foreground_daemon_stops_sessions_on_sigterm(oly_env):
    proc = subprocess.Popen([str(OLY), "daemon", "start", "--no-http"], env=oly_env.env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: proc.poll() is not None or oly_env.run("ls").returncode == 0, 30,
                   what="the foreground daemon to serve")
        sid = oly_env.start_detached("sleep", "1000")
        pid = oly_env.wait_status(sid, "running")["pid"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=40) == 0
        wait_until(lambda: not pid_alive(pid), what="the session's process to end")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    oly_env.daemon_start()
    assert oly_env.session(sid)["status"] in ("stopped", "killed")


def test_oly_daemon_version_and_help():
    from conftest import project_version
    p = subprocess.run([str(OLY_DAEMON), "--version"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0
    assert p.stdout == f"oly-daemon {project_version()}\n"
    p = subprocess.run([str(OLY_DAEMON), "--help"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 0
    assert "OLY_STATE_DIR" in p.stdout


def test_oly_daemon_rejects_arguments(oly_env):
    p = subprocess.run([str(OLY_DAEMON), "extra"], capture_output=True, text=True, timeout=10, env=oly_env.env)
    assert p.returncode == 2
    assert "extra" in p.stderr
    assert not oly_env.bus.exists()


def test_relative_state_dir_is_refused(oly_env):
    p = oly_env.run("daemon", "start", "--detach", "--no-http", env={"OLY_STATE_DIR": "relative/state"})
    if p.returncode == 0:
        oly_env.daemon_pid = _pid_from(p.stdout)
    assert p.returncode == 1
    assert "OLY_STATE_DIR" in p.stderr


def test_oly_http_child_ends_with_a_killed_daemon(oly_http):
    """Without systemd oly-http is the daemon's child: when the daemon dies, even by SIGKILL, oly-http must
    not stay behind holding the port for a daemon that is gone."""
    from httputil import http_pid
    child = http_pid(oly_http)
    os.kill(oly_http.daemon_pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(child), 10, what="oly-http to end with its daemon")
    oly_http.daemon_pid = None
