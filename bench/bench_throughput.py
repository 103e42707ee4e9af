#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Data-plane benchmark 1: output throughput through an attached client on an 80x24 terminal.

The client runs on a fresh 80x24 PTY that this script reads as fast as it can (os.readv into 1 MiB,
no parsing), like a fast terminal emulator. For each command:

    direct   sh -c CMD                                             (the command itself on the PTY)
    oly      oly start sh -c CMD                                   (attached from the first byte)
    dtach    dtach -c SOCK -E sh -c CMD
    tmux     tmux -S SOCK -f /dev/null new-session -x 80 -y 24 CMD (a fresh server each time)
    screen   screen -S NAME sh -c CMD                              (SCREENRC=/dev/null, own SCREENDIR)

Wall time runs from spawning the client to the later of its exit and the last byte read. Also
counted: the bytes the client's terminal received, against what the command writes on a terminal
(its bytes plus one \\r per \\n, measured once with `sh -c CMD 2>&1 | wc -lc`): tmux and screen
redraw a screen rather than pass the stream through, so they deliver fewer. For oly the session's
output.log must hold exactly the command's bytes. The tools' order rotates between rounds.

Usage: /usr/bin/python3 bench/bench_throughput.py [--rounds 3] [--cmd base64|yes]... [--json FILE]
"""
import argparse
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # nothing but our own files under bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
import ptybench as P  # noqa: E402

COMMANDS = {
    "base64": "head -c 100M /dev/zero | base64",
    "yes": "yes | head -n 5000000",
}
RUN_TIMEOUT = 300


def expected_bytes(run, cmd):
    """What CMD writes on a terminal: its bytes plus a \\r for every \\n (onlcr)."""
    r = run.run(["/bin/sh", "-c", f"( {cmd} ) 2>&1 | wc -lc"], timeout=300)
    lines, nbytes = (int(x) for x in r.stdout.split())
    return nbytes, lines


def proc_cpu(pid):
    """utime + stime of a live process, in seconds."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            s = f.read()
        rest = s[s.rindex(b")") + 2:].split()
        return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return None


def one(run, tool, cmd, daemon, rnd):
    """One client run; returns a dict of figures (or an 'error')."""
    sockdir = run.sub("dtach")
    tmux_sock = os.path.join(run.dir, "tmux.sock")
    if tool == "direct":
        argv, env = ["sh", "-c", cmd], run.env
    elif tool == "oly":
        argv, env = [B.OLY, "start", "sh", "-c", cmd], daemon.env
    elif tool == "dtach":
        argv, env = ["dtach", "-c", os.path.join(sockdir, f"t{rnd}"), "-E", "sh", "-c", cmd], run.env
    elif tool == "tmux":
        argv = B.tmux_cmd(run, tmux_sock) + ["new-session", "-x", "80", "-y", "24", cmd]
        env = run.env
    elif tool == "screen":
        argv, env = ["screen", "-S", f"thr{rnd}", "sh", "-c", cmd], dict(run.env, SCREENRC="/dev/null")
    else:
        raise ValueError(tool)

    dcpu0 = proc_cpu(daemon.pid) if tool == "oly" else None
    c = P.PtyClient(argv, env, rows=24, cols=80, reaper=run.reaper)
    try:
        ok, t_end = c.drain_to_end(RUN_TIMEOUT)
        res = {"wall": t_end - c.t_spawn, "bytes": c.total, "exit": c.returncode, "client_cpu": c.cpu}
        if not ok:
            res["error"] = f"timed out after {RUN_TIMEOUT} s ({c.total} bytes read)"
        if tool == "oly":
            dcpu1 = proc_cpu(daemon.pid)
            if dcpu0 is not None and dcpu1 is not None:
                res["daemon_cpu"] = dcpu1 - dcpu0
            m = re.search(rb"oly: session (\S+) exited", bytes(c.tail))
            if m:
                res["id"] = m.group(1).decode()
                p = os.path.join(daemon.state, "sessions", res["id"], "output.log")
                try:
                    res["log_bytes"] = os.path.getsize(p)
                    os.unlink(p)  # 140 MB a time: keep the disk free
                except OSError:
                    res["log_bytes"] = None
            else:
                res.setdefault("error", "no exit line from oly: " + repr(bytes(c.tail[-300:])))
        return res
    finally:
        c.close()
        if tool == "tmux":
            B.tmux_kill(run, tmux_sock, B.Reaper())
        elif tool == "dtach":
            B.dtach_kill(run, sockdir, B.Reaper())
        elif tool == "screen":
            B.screen_kill(run, B.Reaper())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cmd", action="append", choices=sorted(COMMANDS), help="default: all")
    ap.add_argument("--tools", default="direct,oly,dtach,tmux,screen")
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args()
    cmds = a.cmd or list(COMMANDS)

    run = B.Run("thru")
    tools = [t for t in a.tools.split(",") if t in ("direct", "oly") or B.have(t)]
    daemon = B.OlyDaemon(run, "o")
    daemon.start()
    B.log(f"bench_throughput: {', '.join(cmds)} x {a.rounds} rounds: {', '.join(tools)}; {B.machine()}")

    out = {"machine": B.machine(), "versions": B.versions(), "commands": {}}
    for name in cmds:
        cmd = COMMANDS[name]
        nbytes, lines = expected_bytes(run, cmd)
        want = nbytes + lines
        B.log(f"  {cmd}: {nbytes} bytes, {lines} lines -> {want} bytes on a terminal")
        res = {t: [] for t in tools}
        for rnd in range(a.rounds):
            order = tools[rnd % len(tools):] + tools[:rnd % len(tools)]
            for t in order:
                r = one(run, t, cmd, daemon, rnd)
                if t == "oly" and not daemon.check_alive(f"throughput '{cmd}'"):
                    r["error"] = daemon.last_death
                res[t].append(r)
                extra = ""
                if t == "oly":
                    extra = (f" log={r.get('log_bytes')} ({'exact' if r.get('log_bytes') == want else 'DIFFERS'})"
                             f" daemon_cpu={r.get('daemon_cpu', float('nan')):.2f}s")
                B.log(f"    round {rnd} {t:6s} {r['wall']:7.3f} s  {r['bytes']:>11d} bytes "
                      f"({r['bytes'] / want:6.1%})  client_cpu={r['client_cpu'] or 0:.2f}s{extra}"
                      + (f"  ERROR {r['error']}" if "error" in r else ""))
        out["commands"][name] = {"cmd": cmd, "bytes": nbytes, "lines": lines, "on_terminal": want, "runs": res}

        print(f"\n## Throughput: `{cmd}` at 80x24 ({want:,} bytes on a terminal; median of {a.rounds})\n")
        print("| tool | wall time | MB/s | bytes the client's terminal got | of the output | client CPU |"
              + (" daemon CPU | output.log |" if "oly" in tools else ""))
        print("|------|----------:|-----:|------:|-----:|-----:|" + ("-----:|-----|" if "oly" in tools else ""))
        for t in tools:
            rs = [r for r in res[t] if "error" not in r]
            errs = [r["error"] for r in res[t] if "error" in r]
            if not rs:
                print(f"| {t} | failed: {errs[0][:80] if errs else '?'} | | | | |")
                continue
            wall = B.median([r["wall"] for r in rs])
            got = B.median([r["bytes"] for r in rs])
            cpu = B.median([r["client_cpu"] for r in rs if r["client_cpu"] is not None])
            line = (f"| {t} | {wall:.2f} s | {want / wall / 1e6:.0f} | {got:,.0f} | {got / want:.1%} | {cpu:.2f} s |")
            if "oly" in tools:
                if t == "oly":
                    logs = [r.get("log_bytes") for r in rs]
                    exact = sum(1 for x in logs if x == want)
                    dc = B.median([r["daemon_cpu"] for r in rs if r.get("daemon_cpu") is not None])
                    line += f" {dc:.2f} s | {exact}/{len(rs)} exact |"
                else:
                    line += " | |"
            if errs:
                line += f" ({len(errs)} failed: {errs[0][:60]})"
            print(line)
        sys.stdout.flush()

    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
