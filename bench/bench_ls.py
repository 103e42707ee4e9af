#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmark 3: `oly ls` wall time with 100,000 stored sessions.

The daemon creates its database (schema of src/daemon/db.c) and is stopped; 100k finished
sessions are then inserted straight into <state>/oly.db with sqlite3, the daemon restarted, and
each listing timed with hyperfine (-N, no shell; output discarded; median of --runs):

    oly ls                                  the default: 10 newest
    oly ls --search foo                     ~1% of the rows have "foo" in their title
    oly ls --search zzqqxx                  matches nothing: scans every row (worst case)
    oly ls --status failed --limit 100      ~5% of the rows failed
    oly ls --json --limit 1000
    oly ls --limit 100000                   everything (fewer runs)

Stored rows: 80% stopped, 10% killed, 5% failed, 5% unknown; 30% have a title; created over the
last 90 days. tmux, screen and dtach keep no history of ended sessions, so there is nothing to
compare with here (bench_create.py compares listing live sessions). Never asserts.

Usage: /usr/bin/python3 bench/bench_ls.py [--rows 100000] [--runs 50] [--json FILE]
"""
import argparse
import json
import os
import random
import sqlite3
import sys
import time

sys.dont_write_bytecode = True  # nothing but our own files under bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
LETTERS = ALPHABET[10:]
WORDS = ["build", "deploy", "test", "watch", "server", "logs", "backup", "agent", "review", "migrate",
         "train", "sync", "index", "bench", "lint", "docs"]
COMMANDS = [("bash", []), ("make", ["-j4"]), ("python3", ["train.py", "--epochs", "10"]),
            ("npm", ["run", "dev"]), ("sleep", ["100000"]), ("cargo", ["test"]), ("ssh", ["host"])]


def populate(path, n, analyze=False, seed=1):
    rnd = random.Random(seed)
    now = int(time.time() * 1e6)
    span = 90 * 86400 * 10**6
    ids = set()
    rows = []
    for k in range(n):
        while True:
            i = rnd.choice(LETTERS) + "".join(rnd.choice(ALPHABET) for _ in range(7))
            if i not in ids:
                ids.add(i)
                break
        created = now - span + span * k // n + rnd.randrange(1000)
        r = rnd.random()
        title = None
        if r < 0.01:
            title = f"{rnd.choice(WORDS)} foo {k}"
        elif r < 0.30:
            title = f"{rnd.choice(WORDS)}-{rnd.choice(WORDS)} {k}"
        cmd, args = rnd.choice(COMMANDS)
        s = rnd.random()
        if s < 0.80:
            status, code = "stopped", 0
        elif s < 0.90:
            status, code = "killed", 137
        elif s < 0.95:
            status, code = "failed", rnd.choice([1, 2, 127])
        else:
            status, code = "unknown", None
        started = created + rnd.randrange(500, 5000)
        ended = started + rnd.randrange(10**6, 3600 * 10**6)
        rows.append((i, title, cmd, json.dumps(args, separators=(",", ":")), f"/home/user/src/proj{k % 50}",
                     status, 10000 + k % 30000, code, created, started, ended, 1, 24, 80))
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    with db:
        db.executemany("INSERT INTO sessions (id, title, command, args, cwd, status, pid, exit_code, created_at, "
                       "started_at, ended_at, notifications, rows, cols) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if analyze:
        db.execute("ANALYZE")
    db.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--analyze", action="store_true",
                    help="run ANALYZE after populating (oly itself never does)")
    ap.add_argument("--json")
    a = ap.parse_args()

    run = B.Run("ls")
    d = B.OlyDaemon(run, "ls")
    d.start()
    d.stop()
    dbpath = os.path.join(d.state, "oly.db")
    t = time.perf_counter()
    populate(dbpath, a.rows, analyze=a.analyze)
    B.log(f"bench_ls: inserted {a.rows} rows in {time.perf_counter() - t:.1f} s "
          f"({os.path.getsize(dbpath) / 1e6:.1f} MB)")

    starts = []
    for _ in range(3):
        t = time.perf_counter()
        d.start()
        starts.append(time.perf_counter() - t)
        d.stop()
    d.start()
    r = d.oly("ls", "--limit", "100000", "--json")
    seen = len(json.loads(r.stdout))
    B.log(f"bench_ls: the daemon lists {seen} sessions")

    cases = [
        ("oly ls", ["ls"], a.runs),
        ("oly ls --search foo", ["ls", "--search", "foo"], a.runs),
        ("oly ls --search zzqqxx (no match)", ["ls", "--search", "zzqqxx"], a.runs),
        ("oly ls --status failed --limit 100", ["ls", "--status", "failed", "--limit", "100"], a.runs),
        ("oly ls --json --limit 1000", ["ls", "--json", "--limit", "1000"], a.runs),
        ("oly ls --limit 100000", ["ls", "--limit", "100000"], max(5, a.runs // 5)),
    ]
    res = {}
    for name, args, runs in cases:
        res[name] = B.hyperfine(run, [[B.OLY, *args]], runs=runs, warmup=3, env=d.env)[0]
        if not d.check_alive(name):
            res[name] = float("nan")
        B.log(f"  {name:40s} {B.ms(res[name])}")
    d.stop()

    print(f"\n== oly ls with {a.rows} stored sessions (hyperfine median; {a.runs} runs, "
          f"{max(5, a.runs // 5)} for the full listing) ==")
    print(f"machine: {B.machine()}")
    for name, v in res.items():
        print(f"  {name:40s} {B.ms(v) if v == v else 'FAILED (the daemon died, see above)':>10s}")
    print(f"  daemon start with {a.rows} rows (oly daemon start --detach, median of 3): "
          f"{B.ms(B.median(starts))}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rows": a.rows, "runs": a.runs, "seen": seen, "median_s": res,
                       "daemon_start_s": B.median(starts)}, f, indent=1)
    run.close()


if __name__ == "__main__":
    main()
