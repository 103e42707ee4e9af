# SPDX-License-Identifier: LGPL-2.1-or-later
"""The browser UI end to end: test/web/ui.test.mjs drives Debian's headless Chromium (playwright-core from npm,
never a downloaded browser) against a real oly-daemon + oly-http: log in, see a session started from the CLI
appear live, attach, type a command and see its output, press Stop and see it stop.

Needs node, /usr/bin/chromium and the npm packages of web/ and test/web/ (installed here with `npm ci` when
missing). Without them the test is skipped, except under CI=true, where a missing tool is a failure."""
import os
import queue
import shutil
import subprocess
import threading
import time

import pytest

from conftest import REPO, WEB_PASSWORD

WEB = REPO / "web"
TEST_WEB = REPO / "test" / "web"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
UI_TEST_TIMEOUT = 180  # seconds for the whole browser run


def _missing(what):
    """A missing tool skips the test on a developer's machine and fails it in CI."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI: {what}")
    pytest.skip(what)


def _npm_ci(folder):
    """Installs folder's locked npm packages unless they are there already."""
    if (folder / "node_modules").is_dir():
        return
    npm = shutil.which("npm")
    if not npm:
        _missing(f"npm is not installed, and {folder}/node_modules is missing")
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    p = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=folder, env=env, capture_output=True, text=True,
                       timeout=300)
    if p.returncode != 0:
        _missing(f"npm ci in {folder} failed:\n{p.stdout}{p.stderr}")


@pytest.fixture(scope="module")
def browser_tools():
    """node, Chromium and the npm packages; web/vendor/ filled from web/node_modules."""
    node = shutil.which("node")
    if not node:
        _missing("node is not installed (Debian package nodejs)")
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"{CHROMIUM} is not installed (Debian package chromium)")
    _npm_ci(WEB)
    _npm_ci(TEST_WEB)
    p = subprocess.run(["sh", str(WEB / "vendor.sh")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"web/vendor.sh failed: {p.stdout}{p.stderr}"
    return node


class LineReader:
    """The lines of a child's stdout, with a timeout per line (a thread feeds a queue)."""

    def __init__(self, stream):
        self.q = queue.Queue()
        self.lines = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream):
        for line in stream:
            self.q.put(line)
        self.q.put(None)

    def wait_for(self, needle, deadline):
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                return False
            if line is None:
                return False
            self.lines.append(line)
            if needle in line:
                return True

    def rest(self, deadline):
        while True:
            try:
                line = self.q.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                return
            if line is None:
                return
            self.lines.append(line)


def test_web_ui(oly_http, browser_tools, tmp_path):
    shots = tmp_path / "screenshots"
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1", CHROMIUM=CHROMIUM)
    cmd = [browser_tools, str(TEST_WEB / "ui.test.mjs"), "--url", oly_http.http_url, "--password", WEB_PASSWORD,
           "--screenshots", str(shots)]
    deadline = time.monotonic() + UI_TEST_TIMEOUT
    proc = subprocess.Popen(cmd, cwd=TEST_WEB, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out = LineReader(proc.stdout)
    err_lines = []
    err_thread = threading.Thread(target=lambda: err_lines.extend(proc.stderr), daemon=True)
    err_thread.start()
    sid = None
    try:
        # The session is created only once the list is open, so it has to arrive over SSE.
        if out.wait_for("ui-test: ready for a session", deadline):
            sid = oly_http.start_detached("bash", "--norc", "--noprofile", "-i", title="web-ui")
            proc.stdin.write(sid + "\n")
            proc.stdin.flush()
        out.rest(deadline)
        rc = proc.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err_thread.join(5)
    report = "".join(out.lines) + "".join(err_lines)
    assert rc == 0, f"the browser test failed (exit {rc}); screenshots in {shots}\n{report}"
    assert sid, f"the browser test never asked for a session\n{report}"
    # What the browser saw must be what the daemon has: Stop in the page stopped the session.
    assert oly_http.wait_status(sid, ("stopped",))["status"] == "stopped"
