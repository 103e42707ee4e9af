# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly stop: signals, grace periods, which session an id or prefix means, what is printed."""
import os
import re
import signal
import time

import pytest

from conftest import pid_alive, sessions_sharing_first_char, wait_log, wait_until

STUBBORN = 'trap "" TERM HUP; echo ready; while :; do sleep 0.1; done'


def _stubborn(oly):
    sid = oly.start_detached("sh", "-c", STUBBORN)
    wait_log(oly, sid, b"ready")  # the trap is in place
    return sid


def test_default_grace_is_5_seconds(oly):
    sid = _stubborn(oly)
    t0 = time.monotonic()
    p = oly.run("stop", sid, timeout=60)
    elapsed = time.monotonic() - t0
    assert p.returncode == 0, p.stderr
    assert "killed" in p.stdout
    assert elapsed >= 4.5, f"killed after {elapsed:.2f}s, before the default grace of 5s"


def test_grace_then_sigkill(oly):
    sid = _stubborn(oly)
    pid = oly.session(sid)["pid"]
    t0 = time.monotonic()
    p = oly.run("stop", "--grace", "1", sid)
    elapsed = time.monotonic() - t0
    assert p.returncode == 0, p.stderr
    assert sid in p.stdout and "killed" in p.stdout
    assert elapsed >= 1.0
    s = oly.session(sid)
    assert s["status"] == "killed"
    assert s["exit_code"] == 128 + signal.SIGKILL
    wait_until(lambda: not pid_alive(pid), what="the session's process to be gone")


def test_fractional_grace(oly):
    sid = _stubborn(oly)
    t0 = time.monotonic()
    p = oly.run("stop", "--grace", "0.5", sid)
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - t0 >= 0.5
    assert oly.session(sid)["status"] == "killed"


def test_grace_0_kills_at_once(oly):
    sid = _stubborn(oly)
    p = oly.run("stop", "--grace", "0", sid)
    assert p.returncode == 0, p.stderr
    assert oly.session(sid)["status"] == "killed"


def test_process_that_exits_on_sigterm_is_stopped(oly):
    sid = oly.start_detached("sleep", "1000")
    pid = oly.wait_status(sid, "running")["pid"]
    # A grace this long means a "stopped" result can only come from the signals, not SIGKILL.
    p = oly.run("stop", "--grace", "60", sid, timeout=90)
    assert p.returncode == 0, p.stderr
    assert re.match(rf"^{sid} stopped\b", p.stdout), p.stdout
    s = oly.session(sid)
    assert s["status"] == "stopped"
    assert s["exit_code"] is not None
    assert not pid_alive(pid)


def test_handler_gets_sigterm_and_exits_cleanly(oly):
    sid = oly.start_detached("sh", "-c", 'trap "echo got-term; exit 0" TERM; trap "" HUP; echo ready; '
                                         'while :; do sleep 0.1; done')
    wait_log(oly, sid, b"ready")
    p = oly.run("stop", "--grace", "60", sid, timeout=90)
    assert p.returncode == 0, p.stderr
    s = oly.session(sid)
    assert s["status"] == "stopped"
    assert s["exit_code"] == 0
    assert b"got-term" in oly.log(sid)


def test_stop_without_id_stops_most_recent(oly):
    older = oly.start_detached("sleep", "1000")
    newer = oly.start_detached("sleep", "1000")
    oly.wait_status(older, "running")
    oly.wait_status(newer, "running")
    p = oly.run("stop", "--grace", "5")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(newer)
    assert oly.session(newer)["status"] in ("stopped", "killed")
    assert oly.session(older)["status"] == "running"


def test_stop_by_unique_prefix(oly):
    sid = oly.start_detached("sleep", "1000")
    other = oly.start_detached("sleep", "1000")
    n = next(n for n in range(1, 9) if not other.startswith(sid[:n]))
    p = oly.run("stop", "--grace", "5", sid[:n])
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(sid)
    assert oly.session(other)["status"] == "running"


def test_stop_prefix_is_case_insensitive(oly):
    sid = oly.start_detached("sleep", "1000")
    p = oly.run("stop", "--grace", "5", sid.upper())
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(sid)


def test_ambiguous_prefix_lists_candidates(oly):
    c, ids = sessions_sharing_first_char(oly)
    p = oly.run("stop", c)
    assert p.returncode == 1
    assert "ambiguous" in p.stderr.lower()
    for sid in ids:
        assert sid in p.stderr, f"candidate {sid} not listed: {p.stderr}"


@pytest.mark.parametrize("sid", ["zzzzzzzz", "nosuch"])
def test_nonexistent_id(oly, sid):
    oly.start_detached("true")
    p = oly.run("stop", sid)
    assert p.returncode == 1
    assert "No session matches" in p.stderr
    assert sid in p.stderr


def test_stop_with_no_sessions_at_all(oly):
    p = oly.run("stop")
    assert p.returncode == 1
    assert p.stderr.strip() != ""
    assert p.stdout == ""


@pytest.mark.parametrize("grace", ["-1", "abc", "99999", "", "1s"])
def test_bad_grace(oly, grace):
    sid = oly.start_detached("sleep", "1000")
    p = oly.run("stop", "--grace", grace, sid)
    assert p.returncode == 2
    assert f"'{grace}'" in p.stderr
    assert oly.session(sid)["status"] == "running"


def test_too_many_ids(oly):
    p = oly.run("stop", "a", "b")
    assert p.returncode == 2


def test_stop_already_ended_prints_status(oly):
    sid = oly.start_detached("sh", "-c", "exit 3")
    oly.wait_status(sid, "failed")
    p = oly.run("stop", sid)
    assert p.returncode == 0, p.stderr
    assert sid in p.stdout and "failed" in p.stdout and "3" in p.stdout
    assert oly.session(sid)["status"] == "failed"


def test_stop_twice(oly):
    sid = oly.start_detached("sleep", "1000")
    oly.wait_status(sid, "running")
    first = oly.run("stop", "--grace", "5", sid)
    second = oly.run("stop", "--grace", "5", sid)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout


def test_whole_process_group_is_signalled(oly):
    sid = oly.start_detached("sh", "-c", 'sleep 1000 & echo "BG=$!"; wait')
    log = wait_log(oly, sid, b"BG=")
    bg = int(re.search(rb"BG=(\d+)", log).group(1))
    assert pid_alive(bg)
    p = oly.run("stop", "--grace", "5", sid)
    assert p.returncode == 0, p.stderr
    wait_until(lambda: not pid_alive(bg), what=f"the background child {bg} to die")


def test_foreground_job_group_is_signalled(oly):
    # A job-control shell (sh -m) runs its job in a process group of its own, the terminal's foreground
    # group: stop must signal that group too, not only the leader's. The job ignores SIGHUP, so the
    # kernel's hang-up when the leader dies does not end it; only oly's SIGTERM (or SIGKILL) does.
    # Several sessions: whether the leader dies before the daemon looks up the foreground group is a race.
    jobs = {}
    try:
        for _ in range(10):
            sid = oly.start_detached("sh", "-m", "-c", 'sh -c "trap \\"\\" HUP; echo FG=\\$\\$; exec sleep 1000"; '
                                                       'echo done')
            log = wait_log(oly, sid, b"FG=")
            fg = int(re.search(rb"FG=(\d+)", log).group(1))
            jobs[sid] = fg
            with open(f"/proc/{fg}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            assert int(fields[2]) == fg, "the job did not get a process group of its own; the test needs sh -m"
        for sid in jobs:
            p = oly.run("stop", "--grace", "2", sid)
            assert p.returncode == 0, p.stderr
        wait_until(lambda: not any(pid_alive(fg) for fg in jobs.values()), 15,
                   what="every foreground job to die")
    except AssertionError:
        alive = {sid: fg for sid, fg in jobs.items() if pid_alive(fg)}
        raise AssertionError(f"foreground jobs that outlived 'oly stop' (session: pid): {alive}")
    finally:
        for fg in jobs.values():
            if pid_alive(fg):
                os.kill(fg, signal.SIGKILL)


def test_stubborn_foreground_job_is_killed_after_grace(oly):
    # The job ignores SIGHUP and SIGTERM: only the SIGKILL at the end of the grace period can end it, and
    # that must reach the job's process group too, even though the leader (the job-control shell) died
    # of the first signal.
    sid = oly.start_detached("sh", "-m", "-c", 'sh -c "trap \\"\\" HUP TERM; echo FG=\\$\\$; exec sleep 1000"; '
                                               'echo done')
    log = wait_log(oly, sid, b"FG=")
    fg = int(re.search(rb"FG=(\d+)", log).group(1))
    try:
        p = oly.run("stop", "--grace", "1", sid)
        assert p.returncode == 0, p.stderr
        wait_until(lambda: not pid_alive(fg), 15, what=f"the foreground job {fg} to be killed")
    finally:
        if pid_alive(fg):
            os.kill(fg, signal.SIGKILL)
