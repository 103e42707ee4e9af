# SPDX-License-Identifier: LGPL-2.1-or-later
"""Federation API keys on a primary: 'oly api-key add|ls|remove' and org.openrelay.Oly1.Federation
(AddApiKey, ListApiKeys, RemoveApiKey, VerifyApiKey) against a real daemon. A key is printed once and
stored only as a keyed digest; every wrong key gets the same answer."""
import hashlib
import json
import re
import sqlite3

import pytest

from conftest import BUS_NAME, MANAGER_PATH, dbus_connect, parse_time

FED = "org.openrelay.Oly1.Federation"
KEY_RE = re.compile(r"oly_[0-9abcdefghjkmnpqrstvwxyz]{12}_[A-Za-z0-9_-]{43}")
UNAUTHORIZED = "org.openrelay.Oly1.Error.Unauthorized"


def add(oly, name):
    """'oly api-key add NAME' -> (key, stdout)."""
    out = oly.ok("api-key", "add", name)
    keys = KEY_RE.findall(out)
    assert keys, out
    assert len(set(keys)) == 1, f"more than one key in the output:\n{out}"
    return keys[0], out


def ls(oly):
    return json.loads(oly.ok("api-key", "ls", "--json"))


def verify(oly, key):
    """VerifyApiKey over busctl: (returncode, stdout, stderr)."""
    p = oly.busctl("call", BUS_NAME, MANAGER_PATH, FED, "VerifyApiKey", "s", key)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def fed_call(oly, method, sig="", *args):
    import minidbus
    with dbus_connect(oly) as c:
        try:
            return c.call(MANAGER_PATH, FED, method, sig, *args)
        except minidbus.DBusError as e:
            return e


def state_bytes(oly):
    """Every byte the daemon keeps in its state directory's database files (main, WAL, shared memory)."""
    return b"".join(p.read_bytes() for p in sorted(oly.state.glob("oly.db*")) if p.is_file())


def test_add_prints_the_key_once_with_the_join_line(oly):
    key, out = add(oly, "build-box")
    assert out.count(key) == 2  # the key on its own, and in the join line
    assert f"\n  {key}\n" in out
    assert f"oly join start --name build-box --key {key} http://<this host>:<http port>" in out
    assert "placeholder" in out
    # Never again: not in ls (table or JSON), not in the database files.
    table = oly.ok("api-key", "ls")
    assert "build-box" in table and key not in table and "oly_" not in table
    rows = ls(oly)
    assert [r["name"] for r in rows] == ["build-box"]
    assert set(rows[0]) == {"name", "created_at", "last_used_at"}
    parse_time(rows[0]["created_at"])
    assert rows[0]["last_used_at"] is None
    secret = key.rsplit("_", 1)[1]
    data = state_bytes(oly)
    assert key.encode() not in data and secret.encode() not in data
    # The stored digest is keyed: not the plain SHA-256 of the key.
    with sqlite3.connect(f"file:{oly.state / 'oly.db'}?mode=ro", uri=True) as db:
        (digest,) = db.execute("SELECT digest FROM api_keys WHERE name = 'build-box'").fetchone()
    assert len(digest) == 32 and digest != hashlib.sha256(key.encode()).digest()


def test_join_line_names_the_web_port(oly_env):
    oly_env.http_start()
    key, out = add(oly_env, "n1")
    assert f"oly join start --name n1 --key {key} http://<this host>:{oly_env.http_port}" in out
    assert "<http port>" not in out


def test_keys_are_distinct(oly):
    a, _ = add(oly, "a")
    b, _ = add(oly, "b")
    assert a != b and a.split("_")[1] != b.split("_")[1]


def test_duplicate_name_refused(oly):
    key, _ = add(oly, "dup")
    p = oly.run("api-key", "add", "dup")
    assert p.returncode == 1
    assert p.stderr.startswith("oly: ") and p.stderr.count("\n") == 1 and "exists" in p.stderr
    assert not KEY_RE.search(p.stdout + p.stderr)
    e = fed_call(oly, "AddApiKey", "s", "dup")
    assert getattr(e, "name", None) == "org.openrelay.Oly1.Error.Exists"
    assert verify(oly, key)[0] == 0  # the first key stands
    assert [r["name"] for r in ls(oly)] == ["dup"]


@pytest.mark.parametrize("name", ["a b", "x" * 65, "a/b", "é", "a:b", "node\nx", "*"])
def test_bad_names_refused(oly, name):
    p = oly.run("api-key", "add", name)
    assert p.returncode == 2 and p.stderr.startswith("oly: invalid key name"), p.stderr
    e = fed_call(oly, "AddApiKey", "s", name)
    assert getattr(e, "name", None) == "org.openrelay.Oly1.Error.InvalidArgument"
    assert ls(oly) == []


def test_empty_name_refused(oly):
    p = oly.run("api-key", "add", "")
    assert p.returncode == 2 and "oly: invalid key name" in p.stderr
    assert getattr(fed_call(oly, "AddApiKey", "s", ""), "name", None) == "org.openrelay.Oly1.Error.InvalidArgument"


def test_longest_name_and_every_allowed_character(oly):
    for name in ("n" * 64, "Az09._-x"):
        add(oly, name)
    assert sorted(r["name"] for r in ls(oly)) == sorted(["n" * 64, "Az09._-x"])


def test_verify_right_key_returns_name_and_records_use(oly):
    key, _ = add(oly, "box")
    rc, out, err = verify(oly, key)
    assert rc == 0, err
    assert out == 's "box"'
    used = ls(oly)[0]["last_used_at"]
    assert used is not None and parse_time(used) >= parse_time(ls(oly)[0]["created_at"])
    assert "never" not in oly.ok("api-key", "ls")


def test_every_wrong_key_gets_the_same_answer(oly):
    key, _ = add(oly, "box")
    prefix, kid, secret = key.split("_", 2)
    flip = "A" if secret[0] != "A" else "B"
    other_id = ("a" if kid[0] != "a" else "b") + kid[1:]
    wrong = {
        "wrong secret": f"oly_{kid}_{flip}{secret[1:]}",
        "unknown id": f"oly_{other_id}_{secret}",
        "malformed": "hello",
        "empty": "",
        "truncated": key[:-1],
        "too long": key + "A",
        "bad prefix": "olx" + key[3:],
        "non-canonical tail": key[:-1] + ("B" if key[-1] == "A" else "A"),
    }
    answers = set()
    for what, k in wrong.items():
        e = fed_call(oly, "VerifyApiKey", "s", k)
        assert getattr(e, "name", None) == UNAUTHORIZED, f"{what}: {e!r}"
        answers.add(e.message)
        rc, _, err = verify(oly, k)
        assert rc != 0
        answers.add(err)
    assert answers == {"Invalid API key.", "Call failed: Invalid API key."}, answers
    assert ls(oly)[0]["last_used_at"] is None  # no wrong key counts as a use
    assert verify(oly, key)[0] == 0


def test_removed_key_no_longer_verifies(oly):
    key, _ = add(oly, "gone")
    keep, _ = add(oly, "kept")
    assert oly.ok("api-key", "remove", "gone").strip() == "API key 'gone' removed."
    e = fed_call(oly, "VerifyApiKey", "s", key)
    assert getattr(e, "name", None) == UNAUTHORIZED
    assert verify(oly, keep)[0] == 0
    assert [r["name"] for r in ls(oly)] == ["kept"]
    p = oly.run("api-key", "remove", "gone")
    assert p.returncode == 1 and p.stderr == "oly: No API key named 'gone'.\n"
    assert getattr(fed_call(oly, "RemoveApiKey", "s", "gone"), "name", None) == "org.openrelay.Oly1.Error.NotFound"
    # The name is free again, with a new key.
    again, _ = add(oly, "gone")
    assert again != key and verify(oly, again)[0] == 0 and verify(oly, key)[0] != 0


def test_keys_survive_a_daemon_restart(oly):
    key, _ = add(oly, "persist")
    oly.daemon_stop()
    oly.daemon_start()
    rc, out, _ = verify(oly, key)
    assert rc == 0 and out == 's "persist"'


def test_at_most_256_keys(oly):
    for i in range(256):
        r = fed_call(oly, "AddApiKey", "s", f"k{i}")
        assert isinstance(r, list) and KEY_RE.fullmatch(r[0]), r
    e = fed_call(oly, "AddApiKey", "s", "one-more")
    assert getattr(e, "name", None) == "org.openrelay.Oly1.Error.LimitReached"
    p = oly.run("api-key", "add", "one-more")
    assert p.returncode == 1 and p.stderr.startswith("oly: 256 API keys exist") and p.stderr.count("\n") == 1
    assert len(ls(oly)) == 256
    oly.ok("api-key", "remove", "k7")
    add(oly, "one-more")


def test_list_reply_holds_no_secret(oly):
    key, _ = add(oly, "box")
    rows = fed_call(oly, "ListApiKeys")[0]
    assert len(rows) == 1 and rows[0][0] == "box" and rows[0][2] == 0
    assert key not in repr(rows)


def test_empty_list(oly):
    assert ls(oly) == []
    assert "No API keys" in oly.ok("api-key", "ls")


@pytest.mark.parametrize("args", [("api-key",), ("api-key", "frob"), ("api-key", "add"), ("api-key", "add", "a", "b"),
                                  ("api-key", "remove"), ("api-key", "ls", "x"), ("api-key", "add", "a", "--json"),
                                  ("api-key", "--bogus")], ids=" ".join)
def test_usage_errors(oly, args):
    p = oly.run(*args)
    assert p.returncode == 2, p.stderr
    assert "oly: " in p.stderr and "Try 'oly api-key --help'." in p.stderr  # getopt speaks first for --bogus
    assert ls(oly) == []


def test_no_daemon_is_one_line(oly_env):
    for args in (("api-key", "ls"), ("api-key", "add", "x"), ("api-key", "remove", "x")):
        p = oly_env.run(*args)
        assert p.returncode == 1
        assert p.stderr.startswith("oly: ") and p.stderr.count("\n") == 1, p.stderr
