# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly notify enable|disable: the per-session notifications switch, seen by ls and over D-Bus."""
import pytest

from conftest import BUS_NAME, SESSION_IFACE, session_path


def _bus_value(oly, sid):
    p = oly.busctl("get-property", BUS_NAME, session_path(sid), SESSION_IFACE, "NotificationsEnabled")
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def test_disable_and_enable(oly):
    sid = oly.start_detached("sleep", "1000")
    assert oly.session(sid)["notifications_enabled"] is True
    assert _bus_value(oly, sid) == "b true"

    p = oly.run("notify", "disable", sid)
    assert p.returncode == 0, p.stderr
    assert sid in p.stdout
    assert oly.session(sid)["notifications_enabled"] is False
    assert _bus_value(oly, sid) == "b false"

    p = oly.run("notify", "enable", sid)
    assert p.returncode == 0, p.stderr
    assert oly.session(sid)["notifications_enabled"] is True
    assert _bus_value(oly, sid) == "b true"


def test_enable_a_session_started_with_them_disabled(oly):
    sid = oly.start_detached("sleep", "1000", extra=("--disable-notifications",))
    assert _bus_value(oly, sid) == "b false"
    oly.ok("notify", "enable", sid)
    assert oly.session(sid)["notifications_enabled"] is True


def test_without_id_most_recent(oly):
    older = oly.start_detached("sleep", "1000")
    newer = oly.start_detached("sleep", "1000")
    p = oly.run("notify", "disable")
    assert p.returncode == 0, p.stderr
    assert newer in p.stdout
    assert oly.session(newer)["notifications_enabled"] is False
    assert oly.session(older)["notifications_enabled"] is True


def test_by_prefix(oly):
    sid = oly.start_detached("sleep", "1000")
    oly.ok("notify", "disable", sid[:4].upper())
    assert oly.session(sid)["notifications_enabled"] is False


def test_survives_a_daemon_restart(oly):
    sid = oly.start_detached("sleep", "1000")
    oly.wait_status(sid, "running")
    oly.ok("notify", "disable", sid)
    oly.daemon_stop()
    oly.daemon_start()
    assert oly.session(sid)["notifications_enabled"] is False


def test_ended_session_is_refused(oly):
    # The spec: notify acts on a running session. An ended one says so (exit 1) and keeps its flag.
    sid = oly.start_detached("sh", "-c", "exit 0")
    oly.wait_status(sid, "stopped")
    p = oly.run("notify", "disable", sid)
    assert p.returncode == 1
    assert sid in p.stderr and "ended" in p.stderr
    assert oly.session(sid)["notifications_enabled"] is True


@pytest.mark.parametrize("action", ["on", "Enable", ""])
def test_bad_action(oly, action):
    oly.start_detached("sleep", "1000")
    p = oly.run("notify", action)
    assert p.returncode == 2
    assert f"'{action}'" in p.stderr


def test_missing_action(oly):
    assert oly.run("notify").returncode == 2


def test_unknown_session(oly):
    oly.start_detached("true")
    p = oly.run("notify", "enable", "zzzzzzzz")
    assert p.returncode == 1
    assert "No session matches" in p.stderr
