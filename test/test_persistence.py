# SPDX-License-Identifier: LGPL-2.1-or-later
"""What survives the daemon: sessions across stop/start, and what a crashed daemon leaves behind."""
import os
import signal

from conftest import pid_alive, wait_until

KEEP = ("id", "title", "command", "args", "cwd", "status", "pid", "exit_code", "created_at", "started_at", "ended_at",
        "notifications_enabled")


def test_sessions_survive_daemon_restart(oly, tmp_path):
    ok = oly.start_detached("sh", "-c", "echo hi", title="first one")
    bad = oly.start_detached("sh", "-c", "exit 7", cwd=tmp_path)
    quiet = oly.start_detached("true", extra=("--disable-notifications",))
    oly.run("start", "--detach", "oly-no-such-command-xyz")
    for sid in (ok, bad, quiet):
        oly.wait_status(sid, ("stopped", "failed"))
    before = {s["id"]: {k: s[k] for k in KEEP} for s in oly.ls_json()}
    assert len(before) == 4

    oly.daemon_stop()
    oly.daemon_start()

    after = {s["id"]: {k: s[k] for k in KEEP} for s in oly.ls_json()}
    assert after == before
    assert after[ok]["title"] == "first one" and after[ok]["status"] == "stopped"
    assert after[bad]["status"] == "failed" and after[bad]["exit_code"] == 7
    assert after[quiet]["notifications_enabled"] is False
    assert b"hi" in oly.log(ok)


def test_running_session_stopped_by_daemon_stop_is_recorded(oly):
    sid = oly.start_detached("sleep", "1000", title="long")
    oly.wait_status(sid, "running")
    oly.daemon_stop()
    oly.daemon_start()
    s = oly.session(sid)
    assert s["status"] in ("stopped", "killed")
    assert s["title"] == "long"
    assert s["ended_at"] is not None


def test_new_sessions_after_restart_are_listed_first(oly):
    old = oly.start_detached("true")
    oly.daemon_stop()
    oly.daemon_start()
    new = oly.start_detached("true")
    assert [s["id"] for s in oly.ls_json()] == [new, old]


def test_daemon_killed_leaves_running_sessions_unknown(oly):
    sid = oly.start_detached("sleep", "1000")
    pid = oly.wait_status(sid, "running")["pid"]
    try:
        # Everything that could keep the session goes (the daemon alone would be restarted by oly-keeper
        # with its sessions: test_keeper.py).
        oly.kill_all()
        oly.daemon_start()
        s = oly.session(sid)
        assert s["status"] == "unknown"
        assert s["ended_at"] is not None
        assert oly.ls_json("--status", "unknown")[0]["id"] == sid
        # An unknown session is over for oly: stop reports it rather than waiting.
        p = oly.run("stop", sid)
        assert p.returncode == 0, p.stderr
        assert "unknown" in p.stdout
    finally:
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_daemon_killed_keeps_finished_sessions(oly):
    sid = oly.start_detached("sh", "-c", "exit 5")
    oly.wait_status(sid, "failed")
    oly.kill_all()
    oly.daemon_start()
    s = oly.session(sid)
    assert s["status"] == "failed" and s["exit_code"] == 5
