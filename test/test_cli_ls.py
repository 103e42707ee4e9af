# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly ls: the table, --json, and every filter."""
import json
from datetime import timedelta, timezone

import pytest

from conftest import RFC3339_RE, parse_time

FIELDS = {"id", "title", "command", "args", "cwd", "status", "pid", "exit_code", "created_at", "started_at",
          "ended_at", "input_needed", "notifications_enabled"}
STATUSES = {"created", "running", "stopping", "stopped", "killed", "failed", "unknown"}


def _ended(oly, sid):
    return oly.wait_status(sid, ("stopped", "failed", "killed"))


def test_empty(oly):
    assert oly.ok("ls") == "No sessions.\n"
    assert json.loads(oly.ok("ls", "--json")) == []


def test_table(oly):
    plain = oly.start_detached("sh", "-c", "exit 3")
    titled = oly.start_detached("true", title="my-title")
    _ended(oly, plain)
    _ended(oly, titled)
    lines = oly.ok("ls").splitlines()
    header = lines[0]
    for col in ("ID", "STATUS", "AGE", "INPUT"):
        assert col in header, f"no {col} column in {header!r}"
    assert "TITLE" in header or "COMMAND" in header
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {plain, titled}
    assert "failed" in rows[plain] and "sh -c" in rows[plain]
    assert "my-title" in rows[titled] and "stopped" in rows[titled]


def test_table_does_not_print_control_characters(oly):
    oly.start_detached("true", title="evil\x1b]0;pwned\x07title")
    out = oly.ok("ls")
    assert "\x1b" not in out and "\x07" not in out


def test_json_fields_and_types(oly):
    run = oly.start_detached("sleep", "1000", title="t")
    done = oly.start_detached("sh", "-c", "exit 0")
    oly.wait_status(run, "running")
    _ended(oly, done)
    oly.run("start", "--detach", "oly-no-such-command-xyz")
    ss = oly.ls_json()
    assert len(ss) == 3
    for s in ss:
        assert set(s) == FIELDS, f"fields differ: {set(s) ^ FIELDS}"
        assert isinstance(s["id"], str)
        assert s["title"] is None or isinstance(s["title"], str)
        assert isinstance(s["command"], str)
        assert isinstance(s["args"], list) and all(isinstance(a, str) for a in s["args"])
        assert isinstance(s["cwd"], str) and s["cwd"].startswith("/")
        assert s["status"] in STATUSES
        assert s["pid"] is None or (isinstance(s["pid"], int) and s["pid"] > 0)
        assert s["exit_code"] is None or isinstance(s["exit_code"], int)
        assert isinstance(s["created_at"], str) and RFC3339_RE.match(s["created_at"])
        for k in ("started_at", "ended_at"):
            assert s[k] is None or (isinstance(s[k], str) and RFC3339_RE.match(s[k])), s[k]
        assert isinstance(s["input_needed"], bool)
        assert isinstance(s["notifications_enabled"], bool)
    by_id = {s["id"]: s for s in ss}
    assert by_id[run]["title"] == "t" and by_id[run]["exit_code"] is None and by_id[run]["ended_at"] is None
    assert by_id[done]["title"] is None and by_id[done]["exit_code"] == 0
    assert by_id[done]["args"] == ["-c", "exit 0"]


def test_newest_first(oly):
    ids = [oly.start_detached("true") for _ in range(4)]
    assert [s["id"] for s in oly.ls_json()] == ids[::-1]
    table_ids = [line.split()[0] for line in oly.ok("ls").splitlines()[1:]]
    assert table_ids == ids[::-1]


def test_default_limit_is_10(oly):
    ids = [oly.start_detached("true") for _ in range(12)]
    got = json.loads(oly.ok("ls", "--json"))
    assert [s["id"] for s in got] == ids[::-1][:10]
    assert len(oly.ok("ls").splitlines()) == 1 + 10


def test_limit(oly):
    ids = [oly.start_detached("true") for _ in range(4)]
    got = json.loads(oly.ok("ls", "--json", "--limit", "3"))
    assert [s["id"] for s in got] == ids[::-1][:3]
    assert len(json.loads(oly.ok("ls", "--json", "--limit", "100"))) == 4


def test_search_title_case_insensitive(oly):
    a = oly.start_detached("true", title="Alpha Build")
    oly.start_detached("true", title="beta")
    oly.start_detached("true")
    got = json.loads(oly.ok("ls", "--json", "--search", "aLPHA b"))
    assert [s["id"] for s in got] == [a]


def test_search_id_substring_case_insensitive(oly):
    ids = [oly.start_detached("true") for _ in range(3)]
    target = ids[1]
    needle = target[2:6]
    got = [s["id"] for s in json.loads(oly.ok("ls", "--json", "--search", needle.upper()))]
    assert target in got
    for sid in got:
        assert needle in sid
    assert json.loads(oly.ok("ls", "--json", "--search", "no-such-text")) == []


def test_search_does_not_match_command(oly):
    oly.start_detached("true", title="x")
    assert json.loads(oly.ok("ls", "--json", "--search", "true")) == []


def test_status_filter(oly):
    running = oly.start_detached("sleep", "1000")
    stopped = oly.start_detached("sh", "-c", "exit 0")
    failed = oly.start_detached("sh", "-c", "exit 3")
    oly.wait_status(running, "running")
    oly.wait_status(stopped, "stopped")
    oly.wait_status(failed, "failed")
    assert [s["id"] for s in oly.ls_json("--status", "running")] == [running]
    assert {s["id"] for s in oly.ls_json("--status", "stopped", "--status", "failed")} == {stopped, failed}
    assert oly.ls_json("--status", "killed") == []


def test_since_until_inclusive(oly):
    ids = [oly.start_detached("true") for _ in range(3)]
    created = {s["id"]: s["created_at"] for s in oly.ls_json()}
    c1, c2, c3 = (created[i] for i in ids)
    assert parse_time(c1) < parse_time(c2) < parse_time(c3)

    def ls(*args):
        return [s["id"] for s in oly.ls_json(*args)]

    assert ls("--since", c2) == [ids[2], ids[1]]
    assert ls("--until", c2) == [ids[1], ids[0]]
    assert ls("--since", c2, "--until", c2) == [ids[1]]
    assert ls("--since", c1, "--until", c3) == ids[::-1]
    assert ls("--since", "2000-01-01T00:00:00Z") == ids[::-1]
    assert ls("--until", "2000-01-01T00:00:00Z") == []


def test_since_with_utc_offset(oly):
    ids = [oly.start_detached("true") for _ in range(2)]
    c2 = parse_time(oly.session(ids[1])["created_at"])
    plus2 = c2.astimezone(timezone(timedelta(hours=2))).isoformat(timespec="microseconds")
    assert plus2.endswith("+02:00")
    assert [s["id"] for s in oly.ls_json("--since", plus2)] == [ids[1]]


def test_since_after_until_is_an_error(oly):
    p = oly.run("ls", "--since", "2026-01-02T00:00:00Z", "--until", "2026-01-01T00:00:00Z")
    assert p.returncode == 2


@pytest.mark.parametrize("args,bad", [
    (("--status", "runing"), "runing"),
    (("--status", "RUNNING!"), "RUNNING!"),
    (("--since", "yesterday"), "yesterday"),
    (("--since", "2026-13-01T00:00:00Z"), "2026-13-01T00:00:00Z"),
    (("--until", "2026-02-30T00:00:00Z"), "2026-02-30T00:00:00Z"),
    (("--until", "2026-01-01"), "2026-01-01"),
    (("--limit", "0"), "0"),
    (("--limit", "-1"), "-1"),
    (("--limit", "x"), "x"),
    (("--limit", "100001"), "100001"),
], ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_bad_values_are_usage_errors(oly, args, bad):
    p = oly.run("ls", *args)
    assert p.returncode == 2
    assert f"'{bad}'" in p.stderr, f"the message does not name {bad!r}: {p.stderr}"
    assert p.stdout == ""


def test_unexpected_argument(oly):
    assert oly.run("ls", "extra").returncode == 2
