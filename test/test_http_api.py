# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly-http's REST API against a real daemon: every endpoint, what it answers and what it refuses, the one
error shape, body limits, static files, and the headers every response carries."""
import base64
import http.client
import json
import pwd
import os
import signal

import pytest
import requests

from conftest import MANAGER_PATH, WEB_DIR, dbus_connect, parse_time, project_version, sessions_sharing_first_char, \
    wait_log, wait_until
from httputil import NO_SUCH_ID, SESSION_FIELDS, Client, assert_error, describe, url

WEB_IFACE = "org.openrelay.Oly1.Web"
TIME_FIELDS = ("created_at", "started_at", "ended_at")


@pytest.fixture
def api(oly_http):
    """A client logged in to oly_http."""
    return Client(oly_http)


def normalised(s):
    """A Session object with its times parsed (the API and 'oly ls --json' may spell the same instant
    differently, e.g. Z or +00:00)."""
    return {k: (parse_time(v) if k in TIME_FIELDS and v is not None else v) for k, v in s.items()}


def ended(o, sid):
    return o.wait_status(sid, ("stopped", "failed", "killed"))


def ids(listing):
    return [s["id"] for s in listing["sessions"]]


def raw_get(o, path, headers=None):
    """GET path exactly as written (requests would normalise dot segments away). Returns (status, body)."""
    c = http.client.HTTPConnection("127.0.0.1", o.http_port, timeout=30)
    try:
        c.putrequest("GET", path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        c.endheaders()
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


# ---- health, auth status ----

def test_health_answers_without_a_token(oly_http):
    """Monitoring probes /api/health without logging in; it says ok and which version serves."""
    r = requests.get(url(oly_http, "/api/health"), timeout=10)
    assert r.status_code == 200, describe(r)
    assert r.json() == {"status": "ok", "version": project_version()}


def test_auth_status_before_and_after_login(oly_http):
    """The web UI decides between its login page and the app from /api/auth/status."""
    r = requests.get(url(oly_http, "/api/auth/status"), timeout=10)
    assert r.status_code == 200, describe(r)
    assert r.json() == {"auth_required": True, "authenticated": False, "password_set": True}
    api = Client(oly_http)
    assert api.ok("GET", "/api/auth/status") == {"auth_required": True, "authenticated": True, "password_set": True}


# ---- listing ----

def test_list_empty(api):
    """A fresh install lists nothing, and says there is no next page."""
    assert api.ok("GET", "/api/sessions") == {"sessions": [], "next": None}


def test_list_matches_oly_ls_newest_first(oly_http, api):
    """The web UI shows the same sessions, with the same fields and values, as 'oly ls --json'."""
    a = oly_http.start_detached("sh", "-c", "exit 3")
    b = oly_http.start_detached("true", title="second")
    c = oly_http.start_detached("sleep", "1000")
    ended(oly_http, a)
    ended(oly_http, b)
    oly_http.wait_status(c, "running")
    got = api.ok("GET", "/api/sessions")
    assert ids(got) == [c, b, a]
    assert got["next"] is None
    for s in got["sessions"]:
        assert set(s) == SESSION_FIELDS, f"fields differ: {set(s) ^ SESSION_FIELDS}"
    assert [normalised(s) for s in got["sessions"]] == [normalised(s) for s in oly_http.ls_json()]
    by_id = {s["id"]: s for s in got["sessions"]}
    assert by_id[a]["title"] is None and by_id[b]["title"] == "second"
    assert by_id[a]["status"] == "failed" and by_id[a]["exit_code"] == 3
    assert by_id[c]["exit_code"] is None and by_id[c]["ended_at"] is None
    assert isinstance(by_id[c]["pid"], int) and by_id[c]["pid"] > 0


def test_list_search(oly_http, api):
    """search matches the title (and id) case-insensitively, like 'oly ls --search'."""
    a = oly_http.start_detached("true", title="Alpha Build")
    oly_http.start_detached("true", title="beta")
    oly_http.start_detached("true")
    assert ids(api.ok("GET", "/api/sessions", params={"search": "aLPHA b"})) == [a]
    assert ids(api.ok("GET", "/api/sessions", params={"search": a[1:5].upper()})) == [a]
    assert ids(api.ok("GET", "/api/sessions", params={"search": "no-such-text"})) == []


def test_list_status_filter_is_repeatable(oly_http, api):
    """The UI's status filter can tick several statuses at once (?status=a&status=b)."""
    running = oly_http.start_detached("sleep", "1000")
    stopped = oly_http.start_detached("true")
    failed = oly_http.start_detached("sh", "-c", "exit 3")
    oly_http.wait_status(running, "running")
    oly_http.wait_status(stopped, "stopped")
    oly_http.wait_status(failed, "failed")
    assert ids(api.ok("GET", "/api/sessions", params={"status": "running"})) == [running]
    assert set(ids(api.ok("GET", "/api/sessions", params=[("status", "stopped"), ("status", "failed")]))) == \
        {stopped, failed}
    assert ids(api.ok("GET", "/api/sessions", params={"status": "killed"})) == []


def test_list_since_until_inclusive(oly_http, api):
    """Date filters bound created_at inclusively, like 'oly ls --since/--until'."""
    sids = [oly_http.start_detached("true") for _ in range(3)]
    created = {s["id"]: s["created_at"] for s in oly_http.ls_json()}
    c1, c2, c3 = (created[i] for i in sids)

    def ls(**params):
        return ids(api.ok("GET", "/api/sessions", params=params))

    assert ls(since=c2) == [sids[2], sids[1]]
    assert ls(until=c2) == [sids[1], sids[0]]
    assert ls(since=c2, until=c2) == [sids[1]]
    assert ls(since=c1, until=c3) == sids[::-1]
    assert ls(until="2000-01-01T00:00:00Z") == []


@pytest.mark.parametrize("params", [{"since": "yesterday"}, {"until": "2026-13-01T00:00:00Z"},
                                    {"limit": "many"}, {"before": "not-a-cursor"}],
                         ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_list_bad_query_is_400(api, params):
    """A malformed filter is an error, not silently an unfiltered list."""
    assert_error(api.get("/api/sessions", params=params), 400)


def test_list_paging_with_next_and_before(oly_http, api):
    """A client pages through every session with limit and the opaque next cursor: no duplicates, none
    missing, newest first, and next is null on the last page."""
    sids = [oly_http.start_detached("true") for _ in range(5)]
    pages, cursor = [], None
    while True:
        params = {"limit": 2}
        if cursor:
            params["before"] = cursor
        page = api.ok("GET", "/api/sessions", params=params)
        assert len(page["sessions"]) <= 2
        pages.append(ids(page))
        cursor = page["next"]
        if cursor is None:
            break
        assert isinstance(cursor, str) and cursor
        assert len(pages) < 5, f"paging does not end: {pages}"
    assert pages == [sids[4:2:-1], sids[2:0:-1], sids[0:1]]


def test_list_paging_keeps_the_filters(oly_http, api):
    """The next cursor continues the same filtered listing."""
    want = []
    for i in range(4):
        want.append(oly_http.start_detached("true", title=f"keep-{i}"))
        oly_http.start_detached("true", title=f"other-{i}")
    first = api.ok("GET", "/api/sessions", params={"search": "keep", "limit": 3})
    assert ids(first) == want[:0:-1]
    rest = api.ok("GET", "/api/sessions", params={"search": "keep", "limit": 3, "before": first["next"]})
    assert ids(rest) == want[:1]
    assert rest["next"] is None


def test_list_default_limit_is_50(oly_http, api):
    """Without limit a page holds 50 sessions; the rest is reachable through next."""
    sids = [oly_http.start_detached("true") for _ in range(51)]
    first = api.ok("GET", "/api/sessions")
    assert ids(first) == sids[:0:-1]
    assert first["next"] is not None
    rest = api.ok("GET", "/api/sessions", params={"before": first["next"]})
    assert ids(rest) == [sids[0]] and rest["next"] is None


# ---- creating ----

def test_create_with_an_argv_array(oly_http, api):
    """POST /api/sessions runs the command; 201 with the Session and its Location; the default working
    directory is the user's home."""
    r = api.post("/api/sessions", json={"command": ["sh", "-c", "echo made-by-api; pwd; exit 3"],
                                        "title": "from the web"})
    assert r.status_code == 201, describe(r)
    s = r.json()
    assert set(s) == SESSION_FIELDS
    assert r.headers.get("Location", "").endswith(f"/api/sessions/{s['id']}"), describe(r)
    assert s["command"] == "sh" and s["args"] == ["-c", "echo made-by-api; pwd; exit 3"]
    assert s["title"] == "from the web"
    home = pwd.getpwuid(os.getuid()).pw_dir
    assert s["cwd"] == home
    assert s["notifications_enabled"] is True
    done = ended(oly_http, s["id"])
    assert done["status"] == "failed" and done["exit_code"] == 3
    assert done["title"] == "from the web"
    log = wait_log(oly_http, s["id"], "made-by-api")
    assert f"made-by-api\r\n{home}\r\n".encode() in log


def test_create_with_a_command_string_split_like_a_shell(oly_http, api):
    """A command typed as one line is split into words like a shell would (quotes kept together)."""
    s = api.create("sh -c 'echo \"two  spaces\"; exit 0'")
    assert s["command"] == "sh"
    assert s["args"] == ["-c", 'echo "two  spaces"; exit 0']
    wait_log(oly_http, s["id"], "two  spaces\r\n")
    assert ended(oly_http, s["id"])["status"] == "stopped"


def test_create_in_a_directory(oly_http, api, tmp_path):
    """cwd sets where the program runs."""
    s = api.create(["pwd"], cwd=str(tmp_path))
    assert s["cwd"] == str(tmp_path)
    wait_log(oly_http, s["id"], f"{tmp_path}\r\n")


def test_create_with_a_terminal_size(oly_http, api):
    """rows/cols give the session's terminal the browser's size from the start."""
    s = api.create(["stty", "size"], rows=33, cols=101)
    wait_log(oly_http, s["id"], "33 101\r\n")


def test_create_without_notifications(oly_http, api):
    """notifications: false is stored like 'oly start --disable-notifications'."""
    s = api.create(["sleep", "1000"], notifications=False)
    assert s["notifications_enabled"] is False
    assert oly_http.session(s["id"])["notifications_enabled"] is False


@pytest.mark.parametrize("cwd", ["relative/dir", "/no/such/directory", "/etc/passwd"])
def test_create_with_a_bad_cwd_is_400_and_creates_nothing(oly_http, api, cwd):
    """A relative, missing or non-directory cwd is the client's mistake: 400, and no session."""
    assert_error(api.post("/api/sessions", json={"command": ["true"], "cwd": cwd}), 400)
    assert oly_http.ls_json() == []


@pytest.mark.parametrize("body", [
    {},
    {"command": []},
    {"command": ""},
    {"command": 5},
    {"command": ["true", 5]},
    {"command": ["true"], "title": 5},
    {"command": ["true"], "rows": "24"},
    {"command": ["true"], "notifications": "yes"},
    {"command": "sh -c 'unterminated"},
], ids=json.dumps)
def test_create_with_a_bad_body_is_400_and_creates_nothing(oly_http, api, body):
    """Missing or mistyped fields are refused before anything runs."""
    assert_error(api.post("/api/sessions", json=body), 400)
    assert oly_http.ls_json() == []


# ---- one session ----

def test_get_by_id_and_by_prefix(oly_http, api):
    """A session is found by its id or a unique prefix, with the values 'oly ls' shows."""
    sid = oly_http.start_detached("sleep", "1000", title="t")
    oly_http.wait_status(sid, "running")
    s = api.session(sid)
    assert s["id"] == sid and s["title"] == "t" and s["status"] == "running"
    assert normalised(s) == normalised(oly_http.session(sid))
    assert api.session(sid[:3]) == s


@pytest.mark.parametrize("method,suffix,body", [
    ("GET", "", None),
    ("POST", "/stop", {}),
    ("POST", "/kill", {}),
    ("POST", "/input", {"text": "x"}),
    ("POST", "/resize", {"rows": 24, "cols": 80}),
    ("PUT", "/notifications", {"enabled": False}),
    ("GET", "/logs", None),
    ("GET", "/log", None),
], ids=lambda v: v if isinstance(v, str) else None)
def test_unknown_session_is_404(oly_http, api, method, suffix, body):
    """The upgrade is refused with 404 for an id that matches nothing."""
    oly_http.start_detached("sleep", "1000")
    r = api.request(method, f"/api/sessions/{NO_SUCH_ID}{suffix}", **({"json": body} if body is not None else {}))
    assert_error(r, 404, "not_found")


def test_ambiguous_prefix_is_409(oly_http, api):
    """A prefix matching two sessions is refused rather than guessed."""
    c, both = sessions_sharing_first_char(oly_http)
    assert_error(api.get(f"/api/sessions/{c}"), 409, "conflict")
    assert api.session(both[0])["id"] == both[0]


# ---- stop, kill ----

def test_stop_returns_the_ended_session(oly_http, api):
    """Stop answers once the session has ended, with how it ended."""
    sid = oly_http.start_detached("sleep", "1000")
    oly_http.wait_status(sid, "running")
    s = api.ok("POST", f"/api/sessions/{sid}/stop", json={})
    assert s["id"] == sid
    assert s["status"] in ("stopped", "killed"), s
    assert s["ended_at"] is not None and s["exit_code"] is not None
    assert oly_http.session(sid)["status"] == s["status"]


def test_stop_kills_after_the_grace(oly_http, api):
    """A program that ignores SIGTERM is killed once grace_seconds have passed; the reply says so."""
    sid = oly_http.start_detached("sh", "-c", 'trap "" TERM HUP; echo ready; while :; do sleep 0.1; done')
    wait_log(oly_http, sid, "ready")
    s = api.ok("POST", f"/api/sessions/{sid}/stop", json={"grace_seconds": 1})
    assert (s["status"], s["exit_code"]) == ("killed", 128 + signal.SIGKILL)


def test_stop_without_a_body_uses_the_default_grace(oly_http, api):
    """The stop button sends no body; that must work."""
    sid = oly_http.start_detached("sleep", "1000")
    oly_http.wait_status(sid, "running")
    r = api.post(f"/api/sessions/{sid}/stop")
    assert r.status_code == 200, describe(r)
    assert r.json()["status"] in ("stopped", "killed")


def test_kill_defaults_to_sigkill(oly_http, api):
    """Kill without a signal is SIGKILL: even a program ignoring TERM, HUP and INT ends."""
    sid = oly_http.start_detached("sh", "-c", 'trap "" TERM HUP INT; echo ready; while :; do sleep 0.1; done')
    wait_log(oly_http, sid, "ready")
    s = api.ok("POST", f"/api/sessions/{sid}/kill", json={})
    assert s["id"] == sid and set(s) == SESSION_FIELDS
    done = ended(oly_http, sid)
    assert (done["status"], done["exit_code"]) == ("killed", 128 + signal.SIGKILL)


@pytest.mark.parametrize("sig", ["TERM", "INT", "HUP", int(signal.SIGUSR1)], ids=str)
def test_kill_with_a_signal(oly_http, api, sig):
    """The named (or numbered) signal is what the program receives."""
    name = sig if isinstance(sig, str) else "USR1"
    sid = oly_http.start_detached("sh", "-c", f'trap "echo got-{name}; exit 7" {name}; echo ready; '
                                              f'while :; do sleep 0.1; done')
    wait_log(oly_http, sid, "ready")
    api.ok("POST", f"/api/sessions/{sid}/kill", json={"signal": sig})
    wait_log(oly_http, sid, f"got-{name}")
    done = ended(oly_http, sid)
    assert (done["status"], done["exit_code"]) == ("failed", 7)


@pytest.mark.parametrize("sig", ["BOGUS", -1, 100000, "", 1.5, [9]], ids=str)
def test_kill_with_a_bad_signal_is_400(oly_http, api, sig):
    """An unknown signal is refused and the session is left alone."""
    sid = oly_http.start_detached("sleep", "1000")
    oly_http.wait_status(sid, "running")
    assert_error(api.post(f"/api/sessions/{sid}/kill", json={"signal": sig}), 400)
    assert oly_http.session(sid)["status"] == "running"


# ---- input, resize, notifications ----

def reader(o):
    """A session that answers each line it reads with got-[line]."""
    sid = o.start_detached("sh", "-c", 'echo reader-ready; while read -r a; do echo "got-[$a]"; done')
    wait_log(o, sid, "reader-ready")
    return sid


def wait_line(api, sid, line, timeout=15):
    """Waits until the rendered logs (the API's) have that line."""
    return wait_until(lambda: line in api.logs(sid, tail=200)["lines"], timeout,
                      what=f"{line!r} in the logs of {sid}")


def test_input_chunks_and_keys_reach_the_program(oly_http, api):
    """Text chunks and key:enter arrive in order, as 'oly send' would type them."""
    sid = reader(oly_http)
    r = api.post(f"/api/sessions/{sid}/input", json={"chunks": ["hello ", "world", "key:enter"]})
    assert r.status_code == 204, describe(r)
    assert r.content == b""
    wait_line(api, sid, "got-[hello world]")


def test_input_text(oly_http, api):
    """The plain {"text"} form types its bytes as they are."""
    sid = reader(oly_http)
    api.ok("POST", f"/api/sessions/{sid}/input", 204, json={"text": "typed text\r"})
    wait_line(api, sid, "got-[typed text]")


@pytest.mark.parametrize("body", [
    {"chunks": ["before", "key:bogus"]},
    {"chunks": ["before", "key:hex:zz"]},
    {"chunks": ["before", 5]},
    {"chunks": "before"},
    {"text": 5},
    {},
], ids=json.dumps)
def test_bad_input_is_400_and_sends_nothing(oly_http, api, body):
    """Every chunk is checked before any byte goes: a bad key spec sends none of the valid ones."""
    sid = reader(oly_http)
    assert_error(api.post(f"/api/sessions/{sid}/input", json=body), 400, "bad_request")
    api.ok("POST", f"/api/sessions/{sid}/input", 204, json={"chunks": ["after", "key:enter"]})
    wait_line(api, sid, "got-[after]")
    assert b"before" not in oly_http.log(sid)


def test_input_to_an_ended_session_is_409(oly_http, api):
    """Typing into a session that has ended is a conflict, not a silent no-op."""
    sid = oly_http.start_detached("true")
    ended(oly_http, sid)
    assert_error(api.post(f"/api/sessions/{sid}/input", json={"text": "x"}), 409, "conflict")


def test_resize_changes_the_terminal_size(oly_http, api):
    """The program sees the new size (stty size) after a resize."""
    sid = oly_http.start_detached("sh", "-c", "echo size-ready; while read -r a; do stty size; done")
    wait_log(oly_http, sid, "size-ready")
    api.ok("POST", f"/api/sessions/{sid}/resize", 204, json={"rows": 33, "cols": 101})
    api.ok("POST", f"/api/sessions/{sid}/input", 204, json={"chunks": ["key:enter"]})
    wait_log(oly_http, sid, "33 101\r\n")


@pytest.mark.parametrize("body", [{"rows": 30}, {"rows": "30", "cols": 100}, {"rows": 0, "cols": 100},
                                  {"rows": -1, "cols": 100}, {"rows": 30, "cols": 70000}], ids=json.dumps)
def test_bad_resize_is_400(oly_http, api, body):
    """Missing, mistyped, zero or out-of-range sizes are refused."""
    sid = oly_http.start_detached("sleep", "1000")
    oly_http.wait_status(sid, "running")
    assert_error(api.post(f"/api/sessions/{sid}/resize", json=body), 400)


def test_resize_an_ended_session_is_409(oly_http, api):
    """An ended session has no terminal to resize."""
    sid = oly_http.start_detached("true")
    ended(oly_http, sid)
    assert_error(api.post(f"/api/sessions/{sid}/resize", json={"rows": 30, "cols": 100}), 409, "conflict")


def test_notifications_switch_shows_in_oly_ls(oly_http, api):
    """The web toggle and the CLI see the same setting."""
    sid = oly_http.start_detached("sleep", "1000")
    s = api.ok("PUT", f"/api/sessions/{sid}/notifications", json={"enabled": False})
    assert s["id"] == sid and s["notifications_enabled"] is False
    assert oly_http.session(sid)["notifications_enabled"] is False
    s = api.ok("PUT", f"/api/sessions/{sid}/notifications", json={"enabled": True})
    assert s["notifications_enabled"] is True
    assert oly_http.session(sid)["notifications_enabled"] is True


@pytest.mark.parametrize("body", [{}, {"enabled": "no"}, {"enabled": 0}], ids=json.dumps)
def test_notifications_bad_body_is_400(oly_http, api, body):
    """enabled must be a JSON boolean; anything else changes nothing."""
    sid = oly_http.start_detached("sleep", "1000")
    assert_error(api.put(f"/api/sessions/{sid}/notifications", json=body), 400)
    assert oly_http.session(sid)["notifications_enabled"] is True


# ---- logs ----

def test_logs_rendered_tail(oly_http, api):
    """/logs is what 'oly logs' prints: rendered lines, the last N (40 by default)."""
    sid = oly_http.start_detached("sh", "-c", "i=1; while [ $i -le 60 ]; do echo line-$i; i=$((i+1)); done")
    ended(oly_http, sid)
    got = api.logs(sid, tail=5)
    assert got == {"id": sid, "lines": [f"line-{i}" for i in range(56, 61)], "status": "stopped"}
    assert api.logs(sid)["lines"] == [f"line-{i}" for i in range(21, 61)]
    assert api.logs(sid, tail=1000)["lines"] == oly_http.ok("logs", "--tail", "1000", sid).splitlines()


def test_logs_rendered_like_a_terminal(oly_http, api):
    """Carriage-return progress bars come out as the final line, not as raw bytes."""
    sid = oly_http.start_detached("sh", "-c", r"printf 'progress 10%%\rprogress 100%%\ndone\n'")
    ended(oly_http, sid)
    assert api.logs(sid)["lines"] == ["progress 100%", "done"]


def test_logs_colour_only_on_request(oly_http, api):
    """Colours are stripped unless color=1, which matches 'oly logs --keep-color'."""
    sid = oly_http.start_detached("sh", "-c", r"printf '\033[31mred\033[0m plain\n'")
    ended(oly_http, sid)
    assert api.logs(sid, color=0)["lines"] == ["red plain"]
    assert api.logs(sid)["lines"] == ["red plain"]
    coloured = api.logs(sid, color=1)["lines"]
    assert coloured == oly_http.ok("logs", "--keep-color", sid).splitlines()
    assert "\x1b[" in coloured[0] and "red" in coloured[0]


@pytest.mark.parametrize("params", [{"tail": "x"}, {"tail": "-1"}],
                         ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_logs_bad_query_is_400(oly_http, api, params):
    """A malformed tail is an error."""
    sid = oly_http.start_detached("true")
    assert_error(api.get(f"/api/sessions/{sid}/logs", params=params), 400)


def test_raw_log_byte_ranges(oly_http, api):
    """/log serves the raw bytes of output.log by range, with the total size in X-Oly-Log-Size, so a client
    can page through (or tail) a large log."""
    sid = oly_http.start_detached("sh", "-c", "i=0; while [ $i -lt 8000 ]; do printf 'row-%05d\\033[1m!\\n' $i; "
                                              "i=$((i+1)); done")
    ended(oly_http, sid)
    full = oly_http.log(sid)
    assert len(full) > 100000

    r = api.get(f"/api/sessions/{sid}/log")
    assert r.status_code == 200, describe(r)
    assert r.headers["Content-Type"].startswith("application/octet-stream")
    assert int(r.headers["X-Oly-Log-Size"]) == len(full)
    assert r.content == full[:65536]

    r = api.get(f"/api/sessions/{sid}/log", params={"offset": 70000, "length": 123})
    assert r.status_code == 200, describe(r)
    assert r.content == full[70000:70123]
    assert int(r.headers["X-Oly-Log-Size"]) == len(full)

    r = api.get(f"/api/sessions/{sid}/log", params={"offset": len(full) - 10, "length": 1000})
    assert r.status_code == 200, describe(r)
    assert r.content == full[-10:]

    r = api.get(f"/api/sessions/{sid}/log", params={"offset": 0, "length": 2 * 1024 * 1024})
    if r.status_code == 200:  # clamped to the 1 MiB maximum
        assert r.content == full[:1024 * 1024]
    else:
        assert_error(r, 400)


def test_raw_log_of_a_running_session_grows(oly_http, api):
    """A client can poll the raw log from the last size it saw and get exactly the new bytes."""
    sid = oly_http.start_detached("sh", "-c", "echo first-part; read x; echo second-part; exec sleep 1000")
    wait_log(oly_http, sid, "first-part\r\n")
    r1 = api.get(f"/api/sessions/{sid}/log")
    assert r1.content == oly_http.log(sid)
    oly_http.ok("send", sid, "go", "key:enter")
    wait_log(oly_http, sid, "second-part\r\n")
    size1 = int(r1.headers["X-Oly-Log-Size"])
    r2 = api.get(f"/api/sessions/{sid}/log", params={"offset": size1})
    assert int(r2.headers["X-Oly-Log-Size"]) > size1
    assert r2.content == oly_http.log(sid)[size1:]
    assert b"second-part" in r2.content


@pytest.mark.parametrize("params", [{"offset": "x"}, {"offset": "-1"}, {"length": "y"}],
                         ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_raw_log_bad_query_is_400(oly_http, api, params):
    """Malformed or negative ranges are errors."""
    sid = oly_http.start_detached("true")
    assert_error(api.get(f"/api/sessions/{sid}/log", params=params), 400)


# ---- push, nodes ----

def b64url_decode(s):
    assert isinstance(s, str) and "=" not in s and "+" not in s and "/" not in s, s
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def test_vapid_public_key_is_an_uncompressed_p256_point(oly_http, api):
    """The browser's pushManager.subscribe needs the server key: base64url of a 65-byte 0x04 point."""
    got = api.ok("GET", "/api/push/vapid-public-key")
    assert set(got) == {"public_key"}
    raw = b64url_decode(got["public_key"])
    assert len(raw) == 65 and raw[0] == 4, raw.hex()
    with dbus_connect(oly_http) as bus:
        prop = bus.get_property(MANAGER_PATH, WEB_IFACE, "VapidPublicKey")
    assert got["public_key"] == prop


def list_push(o):
    with dbus_connect(o) as bus:
        return [tuple(s[:3]) for s in bus.call(MANAGER_PATH, WEB_IFACE, "ListPushSubscriptions")[0]]


def subscription(api, endpoint="https://push.example.net/send/abc123"):
    # A real P-256 point for p256dh: the server's own public key will do.
    p256dh = api.ok("GET", "/api/push/vapid-public-key")["public_key"]
    auth = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


def test_push_subscription_add_and_delete(oly_http, api):
    """The browser's subscription is stored in the daemon, and removed again on unsubscribe."""
    sub = subscription(api)
    api.ok("POST", "/api/push/subscriptions", 201, json=sub)
    assert list_push(oly_http) == [(sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"])]
    r = api.delete("/api/push/subscriptions", json={"endpoint": sub["endpoint"]})
    assert r.status_code == 204, describe(r)
    assert list_push(oly_http) == []
    assert_error(api.delete("/api/push/subscriptions", json={"endpoint": sub["endpoint"]}), 404, "not_found")


def test_push_subscription_delete_unknown_is_404(api):
    """Unsubscribing something never subscribed says so."""
    assert_error(api.delete("/api/push/subscriptions", json={"endpoint": "https://push.example.net/none"}), 404)


@pytest.mark.parametrize("mangle", ["no-keys", "no-endpoint", "endpoint-not-a-string", "auth-missing"])
def test_push_subscription_bad_body_is_400(oly_http, api, mangle):
    """An incomplete subscription is refused and nothing is stored."""
    sub = subscription(api)
    if mangle == "no-keys":
        del sub["keys"]
    elif mangle == "no-endpoint":
        del sub["endpoint"]
    elif mangle == "endpoint-not-a-string":
        sub["endpoint"] = 5
    else:
        del sub["keys"]["auth"]
    assert_error(api.post("/api/push/subscriptions", json=sub), 400)
    assert list_push(oly_http) == []


def test_nodes_empty(api):
    """Until federation exists the node list is empty (not an error)."""
    assert api.ok("GET", "/api/nodes") == {"nodes": []}


# ---- static files ----

def test_openapi_yaml_served(oly_http):
    """The API description is served from the web folder, as written."""
    r = requests.get(url(oly_http, "/openapi.yaml"), timeout=10)
    assert r.status_code == 200, describe(r)
    assert r.content == (WEB_DIR / "openapi.yaml").read_bytes()
    assert "openapi:" in r.text and "/api/sessions" in r.text


def test_index_and_assets_served_without_a_token(oly_http):
    """The login page itself must load before anyone has logged in."""
    for path in ("/", "/index.html"):
        r = requests.get(url(oly_http, path), timeout=10)
        assert r.status_code == 200, describe(r)
        assert r.headers["Content-Type"].startswith("text/html")
        assert r.content == (WEB_DIR / "index.html").read_bytes()
    for name, mime in (("style.css", "text/css"), ("app.js", "javascript"), ("favicon.svg", "image/svg+xml")):
        r = requests.get(url(oly_http, "/" + name), timeout=10)
        assert r.status_code == 200, describe(r)
        assert mime in r.headers["Content-Type"], describe(r)
        assert r.content == (WEB_DIR / name).read_bytes()


def test_missing_file_is_404(oly_http):
    """A file that is not there is a 404, not index.html or a listing."""
    r = requests.get(url(oly_http, "/no-such-file.js"), timeout=10)
    assert r.status_code == 404, describe(r)


@pytest.mark.parametrize("path", ["/../meson.build", "/%2e%2e/meson.build", "/..%2fmeson.build",
                                  "/%2e%2e%2fmeson.build", "/vendor/../../meson.build", "/./../meson.build",
                                  "/..\\meson.build", "//..//meson.build"])
def test_traversal_out_of_the_web_folder_refused(oly_http, path):
    """Nothing outside the web folder is served (here: the repository's meson.build, its parent's file)."""
    status, body = raw_get(oly_http, path)
    assert status in (400, 403, 404), (status, body[:200])
    assert b"project(" not in body
    # The same way of asking does serve what is inside.
    assert raw_get(oly_http, "/favicon.svg") == (200, (WEB_DIR / "favicon.svg").read_bytes())


def test_wwwroot_overrides_and_keeps_its_bounds(oly_env):
    """<state>/wwwroot, when it exists, is served instead of the installed files; the state directory
    around it (config, database) stays out of reach, and directories are not listed."""
    www = oly_env.state / "wwwroot"
    (www / "sub").mkdir(parents=True)
    (www / "index.html").write_text("<!doctype html><title>custom-root</title>")
    (www / "sub" / "secret-name.txt").write_text("inside")
    oly_env.http_start()
    r = requests.get(url(oly_env, "/"), timeout=10)
    assert r.status_code == 200 and "custom-root" in r.text, describe(r)
    assert requests.get(url(oly_env, "/sub/secret-name.txt"), timeout=10).text == "inside"
    for path in ("/../config.json", "/%2e%2e/config.json", "/../oly.db", "/sub/../../config.json"):
        status, body = raw_get(oly_env, path)
        assert status in (400, 403, 404), (path, status, body[:200])
        assert b"http_port" not in body and b"SQLite" not in body
    for path in ("/sub/", "/sub"):
        status, body = raw_get(oly_env, path)
        assert status in (301, 302, 403, 404), (path, status, body[:200])
        assert b"secret-name" not in body, f"a directory listing of {path}"


# ---- errors, limits, headers, origins ----

def test_unknown_api_route_is_404_json(api):
    """Unknown /api routes answer the JSON error shape, not HTML."""
    assert_error(api.get("/api/no-such-thing"), 404, "not_found")
    assert_error(api.get("/api/sessions/x/y/z"), 404, "not_found")


@pytest.mark.parametrize("method,path", [("DELETE", "/api/sessions"), ("PUT", "/api/health"),
                                         ("GET", "/api/auth/login"), ("PATCH", "/api/nodes")])
def test_wrong_method_is_405(api, method, path):
    """A known route with the wrong method says method_not_allowed."""
    assert_error(api.request(method, path, json={}), 405, "method_not_allowed")


@pytest.mark.parametrize("body", [b"{", b"[]", b'"str"', b'{"command": ["true"]} trailing', b'{"command": ["true"],}',
                                  b"\xff\xfe", b"", b"[" * 5000 + b"]" * 5000,
                                  b'{"a":' * 100 + b"1" + b"}" * 100],
                         ids=lambda b: repr(b[:30]))
def test_malformed_json_is_400(oly_http, api, body):
    """Broken, non-object, non-UTF-8, empty or too deeply nested bodies are refused, and nothing is created."""
    r = api.post("/api/sessions", data=body, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "bad_request")
    assert oly_http.ls_json() == []


def test_oversized_body_is_413(oly_http, api):
    """A body over 256 KiB is refused with 413 (not a dropped connection), and the server keeps serving."""
    body = json.dumps({"command": ["true"], "title": "x" * (300 * 1024)}).encode()
    try:
        r = api.post("/api/sessions", data=body, headers={"Content-Type": "application/json"})
    except requests.ConnectionError as e:
        pytest.fail(f"the server dropped the connection instead of answering 413: {e}")
    assert_error(r, 413, "payload_too_large")
    assert oly_http.ls_json() == []
    # The server is fine afterwards.
    assert api.ok("GET", "/api/sessions")["sessions"] == []


def test_body_just_under_the_limit_is_read(oly_http, api):
    """The limit is 256 KiB, not less: a 250 KiB body is parsed (and its meaning judged)."""
    body = json.dumps({"text": "y" * (250 * 1024)}).encode()
    sid = oly_http.start_detached("sh", "-c", "stty raw -echo; echo raw-ready; head -c 256000 > /dev/null; "
                                              "echo got-it; exec sleep 1000")
    wait_log(oly_http, sid, "raw-ready")
    r = api.post(f"/api/sessions/{sid}/input", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 204, describe(r)
    wait_log(oly_http, sid, "got-it", timeout=30)


CSP_DIRECTIVES = {"default-src 'self'", "connect-src 'self'", "img-src 'self' data:", "style-src 'self'",
                  "frame-ancestors 'none'"}


@pytest.mark.parametrize("path,needs_token,api_path", [("/api/health", False, True), ("/api/sessions", True, True),
                                                        ("/api/no-such-thing", True, True),
                                                        ("/api/sessions", False, True), ("/", False, False),
                                                        ("/no-such-file", False, False)])
def test_security_headers_on_every_response(oly_http, path, needs_token, api_path):
    """Every response, errors included, tells the browser to run only our own code, never inside
    someone else's frame, and not to guess content types."""
    r = (Client(oly_http) if needs_token else Client(oly_http, token=False)).get(path)
    csp = r.headers.get("Content-Security-Policy", "")
    assert CSP_DIRECTIVES <= {d.strip() for d in csp.split(";") if d.strip()}, describe(r)
    assert r.headers.get("X-Content-Type-Options") == "nosniff", describe(r)
    assert r.headers.get("X-Frame-Options") == "DENY", describe(r)
    assert r.headers.get("Referrer-Policy") == "no-referrer", describe(r)
    if api_path:
        assert "no-store" in r.headers.get("Cache-Control", ""), describe(r)


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:{port}.evil.example",
                                    "http://127.0.0.1:{other}", "https://localhost"])
def test_cross_origin_state_change_is_403(oly_http, api, origin):
    """A page on another origin cannot use the logged-in browser to start, stop or type into sessions."""
    origin = origin.format(port=oly_http.http_port, other=oly_http.http_port + 1)
    sid = oly_http.start_detached("sh", "-c", 'echo reader-ready; while read -r a; do echo "got-[$a]"; done')
    wait_log(oly_http, sid, "reader-ready")
    h = {"Origin": origin}
    assert_error(api.post("/api/sessions", json={"command": ["true"]}, headers=h), 403, "forbidden")
    assert_error(api.post(f"/api/sessions/{sid}/input", json={"text": "evil\r"}, headers=h), 403, "forbidden")
    assert_error(api.put(f"/api/sessions/{sid}/notifications", json={"enabled": False}, headers=h), 403, "forbidden")
    assert_error(api.post(f"/api/sessions/{sid}/stop", json={}, headers=h), 403, "forbidden")
    assert_error(api.delete("/api/push/subscriptions", json={"endpoint": "https://x.example/"}, headers=h), 403,
                 "forbidden")
    assert [s["id"] for s in oly_http.ls_json()] == [sid]
    s = oly_http.session(sid)
    assert s["status"] == "running" and s["notifications_enabled"] is True
    assert b"evil" not in oly_http.log(sid)


def test_same_origin_state_change_allowed(oly_http, api):
    """The web UI's own requests carry Origin: http://<host>; they must work."""
    r = api.post("/api/sessions", json={"command": ["true"]}, headers={"Origin": oly_http.http_url})
    assert r.status_code == 201, describe(r)



def test_health_answers_head_for_monitors(oly_http):
    """Monitoring probes often send HEAD: same status and headers as GET, no body."""
    r = requests.head(oly_http.http_url + "/api/health", timeout=10)
    assert r.status_code == 200 and r.content == b""
    assert r.headers["Content-Type"].startswith("application/json")
    r = requests.post(oly_http.http_url + "/api/health", timeout=10)
    assert r.status_code == 405
