# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stricter parsing at the edges (issue 14): what the daemon's Web interface, oly-http's request heads and
static files, the WebSocket bridge and the CLI's option parser refuse, and how. Each test failed before
its fix."""
import json
import os
import socket
import struct
import time

import pytest

from conftest import BUS_NAME, MANAGER_PATH
from httputil import Client, Term, describe, login

WEB = "org.openrelay.Oly1.Web"
SALT = "c2FsdHNhbHRzYWx0c2FsdA"  # 16 bytes
HASH = "A" * 43  # 32 bytes
GOOD = f"$argon2id$v=19$m=19456,t=2,p=1${SALT}${HASH}"


def busctl(o, method, sig="", *args):
    return o.busctl("--json=short", "call", BUS_NAME, MANAGER_PATH, WEB, method, sig, *args)


# ---- the daemon's Web interface ----

BAD_PHC = [
    f"$argon2id$v=19$m=19456,t=2,p=1${SALT}$!!!!",  # not base64
    f"$argon2id$v=19$m=19456,t=2,p=1${SALT}=${HASH}",  # padding
    f"$argon2id$v=19$m=19456,t=2,p=1${SALT}${HASH}=",
    f"$argon2id$v=19$m=19456,t=2,p=1${SALT}${HASH[:-1]}B",  # non-zero trailing bits: not canonical
    f"$argon2id$v=19$m=19456,t=2,p=1${SALT}$A",  # a length no base64 has
    f"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${HASH}",  # a 4-byte salt
    f"$argon2id$v=19$m=19456,t=2,p=1${SALT}$AAAA",  # a 3-byte hash
    f"$argon2id$v=19$m=19456,t=2,p=1${SALT}",  # no hash
    f"$argon2id$v=19$m=19456,t=2,p=1${SALT}${HASH}$",  # a field too many
    f"$argon2id$m=19456,t=2,p=1${SALT}${HASH}",  # no version
    f"$argon2id$v=16$m=19456,t=2,p=1${SALT}${HASH}",  # an old version
    f"$argon2id$v=19$m=0,t=2,p=1${SALT}${HASH}",
    f"$argon2id$v=19$m=19456,t=0,p=1${SALT}${HASH}",
    f"$argon2id$v=19$m=19456,t=2,p=0${SALT}${HASH}",
    f"$argon2id$v=19$m=4294967295,t=2,p=1${SALT}${HASH}",  # 4 TiB per login
    f"$argon2id$v=19$m=99999999999999999999,t=2,p=1${SALT}${HASH}",
    f"$argon2id$v=19$m=19456,t=100000,p=1${SALT}${HASH}",
    f"$argon2id$v=19$m=19456,t=2,p=255${SALT}${HASH}",
    f"$argon2id$v=19$m=019456,t=2,p=1${SALT}${HASH}",  # leading zero
    f"$argon2id$v=19$m=+19456,t=2,p=1${SALT}${HASH}",
    f"$argon2id$v=19$t=2,m=19456,p=1${SALT}${HASH}",  # out of order
    f"$argon2id$v=19$m=19456,t=2${SALT}${HASH}",
    f"$argon2id$v=19$m=19456,t=2,p=1,x=1${SALT}${HASH}",
    f"$argon2id$v=19$m=19456,t=2,p=1${SALT}${HASH}\t",
]


@pytest.mark.parametrize("bad", BAD_PHC)
def test_malformed_argon2id_phc_strings_are_refused(oly, bad):
    """A malformed hash was stored, and then every web login answered 500."""
    p = busctl(oly, "SetPasswordHash", "s", bad)
    assert p.returncode != 0, f"accepted {bad!r}"
    assert "Argon2id" in p.stderr, p.stderr
    p = busctl(oly, "GetPasswordHash")
    assert json.loads(p.stdout)["data"] == [""]


@pytest.mark.parametrize("good", [GOOD, f"$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$dGVzdHRlc3R0ZXN0dGVzdA",
                                  f"$argon2id$v=19$m=8,t=1,p=1${SALT}${HASH}"])
def test_valid_argon2id_phc_strings_are_stored(oly, good):
    assert busctl(oly, "SetPasswordHash", "s", good).returncode == 0
    assert json.loads(busctl(oly, "GetPasswordHash").stdout)["data"] == [good]


@pytest.mark.parametrize("method", ["GetLoginLockout", "RecordLoginFailure", "ResetLoginFailures"])
@pytest.mark.parametrize("bad", ["", "1.2.3", "999.1.1.1", "zzzz", "*", "::g", "1.2.3.4 ", "a" * 80])
def test_login_methods_refuse_what_is_not_a_client_address(oly, method, bad):
    p = busctl(oly, method, "s", bad)
    assert p.returncode != 0 and "Invalid client address" in p.stderr, (bad, p.stdout, p.stderr)


@pytest.mark.parametrize("good", ["192.0.2.1", "2001:db8::1", "local"])
def test_login_methods_take_client_addresses(oly, good):
    for method in ("GetLoginLockout", "RecordLoginFailure", "ResetLoginFailures"):
        assert busctl(oly, method, "s", good).returncode == 0


# ---- request heads ----

def exchange(o, data, timeout=5):
    """Sends data on a new connection; returns what came back until the server closed or went quiet."""
    with socket.create_connection(("127.0.0.1", o.http_port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                b = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not b:
                break
            out += b
        return out


def status(answer):
    assert answer.startswith(b"HTTP/1."), answer[:300]
    return int(answer.split(b" ", 2)[1])


def test_http11_request_without_host_is_400(oly_http):
    assert status(exchange(oly_http, b"GET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n")) == 400
    # HTTP/1.0 has no Host requirement.
    assert status(exchange(oly_http, b"GET /api/health HTTP/1.0\r\n\r\n")) == 200


def test_http11_request_without_host_later_on_a_connection_is_400(oly_http):
    """The router peeks at the first request only; the next on a kept-alive connection is MHD's."""
    host = f"Host: 127.0.0.1:{oly_http.http_port}\r\n".encode()
    answer = exchange(oly_http, b"GET /api/health HTTP/1.1\r\n" + host + b"\r\n"
                      b"GET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200") == 1, answer
    assert b"HTTP/1.1 400" in answer, answer


def test_two_host_headers_are_400(oly_http):
    host = f"Host: 127.0.0.1:{oly_http.http_port}\r\n".encode()
    assert status(exchange(oly_http, b"GET /api/health HTTP/1.1\r\n" + host + host +
                           b"Connection: close\r\n\r\n")) == 400


@pytest.mark.parametrize("line", [b"GARBAGE", b"hello world", b"GET", b"GET /", b"GET / HTTP/9.9", b"GET / FTP/1.1",
                                  b"GET  / HTTP/1.1", b"G\x01T / HTTP/1.1", b"GET /\x7f HTTP/1.1",
                                  b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"])
def test_garbage_request_lines_get_400(oly_http, line):
    """They were dropped in silence (or after the head timeout)."""
    host = f"Host: 127.0.0.1:{oly_http.http_port}\r\n".encode()
    t0 = time.monotonic()
    answer = exchange(oly_http, line + b"\r\n" + host + b"\r\n")
    assert status(answer) == 400, answer
    assert time.monotonic() - t0 < 3, "the answer waited for a timeout"
    body = answer.split(b"\r\n\r\n", 1)[1]
    assert json.loads(body)["error"]["code"] == "bad_request"


def test_garbage_before_the_end_of_the_head_gets_400_at_once(oly_http):
    """A request line that cannot be HTTP is refused as soon as it is complete, not after 10 s."""
    t0 = time.monotonic()
    answer = exchange(oly_http, b"\x00\x01binary garbage\r\n")
    assert status(answer) == 400 and time.monotonic() - t0 < 3, answer


@pytest.mark.parametrize("path", ["/%00", "/index.html%00", "/index.html%00.js", "/app.js%00", "/%00/../index.html"])
def test_nul_in_a_static_path_is_404(oly_http, path):
    host = f"Host: 127.0.0.1:{oly_http.http_port}\r\n".encode()
    answer = exchange(oly_http, f"GET {path} HTTP/1.1\r\n".encode() + host + b"Connection: close\r\n\r\n")
    assert status(answer) == 404, answer


# ---- WebSocket frames ----

def close_code(t, timeout=10):
    """Reads frames until the server's close frame; returns its status code."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        op, data = t.recv(deadline - time.monotonic())
        if op == "close":
            assert len(data) >= 2, f"closed without a status: {data!r}"
            return struct.unpack("!H", data[:2])[0]
    raise AssertionError("no close frame")


def frame(opcode, payload, mask=b"\x11\x22\x33\x44"):
    head = bytes([0x80 | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    head += bytes([bit | n]) if n < 126 else bytes([bit | 126]) + struct.pack("!H", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


@pytest.fixture
def term(oly_http):
    api = Client(oly_http)
    sid = api.create(["sh", "-c", "echo ready; sleep 60"])["id"]
    t = Term(oly_http, sid, api.token)
    t.wait_output("ready")
    yield t
    t.close()


def test_unmasked_client_frame_closes_with_1002(term):
    """RFC 6455 §5.1: a server must close the connection on an unmasked client frame."""
    term.ws.sock.sendall(frame(0x2, b"ix", mask=None))
    assert close_code(term) == 1002
    # Then the connection ends, although the browser never answers the close.
    sock = term.ws.sock
    sock.settimeout(15)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass


def test_invalid_utf8_in_a_text_frame_closes_with_1007(term):
    """RFC 6455 §8.1: text frames carry UTF-8; anything else fails the connection with 1007."""
    term.ws.sock.sendall(frame(0x1, b"i\xff\xfe"))
    assert close_code(term) == 1007


def test_valid_text_and_masked_binary_frames_still_work(term):
    term.ws.sock.sendall(frame(0x1, "iécho\n".encode()))
    term.ws.sock.sendall(frame(0x2, b"i\xff"))
    term.send("p", b"x")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        op, data = term.recv(deadline - time.monotonic())
        assert op != "close", data
        if op == "P":
            break


# ---- the CLI's options ----

@pytest.mark.parametrize("args,shown", [
    (["ls", "--bogus"], "--bogus"),
    (["ls", "--bogus=1"], "--bogus"),
    (["start", "--nope", "x"], "--nope"),
    (["ls", "-Z"], "-Z"),
    (["ls", "--json", "-Zh"], "-Z"),  # a letter in the middle of a group
    (["stop", "--grace"], "--grace"),
    (["ls", "--json=yes"], "--json"),
    (["logs", "--tail"], "--tail"),
    (["daemon", "start", "--bogus"], "--bogus"),
    (["daemon", "stop", "-Q"], "-Q"),
    (["send", "--what", "x"], "--what"),
    (["attach", "--x"], "--x"),
    (["notify", "--y", "x", "on"], "--y"),
])
def test_unknown_cli_options_are_one_usage_line(oly_env, args, shown):
    """getopt printed its own line ("ls: unrecognized option '--bogus'") before oly's "oly: invalid
    option.": every usage error is one "oly: ..." line naming the problem, then where to look."""
    p = oly_env.run(*args)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    verb = f"daemon {args[1]}" if args[0] == "daemon" else args[0]
    assert len(lines) == 2, p.stderr
    assert lines[0].startswith("oly: ") and f"'{shown}'" in lines[0], p.stderr
    assert lines[1] == f"Try 'oly {verb} --help'.", p.stderr
