# SPDX-License-Identifier: LGPL-2.1-or-later
"""The D-Bus API on <runtime>/bus, driven by busctl and by a raw client (minidbus) for error names and
signals."""
import os
import re
import signal
import time

import pytest

import minidbus
from conftest import BUS_NAME, MANAGER_IFACE, MANAGER_PATH, SESSION_IFACE, dbus_connect, project_version, \
    session_path, sessions_sharing_first_char, wait_log, wait_until

ERR = "org.openrelay.Oly1.Error."
METHODS = ("CreateSession", "ListSessions", "GetSession", "ResolveSession", "StopSession", "KillSession",
           "SetNotifications", "Shutdown")


def _call(oly, method, sig, *args):
    return oly.busctl("--", "call", BUS_NAME, MANAGER_PATH, MANAGER_IFACE, method, sig, *args)


def _dbus_error(bus, method, sig, *args, path=MANAGER_PATH, iface=MANAGER_IFACE):
    with pytest.raises(minidbus.DBusError) as e:
        bus.call(path, iface, method, sig, *args)
    return e.value


# ---- busctl ----

def test_introspect_lists_manager_methods(oly):
    p = oly.busctl("introspect", BUS_NAME, MANAGER_PATH)
    assert p.returncode == 0, p.stderr
    assert MANAGER_IFACE in p.stdout
    for m in METHODS:
        assert f".{m}" in p.stdout, f"{m} missing from introspection"
    for s in ("SessionCreated", "SessionExited"):
        assert f".{s}" in p.stdout


def test_list_sessions(oly):
    p = _call(oly, "ListSessions", "sasttu", "", "0", "0", "0", "0")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "a(sssasssuitttbb) 0"
    sid = oly.start_detached("true", title="via-cli")
    p = _call(oly, "ListSessions", "sasttu", "", "0", "0", "0", "0")
    assert p.stdout.startswith("a(sssasssuitttbb) 1 ")
    assert f'"{sid}" "via-cli" "true" 0' in p.stdout


def test_create_session(oly):
    p = _call(oly, "CreateSession", "sassasqqt", "from-busctl", "3", "sh", "-c", 'echo "$PATH|$TERM|${HOME-nohome}"',
              "/tmp", "1", "PATH=/usr/bin:/bin", "0", "0", "1")
    assert p.returncode == 0, p.stderr
    m = re.fullmatch(r'so "(\w+)" "(/org/openrelay/Oly1/session/\w+)"\n', p.stdout)
    assert m, p.stdout
    sid, path = m.groups()
    assert path == session_path(sid)
    s = oly.wait_status(sid, "stopped")
    assert s["title"] == "from-busctl" and s["cwd"] == "/tmp"
    assert s["notifications_enabled"] is False  # flags 1
    # Exactly the environment given (plus TERM and OLY_SESSION_ID): nothing of the daemon's.
    assert oly.log(sid) == b"/usr/bin:/bin|xterm-256color|nohome\r\n"


def test_create_session_size(oly):
    p = _call(oly, "CreateSession", "sassasqqt", "", "2", "stty", "size", "/", "1", "PATH=/usr/bin:/bin",
              "40", "132", "0")
    assert p.returncode == 0, p.stderr
    sid = p.stdout.split('"')[1]
    oly.wait_status(sid, "stopped")
    assert oly.log(sid) == b"40 132\r\n"


def test_get_property(oly):
    sid = oly.start_detached("sh", "-c", "exit 2", title="props")
    oly.wait_status(sid, "failed")
    path = session_path(sid)

    def prop(name):
        p = oly.busctl("get-property", BUS_NAME, path, SESSION_IFACE, name)
        assert p.returncode == 0, p.stderr
        return p.stdout.strip()

    assert prop("Status") == 's "failed"'
    assert prop("ExitCode") == "i 2"
    assert prop("Id") == f's "{sid}"'
    assert prop("Title") == 's "props"'
    assert prop("Command") == 's "sh"'
    assert prop("Args") == 'as 2 "-c" "exit 2"'
    assert prop("InputNeeded") == "b false"


def test_busctl_prints_error_message(oly):
    p = _call(oly, "StopSession", "st", "zzzzzzzz", "0")
    assert p.returncode != 0
    assert "No session matches" in p.stderr


def test_manager_properties(oly):
    oly.start_detached("sleep", "1000")
    with dbus_connect(oly) as bus:
        props = bus.call(MANAGER_PATH, "org.freedesktop.DBus.Properties", "GetAll", "s", MANAGER_IFACE)[0]
    assert props["Version"] == project_version()
    assert props["StateDirectory"] == str(oly.state)
    assert props["RunningSessions"] == 1
    assert props["MaxRunningSessions"] > 0


# ---- error names (minidbus: busctl does not print them) ----

def test_error_no_such_session(oly):
    with dbus_connect(oly) as bus:
        for method, sig, args in (("StopSession", "st", ("zzzzzzzz", 0)), ("GetSession", "s", ("zzzzzzzz",)),
                                  ("ResolveSession", "s", ("zzzzzzzz",)), ("KillSession", "si", ("zzzzzzzz", 15)),
                                  ("SetNotifications", "sb", ("zzzzzzzz", True)), ("GetSession", "s", ("",))):
            e = _dbus_error(bus, method, sig, *args)
            assert e.name == ERR + "NoSuchSession", f"{method}: {e}"


def test_error_ambiguous_session(oly):
    c, ids = sessions_sharing_first_char(oly)
    with dbus_connect(oly) as bus:
        e = _dbus_error(bus, "GetSession", "s", c)
    assert e.name == ERR + "AmbiguousSession"
    for sid in ids:
        assert sid in e.message


@pytest.mark.parametrize("argv,cwd,extra", [
    ([], "/", ()),
    ([""], "/", ()),
    (["true"], "relative/dir", ()),
    (["true"], "/nonexistent-oly-dir", ()),
    (["true"], "/", (0, 0, 2)),
    (["true"], "/", (20000, 80, 0)),
], ids=["no-argv", "empty-command", "relative-cwd", "missing-cwd", "unknown-flag", "huge-size"])
def test_error_invalid_argument_create(oly, argv, cwd, extra):
    rows, cols, flags = extra or (0, 0, 0)
    with dbus_connect(oly) as bus:
        e = _dbus_error(bus, "CreateSession", "sassasqqt", "", argv, cwd, [], rows, cols, flags)
    assert e.name == ERR + "InvalidArgument", str(e)
    assert oly.ls_json() == []


def test_error_invalid_argument_other(oly):
    with dbus_connect(oly) as bus:
        assert _dbus_error(bus, "ListSessions", "sasttu", "", ["bogus"], 0, 0, 0).name == ERR + "InvalidArgument"
        assert _dbus_error(bus, "ListSessions", "sasttu", "", [], 0, 0, 200000).name == ERR + "InvalidArgument"
        sid = bus.call(MANAGER_PATH, MANAGER_IFACE, "CreateSession", "sassasqqt", "", ["sleep", "1000"], "/",
                       ["PATH=/usr/bin:/bin"], 0, 0, 0)[0]
        assert _dbus_error(bus, "StopSession", "st", sid, 3601 * 10**6).name == ERR + "InvalidArgument"
        assert _dbus_error(bus, "KillSession", "si", sid, 0).name == ERR + "InvalidArgument"
        assert _dbus_error(bus, "Shutdown", "t", 3601 * 10**6).name == ERR + "InvalidArgument"
    assert oly.session(sid)["status"] == "running"


def test_error_exec_failed(oly):
    with dbus_connect(oly) as bus:
        e = _dbus_error(bus, "CreateSession", "sassasqqt", "", ["oly-no-such-command-xyz"], "/",
                        ["PATH=/usr/bin:/bin"], 0, 0, 0)
    assert e.name == ERR + "ExecFailed"
    (s,) = oly.ls_json()
    assert s["status"] == "failed" and s["exit_code"] == 127
    assert s["id"] in e.message


def test_error_not_running(oly):
    sid = oly.start_detached("true")
    oly.wait_status(sid, "stopped")
    with dbus_connect(oly) as bus:
        e = _dbus_error(bus, "KillSession", "si", sid, 15)
    assert e.name == ERR + "NotRunning"


def test_unknown_session_object(oly):
    with dbus_connect(oly) as bus:
        e = _dbus_error(bus, "Get", "ss", SESSION_IFACE, "Status", path=session_path("zzzzzzzz"),
                        iface="org.freedesktop.DBus.Properties")
    assert e.name == "org.freedesktop.DBus.Error.UnknownObject"


def test_unknown_node_object(oly):
    with dbus_connect(oly) as bus:
        e = _dbus_error(bus, "ListSessions", "sasttu", "", [], 0, 0, 0, path="/org/openrelay/Oly1/node/foo")
    assert e.name == "org.freedesktop.DBus.Error.UnknownObject"


# ---- methods over the raw client ----

def test_get_and_resolve_session(oly):
    older = oly.start_detached("true")
    sid = oly.start_detached("sh", "-c", "exit 1", title="x")
    oly.wait_status(sid, "failed")
    oly.wait_status(older, "stopped")
    with dbus_connect(oly) as bus:
        (st,) = bus.call(MANAGER_PATH, MANAGER_IFACE, "GetSession", "s", "")
        assert st[0] == sid and st[1] == "x" and st[2] == "sh" and st[3] == ["-c", "exit 1"]
        assert st[5] == "failed" and st[7] == 1
        assert st[8] <= st[9] <= st[10]
        assert bus.call(MANAGER_PATH, MANAGER_IFACE, "ResolveSession", "s", sid[:6].upper()) == [
            sid, session_path(sid)]


def test_stop_session_replies_with_outcome(oly):
    with dbus_connect(oly) as bus:
        sid = bus.call(MANAGER_PATH, MANAGER_IFACE, "CreateSession", "sassasqqt", "",
                       ["sh", "-c", 'trap "" TERM HUP; echo ready; while :; do sleep 0.1; done'], "/",
                       ["PATH=/usr/bin:/bin"], 0, 0, 0)[0]
        wait_log(oly, sid, b"ready")
        assert bus.call(MANAGER_PATH, MANAGER_IFACE, "StopSession", "st", sid, 200_000) == [sid, "killed", 137]


def test_kill_session(oly):
    sid = oly.start_detached("sleep", "1000")
    oly.wait_status(sid, "running")
    with dbus_connect(oly) as bus:
        bus.call(MANAGER_PATH, MANAGER_IFACE, "KillSession", "si", sid, int(signal.SIGKILL))
    s = oly.wait_status(sid, ("killed", "failed", "stopped"))
    assert s["status"] == "killed" and s["exit_code"] == 137


def test_kill_session_other_signal(oly):
    sid = oly.start_detached("sh", "-c", 'trap "echo got-usr1; exit 9" USR1; echo ready; while :; do sleep 0.1; done')
    wait_log(oly, sid, b"ready")
    with dbus_connect(oly) as bus:
        bus.call(MANAGER_PATH, MANAGER_IFACE, "KillSession", "si", sid, int(signal.SIGUSR1))
    s = oly.wait_status(sid, ("killed", "failed", "stopped"))
    assert s["status"] == "failed" and s["exit_code"] == 9
    assert b"got-usr1" in oly.log(sid)


# ---- signals ----

def test_signals_session_created_and_exited(oly):
    with dbus_connect(oly) as bus:
        sid, path = bus.call(MANAGER_PATH, MANAGER_IFACE, "CreateSession", "sassasqqt", "",
                             ["sh", "-c", "sleep 0.2; exit 4"], "/", ["PATH=/usr/bin:/bin"], 0, 0, 0)
        m = bus.wait_signal(lambda m: m.member == "SessionCreated" and m.body[0] == sid)
        assert m.path == MANAGER_PATH and m.interface == MANAGER_IFACE
        assert m.body == [sid, path]
        m = bus.wait_signal(lambda m: m.member == "SessionExited" and m.body[0] == sid, timeout=15)
        assert m.path == MANAGER_PATH and m.interface == MANAGER_IFACE
        assert m.body == [sid, path, "failed", 4]


def test_signal_session_created_for_cli_sessions(oly):
    with dbus_connect(oly) as bus:
        bus.call(MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping")
        sid = oly.start_detached("true")
        m = bus.wait_signal(lambda m: m.member == "SessionCreated" and m.body[0] == sid)
        assert m.body[1] == session_path(sid)
        m = bus.wait_signal(lambda m: m.member == "SessionExited" and m.body[0] == sid, timeout=15)
        assert m.body[2:] == ["stopped", 0]


def test_properties_changed_on_exit(oly):
    with dbus_connect(oly) as bus:
        sid, path = bus.call(MANAGER_PATH, MANAGER_IFACE, "CreateSession", "sassasqqt", "",
                             ["sh", "-c", "sleep 0.2; exit 4"], "/", ["PATH=/usr/bin:/bin"], 0, 0, 0)
        m = bus.wait_signal(lambda m: m.member == "PropertiesChanged" and m.path == path
                            and "Status" in m.body[1] and m.body[1]["Status"] == "failed", timeout=15)
        assert m.interface == "org.freedesktop.DBus.Properties"
        iface, changed, invalidated = m.body
        assert iface == SESSION_IFACE
        assert changed["ExitCode"] == 4
        assert changed["EndedAt"] > 0


def test_properties_changed_on_stop_and_notifications(oly):
    sid = oly.start_detached("sleep", "1000")
    oly.wait_status(sid, "running")
    path = session_path(sid)
    with dbus_connect(oly) as bus:
        bus.call(MANAGER_PATH, MANAGER_IFACE, "SetNotifications", "sb", sid, False)
        m = bus.wait_signal(lambda m: m.member == "PropertiesChanged" and m.path == path
                            and "NotificationsEnabled" in m.body[1])
        assert m.body[1]["NotificationsEnabled"] is False
        bus.call(MANAGER_PATH, MANAGER_IFACE, "StopSession", "st", sid, 5_000_000)
        statuses = []
        deadline = time.monotonic() + 15
        while "stopped" not in statuses and time.monotonic() < deadline:
            m = bus.wait_signal(lambda m: m.member == "PropertiesChanged" and m.path == path
                                and "Status" in m.body[1], timeout=15)
            statuses.append(m.body[1]["Status"])
        assert statuses == ["stopping", "stopped"]


# ---- the wire ----

def test_message_right_after_begin_is_answered(oly):
    """A client that sends its first message in the same write as BEGIN (libdbus and GDBus clients may)
    must be answered like any other."""
    class Capture:
        data = b""

        def sendall(self, b):
            self.data += b

    class Pipelining(minidbus.Connection):
        def _auth(self):
            uid = str(os.geteuid()).encode().hex()
            self.sock.sendall(b"\0AUTH EXTERNAL " + uid.encode() + b"\r\n")
            assert self._readline().startswith(b"OK ")
            real, cap = self.sock, Capture()
            self.sock = cap
            self.send(minidbus.CALL, [(1, "o", MANAGER_PATH), (2, "s", "org.freedesktop.DBus.Peer"),
                                      (3, "s", "Ping")])
            self.sock = real
            real.sendall(b"BEGIN\r\n" + cap.data)

    c = Pipelining(oly.bus, timeout=10)
    try:
        try:
            m = c._recv_message(time.monotonic() + 5)
        except TimeoutError:
            pytest.fail("no reply within 5 s to a Ping sent in the same write as BEGIN")
        assert m.type == minidbus.RETURN and m.reply_serial == 1
    finally:
        c.close()


def test_many_clients(oly):
    conns = [dbus_connect(oly) for _ in range(20)]
    try:
        for c in conns:
            assert c.call(MANAGER_PATH, MANAGER_IFACE, "ListSessions", "sasttu", "", [], 0, 0, 0) == [[]]
    finally:
        for c in conns:
            c.close()
    oly.ok("ls")


def test_client_disconnecting_mid_stop_does_not_hurt(oly):
    sid = oly.start_detached("sh", "-c", 'trap "" TERM HUP; echo ready; while :; do sleep 0.1; done')
    wait_log(oly, sid, b"ready")
    c = dbus_connect(oly)
    c.send(minidbus.CALL, [(1, "o", MANAGER_PATH), (2, "s", MANAGER_IFACE), (3, "s", "StopSession")], "st",
           (sid, 500_000))
    time.sleep(0.1)
    c.close()
    s = oly.wait_status(sid, ("killed", "stopped", "failed"), timeout=15)
    assert s["status"] == "killed"
    wait_until(lambda: oly.run("ls").returncode == 0, what="the daemon to keep serving")
