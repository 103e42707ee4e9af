#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The CLI against its peers, side by side in one run (bench/run-cli.sh runs it). Every part runs
R rounds; inside a round the contenders alternate (their order rotates from round to round), so a
shared machine's load weighs on all of them alike. Prints, per contender, the median over rounds and
the ratio to the peer; never asserts.

  create   N x `oly start --detach sleep 100000` (a fresh daemon and state dir per round, started
           before the clock) vs N x `dtach -n DIR/sI sleep 100000` vs N x `tmux -S SOCK -f /dev/null
           new -d sleep 100000` (the first also starts the server), each loop one bash timed with
           $EPOCHREALTIME (bench_create.py's method); every session is killed afterwards.
  send     `oly send ID TOKEN` vs `dtach -p SOCK` with TOKEN already in its stdin pipe, from the
           spawn until a client attached to an echo session (`stty raw -echo; exec cat`) on an 80x24
           PTY shows the token (bench_send.py's method); send i goes to each tool in turn. p50/p99.
  startup  `/bin/true`, `dtach --help`, `oly --help`, `oly ls --limit 1` and `oly send ID x` (to a
           session that swallows its input), in turn, each posix_spawn'ed until reaped (a tight loop:
           hyperfine runs one command's runs in a block, which a moving load skews).
  daemon   the daemon alone, from C on one open sd-bus connection: CreateSession per call
           (bench/create-client.c, N calls on a fresh daemon) and SendInput of 1 byte per call
           alternating with Peer.Ping (bench/send-client.c). p50/p99 per call.

Usage: /usr/bin/python3 bench/bench_cli.py [--rounds 5] [--sessions 100] [--sends 100]
                                           [--parts create,send,startup,daemon] [--json FILE]
The build tree: $OLY_BUILD_DIR (default: build/ next to bench/).
"""
import argparse
import json
import subprocess
import os
import shutil
import sys
import time

sys.dont_write_bytecode = True  # nothing but our own files under bench/
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "test"))
import benchlib as B  # noqa: E402
import ptybench as P  # noqa: E402
import bench_send as S  # noqa: E402

SWALLOW_CMD = "stty raw -echo; exec cat >/dev/null"


def rotate(xs, k):
    k %= len(xs)
    return xs[k:] + xs[:k]


def fmt(x):
    if x != x:  # nan
        return "—"
    return f"{x * 1e6:.0f} µs" if x < 1e-3 else f"{x * 1e3:.2f} ms" if x < 1 else f"{x:.2f} s"


def ratio(a, b):
    return f"{a / b:.2f}" if a == a and b == b and b > 0 else "—"


def pratio(xs, ys):
    """The median of the per-round ratios x_r / y_r (the contenders ran side by side in each round),
    with their range: steadier than a ratio of medians when the machine's load moves."""
    rs = [x / y for x, y in zip(xs, ys) if x == x and y == y and y > 0]
    if not rs:
        return "—"
    return f"{B.median(rs):.2f} ({min(rs):.2f}–{max(rs):.2f})"


# ---------------------------------------------------------------- create


CREATE_CMD = {
    "oly": '"$OB_OLY" start --detach sleep 100000',
    "dtach": 'dtach -n "$OB_D/s$i" sleep 100000',
    "tmux": 'tmux -S "$OB_T" -f /dev/null new-session -d -s s$i sleep 100000',
}


def create_round(run, tools, n, rnd, res):
    """One bash runs n iterations; each iteration creates one session with every tool, in an order
    that rotates from iteration to iteration, and times each command with $EPOCHREALTIME. A tool's
    figure is the sum of its n times (what its own loop of n would take, minus bash's loop overhead),
    so a load spike weighs on all tools alike."""
    d = B.OlyDaemon(run, f"c{rnd}", max_sessions=max(256, n + 16))  # fresh state dir each round
    d.start()
    sd = run.sub("cd")
    sock = os.path.join(run.dir, "ct.sock")
    case = "\n".join(f'{t}) {CREATE_CMD[t]} ;;' for t in tools)
    script = (
        f'tools=({" ".join(tools)})\n'
        f'for ((i=0; i<{n}; i++)); do\n'
        f'  for ((k=0; k<{len(tools)}; k++)); do\n'
        f'    t=${{tools[(i + k + {rnd}) % {len(tools)}]}}\n'
        '    s=$EPOCHREALTIME\n'
        f'    case $t in\n{case}\n    esac >/dev/null 2>>"$OB_ERR" || echo "fail $t $i" >>"$OB_ERR"\n'
        '    e=$EPOCHREALTIME\n'
        '    echo "$t $s $e"\n'
        '  done\n'
        'done\n')
    env = dict(d.env, OB_OLY=B.OLY, OB_D=sd, OB_T=sock, OB_ERR=os.path.join(run.dir, "loop.err"))
    r = subprocess.run(["/bin/bash", "-c", script], env=env, stdout=subprocess.PIPE, text=True, timeout=400)
    tot = {t: 0.0 for t in tools}
    for line in r.stdout.splitlines():
        t, a, b = line.split()
        tot[t] += float(b) - float(a)
    d.check_alive("the create loop")
    seen = {}
    if "oly" in tools:
        q = d.oly("ls", "--status", "running", "--limit", str(2 * n), "--json", check=False)
        try:
            seen["oly"] = len(json.loads(q.stdout))
        except ValueError:
            seen["oly"] = -1
    d.stop()
    if "dtach" in tools:
        seen["dtach"] = len(B.dtach_masters(run, sd))
        B.dtach_kill(run, sd, B.Reaper())
    if "tmux" in tools:
        q = run.run(B.tmux_cmd(run, sock) + ["ls"], check=False)
        seen["tmux"] = len(q.stdout.splitlines())
        B.tmux_kill(run, sock, B.Reaper())
    err = run.loop_errors()
    if err:
        B.log(f"bench_cli: create round {rnd + 1}: errors: {err.strip()[:300]}")
    for t in tools:
        res[t]["wall"].append(tot[t])
        res[t]["seen"].append(seen.get(t, -1))
    B.log(f"  create round {rnd + 1}: " + ", ".join(f"{t} {B.ms(tot[t])} ({seen.get(t)} seen)" for t in tools))


# ---------------------------------------------------------------- send


def send_round(pairs, n, rnd, warmup, res):
    """n sends per tool, interleaved (send i goes to every tool in turn, the order rotating); tokens
    unique over the run: tool k, round r, send i -> k*100000 + r*1000 + i."""
    tools = list(pairs)
    times = {t: [] for t in tools}
    for i in range(warmup + n):
        for t in rotate(tools, rnd + i):
            k = tools.index(t)
            x, ok = S.one_send(*pairs[t], k * 100000 + rnd * 1000 + i)
            res[t]["failed"] += not ok
            if x is None:
                res[t]["missed"] += 1
            elif i >= warmup:
                times[t].append(x)
    for t in tools:
        res[t]["p50"].append(P.percentile(times[t], 50))
        res[t]["p99"].append(P.percentile(times[t], 99))
        res[t]["all"] += times[t]
        B.log(f"  send round {rnd + 1} {t:6s} p50 {fmt(res[t]['p50'][-1])} p99 {fmt(res[t]['p99'][-1])}")


# ---------------------------------------------------------------- startup


def startup_round(cmds, env, runs, rnd):
    """runs x each command, one after the other in turn (the order rotating): posix_spawn with
    stdout/stderr to /dev/null, until reaped. Returns each command's median (s)."""
    ts = [[] for _ in cmds]
    for i in range(runs + 3):
        for k in rotate(list(range(len(cmds))), rnd + i):
            t = time.perf_counter()
            S.waitpid(S.spawn(cmds[k], env))
            if i >= 3:  # 3 warm-up runs each
                ts[k].append(time.perf_counter() - t)
    return [B.median(x) for x in ts]


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=100, help="sessions per create loop")
    ap.add_argument("--sends", type=int, default=100, help="sends per tool per round")
    ap.add_argument("--startup-runs", type=int, default=100, help="hyperfine runs per command per round")
    ap.add_argument("--calls", type=int, default=500, help="SendInput calls per round (daemon side)")
    ap.add_argument("--parts", default="create,send,startup,daemon")
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args()
    parts = a.parts.split(",")
    R, n = a.rounds, a.sessions

    run = B.Run("cli")
    B.log(f"bench_cli: {R} rounds of {', '.join(parts)}; build {B.BUILD}; {B.machine()}")
    out = {"machine": B.machine(), "versions": B.versions(), "build": B.BUILD, "rounds": R}

    ctools = ["oly"] + [t for t in ("dtach", "tmux") if B.have(t)]
    create = {t: {"wall": [], "seen": []} for t in ctools}

    daemon = B.OlyDaemon(run, "s")  # the send / startup daemon, kept for the whole run
    daemon.start()
    pairs = {}
    send = {}
    sid_swallow = None
    if "send" in parts:
        for t in ["oly"] + (["dtach"] if B.have("dtach") else []):
            try:
                es = P.EchoSession(B, run, t, daemon, tag="s" + t)
                pairs[t] = (es, S.Sender(run, t, es, daemon))
            except Exception as e:
                B.log(f"bench_cli: send: {t} FAILED to set up: {e}")
        send = {t: {"p50": [], "p99": [], "all": [], "missed": 0, "failed": 0} for t in pairs}
    if "startup" in parts:
        sid_swallow = daemon.oly("start", "--detach", "sh", "-c", SWALLOW_CMD).stdout.strip().splitlines()[-1]
    su_names = ["/bin/true", "oly --help", "oly ls --limit 1", "oly send ID x"]
    su_cmds = [["/bin/true"], [B.OLY, "--help"], [B.OLY, "ls", "--limit", "1"], [B.OLY, "send", sid_swallow or "", "x"]]
    if B.have("dtach"):
        su_names.insert(1, "dtach --help")
        su_cmds.insert(1, [shutil.which("dtach"), "--help"])
    startup = {k: [] for k in su_names}
    spawn_floor = []

    create_exe = send_exe = None
    dside = {"create_p50": [], "create_p99": [], "create_min": [], "send_p50": [], "send_p99": [],
             "ping_p50": [], "ping_p99": []}
    if "daemon" in parts:
        create_exe = B.build_c_client(run, "create-client")
        send_exe = B.build_c_client(run, "send-client")

    try:
        for rnd in range(R):
            # The parts themselves rotate too, so none always runs right after the heavy create loops.
            for part in rotate([p for p in ("create", "send", "startup", "daemon") if p in parts], rnd):
                if part == "create":
                    create_round(run, ctools, n, rnd, create)
                elif part == "send" and pairs:
                    send_round(pairs, a.sends, rnd, 10 if rnd == 0 else 3, send)
                    spawn_floor.append(B.median(S.spawn_floor(run, 50)))
                elif part == "startup":
                    ts = startup_round(su_cmds, daemon.env, a.startup_runs, rnd)
                    for k, v in zip(su_names, ts):
                        startup[k].append(v)
                    B.log(f"  startup round {rnd + 1}: " + ", ".join(f"{k} {fmt(v[-1])}" for k, v in startup.items()))
                elif part == "daemon":
                    for what in rotate(["create", "send"], rnd):
                        if what == "create" and create_exe:
                            d = B.OlyDaemon(run, f"d{rnd}", max_sessions=max(256, n + 16))
                            d.start()
                            r = run.run([create_exe, str(n)], env=d.env, check=False)
                            d.check_alive("create-client")
                            d.stop()
                            if r.returncode == 0:
                                f = [float(x) for x in r.stdout.split()]
                                dside["create_p50"].append(f[1])
                                dside["create_min"].append(f[2])
                                dside["create_p99"].append(f[3])
                                B.log(f"  daemon round {rnd + 1}: CreateSession p50 {fmt(f[1])} p99 {fmt(f[3])}")
                            else:
                                B.log(f"bench_cli: create-client failed: {r.stderr.strip()[:300]}")
                        elif what == "send" and send_exe:
                            sid = daemon.oly("start", "--detach", "sh", "-c", SWALLOW_CMD).stdout.strip().splitlines()[-1]
                            time.sleep(0.2)
                            r = run.run([send_exe, sid, str(a.calls)], env=daemon.env, check=False)
                            daemon.oly("stop", "--grace", "0", sid, check=False)
                            if r.returncode == 0:
                                f = [float(x) for x in r.stdout.split()]
                                for k, v in zip(("ping_p50", "ping_p99", "send_p50", "send_p99"), f):
                                    dside[k].append(v)
                                B.log(f"  daemon round {rnd + 1}: SendInput p50 {fmt(f[2])} p99 {fmt(f[3])}, "
                                      f"Ping p50 {fmt(f[0])}")
                            else:
                                B.log(f"bench_cli: send-client failed: {r.stderr.strip()[:300]}")
                            daemon.check_alive("send-client")
            # Whatever the create loops left (run.sweep() would also take the send daemon).
            keep = set([daemon.pid] + B.descendants(daemon.pid)) if daemon.pid else set()
            for es, _ in pairs.values():
                if es.client:
                    keep |= {es.client.pid, *B.descendants(es.client.pid)}
                if es.tool == "dtach":
                    m = B.dtach_masters(run, es.sockdir)
                    keep |= set(m + B.descendants_many(m))
            left = [p for p in B.pids_with_marker(run.dir) if p not in keep and p != os.getpid()]
            if left:
                B.log(f"bench_cli: {len(left)} process(es) left after round {rnd + 1}, killing them by pid")
                rp = B.Reaper()
                rp.add(left)
                rp.kill_all()
    finally:
        for es, sender in pairs.values():
            sender.close()
            es.close()
    daemon.check_alive("the run")

    M = B.median
    print(f"\n== oly CLI vs peers, {R} rounds alternating (medians over rounds) ==")
    print(f"machine: {B.machine()}")
    print(f"build: {B.BUILD}")
    if "create" in parts:
        print(f"\n### Create {n} detached sessions (`sleep 100000`), one process each, sequential\n")
        print("Each iteration of one bash loop creates a session with every tool in turn (the order rotating);"
              " a tool's figure is the sum of its own commands' times.\n")
        print("| tool | median | per session | min | max | vs dtach: per-round ratio, median (range) | sessions seen |")
        print("|------|-------:|------------:|----:|----:|---------:|---------------|")
        dw = create["dtach"]["wall"] if "dtach" in create else []
        for t, c in create.items():
            m = M(c["wall"])
            print(f"| {t} | {fmt(m)} | {fmt(m / n)} | {fmt(min(c['wall']))} | {fmt(max(c['wall']))} | "
                  f"{pratio(c['wall'], dw)} | {c['seen']} |")
        out["create"] = create
    if send:
        print(f"\n### Send a token until an attached client shows it ({a.sends} per tool per round, interleaved)\n")
        print("| sender | p50 (median of rounds) | p99 (median of rounds) | p50 / p99 pooled | vs dtach, p50: per-round ratio (range) | vs dtach, p99 | not seen | sender failed |")
        print("|--------|----:|----:|----:|----:|----:|----:|----:|")
        dp = send["dtach"] if "dtach" in send else {"p50": [], "p99": []}
        for t, s in send.items():
            print(f"| {'`oly send ID TOKEN`' if t == 'oly' else '`dtach -p SOCK` < TOKEN'} | {fmt(M(s['p50']))} | "
                  f"{fmt(M(s['p99']))} | {fmt(P.percentile(s['all'], 50))} / {fmt(P.percentile(s['all'], 99))} | "
                  f"{pratio(s['p50'], dp['p50'])} | {pratio(s['p99'], dp['p99'])} | {s['missed']} | {s['failed']} |")
        print(f"| spawn floor (`/bin/true` until reaped) | {fmt(M(spawn_floor))} | | | | | | |")
        out["send"] = {t: {k: v for k, v in s.items() if k != "all"} for t, s in send.items()}
        out["send_spawn_floor"] = spawn_floor
    if "startup" in parts:
        print(f"\n### Process start-up ({a.startup_runs} runs per command per round, the commands in turn; "
              "posix_spawn until reaped, output to /dev/null)\n")
        print("| command | median | vs /bin/true (per-round ratio, range) | vs dtach --help |")
        print("|---------|-------:|-------------:|----------------:|")
        tr = startup["/bin/true"]
        dh = startup.get("dtach --help", [])
        for k, v in startup.items():
            print(f"| `{k}` | {fmt(M(v))} | {pratio(v, tr)} | {pratio(v, dh)} |")
        out["startup"] = startup
    if "daemon" in parts:
        print(f"\n### The daemon alone, one open sd-bus connection from C (p50/p99 per call, median of rounds)\n")
        print("| call | p50 | p99 | vs Peer.Ping (p50) |")
        print("|------|----:|----:|----:|")
        pp = M(dside["ping_p50"])  # same connection, alternating with SendInput
        if dside["create_p50"]:
            print(f"| CreateSession (`sleep 100000`, {n} per round, fresh daemon; min {fmt(min(dside['create_min']))}) | "
                  f"{fmt(M(dside['create_p50']))} | {fmt(M(dside['create_p99']))} | {ratio(M(dside['create_p50']), pp)} |")
        if dside["send_p50"]:
            print(f"| SendInput, 1 byte ({a.calls} per round) | {fmt(M(dside['send_p50']))} | "
                  f"{fmt(M(dside['send_p99']))} | {ratio(M(dside['send_p50']), pp)} |")
            print(f"| Peer.Ping (the round-trip floor) | {fmt(pp)} | {fmt(M(dside['ping_p99']))} | 1.00 |")
        out["daemon"] = dside
    if daemon.last_death:
        print(f"\n{daemon.last_death}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    run.close()


if __name__ == "__main__":
    main()
