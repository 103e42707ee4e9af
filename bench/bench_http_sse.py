#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly-http benchmark 4: server-sent events fanned out to many clients.

N clients (default 500) open GET /api/events at once with a Bearer header: raw non-blocking
sockets in one Python process (selectors/epoll), each response de-chunked and split into SSE events.
Once every client has its `snapshot`, the benchmark creates a session through the CLI
(`oly start --detach sleep 100000`), S times one after the other (default 20), and for each
measures, per client, the time from spawning `oly start` until that client has read the
`session.created` event carrying the new id: p50 / p99 / max over all clients and sessions, and
the median over the sessions of the time until all N had it. The same with 1 client first, for
reference. Between sessions it waits until all N have it (timeout 10 s) and 50 ms more.

One Python process reads all N sockets, so the last client's figure includes reading the others'
copies before it: the script's own CPU time per event is printed so that share can be told apart.

Also: oly-http's RSS and open fds before and after the N connect, its and the daemon's CPU over
the sessions, connection failures, and the open-file limits (the script raises its own soft limit
to the hard one; the daemon and oly-http inherit it through `oly daemon start`).

Usage: /usr/bin/python3 bench/bench_http_sse.py [--clients 500] [--sessions 20] [--json FILE]
"""
import argparse
import json
import os
import re
import selectors
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
import bench_http_lib as H  # noqa: E402

ID_RE = re.compile(rb'"id":"([^"]+)"')


class SseClient:
    __slots__ = ("s", "head_done", "raw", "text", "events", "snapshot_at", "seen", "closed", "err",
                 "chunk_left", "bytes")

    def __init__(self, port, token):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.setblocking(False)
        self.head_done = False
        self.raw = bytearray()      # undecoded bytes (head, then chunked framing)
        self.text = bytearray()     # de-chunked SSE text not yet split into events
        self.chunk_left = 0         # bytes of the current chunk still to come (+2 for its CRLF)
        self.events = 0
        self.snapshot_at = None
        self.seen = {}              # session id -> perf_counter when its session.created was read
        self.closed = False
        self.err = None
        self.bytes = 0
        try:
            self.s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass

    def request(self, token):
        self.s.sendall((f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                        f"Authorization: Bearer {token}\r\n\r\n").encode())

    def on_readable(self, now):
        try:
            d = self.s.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self.err, self.closed = str(e), True
            return
        if not d:
            self.closed = True
            if not self.err:
                self.err = "closed by the server" + (f" ({bytes(self.raw[:120])!r})" if not self.head_done else "")
            return
        self.bytes += len(d)
        self.raw += d
        if not self.head_done:
            i = self.raw.find(b"\r\n\r\n")
            if i < 0:
                return
            head = bytes(self.raw[:i])
            del self.raw[:i + 4]
            if not head.startswith(b"HTTP/1.1 200"):
                self.err, self.closed = f"answer: {head[:200]!r}", True
                return
            if b"chunked" not in head.lower():
                self.chunk_left = -1  # not chunked: the body as it comes
            self.head_done = True
        self._dechunk()
        self._events(now)

    def _dechunk(self):
        r = self.raw
        if self.chunk_left < 0:
            self.text += r
            r.clear()
            return
        pos = 0
        while pos < len(r):
            if self.chunk_left == 0:
                j = r.find(b"\r\n", pos)
                if j < 0:
                    break
                size = int(bytes(r[pos:j]).split(b";")[0] or b"0", 16)
                pos = j + 2
                self.chunk_left = size + 2
                continue
            k = min(self.chunk_left, len(r) - pos)
            data_k = min(k, max(0, self.chunk_left - 2))
            self.text += r[pos:pos + data_k]
            self.chunk_left -= k
            pos += k
        del r[:pos]

    def _events(self, now):
        t = self.text
        start = 0
        while True:
            j = t.find(b"\n\n", start)
            if j < 0:
                break
            ev = bytes(t[start:j])
            start = j + 2
            self.events += 1
            if b"event: snapshot" in ev:
                if self.snapshot_at is None:
                    self.snapshot_at = now
            elif b"event: session.created" in ev:
                m = ID_RE.search(ev)
                if m:
                    self.seen.setdefault(m.group(1).decode(), now)
        del t[:start]


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def fanout(run, daemon, n, sessions, out):
    """Connects n clients, waits for their snapshots, creates `sessions` sessions; returns figures."""
    hp, dp = daemon.http_pid, daemon.pid
    tok = daemon.token()
    rss0, fds0 = H.status_kib(hp, "VmRSS"), H.fd_count(hp)
    sel = selectors.DefaultSelector()
    t_conn = time.perf_counter()
    clients = []
    conn_fail = 0
    for _ in range(n):
        try:
            c = SseClient(daemon.port, tok)
        except OSError as e:
            conn_fail += 1
            B.log(f"  connect failed: {e}")
            continue
        clients.append(c)
        sel.register(c.s, selectors.EVENT_WRITE, c)
    pending_req = set(clients)

    def pump(timeout):
        for key, ev in sel.select(timeout):
            c = key.data
            if ev & selectors.EVENT_WRITE and c in pending_req:
                pending_req.discard(c)
                try:
                    c.request(tok)
                    sel.modify(c.s, selectors.EVENT_READ, c)
                except OSError as e:
                    c.err, c.closed = f"connect/send: {e}", True
                    sel.unregister(c.s)
                continue
            c.on_readable(time.perf_counter())
            if c.closed:
                sel.unregister(c.s)

    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        live = [c for c in clients if not c.closed]
        if all(c.snapshot_at is not None for c in live) and not pending_req:
            break
        pump(0.1)
    t_snap = time.perf_counter()
    ok = [c for c in clients if c.snapshot_at is not None and not c.closed]
    snap_lat = [c.snapshot_at - t_conn for c in ok]
    failed = [c for c in clients if c.closed or c.snapshot_at is None]
    time.sleep(0.2)
    pump(0)
    rss1, fds1 = H.status_kib(hp, "VmRSS"), H.fd_count(hp)
    B.log(f"  {n} clients: {len(ok)} got their snapshot in {t_snap - t_conn:.2f} s; {len(failed)} failed"
          + (f" (first: {failed[0].err})" if failed else "") + f"; oly-http RSS {rss0} -> {rss1} KiB, fds {fds0} -> {fds1}")

    lat, all_in, spread, cli_t, missing = [], [], [], [], 0
    h0, d0, c0 = H.cpu_s(hp), H.cpu_s(dp), os.times()
    events0 = sum(c.events for c in ok)
    for i in range(sessions):
        t0 = time.perf_counter()
        p = subprocess.Popen([B.OLY, "start", "--detach", *B.SLEEP_ARGS], env=daemon.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        run.reaper.add([p.pid])
        sid = None
        deadline = t0 + 10
        while time.perf_counter() < deadline:
            if sid is None and p.poll() is not None:
                o, e = p.communicate()
                cli_t.append(time.perf_counter() - t0)
                sid = o.decode().strip().split()[-1] if o.strip() else None
                if sid is None:
                    raise RuntimeError(f"oly start failed: {e.decode()[:300]}")
            if sid is not None and all(sid in c.seen for c in ok if not c.closed):
                break
            pump(0.01 if sid is None else 0.05)
        if sid is None:
            p.kill()
            p.wait()
            raise RuntimeError("oly start did not finish in 10 s")
        got = [c.seen[sid] - t0 for c in ok if sid in c.seen]
        missing += len(ok) - len(got)
        lat += got
        if got:
            all_in.append(max(got))
            spread.append(max(got) - min(got))
        end = time.perf_counter() + 0.05
        while time.perf_counter() < end:
            pump(0.01)
    h1, d1, c1 = H.cpu_s(hp), H.cpu_s(dp), os.times()
    events = sum(c.events for c in ok) - events0
    me = (c1.user + c1.system) - (c0.user + c0.system)
    drops = [c for c in ok if c.closed]
    res = {
        "clients": n, "connected": len(ok), "conn_fail": conn_fail + len(failed),
        "fail_reasons": sorted({str(c.err) for c in failed})[:5],
        "closed_later": len(drops), "snapshot_p50": pct(snap_lat, 50), "snapshot_max": max(snap_lat, default=float("nan")),
        "connect_all": t_snap - t_conn,
        "sessions": sessions, "p50": pct(lat, 50), "p90": pct(lat, 90), "p99": pct(lat, 99),
        "max": max(lat, default=float("nan")), "all_in_median": B.median(all_in), "missing": missing,
        "spread_median": B.median(spread),
        "cli_median": B.median(cli_t),
        "http_cpu": (h1 - h0) if None not in (h0, h1) else float("nan"),
        "daemon_cpu": (d1 - d0) if None not in (d0, d1) else float("nan"),
        "script_cpu": me, "events": events, "script_cpu_per_event": me / events if events else float("nan"),
        "rss_before": rss0, "rss_after": rss1, "rss_end": H.status_kib(hp, "VmRSS"), "fds_before": fds0, "fds_after": fds1,
    }
    for c in clients:
        try:
            sel.unregister(c.s)
        except (KeyError, ValueError):
            pass
        c.s.close()
    sel.close()
    # How long oly-http keeps the closed connections (their fds) around.
    t_close = time.perf_counter()
    res["fds_released_after"] = None
    while time.perf_counter() - t_close < 35:
        if (H.fd_count(hp) or 0) <= (fds0 or 0) + 2:
            res["fds_released_after"] = time.perf_counter() - t_close
            break
        time.sleep(0.1)
    res["rss_closed"] = H.status_kib(hp, "VmRSS")
    res["fds_closed"] = H.fd_count(hp)
    B.log(f"  {n} clients x {sessions} sessions: p50 {H.us(res['p50'])} p99 {H.us(res['p99'])} max {H.us(res['max'])}; "
          f"all in (median) {H.us(res['all_in_median'])}; `oly start` returns after {H.us(res['cli_median'])}; "
          f"missing {missing}; oly-http cpu {res['http_cpu']:.2f} s, daemon {res['daemon_cpu']:.2f} s, "
          f"this script {me:.2f} s ({H.us(res['script_cpu_per_event'])} per event read)")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--json")
    a = ap.parse_args()

    soft, hard = H.raise_nofile()
    if soft < a.clients + 64:
        B.log(f"bench_http_sse: open-file limit {soft} (hard {hard}) < {a.clients} clients + 64: fewer will connect")
    run = H.HttpRun("hsse")
    daemon = H.HttpDaemon(run, "o", max_sessions=max(200, 2 * a.sessions + 10))
    daemon.start()
    daemon.token()
    B.log(f"bench_http_sse: {a.clients} clients x {a.sessions} sessions; our open-file limit {soft}; "
          f"{H.context_line(daemon)}")
    out = {}
    problems = []
    for n in (1, a.clients):
        try:
            out[n] = fanout(run, daemon, n, a.sessions, out)
        except Exception as e:
            out[n] = {"clients": n, "error": f"{type(e).__name__}: {e}"}
            B.log(f"  {n} clients: ERROR {out[n]['error']}")
        msg = daemon.http_check(f"sse {n}")
        if msg:
            out[n]["error"] = msg
            problems.append(msg)
        if not daemon.check_alive(f"sse {n}"):
            out[n]["error"] = daemon.last_death
            problems.append(daemon.last_death)
            daemon.find_http()

    print(f"\n## SSE fan-out: `session.created` to N clients of GET /api/events ({a.sessions} sessions created "
          f"with `oly start --detach`, one after the other)\n")
    print(f"{H.context_line(daemon)}; this script's open-file limit {soft}\n")
    print("| clients | connected (snapshot) | time to connect all | p50 | p90 | p99 | max | all N had it (median) | first→last client (median) | missing | oly-http CPU | daemon CPU | oly-http RSS before → with N | fds |")
    print("|------:|------:|-----:|----:|----:|----:|----:|-----:|-----:|----:|-----:|-----:|-----:|-----:|")
    for n, r in out.items():
        if "p50" not in r:
            print(f"| {n} | failed: {r.get('error', '?')[:200]} | | | | | | | | | | | | |")
            continue
        print(f"| {n} | {r['connected']} | {H.us(r['connect_all'])} | {H.us(r['p50'])} | {H.us(r['p90'])} | "
              f"{H.us(r['p99'])} | {H.us(r['max'])} | {H.us(r['all_in_median'])} | {H.us(r['spread_median'])} | {r['missing']} | "
              f"{r['http_cpu'] * 1e3:.1f} ms ({H.us(r['http_cpu'] / max(1, r['sessions'] * r['connected']))} per copy) | "
              f"{r['daemon_cpu'] * 1e3:.1f} ms | {r['rss_before']:,} → {r['rss_after']:,} KiB "
              f"({(r['rss_after'] - r['rss_before']) / max(1, r['connected']):.1f} KiB each) | "
              f"{r['fds_before']} → {r['fds_after']} |")
    big = out.get(a.clients, {})
    if "p50" in big:
        print(f"\n`oly start --detach` itself returned after {H.us(big['cli_median'])} (median): the event can "
              f"arrive before the CLI returns. This script spent {H.us(big['script_cpu_per_event'])} of CPU per "
              f"event read ({big['events']:,} events, {big['script_cpu']:.2f} s), so reading all {big['connected']} copies "
              f"of one event takes it ~{H.us(big['script_cpu_per_event'] * big['connected'])}. oly-http RSS after "
              f"the clients closed: {big['rss_closed']:,} KiB; its fds were back to {big['fds_before']} "
              + (f"{big['fds_released_after']:.1f} s after the clients closed" if big['fds_released_after'] is not None
                 else f"not within 35 s ({big['fds_closed']} open)")
              + f" (closed streams are only noticed when oly-http next writes to them). Connection failures: "
              f"{big['conn_fail']}{' — ' + '; '.join(big['fail_reasons']) if big['fail_reasons'] else ''}; "
              f"closed by the server during the run: {big['closed_later']}. "
              f"Load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}.")
    for p in problems:
        print(f"\n**{p}**")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": B.machine(), "rev": H.git_rev(), "results": out, "problems": problems}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
