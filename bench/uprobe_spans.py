#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Turns `perf script -F tid,time,event` of uprobe entry/return pairs into durations (bench/profile-cli.sh).

A probe named NAME marks a function's entry, NAME_r__return its return (as `perf probe --add
'NAME=func' --add 'NAME_r=func%return'` names them). The tracepoints sched:sched_process_exec (or
syscalls:sys_enter_execve) and sched:sched_process_exit are read as the entry and return of a pseudo
function "process" (a program's life from its exec to its exit; filter them to the program's own). Prints, per function: calls, median and p90 duration, and the
median self time (not spent in probed functions directly under it). With --root FUNC: only spans
inside a FUNC call count, the median offset from FUNC's entry to each child's entry is printed, and
the median gap between one FUNC return and the next FUNC entry on the same thread.

Usage: perf script -i FILE -F tid,time,event | bench/uprobe_spans.py [--root FUNC] [--calibrate FUNC]
"""
import argparse
import re
import statistics
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--root")
ap.add_argument("--timeline", action="store_true", help="with --root: the median time between consecutive "
                "probe hits inside the root call (calls whose sequence of hits is the most common one)")
ap.add_argument("--global", dest="glob", action="store_true", help="with --timeline: uprobe hits of other "
                "threads (another process: the daemon) join the open root call's timeline too")
ap.add_argument("--calibrate", help="a probed function that does next to nothing: its median is printed as "
                "the probes' own cost per entry/return pair")
a = ap.parse_args()

line_re = re.compile(r"^\s*(\d+)\s+([\d.]+):\s+(\S+?):(\S+?):")
stacks, last_root_end = {}, {}
dur, direct, offs, order, gaps = {}, {}, {}, [], []
seqs, cur = [], {}  # per root call: [(event, t)...]
for line in sys.stdin:
    m = line_re.match(line)
    if not m:
        continue
    tid, t, grp, ev = int(m.group(1)), float(m.group(2)), m.group(3), m.group(4)
    if ev in ("sys_enter_execve", "sched_process_exec"):
        stacks[tid] = []  # a new program: forget what the old one had open
        ev = "process"
    elif ev == "sched_process_exit":
        ev = "process_r__return"
    st = stacks.setdefault(tid, [])
    if a.root and (ev == a.root or tid in cur):
        cur.setdefault(tid, []).append((ev, t))
        if ev == a.root + "_r__return":
            q = cur.pop(tid)
            if len(q) > 2:  # a root call with probe hits inside (not some other program's life)
                seqs.append(q)
    elif a.glob and grp.startswith("obprof") and len(cur) == 1:
        next(iter(cur.values())).append((ev, t))
    if ev.endswith("_r__return"):
        name = ev[: -len("_r__return")]
        while st and st[-1][0] != name:  # a lost probe: unwind to the matching entry
            st.pop()
        if not st:
            continue
        _, t0, kids, inroot = st.pop()
        if st:
            st[-1][2] += t - t0
        if a.root and not (inroot or name == a.root):
            continue
        dur.setdefault(name, []).append(t - t0)
        direct.setdefault(name, []).append(kids)
        if name not in order:
            order.append(name)
        if name == a.root:
            last_root_end[tid] = t
    else:
        root_entry = next((e[1] for e in st if e[0] == a.root), None)
        if root_entry is not None and ev != a.root:
            offs.setdefault(ev, []).append(t - root_entry)
        if ev == a.root and tid in last_root_end:
            gaps.append(t - last_root_end.pop(tid))
        st.append([ev, t, 0.0, root_entry is not None])

us = lambda x: f"{x * 1e6:9.0f}"
print(f"{'function':38s} {'calls':>6s} {'median µs':>9s} {'p90 µs':>9s} {'self µs':>9s}"
      + (f" {'starts at µs':>12s}" if a.root else ""))
for name in order:
    ds = sorted(dur[name])
    selfs = sorted(d - k for d, k in zip(dur[name], direct[name]))
    o = f" {us(statistics.median(offs[name]))}   " if name in offs else ""
    print(f"{name:38s} {len(ds):6d} {us(statistics.median(ds))} {us(ds[int(0.9 * (len(ds) - 1))])} "
          f"{us(statistics.median(selfs))}{o}")
if a.calibrate and a.calibrate in dur:
    print(f"(the probes' own cost per entry/return pair, from {a.calibrate}: "
          f"{statistics.median(dur[a.calibrate]) * 1e6:.1f} µs; not subtracted)")
if gaps:
    print(f"between one {a.root} return and the next entry (same thread): median "
          f"{statistics.median(gaps) * 1e6:.0f} µs")

if a.timeline and seqs:
    from collections import Counter
    sig = Counter(tuple(e for e, _ in q) for q in seqs).most_common(1)[0][0]
    same = [q for q in seqs if tuple(e for e, _ in q) == sig]
    print(f"\ntimeline of a {a.root} call ({len(same)} of {len(seqs)} calls had this sequence of probe hits; "
          "median µs from one hit to the next):")
    tot = 0.0
    for i in range(1, len(sig)):
        m = statistics.median(q[i][1] - q[i - 1][1] for q in same)
        tot += m
        print(f"  {m * 1e6:7.0f}  {sig[i - 1]} -> {sig[i]}")
    print(f"  {tot * 1e6:7.0f}  sum of the medians (the median call: "
          f"{statistics.median(q[-1][1] - q[0][1] for q in same) * 1e6:.0f} µs)")
