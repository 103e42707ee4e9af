#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Input-needed detection over a corpus of real and simulated programs: recall on programs that wait
for a person (positives), false alarms on programs that do not (negatives), and detection latency.

Every program runs in a session of a private oly daemon (its own state and runtime dirs under
/tmp/ob-prompt-*, see benchlib.Run). A raw D-Bus connection (test/minidbus.py) collects the
daemon's InputNeeded signals.

  positives   run one at a time; detected = an InputNeeded signal within the window (default 10 s).
              "right" = the trigger is the expected one. Latency = when the signal arrived minus the
              modification time of the session's output.log at that moment, i.e. from the last byte
              of the prompt reaching the daemon (the log is written as the daemon reads the PTY) to
              the signal; it includes prompt_idle_ms (250 ms by default) by design.
  negatives   run all at once for their own duration (at most the window); a false alarm = any
              InputNeeded signal for it.

Two passes: the defaults (prompt_silence_seconds 60, longer than the window: rules only), then
prompt_silence_seconds 3 (the silence rule can catch unknown prompts, and can raise false alarms).
--quick runs the first pass only. Prints tables; never asserts.

  /usr/bin/python3 bench/prompt_corpus.py [--quick] [--window S] [--only NAME,...] [--json FILE]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "test"))

import benchlib  # noqa: E402
import minidbus  # noqa: E402

PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
MANAGER_PATH = "/org/openrelay/Oly1"
MANAGER_IFACE = "org.openrelay.Oly1.Manager"


def sh(script):
    return ["sh", "-c", script]


def dpkg_installed(pkg):
    try:
        p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return p.returncode == 0 and p.stdout.endswith(" installed")


def apt_argv():
    """apt-get asking "Do you want to continue? [Y/n]" without being able to change anything: it removes a
    leaf package with dpkg replaced by /bin/false, no lock and no package cache written (and nobody
    answers). Falls back to printing the same text."""
    pkg = next((p for p in ("python3-pyte", "gdb") if shutil.which("apt-get") and dpkg_installed(p)), None)
    if pkg:
        return ["apt-get", "-o", "APT::Get::Assume-Yes=false", "-o", "Debug::NoLocking=true",
                "-o", "Dir::Bin::dpkg=/bin/false", "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
                "remove", pkg], "apt-get remove (dpkg=/bin/false)"
    return sh("printf 'After this operation, 1 MB will be used.\\nDo you want to continue? [Y/n] '; read x"), \
        "apt-get prompt (simulated)"


# ---------------------------------------------------------------- the corpus
# Positive: (name, argv, expected trigger or None for "any", needs (a tool), prepare (optional))
# Negative: (name, argv, needs)


def gdb_quit_prepare(c, sid):
    """Gets gdb to "Quit anyway? (y or n)": run a program, interrupt it, quit."""
    c.wait_input(sid, 0, 15)  # (gdb)
    c.send(sid, "run", "key:enter")
    c.wait_log(sid, b"Starting program", 15)
    time.sleep(0.5)
    n = c.count_input(sid)
    c.send(sid, "key:ctrl+c")
    c.wait_input(sid, n, 15)  # (gdb) again, the program stopped
    c.send(sid, "quit", "key:enter")


def positives(tmp):
    apt, apt_name = apt_argv()
    long_q = "The following 37 packages will be upgraded and 2 new packages installed, continue anyway "
    return [
        ("bash read -p (y/n)", ["bash", "-c", "read -p 'Continue? (y/n) ' x"], "yes-no", None, None),
        ("python input('Name? ')", [PY, "-c", "input('Name? ')"], "question", None, None),
        ("python getpass", [PY, "-c", "import getpass; getpass.getpass()"], "password", None, None),
        (apt_name, apt, "yes-no", "apt-get", None),
        ("ssh-keygen passphrase", ["ssh-keygen", "-t", "ed25519", "-f", os.path.join(tmp, "key")], "password",
         "ssh-keygen", None),
        ("bash --norc (shell prompt)", ["bash", "--norc", "--noprofile"], "shell", None, None),
        ("python3 -q (REPL)", [PY, "-q"], "shell", None, None),
        ("node (REPL)", ["node"], "shell", "node", None),
        ("sqlite3 (REPL)", ["sqlite3"], "repl", "sqlite3", None),
        ("gdb (gdb)", ["gdb", "-q", "-nx"], "repl", "gdb", None),
        ("gdb Quit anyway? (y or n)", ["gdb", "-q", "-nx", "--args", "sleep", "100"], "y-or-n", "gdb",
         gdb_quit_prepare),
        ("gdb pending bp (y or [n])", ["gdb", "-q", "-nx", "-ex", "break no_such_function", "/bin/true"], "y-or-n",
         "gdb", None),
        ("sudo-like [sudo] password", sh("printf '[sudo] password for alice: '; read x"), "password", None, None),
        ("Are you sure ...delete?", sh("printf 'Are you sure you want to delete? '; read x"), None, None, None),
        ("bare 'Are you sure'", sh("printf 'Are you sure '; read x"), "are-you-sure", None, None),
        ("npm init: package name: (foo)", sh("printf 'package name: (foo) '; read x"), None, None, None),
        ("git: Username for 'https://..'", sh("printf \"Username for 'https://example.com': \"; read x"), None, None,
         None),
        ("ssh host key (yes/no/[fp])?", sh("printf 'Are you sure you want to continue connecting "
                                           "(yes/no/[fingerprint])? '; read x"), None, None, None),
        ("dpkg conffile [default=N] ?", sh("printf '*** sshd_config (Y/I/N/O/D/Z) [default=N] ? '; read x"), None,
         None, None),
        ("Press Enter to continue...", sh("printf 'Press Enter to continue...'; read x"), "press-enter", None, None),
        ("Press any key", sh("printf 'Press any key to continue . . . '; read x"), "press-enter", None, None),
        ("Overwrite? [y/N]", sh("printf 'Overwrite existing file? [y/N] '; read x"), "yes-no", None, None),
        ("conda Proceed ([y]/n)?", sh("printf 'Proceed ([y]/n)? '; read x"), None, None, None),
        ("verification code:", sh("printf 'Enter the verification code: '; read x"), "secret", None, None),
        ("GitHub token:", sh("printf 'Paste your personal access token: '; read x"), "secret", None, None),
        ("inquirer ? Project name", sh("printf '? Project name: (my-app) '; read x"), "question-line", None, None),
        ("(y/n) on its own line", sh("echo 'Delete 3 files? (y/n)'; read x"), "yes-no", None, None),
        ("menu + 'Choose: '", sh("printf '1) apple\\n2) pear\\nChoose: '; read x"), None, None, None),
        ("bash select '#? '", ["bash", "-c", "select f in apple pear; do break; done"], None, None, None),
        ("Enter your name:", sh("printf 'Enter your name: '; read x"), None, None, None),
        ("wrapped (y/n) across rows", sh(f"printf '{long_q[:77]}(y/n) '; read x"), "yes-no", None, None),
        ("mysql-like mysql>", sh("printf 'mysql> '; read x"), "repl", None, None),
        ("less (pager)", ["less", "/etc/services"], None, "less", None),
    ]


def negatives(tmp):
    logf = os.path.join(tmp, "server.log")
    with open(logf, "w") as f:
        f.write("starting server\nlistening on port 8080\naccepted connection from 10.0.0.7\n")
    return [
        ("build printing every 0.1 s",
         ["bash", "-c", 'for i in $(seq 80); do echo "compiling unit $i"; sleep 0.1; done'], None),
        ("\\r progress bar, 0.5 s steps", ["bash", "-c", "for i in $(seq 0 10 100); do printf '\\rDownloading [%-10s] "
                                          "%3d%%' \"$(head -c $((i / 10)) /dev/zero | tr '\\0' '#')\" $i; sleep 0.5; "
                                          "done; echo"], None),
        ("sleep", ["sleep", "8"], None),
        ("tail -f", ["tail", "-f", logf], None),
        ("log 'password: updated'", sh('echo "password: updated"; sleep 5; echo "more work"; sleep 1; echo done'),
         None),
        ("answered 'Continue? (y/n) y'", sh("printf 'Continue? (y/n) y'; sleep 6"), None),
        ("question in a log line", sh("echo 'Why did the job fail?'; echo 'see the log'; sleep 6"), None),
        ("tqdm-like bar stalled", sh("printf ' 45%%|####5     | 45/100 [00:02<00:03, 20.1it/s]'; sleep 6; echo"), None),
        ("curl-like meter stalled", sh("printf '  %% Total    %% Received %% Xferd  Average Speed\\n'; "
                                      "printf ' 45  100M   45 45.0M    0     0  10.1M      0  0:00:09'; sleep 6; echo"),
         None),
        ("percent with trailing space", sh("printf '\\rProgress: 45%% '; sleep 6; echo"), None),
        ("Downloading... 45% stalled", sh("printf 'Downloading... 45%%'; sleep 6; echo"), None),
        ("make: Leaving directory", sh("echo \"make[1]: Leaving directory '/src/app'\"; sleep 6"), None),
        ("clear+date loop (watch-like)", sh("for i in 1 2 3 4 5 6; do clear; date; sleep 1; done"), None),
        # A question printed and answered by the program itself (no terminal input wanted), then work.
        ("(y/n) answered on the next line", sh("printf 'Continue? (y/n) \\nnot a terminal: assuming no\\n'; "
                                              "sleep 6"), None),
        ("(y/n) then 4 more lines", sh("printf 'Continue? (y/n) \\nassuming no\\n1\\n2\\n3\\n'; sleep 6"),
         None),
        ("'Enter password:' log line", sh("echo 'Enter password: (read from $PGPASSFILE)'; sleep 6"), None),
    ]


# ---------------------------------------------------------------- running


class Daemon(benchlib.OlyDaemon):
    def __init__(self, run, name, config):
        super().__init__(run, name)
        self.config = config

    def write_config(self):
        os.makedirs(self.state, mode=0o700, exist_ok=True)
        with open(os.path.join(self.state, "config.json"), "w") as f:
            json.dump(self.config, f)


class Corpus:
    def __init__(self, run, name, config, window):
        self.run = run
        self.window = window
        self.d = Daemon(run, name, config)
        self.d.start()
        self.bus = minidbus.Connection(os.path.join(self.d.runtime, "bus"), timeout=30)
        self.bus.call(MANAGER_PATH, "org.freedesktop.DBus.Peer", "Ping")
        self.seen = []  # (arrival time, signal)

    def close(self):
        try:
            self.bus.close()
        except OSError:
            pass
        self.d.stop()

    def pump(self, seconds):
        try:
            self.bus.wait_signal(lambda m: False, timeout=max(seconds, 0.01))
        except TimeoutError:
            pass
        now = time.time()
        for m in self.bus.signals:
            self.seen.append((now, m))
        self.bus.signals.clear()

    def signals(self, member, sid):
        return [(t, m) for t, m in self.seen if m.member == member and m.body and m.body[0] == sid]

    def start(self, argv, cwd):
        r = self.run.run([benchlib.OLY, "start", "--detach", *map(str, argv)], env=self.d.env, cwd=cwd)
        return r.stdout.strip()

    def send(self, sid, *chunks):
        self.d.oly("send", sid, *chunks)

    def kill(self, sid):
        try:
            self.bus.call(MANAGER_PATH, MANAGER_IFACE, "KillSession", "si", sid, 9)
        except minidbus.DBusError:
            pass  # already ended

    def log_path(self, sid):
        return os.path.join(self.d.state, "sessions", sid, "output.log")

    def wait_log(self, sid, needle, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(self.log_path(sid), "rb") as f:
                    if needle in f.read():
                        return True
            except OSError:
                pass
            self.pump(0.05)
        return False

    def wait_input(self, sid, after, timeout):
        """Waits for an InputNeeded of sid beyond the first `after` ones; returns (arrival, signal) or None."""
        return self._next_input(sid, after, timeout)

    def count_input(self, sid):
        return len(self.signals("InputNeeded", sid))

    def positive(self, name, argv, expect, prepare, cwd):
        self.pump(0.01)
        sid = self.start(argv, cwd)
        res = {"name": name, "kind": "positive", "id": sid, "expect": expect}
        try:
            if prepare:
                prepare(self, sid)
            base = len(self.signals("InputNeeded", sid))
            hit = self._next_input(sid, base, self.window)
            if hit:
                arrival, m = hit
                try:
                    mtime = os.stat(self.log_path(sid)).st_mtime_ns / 1e9
                except OSError:
                    mtime = None
                res.update(detected=True, trigger=m.body[2], line=m.body[3],
                           latency=(arrival - mtime) if mtime else None,
                           right=expect is None or m.body[2] == expect)
            else:
                res.update(detected=False, trigger="", line="", latency=None, right=False,
                           exited=bool(self.signals("SessionExited", sid)))
        finally:
            self.kill(sid)
        return res

    def _next_input(self, sid, base, timeout):
        """The InputNeeded signal number base+1 of sid, with its arrival time, or None (timeout or exit)."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.signals("InputNeeded", sid)
            if len(got) > base:
                return got[base]
            if self.signals("SessionExited", sid):
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                m = self.bus.wait_signal(lambda m: True, timeout=left)
            except TimeoutError:
                continue
            self.seen.append((time.time(), m))

    def negatives(self, items, cwd):
        started = []
        for name, argv, _ in items:
            started.append((name, self.start(argv, cwd)))
        deadline = time.monotonic() + self.window
        while time.monotonic() < deadline:
            if all(self.signals("SessionExited", sid) for _, sid in started):
                break
            self.pump(0.2)
        self.pump(0.3)
        out = []
        for name, sid in started:
            alarms = self.signals("InputNeeded", sid)
            out.append({"name": name, "kind": "negative", "id": sid, "false_alarm": bool(alarms),
                        "trigger": alarms[0][1].body[2] if alarms else "",
                        "line": alarms[0][1].body[3] if alarms else ""})
            self.kill(sid)
        return out


def available(needs):
    return needs is None or shutil.which(needs) is not None


def fmt_line(s, n=46):
    s = s.rstrip()
    return s if len(s) <= n else s[:n - 1] + "…"


def run_pass(run, label, config, window, only, tmp):
    c = Corpus(run, label.split()[0][:6], config, window)
    results = []
    try:
        for name, argv, expect, needs, prepare in positives(tmp):
            if only and name not in only:
                continue
            if not available(needs):
                results.append({"name": name, "kind": "positive", "skipped": f"{needs} not installed"})
                continue
            benchlib.log(f"[{label}] positive: {name}")
            results.append(c.positive(name, argv, expect, prepare, tmp))
        negs = [n for n in negatives(tmp) if (not only or n[0] in only) and available(n[2])]
        if negs:
            benchlib.log(f"[{label}] {len(negs)} negatives at once (up to {window:.0f} s)")
            results += c.negatives(negs, tmp)
    finally:
        c.close()
    return results


def report(label, config, results):
    pos = [r for r in results if r["kind"] == "positive" and "skipped" not in r]
    neg = [r for r in results if r["kind"] == "negative"]
    print(f"\n== {label}: config {json.dumps(config)}")
    print(f"{'positive':32} {'expected':14} {'got':14} {'ok':4} {'latency':>9}  line")
    for r in results:
        if r["kind"] != "positive":
            continue
        if "skipped" in r:
            print(f"{r['name'][:32]:32} (skipped: {r['skipped']})")
            continue
        ok = "yes" if r["detected"] and r["right"] else ("trig" if r["detected"] else "MISS")
        lat = f"{r['latency'] * 1000:7.0f}ms" if r.get("latency") is not None else "-"
        print(f"{r['name'][:32]:32} {str(r['expect'] or 'any'):14} {r['trigger'] or '-':14} {ok:4} {lat:>9}  "
              f"{fmt_line(r['line'])!r}")
    print(f"\n{'negative':32} {'flagged':8} {'trigger':14} line")
    for r in neg:
        print(f"{r['name'][:32]:32} {'ALARM' if r['false_alarm'] else 'no':8} {r['trigger'] or '-':14} "
              f"{fmt_line(r['line'])!r}" if r["false_alarm"] else f"{r['name'][:32]:32} {'no':8}")
    det = [r for r in pos if r["detected"]]
    right = [r for r in det if r["right"]]
    lats = [r["latency"] for r in det if r.get("latency") is not None]
    rule_lats = [r["latency"] for r in det if r.get("latency") is not None and r["trigger"] != "silence"]
    fa = [r for r in neg if r["false_alarm"]]
    summary = {
        "positives": len(pos), "detected": len(det), "right_trigger": len(right),
        "recall": len(det) / len(pos) if pos else float("nan"),
        "negatives": len(neg), "false_alarms": len(fa),
        "false_alarm_rate": len(fa) / len(neg) if neg else float("nan"),
        "latency_median_ms": statistics.median(lats) * 1000 if lats else None,
        "latency_max_ms": max(lats) * 1000 if lats else None,
        "rule_latency_median_ms": statistics.median(rule_lats) * 1000 if rule_lats else None,
        "rule_latency_max_ms": max(rule_lats) * 1000 if rule_lats else None,
    }
    print(f"\n{label}: recall {len(det)}/{len(pos)} = {summary['recall']:.0%} "
          f"(right trigger {len(right)}/{len(pos)}); false alarms {len(fa)}/{len(neg)} = "
          f"{summary['false_alarm_rate']:.0%}")
    if lats:
        print(f"{label}: latency (last prompt byte in the log -> InputNeeded signal) over {len(lats)} detections: "
              f"median {summary['latency_median_ms']:.0f} ms, max {summary['latency_max_ms']:.0f} ms"
              + (f"; rule-based only: median {summary['rule_latency_median_ms']:.0f} ms, "
                 f"max {summary['rule_latency_max_ms']:.0f} ms" if rule_lats and len(rule_lats) != len(lats) else ""))
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the default-config pass only")
    ap.add_argument("--window", type=float, default=10.0, help="seconds a program gets (default 10)")
    ap.add_argument("--silence", type=int, default=3, help="prompt_silence_seconds of the second pass (default 3)")
    ap.add_argument("--only", help="comma-separated corpus names")
    ap.add_argument("--json", help="also write the results as JSON to this file")
    a = ap.parse_args()
    only = set(a.only.split(",")) if a.only else None

    run = benchlib.Run("prompt")
    tmp = run.sub("work")
    print(f"# prompt corpus on {benchlib.machine()}")
    passes = [("defaults", {})]
    if not a.quick:
        passes.append((f"silence={a.silence}s", {"prompt_silence_seconds": a.silence}))
    out = {}
    try:
        for label, config in passes:
            for f in os.listdir(tmp):  # ssh-keygen refuses to overwrite without asking
                if f.startswith("key"):
                    os.unlink(os.path.join(tmp, f))
            res = run_pass(run, label, config, a.window, only, tmp)
            out[label] = {"config": config, "results": res, "summary": report(label, config, res)}
    finally:
        run.close()
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1, default=str)


if __name__ == "__main__":
    main()
