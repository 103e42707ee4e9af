# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared helpers for oly's benchmarks (run with /usr/bin/python3, Debian's).

Every benchmark works in its own short temporary directory under /tmp (unix socket paths must fit
in 108 bytes), gives everything it starts an environment marker (OLYBENCH_RUN=<that directory>),
and at the end kills, by pid, only processes that carry that marker or that it recorded itself.
Benchmarks print figures; they never assert.
"""
import atexit
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("OLY_BUILD_DIR", os.path.join(ROOT, "build"))
OLY = os.path.join(BUILD, "src", "cli", "oly")
OLY_DAEMON = os.path.join(BUILD, "src", "daemon", "oly-daemon")
SLEEP_ARGS = ["sleep", "100000"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def have(tool):
    return shutil.which(tool) is not None


# ---------------------------------------------------------------- processes


def proc_starttime(pid):
    """Field 22 of /proc/PID/stat: with the pid, identifies one process (pids get reused)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(b")") + 2:].split()
    return int(rest[19])


def proc_ppid(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read()
    except OSError:
        return None
    return int(s[s.rindex(b")") + 2:].split()[1])


def all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def descendants(root):
    return descendants_many([root])


def descendants_many(roots):
    """Every descendant of the given pids (one pass over /proc)."""
    kids = {}
    for p in all_pids():
        pp = proc_ppid(p)
        if pp is not None:
            kids.setdefault(pp, []).append(p)
    out, stack = [], list(roots)
    while stack:
        p = stack.pop()
        for c in kids.get(p, []):
            out.append(c)
            stack.append(c)
    return out


def pids_with_marker(marker):
    """Processes whose environment or command line contains marker (our own temporary dir)."""
    me = os.getpid()
    mb = marker.encode()
    out = []
    for p in all_pids():
        if p == me:
            continue
        for what in ("environ", "cmdline"):
            try:
                with open(f"/proc/{p}/{what}", "rb") as f:
                    if mb in f.read():
                        out.append(p)
                        break
            except OSError:
                pass
    return out


class Reaper:
    """Remembers (pid, starttime) of processes we started and kills exactly those."""

    def __init__(self):
        self.known = {}

    def add(self, pids):
        for p in pids:
            st = proc_starttime(p)
            if st is not None:
                self.known[p] = st

    def alive(self):
        return [p for p, st in self.known.items() if proc_starttime(p) == st and not is_zombie(p)]

    def kill_all(self, sig=signal.SIGKILL):
        for p, st in list(self.known.items()):
            if proc_starttime(p) == st:
                try:
                    os.kill(p, sig)
                except ProcessLookupError:
                    pass
        # Our own children (the daemon, started through the CLI, is not one) need reaping.
        deadline = time.time() + 5
        reap_children()
        while time.time() < deadline and self.alive():
            time.sleep(0.02)
            reap_children()
        self.known = {p: st for p, st in self.known.items() if proc_starttime(p) == st}


def is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read()
        return s[s.rindex(b")") + 2:].split()[0] == b"Z"
    except OSError:
        return True


def wait_gone(pids, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        reap_children()
        if not [p for p in pids if proc_starttime(p) is not None and not is_zombie(p)]:
            return True
        time.sleep(0.01)
    return False


def mem_kib(pid):
    """(VmRSS, Pss) in KiB of one process."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


# ---------------------------------------------------------------- the run


def become_subreaper():
    """Daemons we start (tmux server, dtach masters, SCREEN, oly-daemon) detach from their parent;
    as a child subreaper we inherit them, so we can reap them once killed instead of leaving
    zombies for a PID 1 that may not reap (as in some containers)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except Exception:
        pass


REAPED = {}  # pid -> wait status of the children (and adopted orphans) reap_children() collected


def reap_children():
    try:
        while True:
            pid, st = os.waitpid(-1, os.WNOHANG)
            if pid <= 0:
                break
            REAPED[pid] = st
    except ChildProcessError:
        pass


def how_it_ended(pid):
    """'exit status N' / 'killed by SIGX' for a pid reap_children() collected, else ''."""
    st = REAPED.get(pid)
    if st is None:
        return ""
    if os.WIFSIGNALED(st):
        return f"killed by {signal.Signals(os.WTERMSIG(st)).name}" + (" (core dumped)" if os.WCOREDUMP(st) else "")
    return f"exit status {os.WEXITSTATUS(st)}"


class Run:
    """A benchmark run: its temporary dir, environment marker and cleanup."""

    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix=f"ob-{name[:6]}-", dir="/tmp")
        os.chmod(self.dir, 0o700)
        self.reaper = Reaper()
        self.env = dict(os.environ)
        for k in ("DBUS_SESSION_BUS_ADDRESS", "TMUX", "STY", "OLY_SESSION_ID", "NOTIFY_SOCKET"):
            self.env.pop(k, None)
        self.env["OLYBENCH_RUN"] = self.dir
        self.env["XDG_RUNTIME_DIR"] = self.dir  # nothing may reach the user's own bus or sockets
        self.env["SCREENDIR"] = self.sub("screen")
        os.chmod(self.env["SCREENDIR"], 0o700)
        self.env["TMUX_TMPDIR"] = self.sub("tmux")
        self.cleaners = []
        self._closed = False
        become_subreaper()
        self.snapshot_binaries()
        atexit.register(self.close)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, self._on_signal)

    def snapshot_binaries(self):
        """Copies oly and oly-daemon into our dir: others rebuild the tree while we run."""
        global OLY
        bindir = self.sub("bin")
        deadline = time.time() + 120
        while True:
            try:
                for src in (OLY, OLY_DAEMON):
                    shutil.copy2(src, bindir)
                oly = os.path.join(bindir, "oly")
                subprocess.run([oly, "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               check=True, timeout=10)
                break
            except (OSError, subprocess.SubprocessError) as e:
                if time.time() > deadline:
                    raise RuntimeError(f"cannot snapshot the oly binaries from {BUILD}: {e}")
                time.sleep(1)
        OLY = oly
        self.env["OLY_DAEMON"] = os.path.join(bindir, "oly-daemon")

    def _on_signal(self, sig, frame):
        log(f"bench: got signal {sig}, cleaning up")
        self.close()
        os._exit(128 + sig)

    def sub(self, name):
        p = os.path.join(self.dir, name)
        os.makedirs(p, exist_ok=True)
        return p

    def run(self, args, check=True, **kw):
        kw.setdefault("env", self.env)
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("text", True)
        kw.setdefault("timeout", 120)
        r = subprocess.run(args, **kw)
        if check and r.returncode != 0:
            raise RuntimeError(f"{args[:4]}... failed ({r.returncode}): {r.stderr.strip()[:500]}")
        return r

    def bash_loop(self, body, n, env=None, timeout=300, first=0):
        """Runs `body` (with $i = 0..n-1) n times in one bash, sequentially, each a separate process
        like a user's script; returns the wall time of the loop in seconds, measured inside bash."""
        script = (
            's=$EPOCHREALTIME\n'
            f'for ((i={first}; i<{first + n}; i++)); do {body} >/dev/null 2>>"$OB_ERR" || echo "fail $i" >>"$OB_ERR"; done\n'
            'e=$EPOCHREALTIME\n'
            'echo "$s $e"\n')
        e = dict(env or self.env)
        e["OB_ERR"] = os.path.join(self.dir, "loop.err")
        r = subprocess.run(["/bin/bash", "-c", script], env=e, stdout=subprocess.PIPE, text=True,
                           timeout=timeout)
        s, t = r.stdout.split()
        return float(t) - float(s)

    def loop_errors(self):
        p = os.path.join(self.dir, "loop.err")
        if not os.path.exists(p):
            return ""
        with open(p) as f:
            s = f.read()
        os.unlink(p)
        return s

    def sweep(self):
        """Kills, by pid, every process still carrying this run's marker."""
        reap_children()
        for _ in range(3):
            pids = pids_with_marker(self.dir)
            if not pids:
                return 0
            self.reaper.add(pids)
            self.reaper.kill_all()
        return len(pids_with_marker(self.dir))

    def close(self):
        if self._closed:
            return
        self._closed = True
        for c in reversed(self.cleaners):
            try:
                c()
            except Exception as e:  # cleanup must go on
                log(f"bench: cleanup step failed: {e}")
        left = self.sweep()
        reap_children()
        if left:
            log(f"bench: WARNING: {left} process(es) with marker {self.dir} survived")
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- oly


class OlyDaemon:
    def __init__(self, run, name="oly", max_sessions=None, state_base=None):
        """state_base: where the state dir goes (default: the run's dir under /tmp); the runtime
        dir (socket) always stays in the run's dir."""
        self.run = run
        base = run.sub(name)
        if state_base:
            sb = tempfile.mkdtemp(prefix="ob-", dir=state_base)
            run.cleaners.insert(0, lambda: shutil.rmtree(sb, ignore_errors=True))
            self.state = os.path.join(sb, "s")
        else:
            self.state = os.path.join(base, "s")
        self.runtime = os.path.join(base, "r")
        self.env = dict(run.env, OLY_STATE_DIR=self.state, OLY_RUNTIME_DIR=self.runtime)
        self.max_sessions = max_sessions
        self.pid = None
        self.last_death = None  # what check_alive() found the last time the daemon had died
        run.cleaners.append(self.stop)

    def write_config(self):
        os.makedirs(self.state, mode=0o700, exist_ok=True)
        if self.max_sessions:
            with open(os.path.join(self.state, "config.json"), "w") as f:
                json.dump({"max_running_sessions": self.max_sessions}, f)

    def start(self):
        self.write_config()
        r = self.run.run([OLY, "daemon", "start", "--detach", "--no-http"], env=self.env)
        m = re.search(r"pid (\d+)", r.stdout + r.stderr)
        self.pid = int(m.group(1))
        self.run.reaper.add([self.pid])
        return self.pid

    def alive(self):
        reap_children()
        return self.pid is not None and proc_starttime(self.pid) is not None and not is_zombie(self.pid)

    def log_tail(self, n=3):
        try:
            with open(os.path.join(self.state, "daemon.log"), errors="replace") as f:
                return " | ".join(line.strip() for line in f.readlines()[-n:])
        except OSError:
            return "(no daemon.log)"

    def check_alive(self, what):
        """If the daemon died, says so (with its log's last lines) and starts it again."""
        if self.alive():
            return True
        how = how_it_ended(self.pid)
        self.last_death = (f"the oly daemon (pid {self.pid}) DIED during {what}{' (' + how + ')' if how else ''}; "
                           f"its log ends: {self.log_tail(5)}")
        log("bench: " + self.last_death)
        self.pid = None
        self.start()
        return False

    def oly(self, *args, check=True):
        return self.run.run([OLY, *args], env=self.env, check=check)

    def stop(self):
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        kids = descendants(pid)
        self.run.reaper.add(kids)
        self.run.run([OLY, "daemon", "stop", "--grace", "0"], env=self.env, check=False, timeout=60)
        if not wait_gone([pid] + kids, 10):
            log("bench: the oly daemon or a session outlived 'oly daemon stop'; killing by pid")
            self.run.reaper.kill_all()


# ---------------------------------------------------------------- others


def tmux_cmd(run, sock):
    return ["tmux", "-S", sock, "-f", "/dev/null"]


def tmux_server_pid(run, sock):
    r = run.run(tmux_cmd(run, sock) + ["display-message", "-p", "#{pid}"], check=False)
    return int(r.stdout.strip()) if r.returncode == 0 and r.stdout.strip().isdigit() else None


def tmux_kill(run, sock, reaper=None):
    """reaper: whose recorded processes may be killed too (default: the run's, which also holds
    every oly daemon it started: pass a fresh Reaper() while a daemon must live on)."""
    reaper = reaper or run.reaper
    pid = tmux_server_pid(run, sock)
    kids = descendants(pid) if pid else []
    if pid:
        reaper.add([pid] + kids)
    run.run(tmux_cmd(run, sock) + ["kill-server"], check=False)
    if pid and not wait_gone([pid] + kids, 5):
        reaper.kill_all()
    try:
        os.unlink(sock)
    except OSError:
        pass


def screen_pids(run):
    d = run.env["SCREENDIR"]
    out = []
    for n in os.listdir(d):
        m = re.match(r"(\d+)\.", n)
        if m:
            out.append(int(m.group(1)))
    return out


def screen_kill(run, reaper=None):
    reaper = reaper or run.reaper
    pids = screen_pids(run)
    reaper.add(pids + descendants_many(pids))
    reaper.kill_all()
    run.run(["screen", "-wipe"], check=False)
    for n in os.listdir(run.env["SCREENDIR"]):
        try:
            os.unlink(os.path.join(run.env["SCREENDIR"], n))
        except OSError:
            pass


def dtach_masters(run, sockdir):
    """dtach -n forks a master that keeps the command line 'dtach -n SOCK ...'."""
    mb = sockdir.encode()
    out = []
    for p in all_pids():
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                c = f.read().split(b"\0")
        except OSError:
            continue
        if len(c) > 2 and os.path.basename(c[0]) == b"dtach" and c[2].startswith(mb):
            out.append(p)
    return out


def dtach_kill(run, sockdir, reaper=None):
    reaper = reaper or run.reaper
    pids = dtach_masters(run, sockdir)
    reaper.add(pids + descendants_many(pids))
    reaper.kill_all()
    shutil.rmtree(sockdir, ignore_errors=True)
    os.makedirs(sockdir, exist_ok=True)


def hyperfine(run, cmds, runs=50, warmup=3, env=None, names=None, extra=()):
    """Median wall time (s) of each command (a list of argv), via hyperfine -N (no shell)."""
    if not have("hyperfine"):
        # Fallback: a plain loop (includes Python's spawn overhead, ~0.3 ms more per run).
        res = []
        for c in cmds:
            ts = []
            for k in range(warmup + runs):
                t = time.perf_counter()
                subprocess.run(c, env=env or run.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if k >= warmup:
                    ts.append(time.perf_counter() - t)
            res.append(median(ts))
        return res
    out = os.path.join(run.dir, "hf.json")
    args = ["hyperfine", "-N", "--runs", str(runs), "--warmup", str(warmup), "--export-json", out,
            "--style", "none", *extra]
    for i, c in enumerate(cmds):
        if names:
            args += ["-n", names[i]]
        args.append(" ".join(shq(a) for a in c))
    r = run.run(args, env=env or run.env, timeout=600, check=False)
    if r.returncode != 0:
        log(f"bench: hyperfine failed for {cmds}: {r.stderr.strip()[:300]}")
        return [float("nan")] * len(cmds)
    with open(out) as f:
        res = json.load(f)["results"]
    os.unlink(out)
    return [median(r["times"]) for r in res]


def shq(s):
    if re.fullmatch(r"[A-Za-z0-9_./=:,+@%-]+", s):
        return s
    return "'" + s.replace("'", "'\\''") + "'"


def machine():
    try:
        with open("/etc/debian_version") as f:
            deb = f.read().strip()
    except OSError:
        deb = "?"
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({cpu}), Debian {deb}, kernel {os.uname().release}; load average now {load}"


def versions():
    out = {}
    for name, args in (("tmux", ["tmux", "-V"]), ("screen", ["screen", "-v"]), ("dtach", ["dtach", "--help"])):
        try:
            r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=5)
            out[name] = r.stdout.splitlines()[0].strip()
        except Exception:
            out[name] = "missing"
    return out


def ms(x):
    return f"{x * 1000:.1f} ms"


def build_c_client(run, name, what="the daemon-side measurement"):
    """Compiles bench/NAME.c (a small sd-bus client) into the run's folder; None (logged) if it cannot."""
    exe = os.path.join(run.dir, name)
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".c")
    try:
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libsystemd"], stdout=subprocess.PIPE,
                               text=True, check=True).stdout.split()
        subprocess.run(["cc", "-O2", "-o", exe, src, *flags], check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        log(f"bench: cannot build {name} ({e}); skipping {what}")
        return None
    return exe
