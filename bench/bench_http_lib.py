# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared helpers for the oly-http benchmarks (bench_http_*.py; run with /usr/bin/python3).

On top of benchlib: a run that also snapshots build/src/http/oly-http (OLY_HTTP points at the copy,
OLY_WEB_DIR at the source tree's web/), a daemon started like a user starts it (`oly daemon start
--detach --port P --password-file F`), a login, the oly-http pid (the daemon's child), /proc
figures, and wrk's output parsed.
"""
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import time
import urllib.request

import benchlib as B

OLY_HTTP = os.path.join(B.BUILD, "src", "http", "oly-http")
WEB_DIR = os.path.join(B.ROOT, "web")
PASSWORD = "olybench-password-1"
CLK = os.sysconf("SC_CLK_TCK")


def raise_nofile():
    """Soft limit on open files up to the hard one (the daemon and oly-http inherit it through the
    CLI). Returns (soft, hard) after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def nofile_of(pid):
    try:
        with open(f"/proc/{pid}/limits") as f:
            for line in f:
                if line.startswith("Max open files"):
                    return int(line.split()[3])
    except (OSError, ValueError, IndexError):
        pass
    return None


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def cpu_s(pid):
    """CPU time of a live process, in seconds (None if gone): the sum over its threads of
    /proc/PID/task/*/schedstat (ns), else utime + stime from /proc/PID/stat (10 ms ticks)."""
    try:
        tot = 0
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                tot += int(f.read().split()[0])
        return tot / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read()
        rest = s[s.rindex(b")") + 2:].split()
        return (int(rest[11]) + int(rest[12])) / CLK
    except (OSError, ValueError):
        return None


def status_kib(pid, field):
    """A 'kB' field of /proc/PID/status (VmRSS, VmHWM, ...)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HttpRun(B.Run):
    """A benchlib Run that also copies oly-http (others rebuild the tree while we run)."""

    def snapshot_binaries(self):
        super().snapshot_binaries()
        bindir = self.sub("bin")
        deadline = time.time() + 120
        while True:
            try:
                shutil.copy2(OLY_HTTP, bindir)
                dst = os.path.join(bindir, "oly-http")
                subprocess.run([dst, "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               check=True, timeout=10)
                break
            except (OSError, subprocess.SubprocessError) as e:
                if time.time() > deadline:
                    raise RuntimeError(f"cannot snapshot oly-http from {OLY_HTTP}: {e}")
                time.sleep(1)
        self.env["OLY_HTTP"] = dst
        self.env["OLY_WEB_DIR"] = WEB_DIR


class HttpDaemon(B.OlyDaemon):
    """oly-daemon with oly-http, started as a user would (`oly daemon start --detach --port P
    --password-file F`)."""

    def __init__(self, run, name="oly", max_sessions=None):
        super().__init__(run, name, max_sessions=max_sessions)
        self.port = None
        self.http_pid = None
        self.http_pids_seen = []  # every oly-http pid (a change = oly-http was restarted)
        self.pwfile = os.path.join(run.dir, "pw")
        with open(self.pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(self.pwfile, 0o600)
        self._token = None

    def start(self):
        self.write_config()
        if self.port is None:
            self.port = free_port()
        r = self.run.run([B.OLY, "daemon", "start", "--detach", "--port", str(self.port),
                          "--password-file", self.pwfile], env=self.env)
        m = re.search(r"pid (\d+)", r.stdout + r.stderr)
        self.pid = int(m.group(1))
        self.run.reaper.add([self.pid])
        self._token = None
        self.find_http()
        self.wait_health()
        return self.pid

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def find_http(self, timeout=10.0):
        """The oly-http pid: the daemon's child running our copy of oly-http."""
        want = self.run.env["OLY_HTTP"]
        deadline = time.time() + timeout
        while time.time() < deadline:
            for p in B.descendants(self.pid):
                try:
                    if os.readlink(f"/proc/{p}/exe") == want:
                        self.run.reaper.add([p])
                        if p not in self.http_pids_seen:
                            self.http_pids_seen.append(p)
                        self.http_pid = p
                        return p
                except OSError:
                    pass
            time.sleep(0.02)
        raise RuntimeError(f"no oly-http child of the daemon (pid {self.pid}); daemon.log: {self.log_tail(5)}")

    def http_check(self, what):
        """Says (and returns a message) if oly-http is not the process it was (it died and the daemon
        restarted it) or is gone."""
        old = self.http_pid
        if old is not None and B.proc_starttime(old) is not None and not B.is_zombie(old):
            return None
        try:
            new = self.find_http(3.0)
        except RuntimeError:
            new = None
        msg = (f"oly-http (pid {old}) DIED during {what}; now {'pid ' + str(new) if new else 'not running'}; "
               f"daemon.log ends: {self.log_tail(6)}")
        B.log("bench: " + msg)
        self._token = None
        return msg

    def wait_health(self, timeout=10.0):
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.base + "/api/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"oly-http on port {self.port} does not answer /api/health; "
                                   f"daemon.log: {self.log_tail(5)}")
            time.sleep(0.05)

    def token(self):
        if self._token is None:
            req = urllib.request.Request(self.base + "/api/auth/login", method="POST",
                                         data=json.dumps({"password": PASSWORD}).encode(),
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=30) as r:
                self._token = json.load(r)["token"]
        return self._token

    def get_json(self, path):
        req = urllib.request.Request(self.base + path, headers={"Authorization": "Bearer " + self.token()})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    def start_session(self, *argv):
        r = self.oly("start", "--detach", *argv)
        return r.stdout.strip().split()[-1]


# ---------------------------------------------------------------- wrk

_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _dur(s):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", s.strip())
    return float(m.group(1)) * _UNIT[m.group(2)] if m else float("nan")


def wrk(run, url, conns, seconds, headers=(), threads=1, timeout_s=None):
    """Runs wrk --latency; returns a dict: rps, p50, p90, p99, max (s), requests, errors (socket
    errors summed), non2xx, wrk_cpu (its user+sys CPU time), raw."""
    args = ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{seconds}s", "--latency"]
    if timeout_s:
        args += ["--timeout", f"{timeout_s}s"]
    for h in headers:
        args += ["-H", h]
    args.append(url)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = run.run(args, check=False, timeout=seconds + 60)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = r.stdout
    res = {"raw": out, "rc": r.returncode,
           "wrk_cpu": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else float("nan")
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        res["p" + pct] = _dur(m.group(1)) if m else float("nan")
    m = re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", out, re.M)
    res["max"] = _dur(m.group(1)) if m else float("nan")
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["errors"] = sum(int(x) for x in m.groups()) if m else 0
    res["errors_text"] = m.group(0) if m else ""
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    if r.returncode != 0:
        res["error"] = f"wrk exited {r.returncode}: {r.stderr.strip()[:300]}"
    return res


def us(x):
    if x != x:
        return "—"
    return f"{x * 1e6:.0f} µs" if x < 1e-3 else f"{x * 1e3:.2f} ms"


def git_rev():
    try:
        return subprocess.run(["git", "-C", B.ROOT, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, timeout=5).stdout.strip() or "?"
    except Exception:
        return "?"


def context_line(daemon):
    return (f"{B.machine()}; commit {git_rev()} (+ the working tree's uncommitted work, snapshotted at the "
            f"start); oly-http pid {daemon.http_pid}, open-file limit {nofile_of(daemon.http_pid)} "
            f"(daemon {nofile_of(daemon.pid)})")
