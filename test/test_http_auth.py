# SPDX-License-Identifier: LGPL-2.1-or-later
"""Web UI authentication: tokens (Bearer and cookie), login lockouts that survive restarts, logout, token
expiry, X-Forwarded-For only when trusted, --no-auth, and how 'oly daemon start' handles the password
(never on a command line, never in an environment)."""
import socket
from datetime import datetime, timedelta, timezone

import pytest
import requests

from conftest import WEB_PASSWORD, free_port, parse_time, pid_alive, wait_until, write_config
from httputil import NO_SUCH_ID, TOKEN_RE, Client, assert_error, bearer, describe, get_token, http_pid, login, \
    restart_http, run_without_tty, url

WRONG = "not the password at all"

# Every route behind the login, with a harmless body.
PROTECTED = [
    ("GET", "/api/sessions", None),
    ("POST", "/api/sessions", {"command": ["true"]}),
    ("GET", f"/api/sessions/{NO_SUCH_ID}", None),
    ("POST", f"/api/sessions/{NO_SUCH_ID}/stop", {}),
    ("POST", f"/api/sessions/{NO_SUCH_ID}/kill", {}),
    ("POST", f"/api/sessions/{NO_SUCH_ID}/input", {"text": "x"}),
    ("POST", f"/api/sessions/{NO_SUCH_ID}/resize", {"rows": 24, "cols": 80}),
    ("PUT", f"/api/sessions/{NO_SUCH_ID}/notifications", {"enabled": False}),
    ("GET", f"/api/sessions/{NO_SUCH_ID}/logs", None),
    ("GET", f"/api/sessions/{NO_SUCH_ID}/log", None),
    ("GET", "/api/events", None),
    ("GET", "/api/push/vapid-public-key", None),
    ("POST", "/api/push/subscriptions",
     {"endpoint": "https://push.example.net/x", "keys": {"p256dh": "a", "auth": "b"}}),
    ("DELETE", "/api/push/subscriptions", {"endpoint": "https://push.example.net/x"}),
    ("GET", "/api/nodes", None),
    ("POST", "/api/auth/logout", None),
]


def call(o, method, path, body, headers=None, cookies=None):
    return requests.request(method, url(o, path), json=body, headers=headers or {}, cookies=cookies, timeout=30)


def cookie_attrs(set_cookie):
    """'oly_token=abc; Path=/; HttpOnly' -> ('oly_token', 'abc', {'path': '/', 'httponly': True})"""
    parts = [p.strip() for p in set_cookie.split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, eq, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip() if eq else True
    return name, value, attrs


def assert_locked(r):
    """429 with a Retry-After of about the 15 minute lockout."""
    assert_error(r, 429, "too_many_requests")
    retry = r.headers.get("Retry-After")
    assert retry is not None and retry.isdigit(), describe(r)
    assert 800 <= int(retry) <= 900, describe(r)


def fail_logins(o, n, headers=None):
    """n wrong passwords; the first two must be plain 401s, a third may already answer 429."""
    for i in range(n):
        r = login(o, WRONG, headers=headers)
        if i < 2:
            assert_error(r, 401, "unauthorized")
        else:
            assert r.status_code in (401, 429), describe(r)


def authorised(o, token):
    return call(o, "GET", "/api/sessions", None, headers=bearer(token)).status_code == 200


# ---- tokens ----

@pytest.mark.parametrize("method,path,body", PROTECTED, ids=[f"{m} {p}" for m, p, _ in PROTECTED])
def test_protected_routes_need_a_token(oly_http, method, path, body):
    """Without a valid token nothing but health, auth status, login and the static files answers, and
    nothing happens (no session is created)."""
    for headers, cookies in ((None, None), (bearer("garbage"), None), (bearer("A" * 43), None),
                             ({"Authorization": "Basic " + "A" * 43}, None), (None, {"oly_token": "B" * 43})):
        assert_error(call(oly_http, method, path, body, headers=headers, cookies=cookies), 401, "unauthorized")
    assert oly_http.ls_json() == []


def test_login_returns_a_token_and_a_strict_httponly_cookie(oly_http):
    """The cookie is out of reach of page scripts (HttpOnly) and of other sites (SameSite=Strict); the
    token is 32 random bytes."""
    before = datetime.now(timezone.utc)
    r = login(oly_http)
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert set(body) == {"token", "expires_at"}
    token = body["token"]
    assert TOKEN_RE.match(token), token
    name, value, attrs = cookie_attrs(r.headers["Set-Cookie"])
    assert (name, value) == ("oly_token", token)
    assert attrs.get("path") == "/"
    assert attrs.get("httponly") is True
    assert str(attrs.get("samesite")).lower() == "strict"
    max_age = int(attrs["max-age"])
    expires = parse_time(body["expires_at"])
    # The default lifetime (7 days; Max-Age may be the seconds left, rounded down), and expires_at agrees.
    assert 7 * 86400 - 2 <= max_age <= 7 * 86400
    assert abs((expires - before - timedelta(seconds=max_age)).total_seconds()) < 60
    # Two logins: two different tokens.
    assert get_token(oly_http) != token


def test_token_works_as_bearer_and_as_cookie(oly_http):
    """Scripts use the Bearer header, browsers the cookie; both authenticate."""
    token = get_token(oly_http)
    assert authorised(oly_http, token)
    r = call(oly_http, "GET", "/api/sessions", None, cookies={"oly_token": token})
    assert r.status_code == 200, describe(r)
    r = call(oly_http, "GET", "/api/auth/status", None, cookies={"oly_token": token})
    assert r.json() == {"auth_required": True, "authenticated": True, "password_set": True}


def test_browser_flow_with_the_cookie_jar(oly_http):
    """What a browser does: log in, then every request carries the cookie it was given."""
    s = requests.Session()
    r = s.post(url(oly_http, "/api/auth/login"), json={"password": WEB_PASSWORD}, timeout=30)
    assert r.status_code == 200, describe(r)
    r = s.post(url(oly_http, "/api/sessions"), json={"command": ["true"]}, timeout=30)
    assert r.status_code == 201, describe(r)


def test_wrong_password_is_401(oly_http):
    """A wrong password is 401 and sets no cookie."""
    assert_error(login(oly_http, WRONG), 401, "unauthorized")
    assert "Set-Cookie" not in login(oly_http, WRONG).headers


@pytest.mark.parametrize("body", [{}, {"password": 5}, {"password": None}, {"pass": WEB_PASSWORD}], ids=str)
def test_login_bad_body_is_400(oly_http, body):
    """A login without a password string is a malformed request."""
    r = requests.post(url(oly_http, "/api/auth/login"), json=body, timeout=30)
    assert_error(r, 400, "bad_request")


def test_login_from_a_foreign_origin_is_403(oly_http):
    """A login CSRF (another site logging the browser into our UI) is refused like any cross-origin POST."""
    assert_error(login(oly_http, headers={"Origin": "http://evil.example"}), 403, "forbidden")


def test_logout_revokes_the_token_and_clears_the_cookie(oly_http):
    """Logging out ends that login on the server (a copied token stops working), not just in the browser."""
    token = get_token(oly_http)
    other = get_token(oly_http)
    r = call(oly_http, "POST", "/api/auth/logout", None, headers=bearer(token))
    assert r.status_code == 204, describe(r)
    name, value, attrs = cookie_attrs(r.headers["Set-Cookie"])
    assert name == "oly_token" and value == ""
    assert attrs.get("max-age") == "0" or "expires" in attrs, r.headers["Set-Cookie"]
    assert_error(call(oly_http, "GET", "/api/sessions", None, headers=bearer(token)), 401, "unauthorized")
    assert_error(call(oly_http, "GET", "/api/sessions", None, cookies={"oly_token": token}), 401, "unauthorized")
    # Only that login ended.
    assert authorised(oly_http, other)


def test_logout_with_the_cookie(oly_http):
    """The browser's logout (cookie only) ends the login and drops the cookie."""
    s = requests.Session()
    assert s.post(url(oly_http, "/api/auth/login"), json={"password": WEB_PASSWORD}, timeout=30).status_code == 200
    token = s.cookies["oly_token"]
    assert s.post(url(oly_http, "/api/auth/logout"), timeout=30).status_code == 204
    assert "oly_token" not in s.cookies
    assert not authorised(oly_http, token)


def test_tokens_survive_an_oly_http_restart(oly_http):
    """oly-http keeps no state: a crash (restarted by the daemon) does not log anyone out."""
    token = get_token(oly_http)
    restart_http(oly_http)
    assert authorised(oly_http, token)


def test_expired_token_refused(oly_env):
    """A login lasts http_token_lifetime_seconds and no longer."""
    write_config(oly_env, {"http_token_lifetime_seconds": 2})
    oly_env.http_start()
    r = login(oly_env)
    assert r.status_code == 200, describe(r)
    token = r.json()["token"]
    assert cookie_attrs(r.headers["Set-Cookie"])[2]["max-age"] in ("1", "2")
    assert parse_time(r.json()["expires_at"]) - datetime.now(timezone.utc) < timedelta(seconds=5)
    assert authorised(oly_env, token)
    wait_until(lambda: not authorised(oly_env, token), 20, interval=0.2, what="the token to expire")
    assert_error(call(oly_env, "GET", "/api/sessions", None, headers=bearer(token)), 401, "unauthorized")


# ---- lockouts ----

def test_three_failures_lock_even_the_right_password(oly_http):
    """Password guessing is stopped after 3 tries for 15 minutes, even if the next guess is right."""
    fail_logins(oly_http, 3)
    assert_locked(login(oly_http, WRONG))
    assert_locked(login(oly_http))


def test_lockout_does_not_touch_existing_logins(oly_http):
    """An attacker's failed guesses do not log the owner out."""
    token = get_token(oly_http)
    fail_logins(oly_http, 3)
    assert_locked(login(oly_http))
    assert authorised(oly_http, token)


def test_success_resets_the_failure_count(oly_http):
    """A typo now and then never adds up to a lockout."""
    fail_logins(oly_http, 2)
    assert login(oly_http).status_code == 200
    fail_logins(oly_http, 2)
    r = login(oly_http)
    assert r.status_code == 200, describe(r)


def test_lockout_survives_an_oly_http_restart(oly_http):
    """Crashing oly-http (restarted by the daemon) does not reset the lockout."""
    fail_logins(oly_http, 3)
    assert_locked(login(oly_http))
    restart_http(oly_http)
    assert_locked(login(oly_http))


def test_lockout_survives_a_daemon_restart(oly_http):
    """The lockout is stored, and so is the password: a second start needs no --password-file and asks
    for nothing."""
    fail_logins(oly_http, 3)
    assert_locked(login(oly_http))
    assert oly_http.daemon_stop().returncode == 0
    oly_http.http_start(password=None, port=oly_http.http_port)
    oly_http.password = WEB_PASSWORD
    assert_locked(login(oly_http))


def test_x_forwarded_for_ignored_by_default(oly_http):
    """Anyone can send X-Forwarded-For: unless the operator says a proxy sets it, a new value per try
    must not buy new attempts."""
    for i in range(3):
        r = login(oly_http, WRONG, headers={"X-Forwarded-For": f"10.0.0.{i + 1}"})
        assert r.status_code in ((401,) if i < 2 else (401, 429)), describe(r)
    assert_locked(login(oly_http, headers={"X-Forwarded-For": "10.0.0.99"}))
    assert_locked(login(oly_http))


def test_x_forwarded_for_honoured_when_trusted(oly_env):
    """Behind a reverse proxy on loopback (http_trust_forwarded_for), each forwarded client has its own
    count: one client's failures do not lock out another."""
    write_config(oly_env, {"http_trust_forwarded_for": True})
    oly_env.http_start()
    fail_logins(oly_env, 3, headers={"X-Forwarded-For": "10.0.0.1"})
    assert_locked(login(oly_env, headers={"X-Forwarded-For": "10.0.0.1"}))
    r = login(oly_env, headers={"X-Forwarded-For": "10.0.0.2"})
    assert r.status_code == 200, describe(r)
    r = login(oly_env)
    assert r.status_code == 200, describe(r)


# ---- --no-auth ----

def test_no_auth_serves_without_a_token(oly_env):
    """--no-auth serves the API without a login, and says so in auth status."""
    oly_env.http_start(no_auth=True)
    sid = oly_env.start_detached("sleep", "1000")
    r = requests.get(url(oly_env, "/api/sessions"), timeout=30)
    assert r.status_code == 200, describe(r)
    assert [s["id"] for s in r.json()["sessions"]] == [sid]
    st = requests.get(url(oly_env, "/api/auth/status"), timeout=30).json()
    assert st["auth_required"] is False
    # Cross-origin requests are still refused: --no-auth does not invite every web page in.
    r = requests.post(url(oly_env, "/api/sessions"), json={"command": ["true"]},
                      headers={"Origin": "http://evil.example"}, timeout=30)
    assert_error(r, 403, "forbidden")


# ---- oly daemon start and the password ----

def not_started(o, port):
    """Neither a daemon nor a web server is running for o."""
    assert o.run("ls").returncode == 1
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, f"something listens on {port}"


def test_start_without_a_password_and_without_a_terminal_fails(oly_env):
    """From a script (no terminal to ask on) with no password stored: a clear one-line error naming
    --password-file, exit 1, nothing started."""
    port = free_port()
    p = run_without_tty(oly_env, "daemon", "start", "--detach", "--port", port)
    if p.returncode == 0:
        oly_env.note_pids(p.stdout)
    assert p.returncode == 1, p
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert "--password-file" in p.stderr
    not_started(oly_env, port)


def test_reset_password_replaces_it_and_revokes_logins(oly_env):
    """A new password locks out the old one and everyone logged in with it."""
    oly_env.http_start(password="first password 1")
    old_token = get_token(oly_env)
    assert oly_env.daemon_stop().returncode == 0
    oly_env.http_start(password="second password 2", extra=("--reset-password",))
    assert_error(login(oly_env, "first password 1"), 401, "unauthorized")
    assert login(oly_env, "second password 2").status_code == 200
    assert_error(call(oly_env, "GET", "/api/sessions", None, headers=bearer(old_token)), 401, "unauthorized")


def test_reset_password_of_a_running_daemon(oly_http, tmp_path):
    """The password can be changed without a restart (a daemon under systemd): the new one works at
    once, the old one no longer, and logins made with the old one end at once too (oly-http drops the
    tokens it validated when the daemon announces the new password)."""
    old_token = get_token(oly_http)
    pwfile = tmp_path / "new-pw"
    pwfile.write_text("a brand new password\n")
    p = run_without_tty(oly_http, "daemon", "start", "--reset-password", "--password-file", pwfile)
    assert p.returncode == 0, p
    assert_error(login(oly_http, WEB_PASSWORD), 401, "unauthorized")
    assert login(oly_http, "a brand new password").status_code == 200
    assert not authorised(oly_http, old_token), "a login made with the old password still works"


def test_no_auth_without_a_terminal_needs_the_acknowledgement(oly_env):
    """Serving without a password is never the accident of a script: it needs the long flag."""
    port = free_port()
    p = run_without_tty(oly_env, "daemon", "start", "--detach", "--no-auth", "--port", port)
    if p.returncode == 0:
        oly_env.note_pids(p.stdout)
    assert p.returncode == 1, p
    assert "--i-understand-no-auth-risk" in p.stderr
    not_started(oly_env, port)


def test_port_in_use_is_reported(oly_env, tmp_path):
    """A busy port is a one-line error naming the port, and no daemon is left behind."""
    pwfile = tmp_path / "pw"
    pwfile.write_text(WEB_PASSWORD + "\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        p = run_without_tty(oly_env, "daemon", "start", "--detach", "--port", port, "--password-file", pwfile)
        if p.returncode == 0:
            oly_env.note_pids(p.stdout)
        assert p.returncode == 1, p
        assert str(port) in p.stderr
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
        assert oly_env.run("ls").returncode == 1


def test_password_never_in_argv_or_environment(oly_http):
    """Other local users can read /proc/PID/cmdline; the password must not be there, nor in the
    environment of the daemon or of oly-http."""
    http = wait_until(lambda: http_pid(oly_http), what="the oly-http child")
    secret = WEB_PASSWORD.encode()
    for pid in (oly_http.daemon_pid, http):
        assert pid_alive(pid)
        for what in ("cmdline", "environ"):
            with open(f"/proc/{pid}/{what}", "rb") as f:
                data = f.read()
            assert data, f"/proc/{pid}/{what} is empty"
            assert secret not in data, f"the password is in /proc/{pid}/{what}"
    # And the one login that matters still works.
    assert login(oly_http).status_code == 200


def test_status_shows_no_password_with_no_auth(oly_env):
    """With --no-auth and no password ever set, auth status says no password is set."""
    oly_env.http_start(no_auth=True)
    c = Client(oly_env, token=False)
    assert c.ok("GET", "/api/auth/status")["password_set"] is False
