#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Data-plane benchmark 4: `oly logs --tail N` on a 1 GiB log.

A detached session writes 1 GiB of log lines (`yes '<a 69-byte log line>' | head -c 1G`: 15.3 M
lines, 1.09 GB in output.log with the terminal's \\r\\n); once it has ended, hyperfine (-N, output
to /dev/null, 3 warm-ups, median of 20) times

    oly logs ID --tail 40 / --tail 400 / --raw --tail 40     (rendered through libvterm / raw bytes)
    tail -n 40 output.log                                    (the floor: a seek and a read)

and the same `oly logs` commands on a 1 MiB log of the same lines, to show that the cost follows
the tail, not the log's size. Skipped, with a message, when the state dir's filesystem has less
than 5 GiB free. The big log is deleted afterwards.

Usage: /usr/bin/python3 bench/bench_logs.py [--size 1G] [--runs 20] [--json FILE]
"""
import argparse
import json
import os
import shutil
import sys
import time

sys.dont_write_bytecode = True  # nothing but our own files under bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

LINE = "2026-11-23T12:00:00.000Z INFO http: GET /api/v1/sessions 200 0.35ms"  # < 80 columns
MIN_FREE = 5 << 30


def wait_ended(daemon, sid, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = daemon.oly("ls", "--json", "--limit", "10", check=False)
        try:
            for s in json.loads(r.stdout):
                if s.get("id") == sid and s.get("status") not in ("running", "created"):
                    return s
        except ValueError:
            pass
        if not daemon.alive():
            return None
        time.sleep(0.5)
    return None


def make_log(daemon, size):
    t = time.time()
    sid = daemon.oly("start", "--detach", "sh", "-c", f"yes '{LINE}' | head -c {size}").stdout.strip().splitlines()[-1]
    s = wait_ended(daemon, sid, 900)
    if s is None:
        raise RuntimeError(f"the session writing {size} did not end in time" +
                           ("" if daemon.alive() else "; " + (daemon.check_alive("writing the log") or daemon.last_death)))
    path = os.path.join(daemon.state, "sessions", sid, "output.log")
    return sid, path, os.path.getsize(path), time.time() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1G", help="the big log's size, as for head -c")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args()

    run = B.Run("logs")
    daemon = B.OlyDaemon(run, "o")
    free = shutil.disk_usage(run.dir).free
    if free < MIN_FREE:
        print(f"\n## `oly logs --tail`: skipped: {free / 2**30:.1f} GiB free in {run.dir}, need 5 GiB\n")
        return
    daemon.start()
    B.log(f"bench_logs: {a.size} log, {a.runs} runs each; {free / 2**30:.0f} GiB free; {B.machine()}")
    out = {"machine": B.machine(), "versions": B.versions(), "logs": {}}

    rows = []
    for label, size in (("1 MiB", "1M"), (a.size, a.size)):
        sid, path, nbytes, took = make_log(daemon, size)
        B.log(f"  {label}: session {sid}, output.log {nbytes:,} bytes (written in {took:.1f} s)")
        cmds = [[B.OLY, "logs", sid, "--tail", "40"],
                [B.OLY, "logs", sid, "--tail", "400"],
                [B.OLY, "logs", sid, "--raw", "--tail", "40"],
                ["tail", "-n", "40", path]]
        names = ["oly logs --tail 40", "oly logs --tail 400", "oly logs --raw --tail 40", "tail -n 40 output.log"]
        # The renders must be right, not just quick: the last line is the log line.
        r = daemon.oly("logs", sid, "--tail", "40")
        lines = r.stdout.splitlines()
        sane = len(lines) == 40 and all(x.startswith("2026-11-23T12") for x in lines[:-1])
        ts = B.hyperfine(run, cmds, runs=a.runs, warmup=3, env=daemon.env, names=names)
        out["logs"][label] = {"bytes": nbytes, "times": dict(zip(names, ts)), "render_sane": sane}
        rows.append((label, nbytes, ts, sane))
        if not daemon.check_alive(f"oly logs on the {label} log"):
            out["logs"][label]["error"] = daemon.last_death
        if label != "1 MiB":
            os.unlink(path)

    print(f"\n## `oly logs --tail` (hyperfine -N, median of {a.runs}; output to /dev/null)\n")
    print("| log | output.log | " + " | ".join(f"`{n}`" for n in names) + " |")
    print("|-----|-----:|" + "-----:|" * len(names))
    for label, nbytes, ts, sane in rows:
        print(f"| {label} | {nbytes / 1e6:,.1f} MB | " + " | ".join(f"{t * 1e3:.2f} ms" for t in ts) + " |"
              + ("" if sane else " (the 40-line render looked wrong)"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
