# SPDX-License-Identifier: LGPL-2.1-or-later
"""org.openrelay.Oly1.Web: the state oly-http keeps in the daemon (it has none of its own), checked with
busctl against a real daemon — password hash, token digests, per-client lockouts, push subscriptions and
the VAPID key pair the daemon generates into config.json."""
import base64
import hashlib
import json

import pytest

from conftest import BUS_NAME, MANAGER_PATH, write_config

WEB = "org.openrelay.Oly1.Web"
PHC = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43


def call(oly, method, sig="", *args):
    p = oly.busctl("--json=short", "call", BUS_NAME, MANAGER_PATH, WEB, method, sig, *args)
    return p


def ok(oly, method, sig="", *args):
    p = call(oly, method, sig, *args)
    assert p.returncode == 0, f"{method}: {p.stderr}"
    return json.loads(p.stdout)["data"] if p.stdout.strip() else None


def prop(oly, name):
    p = oly.busctl("--json=short", "get-property", BUS_NAME, MANAGER_PATH, WEB, name)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["data"]


def digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def test_password_hash_round_trip_and_persists(oly):
    assert prop(oly, "PasswordSet") is False
    assert ok(oly, "GetPasswordHash") == [""]
    ok(oly, "SetPasswordHash", "s", PHC)
    assert prop(oly, "PasswordSet") is True
    oly.daemon_stop()
    oly.daemon_start()
    assert ok(oly, "GetPasswordHash") == [PHC]


@pytest.mark.parametrize("bad", ["", "plaintext", "$argon2i$v=19$m=16,t=2,p=1$x$y", "$argon2id$" + "x" * 600])
def test_only_argon2id_hashes_are_stored(oly, bad):
    p = call(oly, "SetPasswordHash", "s", bad)
    assert p.returncode != 0
    assert "Argon2id" in p.stderr
    assert ok(oly, "GetPasswordHash") == [""]


def test_token_add_check_revoke(oly):
    d = digest("tok-1")
    expires = ok(oly, "AddToken", "s", d)[0]
    lifetime = prop(oly, "TokenLifetime")
    assert lifetime == 7 * 86400 * 10**6
    assert ok(oly, "CheckToken", "s", d) == [expires]
    ok(oly, "RevokeToken", "s", d)
    p = call(oly, "CheckToken", "s", d)
    assert p.returncode != 0 and "Unknown or expired token" in p.stderr
    ok(oly, "RevokeToken", "s", d)  # revoking twice is not an error


def test_tokens_survive_a_restart_but_not_a_new_password(oly):
    d = digest("tok-2")
    ok(oly, "AddToken", "s", d)
    oly.daemon_stop()
    oly.daemon_start()
    ok(oly, "CheckToken", "s", d)
    ok(oly, "SetPasswordHash", "s", PHC)
    assert call(oly, "CheckToken", "s", d).returncode != 0, "a new password must end earlier logins"


@pytest.mark.parametrize("bad", ["", "abc", "A" * 64, "g" * 64, digest("x") + "0"])
def test_malformed_digests_are_refused(oly, bad):
    p = call(oly, "AddToken", "s", bad)
    assert p.returncode != 0 and "64 lowercase hex" in p.stderr


def test_token_lifetime_from_config(oly_env):
    write_config(oly_env, {"http_token_lifetime_seconds": 1})
    oly_env.daemon_start()
    assert prop(oly_env, "TokenLifetime") == 10**6
    d = digest("short")
    ok(oly_env, "AddToken", "s", d)
    import time
    time.sleep(1.2)
    assert call(oly_env, "CheckToken", "s", d).returncode != 0, "an expired token was accepted"


def test_third_failure_locks_for_15_minutes_and_survives_restart(oly):
    assert ok(oly, "GetLoginLockout", "s", "192.0.2.7") == [0]
    f1 = ok(oly, "RecordLoginFailure", "s", "192.0.2.7")
    f2 = ok(oly, "RecordLoginFailure", "s", "192.0.2.7")
    assert f1 == [1, 0] and f2 == [2, 0]
    failures, until = ok(oly, "RecordLoginFailure", "s", "192.0.2.7")
    assert failures == 3 and until > 0
    # Another client is not affected.
    assert ok(oly, "GetLoginLockout", "s", "192.0.2.8") == [0]
    oly.daemon_stop()
    oly.daemon_start()
    assert ok(oly, "GetLoginLockout", "s", "192.0.2.7") == [until]
    # More failures while locked do not extend the lock.
    assert ok(oly, "RecordLoginFailure", "s", "192.0.2.7")[1] == until


def test_reset_clears_the_count(oly):
    ok(oly, "RecordLoginFailure", "s", "::1")
    ok(oly, "RecordLoginFailure", "s", "::1")
    ok(oly, "ResetLoginFailures", "s", "::1")
    assert ok(oly, "RecordLoginFailure", "s", "::1") == [1, 0]


@pytest.mark.parametrize("bad", ["", "x" * 80, "1.2.3.4; DROP", "a b"])
def test_malformed_client_addresses_are_refused(oly, bad):
    assert call(oly, "RecordLoginFailure", "s", bad).returncode != 0


def test_push_subscriptions(oly):
    assert ok(oly, "ListPushSubscriptions") == [[]]
    ok(oly, "AddPushSubscription", "sss", "https://push.example/a", "BPK", "AUTH")
    ok(oly, "AddPushSubscription", "sss", "https://push.example/a", "BPK2", "AUTH2")  # replaces
    subs = ok(oly, "ListPushSubscriptions")[0]
    assert [s[:3] for s in subs] == [["https://push.example/a", "BPK2", "AUTH2"]]
    p = call(oly, "AddPushSubscription", "sss", "http://insecure.example/", "k", "a")
    assert p.returncode != 0 and "https://" in p.stderr
    ok(oly, "RemovePushSubscription", "s", "https://push.example/a")
    p = call(oly, "RemovePushSubscription", "s", "https://push.example/a")
    assert p.returncode != 0 and "No such push subscription" in p.stderr


def test_push_subscriptions_are_bounded(oly):
    for i in range(256):
        ok(oly, "AddPushSubscription", "sss", f"https://push.example/{i}", "k", "a")
    p = call(oly, "AddPushSubscription", "sss", "https://push.example/one-too-many", "k", "a")
    assert p.returncode != 0 and "256" in p.stderr


def test_no_nodes_before_federation(oly):
    assert ok(oly, "ListNodes") == [[]]


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def test_vapid_key_pair_generated_once_into_config(oly):
    cfg = json.loads((oly.state / "config.json").read_text())
    pub, priv = cfg["web_push_vapid_public_key"], cfg["web_push_vapid_private_key"]
    raw = b64url(pub)
    assert len(raw) == 65 and raw[0] == 4, "not an uncompressed P-256 point"
    assert len(b64url(priv)) == 32
    assert prop(oly, "VapidPublicKey") == pub
    assert oly.state.joinpath("config.json").stat().st_mode & 0o077 == 0
    oly.daemon_stop()
    oly.daemon_start()
    cfg2 = json.loads((oly.state / "config.json").read_text())
    assert cfg2["web_push_vapid_public_key"] == pub, "the key pair changed on restart"


def test_user_config_kept_when_keys_are_added(oly_env):
    write_config(oly_env, {"max_running_sessions": 7, "prompt_idle_ms": 300})
    oly_env.daemon_start()
    cfg = json.loads((oly_env.state / "config.json").read_text())
    assert cfg["max_running_sessions"] == 7 and cfg["prompt_idle_ms"] == 300
    assert cfg["web_push_vapid_public_key"]


def test_half_a_key_pair_is_left_alone(oly_env):
    write_config(oly_env, {"web_push_vapid_public_key": "BPK"})
    oly_env.daemon_start()
    cfg = json.loads((oly_env.state / "config.json").read_text())
    assert cfg == {"web_push_vapid_public_key": "BPK"}
    assert "only one of" in (oly_env.state / "daemon.log").read_text()
