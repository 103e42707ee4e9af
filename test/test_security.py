# SPDX-License-Identifier: LGPL-2.1-or-later
"""Local IPC is for the daemon's own user (and root) only, even when the socket's mode would let others in."""
import os
import shutil
import subprocess

import pytest

from conftest import OLY, wait_until

NOBODY = 65534


@pytest.fixture
def exposed(oly, tmp_path):
    """The daemon's socket opened up to everyone at the file-system level, and an oly binary uid 65534 can run."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to act as another uid")
    os.chmod(oly.runtime, 0o755)
    os.chmod(oly.bus, 0o777)
    binary = OLY
    if not _runs_as_nobody(binary):
        d = tmp_path / "nobody-bin"
        d.mkdir()
        d.chmod(0o755)
        tmp_path.chmod(0o755)
        binary = d / "oly"
        shutil.copy2(OLY, binary)
        if not _runs_as_nobody(binary):
            pytest.skip(f"uid {NOBODY} cannot run {OLY} nor a copy of it")
    return oly, binary


def _runs_as_nobody(binary):
    p = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", str(binary),
                        "--version"], capture_output=True, text=True, timeout=30)
    return p.returncode == 0


def _ls_as_nobody(oly, binary):
    env = {"PATH": "/usr/bin:/bin", "OLY_RUNTIME_DIR": str(oly.runtime), "OLY_STATE_DIR": "/nonexistent-oly-state",
           "HOME": "/nonexistent"}
    return subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", str(binary), "ls"],
                          env=env, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


def test_other_uid_is_refused(exposed):
    oly, binary = exposed
    oly.start_detached("true", title="secret")
    p = _ls_as_nobody(oly, binary)
    assert p.returncode == 1, f"uid {NOBODY} was served:\n{p.stdout}"
    assert "secret" not in p.stdout
    assert p.stderr.strip() != ""
    # The same request as root (the daemon's own uid here) works.
    assert "secret" in oly.ok("ls")
    log = oly.state / "daemon.log"
    wait_until(lambda: f"uid {NOBODY}" in log.read_text(), what="the refusal in daemon.log")


def test_other_uid_is_told_it_is_not_allowed(exposed):
    """The daemon is running: telling the refused user it is not, and to start one, misleads them."""
    oly, binary = exposed
    p = _ls_as_nobody(oly, binary)
    assert p.returncode == 1
    assert "not running" not in p.stderr, f"a refused caller is told the daemon is not running: {p.stderr}"
    assert any(w in p.stderr.lower() for w in ("not allowed", "denied", "permission", "refused")), p.stderr
