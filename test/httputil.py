# SPDX-License-Identifier: LGPL-2.1-or-later
"""Helpers shared by the oly-http tests (test_http_*.py): logging in, an authenticated client, the one
error shape, finding and restarting the oly-http child of a test daemon, a server-sent-events reader on a
raw socket, and a WebSocket attach client (python3-websocket)."""
import json
import os
import re
import signal
import socket
import subprocess
import time

import requests
import websocket

from conftest import OLY, OLY_HTTP, pid_alive, wait_until

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
SESSION_FIELDS = {"id", "title", "command", "args", "cwd", "status", "pid", "exit_code", "created_at", "started_at",
                  "ended_at", "input_needed", "notifications_enabled"}
ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 429: "too_many_requests",
               500: "internal", 503: "unavailable"}
NO_SUCH_ID = "zzzzzzzz"  # a well-formed id (the alphabet has z) that no test creates


def describe(r):
    """A response, for assertion messages."""
    body = r.content[:600]
    return f"{r.request.method} {r.request.url} -> {r.status_code}\nheaders: {dict(r.headers)}\nbody: {body!r}"


def assert_error(r, status, code=None):
    """r is an error response with the contract's one shape: {"error": {"code", "message"}}, the code
    matching the status and a one-line message. Returns the error object."""
    assert r.status_code == status, describe(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), describe(r)
    body = r.json()
    assert set(body) == {"error"}, describe(r)
    e = body["error"]
    assert set(e) == {"code", "message"}, describe(r)
    assert e["code"] == (code or ERROR_CODES[status]), describe(r)
    assert isinstance(e["message"], str) and e["message"].strip() and "\n" not in e["message"], describe(r)
    return e


def url(o, path):
    return o.http_url + path


def login(o, password=None, headers=None):
    """POST /api/auth/login; returns the response."""
    return requests.post(url(o, "/api/auth/login"), json={"password": o.password if password is None else password},
                         headers=headers or {}, timeout=30)


def get_token(o, password=None):
    r = login(o, password)
    assert r.status_code == 200, describe(r)
    t = r.json()["token"]
    assert TOKEN_RE.match(t), t
    return t


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


class Client:
    """requests against one oly-http, with a Bearer token (logged in on creation unless token=False)."""

    def __init__(self, o, token=None):
        self.o = o
        self.s = requests.Session()
        if token is None:
            token = get_token(o)
        self.token = token or None
        if self.token:
            self.s.headers.update(bearer(self.token))

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 60)
        return self.s.request(method, url(self.o, path), **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def ok(self, method, path, status=200, **kw):
        """The request must answer status; returns the parsed JSON body (None for an empty one)."""
        r = self.request(method, path, **kw)
        assert r.status_code == status, describe(r)
        return r.json() if r.content else None

    def session(self, sid):
        return self.ok("GET", f"/api/sessions/{sid}")

    def create(self, command, status=201, **fields):
        return self.ok("POST", "/api/sessions", status, json={"command": command, **fields})

    def logs(self, sid, **params):
        return self.ok("GET", f"/api/sessions/{sid}/logs", params=params)


# ---- the oly-http process ----

def children(pid):
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except FileNotFoundError:
        pass
    return out


def http_pid(o):
    """The pid of the oly-http child of o's daemon, or None."""
    want = os.path.realpath(OLY_HTTP)
    for c in children(o.daemon_pid):
        try:
            if os.path.realpath(f"/proc/{c}/exe") == want and pid_alive(c):
                return c
        except OSError:
            pass
    return None


def healthy(o):
    try:
        return requests.get(url(o, "/api/health"), timeout=2).status_code == 200
    except requests.RequestException:
        return False


def restart_http(o):
    """Kills o's oly-http (SIGKILL: no goodbye), waits for the daemon to start a new one and for it to
    serve. Returns the new pid."""
    old = wait_until(lambda: http_pid(o), 10, what="the oly-http child of the daemon")
    os.kill(old, signal.SIGKILL)
    wait_until(lambda: not pid_alive(old), 10, what=f"oly-http {old} to die")
    new = wait_until(lambda: (p := http_pid(o)) and p != old and p, 15, what="the daemon to restart oly-http")
    wait_until(lambda: healthy(o), 15, what="the restarted oly-http to answer /api/health")
    return new


def run_without_tty(o, *args, timeout=60):
    """oly with standard input /dev/null and no controlling terminal (a new session), as from cron."""
    return subprocess.run([str(OLY), *map(str, args)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, env=o.env, start_new_session=True)


# ---- server-sent events ----

class Sse:
    """GET /api/events on a raw socket (chunked transfer decoded here), parsed into events:
    dicts with "event", "id", "data" (parsed JSON) and "raw"."""

    def __init__(self, o, token=None, last_event_id=None, headers=None, timeout=15):
        self.sock = socket.create_connection(("127.0.0.1", o.http_port), timeout=timeout)
        h = {"Host": f"127.0.0.1:{o.http_port}", "Accept": "text/event-stream"}
        if token:
            h.update(bearer(token))
        if last_event_id is not None:
            h["Last-Event-ID"] = last_event_id
        h.update(headers or {})
        req = "GET /api/events HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
        self.sock.sendall(req.encode())
        self.raw = b""
        self.body = b""  # decoded, not yet parsed into events
        self.chunked = False
        self.eof = False
        self.events = []   # parsed, not yet returned
        self.seen = []     # every event returned so far
        self.comments = []
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.raw:
            self._recv(deadline)
            if self.eof:
                break
        head, _, self.raw = self.raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1]) if lines[0].startswith("HTTP/") else 0
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        self._decode()

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _recv(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return
        self.sock.settimeout(left)
        try:
            b = self.sock.recv(65536)
        except socket.timeout:
            return
        if not b:
            self.eof = True
        self.raw += b

    def _decode(self):
        if not self.chunked:
            self.body += self.raw
            self.raw = b""
        else:
            while True:
                i = self.raw.find(b"\r\n")
                if i < 0:
                    break
                size = int(self.raw[:i].split(b";")[0], 16)
                if size == 0:
                    self.eof = True
                    self.raw = b""
                    break
                if len(self.raw) < i + 2 + size + 2:
                    break
                self.body += self.raw[i + 2:i + 2 + size]
                self.raw = self.raw[i + 2 + size + 2:]
        text = self.body.replace(b"\r\n", b"\n")
        while b"\n\n" in text:
            block, _, text = text.partition(b"\n\n")
            ev = {"event": "message", "id": None, "data": None, "raw": block.decode()}
            data = []
            for line in block.decode().split("\n"):
                if line.startswith(":"):
                    self.comments.append(line)
                    continue
                k, _, v = line.partition(":")
                v = v[1:] if v.startswith(" ") else v
                if k == "event":
                    ev["event"] = v
                elif k == "id":
                    ev["id"] = v
                elif k == "data":
                    data.append(v)
            if data:
                joined = "\n".join(data)
                try:
                    ev["data"] = json.loads(joined)
                except ValueError:
                    ev["data"] = joined
                self.events.append(ev)
        self.body = text

    def next(self, timeout=15):
        """The next event; AssertionError if none arrives in time."""
        deadline = time.monotonic() + timeout
        while not self.events:
            if self.eof:
                raise AssertionError(f"the event stream ended; events so far: {self._summary()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no event within {timeout}s; events so far: {self._summary()}")
            self._recv(deadline)
            self._decode()
        ev = self.events.pop(0)
        self.seen.append(ev)
        return ev

    def wait_for(self, pred, timeout=20, what="an event"):
        """Skips events until pred(event) holds; returns that event."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}; events: {self._summary()}")
            try:
                ev = self.next(left)
            except AssertionError as e:
                raise AssertionError(f"waiting for {what}: {e}") from None
            if pred(ev):
                return ev

    def _summary(self):
        return [(e["event"], e["id"], (e["data"] or {}).get("id") if isinstance(e["data"], dict) else e["data"])
                for e in self.seen[-30:]]


def is_event(name, sid=None):
    return lambda ev: ev["event"] == name and (sid is None or (isinstance(ev["data"], dict)
                                                              and ev["data"].get("id") == sid))


# ---- WebSocket attach ----

def ws_url(o, sid, replay=False):
    return f"ws://127.0.0.1:{o.http_port}/api/sessions/{sid}/attach" + ("?replay=1" if replay else "")


class Term:
    """A WebSocket attach connection: binary frames, first byte the opcode."""

    def __init__(self, o, sid, token, replay=False, **kw):
        header = [f"Authorization: Bearer {token}"] if token else []
        kw.setdefault("timeout", 15)
        self.ws = websocket.create_connection(ws_url(o, sid, replay), header=header, **kw)
        self.frames = []  # (opcode char, payload) received so far
        self.out = bytearray()  # the payloads of snapshot and output frames, in order
        self.searched = 0  # how much of out wait_output has searched
        self.closed = False

    def close(self):
        self.ws.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, op, payload=b""):
        self.ws.send_binary(op.encode() + payload)

    def recv(self, timeout=15):
        """The next frame as (opcode char, payload); ("close", b"") when the server closed. Raises
        websocket.WebSocketTimeoutException after timeout seconds without one."""
        deadline = time.monotonic() + timeout
        while True:
            # Short socket timeouts: the library keeps reading through control frames (pings) on its own,
            # so a long one would never end while those trickle in. A partly read frame is kept.
            self.ws.settimeout(max(0.01, min(0.5, deadline - time.monotonic())))
            try:
                opcode, data = self.ws.recv_data()
                break
            except websocket.WebSocketTimeoutException:
                if time.monotonic() >= deadline:
                    raise
            except (websocket.WebSocketConnectionClosedException, ConnectionResetError):
                self.closed = True
                return ("close", b"")
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            self.closed = True
            return ("close", data)
        assert opcode == websocket.ABNF.OPCODE_BINARY, f"a non-binary frame (opcode {opcode}): {data[:100]!r}"
        assert data, "an empty frame (no opcode byte)"
        f = (chr(data[0]), bytes(data[1:]))
        self.frames.append(f)
        if f[0] in "so":
            self.out += f[1]
        return f

    def output(self):
        """Everything shown so far: snapshot and output payloads, in order."""
        return bytes(self.out)

    def wait_output(self, needle, timeout=20):
        """Reads frames until the output contains needle; returns the output."""
        if isinstance(needle, str):
            needle = needle.encode()
        deadline = time.monotonic() + timeout
        while self.out.find(needle, max(0, self.searched - len(needle))) < 0:
            self.searched = len(self.out)
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                raise AssertionError(f"{needle!r} not received (closed={self.closed}); output: {self.out[-500:]!r}"
                                     f" frames: {[op for op, _ in self.frames][-40:]}")
            try:
                self.recv(left)
            except websocket.WebSocketTimeoutException:
                pass
        return self.output()

    def wait_frame(self, op, timeout=20):
        """Reads frames until one with opcode op arrives; returns its payload."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                raise AssertionError(f"no {op!r} frame (closed={self.closed}); frames: "
                                     f"{[o for o, _ in self.frames][-40:]}, output: {self.out[-300:]!r}")
            try:
                got, payload = self.recv(left)
            except websocket.WebSocketTimeoutException:
                continue
            if got == op:
                return payload
