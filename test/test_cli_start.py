# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly start: what the session is started with (argv, cwd, environment, terminal) and how failures show."""
import fcntl
import os
import pty
import re
import struct
import subprocess
import termios

import pytest

from conftest import ID_RE, OLY, wait_log


def _ended(oly, sid):
    return oly.wait_status(sid, ("stopped", "failed", "killed"))


def test_detach_prints_the_id(oly):
    p = oly.run("start", "--detach", "true")
    assert p.returncode == 0, p.stderr
    sid = p.stdout.strip()
    assert p.stdout == sid + "\n"
    assert ID_RE.match(sid), f"bad id {sid!r}"
    assert oly.session(sid)["command"] == "true"


def test_ids_are_unique(oly):
    ids = [oly.start_detached("true") for _ in range(5)]
    assert len(set(ids)) == 5


def test_dash_arguments_after_the_command_pass_through(oly):
    p = oly.run("start", "--detach", "printf", "--", "-n", "%s|", "-x", "--y")
    assert p.returncode == 0, p.stderr
    s = oly.session(p.stdout.strip())
    assert s["command"] == "printf"
    assert s["args"] == ["--", "-n", "%s|", "-x", "--y"]


def test_dash_arguments_reach_the_program_exactly(oly):
    # oly's own option names after the command belong to the command.
    p = oly.run("start", "--detach", "sh", "-c", 'printf "%s|" "$@"', "sh", "-x", "--y", "--", "-n",
                "--title", "t", "--detach")
    assert p.returncode == 0, p.stderr
    sid = p.stdout.strip()
    s = _ended(oly, sid)
    assert s["title"] is None
    assert oly.log(sid) == b"-x|--y|--|-n|--title|t|--detach|"


def test_double_dash_before_the_command(oly):
    p = oly.run("start", "--detach", "--", "sh", "-c", "echo ok")
    assert p.returncode == 0, p.stderr
    s = oly.session(p.stdout.strip())
    assert s["command"] == "sh"
    assert s["args"] == ["-c", "echo ok"]


def test_title(oly):
    sid = oly.start_detached("true", title="Build the thing ✓")
    assert oly.session(sid)["title"] == "Build the thing ✓"
    assert "Build the thing ✓" in oly.ok("ls")


def test_no_title_is_null(oly):
    sid = oly.start_detached("true")
    assert oly.session(sid)["title"] is None


def test_cwd_defaults_to_callers(oly, tmp_path):
    d = tmp_path / "here"
    d.mkdir()
    sid = oly.start_detached("pwd", cwd=d)
    _ended(oly, sid)
    assert oly.session(sid)["cwd"] == os.path.realpath(d)
    assert oly.log(sid) == os.path.realpath(d).encode() + b"\r\n"


def test_cwd_relative_to_callers(oly, tmp_path):
    (tmp_path / "work" / "sub").mkdir(parents=True)
    p = oly.run("start", "--detach", "--cwd", "sub", "pwd", cwd=tmp_path / "work")
    assert p.returncode == 0, p.stderr
    sid = p.stdout.strip()
    _ended(oly, sid)
    want = os.path.realpath(tmp_path / "work" / "sub")
    assert oly.session(sid)["cwd"] == want
    assert oly.log(sid) == want.encode() + b"\r\n"


def test_cwd_absolute(oly, tmp_path):
    d = tmp_path / "abs"
    d.mkdir()
    p = oly.run("start", "--detach", "--cwd", str(d), "pwd", cwd="/")
    assert p.returncode == 0, p.stderr
    sid = p.stdout.strip()
    _ended(oly, sid)
    assert oly.session(sid)["cwd"] == os.path.realpath(d)
    assert oly.log(sid) == os.path.realpath(d).encode() + b"\r\n"


def test_cwd_nonexistent(oly, tmp_path):
    p = oly.run("start", "--detach", "--cwd", "nope", "true", cwd=tmp_path)
    assert p.returncode == 1
    assert "nope" in p.stderr
    assert "does not exist" in p.stderr
    assert p.stdout == ""
    assert oly.ls_json() == []


def test_cwd_not_a_directory(oly, tmp_path):
    (tmp_path / "file").write_text("x")
    p = oly.run("start", "--detach", "--cwd", "file", "true", cwd=tmp_path)
    assert p.returncode == 1
    assert "not a directory" in p.stderr
    assert oly.ls_json() == []


@pytest.mark.parametrize("args", [("start",), ("start", "--detach"), ("start", "--detach", "--title", "t")],
                         ids=" ".join)
def test_missing_command(oly, args):
    p = oly.run(*args)
    assert p.returncode == 2
    assert "command" in p.stderr
    assert oly.ls_json() == []


def test_session_gets_callers_environment_and_path(oly, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "oly-probe-foo"
    script.write_text('#!/bin/sh\necho "FOO=$FOO"\n')
    script.chmod(0o755)
    p = oly.run("start", "--detach", "oly-probe-foo", env={"FOO": "bar baz", "PATH": f"{bindir}:/usr/bin:/bin"})
    assert p.returncode == 0, p.stderr
    sid = p.stdout.strip()
    assert _ended(oly, sid)["status"] == "stopped"
    assert oly.log(sid) == b"FOO=bar baz\r\n"


def test_session_does_not_get_daemons_environment(oly):
    # The daemon runs with OLY_DAEMON set (see conftest); a caller without it must not see it.
    env = {k: v for k, v in oly.env.items() if k != "OLY_DAEMON"}
    env["ONLY_CALLER"] = "yes"
    p = subprocess.run([str(OLY), "start", "--detach", "sh", "-c", 'echo "D=${OLY_DAEMON-unset} C=$ONLY_CALLER"'],
                       env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
    assert p.returncode == 0, p.stderr
    sid = p.stdout.strip()
    _ended(oly, sid)
    assert oly.log(sid) == b"D=unset C=yes\r\n"


def test_term_is_xterm_256color(oly):
    p = oly.run("start", "--detach", "sh", "-c", 'echo "TERM=$TERM"', env={"TERM": "dumb"})
    sid = p.stdout.strip()
    _ended(oly, sid)
    assert oly.log(sid) == b"TERM=xterm-256color\r\n"


def test_oly_session_id_is_set(oly):
    p = oly.run("start", "--detach", "sh", "-c", 'echo "ID=$OLY_SESSION_ID"', env={"OLY_SESSION_ID": "bogus"})
    sid = p.stdout.strip()
    _ended(oly, sid)
    assert oly.log(sid) == f"ID={sid}\r\n".encode()


def test_size_is_24x80_without_a_terminal(oly):
    sid = oly.start_detached("stty", "size")
    assert _ended(oly, sid)["status"] == "stopped"
    assert oly.log(sid) == b"24 80\r\n"


def test_size_follows_callers_terminal(oly):
    master, slave = pty.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
        p = subprocess.run([str(OLY), "start", "--detach", "stty", "size"], env=oly.env, stdin=slave,
                           capture_output=True, text=True, timeout=30)
    finally:
        os.close(slave)
        os.close(master)
    assert p.returncode == 0, p.stderr
    sid = p.stdout.strip()
    _ended(oly, sid)
    assert oly.log(sid) == b"33 101\r\n"


def test_session_leader_with_the_pty_as_controlling_terminal(oly):
    sid = oly.start_detached("sh", "-c", 'echo "PID=$$"; cat /proc/$$/stat; echo; tty')
    s = _ended(oly, sid)
    assert s["status"] == "stopped", oly.log(sid)
    out = oly.log(sid).decode()
    pid = int(re.search(r"PID=(\d+)", out).group(1))
    assert pid == s["pid"]
    stat_line = next(line for line in out.splitlines() if line.startswith(f"{pid} ("))
    fields = stat_line.rsplit(")", 1)[1].split()
    pgrp, sid_, tty_nr, tpgid = int(fields[2]), int(fields[3]), int(fields[4]), int(fields[5])
    assert sid_ == pid, "the command is not a session leader"
    assert pgrp == pid, "the command does not lead its process group"
    assert tty_nr != 0, "the command has no controlling terminal"
    assert tpgid == pid, "the command is not in the terminal's foreground process group"
    m = re.search(r"^/dev/pts/(\d+)\r?$", out, re.M)
    assert m, f"tty did not print a pts: {out!r}"
    minor = (tty_nr & 0xFF) | ((tty_nr >> 12) & 0xFFF00)
    assert minor == int(m.group(1)), "the controlling terminal is not the session's pts"


def test_disable_notifications(oly):
    on = oly.start_detached("true")
    off = oly.start_detached("true", extra=("--disable-notifications",))
    assert oly.session(on)["notifications_enabled"] is True
    assert oly.session(off)["notifications_enabled"] is False


def test_without_detach_attaches_until_the_session_ends(oly):
    # Attaching itself is test_attach.py's; here: without a terminal, oly start still creates the session,
    # passes its output on from the first byte and returns when it has ended, even when the command ends
    # at once (a race between the command's end and the attach: tried a few times so that it shows).
    for i in range(8):
        p = oly.run("start", "sh", "-c", f"echo from-the-session-{i}; exit 3")
        s = oly.ls_json()[0]
        assert s["status"] == "failed" and s["exit_code"] == 3
        assert s["id"] in p.stdout + p.stderr
        assert f"from-the-session-{i}" in p.stdout, f"try {i}: the output was lost: {p}"


def _failed_session(oly, command):
    ss = [s for s in oly.ls_json() if s["command"] == command]
    assert len(ss) == 1, f"expected one session of {command}, got {ss}"
    return ss[0]


def test_command_not_found(oly):
    p = oly.run("start", "--detach", "oly-no-such-command-xyz")
    assert p.returncode == 1
    assert "oly-no-such-command-xyz" in p.stderr
    s = _failed_session(oly, "oly-no-such-command-xyz")
    assert s["status"] == "failed"
    assert s["exit_code"] == 127
    assert s["id"] in p.stderr
    log = oly.log(s["id"]).decode().lower()
    assert "oly-no-such-command-xyz" in log and "not found" in log


def test_command_not_executable(oly, tmp_path):
    f = tmp_path / "noexec.sh"
    f.write_text("#!/bin/sh\necho hi\n")
    f.chmod(0o644)
    p = oly.run("start", "--detach", str(f))
    assert p.returncode == 1
    assert str(f) in p.stderr
    s = _failed_session(oly, str(f))
    assert s["status"] == "failed"
    assert s["exit_code"] == 126
    log = oly.log(s["id"]).decode().lower()
    assert str(f) in log and ("permission denied" in log or "not executable" in log)


def test_failed_exec_then_ls_still_works(oly):
    oly.run("start", "--detach", "oly-no-such-command-xyz")
    sid = oly.start_detached("true")
    assert oly.wait_status(sid, "stopped")


@pytest.mark.parametrize("args", [("start", "--detach", "--node", "foo", "true"), ("ls", "--node", "foo"),
                                  ("stop", "--node", "foo"), ("notify", "enable", "--node", "foo")],
                         ids=lambda a: a[0])
def test_unknown_node(oly, args):
    p = oly.run(*args)
    assert p.returncode == 1
    assert "no such node" in p.stderr.lower()
    assert "foo" in p.stderr
    assert oly.ls_json() == []


def test_log_survives_a_noisy_program(oly):
    # Many lines right before exiting: none lost to the drain at exit.
    sid = oly.start_detached("sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); done")
    _ended(oly, sid)
    log = oly.log(sid)
    assert log.count(b"\r\n") == 2000
    assert log.endswith(b"line1999\r\n")


def test_output_reaches_log_while_running(oly):
    sid = oly.start_detached("sh", "-c", "echo started; sleep 1000")
    wait_log(oly, sid, b"started\r\n")
    assert oly.session(sid)["status"] == "running"
