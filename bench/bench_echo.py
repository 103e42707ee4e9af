#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Data-plane benchmark 2: keystroke echo latency through an attached client.

A session runs `sh -c 'stty raw -echo; exec cat'` (every byte typed comes straight back, unchanged);
a client attached to it runs on an 80x24 PTY (see ptybench.EchoSession). This script types one byte
at a time on that PTY and times, with perf_counter, from the write to the read that returns it.
The same with the echo program directly on the PTY (the floor: one PTY and cat) and through dtach,
tmux and screen. Added latency = tool − direct.

All the tools' sessions are up at once and the keys are interleaved: key i goes to each tool in
turn (the order rotating), one at a time, so that the load of a shared machine weighs on all of them
alike. Per round (fresh sessions), a warm-up, then N / rounds timed keys per tool. Every 64 keys it
types "\\r\\n" (not timed) so that the echoes do not pile up on one line.

Usage: /usr/bin/python3 bench/bench_echo.py [--samples 1000] [--warmup 200] [--rounds 3] [--json FILE]
"""
import argparse
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # nothing but our own files under bench/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
import ptybench as P  # noqa: E402

# Lower-case letters that are not the final byte of escape sequences tmux and screen send.
KEYS = b"uvwxyz"


def one_key(c, i):
    """Types key number i on client c and returns the time until it came back (s)."""
    if i % 64 == 63:
        c.write(b"\r\n")
        c.read_until(b"\n", 2.0)
        c.drain_quiet(0.005, 0.5)
    k = KEYS[i % len(KEYS):i % len(KEYS) + 1]
    c.clear_kept()
    t0 = time.perf_counter()
    c.write(k)
    t1 = c.read_until(k, 2.0)
    if t1 is None:
        raise RuntimeError(f"no echo of {k!r} within 2 s (key {i})")
    return t1 - t0


def measure(es, n, warmup):
    """n samples on one echo session, after warmup untimed ones."""
    return [t for i in range(warmup + n) for t in [one_key(es.client, i)] if i >= warmup]


def measure_interleaved(sessions, n, warmup):
    """Key i goes to every session in turn (the order rotating with i), so that the machine's load
    at any moment weighs on every tool alike. Returns {tool: [samples]}; a tool whose echo stops
    is dropped (its error under the key 'errors')."""
    out = {t: [] for t in sessions}
    errors = {}
    live = list(sessions)
    for i in range(warmup + n):
        order = live[i % len(live):] + live[:i % len(live)] if live else []
        for t in order:
            try:
                x = one_key(sessions[t].client, i)
            except RuntimeError as e:
                errors[t] = str(e)
                live.remove(t)
                continue
            if i >= warmup:
                out[t].append(x)
    return out, errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3, help="each tool's samples are split over this many sessions")
    ap.add_argument("--tools", default=",".join(P.TOOLS_ATTACH))
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args()

    run = B.Run("echo")
    tools = [t for t in a.tools.split(",") if t in ("direct", "oly") or B.have(t)]
    daemon = B.OlyDaemon(run, "o")
    daemon.start()
    B.log(f"bench_echo: {a.samples} samples x {len(tools)} tools in {a.rounds} rounds: {', '.join(tools)}; "
          f"{B.machine()}")
    per_round = max(1, -(-a.samples // a.rounds))
    samples = {t: [] for t in tools}
    errors = {t: [] for t in tools}
    for rnd in range(a.rounds):
        sessions = {}
        try:
            for t in tools:
                try:
                    sessions[t] = P.EchoSession(B, run, t, daemon, tag=f"{t}{rnd}")
                except Exception as e:  # report and go on with the others
                    errors[t].append(str(e))
                    B.log(f"    round {rnd} {t}: FAILED to set up: {e}")
            got, errs = measure_interleaved(sessions, per_round, a.warmup)
            for t, xs in got.items():
                samples[t] += xs
                if t in errs:
                    errors[t].append(errs[t])
                if xs:
                    B.log(f"    round {rnd} {t:6s} p50 {P.percentile(xs, 50) * 1e6:7.1f} us  "
                          f"p99 {P.percentile(xs, 99) * 1e6:7.1f} us  max {max(xs) * 1e6:8.1f} us"
                          + (f"  FAILED: {errs[t]}" if t in errs else ""))
        finally:
            for es in sessions.values():
                es.close()
        if "oly" in tools and not daemon.check_alive("the echo benchmark"):
            errors["oly"].append(daemon.last_death)

    base = samples.get("direct") or []
    b50, b99 = P.percentile(base, 50), P.percentile(base, 99)
    print(f"\n## Keystroke echo latency at 80x24 (one byte at a time; {a.samples} samples per tool after "
          f"{a.warmup} warm-up, in {a.rounds} sessions; µs)\n")
    print("| path | p50 | p90 | p99 | max | mean | added p50 | added p99 |")
    print("|------|----:|----:|----:|----:|-----:|----------:|----------:|")
    out = {"machine": B.machine(), "versions": B.versions(), "tools": {}}
    for t in tools:
        xs = samples[t]
        if not xs:
            print(f"| {t} | failed: {(errors[t] or ['?'])[0][:100]} | | | | | | |")
            continue
        p50, p90, p99 = (P.percentile(xs, q) for q in (50, 90, 99))
        mean = sum(xs) / len(xs)
        add = (f"{(p50 - b50) * 1e6:+.1f} | {(p99 - b99) * 1e6:+.1f}" if base and t != "direct" else "— | —")
        print(f"| {t} | {p50 * 1e6:.1f} | {p90 * 1e6:.1f} | {p99 * 1e6:.1f} | {max(xs) * 1e6:.0f} | "
              f"{mean * 1e6:.1f} | {add} |" + (f" ({len(errors[t])} round(s) failed)" if errors[t] else ""))
        out["tools"][t] = {"p50": p50, "p90": p90, "p99": p99, "max": max(xs), "mean": mean, "n": len(xs),
                           "errors": errors[t]}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
