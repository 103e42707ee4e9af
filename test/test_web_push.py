# SPDX-License-Identifier: LGPL-2.1-or-later
"""Web push end to end: a browser subscription made through the HTTP API, a session that prompts, and a
local HTTPS "push service" (trusted through OLY_PUSH_CA_FILE) that receives the message. The test plays
the browser: it checks the VAPID token like a push service would and decrypts the body (RFC 8291) with
the subscription's private key."""
import base64
import http.server
import json
import os
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import BUS_NAME, MANAGER_PATH, wait_until, write_config
from httputil import Client

cryptography = pytest.importorskip("cryptography")
from cryptography.hazmat.primitives import hashes, hmac  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402

WEB = "org.openrelay.Oly1.Web"
PROMPT = ("sh", "-c", 'printf "Continue? [y/n] "; read x')


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def hkdf_extract(salt, ikm):
    h = hmac.HMAC(salt, hashes.SHA256())
    h.update(ikm)
    return h.finalize()


def hkdf_expand(prk, info, length):
    h = hmac.HMAC(prk, hashes.SHA256())
    h.update(info + b"\x01")
    return h.finalize()[:length]


class Browser:
    """A push subscription's keys, as a browser would hold them."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.public = self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        self.auth = os.urandom(16)

    def subscription(self):
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64e(self.public), "auth": b64e(self.auth)}}

    def decrypt(self, body):
        """RFC 8291 §3.4 and RFC 8188 from the receiving side."""
        salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        as_public, ciphertext = body[21:21 + idlen], body[21 + idlen:]
        assert rs == 4096 and idlen == 65 and len(ciphertext) <= rs
        shared = self.key.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public))
        ikm = hkdf_expand(hkdf_extract(self.auth, shared), b"WebPush: info\0" + self.public + as_public, 32)
        prk = hkdf_extract(salt, ikm)
        cek = hkdf_expand(prk, b"Content-Encoding: aes128gcm\0", 16)
        nonce = hkdf_expand(prk, b"Content-Encoding: nonce\0", 12)
        record = AESGCM(cek).decrypt(nonce, ciphertext, None).rstrip(b"\0")
        assert record.endswith(b"\x02"), "no last-record delimiter"
        return json.loads(record[:-1])


class PushService:
    """HTTPS on 127.0.0.1 in a thread: records each POST; answers statuses[name] (default 201) for
    /push/<name>."""

    def __init__(self, tmp_path):
        self.cert, key = tmp_path / "push-cert.pem", tmp_path / "push-key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(self.cert)], check=True, capture_output=True)
        self.received = []
        self.statuses = {}
        self.lock = threading.Lock()
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                name = self.path.rsplit("/", 1)[-1]
                with service.lock:
                    service.received.append({"path": self.path, "name": name, "headers": dict(self.headers),
                                             "body": body})
                self.send_response(service.statuses.get(name, 201))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.cert), str(key))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name):
        return f"https://127.0.0.1:{self.port}/push/{name}"

    def of(self, name):
        with self.lock:
            return [r for r in self.received if r["name"] == name]

    def wait(self, name, count=1, timeout=20):
        return wait_until(lambda: len(self.of(name)) >= count and self.of(name), timeout,
                          what=f"{count} push(es) to /push/{name}")

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def service(tmp_path):
    s = PushService(tmp_path)
    yield s
    s.close()


@pytest.fixture
def web(oly_env, service):
    """Daemon + oly-http, with oly-push trusting the fake push service."""
    oly_env.env["OLY_PUSH_CA_FILE"] = str(service.cert)
    oly_env.http_start()
    return oly_env


def subscribe(o, client, browser):
    client.ok("POST", "/api/push/subscriptions", 201, json=browser.subscription())


def list_subscriptions(o):
    p = o.busctl("--json=short", "call", BUS_NAME, MANAGER_PATH, WEB, "ListPushSubscriptions")
    assert p.returncode == 0, p.stderr
    return [s[0] for s in json.loads(p.stdout)["data"][0]]


def daemon_log(o):
    p = o.state / "daemon.log"
    return p.read_text(errors="replace") if p.exists() else ""


def verify_vapid(request, vapid_public_b64, port):
    h = request["headers"]
    auth = h["Authorization"]
    assert auth.startswith("vapid t=") and ", k=" in auth, auth
    token, k = auth[len("vapid t="):].split(", k=")
    assert k == vapid_public_b64
    header, claims, sig = token.split(".")
    assert json.loads(b64d(header)) == {"typ": "JWT", "alg": "ES256"}
    c = json.loads(b64d(claims))
    assert c["aud"] == f"https://127.0.0.1:{port}"
    assert time.time() + 11 * 3600 < c["exp"] <= time.time() + 24 * 3600
    assert c["sub"].startswith("mailto:oly@") or c["sub"].startswith("https://"), c
    raw = b64d(sig)
    assert len(raw) == 64
    pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(k))
    pub.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
               f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    return c


def test_push_is_sent_signed_and_encrypted(web, service):
    c = Client(web)
    browser = Browser(service.url("a"))
    subscribe(web, c, browser)
    vapid = c.ok("GET", "/api/push/vapid-public-key")["public_key"]
    cfg = json.loads((web.state / "config.json").read_text())
    assert vapid == cfg["web_push_vapid_public_key"]

    sid = web.start_detached(*PROMPT, title="deploy prod")
    req = service.wait("a")[0]
    h = req["headers"]
    assert req["path"] == "/push/a"
    assert h["Content-Encoding"] == "aes128gcm"
    assert h["Content-Type"] == "application/octet-stream"
    assert h["TTL"] == "86400" and h["Urgency"] == "high"
    assert int(h["Content-Length"]) == len(req["body"]) <= 4096
    verify_vapid(req, vapid, service.port)
    payload = browser.decrypt(req["body"])
    assert payload["title"] == "oly: deploy prod needs input"
    assert "Continue? [y/n]" in payload["body"]
    assert payload["id"] == sid and payload["url"] == f"/#/sessions/{sid}"
    assert payload["trigger"] and "node" in payload
    wait_until(lambda: f"Web push for {sid}: 1 sent, 0 gone, 0 failed." in daemon_log(web), 10,
               what="the push summary in the log")
    # One message per waiting episode.
    web.ok("send", sid, "y", "key:enter")
    assert len(service.of("a")) == 1


def test_gone_subscription_is_forgotten(web, service):
    c = Client(web)
    service.statuses["gone"] = 410
    gone, alive = Browser(service.url("gone")), Browser(service.url("alive"))
    subscribe(web, c, gone)
    subscribe(web, c, alive)
    assert sorted(list_subscriptions(web)) == sorted([gone.endpoint, alive.endpoint])
    web.start_detached(*PROMPT)
    service.wait("gone")
    service.wait("alive")
    wait_until(lambda: list_subscriptions(web) == [alive.endpoint], 10, what="the gone subscription to be forgotten")
    r = c.delete("/api/push/subscriptions", json={"endpoint": gone.endpoint})
    assert r.status_code == 404, r.text
    assert browser_payload_ok(alive, service.of("alive")[0])


def browser_payload_ok(browser, req):
    return "Continue?" in browser.decrypt(req["body"])["body"]


def test_bad_subscription_is_reported_not_fatal(web, service):
    """A subscription with keys that are not a P-256 point is reported; the others still get theirs."""
    c = Client(web)
    good = Browser(service.url("good"))
    subscribe(web, c, good)
    c.ok("POST", "/api/push/subscriptions", 201,
         json={"endpoint": service.url("bad"), "keys": {"p256dh": b64e(b"\x04" + b"\x01" * 64), "auth": b64e(b"x" * 16)}})
    sid = web.start_detached(*PROMPT)
    service.wait("good")
    wait_until(lambda: "p256dh is not a base64url P-256 point" in daemon_log(web), 10, what="the failure in the log")
    assert not service.of("bad")
    assert f"Web push for {sid}: 1 sent, 0 gone, 1 failed." in daemon_log(web) or \
        wait_until(lambda: f"Web push for {sid}: 1 sent, 0 gone, 1 failed." in daemon_log(web), 10)


def test_notifications_disabled_sends_nothing(web, service):
    c = Client(web)
    browser = Browser(service.url("b"))
    subscribe(web, c, browser)
    quiet = web.start_detached(*PROMPT, extra=("--disable-notifications",))
    wait_until(lambda: web.session(quiet)["input_needed"], 10, what="the quiet session to prompt")
    loud = web.start_detached(*PROMPT)
    service.wait("b")
    # The quiet session prompted first: had it pushed, its message would be there by now.
    ids = [browser.decrypt(r["body"])["id"] for r in service.of("b")]
    assert ids == [loud]


def test_untrusted_certificate_fails_cleanly(oly_env, service):
    """Without OLY_PUSH_CA_FILE the self-signed service is not trusted: nothing is posted, one log line."""
    oly_env.env.pop("OLY_PUSH_CA_FILE", None)
    oly_env.http_start()
    c = Client(oly_env)
    subscribe(oly_env, c, Browser(service.url("x")))
    sid = oly_env.start_detached(*PROMPT)
    wait_until(lambda: f"Web push for {sid}: 0 sent, 0 gone, 1 failed." in daemon_log(oly_env), 20,
               what="the failure summary")
    assert "not trusted" in daemon_log(oly_env)
    assert not service.of("x")


def test_unresponsive_service_does_not_block_the_daemon(web, service):
    """A push service that accepts the connection and never answers: oly-push gives up on it at its
    per-request deadline (10 s) while the daemon goes on serving; the next subscription still gets its
    message."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # never accepted: the TLS handshake gets no answer
    try:
        c = Client(web)
        hang = Browser(f"https://127.0.0.1:{silent.getsockname()[1]}/push/hang")
        subscribe(web, c, hang)
        after = Browser(service.url("after"))
        subscribe(web, c, after)
        t0 = time.monotonic()
        sid = web.start_detached(*PROMPT)
        # Meanwhile the daemon answers and runs other sessions.
        other = web.start_detached("sh", "-c", "echo still-working; sleep 30")
        wait_until(lambda: b"still-working" in web.log(other), 10, what="another session's output")
        assert c.ok("GET", f"/api/sessions/{other}")["id"] == other
        service.wait("after", timeout=30)
        wait_until(lambda: f"Web push for {sid}: 1 sent, 0 gone, 1 failed." in daemon_log(web), 30,
                   what="the failure summary")
        assert time.monotonic() - t0 < 25
        assert "timed out" in daemon_log(web)
    finally:
        silent.close()


def test_half_a_key_pair_sends_nothing(oly_env, service, tmp_path):
    marker = tmp_path / "hook-ran"
    write_config(oly_env, {"web_push_vapid_public_key": "BPK",
                           "notification_hook": ["/bin/sh", "-c", f"touch {marker}"]})
    oly_env.env["OLY_PUSH_CA_FILE"] = str(service.cert)
    oly_env.daemon_start()
    b = Browser(service.url("h"))
    p = oly_env.busctl("call", BUS_NAME, MANAGER_PATH, WEB, "AddPushSubscription", "sss", b.endpoint,
                       b64e(b.public), b64e(b.auth))
    assert p.returncode == 0, p.stderr
    oly_env.start_detached(*PROMPT)
    # The hook and the push are started by the same notification, the hook first.
    wait_until(marker.exists, 10, what="the notification hook")
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        assert not service.of("h")
        time.sleep(0.05)
    assert "Web push for" not in daemon_log(oly_env)
