# SPDX-License-Identifier: LGPL-2.1-or-later
"""With a user session bus, the daemon also owns org.openrelay.Oly1 there (best effort): busctl --user
reaches the same Manager and session objects as the private socket."""
import os
import shutil
import signal
import subprocess

import pytest

from conftest import wait_until


@pytest.fixture
def session_bus(tmp_path):
    if not shutil.which("dbus-daemon"):
        pytest.fail("dbus-daemon is not installed (tools/bootstrap.sh installs dbus)")
    p = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1",
                        f"--address=unix:path={tmp_path}/sbus"], capture_output=True, text=True, timeout=10, check=True)
    address, pid = p.stdout.split("\n")[:2]
    yield address.strip()
    os.kill(int(pid), signal.SIGTERM)


def busctl_user(address, *args):
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
    return subprocess.run(["busctl", "--user", *map(str, args)], capture_output=True, text=True, timeout=10, env=env)


def test_daemon_owns_its_name_on_the_user_bus(oly_env, session_bus):
    oly_env.env["DBUS_SESSION_BUS_ADDRESS"] = session_bus
    oly_env.daemon_start()
    sid = oly_env.start_detached("sleep", "1000")
    wait_until(lambda: "org.openrelay.Oly1" in busctl_user(session_bus, "list", "--no-pager").stdout, 10,
               what="the daemon to own its name on the user bus")
    p = busctl_user(session_bus, "get-property", "org.openrelay.Oly1", f"/org/openrelay/Oly1/session/{sid}",
                    "org.openrelay.Oly1.Session", "Status")
    assert p.returncode == 0 and p.stdout.strip() == 's "running"', p.stderr
    p = busctl_user(session_bus, "--", "call", "org.openrelay.Oly1", "/org/openrelay/Oly1",
                    "org.openrelay.Oly1.Manager", "ListSessions", "sasttu", "", "0", "0", "0", "0")
    assert p.returncode == 0 and sid in p.stdout, p.stderr

