# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly-http under hostile or careless clients: what a peer that leaves, lies, floods or probes the edges
of the parsers can make it hold or do. Each test is the regression test of a bug found in review."""
import json
import os
import socket
import time

import pytest
import requests

from conftest import wait_until
from httputil import Client, assert_error, bearer, describe, get_token, http_pid, url


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def settled_fds(pid, timeout=3.0):
    """The fd count once it stopped moving (connections of earlier requests finish closing)."""
    last, stable_since = fd_count(pid), time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.05)
        n = fd_count(pid)
        if n != last:
            last, stable_since = n, time.monotonic()
        elif time.monotonic() - stable_since > 0.3:
            break
    return last


def raw_request(o, data, timeout=10, read=True):
    """Sends bytes as they are on a new connection; returns everything the server answered until it closed
    (or timeout)."""
    s = socket.create_connection(("127.0.0.1", o.http_port), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return b""
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            out += b
        return out
    finally:
        s.close()


def status_of(answer):
    assert answer.startswith(b"HTTP/1."), answer[:200]
    return int(answer.split(b" ", 2)[1])


def head_request(o, method, path, headers=(), body=b""):
    h = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{o.http_port}", "Connection: close", *headers]
    if body:
        h.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


# ---- peers that leave ----

def test_closed_event_streams_release_their_sockets(oly_http):
    """An idle event stream is parked in MHD, which does not watch its socket: a client that left was only
    noticed at the next heartbeat (15-30 s), each holding an fd, buffers and one of the stream slots."""
    token = get_token(oly_http)
    pid = http_pid(oly_http)
    base = settled_fds(pid)
    socks = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", oly_http.http_port), timeout=10)
        s.sendall(head_request(oly_http, "GET", "/api/events", [f"Authorization: Bearer {token}"])
                  .replace(b"Connection: close\r\n", b""))
        socks.append(s)
    for s in socks:  # each got its snapshot: the stream is open and parked
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
    wait_until(lambda: fd_count(pid) >= base + 50, 5, what="50 open streams")
    for s in socks:
        s.close()
    wait_until(lambda: fd_count(pid) <= base + 1, 2.5, what=f"the fd count to drop back to {base}")
    # The streams still work for the next client.
    with socket.create_connection(("127.0.0.1", oly_http.http_port), timeout=10) as s:
        s.sendall(head_request(oly_http, "GET", "/api/events", [f"Authorization: Bearer {token}"]))
        assert s.recv(4096).startswith(b"HTTP/1.1 200")


def test_client_leaving_a_slow_request_releases_the_connection(oly_http):
    """A request waiting for the daemon (here a stop with a long grace) is parked too: a client that gave up
    held its connection until the daemon answered, up to the grace period plus the call timeout."""
    api = Client(oly_http)
    sid = api.create(["sh", "-c", "trap '' TERM HUP INT; echo ready; sleep 300"])["id"]
    wait_until(lambda: b"ready" in (oly_http.state / "sessions" / sid / "output.log").read_bytes(), 10,
               what="the session to start")
    pid = http_pid(oly_http)
    base = settled_fds(pid)
    body = json.dumps({"grace_seconds": 120}).encode()
    s = socket.create_connection(("127.0.0.1", oly_http.http_port), timeout=10)
    s.sendall(head_request(oly_http, "POST", f"/api/sessions/{sid}/stop",
                           [f"Authorization: Bearer {api.token}", "Content-Type: application/json"], body))
    wait_until(lambda: api.session(sid)["status"] == "stopping", 10, what="the stop to be in flight")
    assert fd_count(pid) >= base + 1
    s.close()
    wait_until(lambda: fd_count(pid) <= base, 2.5, what=f"the fd count to drop back to {base}")
    # The daemon still does what was asked, and oly-http goes on serving.
    assert api.session(sid)["status"] == "stopping"
    api.ok("POST", f"/api/sessions/{sid}/kill", json={"signal": "KILL"})


# ---- login lockout ----

def test_overlapping_logins_cannot_outrun_the_lockout(oly_http):
    """The lockout is checked before the (slow) password check and a failure recorded after it: 40 guesses
    sent at once all passed the check, and all 40 were verified instead of 3 per lockout window. One login
    per client address is verified at a time; the others are told to retry."""
    import threading
    statuses = []

    def guess(i):
        r = requests.post(url(oly_http, "/api/auth/login"), json={"password": f"guess {i}"}, timeout=60)
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert_error(r, 429)
            assert int(r.headers["Retry-After"]) >= 1

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 40
    assert statuses.count(401) <= 3, sorted(statuses)
    assert set(statuses) <= {401, 429}, sorted(statuses)


def test_password_with_a_nul_is_refused(oly_http):
    """The password is verified as a C string: "secret\\0anything" would have passed as "secret"."""
    r = requests.post(url(oly_http, "/api/auth/login"), json={"password": oly_http.password + "\0x"}, timeout=30)
    assert_error(r, 400)
    r = requests.post(url(oly_http, "/api/auth/login"), json={"password": oly_http.password}, timeout=30)
    assert r.status_code == 200, describe(r)


# ---- request bodies ----

def test_command_string_with_a_nul_is_refused(oly_http):
    """A NUL in the command string cut it short: {"command": "tr\\u0000ue"} ran "tr"."""
    api = Client(oly_http)
    r = api.post("/api/sessions", data=b'{"command": "echo hi\\u0000; rm -rf x"}')
    assert_error(r, 400)
    r = api.post("/api/sessions/zzzzzzzz/input", data=b'{"chunks": ["key:enter\\u0000junk"]}')
    assert_error(r, 400)
    assert api.ok("GET", "/api/sessions")["sessions"] == []


# ---- the peeked head of WebSocket attach requests ----

def ws_head(o, sid, headers):
    return head_request(o, "GET", f"/api/sessions/{sid}/attach",
                        ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13",
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", *headers]).replace(
        f"Host: 127.0.0.1:{o.http_port}\r\n".encode(), b"")


def test_attach_origin_is_compared_whole(oly_http):
    """Host and Origin were cut to 256 bytes before being compared: an Origin whose first 249 bytes after
    "http://" equal a long Host passed the check."""
    token = get_token(oly_http)
    host = "a" * 249
    answer = raw_request(oly_http, ws_head(oly_http, "zzzzzzzz", [f"Host: {host}", f"Origin: http://{host}.evil.example",
                                                                   f"Authorization: Bearer {token}"]))
    assert status_of(answer) == 403, answer[:300]
    # The same Host with its own Origin passes the check (and finds no such session).
    answer = raw_request(oly_http, ws_head(oly_http, "zzzzzzzz", [f"Host: {host}", f"Origin: http://{host}",
                                                                   f"Authorization: Bearer {token}"]))
    assert status_of(answer) == 404, answer[:300]


# ---- the session list, written without json-c ----

def test_session_list_is_written_like_the_single_session(oly_http):
    """GET /api/sessions writes its JSON straight from the daemon's reply (it was the costliest route);
    each row must be byte for byte what GET /api/sessions/{id} (json-c) answers: escapes, nulls, times."""
    api = Client(oly_http)
    awkward = 'q"b\\s/l\tt\nn\x01\x1f\x7f é ✓ 𝄞'
    api.create(["true"])
    api.create(["sh", "-c", "sleep 300", awkward, ""], title=awkward)
    api.create(["sh", "-c", "exit 3"], title="")
    sid = api.create(["sleep", "300"], title="x")["id"]
    api.ok("PUT", f"/api/sessions/{sid}/notifications", json={"enabled": False})
    wait_until(lambda: sum(s["status"] != "running" for s in api.ok("GET", "/api/sessions")["sessions"]) >= 2, 10,
               what="two sessions to end")
    raw = api.get("/api/sessions").content
    listing = json.loads(raw)
    assert len(listing["sessions"]) == 4 and listing["next"] is None
    for s in listing["sessions"]:
        one = api.get(f"/api/sessions/{s['id']}").content
        assert json.dumps(s, ensure_ascii=False, separators=(",", ":")).encode() in raw
        assert one in raw, (one, raw)
    # Pages: the rows and the cursor cut from the same buffer.
    first = api.ok("GET", "/api/sessions", params={"limit": 3})
    assert [s["id"] for s in first["sessions"]] == [s["id"] for s in listing["sessions"][:3]]
    rest = api.ok("GET", "/api/sessions", params={"limit": 3, "before": first["next"]})
    assert rest == {"sessions": listing["sessions"][3:], "next": None}
    assert api.ok("GET", "/api/sessions", params={"search": "no such thing"}) == {"sessions": [], "next": None}


# ---- DNS rebinding without authentication ----

@pytest.fixture
def oly_http_no_auth(oly_env):
    oly_env.http_start(no_auth=True)
    return oly_env


def req_with_host(o, method, path, host, headers=()):
    h = head_request(o, method, path, [f"Host: {host}", *headers]).replace(
        f"Host: 127.0.0.1:{o.http_port}\r\n".encode(), b"", 1)
    return status_of(raw_request(o, h))


def test_without_auth_only_loopback_host_names_are_served(oly_http_no_auth):
    """With --no-auth a page on any name that resolves to 127.0.0.1 (DNS rebinding) would be same-origin
    with the API: only requests addressed to a loopback name are answered."""
    o = oly_http_no_auth
    p = o.http_port
    for host in (f"127.0.0.1:{p}", f"localhost:{p}", f"LOCALHOST:{p}", f"[::1]:{p}", f"127.1.2.3:{p}", "localhost"):
        assert req_with_host(o, "GET", "/api/sessions", host) == 200, host
    for host in (f"evil.example:{p}", "evil.example", f"127.0.0.1.evil.example:{p}", f"[::2]:{p}", "::1", ""):
        assert req_with_host(o, "GET", "/api/sessions", host) == 403, host
        assert req_with_host(o, "GET", "/", host) == 403, host
    sid = o.start_detached("sleep", "1000")
    answer = raw_request(o, ws_head(o, sid, [f"Host: evil.example:{p}", f"Origin: http://evil.example:{p}"]))
    assert status_of(answer) == 403, answer[:300]


def test_with_auth_a_gateway_host_name_is_served(oly_http):
    """Behind an authenticating gateway or tunnel the Host is the gateway's name: with a password that is
    fine (a rebinding page has no token)."""
    token = get_token(oly_http)
    assert req_with_host(oly_http, "GET", "/api/sessions", "oly.example.com",
                         [f"Authorization: Bearer {token}"]) == 200
