# SPDX-License-Identifier: LGPL-2.1-or-later
"""config.json: rejected when wrong (the daemon does not start), and the settings that take effect."""
import pytest

from conftest import BUS_NAME, MANAGER_IFACE, MANAGER_PATH, SESSION_IFACE, daemon_start_fails, dbus_connect, \
    session_path, wait_until, write_config


@pytest.mark.parametrize("text", ['{"http_port": 15443,', "not json", '{"a": 1} trailing', "[1, 2]", ""],
                         ids=["truncated", "garbage", "trailing", "array", "empty"])
def test_invalid_json(oly_env, text):
    err = daemon_start_fails(oly_env, text)
    assert "config.json" in err


@pytest.mark.parametrize("field,value", [("max_running_sessions", "many"), ("http_port", "80"),
                                         ("session_eviction_seconds", -1), ("max_running_sessions", 0),
                                         ("log_level", "loud"), ("prompt_patterns", "y/n"),
                                         ("notification_hook", 5)])
def test_field_of_wrong_type_or_range(oly_env, field, value):
    err = daemon_start_fails(oly_env, {field: value})
    assert field in err
    assert "config.json" in err


def test_unknown_field(oly_env):
    err = daemon_start_fails(oly_env, {"max_sesions": 3})
    assert "max_sesions" in err


def test_partial_config_keeps_defaults(oly_env):
    write_config(oly_env, {"max_running_sessions": 5})
    oly_env.daemon_start()
    p = oly_env.busctl("get-property", BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "MaxRunningSessions")
    assert p.stdout.strip() == "u 5"
    oly_env.ok("ls")


def test_null_fields_accepted(oly_env):
    write_config(oly_env, {"prompt_patterns": None, "notification_hook": None, "web_push_subject": None})
    oly_env.daemon_start()


def test_max_running_sessions(oly_env):
    write_config(oly_env, {"max_running_sessions": 2})
    oly_env.daemon_start()
    a = oly_env.start_detached("sleep", "1000")
    oly_env.start_detached("sleep", "1000")
    p = oly_env.run("start", "--detach", "sleep", "1000")
    assert p.returncode == 1
    assert "max_running_sessions" in p.stderr
    assert len(oly_env.ls_json()) == 2, "a session was created beyond the limit"
    with dbus_connect(oly_env) as bus:
        import minidbus
        with pytest.raises(minidbus.DBusError) as e:
            bus.call(MANAGER_PATH, MANAGER_IFACE, "CreateSession", "sassasqqt", "", ["true"], "/", [], 0, 0, 0)
        assert e.value.name == "org.openrelay.Oly1.Error.LimitReached"

    oly_env.ok("stop", "--grace", "0", a)
    c = oly_env.start_detached("sleep", "1000")
    assert oly_env.session(c)["status"] == "running"


def test_finished_sessions_do_not_count_toward_the_limit(oly_env):
    write_config(oly_env, {"max_running_sessions": 1})
    oly_env.daemon_start()
    for _ in range(3):
        sid = oly_env.start_detached("true")
        oly_env.wait_status(sid, "stopped")
    oly_env.run("start", "--detach", "oly-no-such-command-xyz")
    oly_env.start_detached("sleep", "1000")


def test_eviction_0_keeps_finished_sessions_reachable(oly_env):
    write_config(oly_env, {"session_eviction_seconds": 0})
    oly_env.daemon_start()
    sid = oly_env.start_detached("sh", "-c", "echo evicted-but-kept; exit 4", title="evict-me")
    oly_env.wait_status(sid, "failed")
    # Wait until it has left the daemon's memory (no longer enumerated under /session).
    wait_until(lambda: sid not in oly_env.busctl("tree", BUS_NAME).stdout, 15, what="the session to be evicted")

    s = oly_env.session(sid)
    assert s["status"] == "failed" and s["exit_code"] == 4 and s["title"] == "evict-me"

    p = oly_env.busctl("get-property", BUS_NAME, session_path(sid), SESSION_IFACE, "Status")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == 's "failed"'
    p = oly_env.busctl("get-property", BUS_NAME, session_path(sid), SESSION_IFACE, "ExitCode")
    assert p.stdout.strip() == "i 4"

    wait_until(lambda: sid not in oly_env.busctl("tree", BUS_NAME).stdout, 15, what="the session to be evicted")
    p = oly_env.run("stop", sid)
    assert p.returncode == 0, p.stderr
    assert sid in p.stdout and "failed" in p.stdout

    wait_until(lambda: sid not in oly_env.busctl("tree", BUS_NAME).stdout, 15, what="the session to be evicted")
    p = oly_env.run("notify", "disable", sid)
    assert p.returncode == 1 and "ended" in p.stderr  # reached (not "no such session"), but it has ended
    assert "evicted-but-kept" in oly_env.ok("logs", sid)  # the rendered log of an evicted session
    assert b"evicted-but-kept" in oly_env.log(sid)
