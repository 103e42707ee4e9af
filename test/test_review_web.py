# SPDX-License-Identifier: LGPL-2.1-or-later
"""Regression tests from a security review of the web password, fd passing and web push code: 'oly daemon
start' with closed stdio, ^C at the hidden password prompt, oly-push's diagnostics, oly-push's request
target and its endpoint checks."""
import json
import os
import pty
import re
import select
import signal
import socket
import ssl
import subprocess
import termios
import threading
import time

import pytest

from conftest import BUILD, OLY, WEB_PASSWORD, free_port, pid_alive, wait_until

cryptography = pytest.importorskip("cryptography")
from test_web_push import PROMPT, Browser, PushService, b64e, daemon_log, subscribe  # noqa: E402
from httputil import Client  # noqa: E402

OLY_PUSH = BUILD / "src" / "push" / "oly-push"


@pytest.fixture
def service(tmp_path):
    s = PushService(tmp_path)
    yield s
    s.close()


def health(url):
    import urllib.request
    try:
        with urllib.request.urlopen(url + "/api/health", timeout=2) as r:
            return r.status == 200
    except Exception:
        return False


def test_detached_start_with_closed_stdin_and_stdout(oly_env):
    """With fds 0 and 1 closed, the sockets and the password memfd took those numbers and the detached
    child's dup2() onto stdio overwrote them: the daemon got its log file as the password fd."""
    port = free_port()
    pwfile = oly_env.state.parent / "web-password"
    pwfile.write_text(WEB_PASSWORD + "\n")
    p = subprocess.run(["/bin/sh", "-c", 'exec "$0" daemon start --detach --port "$1" --password-file "$2" <&- >&-',
                        str(OLY), str(port), str(pwfile)], env=oly_env.env, capture_output=True, text=True,
                       timeout=40)
    m = re.search(r"oly-daemon\[(\d+)\]", daemon_log(oly_env))
    if m:
        oly_env.daemon_pid = int(m.group(1))
    assert p.returncode == 0, f"{p.stderr}\n{daemon_log(oly_env)}"
    oly_env.http_url = f"http://127.0.0.1:{port}"
    oly_env.password = WEB_PASSWORD
    wait_until(lambda: health(oly_env.http_url), 15, what="oly-http to answer")
    Client(oly_env)  # logs in with the password handed over in the memfd


def test_ctrl_c_at_the_password_prompt_restores_echo(oly_env):
    """^C while the password is typed (echo off) must not leave the terminal without echo."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execve(str(OLY), ["oly", "daemon", "start", "--port", str(free_port())], oly_env.env)
        finally:
            os._exit(127)
    try:
        out = b""
        deadline = time.monotonic() + 15
        while b"password" not in out:
            assert time.monotonic() < deadline, out
            if select.select([fd], [], [], 0.5)[0]:
                out += os.read(fd, 1024)
        wait_until(lambda: not termios.tcgetattr(fd)[3] & termios.ECHO, 5, what="echo off")
        os.write(fd, b"\x03")
        _, status = os.waitpid(pid, 0)
        pid = 0
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT, status
        assert termios.tcgetattr(fd)[3] & termios.ECHO, "the terminal was left with echo off"
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def test_oly_push_diagnostics_reach_the_daemon_log(oly_env, service, tmp_path):
    """oly-push's stderr went into its results memfd, where lines that are not JSON are dropped: a bad
    OLY_PUSH_CA_FILE showed only as 'exit code 1'."""
    empty = tmp_path / "empty-ca.pem"
    empty.write_text("")
    oly_env.env["OLY_PUSH_CA_FILE"] = str(empty)
    oly_env.http_start()
    subscribe(oly_env, Client(oly_env), Browser(service.url("d")))
    oly_env.start_detached(*PROMPT)
    wait_until(lambda: "failed with exit code 1" in daemon_log(oly_env), 20, what="oly-push to fail")
    assert f"no CA certificate in OLY_PUSH_CA_FILE={empty}" in daemon_log(oly_env)


def test_push_request_target_without_fragment(oly_env, service):
    """The fragment of an endpoint URL is not part of the request target (it was sent); a query without a
    path keeps its query (it was dropped)."""
    oly_env.env["OLY_PUSH_CA_FILE"] = str(service.cert)
    oly_env.http_start()
    c = Client(oly_env)
    subscribe(oly_env, c, Browser(service.url("frag") + "#section"))
    subscribe(oly_env, c, Browser(f"https://127.0.0.1:{service.port}?q=1"))
    oly_env.start_detached(*PROMPT)
    assert service.wait("frag")[0]["path"] == "/push/frag"
    assert service.wait("?q=1")[0]["path"] == "/?q=1"


class RawTLS:
    """A TLS listener that records each request head and answers with `answer` (bytes)."""

    def __init__(self, cert, key, answer):
        self.heads, self.answer = [], answer
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(cert), str(key))
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                s = self.ctx.wrap_socket(c, server_side=True)
                data = b""
                while b"\r\n\r\n" not in data:
                    d = s.recv(65536)
                    if not d:
                        break
                    data += d
                head, _, body = data.partition(b"\r\n\r\n")
                self.heads.append(head)
                n = int(re.search(rb"Content-Length: (\d+)", head).group(1))
                while len(body) < n:
                    body += s.recv(65536)
                s.sendall(self.answer)
                s.close()
            except Exception:
                c.close()


def run_push(endpoints, ca):
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    k = ec.generate_private_key(ec.SECP256R1())
    ua = Browser("x")
    job = {"subject": "mailto:a@example.org", "payload": "hi",
           "vapid_public_key": b64e(k.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)),
           "vapid_private_key": b64e(k.private_numbers().private_value.to_bytes(32, "big")),
           "subscriptions": [{"endpoint": e, "p256dh": b64e(ua.public), "auth": b64e(ua.auth)} for e in endpoints]}
    p = subprocess.run([str(OLY_PUSH)], input=json.dumps(job).encode(), capture_output=True, timeout=60,
                       env=dict(os.environ, OLY_PUSH_CA_FILE=str(ca)))
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.decode().splitlines()]


def test_oly_push_rejects_endpoints_that_would_inject(service, tmp_path):
    """Checked sound in the review, kept as a guard: no CR/LF/space/userinfo gets into the request, and
    an endless response head is read only up to its bound."""
    key = tmp_path / "push-key.pem"
    srv = RawTLS(service.cert, key, b"HTTP/1.1 201 Created\r\nX-Long: " + b"a" * 100000 + b"\r\n\r\n")
    base = f"https://127.0.0.1:{srv.port}"
    bad = [base + "/p\r\nX-Evil: 1", base + "/p q", "https://user@127.0.0.1:%d/p" % srv.port,
           base.replace("127.0.0.1", "127.0.0.1\r\nX: y") + "/p", "https://[::1/p", "https://127.0.0.1:99999/p",
           "http://127.0.0.1/p", "https://127.0.0.1:/p", "https://127.0.0.1:1x/p"]
    results = run_push(bad + [base + "/ok"], service.cert)
    assert [r["error"] for r in results[:-1]] == [
        "endpoint is not a valid URL"] * 6 + ["endpoint is not an https:// URL"] + ["endpoint is not a valid URL"] * 2
    assert results[-1]["status"] == 201 and results[-1]["error"] is None
    assert len(srv.heads) == 1 and srv.heads[0].startswith(b"POST /ok HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % srv.port)
