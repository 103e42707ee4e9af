# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly attach (and oly start without --detach) through a real pseudo-terminal: replay, live output, the
Ctrl-] escape, SIGWINCH, signals, and the caller's terminal put back the way it was."""
import re
import shutil
import signal
import subprocess
import sys
import termios

import pytest

from conftest import OLY, wait_log, wait_until
from ptyutil import HEX_READER, PtyProc, crlf, hex_tokens, render

SNAPSHOT_START = b"\x1b[!p"  # a snapshot begins with a soft reset of the receiving terminal


def detach_line(sid):
    return f"oly: detached from session {sid} (it keeps running).".encode()


def attach(o, *args, rows=24, cols=80):
    return PtyProc([OLY, "attach", *args], env=o.env, rows=rows, cols=cols)


def test_attach_replays_earlier_output_then_live_then_detaches(oly):
    sid = oly.start_detached("sh", "-c", 'echo early-output; read x; echo "live-$x-done"; exec sleep 1000')
    wait_log(oly, sid, "early-output\r\n")
    with attach(oly, sid) as p:
        i = p.wait_for("early-output", what="the snapshot with the earlier output")
        out = p.output()
        assert out.startswith(SNAPSHOT_START), out[:200]
        assert b"live-" not in out
        # Keys typed into the attached terminal reach the session; its answer comes back live.
        p.write(b"go\r")
        j = p.wait_for("live-go-done", start=i)
        assert p.output()[:j].count(b"early-output") == 1, "the earlier output was replayed more than once"
        p.write(b"\x1dd")
        assert p.wait(20) == 0, p.output()[-500:]
        out = p.wait_eof()
    tail = out[j:]
    assert detach_line(sid) in tail, tail
    assert b"exited with code" not in tail
    assert oly.session(sid)["status"] == "running"
    # Neither Ctrl-] nor the 'd' reached the session: the next thing its terminal echoes is our marker.
    oly.ok("send", sid, "Z")
    log = wait_log(oly, sid, "live-go-done\r\nZ")
    assert log.endswith(b"live-go-done\r\nZ"), log[-200:]


def test_attach_without_id_takes_the_most_recent_session(oly):
    a = oly.start_detached("sh", "-c", "echo marker-of-A; exec sleep 1000")
    wait_log(oly, a, "marker-of-A")
    b = oly.start_detached("sh", "-c", "echo marker-of-B; exec sleep 1000")
    wait_log(oly, b, "marker-of-B")
    with attach(oly) as p:
        p.wait_for("marker-of-B")
        p.write(b"\x1dd")
        assert p.wait(20) == 0
        out = p.wait_eof()
    assert b"marker-of-A" not in out
    assert detach_line(b) in out, out[-300:]
    assert oly.session(a)["status"] == oly.session(b)["status"] == "running"


def test_start_attached_replays_from_the_first_byte_and_reports_the_exit(oly):
    """A command that prints many lines at once and exits at once: 'oly start' (attached) must show all of
    it from the first line on (a replay, not a snapshot) and then the exit line. Repeated, because the
    command may be over before the CLI gets to attach."""
    script = "printf 'line-%d\\n' " + " ".join(map(str, range(1, 61))) + "; exit 3"
    failures = []
    for attempt in range(30):
        with PtyProc([OLY, "start", "sh", "-c", script], env=oly.env) as p:
            rc = p.wait(30)
            out = p.wait_eof()
        m = re.search(rb"oly: session ([0-9a-z]{8}) exited with code 3 \(failed\)\.\r\n", out)
        ok = (rc == 0 and m is not None and out.startswith(b"line-1\r\nline-2\r\n")
              and SNAPSHOT_START not in out
              and b"".join(b"line-%d\r\n" % i for i in range(1, 61)) in out)
        if not ok:
            failures.append((attempt, rc, out[-400:]))
    assert not failures, f"{len(failures)} of 30 attached starts went wrong, e.g. {failures[0]}"


def _strace_works():
    exe = shutil.which("strace")
    if not exe:
        return None
    p = subprocess.run([exe, "-o", "/dev/null", "true"], capture_output=True, timeout=30)
    return exe if p.returncode == 0 else None


def test_start_attached_when_the_session_ends_before_the_cli_attaches(oly):
    """Forces the race above: strace holds each of the CLI's D-Bus writes from the 4th on (after the
    authentication, Hello and CreateSession: OpenTerminal) for half a second, long after the command has
    printed everything and exited. 'oly start' must still show all of it and the exit line."""
    strace = _strace_works()
    if not strace:
        pytest.skip("strace is not installed or cannot trace here")
    script = "printf 'line-%d\\n' 1 2 3; exit 3"
    with PtyProc([strace, "-o", "/dev/null", "-e", "trace=sendmsg", "-e", "inject=sendmsg:delay_enter=500000:when=4+",
                  OLY, "start", "sh", "-c", script], env=oly.env) as p:
        rc = p.wait(60)
        out = p.wait_eof()
    m = re.search(rb"oly: session ([0-9a-z]{8}) exited with code 3 \(failed\)\.\r\n", out)
    assert rc == 0 and m, out
    assert out.startswith(b"line-1\r\nline-2\r\nline-3\r\n"), out
    assert SNAPSHOT_START not in out


def test_start_attached_then_detach(oly):
    with PtyProc([OLY, "start", "sh", "-c", "echo started-ok; exec sleep 1000"], env=oly.env) as p:
        p.wait_for("started-ok\r\n")
        p.write(b"\x1dd")
        assert p.wait(20) == 0
        out = p.wait_eof()
    m = re.search(rb"oly: detached from session ([0-9a-z]{8}) \(it keeps running\)\.", out)
    assert m, out[-300:]
    assert oly.session(m.group(1).decode())["status"] == "running"


def test_escape_twice_sends_one_escape_and_escape_other_sends_both(oly):
    sid = oly.start_detached(sys.executable, "-c", HEX_READER)
    wait_log(oly, sid, "reader-ready\r\n")
    with attach(oly, sid) as p:
        p.wait_for("reader-ready")
        p.write(b"\x1d\x1d")
        wait_log(oly, sid, "<1d>")
        p.write(b"\x1dx")
        wait_log(oly, sid, "<78>")
        p.write(b"Q")
        wait_log(oly, sid, "<51>")
        assert hex_tokens(oly.log(sid)) == ["1d", "1d", "78", "51"]
        # Ctrl-] and 'd' arriving in separate reads still detach.
        p.write(b"\x1d")
        p.write(b"d")
        assert p.wait(20) == 0
        out = p.wait_eof()
    assert detach_line(sid) in out
    assert hex_tokens(oly.log(sid)) == ["1d", "1d", "78", "51"]


def test_sigwinch_resizes_the_session(oly):
    sid = oly.start_detached("sh", "-c", 'while read x; do echo "size=$(stty size)."; done')
    with attach(oly, sid, rows=24, cols=80) as p:
        p.wait_for(SNAPSHOT_START)
        p.write(b"\r")
        p.wait_for("size=24 80.")

        p.resize(37, 123)
        def resized():
            start = len(p)
            p.write(b"\r")
            try:
                p.wait_for("size=", start=start, timeout=5)
            except AssertionError:
                return False
            return b"size=37 123." in p.output()[start:]
        wait_until(resized, 30, interval=0.1, what="the session to see the new size 37x123")
        p.write(b"\x1dd")
        assert p.wait(20) == 0


def _stty_lines(out):
    return [l for l in out.split(b"\r\n") if re.fullmatch(rb"[0-9a-f]+(:[0-9a-f]+){10,}", l)]


def test_terminal_settings_restored_after_detach(oly):
    sid = oly.start_detached("sh", "-c", "echo attach-me; exec sleep 1000")
    with PtyProc(["sh", "-c", f"stty -g; {OLY} attach {sid}; stty -g"], env=oly.env) as p:
        p.wait_for("attach-me")
        # While attached the terminal is raw ...
        lflag = p.tcgetattr()[3]
        assert not lflag & (termios.ICANON | termios.ECHO | termios.ISIG), "attach did not put the terminal in raw mode"
        p.write(b"\x1dd")
        assert p.wait(20) == 0
        out = p.wait_eof()
        after = p.tcgetattr()
        initial = p.initial_termios
    # ... and afterwards exactly as before.
    lines = _stty_lines(out)
    assert len(lines) == 2, out
    assert lines[0] == lines[1]
    assert after == initial
    assert detach_line(sid) in out


@pytest.mark.parametrize("sig,name", [(signal.SIGTERM, "SIGTERM"), (signal.SIGHUP, "SIGHUP"),
                                      (signal.SIGINT, "SIGINT")])
def test_signal_detaches_with_exit_1_and_restores_the_terminal(oly, sig, name):
    sid = oly.start_detached("sh", "-c", "echo attach-me; exec sleep 1000")
    with attach(oly, sid) as p:
        p.wait_for("attach-me")
        assert not p.tcgetattr()[3] & termios.ICANON
        p.kill(sig)
        assert p.wait(20) == 1, p.output()[-300:]
        out = p.wait_eof()
        assert p.tcgetattr() == p.initial_termios, "the terminal was left in raw mode"
    assert f"oly: detached from session {sid} on {name} (it keeps running).".encode() in out, out[-300:]
    assert oly.session(sid)["status"] == "running"


def test_attach_to_an_ended_session_fails(oly):
    sid = oly.start_detached("sh", "-c", "echo bye; exit 4")
    oly.wait_status(sid, "failed")
    p = oly.run("attach", sid)
    assert p.returncode == 1, p
    assert "has ended" in p.stderr and sid in p.stderr, p.stderr
    # Also from a terminal: nothing is drawn and the terminal is left alone.
    with attach(oly, sid) as t:
        assert t.wait(20) == 1
        out = t.wait_eof()
        assert t.tcgetattr() == t.initial_termios
    assert b"has ended" in out and SNAPSHOT_START not in out


def test_attach_to_an_unknown_session_fails(oly):
    p = oly.run("attach", "zzzzzzzz")
    assert p.returncode != 0
    assert p.stderr.strip()


# ---- full-screen programs: the snapshot draws what a fresh terminal would show ----

CURSES_APP = r"""
import curses
def main(w):
    curses.start_color()
    curses.use_default_colors()
    curses.init_pair(1, curses.COLOR_RED, -1)
    w.addstr(0, 0, "TOP-LEFT corner")
    w.addstr(5, 10, "bold middle text", curses.A_BOLD)
    w.addstr(9, 3, "red words", curses.color_pair(1))
    w.addstr(12, 30, "wide \u65e5\u672c\u8a9e chars")
    w.addstr(23, 60, "bottom-right")
    w.move(7, 42)
    w.refresh()
    w.getch()
curses.wrapper(main)
"""


def _screen_state(screen):
    return {
        "display": screen.display,
        "cursor": (screen.cursor.x, screen.cursor.y),
        "cursor_hidden": screen.cursor.hidden,
        "cells": [[(c.data, c.fg, c.bg, c.bold, c.reverse, c.underscore) for c in
                   (screen.buffer[y][x] for x in range(screen.columns))] for y in range(screen.lines)],
    }


def _diff(a, b):
    out = []
    for k in ("display", "cursor", "cursor_hidden"):
        if a[k] != b[k]:
            out.append(f"{k}: attached {a[k]!r} != reference {b[k]!r}")
    cells = [(y, x, a["cells"][y][x], b["cells"][y][x]) for y in range(len(a["cells"]))
             for x in range(len(a["cells"][y])) if a["cells"][y][x] != b["cells"][y][x]]
    if cells:
        out.append(f"{len(cells)} cells differ, e.g. {cells[:5]}")
    return "\n".join(out)


def _fullscreen_session(oly, kind, tmp_path):
    if kind == "curses":
        sid = oly.start_detached(sys.executable, "-c", CURSES_APP)
        ready = lambda s: s.cursor.y == 7 and s.cursor.x == 42 and "bottom-right" in s.display[23]  # noqa: E731
    elif kind == "less":
        if not shutil.which("less"):
            pytest.skip("less is not installed")
        f = tmp_path / "numbers.txt"
        f.write_text("".join(f"{i:04d} the quick brown fox {'jumps ' * (i % 7)}\n" for i in range(1, 301)))
        sid = oly.ok("start", "--detach", "less", str(f),
                     env={"LESS": "", "LESSHISTFILE": "-", "LINES": "24", "COLUMNS": "80"}).strip()
        wait_until(lambda: "numbers.txt" in render(oly.log(sid)).display[23], 20, what="less to show the file")
        oly.ok("send", sid, "G")  # to the end: the last page and the (END) prompt
        ready = lambda s: s.display[22].startswith("0300 ") and "(END)" in s.display[23]  # noqa: E731
    else:  # a plain shell-like program whose output scrolled, a prompt without a newline
        sid = oly.start_detached("sh", "-c", "seq 1 100; printf '\\033[1mprompt>\\033[0m '; exec sleep 1000")
        ready = lambda s: s.display[23].startswith("prompt> ")  # noqa: E731
    wait_until(lambda: ready(render(oly.log(sid))), 20, what=f"the {kind} session to draw its screen")
    return sid


@pytest.mark.parametrize("kind", ["curses", "less", "scrolled"])
def test_reattach_redraws_the_screen(oly, kind, tmp_path):
    sid = _fullscreen_session(oly, kind, tmp_path)
    with attach(oly, sid) as p:
        p.wait_for(SNAPSHOT_START)
        # What the CLI drew on a fresh 24x80 terminal must equal what the program's own output draws.
        state = {}

        def same():
            state["a"] = _screen_state(render(p.output()))
            state["r"] = _screen_state(render(oly.log(sid)))
            return state["a"] == state["r"]
        try:
            wait_until(same, 20, interval=0.1, what="the attached screen to match the session's")
        except AssertionError:
            raise AssertionError(_diff(state["a"], state["r"]))
        snapshot_end = len(p)
        p.write(b"\x1dd")
        assert p.wait(20) == 0
        out = p.wait_eof()
    snap = out[:snapshot_end]
    if kind in ("curses", "less"):
        assert b"\x1b[?1049h" in snap, "the snapshot of a full-screen program did not enter the alternate screen"
    else:
        assert snap.rfind(b"\x1b[?1049h") < snap.rfind(b"\x1b[?1049l")
    # On the way out the CLI leaves the alternate screen (and whatever else the program had switched on).
    assert out.rfind(b"\x1b[?1049l") > max(out.rfind(b"\x1b[?1049h"), snapshot_end - 1), out[-400:]
    assert out.rfind(b"\x1b[?25h") > out.rfind(b"\x1b[?25l")
    if kind == "curses":  # curses switched application cursor keys on; the snapshot restores it
        assert b"\x1b[?1h" in snap
        assert out.rfind(b"\x1b[?1l") > snapshot_end - 1
    assert detach_line(sid) in out


def test_start_attached_output_matches_the_log(oly, tmp_path):
    """'oly start' (attached) writes the program's own bytes (no snapshot), so the terminal gets exactly
    what the log holds. (The program waits for a flag file, so that this does not depend on how soon the
    CLI attaches; see the test above for a program that is quicker than that.)"""
    flag = tmp_path / "go"
    script = f"while [ ! -e {flag} ]; do sleep 0.05; done; printf 'one\\ntwo\\033[1;31m red\\033[0m\\n'; exit 0"
    with PtyProc([OLY, "start", "sh", "-c", script], env=oly.env) as p:
        # The CLI makes its terminal raw once the daemon has handed it the session's stream.
        wait_until(lambda: not p.tcgetattr()[3] & termios.ICANON, 10, what="the CLI to attach")
        flag.touch()
        assert p.wait(30) == 0, p.output()
        out = p.wait_eof()
    m = re.search(rb"oly: session ([0-9a-z]{8}) exited with code 0 \(stopped\)\.", out)
    assert m, out
    log = oly.log(m.group(1).decode())
    assert log == crlf(b"one\ntwo\x1b[1;31m red\x1b[0m\n")
    assert out.startswith(log), out
