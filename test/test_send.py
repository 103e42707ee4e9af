# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly send: literal chunks, key specs (named keys, modifiers, hex bytes, application cursor mode), piped
standard input, validation before anything is sent, and keys driving a real interactive bash."""
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import OLY, wait_log, wait_until
from ptyutil import HEX_READER, hex_tokens


def reader(o, *args):
    """A session that reports every byte it reads as <xx> (its terminal in raw mode)."""
    sid = o.start_detached(sys.executable, "-c", HEX_READER, *args)
    wait_log(o, sid, "reader-ready\r\n")
    return sid


def received(o, sid, n, timeout=20):
    """Waits until the reader has reported at least n bytes; returns them all."""
    return wait_until(lambda: (t := hex_tokens(o.log(sid))) and len(t) >= n and t, timeout,
                      what=f"{n} bytes to reach session {sid}")


def hexes(b):
    return [f"{c:02x}" for c in b]


def test_plain_chunks_and_keys_in_order(oly):
    sid = reader(oly)
    oly.ok("send", sid, "ab", "key:tab", "c d", "key:enter", "-y", "key:esc", "é")
    want = hexes(b"ab\tc d\r-y\x1b" + "é".encode())
    assert received(oly, sid, len(want)) == want


@pytest.mark.parametrize("spec,want", [
    ("hex:00ff1b5b41", b"\x00\xff\x1b[A"),
    ("HEX:7F0a", b"\x7f\n"),
    ("ctrl+c", b"\x03"),
    ("ctrl+A", b"\x01"),
    ("ctrl+]", b"\x1d"),
    ("ctrl+space", b"\x00"),
    ("ctrl+?", b"\x7f"),
    ("alt+x", b"\x1bx"),
    ("meta+b", b"\x1bb"),
    ("alt+enter", b"\x1b\r"),
    ("alt+ctrl+c", b"\x1b\x03"),
    ("shift+tab", b"\x1b[Z"),
    ("backspace", b"\x7f"),
    ("space", b" "),
    ("delete", b"\x1b[3~"),
    ("insert", b"\x1b[2~"),
    ("pageup", b"\x1b[5~"),
    ("pagedown", b"\x1b[6~"),
    ("f1", b"\x1bOP"),
    ("f5", b"\x1b[15~"),
    ("f12", b"\x1b[24~"),
    ("ENTER", b"\r"),
])
def test_key_specs_arrive_exactly(oly, spec, want):
    sid = reader(oly)
    oly.ok("send", sid, f"key:{spec}", "key:hex:2e")  # a '.' after it: everything before has arrived
    assert received(oly, sid, len(want) + 1) == hexes(want + b".")


@pytest.mark.parametrize("mode", ["normal", "app"])
def test_arrows_follow_application_cursor_mode(oly, mode):
    sid = reader(oly, *(["app"] if mode == "app" else []))
    oly.ok("send", sid, "key:up", "key:down", "key:right", "key:left", "key:home", "key:end", "key:alt+up")
    if mode == "app":
        want = b"\x1bOA\x1bOB\x1bOC\x1bOD\x1bOH\x1bOF\x1b\x1bOA"
    else:
        want = b"\x1b[A\x1b[B\x1b[C\x1b[D\x1b[H\x1b[F\x1b\x1b[A"
    assert received(oly, sid, len(want)) == hexes(want)


def test_cursor_mode_switched_back_off(oly):
    sid = oly.start_detached(sys.executable, "-c", "import os\nos.write(1, b'\\033[?1h\\033[?1l')\n" + HEX_READER)
    wait_log(oly, sid, "reader-ready\r\n")
    oly.ok("send", sid, "key:up")
    assert received(oly, sid, 3) == hexes(b"\x1b[A")


def test_piped_stdin_is_sent(oly):
    sid = reader(oly)
    data = b"piped line\n\x01\x7f\xce\xbb end"
    p = subprocess.run([str(OLY), "send", sid], input=data, env=oly.env, capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert received(oly, sid, len(data)) == hexes(data)


def test_large_piped_stdin_is_sent_whole(oly, tmp_path):
    out = tmp_path / "received"
    sid = oly.start_detached("sh", "-c", f"stty raw -echo; echo raw-ready; head -c 1500000 > {out}; echo got-all")
    data = bytes((i * 7 + i // 256) % 256 for i in range(1500000))
    wait_log(oly, sid, "raw-ready")
    p = subprocess.run([str(OLY), "send", sid], input=data, env=oly.env, capture_output=True, timeout=180)
    assert p.returncode == 0, p.stderr
    wait_log(oly, sid, "got-all", timeout=60)
    assert out.read_bytes() == data


def test_empty_id_is_the_most_recent_session(oly):
    older = reader(oly)
    newer = reader(oly)
    oly.ok("send", "", "key:hex:4142")
    assert received(oly, newer, 2) == ["41", "42"]
    assert hex_tokens(oly.log(older)) == []


@pytest.mark.parametrize("bad", ["key:bogus", "key:hex:zz", "key:ctrl+", "key:hex:1", "key:hex:", "key:",
                                 "key:ctrl+ab", "key:alt+", "key:f13"])
def test_bad_spec_exits_2_and_sends_nothing(oly, bad):
    sid = reader(oly)
    p = oly.run("send", sid, "before", "key:enter", bad, "after")
    assert p.returncode == 2, p
    assert bad in p.stderr, p.stderr
    assert "chunk 3" in p.stderr, p.stderr
    # Nothing of the valid chunks went either: the first byte the reader sees is the next send's.
    oly.ok("send", sid, "key:hex:5a")
    assert received(oly, sid, 1) == ["5a"]


def test_send_to_ended_session_fails(oly):
    sid = oly.start_detached("true")
    oly.wait_status(sid, "stopped")
    p = oly.run("send", sid, "x")
    assert p.returncode == 1, p
    assert "ended" in p.stderr, p.stderr


def test_nothing_to_send_from_a_terminal_is_a_usage_error(oly):
    from ptyutil import PtyProc
    sid = reader(oly)
    with PtyProc([OLY, "send", sid], env=oly.env) as p:
        assert p.wait(20) == 2
        assert b"nothing to send" in p.wait_eof()


# ---- a real interactive bash ----

def bash(o, tmp_path):
    env = {"HISTFILE": str(tmp_path / "bash_history"), "PS1": "PROMPT$ ", "PS2": "> ", "PROMPT_COMMAND": "",
           "INPUTRC": "/dev/null"}
    sid = o.ok("start", "--detach", "bash", "--norc", "--noprofile", "-i", env=env).strip()
    wait_log(o, sid, "PROMPT$ ", timeout=20)
    return sid


def rendered_lines(o, sid):
    p = subprocess.run([str(OLY), "logs", sid, "--tail", "1000"], env=o.env, capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


def test_bash_history_recalled_with_up(oly, tmp_path):
    sid = bash(oly, tmp_path)
    oly.ok("send", sid, "echo first-$((1+1))", "key:enter")
    wait_until(lambda: rendered_lines(oly, sid).count("first-2") == 1, 20, what="the first command's output")
    oly.ok("send", sid, "key:up", "key:enter")
    wait_until(lambda: rendered_lines(oly, sid).count("first-2") == 2, 20,
               what="the recalled command to run again")
    lines = rendered_lines(oly, sid)
    assert lines.count("PROMPT$ echo first-$((1+1))") == 2, lines


def _gone(pid):
    """The process has exited (a zombie counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def test_ctrl_c_interrupts_a_foreground_command(oly, tmp_path):
    sid = bash(oly, tmp_path)
    bash_pid = oly.session(sid)["pid"]

    def sleeping_child():
        for child in Path(f"/proc/{bash_pid}/task/{bash_pid}/children").read_text().split():
            try:
                if Path(f"/proc/{child}/comm").read_text().strip() == "sleep":
                    return int(child)
            except FileNotFoundError:
                pass
        return None

    oly.ok("send", sid, "sleep 100", "key:enter")
    child = wait_until(sleeping_child, 20, what="sleep 100 to run")
    oly.ok("send", sid, "key:ctrl+c")
    wait_until(lambda: _gone(child), 20, what="sleep to be interrupted")
    oly.ok("send", sid, "echo after-$((2+3))", "key:enter")
    wait_until(lambda: "after-5" in rendered_lines(oly, sid), 20, what="the next command to run")
    assert oly.session(sid)["status"] == "running"
