# SPDX-License-Identifier: LGPL-2.1-or-later
"""WebSocket attach (GET /api/sessions/{id}/attach), the web terminal's connection: hello, snapshot and
live output, input, resize, ping, the exit frame, the refusals before the upgrade, and a slow browser that
must never stall the session."""
import json
import socket
import struct
import time

import pytest
import websocket

from conftest import wait_log
from httputil import NO_SUCH_ID, Client, Term, get_token, ws_url


@pytest.fixture
def token(oly_http):
    return get_token(oly_http)


def handshake_status(o, sid, token=None, **kw):
    """The HTTP status of a refused upgrade (AssertionError if it was accepted)."""
    header = [f"Authorization: Bearer {token}"] if token else []
    try:
        ws = websocket.create_connection(ws_url(o, sid), header=header, timeout=15, **kw)
    except websocket.WebSocketBadStatusException as e:
        return e.status_code
    ws.close()
    raise AssertionError("the WebSocket upgrade was accepted")


def test_hello_snapshot_then_output_and_input(oly_http, token):
    """A browser attaching sees the screen as it is, then live output; what it types reaches the program."""
    sid = oly_http.start_detached("sh", "-c", 'echo early-output; read x; echo "ws-got-[$x]"; exec sleep 1000')
    wait_log(oly_http, sid, "early-output\r\n")
    with Term(oly_http, sid, token) as t:
        op, payload = t.recv()
        assert op == "h", (op, payload[:100])
        hello = json.loads(payload)
        assert set(hello) == {"rows", "cols"} and hello["rows"] > 0 and hello["cols"] > 0
        op, payload = t.recv()
        assert op == "s", (op, payload[:100])
        assert b"early-output" in payload
        t.send("i", b"typed\r")
        t.wait_output("ws-got-[typed]")
        assert {op for op, _ in t.frames[2:]} <= {"o"}, [op for op, _ in t.frames]
        assert b"ws-got-[typed]" not in t.frames[1][1]
    wait_log(oly_http, sid, "ws-got-[typed]")


def test_hello_has_the_session_size(oly_http, token):
    """The browser sizes its terminal from the hello before drawing the snapshot."""
    s = Client(oly_http, token).create(["sleep", "1000"], rows=30, cols=100)
    with Term(oly_http, s["id"], token) as t:
        op, payload = t.recv()
        assert op == "h"
        assert json.loads(payload) == {"rows": 30, "cols": 100}


OVERWRITE = r"printf 'abc\rXY\n'; echo all-printed; exec sleep 1000"


def test_replay_sends_the_raw_output_from_the_first_byte(oly_http, token):
    """?replay=1: the output exactly as the program wrote it (here a carriage-return overwrite), not a
    rendered screen."""
    sid = oly_http.start_detached("sh", "-c", OVERWRITE)
    log = wait_log(oly_http, sid, "all-printed\r\n")
    with Term(oly_http, sid, token, replay=True) as t:
        assert t.recv()[0] == "h"
        out = t.wait_output("all-printed\r\n")
        assert log in out, (log, out)


def test_snapshot_is_the_rendered_screen(oly_http, token):
    """Without replay the browser gets the rendered screen (the overwrite done), not the raw bytes."""
    sid = oly_http.start_detached("sh", "-c", OVERWRITE)
    wait_log(oly_http, sid, "all-printed\r\n")
    with Term(oly_http, sid, token) as t:
        assert t.recv()[0] == "h"
        op, snap = t.recv()
        assert op == "s"
        assert b"XYc" in snap and b"all-printed" in snap
        assert b"abc\rXY" not in snap


def test_resize_changes_the_session_size(oly_http, token):
    """Resizing the browser window resizes the session's terminal."""
    sid = oly_http.start_detached("sh", "-c", "echo size-ready; while read -r a; do echo size=$(stty size); done")
    wait_log(oly_http, sid, "size-ready")
    with Term(oly_http, sid, token) as t:
        t.wait_frame("s")
        t.send("r", struct.pack(">HH", 33, 101))
        t.send("i", b"\r")
        t.wait_output("size=33 101")
    wait_log(oly_http, sid, "size=33 101")


def test_ping_is_answered_with_the_same_payload(oly_http, token):
    """The browser measures its link with p/P; the payload comes back unchanged."""
    sid = oly_http.start_detached("sleep", "1000")
    with Term(oly_http, sid, token) as t:
        t.wait_frame("s")
        for payload in (b"latency-probe-1", b"", bytes(range(125))):
            t.send("p", payload)
            assert t.wait_frame("P") == payload


def test_exit_frame_then_close(oly_http, token):
    """When the program ends the browser gets its status and exit code, then the connection closes."""
    sid = oly_http.start_detached("sh", "-c", "read x; echo bye; exit 3")
    with Term(oly_http, sid, token) as t:
        t.wait_frame("s")
        t.send("i", b"\r")
        payload = t.wait_frame("x")
        assert json.loads(payload) == {"status": "failed", "exit_code": 3}
        assert b"bye" in t.output()
        deadline = time.monotonic() + 10
        while not t.closed:
            assert time.monotonic() < deadline, "the server did not close after the exit frame"
            op, _ = t.recv(10)
            assert op in ("close", "o", "n"), op


def test_closing_the_browser_leaves_the_session_running(oly_http, token):
    """Closing the tab is a detach, not a stop; a later attach works."""
    sid = oly_http.start_detached("sh", "-c", 'while read -r a; do echo "got-[$a]"; done')
    with Term(oly_http, sid, token) as t:
        t.wait_frame("s")
    oly_http.ok("send", sid, "still-here", "key:enter")
    wait_log(oly_http, sid, "got-[still-here]")
    assert oly_http.session(sid)["status"] == "running"
    with Term(oly_http, sid, token) as t:
        t.wait_output("got-[still-here]")


def test_two_browsers_see_the_same_output(oly_http, token):
    """Two tabs on one session both see what either types."""
    sid = oly_http.start_detached("sh", "-c", 'while read -r a; do echo "got-[$a]"; done')
    with Term(oly_http, sid, token) as a, Term(oly_http, sid, token) as b:
        a.wait_frame("s")
        b.wait_frame("s")
        a.send("i", b"from-a\r")
        a.wait_output("got-[from-a]")
        b.wait_output("got-[from-a]")


def test_cookie_authenticates_and_no_origin_is_allowed(oly_http, token):
    """A browser sends the cookie (and its Origin); a command-line client sends a token and no Origin."""
    sid = oly_http.start_detached("sleep", "1000")
    ws = websocket.create_connection(ws_url(oly_http, sid), cookie=f"oly_token={token}", timeout=15)
    ws.close()
    ws = websocket.create_connection(ws_url(oly_http, sid), header=[f"Authorization: Bearer {token}"],
                                     suppress_origin=True, timeout=15)
    ws.close()


def test_unknown_session_is_404(oly_http, token):
    """The upgrade is refused with 404 for an id that matches nothing."""
    oly_http.start_detached("sleep", "1000")
    assert handshake_status(oly_http, NO_SUCH_ID, token) == 404


def test_ended_session_is_409(oly_http, token):
    """An ended session cannot be attached to (the UI shows its logs instead)."""
    sid = oly_http.start_detached("true")
    oly_http.wait_status(sid, "stopped")
    assert handshake_status(oly_http, sid, token) == 409


def test_prefix_attaches(oly_http, token):
    """A unique id prefix attaches, as everywhere else."""
    sid = oly_http.start_detached("sh", "-c", "echo prefix-marker; exec sleep 1000")
    wait_log(oly_http, sid, "prefix-marker")
    with Term(oly_http, sid[:4], token) as t:
        t.wait_output("prefix-marker")


@pytest.mark.parametrize("tok", [None, "garbage", "A" * 43])
def test_no_valid_token_is_401(oly_http, tok):
    """Without a valid login the upgrade is refused before any terminal is opened."""
    sid = oly_http.start_detached("sh", "-c", 'while read -r a; do echo "got-[$a]"; done')
    assert handshake_status(oly_http, sid, tok) == 401


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:{other}"])
def test_cross_origin_websocket_is_403(oly_http, token, origin):
    """Cross-site WebSocket hijacking: a page elsewhere must not attach with the user's cookie."""
    sid = oly_http.start_detached("sleep", "1000")
    origin = origin.format(other=oly_http.http_port + 1)
    header = [f"Authorization: Bearer {token}"]
    try:
        ws = websocket.create_connection(ws_url(oly_http, sid), header=header, origin=origin, timeout=15)
    except websocket.WebSocketBadStatusException as e:
        assert e.status_code == 403
    else:
        ws.close()
        raise AssertionError(f"a WebSocket from Origin {origin} was accepted")


def test_oversized_message_closes_with_1009(oly_http, token):
    """A message over 1 MiB closes the connection with 1009 (too big); the session and the server carry on."""
    sid = oly_http.start_detached("sh", "-c", 'stty raw -echo; echo raw-ready; exec cat > /dev/null')
    wait_log(oly_http, sid, "raw-ready")
    with Term(oly_http, sid, token) as t:
        t.wait_frame("s")
        try:
            t.send("i", b"a" * (1024 * 1024 + 16))
        except (BrokenPipeError, ConnectionResetError, websocket.WebSocketConnectionClosedException):
            pass
        deadline = time.monotonic() + 15
        code = None
        while time.monotonic() < deadline:
            t.ws.settimeout(deadline - time.monotonic())
            try:
                opcode, data = t.ws.recv_data(control_frame=True)
            except (websocket.WebSocketConnectionClosedException, ConnectionResetError):
                break
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                code = struct.unpack(">H", data[:2])[0] if len(data) >= 2 else None
                break
        assert code == 1009, f"closed with {code}"
    assert oly_http.session(sid)["status"] == "running"
    assert Client(oly_http, token).ok("GET", "/api/health")["status"] == "ok"


FLOOD = "read x; yes flood-line-of-output | head -n 800000; echo flood-done"


def slow_term(o, sid, token):
    """A WebSocket client with a tiny receive window that will stop reading: far more output than every
    buffer on the way (the bridge's frame, both sockets) can hold is going to come."""
    t = Term(o, sid, token, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    t.wait_frame("s")
    return t


def test_slow_browser_does_not_stall_the_session(oly_http, token):
    """A browser that stops reading while the session floods output (a background tab, a bad link) must
    not block the program: it runs to its end, and 'oly logs' has all of it."""
    sid = oly_http.start_detached("sh", "-c", FLOOD)
    slow = slow_term(oly_http, sid, token)
    try:
        slow.send("i", b"go\r")  # the slow browser starts the flood, then never reads again
        s = oly_http.wait_status(sid, ("stopped", "failed", "killed"), timeout=180)
        assert s["status"] == "stopped"
        log = wait_log(oly_http, sid, "flood-done\r\n")
        assert log.count(b"flood-line-of-output\r\n") == 800000
        assert oly_http.ok("logs", "--tail", "2", sid) == "flood-line-of-output\nflood-done\n"
    finally:
        slow.close()
    assert Client(oly_http, token).ok("GET", "/api/health")["status"] == "ok"


def test_slow_browser_does_not_hold_up_another(oly_http, token):
    """While one browser sits on its backlog, another one attached to the same session sees the output
    live to the end, and the session still takes input."""
    sid = oly_http.start_detached("sh", "-c", FLOOD + "; exec sleep 1000")
    slow = slow_term(oly_http, sid, token)
    try:
        with Term(oly_http, sid, token) as fast:
            fast.wait_frame("s")
            slow.send("i", b"go\r")
            fast.wait_output("flood-done", timeout=180)
            assert oly_http.session(sid)["status"] == "running"
            oly_http.ok("send", sid, "key:ctrl+c")
            payload = fast.wait_frame("x", timeout=30)
            assert json.loads(payload)["status"] in ("failed", "killed", "stopped")
    finally:
        slow.close()
    assert Client(oly_http, token).ok("GET", "/api/health")["status"] == "ok"
