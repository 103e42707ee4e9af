# SPDX-License-Identifier: LGPL-2.1-or-later
"""GET /api/events, the server-sent event stream the web UI's session list lives on: a snapshot first,
then what happens to sessions (created, updated, exited, waiting for input), and a resume with
Last-Event-ID that replays what a reconnecting client missed."""
import re

import pytest
import requests

from httputil import SESSION_FIELDS, Client, Sse, assert_error, get_token, is_event, restart_http, url

EVENT_ID_RE = re.compile(r"^(.+)-(\d+)$")


def seq(ev):
    m = EVENT_ID_RE.match(ev["id"] or "")
    assert m, f"event id {ev['id']!r} is not <boot>-<seq>"
    return m.group(1), int(m.group(2))


@pytest.fixture
def token(oly_http):
    return get_token(oly_http)


def test_stream_starts_with_a_snapshot_of_existing_sessions(oly_http, token):
    """A new tab gets the current list (newest first) before any change."""
    a = oly_http.start_detached("sleep", "1000", title="first")
    b = oly_http.start_detached("true")
    oly_http.wait_status(b, "stopped")
    oly_http.wait_status(a, "running")
    with Sse(oly_http, token) as ev:
        assert ev.status == 200, ev.headers
        assert ev.headers.get("content-type", "").startswith("text/event-stream")
        assert "no-store" in ev.headers.get("cache-control", "") or "no-cache" in ev.headers.get("cache-control", "")
        first = ev.next()
        assert first["event"] == "snapshot", first
        seq(first)
        sessions = first["data"]["sessions"]
        assert [s["id"] for s in sessions] == [b, a]
        for s in sessions:
            assert set(s) == SESSION_FIELDS
        by_id = {s["id"]: s for s in sessions}
        assert by_id[a]["title"] == "first" and by_id[a]["status"] == "running"
        assert by_id[b]["status"] == "stopped" and by_id[b]["exit_code"] == 0


def test_stream_with_the_cookie(oly_http, token):
    """EventSource in a browser cannot set headers: the login cookie must do."""
    with Sse(oly_http, headers={"Cookie": f"oly_token={token}"}) as ev:
        assert ev.status == 200
        assert ev.next()["event"] == "snapshot"


def test_stream_refused_without_a_token(oly_http):
    """The event stream leaks session titles and commands: it needs a login."""
    r = requests.get(url(oly_http, "/api/events"), timeout=10, stream=True)
    try:
        assert_error(r, 401, "unauthorized")
    finally:
        r.close()


def test_session_created_by_the_cli_is_announced(oly_http, token):
    """A session started from a terminal appears in the web UI at once."""
    with Sse(oly_http, token) as ev:
        ev.wait_for(is_event("snapshot"))
        sid = oly_http.start_detached("sleep", "1000", title="live one")
        e = ev.wait_for(is_event("session.created", sid), what=f"session.created for {sid}")
        assert set(e["data"]) == SESSION_FIELDS
        assert e["data"]["title"] == "live one" and e["data"]["command"] == "sleep"


def test_exit_is_announced_with_status_and_code(oly_http, token):
    """The web UI learns how a session ended without polling."""
    with Sse(oly_http, token) as ev:
        ev.wait_for(is_event("snapshot"))
        sid = oly_http.start_detached("sh", "-c", "read x; exit 3")
        ev.wait_for(is_event("session.created", sid))
        oly_http.ok("send", sid, "key:enter")
        e = ev.wait_for(is_event("session.exited", sid), what=f"session.exited for {sid}")
        assert e["data"]["status"] == "failed" and e["data"]["exit_code"] == 3
        assert e["data"]["ended_at"] is not None


def test_changes_are_announced_as_updated(oly_http, token):
    """Another tab switching notifications off shows up in this one."""
    sid = oly_http.start_detached("sleep", "1000")
    oly_http.wait_status(sid, "running")
    with Sse(oly_http, token) as ev:
        ev.wait_for(is_event("snapshot"))
        oly_http.ok("notify", "disable", sid)
        e = ev.wait_for(lambda e: is_event("session.updated", sid)(e) and e["data"]["notifications_enabled"] is False,
                        what=f"session.updated with notifications off for {sid}")
        assert set(e["data"]) == SESSION_FIELDS


def test_prompt_is_announced_as_input_needed(oly_http, token):
    """A program waiting at a prompt is announced with the trigger and the prompt line."""
    with Sse(oly_http, token) as ev:
        ev.wait_for(is_event("snapshot"))
        sid = oly_http.start_detached("sh", "-c", 'printf "Continue? (y/n) "; read x')
        e = ev.wait_for(is_event("session.input_needed", sid), timeout=30, what=f"input_needed for {sid}")
        d = e["data"]
        assert d["input_needed"] is True
        assert d["trigger"] == "yes-no"
        assert d["line"].rstrip() == "Continue? (y/n)"
        assert SESSION_FIELDS <= set(d)


def test_event_ids_increase(oly_http, token):
    """Event ids are <boot>-<seq> with seq increasing, so a client's Last-Event-ID orders them."""
    with Sse(oly_http, token) as ev:
        boot, n = seq(ev.wait_for(is_event("snapshot")))
        sid = oly_http.start_detached("true")
        ev.wait_for(is_event("session.exited", sid))
        ids = [seq(e) for e in ev.seen]
        assert all(b == boot for b, _ in ids), ids
        assert [s for _, s in ids[1:]] == sorted({s for _, s in ids[1:]}), f"not strictly increasing: {ids}"
        assert ids[1][1] > n, ids


def test_last_event_id_replays_the_missed_events(oly_http, token):
    """A browser that lost its connection reconnects with Last-Event-ID: it gets what happened meanwhile,
    not a whole new snapshot, and then the live events."""
    with Sse(oly_http, token) as s1:
        s1.wait_for(is_event("snapshot"))
        a = oly_http.start_detached("sleep", "1000")
        last = s1.wait_for(is_event("session.created", a))["id"]
    # Disconnected. Meanwhile b is created; a second client proves oly-http has seen it.
    with Sse(oly_http, token) as watch:
        watch.wait_for(is_event("snapshot"))
        b = oly_http.start_detached("sleep", "1000", title="missed")
        watch.wait_for(is_event("session.created", b))
    with Sse(oly_http, token, last_event_id=last) as s3:
        assert s3.status == 200
        got = s3.wait_for(is_event("session.created", b), what=f"the replayed session.created for {b}")
        assert got["data"]["title"] == "missed"
        assert not [e for e in s3.seen if e["event"] == "snapshot"], "a snapshot instead of a replay"
        assert not [e for e in s3.seen if is_event("session.created", a)(e)], "an event before Last-Event-ID again"
        assert all(seq(e)[1] > seq({"id": last})[1] for e in s3.seen)
        # Then live.
        c = oly_http.start_detached("sleep", "1000")
        s3.wait_for(is_event("session.created", c))


@pytest.mark.parametrize("last", ["nonsense", "12345-1", "{boot}-999999999", "{boot}-abc", ""])
def test_unknown_last_event_id_gets_a_snapshot(oly_http, token, last):
    """An id the server cannot resume from (garbage, another boot, the future) starts over with a snapshot."""
    sid = oly_http.start_detached("sleep", "1000")
    with Sse(oly_http, token) as s1:
        boot, _ = seq(s1.wait_for(is_event("snapshot")))
    with Sse(oly_http, token, last_event_id=last.format(boot=boot)) as ev:
        first = ev.next()
        assert first["event"] == "snapshot", first
        assert [s["id"] for s in first["data"]["sessions"]] == [sid]


def test_last_event_id_from_before_an_oly_http_restart_gets_a_snapshot(oly_http, token):
    """A restarted oly-http cannot know what the client missed: it starts over with a snapshot."""
    a = oly_http.start_detached("sleep", "1000")
    with Sse(oly_http, token) as s1:
        s1.wait_for(is_event("snapshot"))
        b = oly_http.start_detached("sleep", "1000")
        last = s1.wait_for(is_event("session.created", b))["id"]
    restart_http(oly_http)
    c = oly_http.start_detached("sleep", "1000")
    with Sse(oly_http, token, last_event_id=last) as ev:
        first = ev.next()
        assert first["event"] == "snapshot", first
        assert [s["id"] for s in first["data"]["sessions"]] == [c, b, a]


def test_snapshot_holds_the_200_newest(oly_http, token):
    """The snapshot is bounded: the 200 newest sessions."""
    api = Client(oly_http, token)
    sids = [api.create(["true"])["id"] for _ in range(205)]
    with Sse(oly_http, token) as ev:
        snap = ev.wait_for(is_event("snapshot"))
        assert [s["id"] for s in snap["data"]["sessions"]] == sids[::-1][:200]

