# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a session needing input sends out: the InputNeeded signal (every time), the Notification signal
(once per waiting episode, only with notifications enabled) and the notification_hook (with the
Notification: its argv, environment, timeout, failures)."""
import os
import socket
import time

import pytest

from conftest import MANAGER_PATH, daemon_start_fails, pid_alive, session_path, wait_until, write_config
from promptutil import Watch, assert_waiting, pid_of_child_with_cmdline, touch, wait_go

PROMPT = "bash", "-c", "read -p 'Continue? (y/n) ' x; exec sleep 1000"


# ---- signals ----

def test_input_needed_and_notification_signals(oly):
    with Watch(oly) as w:
        sid = oly.start_detached(*PROMPT, title="deploy prod")
        m = w.wait(lambda m: m.member == "InputNeeded" and m.body[0] == sid, what="InputNeeded")
        assert m.path == MANAGER_PATH and m.interface == "org.openrelay.Oly1.Manager"
        assert m.body == [sid, session_path(sid), "yes-no", "Continue? (y/n)"]
        n = w.wait(lambda m: m.member == "Notification" and m.body[0] == sid, what="Notification")
        assert n.path == MANAGER_PATH and n.interface == "org.openrelay.Oly1.Manager"
        assert n.body == [sid, session_path(sid), "deploy prod", "bash", "yes-no", "Continue? (y/n)"]
        w.pump(1.5)
        assert len(w.of("Notification", sid)) == 1
        assert len(w.of("InputNeeded", sid)) == 1


def test_one_notification_per_episode(oly, tmp_path):
    """A prompt drawn again (new output, the same line) without input in between: InputNeeded again,
    Notification not. After an answer, the next prompt is a new episode, even with the same text."""
    go = tmp_path / "go"
    script = (f"printf 'Continue? (y/n) '; {wait_go(go)}; printf '\\rContinue? (y/n) '; "
              "read a; read -p 'Continue? (y/n) ' b; exec sleep 1000")
    with Watch(oly) as w:
        sid = oly.start_detached("bash", "-c", script)
        w.wait_count("InputNeeded", sid, 1)
        w.wait_count("Notification", sid, 1)
        touch(go)
        w.wait_count("InputNeeded", sid, 2)
        w.pump(1.5)
        assert len(w.of("Notification", sid)) == 1, [m.body for m in w.of("Notification", sid)]
        assert [m.body[2:] for m in w.of("InputNeeded", sid)] == [["yes-no", "Continue? (y/n)"]] * 2

        oly.ok("send", sid, "y", "key:enter")
        w.wait_count("InputNeeded", sid, 3)
        w.wait_count("Notification", sid, 2)
        w.pump(1.5)
        assert len(w.of("Notification", sid)) == 2
        assert w.of("Notification", sid)[1].body[4:] == ["yes-no", "Continue? (y/n)"]


def test_a_different_prompt_without_input_is_a_new_episode(oly, tmp_path):
    go = tmp_path / "go"
    with Watch(oly) as w:
        sid = oly.start_detached("sh", "-c", f"printf 'Name? '; {wait_go(go)}; printf '\\nPassword: '; read x")
        w.wait_count("Notification", sid, 1)
        touch(go)
        w.wait_count("Notification", sid, 2)
        assert [(m.body[4], m.body[5].rstrip()) for m in w.of("Notification", sid)] == \
            [("question", "Name?"), ("password", "Password:")]


def test_disabled_at_start_input_needed_but_no_notification(oly):
    with Watch(oly) as w:
        sid = oly.start_detached(*PROMPT, extra=("--disable-notifications",))
        w.wait(lambda m: m.member == "InputNeeded" and m.body[0] == sid, what="InputNeeded")
        w.pump(2)
        assert w.of("Notification", sid) == []
    assert oly.session(sid)["input_needed"] is True


def test_disabled_with_notify_disable(oly, tmp_path):
    go = tmp_path / "go"
    with Watch(oly) as w:
        sid = oly.start_detached("bash", "-c", f"{wait_go(go)}; read -p 'Continue? (y/n) ' x; "
                                               "read -p 'Again? (y/n) ' y; exec sleep 1000")
        oly.ok("notify", "disable", sid)
        touch(go)
        w.wait(lambda m: m.member == "InputNeeded" and m.body[0] == sid, what="InputNeeded")
        w.pump(2)
        assert w.of("Notification", sid) == []
        # Enabled again: the next episode notifies.
        oly.ok("notify", "enable", sid)
        oly.ok("send", sid, "y", "key:enter")
        n = w.wait(lambda m: m.member == "Notification" and m.body[0] == sid, what="Notification")
        assert n.body[4:] == ["yes-no", "Again? (y/n)"]


# ---- the hook ----

def _hook_env_and_args(out):
    """A hook (argv array form) that writes its arguments, one a line, then its OLY_ variables."""
    return ["/bin/sh", "-c", f"printf '%s\\n' \"$@\" > {out}.tmp; env | grep ^OLY_ | sort >> {out}.tmp; "
                             f"mv {out}.tmp {out}",
            "hook", "{id}", "{title}", "{trigger}", "{line}", "{node}", "{command}", "{cwd}", "{{id}}", "x{nope}y"]


def _wait_file(path, timeout=15):
    wait_until(lambda: os.path.exists(path), timeout, what=f"the hook to write {path}")
    return open(path).read()


def _oly_vars(sid, title, trigger, line, command, cwd):
    return [f"OLY_COMMAND={command}", f"OLY_CWD={cwd}", "OLY_EVENT=input-needed", f"OLY_ID={sid}",
            f"OLY_LINE={line}", f"OLY_NODE={socket.gethostname()}", f"OLY_TITLE={title}", f"OLY_TRIGGER={trigger}"]


# Besides the event's variables the hook may get the daemon's own dirs (so that an 'oly' run by the hook
# talks to the daemon that ran it); if it does, they must be this daemon's.
DAEMON_DIR_VARS = ("OLY_STATE_DIR", "OLY_RUNTIME_DIR")


def _check_hook_vars(o, got, expected):
    """got: the hook's sorted OLY_* lines; expected: _oly_vars(...)."""
    dirs = {"OLY_STATE_DIR": str(o.state), "OLY_RUNTIME_DIR": str(o.runtime)}
    extra = [v for v in got if v.split("=", 1)[0] in DAEMON_DIR_VARS]
    for v in extra:
        k, val = v.split("=", 1)
        assert val == dirs[k], v
    assert [v for v in got if v not in extra] == expected


def test_hook_argv_array(oly_env, tmp_path):
    out = tmp_path / "hook.out"
    write_config(oly_env, {"notification_hook": _hook_env_and_args(out)})
    oly_env.daemon_start()
    title = "it's a \"test\" $(touch " + str(tmp_path / "pwned") + ")"
    sid = oly_env.start_detached(*PROMPT, title=title, cwd=tmp_path)
    assert_waiting(oly_env, sid, "yes-no")
    got = _wait_file(out).splitlines()
    args = [sid, title, "yes-no", "Continue? (y/n)", socket.gethostname(), "bash", str(tmp_path), "{id}", "x{nope}y"]
    assert got[:len(args)] == args
    _check_hook_vars(oly_env, got[len(args):], _oly_vars(sid, title, "yes-no", "Continue? (y/n)", "bash", tmp_path))
    assert not (tmp_path / "pwned").exists(), "the title was run by a shell"


def test_hook_string_form(oly_env, tmp_path):
    out = tmp_path / "hook.out"
    # The script goes in single quotes: in it, double quotes, $ and backslashes stay as they are.
    script = f"printf \"%s\\n\" \"$@\" > {out}.tmp; env | grep ^OLY_ | sort >> {out}.tmp; mv {out}.tmp {out}"
    hook = f"/bin/sh -c '{script}' hook {{id}} '{{title}}' \"{{line}}\" {{trigger}}{{node}} {{{{literal}}}}"
    write_config(oly_env, {"notification_hook": hook})
    oly_env.daemon_start()
    sid = oly_env.start_detached(*PROMPT, title="two words", cwd=tmp_path)
    assert_waiting(oly_env, sid, "yes-no")
    got = _wait_file(out).splitlines()
    args = [sid, "two words", "Continue? (y/n)", "yes-no" + socket.gethostname(), "{literal}"]
    assert got[:len(args)] == args
    _check_hook_vars(oly_env, got[len(args):], _oly_vars(sid, "two words", "yes-no", "Continue? (y/n)", "bash",
                                                         tmp_path))


def test_hook_environment_has_no_stray_oly_variables(oly_env, tmp_path):
    """Of the daemon's own OLY_* environment (it got OLY_DAEMON... from the CLI that started it) nothing
    reaches the hook but the documented variables (and, if at all, this daemon's dirs)."""
    out = tmp_path / "hook.out"
    write_config(oly_env, {"notification_hook": ["/bin/sh", "-c", f"env > {out}.tmp; mv {out}.tmp {out}"]})
    oly_env.env["OLY_TEST_STRAY"] = "should-not-pass"
    oly_env.daemon_start()
    sid = oly_env.start_detached(*PROMPT, cwd=tmp_path)
    assert_waiting(oly_env, sid, "yes-no")
    env = dict(line.split("=", 1) for line in _wait_file(out).splitlines() if "=" in line)
    documented = ["OLY_COMMAND", "OLY_CWD", "OLY_EVENT", "OLY_ID", "OLY_LINE", "OLY_NODE", "OLY_TITLE", "OLY_TRIGGER"]
    assert sorted(k for k in env if k.startswith("OLY_") and k not in DAEMON_DIR_VARS) == documented
    assert env.get("OLY_STATE_DIR", str(oly_env.state)) == str(oly_env.state)
    assert env.get("OLY_RUNTIME_DIR", str(oly_env.runtime)) == str(oly_env.runtime)
    assert env["OLY_TITLE"] == ""  # no title
    assert "NOTIFY_SOCKET" not in env


def _counting_hook(tmp_path):
    calls = tmp_path / "calls"
    return calls, ["/bin/sh", "-c", f"echo \"$1|$2\" >> {calls}", "hook", "{trigger}", "{line}"]


def _calls(calls):
    return calls.read_text().splitlines() if calls.exists() else []


def test_hook_once_per_episode(oly_env, tmp_path):
    calls, hook = _counting_hook(tmp_path)
    write_config(oly_env, {"notification_hook": hook})
    oly_env.daemon_start()
    go = tmp_path / "go"
    script = (f"printf 'Continue? (y/n) '; {wait_go(go)}; printf '\\rContinue? (y/n) '; "
              "read a; read -p 'Again? (y/n) ' b; exec sleep 1000")
    with Watch(oly_env) as w:
        sid = oly_env.start_detached("bash", "-c", script)
        w.wait_count("InputNeeded", sid, 1)
        wait_until(lambda: len(_calls(calls)) == 1, 15, what="the first hook call")
        touch(go)
        w.wait_count("InputNeeded", sid, 2)
        time.sleep(1.5)
        assert _calls(calls) == ["yes-no|Continue? (y/n)"]
        oly_env.ok("send", sid, "y", "key:enter")
        wait_until(lambda: len(_calls(calls)) == 2, 15, what="the second hook call")
        time.sleep(1)
        assert _calls(calls) == ["yes-no|Continue? (y/n)", "yes-no|Again? (y/n)"]


def test_hook_not_run_for_disabled_sessions(oly_env, tmp_path):
    calls, hook = _counting_hook(tmp_path)
    write_config(oly_env, {"notification_hook": hook})
    oly_env.daemon_start()
    go = tmp_path / "go"
    with Watch(oly_env) as w:
        a = oly_env.start_detached(*PROMPT, extra=("--disable-notifications",))
        b = oly_env.start_detached("bash", "-c", f"{wait_go(go)}; read -p 'Continue? (y/n) ' x; exec sleep 1000")
        oly_env.ok("notify", "disable", b)
        touch(go)
        w.wait_count("InputNeeded", a, 1)
        w.wait_count("InputNeeded", b, 1)
        time.sleep(2)
        assert _calls(calls) == []
        # Proof that the hook works at all: an enabled session calls it.
        c = oly_env.start_detached(*PROMPT)
        w.wait_count("InputNeeded", c, 1)
        wait_until(lambda: len(_calls(calls)) == 1, 15, what="the hook call of the enabled session")


def test_hook_that_hangs_is_killed(oly_env, tmp_path):
    write_config(oly_env, {"notification_hook": ["/bin/sleep", "1000"], "notification_hook_timeout_seconds": 1})
    oly_env.daemon_start()
    sid = oly_env.start_detached(*PROMPT)
    assert_waiting(oly_env, sid, "yes-no")
    pid = wait_until(lambda: pid_of_child_with_cmdline(oly_env.daemon_pid, ["/bin/sleep", "1000"]), 10,
                     what="the hook process")
    # The daemon goes on serving meanwhile.
    t = time.monotonic()
    oly_env.ok("ls")
    other = oly_env.start_detached("sh", "-c", "printf 'Password: '; read x")
    assert_waiting(oly_env, other, "password")
    assert time.monotonic() - t < 5
    wait_until(lambda: not pid_alive(pid), 10, what=f"the hung hook (pid {pid}) to be killed")
    logf = oly_env.state / "daemon.log"
    wait_until(lambda: f"notification_hook for {sid} did not finish within 1s" in logf.read_text(), 10,
               what="the timeout in daemon.log")
    wait_until(lambda: f"notification_hook for {sid} was killed" in logf.read_text(), 10,
               what="the kill in daemon.log")
    oly_env.ok("ls")


def test_hook_timeout_kills_its_process_group(oly_env, tmp_path):
    pids = tmp_path / "pids"
    hook = ["/bin/sh", "-c",
            f"/bin/sleep 1000 & echo $! > {pids}.tmp; echo $$ >> {pids}.tmp; mv {pids}.tmp {pids}; wait"]
    write_config(oly_env, {"notification_hook": hook, "notification_hook_timeout_seconds": 2})
    oly_env.daemon_start()
    sid = oly_env.start_detached(*PROMPT)
    assert_waiting(oly_env, sid, "yes-no")
    got = [int(x) for x in _wait_file(pids).split()]
    assert len(got) == 2 and all(pid_alive(p) for p in got)
    for p in got:
        wait_until(lambda: not pid_alive(p), 15, what=f"hook process {p} to be killed")


def test_hook_background_job_does_not_outlive_the_timeout(oly_env, tmp_path):
    """A hook that exits at once but leaves a job in the background (notify-send &): the job is gone by the
    time limit at the latest."""
    pidf = tmp_path / "bg"
    hook = ["/bin/sh", "-c", f"/bin/sleep 1000 & echo $! > {pidf}.tmp; mv {pidf}.tmp {pidf}"]
    write_config(oly_env, {"notification_hook": hook, "notification_hook_timeout_seconds": 2})
    oly_env.daemon_start()
    sid = oly_env.start_detached(*PROMPT)
    assert_waiting(oly_env, sid, "yes-no")
    pid = int(_wait_file(pidf))
    wait_until(lambda: not pid_alive(pid), 15, what=f"the hook's background job (pid {pid}) to be killed")


def test_quick_hook_leaves_no_timeout_warning(oly_env, tmp_path):
    """A hook that finishes at once, leaving nothing behind, is done: no "did not finish" warning when its
    time limit passes later."""
    calls, hook = _counting_hook(tmp_path)
    write_config(oly_env, {"notification_hook": hook, "notification_hook_timeout_seconds": 1})
    oly_env.daemon_start()
    sid = oly_env.start_detached(*PROMPT)
    assert_waiting(oly_env, sid, "yes-no")
    wait_until(lambda: len(_calls(calls)) == 1, 15, what="the hook call")
    time.sleep(3)
    log = (oly_env.state / "daemon.log").read_text()
    assert "did not finish" not in log, log[-600:]
    assert "killing" not in log, log[-600:]


def test_many_quick_hooks_are_all_run(oly_env, tmp_path):
    """36 sessions needing input within a few seconds (more than the 32 hooks that may run at once): every
    hook finishes at once, so none is skipped."""
    n = 36
    calls, hook = _counting_hook(tmp_path)
    write_config(oly_env, {"notification_hook": hook})  # default time limit: 10 s
    oly_env.daemon_start()
    go = tmp_path / "go"
    with Watch(oly_env) as w:
        sids = [oly_env.start_detached("bash", "-c", f"{wait_go(go)}; read -p 'Continue? (y/n) ' x; exec sleep 1000")
                for _ in range(n)]
        touch(go)
        for sid in sids:
            w.wait_count("InputNeeded", sid, 1, timeout=30)
    wait_until(lambda: len(_calls(calls)) == n, 8, what=f"{n} hook calls (got {len(_calls(calls))}; daemon.log: "
               f"{(oly_env.state / 'daemon.log').read_text()[-300:]!r})")


def test_hook_failure_is_logged(oly_env):
    write_config(oly_env, {"notification_hook": "/bin/sh -c 'echo trouble from the hook >&2; exit 3'"})
    oly_env.daemon_start()
    sid = oly_env.start_detached(*PROMPT)
    assert_waiting(oly_env, sid, "yes-no")
    logf = oly_env.state / "daemon.log"
    wait_until(lambda: f"notification_hook for {sid} failed with exit code 3" in logf.read_text(), 15,
               what="the failure in daemon.log")
    assert "trouble from the hook" in logf.read_text()
    oly_env.ok("ls")


def test_hook_that_cannot_run_is_logged(oly_env, tmp_path):
    write_config(oly_env, {"notification_hook": [str(tmp_path / "no-such-hook"), "{id}"]})
    oly_env.daemon_start()
    sid = oly_env.start_detached(*PROMPT)
    assert_waiting(oly_env, sid, "yes-no")
    logf = oly_env.state / "daemon.log"
    wait_until(lambda: "no-such-hook" in logf.read_text(), 15, what="the failure in daemon.log")
    oly_env.ok("ls")


@pytest.mark.parametrize("value", ["sleep 1", ["sh", "-c", "true"], "/bin/sh -c 'unterminated", [1, 2],
                                   {"cmd": "/bin/true"}])
def test_bad_hook_is_a_config_error(oly_env, value):
    err = daemon_start_fails(oly_env, {"notification_hook": value})
    assert "notification_hook" in err


@pytest.mark.parametrize("value", [0, -1, "10"])
def test_bad_hook_timeout_is_a_config_error(oly_env, value):
    err = daemon_start_fails(oly_env, {"notification_hook_timeout_seconds": value})
    assert "notification_hook_timeout_seconds" in err


def test_empty_hook_string_means_none(oly_env, tmp_path):
    write_config(oly_env, {"notification_hook": ""})
    oly_env.daemon_start()
    with Watch(oly_env) as w:
        sid = oly_env.start_detached(*PROMPT)
        w.wait_count("Notification", sid, 1)
    assert "notification_hook" not in (oly_env.state / "daemon.log").read_text()
