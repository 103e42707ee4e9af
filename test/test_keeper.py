# SPDX-License-Identifier: LGPL-2.1-or-later
"""Sessions outlive the daemon without systemd: 'oly daemon start' runs oly-daemon under oly-keeper, which
holds the sessions' terminals and the sockets and starts a crashed daemon again; the new daemon adopts
every session. A numbered line every 10 ms must arrive in output.log with no gap and no repeat."""
import os
import re
import signal
import time

from conftest import OLY, pid_alive, wait_until

COUNTER = "i=0; while true; do i=$((i+1)); echo \"line $i\"; sleep 0.01; done"


def numbers(o, sid):
    return [int(m) for m in re.findall(rb"^line (\d+)\r?$", o.log(sid), re.M)]


def assert_contiguous(nums):
    assert nums, "no numbered lines in the log"
    assert nums[0] == 1, f"the log starts at line {nums[0]}"
    gaps = [(a, b) for a, b in zip(nums, nums[1:]) if b != a + 1]
    assert not gaps, f"lines missing or repeated in output.log: {gaps[:5]}"


def daemon_pid_now(o):
    """The pid of the daemon serving now (the keeper's oly-daemon child)."""
    with open(f"/proc/{o.keeper_pid}/task/{o.keeper_pid}/children") as f:
        kids = [int(p) for p in f.read().split()]
    for k in kids:
        try:
            if os.path.basename(os.readlink(f"/proc/{k}/exe")) == "oly-daemon":
                return k
        except OSError:
            pass
    return None


def wait_new_daemon(o, old):
    wait_until(lambda: (d := daemon_pid_now(o)) not in (None, old) and o.run("ls").returncode == 0, 15,
               what="a new daemon to serve")
    return daemon_pid_now(o)


def test_kill_9_keeps_sessions_and_every_byte(oly):
    assert oly.keeper_pid and pid_alive(oly.keeper_pid), "oly daemon start did not report oly-keeper"
    sid = oly.start_detached("sh", "-c", COUNTER)
    pid = oly.session(sid)["pid"]
    wait_until(lambda: len(numbers(oly, sid)) > 30, what="output")
    old = oly.daemon_pid
    for _ in range(3):
        os.kill(old, signal.SIGKILL)
        old = wait_new_daemon(oly, old)
        time.sleep(0.3)
    s = oly.session(sid)
    assert s["status"] == "running" and s["pid"] == pid, s
    n = len(numbers(oly, sid))
    wait_until(lambda: len(numbers(oly, sid)) > n + 20, what="output after the restarts")
    oly.ok("stop", sid, "--grace", "2")
    assert_contiguous(numbers(oly, sid))
    assert not pid_alive(pid)


def test_session_that_ends_while_the_daemon_is_away_keeps_its_exit_code(oly):
    sid = oly.start_detached("sh", "-c", "read x; echo got $x; exit 7")
    wait_until(lambda: oly.session(sid)["status"] == "running")
    time.sleep(0.3)
    d = oly.daemon_pid
    # Stopped, the daemon cannot reap the leader; killed, it leaves the zombie to the keeper.
    os.kill(d, signal.SIGSTOP)
    os.kill(d, signal.SIGKILL)
    new = wait_new_daemon(oly, d)
    oly.ok("send", sid, "hello", "key:enter")
    oly.wait_status(sid, ("failed",), timeout=10)
    s = oly.session(sid)
    assert s["exit_code"] == 7, s
    assert b"got hello" in oly.log(sid)
    # And once more while the daemon is away for real.
    sid2 = oly.start_detached("sh", "-c", "sleep 0.5; echo bye; exit 3")
    wait_until(lambda: oly.session(sid2)["status"] == "running")
    os.kill(new, signal.SIGSTOP)
    time.sleep(1.2)  # it ends meanwhile: a zombie of the stopped daemon
    os.kill(new, signal.SIGKILL)
    wait_new_daemon(oly, new)
    oly.wait_status(sid2, ("failed",), timeout=10)
    s2 = oly.session(sid2)
    assert s2["exit_code"] == 3 and b"bye" in oly.log(sid2), s2
    created, ended = s2["created_at"], s2["ended_at"]
    assert ended >= created


def test_daemon_stop_still_stops_sessions_and_the_keeper(oly):
    sid = oly.start_detached("sleep", "1000")
    pid = oly.session(sid)["pid"]
    keeper = oly.keeper_pid
    oly.daemon_stop(grace=1)
    assert not pid_alive(pid)
    wait_until(lambda: not pid_alive(keeper), 10, what="oly-keeper to exit")
    assert not (oly.runtime / "bus").exists()


def test_sigterm_to_the_keeper_stops_everything(oly):
    sid = oly.start_detached("sleep", "1000")
    pid = oly.session(sid)["pid"]
    d, k = oly.daemon_pid, oly.keeper_pid
    os.kill(k, signal.SIGTERM)
    wait_until(lambda: not pid_alive(k) and not pid_alive(d) and not pid_alive(pid), 20,
               what="keeper, daemon and session to end")
    oly.daemon_pid = oly.keeper_pid = None


def test_a_daemon_that_cannot_start_is_reported_not_retried(oly_env):
    (oly_env.state).mkdir(parents=True, exist_ok=True)
    (oly_env.state / "config.json").write_text('{"prompt_patterns": ["("]}')
    p = oly_env.run("daemon", "start", "--detach", "--no-http")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "prompt" in p.stderr


def test_attach_reconnects_across_a_daemon_crash(oly):
    from ptyutil import PtyProc
    sid = oly.start_detached("sh", "-c", "while read l; do echo \"echo:$l\"; done")
    with PtyProc([str(OLY), "attach", sid], env=oly.env) as p:
        p.write(b"one\r")
        p.wait_for(b"echo:one", what="the first echo")
        d = oly.daemon_pid
        os.kill(d, signal.SIGKILL)
        p.wait_for(b"reattached", timeout=20, what="the attach to come back")
        p.write(b"two\r")
        p.wait_for(b"echo:two", what="an echo through the new daemon")
        assert p.poll() is None, "oly attach ended"
        p.write(b"\x1dd")
        p.wait_eof()
    assert b"detached from session" in p.output()
    assert oly.session(sid)["status"] == "running"


def test_daemon_restart_keeps_sessions_and_takes_an_upgraded_binary(oly_env, tmp_path):
    import shutil
    from conftest import OLY_DAEMON
    # The daemon runs from a copy, replaced by rename as a package manager would (cp over a running
    # binary fails with ETXTBSY).
    bindir = tmp_path / "bin"
    bindir.mkdir()
    daemon = bindir / "oly-daemon"
    shutil.copy2(OLY_DAEMON, daemon)
    oly_env.env["OLY_DAEMON"] = str(daemon)
    oly_env.daemon_start()
    o = oly_env
    sid = o.start_detached("sh", "-c", COUNTER)
    pid = o.session(sid)["pid"]
    wait_until(lambda: len(numbers(o, sid)) > 20, what="output")
    old = o.daemon_pid
    shutil.copy2(OLY_DAEMON, bindir / "oly-daemon.new")
    os.rename(bindir / "oly-daemon.new", daemon)
    p = o.ok("daemon", "restart")
    assert "1 session kept running" in p, p
    new = daemon_pid_now(o)
    assert new and new != old
    assert not os.readlink(f"/proc/{new}/exe").endswith("(deleted)"), "the old binary still runs"
    s = o.session(sid)
    assert s["status"] == "running" and s["pid"] == pid
    n = len(numbers(o, sid))
    wait_until(lambda: len(numbers(o, sid)) > n + 20, what="output after the restart")
    o.ok("stop", sid, "--grace", "2")
    assert_contiguous(numbers(o, sid))


def test_daemon_restart_needs_a_running_daemon(oly_env):
    p = oly_env.run("daemon", "restart")
    assert p.returncode == 1 and "not running" in p.stderr and len(p.stderr.splitlines()) == 1


def test_resize_history_stays_one_history_across_a_crash(oly):
    """An adopted session appends to the resize.log it has: one first line (the size it started with),
    not a second one from the new daemon (which would replay the log at the wrong size)."""
    sid = oly.start_detached("sh", "-c", COUNTER)

    def resize(rows, cols):
        p = oly.busctl("call", "org.openrelay.Oly1", "/org/openrelay/Oly1", "org.openrelay.Oly1.Manager",
                       "ResizeSession", "sqq", sid, rows, cols)
        assert p.returncode == 0, p.stderr

    resize(30, 100)
    old = oly.daemon_pid
    os.kill(old, signal.SIGKILL)
    wait_new_daemon(oly, old)
    resize(40, 120)
    lines = (oly.state / "sessions" / sid / "resize.log").read_text().split("\n")
    lines = [l for l in lines if l]
    assert [l.split()[1:] for l in lines] == [["24", "80"], ["30", "100"], ["40", "120"]], lines
    assert [int(l.split()[0]) for l in lines] == sorted(int(l.split()[0]) for l in lines)
