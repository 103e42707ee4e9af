# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly logs --wait-for-prompt [--timeout D]: exit 0 (input needed), 3 (exited), 124 (timed out), 2 (usage);
the logs printed in every case and one line on stderr."""
import time

import pytest

from conftest import wait_until
from promptutil import assert_waiting, popen_wait_for_prompt, touch, wait_for_prompt, wait_go

PROMPT = "bash", "-c", "read -p 'Continue? (y/n) ' x"


def test_returns_when_the_prompt_appears(oly, tmp_path):
    go = tmp_path / "go"
    sid = oly.start_detached("sh", "-c", f"echo 'preparing'; {wait_go(go)}; printf 'Continue? (y/n) '; read x")
    p, t0 = popen_wait_for_prompt(oly, sid, "30s")
    time.sleep(1)
    assert p.poll() is None, "returned before the prompt"
    touch(go)
    out, err = p.communicate(timeout=40)
    assert p.returncode == 0, err
    assert err == f"oly: session {sid} needs input (yes-no).\n"
    assert out == "preparing\nContinue? (y/n)\n"


def test_immediate_when_already_waiting(oly):
    sid = oly.start_detached(*PROMPT)
    assert_waiting(oly, sid, "yes-no")
    p, elapsed = wait_for_prompt(oly, sid, "30s")
    assert p.returncode == 0
    assert elapsed < 2, f"took {elapsed:.2f}s although the session already waited"
    assert "Continue? (y/n)" in p.stdout


def test_default_timeout_and_most_recent_session(oly):
    """Without --timeout (30 s) and without an id (the most recent session)."""
    oly.start_detached("sleep", "1000")
    sid = oly.start_detached(*PROMPT)
    p, _ = wait_for_prompt(oly, None, None)
    assert p.returncode == 0, p.stderr
    assert p.stderr == f"oly: session {sid} needs input (yes-no).\n"


def test_timeout(oly):
    sid = oly.start_detached("sleep", "1000")
    p, elapsed = wait_for_prompt(oly, sid, "1s")
    assert p.returncode == 124
    assert 1 <= elapsed < 3, f"{elapsed:.2f}s"
    assert p.stderr == f"oly: session {sid} did not ask for input within the timeout.\n"


def test_timeout_prints_the_logs(oly):
    sid = oly.start_detached("sh", "-c", "echo 'still building'; exec sleep 1000")
    wait_until(lambda: b"still building" in oly.log(sid), what="the output")
    p, _ = wait_for_prompt(oly, sid, "1s")
    assert p.returncode == 124
    assert p.stdout == "still building\n"


def test_exit_while_waiting(oly):
    sid = oly.start_detached("sh", "-c", "echo bye; sleep 1")
    p, elapsed = wait_for_prompt(oly, sid, "10s")
    assert p.returncode == 3, p.stderr
    assert elapsed < 9
    assert p.stderr == f"oly: session {sid} has exited.\n"
    assert p.stdout == "bye\n"


def test_already_exited(oly):
    sid = oly.start_detached("sh", "-c", "echo done; exit 4")
    oly.wait_status(sid, "failed")
    p, elapsed = wait_for_prompt(oly, sid, "10s")
    assert p.returncode == 3
    assert elapsed < 2
    assert p.stdout == "done\n"


@pytest.mark.parametrize("d", ["abc", "1d", "-1", "1.5s", "", "10 s", "s", "1S", "2401h", "99999999999999999999"])
def test_bad_duration(oly, d):
    sid = oly.start_detached("sleep", "1000")
    p = oly.run("logs", "--wait-for-prompt", "--timeout", d, sid)
    assert p.returncode == 2, p.stderr
    assert "--timeout" in p.stderr
    assert p.stdout == ""


def test_timeout_without_wait_for_prompt(oly):
    sid = oly.start_detached("sleep", "1000")
    p = oly.run("logs", "--timeout", "5s", sid)
    assert p.returncode == 2
    assert "--wait-for-prompt" in p.stderr
    assert p.stdout == ""


def test_usage_errors_need_no_daemon(oly_env):
    assert oly_env.run("logs", "--wait-for-prompt", "--timeout", "1d").returncode == 2
    assert oly_env.run("logs", "--timeout", "1s").returncode == 2


@pytest.mark.parametrize("d,low,high", [("1500", 1.5, 4), ("500ms", 0.5, 3), ("2s", 2, 5)])
def test_duration_forms(oly, d, low, high):
    sid = oly.start_detached("sleep", "1000")
    p, elapsed = wait_for_prompt(oly, sid, d)
    assert p.returncode == 124, p.stderr
    assert low <= elapsed < high, f"--timeout {d}: {elapsed:.2f}s"


@pytest.mark.parametrize("d", ["1m", "1h", "2400h"])
def test_long_duration_forms_accepted(oly, d):
    sid = oly.start_detached(*PROMPT)
    p, _ = wait_for_prompt(oly, sid, d)
    assert p.returncode == 0, p.stderr


def test_zero_waits_until_the_session_exits(oly):
    sid = oly.start_detached("sh", "-c", "sleep 3")
    p, elapsed = wait_for_prompt(oly, sid, "0")
    assert p.returncode == 3, p.stderr
    assert elapsed >= 2.5, f"returned after {elapsed:.2f}s, before the session ended"


def test_zero_returns_on_a_prompt(oly, tmp_path):
    go = tmp_path / "go"
    sid = oly.start_detached("sh", "-c", f"{wait_go(go)}; printf 'Password: '; read x")
    p, _ = popen_wait_for_prompt(oly, sid, "0")
    time.sleep(1.5)
    assert p.poll() is None
    touch(go)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0
    assert err == f"oly: session {sid} needs input (password).\n"


def test_several_waiters_all_answered(oly, tmp_path):
    go = tmp_path / "go"
    sid = oly.start_detached("sh", "-c", f"{wait_go(go)}; printf 'Continue? (y/n) '; read x")
    waiters = [popen_wait_for_prompt(oly, sid, "30s")[0] for _ in range(3)]
    time.sleep(1)
    assert all(w.poll() is None for w in waiters)
    touch(go)
    for w in waiters:
        w.communicate(timeout=40)
        assert w.returncode == 0


def test_waiters_of_other_sessions_are_not_answered(oly):
    busy = oly.start_detached("sleep", "1000")
    p, _ = popen_wait_for_prompt(oly, busy, "4s")
    oly.start_detached(*PROMPT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 124, err


def test_not_answered_by_a_cleared_prompt_then_answered_by_the_next(oly, tmp_path):
    """After input the state is cleared; a new wait waits for the next prompt rather than returning on the
    old one."""
    sid = oly.start_detached("bash", "-c", "read -p 'First? (y/n) ' a; sleep 2; read -p 'Second? (y/n) ' b")
    assert_waiting(oly, sid, "yes-no")
    oly.ok("send", sid, "y", "key:enter")
    p, elapsed = wait_for_prompt(oly, sid, "20s")
    assert p.returncode == 0
    assert elapsed >= 1.5, f"{elapsed:.2f}s: answered by the first, already answered prompt"
    assert p.stdout.rstrip().endswith("Second? (y/n)")


def test_unknown_session(oly):
    p = oly.run("logs", "--wait-for-prompt", "--timeout", "1s", "zzzzzzzz")
    assert p.returncode == 1
    assert "zzzzzzzz" in p.stderr
