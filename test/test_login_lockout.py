# SPDX-License-Identifier: LGPL-2.1-or-later
"""The login lockout cannot be walked around (issue 14): every loopback source address is one client, and a
global bound on failed logins from all clients together (30 per 15 minutes) stops guessing from many
addresses, in oly-http and at the daemon's D-Bus interface, across restarts of both."""
import http.client
import json

from conftest import BUS_NAME, MANAGER_PATH, write_config
from httputil import assert_error, describe, login, restart_http

WRONG = "not the password at all"
WEB = "org.openrelay.Oly1.Web"
GLOBAL_MAX = 30  # OLY_WEB_LOGIN_FAILURES_ALL_MAX
PER_CLIENT_MAX = 3  # OLY_WEB_LOGIN_FAILURES_MAX


def login_from(o, source, password):
    """POST /api/auth/login from the loopback source address source; returns (status, headers, body)."""
    c = http.client.HTTPConnection("127.0.0.1", o.http_port, timeout=30, source_address=(source, 0))
    try:
        c.request("POST", "/api/auth/login", body=json.dumps({"password": password}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def assert_locked(r):
    assert_error(r, 429, "too_many_requests")
    retry = r.headers.get("Retry-After")
    assert retry is not None and retry.isdigit() and 800 <= int(retry) <= 900, describe(r)


def test_rotating_loopback_source_addresses_is_one_client(oly_http):
    """Each 127.x.y.z was its own client: rotating the source address gave unlimited guesses."""
    statuses = []
    for i in range(2, 2 + 3 * PER_CLIENT_MAX):
        status, headers, body = login_from(oly_http, f"127.0.0.{i}", WRONG)
        statuses.append(status)
        if status == 429:
            assert 800 <= int(headers["Retry-After"]) <= 900, (headers, body)
            break
        assert status == 401, (status, body)
    assert statuses == [401] * PER_CLIENT_MAX + [429], statuses
    # The right password from yet another loopback address is locked out too.
    status, _, body = login_from(oly_http, "127.0.0.200", oly_http.password)
    assert status == 429, body


def test_global_bound_on_failed_logins(oly_env):
    """Behind a trusted proxy every forwarded address is its own client; all of them together get at most
    30 failures per 15 minutes, then every login is refused, the right password from a new address too, and
    the bound survives restarts of oly-http and of the daemon."""
    write_config(oly_env, {"http_trust_forwarded_for": True})
    oly_env.http_start()

    def guess(n, password=WRONG):
        return login(oly_env, password, headers={"X-Forwarded-For": f"198.51.100.{n}"})

    for n in range(1, GLOBAL_MAX):  # 29 failures, each from a new address
        r = guess(n)
        assert_error(r, 401, "unauthorized")
    # Under the bound, an unlocked client still logs in.
    r = guess(200, oly_env.password)
    assert r.status_code == 200, describe(r)
    assert_error(guess(GLOBAL_MAX), 401, "unauthorized")  # the 30th
    assert_locked(guess(201, oly_env.password))
    assert_locked(login(oly_env))  # no X-Forwarded-For: the proxy itself
    restart_http(oly_env)
    assert_locked(guess(202, oly_env.password))
    assert oly_env.daemon_stop().returncode == 0
    oly_env.http_start(password=None, port=oly_env.http_port)
    oly_env.password = None
    assert_locked(guess(203, "anything"))


def busctl_ok(o, method, sig="", *args):
    p = o.busctl("--json=short", "call", BUS_NAME, MANAGER_PATH, WEB, method, sig, *args)
    assert p.returncode == 0, f"{method}: {p.stderr}"
    return json.loads(p.stdout)["data"] if p.stdout.strip() else None


def test_global_bound_at_the_daemon(oly):
    """RecordLoginFailure from 30 distinct clients locks every client, one that never failed too; a success
    (ResetLoginFailures) of one client does not lift it."""
    for n in range(1, GLOBAL_MAX):
        failures, until = busctl_ok(oly, "RecordLoginFailure", "s", f"203.0.113.{n}")
        assert (failures, until) == (1, 0)
    assert busctl_ok(oly, "GetLoginLockout", "s", "192.0.2.1") == [0]
    failures, until = busctl_ok(oly, "RecordLoginFailure", "s", "2001:db8::1")
    assert failures == 1 and until > 0
    assert busctl_ok(oly, "GetLoginLockout", "s", "192.0.2.1") == [until]
    busctl_ok(oly, "ResetLoginFailures", "s", "203.0.113.1")
    assert busctl_ok(oly, "GetLoginLockout", "s", "203.0.113.1") == [until]
    oly.daemon_stop()
    oly.daemon_start()
    assert busctl_ok(oly, "GetLoginLockout", "s", "192.0.2.2") == [until]
