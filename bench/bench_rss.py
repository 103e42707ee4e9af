#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmark 2: memory of the session holder with 1, 100 and 1000 idle sessions (sleep 100000).

    oly     the daemon's VmRSS (/proc/PID/status) and Pss (/proc/PID/smaps_rollup)
    tmux    the tmux server's, likewise
    dtach   one master process per session: the sum over them
    screen  one SCREEN process per session: the sum over them

The sessions' own `sleep` processes are not counted (they are the same for every tool). Sessions
are added in steps (1 → 100 → 1000) and measured after a short settle; the per-session increment
is (mem(N2) - mem(N1)) / (N2 - N1). Rounds repeat the whole thing with a fresh holder; medians are
printed. Never asserts.

Usage: /usr/bin/python3 bench/bench_rss.py [--counts 1,100,1000] [--rounds 3] [--json FILE]
"""
import argparse
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # nothing but our own files under bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

SETTLE = 0.5


def measure(pids):
    rss = pss = 0
    for p in pids:
        r, s = B.mem_kib(p)
        rss += r
        pss += s
    return rss, pss


def run_oly(run, counts, rnd):
    d = B.OlyDaemon(run, f"o{rnd}", max_sessions=max(counts) + 64)
    d.start()
    env = dict(d.env, OB_OLY=B.OLY)
    res, have = {}, 0
    time.sleep(SETTLE)
    res[0] = measure([d.pid])
    for c in counts:
        res[("t", c)] = run.bash_loop('"$OB_OLY" start --detach sleep 100000', c - have, env=env, first=have)
        have = c
        time.sleep(SETTLE)
        if not d.check_alive(f"creating {c} sessions"):
            for k in counts:
                res.setdefault(k, (float("nan"), float("nan")))
            break
        res[c] = measure([d.pid])
    d.stop()
    return res


def run_tmux(run, counts, rnd):
    sock = os.path.join(run.dir, "tmux.sock")
    env = dict(run.env, OB_T=sock)
    res, have = {}, 0
    try:
        for c in counts:
            res[("t", c)] = run.bash_loop('tmux -S "$OB_T" -f /dev/null new-session -d -s s$i sleep 100000',
                                          c - have, env=env, first=have)
            have = c
            time.sleep(SETTLE)
            pid = B.tmux_server_pid(run, sock)
            res[c] = measure([pid]) if pid else (0, 0)
    finally:
        B.tmux_kill(run, sock)
    return res


def run_dtach(run, counts, rnd):
    sd = run.sub("d")
    env = dict(run.env, OB_D=sd)
    res, have = {}, 0
    try:
        for c in counts:
            res[("t", c)] = run.bash_loop('dtach -n "$OB_D/s$i" sleep 100000', c - have, env=env, first=have)
            have = c
            time.sleep(SETTLE)
            res[c] = measure(B.dtach_masters(run, sd))
    finally:
        B.dtach_kill(run, sd)
    return res


def run_screen(run, counts, rnd):
    env = dict(run.env, SCREENRC="/dev/null")
    res, have = {}, 0
    try:
        for c in counts:
            res[("t", c)] = run.bash_loop('screen -dmS s$i sleep 100000', c - have, env=env, first=have)
            have = c
            time.sleep(SETTLE)
            res[c] = measure(B.screen_pids(run))
    finally:
        B.screen_kill(run)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--counts", default="1,100,1000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    a = ap.parse_args()
    counts = sorted(int(x) for x in a.counts.split(","))

    run = B.Run("rss")
    tools = {"oly": run_oly}
    for t, f in (("tmux", run_tmux), ("dtach", run_dtach), ("screen", run_screen)):
        if B.have(t):
            tools[t] = f
    B.log(f"bench_rss: counts {counts} x {a.rounds} rounds: {', '.join(tools)}")
    allres = {t: [] for t in tools}
    for rnd in range(a.rounds):
        for t, f in tools.items():
            t0 = time.time()
            r = f(run, counts, rnd)
            t1 = time.time()
            allres[t].append(r)
            mem = sorted(k for k in r if not isinstance(k, tuple))
            B.log(f"  round {rnd + 1}/{a.rounds} {t:6s} " + ", ".join(f"{c}: {r[c][0]}/{r[c][1]} KiB" for c in mem) +
                  "; create loops " + ", ".join(f"→{k[1]}: {B.ms(v)}" for k, v in sorted(r.items(), key=str)
                                                if isinstance(k, tuple)) +
                  f"; total {t1 - t0:.1f} s")
            err = run.loop_errors()
            if err:
                B.log(f"bench_rss: {t}: errors: {err.strip()[:300]}")
            t2 = time.time()
            left = run.sweep()
            B.log(f"    sweep {time.time() - t2:.1f} s")
            if left:
                B.log(f"bench_rss: {left} process(es) survived after {t}")

    print(f"\n== Memory of the session holder with idle sessions (median of {a.rounds} rounds; KiB) ==")
    print(f"machine: {B.machine()}")
    hdr = "tool    " + "".join(f"{'RSS@' + str(c):>11s}{'PSS@' + str(c):>11s}" for c in counts)
    steps = list(zip(counts, counts[1:]))
    hdr += "".join(f"{'ΔRSS/s ' + f'{x}→{y}':>18s}{'ΔPSS/s':>9s}" for x, y in steps)
    print(hdr)
    out = {"counts": counts, "rounds": a.rounds, "tools": {}}
    for t in tools:
        med = {}
        keys = sorted(k for k in allres[t][0] if not isinstance(k, tuple))
        for c in keys:
            med[c] = (B.median([r[c][0] for r in allres[t]]), B.median([r[c][1] for r in allres[t]]))
        line = f"{t:8s}" + "".join(f"{med[c][0]:11.0f}{med[c][1]:11.0f}" for c in counts)
        inc = {}
        for x, y in steps:
            # per round, then the median of the increments
            dr = B.median([(r[y][0] - r[x][0]) / (y - x) for r in allres[t]])
            dp = B.median([(r[y][1] - r[x][1]) / (y - x) for r in allres[t]])
            inc[f"{x}->{y}"] = (dr, dp)
            line += f"{dr:18.1f}{dp:9.1f}"
        print(line)
        out["tools"][t] = {"median_kib": {str(k): v for k, v in med.items()}, "per_session_kib": inc}
        if 0 in med:
            print(f"{'':8s}(oly daemon with no session: RSS {med[0][0]:.0f} KiB, PSS {med[0][1]:.0f} KiB)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    run.close()


if __name__ == "__main__":
    main()
