# SPDX-License-Identifier: LGPL-2.1-or-later
"""How a session's status, exit code, pid and timestamps follow the life of its command."""
import os
import signal

from conftest import parse_time, pid_alive, wait_until


def test_running_session(oly):
    sid = oly.start_detached("sleep", "1000")
    s = oly.wait_status(sid, "running")
    assert isinstance(s["pid"], int) and s["pid"] > 0
    assert pid_alive(s["pid"])
    assert s["exit_code"] is None
    assert s["ended_at"] is None
    assert s["started_at"] is not None


def test_exit_0_is_stopped(oly):
    sid = oly.start_detached("sh", "-c", "exit 0")
    s = oly.wait_status(sid, ("stopped", "failed", "killed"))
    assert s["status"] == "stopped"
    assert s["exit_code"] == 0


def test_nonzero_exit_is_failed(oly):
    sid = oly.start_detached("sh", "-c", "exit 3")
    s = oly.wait_status(sid, ("stopped", "failed", "killed"))
    assert s["status"] == "failed"
    assert s["exit_code"] == 3


def test_killed_from_outside_is_failed_128_plus_signal(oly):
    sid = oly.start_detached("sleep", "1000")
    pid = oly.wait_status(sid, "running")["pid"]
    os.kill(pid, signal.SIGKILL)
    s = oly.wait_status(sid, ("stopped", "failed", "killed"))
    assert s["status"] == "failed"
    assert s["exit_code"] == 137


def test_terminated_from_outside(oly):
    sid = oly.start_detached("sleep", "1000")
    pid = oly.wait_status(sid, "running")["pid"]
    os.kill(pid, signal.SIGTERM)
    s = oly.wait_status(sid, ("stopped", "failed", "killed"))
    assert s["status"] == "failed"
    assert s["exit_code"] == 128 + signal.SIGTERM


def test_timestamps_ordered_and_pid_set(oly):
    sid = oly.start_detached("sh", "-c", "sleep 0.2")
    s = oly.wait_status(sid, "stopped")
    created, started, ended = (parse_time(s[k]) for k in ("created_at", "started_at", "ended_at"))
    assert created <= started <= ended
    assert isinstance(s["pid"], int) and s["pid"] > 0
    wait_until(lambda: not pid_alive(s["pid"]), what="the pid to be gone")


def test_failed_exec_has_no_pid(oly):
    oly.run("start", "--detach", "oly-no-such-command-xyz")
    (s,) = oly.ls_json()
    assert s["status"] == "failed"
    assert s["pid"] is None
    assert s["ended_at"] is not None
    assert parse_time(s["created_at"]) <= parse_time(s["ended_at"])
