# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly logs: golden tests of the rendered text (what a terminal showed), colours, wide characters, line
widths on and off a terminal, resize history, --tail and --raw."""
import re
import subprocess
import sys

import pytest

from conftest import OLY, wait_log
from ptyutil import PtyProc, crlf

SGR_RE = re.compile(r"\x1b\[[0-9;]*m")


def logs(o, *args):
    """oly logs with standard output a pipe; returns the exact bytes it printed."""
    p = subprocess.run([str(OLY), "logs", *map(str, args)], env=o.env, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    assert p.returncode == 0, f"oly logs {args} -> {p.returncode}: {p.stderr!r}"
    assert p.stderr == b"", p.stderr
    return p.stdout


def logs_text(o, *args):
    return logs(o, *args).decode()


def logs_on_tty(o, *args, rows=24, cols=80):
    """oly logs on a terminal of rows x cols; returns what it printed with the terminal's \\r\\n made \\n."""
    with PtyProc([OLY, "logs", *args], env=o.env, rows=rows, cols=cols) as p:
        assert p.wait(60) == 0, p.output()
        out = p.wait_eof()
    return out.replace(b"\r\n", b"\n").decode()


def finished(o, *cmd, status="stopped"):
    sid = o.start_detached(*cmd)
    o.wait_status(sid, status, timeout=30)
    return sid


def start_wide(o, *cmd, rows=24, cols=320):
    """Starts a detached session from a terminal of rows x cols: the session gets that size."""
    with PtyProc([OLY, "start", "--detach", *cmd], env=o.env, rows=rows, cols=cols) as p:
        assert p.wait(30) == 0, p.output()
        sid = p.wait_eof().decode().strip()
    assert re.fullmatch(r"[0-9a-z]{8}", sid), sid
    return sid


def test_carriage_return_progress_bar_is_one_line(oly):
    sid = finished(oly, "sh", "-c", "for i in 1 2 3 4 5; do printf '\\rprogress %d%%' $((i*20)); done; echo; echo done")
    assert logs_text(oly, sid) == "progress 100%\ndone\n"


def test_cursor_movement_and_erasing(oly):
    sid = finished(oly, "sh", "-c", "printf 'abc\\033[2Dx\\nhello\\033[3D\\033[Kp!\\nabc\\bX\\n'"
                                    "; printf 'over\\033[Awritten\\n'")
    # 'over' then cursor up one row (onto "abX", at column 4) and 'written' from there.
    assert logs_text(oly, sid) == "axc\nhep!\nabX written\nover\n"


def test_colours_stripped_by_default_and_kept_on_request(oly):
    sid = finished(oly, "sh", "-c", "printf '\\033[31mred\\033[0m plain \\033[1;32mgreen\\033[0m\\n'")
    plain = logs_text(oly, sid)
    assert plain == "red plain green\n"
    colour = logs_text(oly, sid, "--keep-color")
    assert re.search(r"\x1b\[([0-9;]*;)?31(;[0-9;]*)?mred", colour), repr(colour)
    m = re.search(r"\x1b\[([0-9;]*)mgreen", colour)
    assert m and {"1", "32"} <= set(m.group(1).split(";")), repr(colour)
    assert SGR_RE.sub("", colour) == plain
    assert logs_text(oly, sid, "--keep-colour") == colour


def test_wide_characters(oly):
    sid = finished(oly, "sh", "-c", "printf '日本語 wide\\nx日y\\n'; printf '%s\\n' 'ab日本cd'")
    assert logs_text(oly, sid) == "日本語 wide\nx日y\nab日本cd\n"


def test_wide_characters_wrap_like_a_terminal(oly):
    # In an 80-column session: 'a' and 39 wide characters fill 79 columns; the 40th does not fit in the
    # last column, so a terminal puts it on the next row.
    sid = finished(oly, sys.executable, "-c", "print('a' + '\u65e5' * 41)")
    assert logs_text(oly, sid) == "a" + "日" * 39 + "\n" + "日" * 2 + "\n"


@pytest.fixture
def wide_line(oly):
    """A 300-character line in a session 320 columns wide, so the session's own terminal did not wrap it."""
    sid = start_wide(oly, sys.executable, "-c", "print('A' * 100 + 'B' * 100 + 'C' * 100); print('short')")
    oly.wait_status(sid, "stopped", timeout=30)
    return sid


WIDE = "A" * 100 + "B" * 100 + "C" * 100


def test_long_line_whole_when_piped(oly, wide_line):
    assert logs_text(oly, wide_line) == WIDE + "\nshort\n"


def test_long_line_cut_at_the_terminal_width(oly, wide_line):
    assert logs_on_tty(oly, wide_line, cols=80) == "A" * 80 + "\nshort\n"
    assert logs_on_tty(oly, wide_line, cols=150) == "A" * 100 + "B" * 50 + "\nshort\n"


def test_long_line_whole_on_a_terminal_with_no_truncate(oly, wide_line):
    assert logs_on_tty(oly, wide_line, "--no-truncate", cols=80) == WIDE + "\nshort\n"


def test_long_line_in_a_narrow_session_is_wrapped_as_the_session_showed_it(oly):
    # The session's own width decides: 300 characters in an 80-column session were 4 rows on its screen.
    sid = finished(oly, sys.executable, "-c", "print('A' * 100 + 'B' * 100 + 'C' * 100)")
    assert logs_text(oly, sid) == "A" * 80 + "\n" + "A" * 20 + "B" * 60 + "\n" + "B" * 40 + "C" * 40 + "\n" + \
        "C" * 60 + "\n"


def test_cut_never_splits_a_wide_character_past_the_width(oly):
    # Column 80 holds the left half of a wide character: cut at 80 columns, it must not show (a line of
    # 81 columns wraps on the reader's terminal).
    sid = start_wide(oly, sys.executable, "-c", "print('a' * 79 + '\u65e5\u672c' + 'z' * 10)")
    oly.wait_status(sid, "stopped", timeout=30)
    out = logs_on_tty(oly, sid, cols=80)
    assert out in ("a" * 79 + "\n", "a" * 79 + " \n"), repr(out)


@pytest.mark.parametrize("how", ["bus", "attach"])
def test_resize_in_the_middle(oly, how):
    """The session prints a line at 80 columns, is resized to 40, then prints 100 characters: they wrap at 40."""
    sid = oly.start_detached("sh", "-c", 'echo before-resize; while [ "$(stty size)" != "24 40" ]; do sleep 0.05; done; '
                                          "printf '%0100d\\n' 0; echo after")
    wait_log(oly, sid, "before-resize")
    if how == "bus":
        p = oly.busctl("call", "org.openrelay.Oly1", "/org/openrelay/Oly1", "org.openrelay.Oly1.Manager",
                       "ResizeSession", "sqq", sid, 24, 40)
        assert p.returncode == 0, p.stderr
        oly.wait_status(sid, "stopped", timeout=30)
    else:
        with PtyProc([OLY, "attach", sid], env=oly.env, rows=24, cols=40) as a:
            assert a.wait(30) == 0
            assert b"exited with code 0 (stopped)" in a.wait_eof()
    assert logs_text(oly, sid) == "before-resize\n" + "0" * 40 + "\n" + "0" * 40 + "\n" + "0" * 20 + "\nafter\n"


def test_tail(oly):
    sid = finished(oly, "sh", "-c", "for i in $(seq 1 100); do echo line-$i; done")
    lines = [f"line-{i}" for i in range(1, 101)]
    assert logs_text(oly, sid, "--tail", "5") == "".join(l + "\n" for l in lines[-5:])
    assert logs_text(oly, sid, "--tail", "1") == "line-100\n"
    assert logs_text(oly, sid, "--tail", "0") == ""
    assert logs_text(oly, sid, "--tail", "1000") == "".join(l + "\n" for l in lines)
    # Not on a terminal: 40 lines by default; on one: its height - 1.
    assert logs_text(oly, sid) == "".join(l + "\n" for l in lines[-40:])
    assert logs_on_tty(oly, sid, rows=10) == "".join(l + "\n" for l in lines[-9:])
    assert logs_on_tty(oly, sid, "--tail", "3", rows=10) == "".join(l + "\n" for l in lines[-3:])


def test_tail_of_a_long_log(oly):
    # Far more output than the renderer's first window: the last lines still come out exact.
    sid = finished(oly, "seq", "1", "200000")
    assert logs_text(oly, sid, "--tail", "3") == "199998\n199999\n200000\n"
    assert logs_text(oly, sid, "--tail", "2000") == "".join(f"{i}\n" for i in range(198001, 200001))


def test_bad_tail(oly):
    sid = finished(oly, "true")
    for bad in ("-1", "x", "1000001"):
        p = oly.run("logs", sid, "--tail", bad)
        assert p.returncode == 2, (bad, p)
        assert "--tail" in p.stderr


def test_logs_of_a_running_session(oly):
    sid = oly.start_detached("sh", "-c", "echo running-1; echo running-2; exec sleep 1000")
    wait_log(oly, sid, "running-2\r\n")
    assert logs_text(oly, sid) == "running-1\nrunning-2\n"
    assert oly.session(sid)["status"] == "running"
    # Output written after the first look shows up in the next.
    oly.ok("send", sid, "typed-ahead")  # echoed by the session's terminal
    wait_log(oly, sid, "typed-ahead")
    assert logs_text(oly, sid) == "running-1\nrunning-2\ntyped-ahead\n"


def test_logs_without_id_is_the_most_recent(oly):
    finished(oly, "echo", "first-session")
    finished(oly, "echo", "second-session")
    assert logs_text(oly) == "second-session\n"
    assert logs_text(oly, "") == "second-session\n"


def test_alternate_screen_is_left_as_a_terminal_leaves_it(oly):
    sid = finished(oly, "sh", "-c", "echo before; printf '\\033[?1049h\\033[HFULLSCREEN\\033[?1049l'; echo after")
    assert logs_text(oly, sid) == "before\nafter\n"


RAW_CMD = "printf 'red \\033[31mRED\\033[0m\\rprogress\\n日本語\\n'; for i in 1 2 3 4 5; do echo raw-$i; done"


def test_raw_is_the_log(oly):
    sid = finished(oly, "sh", "-c", RAW_CMD)
    log = oly.log(sid)
    assert log == crlf("red \x1b[31mRED\x1b[0m\rprogress\n日本語\n".encode() +
                       b"".join(b"raw-%d\n" % i for i in range(1, 6)))
    assert logs(oly, sid, "--raw") == log


def test_raw_tail_is_the_last_n_lines(oly):
    sid = finished(oly, "sh", "-c", RAW_CMD)
    assert logs(oly, sid, "--raw", "--tail", "2") == b"raw-4\r\nraw-5\r\n"
    assert logs(oly, sid, "--raw", "--tail", "1") == b"raw-5\r\n"
    assert logs(oly, sid, "--raw", "--tail", "0") == b""
    assert logs(oly, sid, "--raw", "--tail", "100") == oly.log(sid)


def test_raw_of_a_running_session(oly):
    sid = oly.start_detached("sh", "-c", "printf 'partial line'; exec sleep 1000")
    wait_log(oly, sid, "partial line")
    assert logs(oly, sid, "--raw") == b"partial line"


def test_logs_of_unknown_session_fails(oly):
    p = oly.run("logs", "zzzzzzzz")
    assert p.returncode != 0 and p.stderr.strip()
