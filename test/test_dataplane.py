# SPDX-License-Identifier: LGPL-2.1-or-later
"""The data plane under load: ~20 MB of output with one attached client reading everything and another
one stopped (SIGSTOP). The session must not be slowed to a halt, the log must be byte-exact, the live
client must get every byte, and the stopped one must get every byte too once it runs again."""
import hashlib
import re
import signal
import subprocess

import pytest

from conftest import OLY, wait_until
from ptyutil import PtyProc

COUNT = 2700000  # seq 1 COUNT: about 20.5 MB
SNAPSHOT_DONE = re.compile(rb"\x1b\[!p.*\x1b\[\d+;\d+H\x1b\[\?25[hl]", re.S)


@pytest.fixture(scope="module")
def expected():
    out = subprocess.run(["seq", "1", str(COUNT)], capture_output=True, check=True).stdout
    assert len(out) > 20_000_000
    return out


def gated_session(o, tmp_path):
    """A session that prints nothing until the flag file exists, then the whole of seq's output (with the
    terminal's \\n -> \\r\\n translation off, so its bytes are exactly seq's)."""
    flag = tmp_path / "go"
    sid = o.start_detached("sh", "-c", f"stty -onlcr; while [ ! -e {flag} ]; do sleep 0.05; done; exec seq 1 {COUNT}")
    return sid, flag


def attached(o, sid, cols=80):
    """An attached client on a 24 x cols terminal; returns it and the length of its snapshot. With cols
    other than the session's, waits until its resize has reached the session (so that the client has
    nothing more to say before it is stopped)."""
    p = PtyProc([OLY, "attach", sid], env=o.env, rows=24, cols=cols)
    end = p.wait_for(SNAPSHOT_DONE, what="the snapshot")
    if cols != 80:
        resize_log = o.state / "sessions" / sid / "resize.log"
        # resize.log appears with the session's first resize
        wait_until(lambda: resize_log.exists() and f" 24 {cols}\n" in resize_log.read_text(), 10,
                   what=f"the session to be resized to 24x{cols}")
    return p, end


def exit_line(sid):
    return f"oly: session {sid} exited with code 0 (stopped).".encode()


def test_twenty_megabytes_with_a_live_and_a_stopped_client(oly, tmp_path, expected):
    sid, flag = gated_session(oly, tmp_path)
    live, live_start = attached(oly, sid, cols=81)
    stopped, stopped_start = attached(oly, sid, cols=82)
    try:
        stopped.kill(signal.SIGSTOP)
        wait_until(lambda: open(f"/proc/{stopped.pid}/stat").read().rsplit(")", 1)[1].split()[0] == "T", 10,
                   what="the second client to stop")
        assert len(live) == live_start, "output before the gate opened"
        flag.touch()

        # The stopped client must not hold the session back.
        s = oly.wait_status(sid, ("stopped", "failed", "killed"), timeout=60)
        assert s["status"] == "stopped" and s["exit_code"] == 0, s

        log = oly.log(sid)
        assert len(log) == len(expected)
        assert hashlib.sha256(log).hexdigest() == hashlib.sha256(expected).hexdigest()

        # The live client saw every byte, in order, right after its snapshot, then the exit line.
        assert live.wait(60) == 0, live.output()[-300:]
        out = live.wait_eof()
        got = out[live_start:live_start + len(expected)]
        assert len(got) == len(expected) and got == expected, \
            f"the live client's stream differs from the output (got {len(out) - live_start} bytes after the snapshot)"
        assert exit_line(sid) in out[live_start + len(expected):]

        # Woken up, the stopped client is served from the log: every byte, then the exit line.
        stopped.kill(signal.SIGCONT)
        assert stopped.wait(60) == 0, stopped.output()[-300:]
        out = stopped.wait_eof()
        got = out[stopped_start:stopped_start + len(expected)]
        assert len(got) == len(expected) and got == expected, \
            f"the resumed client's stream differs from the output (got {len(out) - stopped_start} bytes)"
        assert exit_line(sid) in out[stopped_start + len(expected):]
    finally:
        live.close()
        stopped.close()


def test_a_stopped_client_alone_does_not_block_the_session(oly, tmp_path, expected):
    sid, flag = gated_session(oly, tmp_path)
    stopped, start = attached(oly, sid, cols=81)
    try:
        stopped.kill(signal.SIGSTOP)
        flag.touch()
        s = oly.wait_status(sid, ("stopped", "failed", "killed"), timeout=60)
        assert s["status"] == "stopped" and s["exit_code"] == 0, s
        assert hashlib.sha256(oly.log(sid)).digest() == hashlib.sha256(expected).digest()
        # A new client cannot attach any more: the session has ended.
        p = oly.run("attach", sid)
        assert p.returncode == 1 and "has ended" in p.stderr
        stopped.kill(signal.SIGCONT)
        assert stopped.wait(60) == 0
        out = stopped.wait_eof()
        assert out[start:start + len(expected)] == expected
        assert exit_line(sid) in out[start + len(expected):]
    finally:
        stopped.close()


def test_resize_from_a_client_still_catching_up_after_the_end(oly, tmp_path, expected):
    """The session ends while a stopped client is far behind; the client's window is resized while it is
    stopped. Resumed, it sends the new size (to a session that has ended): it must still get the rest of
    the output and the exit line, not lose the connection."""
    sid, flag = gated_session(oly, tmp_path)
    client, start = attached(oly, sid, cols=81)
    try:
        client.kill(signal.SIGSTOP)
        flag.touch()
        s = oly.wait_status(sid, ("stopped", "failed", "killed"), timeout=60)
        assert s["status"] == "stopped" and s["exit_code"] == 0, s
        client.resize(30, 100)  # SIGWINCH, pending until it runs again
        client.kill(signal.SIGCONT)
        rc = client.wait(60)
        out = client.wait_eof()
        assert rc == 0, out[-300:]
        assert out[start:start + len(expected)] == expected, f"got {len(out) - start} of {len(expected)} bytes"
        assert exit_line(sid) in out[start + len(expected):]
    finally:
        client.close()


def test_raw_logs_of_a_large_session(oly, tmp_path, expected):
    sid, flag = gated_session(oly, tmp_path)
    flag.touch()
    oly.wait_status(sid, "stopped", timeout=60)
    p = subprocess.run([str(OLY), "logs", sid, "--raw"], env=oly.env, capture_output=True, timeout=60)
    assert p.returncode == 0 and p.stdout == expected


def test_a_client_that_fell_behind_catches_up_while_the_session_runs(oly):
    """A client whose socket filled up (here: stopped for a while) must be served again as soon as it
    reads — not only when the session ends. (Regression: it was skipped by every later push.)"""
    sid = oly.start_detached("sh", "-c", "i=0; while :; do seq $i $((i+20000)); i=$((i+20001)); sleep 0.02; done")
    p, start = attached(oly, sid)
    try:
        p.kill(signal.SIGSTOP)
        # Enough output for the client's socket and terminal to fill up several times over.
        log = oly.state / "sessions" / sid / "output.log"
        base = log.stat().st_size
        wait_until(lambda: log.stat().st_size > base + 8_000_000, 30, what="8 MB of output while the client is stopped")
        p.kill(signal.SIGCONT)
        have = len(p.output())
        wait_until(lambda: len(p.output()) > have + 4_000_000, 30,
                   what="the resumed client to receive output again while the session runs")
        assert oly.session(sid)["status"] == "running"
    finally:
        oly.run("stop", sid, "--grace", "1")
        p.close()
