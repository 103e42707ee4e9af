#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly-http benchmarks 1 and 2: request rate with wrk.

    health       GET /api/health, keep-alive, wrk -t1 -c16 and -c64 (no auth, no D-Bus)
    health-close GET /api/health with `Connection: close` (a TCP connection per request), -c16
    sessions     GET /api/sessions?limit=50 with a Bearer token, 100 sessions existing
                 (`oly start --detach sleep 100000` x100), -c16 and -c64

wrk runs with one thread; the cases alternate over the rounds (median). For each: requests/s,
latency p50/p90/p99 (wrk --latency), errors and non-2xx answers, oly-http's CPU time over the run
(utime + stime from /proc/<pid>/stat: 100% = one core, oly-http is single-threaded), the daemon's
CPU time, and wrk's own.

Usage: /usr/bin/python3 bench/bench_http_wrk.py [--seconds 10] [--rounds 3] [--sessions 100] [--json FILE]
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
import bench_http_lib as H  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sessions", type=int, default=100)
    ap.add_argument("--json")
    a = ap.parse_args()
    if not B.have("wrk"):
        print("bench_http_wrk: wrk is missing (apt-get install -y wrk)", file=sys.stderr)
        return 1

    H.raise_nofile()
    run = H.HttpRun("hwrk")
    daemon = H.HttpDaemon(run, "o", max_sessions=max(200, a.sessions + 10))
    daemon.start()
    tok = daemon.token()
    auth = f"Authorization: Bearer {tok}"
    B.log(f"bench_http_wrk: {a.rounds} rounds x {a.seconds} s; {H.context_line(daemon)}")

    health = daemon.base + "/api/health"
    sessions = daemon.base + "/api/sessions?limit=50"
    cases = [
        ("health", "GET /api/health, keep-alive", health, 16, ()),
        ("health-c64", "GET /api/health, keep-alive", health, 64, ()),
        ("health-close", "GET /api/health, `Connection: close`", health, 16, ("Connection: close",)),
        ("sessions", f"GET /api/sessions?limit=50, Bearer, {a.sessions} sessions", sessions, 16, (auth,)),
        ("sessions-c64", f"GET /api/sessions?limit=50, Bearer, {a.sessions} sessions", sessions, 64, (auth,)),
    ]
    problems = []

    # Warm-up (and a check that each URL answers 200).
    for name, _, url, c, hdr in cases[:1]:
        H.wrk(run, url, c, 1, hdr)

    results = {c[0]: [] for c in cases}

    def measure(case_list, rnd):
        order = case_list[rnd % len(case_list):] + case_list[:rnd % len(case_list)]
        for name, _, url, c, hdr in order:
            hp, dp = daemon.http_pid, daemon.pid
            h0, d0 = H.cpu_s(hp), H.cpu_s(dp)
            r = H.wrk(run, url, c, a.seconds, hdr)
            h1, d1 = H.cpu_s(hp), H.cpu_s(dp)
            r["http_cpu"] = (h1 - h0) if None not in (h0, h1) else float("nan")
            r["daemon_cpu"] = (d1 - d0) if None not in (d0, d1) else float("nan")
            r["http_rss"] = H.status_kib(hp, "VmRSS")
            r["cpu_per_req"] = r["http_cpu"] / r["requests"] if r["requests"] else float("nan")
            msg = daemon.http_check(f"wrk {name}")
            if msg:
                r["error"] = msg
                problems.append(msg)
            if not daemon.check_alive(f"wrk {name}"):
                r["error"] = daemon.last_death
                problems.append(daemon.last_death)
                daemon.find_http()
            del r["raw"]
            results[name].append(r)
            B.log(f"  round {rnd} {name:13s} {r['rps']:9.0f} req/s  p50 {H.us(r['p50'])}  p99 {H.us(r['p99'])}"
                  f"  oly-http cpu {r['http_cpu']:.2f} s  daemon cpu {r['daemon_cpu']:.2f} s"
                  f"  wrk cpu {r['wrk_cpu']:.2f} s  errors {r['errors']} non2xx {r['non2xx']}"
                  + (f"  ERROR {r['error']}" if "error" in r else ""))

    health_cases = [c for c in cases if c[0].startswith("health")]
    for rnd in range(a.rounds):
        measure(health_cases, rnd)

    # 100 idle sessions, then the listing.
    for i in range(a.sessions):
        daemon.start_session(*B.SLEEP_ARGS)
    listed = daemon.get_json("/api/sessions?limit=50")
    n_listed = len(listed.get("sessions", []))
    B.log(f"  {a.sessions} sessions created; GET /api/sessions?limit=50 returns {n_listed}, "
          f"{len(json.dumps(listed))} bytes of JSON")
    H.wrk(run, sessions, 16, 1, (auth,))
    sess_cases = [c for c in cases if c[0].startswith("sessions")]
    for rnd in range(a.rounds):
        measure(sess_cases, rnd)

    def med(name, key):
        return B.median([r[key] for r in results[name] if r.get(key) == r.get(key)])

    print(f"\n## oly-http request rate (wrk -t1, {a.seconds} s per run, median of {a.rounds}; goal ≥ 100k req/s on /api/health)\n")
    print(f"{H.context_line(daemon)}\n")
    print("| request | conns | req/s | p50 | p90 | p99 | oly-http CPU (of the run) | oly-http CPU per request | daemon CPU | wrk CPU | errors / non-2xx |")
    print("|---------|------:|------:|----:|----:|----:|-----:|-----:|-----:|-----:|-----:|")
    for name, label, _, c, _ in cases:
        errs = sum(r["errors"] for r in results[name])
        n2 = sum(r["non2xx"] for r in results[name])
        hc = med(name, "http_cpu")
        print(f"| {label} | {c} | {med(name, 'rps'):,.0f} | {H.us(med(name, 'p50'))} | {H.us(med(name, 'p90'))} | "
              f"{H.us(med(name, 'p99'))} | {hc:.2f} s ({hc / a.seconds:.0%}) | {H.us(med(name, 'cpu_per_req'))} | "
              f"{med(name, 'daemon_cpu'):.2f} s | "
              f"{med(name, 'wrk_cpu'):.2f} s | {errs} / {n2} |")
    print(f"\n{n_listed} sessions per /api/sessions answer ({len(json.dumps(listed)):,} bytes of JSON). "
          f"oly-http RSS at the end: {H.status_kib(daemon.http_pid, 'VmRSS')} KiB "
          f"(peak {H.status_kib(daemon.http_pid, 'VmHWM')} KiB). Load average after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}.")
    for p in problems:
        print(f"\n**{p}**")

    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": B.machine(), "rev": H.git_rev(), "seconds": a.seconds, "results": results,
                       "problems": problems}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
