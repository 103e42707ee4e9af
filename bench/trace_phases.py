#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Splits `perf trace -p DAEMON` output over a burst of CreateSession calls into the phases of one
create, by the system calls that open each phase (bench/profile-cli.sh), and prints the median wall
time of each phase (from its first system call to the next phase's first) and its median number of
system calls. perf trace itself adds some µs per system call (printed: the median traced duration of
getuid, which does next to nothing).

Usage: perf trace -p PID -o FILE; bench/trace_phases.py FILE
"""
import re
import statistics
import sys

# (phase, test on (syscall, args, result) that opens it), in the order a create makes them.
PHASES = [
    ("D-Bus: read the call, check the directory", lambda s, a, r: s == "recvmsg" and r.strip().isdigit() and int(r) > 200),
    ("SQLite: id check (SELECT) + INSERT", lambda s, a, r: s == "getrandom" and "len: 8" in a),
    ("SessionCreated signal", lambda s, a, r: s == "sendmsg" and "NOSIGNAL" in a),
    ("sd_notify STATUS (socket, 8 MiB SO_SNDBUF, sendmsg, close)", lambda s, a, r: s == "socket" and "DGRAM" in a),
    ("PTY: open /dev/ptmx, unlock, size", lambda s, a, r: s == "openat" and "NOCTTY" in a),
    ("cwd check + PATH search (stat per PATH entry, access)", lambda s, a, r: s == "newfstatat"),
    ("posix_spawn: prlimit, stack, clone3 (vfork wait), munmap", lambda s, a, r: s == "prlimit64"),
    ("SQLite: UPDATE (pid, running)", lambda s, a, r: s == "fcntl"),
    ("watch the child (pidfd_open, epoll_ctl)", lambda s, a, r: s == "pidfd_open"),
    ("mkdir sessions/ID + create output.log + watch the PTY", lambda s, a, r: s == "mkdir"),
    ("daemon.log line", lambda s, a, r: s == "getpid"),
    ("reply", lambda s, a, r: s == "sendmsg"),
]
line_re = re.compile(r"^\s*([\d.]+) \(\s*([\d.]+) ms\): (?:\S+/\d+ )?(\w+)\((.*)\)\s+= (.*)$")


def main():
    calls = []
    for line in open(sys.argv[1], errors="replace"):
        m = line_re.match(line)
        if m:
            calls.append((float(m.group(1)), float(m.group(2)), m.group(3), m.group(4), m.group(5)))
    creates, cur, k = [], None, 0
    for t, d, s, a, r in calls:
        if PHASES[0][1](s, a, r):
            cur, k = [[0, t, 0]], 1
            creates.append(cur)
            cur[0][2] += 1
            continue
        if cur is None:
            continue
        # the next phase opens when its syscall comes (phases may be skipped only at the end)
        if k < len(PHASES) and PHASES[k][1](s, a, r):
            cur.append([k, t, 0])
            k += 1
        cur[-1][2] += 1
        if k == len(PHASES):  # the reply went out
            cur.append([k, t + d, 0])
            cur = None
    full = [c for c in creates if len(c) == len(PHASES) + 1]
    tot = []
    g = [d for t, d, s, a, r in calls if s in ("getuid", "geteuid", "getgid", "getegid", "getpid")]
    # perf trace's own cost per system call: a traced getuid minus an untraced one (~1 µs on the VM)
    over = max(0.0, statistics.median(g) - 0.001) if g else 0.0
    print(f"{'phase':60s} {'median ms':>9s} {'syscalls':>8s} {'≈ untraced':>10s} {'1st / 4th quarter':>17s}")
    q = max(1, len(full) // 4)
    for i, (name, _) in enumerate(PHASES):
        ds = [c[i + 1][1] - c[i][1] for c in full]
        ns = [c[i][2] for c in full]
        print(f"{name:60s} {statistics.median(ds):9.3f} {statistics.median(ns):8.0f} "
              f"{max(0.0, statistics.median(ds) - over * statistics.median(ns)):10.3f} "
              f"{statistics.median(ds[:q]):8.3f} / {statistics.median(ds[-q:]):.3f}")
    tot = [c[-1][1] - c[0][1] for c in full]
    nt = statistics.median(sum(x[2] for x in c) for c in full)
    print(f"{'the whole call, first read to reply (median)':60s} {statistics.median(tot):9.3f} {nt:8.0f} "
          f"{statistics.median(tot) - over * nt:10.3f} {statistics.median(tot[:q]):8.3f} / {statistics.median(tot[-q:]):.3f}")
    print(f"({len(full)} creates; a traced getuid/getpid takes {statistics.median(g) * 1e3:.0f} µs against ~1 µs "
          f"untraced: '≈ untraced' takes {over * 1e3:.0f} µs per system call off)")


if __name__ == "__main__":
    main()
