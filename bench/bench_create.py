#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Benchmark 1: create N detached sessions end to end, one process per session, sequentially.

    oly start --detach sleep 100000                    (daemon already running, fresh state per round)
    dtach -n DIR/sN sleep 100000
    tmux -S SOCK -f /dev/null new-session -d -s sN sleep 100000   (first call also starts the server)
    screen -dmS sN sleep 100000                       (own SCREENDIR; one SCREEN process per session)

Each loop runs in one bash (as a user's script would) and is timed inside bash with $EPOCHREALTIME.
The order of the tools rotates between rounds. Prints medians; never asserts.

Optionally (--client) measures the daemon's side alone with bench/create-client.c: N CreateSession
calls on one connection, and N calls each on a new connection, without starting a process each.
Also times listing the N live sessions (oly ls --limit N, tmux ls, screen -ls) with hyperfine.

Usage: /usr/bin/python3 bench/bench_create.py [--sessions 100] [--rounds 5] [--no-client] [--json FILE]
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # nothing but our own files under bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402


def count_oly(d, n):
    r = d.oly("ls", "--status", "running", "--limit", str(max(n, 1) * 2), "--json", check=False)
    try:
        return len(json.loads(r.stdout))
    except ValueError:
        return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-client", action="store_true")
    ap.add_argument("--no-ls", action="store_true")
    ap.add_argument("--no-tmpfs", action="store_true",
                    help="skip the extra oly row with its state dir on tmpfs (/dev/shm)")
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args()
    n = a.sessions

    run = B.Run("create")
    tools = ["oly"] + [t for t in ("dtach", "tmux", "screen") if B.have(t)]
    if not a.no_tmpfs and os.access("/dev/shm", os.W_OK):
        tools.insert(1, "oly-shm")
    times = {t: [] for t in tools}
    counts = {t: [] for t in tools}
    ls_times = {}
    B.log(f"bench_create: {n} sessions x {a.rounds} rounds: {', '.join(tools)}")

    for rnd in range(a.rounds):
        order = tools[rnd % len(tools):] + tools[:rnd % len(tools)]
        last = rnd == a.rounds - 1
        for t in order:
            if t in ("oly", "oly-shm"):
                d = B.OlyDaemon(run, f"o{rnd}{t[-1]}", max_sessions=max(256, n + 16),
                                state_base="/dev/shm" if t == "oly-shm" else None)
                d.start()
                env = dict(d.env, OB_OLY=B.OLY)
                dt = run.bash_loop('"$OB_OLY" start --detach sleep 100000', n, env=env)
                d.check_alive("the create loop")
                counts[t].append(count_oly(d, n))
                if last and not a.no_ls and t == "oly":
                    ls_times["oly ls --limit N"] = B.hyperfine(run, [[B.OLY, "ls", "--limit", str(n)]], runs=30,
                                                               env=d.env)[0]
                    if not d.check_alive("oly ls"):
                        ls_times["oly ls --limit N"] = float("nan")
                d.stop()
            elif t == "dtach":
                sd = run.sub("d")
                dt = run.bash_loop('dtach -n "$OB_D/s$i" sleep 100000', n, env=dict(run.env, OB_D=sd))
                counts[t].append(len(B.dtach_masters(run, sd)))
                B.dtach_kill(run, sd)
            elif t == "tmux":
                sock = os.path.join(run.dir, "tmux.sock")
                dt = run.bash_loop('tmux -S "$OB_T" -f /dev/null new-session -d -s s$i sleep 100000', n,
                                   env=dict(run.env, OB_T=sock))
                r = run.run(B.tmux_cmd(run, sock) + ["ls"], check=False)
                counts[t].append(len(r.stdout.splitlines()))
                if last and not a.no_ls:
                    ls_times["tmux ls"] = B.hyperfine(run, [B.tmux_cmd(run, sock) + ["ls"]], runs=30)[0]
                B.tmux_kill(run, sock)
            elif t == "screen":
                env = dict(run.env, SCREENRC="/dev/null")
                dt = run.bash_loop('screen -dmS s$i sleep 100000', n, env=env)
                counts[t].append(len(B.screen_pids(run)))
                if last and not a.no_ls:
                    # screen -ls exits 1 when it lists sessions: hyperfine -i ignores that.
                    ls_times["screen -ls"] = B.hyperfine(run, [["screen", "-ls"]], runs=30, env=env,
                                                         extra=["-i"])[0]
                B.screen_kill(run)
            err = run.loop_errors()
            if err:
                B.log(f"bench_create: {t} round {rnd}: errors: {err.strip()[:300]}")
            times[t].append(dt)
            B.log(f"  round {rnd + 1}/{a.rounds} {t:6s} {B.ms(dt)} ({counts[t][-1]} sessions seen)")
            left = run.sweep()
            if left:
                B.log(f"bench_create: {left} process(es) survived after {t}")

    client = {}
    if not a.no_client:
        exe = B.build_c_client(run, "create-client")
        if exe:
            for mode, args in (("one connection", [str(n)]), ("connection per call", ["-c", str(n)])):
                res = []
                for rnd in range(a.rounds):
                    d = B.OlyDaemon(run, f"c{len(client)}{rnd}", max_sessions=max(256, n + 16))
                    d.start()
                    r = run.run([exe, *args], env=d.env)
                    res.append([float(x) for x in r.stdout.split()])
                    d.stop()
                    run.sweep()
                client[mode] = {"total": B.median([x[0] for x in res]),
                                "per_call_median": B.median([x[1] for x in res]),
                                "per_call_min": min(x[2] for x in res)}

    print(f"\n== Create {n} detached sessions, one process each, sequential "
          f"(median of {a.rounds} rounds) ==")
    print(f"machine: {B.machine()}")
    print(f"{'tool':8s} {'median':>10s} {'per session':>12s} {'min':>10s} {'max':>10s}  sessions seen")
    out = {"sessions": n, "rounds": a.rounds, "tools": {}}
    for t in tools:
        m = B.median(times[t])
        print(f"{t:8s} {B.ms(m):>10s} {m / n * 1e6:9.0f} µs {B.ms(min(times[t])):>10s} "
              f"{B.ms(max(times[t])):>10s}  {counts[t]}")
        out["tools"][t] = {"median_s": m, "per_session_s": m / n, "all_s": times[t], "seen": counts[t]}
    if client:
        print(f"\noly daemon side alone (create-client, {n} CreateSession calls, median of {a.rounds}):")
        for mode, c in client.items():
            print(f"  {mode:20s} total {B.ms(c['total'])}, per call median {c['per_call_median'] * 1e6:.0f} µs, "
                  f"min {c['per_call_min'] * 1e6:.0f} µs")
        out["client"] = client
    # Where a CLI call's time goes: process start, then connect + one trivial call.
    breakdown = {}
    if not a.no_ls:
        d = B.OlyDaemon(run, "bd")
        d.start()
        cmds = [["/bin/true"], [B.OLY, "--help"], [B.OLY, "ls", "--limit", "1"]]
        names = ["/bin/true", "oly --help (exec + dynamic linking)", "oly ls --limit 1 (+ connect, 1 call)"]
        if B.have("dtach"):
            cmds.append(["dtach", "--help"])
            names.append("dtach --help")
        for k, v in zip(names, B.hyperfine(run, cmds, runs=100, env=d.env, extra=["-i"])):
            breakdown[k] = v
        d.stop()
        print("\nProcess start-up (hyperfine, median of 100):")
        for k, v in breakdown.items():
            print(f"  {k:40s} {v * 1e6:6.0f} µs")
        out["startup"] = breakdown
    if ls_times:
        print(f"\nListing {n} live sessions (hyperfine, median of 30):")
        for k, v in ls_times.items():
            print(f"  {k:18s} {B.ms(v)}")
        out["list_live"] = ls_times
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    run.close()


if __name__ == "__main__":
    main()
