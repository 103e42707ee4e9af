#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""oly-http benchmark 3: ~100 MB of output through a WebSocket attach, against the CLI's attach.

Each run starts a detached 80x24 session that waits for a go signal before printing:

    oly start --detach sh -c 'read x; head -c 75000000 /dev/zero | base64'

(100,000,000 base64 characters in 1,315,790 lines of 76: 102.6 MB on a terminal), attaches one
client, and once it is attached sends the go with `oly send ID key:enter`. Wall time runs from
spawning that `oly send` to the client's last byte (the 'x' exit frame / the CLI's exit). Clients:

    ws-raw   this script on a raw socket: WebSocket handshake with the Bearer header to
             /api/sessions/ID/attach?replay=1, then recv_into a 4 MiB buffer, frame headers parsed
             in Python, 'o' payload bytes counted without copying until the 'x' frame
    ws-lib   python3-websocket (websocket.create_connection + recv_data per message), the library a
             script would use
    direct   the command itself (`sh -c 'head -c N /dev/zero | base64'`, no go signal) on an 80x24
             PTY read the same way: the floor, what one PTY allows
    cli      `oly attach ID` on an 80x24 PTY read as fast as possible (bench/ptybench.py), the CLI
             client the data-plane benchmark uses; it ends when the session does

Counted: bytes the client got after the go (WS: 'o' payload; CLI: everything its terminal got,
which adds its ~120-byte goodbye) against the session's output.log (deleted after each run), the
client's CPU (WS: this process; CLI: the `oly attach` process), oly-http's and the daemon's CPU,
oly-http's RSS (sampled every 20 ms; the peak) and VmHWM. The clients' order rotates over the rounds.

Usage: /usr/bin/python3 bench/bench_http_ws.py [--rounds 3] [--bytes 75000000] [--clients direct,ws-raw,ws-lib,cli] [--json FILE]
"""
import argparse
import base64
import importlib.util
import json
import os
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
import bench_http_lib as H  # noqa: E402
import ptybench as P  # noqa: E402

RUN_TIMEOUT = 300


class Sampler(threading.Thread):
    """Samples a process's VmRSS every `every` s; .peak in KiB."""

    def __init__(self, pid, every=0.02):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self.stop_ev = pid, every, 0, threading.Event()

    def run(self):
        while not self.stop_ev.is_set():
            v = H.status_kib(self.pid, "VmRSS")
            if v and v > self.peak:
                self.peak = v
            self.stop_ev.wait(self.every)

    def stop(self):
        self.stop_ev.set()
        self.join()
        return self.peak


def self_cpu():
    t = os.times()
    return t.user + t.system


# ---------------------------------------------------------------- a raw WebSocket client


class RawWs:
    """Minimal client: handshake, then reads server frames (unmasked) from a 4 MiB buffer."""

    def __init__(self, port, path, token, timeout=30):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n")
        self.s.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            d = self.s.recv(4096)
            if not d:
                raise RuntimeError(f"connection closed during the handshake: {head[:200]!r}")
            head += d
        head, _, rest = head.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"no upgrade: {head[:300]!r}")
        self.buf = bytearray(4 << 20)
        self.view = memoryview(self.buf)
        self.pend = bytearray(rest)   # bytes not yet parsed (only ever a partial header or small frame)
        self.out_bytes = 0            # 'o' payload bytes
        self.messages = []            # (type, payload) of every non-'o' message
        self.frames = 0
        self.reads = 0

    def send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        hdr = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
        self.s.sendall(hdr + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload)))

    def read_until(self, want_type, timeout):
        """Reads and parses until a message of type want_type (b'h', b'x', ...) arrived; returns its
        payload, or None at EOF/timeout. 'o' payloads are counted, not kept."""
        self.s.settimeout(timeout)
        skip = 0          # payload bytes of the current 'o' frame still to come
        collect = None    # payload of the current non-'o' frame being collected
        coll_left = 0
        coll_type = None
        cur_is_out = False
        data = self.pend
        self.pend = bytearray()
        while True:
            pos, n = 0, len(data)
            while pos < n:
                if skip:
                    k = min(skip, n - pos)
                    self.out_bytes += k
                    skip -= k
                    pos += k
                    continue
                if coll_left:
                    k = min(coll_left, n - pos)
                    collect += data[pos:pos + k]
                    coll_left -= k
                    pos += k
                    if not coll_left:
                        self.messages.append((coll_type, bytes(collect)))
                        if coll_type == want_type:
                            self.pend = bytearray(data[pos:n])
                            return bytes(collect)
                    continue
                # a frame header
                if n - pos < 2:
                    break
                b0, b1 = data[pos], data[pos + 1]
                ln, hl = b1 & 0x7F, 2
                if ln == 126:
                    if n - pos < 4:
                        break
                    ln, hl = struct.unpack_from(">H", data, pos + 2)[0], 4
                elif ln == 127:
                    if n - pos < 10:
                        break
                    ln, hl = struct.unpack_from(">Q", data, pos + 2)[0], 10
                op = b0 & 0x0F
                if op >= 8:  # control frame: needs all of it at hand
                    if n - pos < hl + ln:
                        break
                    payload = bytes(data[pos + hl:pos + hl + ln])
                    pos += hl + ln
                    if op == 8:
                        self.messages.append(("close", payload))
                        return None
                    if op == 9:
                        self.send_frame(0xA, payload)
                    continue
                self.frames += 1
                if op in (1, 2):       # a new message: its first payload byte is oly's type
                    if n - pos < hl + 1:
                        break
                    t = bytes(data[pos + hl:pos + hl + 1])
                    cur_is_out = t == b"o"
                    pos += hl + 1
                    ln -= 1
                    if cur_is_out:
                        skip = ln
                    else:
                        coll_type, collect, coll_left = t, bytearray(), ln
                        if not ln:
                            self.messages.append((t, b""))
                            if t == want_type:
                                self.pend = bytearray(data[pos:n])
                                return b""
                else:                  # continuation of the current message
                    pos += hl
                    if cur_is_out:
                        skip = ln
                    else:
                        coll_left = ln
            rest = bytes(data[pos:n])
            try:
                k = self.s.recv_into(self.buf)
            except socket.timeout:
                return None
            if k == 0:
                return None
            self.reads += 1
            data = (rest + self.view[:k].tobytes()) if rest else self.view[:k]

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


# ---------------------------------------------------------------- one run


def new_session(daemon, nbytes):
    return daemon.start_session("sh", "-c", f"read x; head -c {nbytes} /dev/zero | base64")


def go(daemon, sid):
    t0 = time.perf_counter()
    daemon.oly("send", sid, "key:enter")
    return t0


def one(run, daemon, client, nbytes):
    sid = new_session(daemon, nbytes) if client != "direct" else None
    hp, dp = daemon.http_pid, daemon.pid
    res = {"client": client, "id": sid}
    path = f"/api/sessions/{sid}/attach?replay=1"
    sampler = Sampler(hp)
    sampler.start()
    try:
        if client == "ws-raw":
            ws = RawWs(daemon.port, path, daemon.token())
            try:
                if ws.read_until(b"h", 10) is None:
                    raise RuntimeError(f"no hello frame: {ws.messages}")
                ws.out_bytes = 0
                c0, h0, d0 = self_cpu(), H.cpu_s(hp), H.cpu_s(dp)
                t0 = go(daemon, sid)
                x = ws.read_until(b"x", RUN_TIMEOUT)
                t1 = time.perf_counter()
                res.update(bytes=ws.out_bytes, client_cpu=self_cpu() - c0, frames=ws.frames, reads=ws.reads)
                if x is None:
                    res["error"] = f"no exit frame (got {ws.messages[-3:]})"
                else:
                    res["exit"] = x.decode(errors="replace")
            finally:
                ws.close()
        elif client == "ws-lib":
            import websocket
            ws = websocket.create_connection(f"ws://127.0.0.1:{daemon.port}{path}",
                                             header=[f"Authorization: Bearer {daemon.token()}"], timeout=30)
            try:
                _, m = ws.recv_data()
                if m[:1] != b"h":
                    raise RuntimeError(f"no hello frame: {m[:80]!r}")
                got, msgs, exit_ = 0, 0, None
                c0, h0, d0 = self_cpu(), H.cpu_s(hp), H.cpu_s(dp)
                t0 = go(daemon, sid)
                ws.settimeout(RUN_TIMEOUT)
                while True:
                    op, m = ws.recv_data()
                    msgs += 1
                    if m[:1] == b"o":
                        got += len(m) - 1
                    elif m[:1] == b"x" or op == 8:
                        exit_ = m[1:].decode(errors="replace")
                        break
                t1 = time.perf_counter()
                res.update(bytes=got, client_cpu=self_cpu() - c0, frames=msgs, exit=exit_)
            finally:
                ws.close()
        elif client == "direct":
            c = P.PtyClient(["sh", "-c", f"head -c {nbytes} /dev/zero | base64"], run.env, rows=24, cols=80,
                            reaper=run.reaper)
            try:
                h0, d0 = H.cpu_s(hp), H.cpu_s(dp)
                c0 = self_cpu()
                t0 = c.t_spawn
                ok, t1 = c.drain_to_end(RUN_TIMEOUT)
                res.update(bytes=c.total, client_cpu=c.cpu, reader_cpu=self_cpu() - c0)
                if not ok:
                    res["error"] = f"timed out ({c.total} bytes)"
            finally:
                c.close()
        elif client == "cli":
            c = P.PtyClient([B.OLY, "attach", sid], daemon.env, rows=24, cols=80, reaper=run.reaper)
            try:
                c.drain_quiet(0.3, 5)  # attached: its first screen is drawn
                c.total = 0
                h0, d0 = H.cpu_s(hp), H.cpu_s(dp)
                c0 = self_cpu()
                t0 = go(daemon, sid)
                ok, t1 = c.drain_to_end(RUN_TIMEOUT)
                res.update(bytes=c.total, client_cpu=c.cpu, reader_cpu=self_cpu() - c0)
                if not ok:
                    res["error"] = f"timed out ({c.total} bytes)"
            finally:
                c.close()
        else:
            raise ValueError(client)
        h1, d1 = H.cpu_s(hp), H.cpu_s(dp)
        res["wall"] = t1 - t0
        res["http_cpu"] = (h1 - h0) if None not in (h0, h1) else float("nan")
        res["daemon_cpu"] = (d1 - d0) if None not in (d0, d1) else float("nan")
    finally:
        res["http_rss_peak"] = sampler.stop()
        res["http_hwm"] = H.status_kib(hp, "VmHWM")
    if sid is None:
        res["log_bytes"] = None
        return res
    # the log (once the session has ended), then drop it: 100 MB a run
    logp = os.path.join(daemon.state, "sessions", sid, "output.log")
    deadline = time.time() + 30
    while time.time() < deadline:
        st = daemon.get_json(f"/api/sessions/{sid}")
        if st.get("status") != "running":
            break
        time.sleep(0.05)
    try:
        res["log_bytes"] = os.path.getsize(logp)
        os.unlink(logp)
    except OSError:
        res["log_bytes"] = None
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bytes", type=int, default=75_000_000, help="input bytes of base64 (default 75 MB → 100 MB)")
    ap.add_argument("--clients", default="direct,ws-raw,ws-lib,cli")
    ap.add_argument("--json")
    a = ap.parse_args()
    clients = a.clients.split(",")
    if importlib.util.find_spec("websocket") is None:
        B.log("bench_http_ws: python3-websocket is missing (apt-get install -y python3-websocket): no ws-lib")
        clients = [c for c in clients if c != "ws-lib"]

    H.raise_nofile()
    run = H.HttpRun("hws")
    daemon = H.HttpDaemon(run, "o")
    daemon.start()
    daemon.token()
    b64 = (a.bytes + 2) // 3 * 4
    lines = (b64 + 75) // 76
    want = b64 + 2 * lines  # on a terminal: each \n becomes \r\n
    B.log(f"bench_http_ws: {a.rounds} rounds of {', '.join(clients)}; {want:,} bytes on a terminal; "
          f"{H.context_line(daemon)}")
    rss0 = H.status_kib(daemon.http_pid, "VmRSS")

    results = {c: [] for c in clients}
    problems = []
    for rnd in range(a.rounds):
        order = clients[rnd % len(clients):] + clients[:rnd % len(clients)]
        for cl in order:
            try:
                r = one(run, daemon, cl, a.bytes)
            except Exception as e:  # report, go on
                r = {"client": cl, "error": f"{type(e).__name__}: {e}"}
            msg = daemon.http_check(f"ws {cl}")
            if msg:
                r["error"] = msg
                problems.append(msg)
            if not daemon.check_alive(f"ws {cl}"):
                r["error"] = daemon.last_death
                problems.append(daemon.last_death)
                daemon.find_http()
            results[cl].append(r)
            if "wall" in r:
                B.log(f"  round {rnd} {cl:6s} {r['wall']:6.2f} s {r['bytes'] / r['wall'] / 1e6:6.1f} MB/s "
                      f"got {r['bytes']:,} log {r.get('log_bytes')} client cpu {r.get('client_cpu') or 0:.2f} s "
                      f"oly-http cpu {r['http_cpu']:.2f} s daemon cpu {r['daemon_cpu']:.2f} s "
                      f"rss peak {r['http_rss_peak']} KiB" + (f" frames {r['frames']}" if "frames" in r else "")
                      + (f" reads {r['reads']}" if "reads" in r else "")
                      + (f"  ERROR {r['error']}" if "error" in r else ""))
            else:
                B.log(f"  round {rnd} {cl:6s} ERROR {r['error']}")

    def med(cl, k):
        return B.median([r[k] for r in results[cl] if isinstance(r.get(k), (int, float)) and r[k] == r[k]])

    print(f"\n## WebSocket attach vs CLI attach: ~100 MB (`head -c {a.bytes} /dev/zero | base64`, "
          f"{want:,} bytes on a terminal; median of {a.rounds})\n")
    print(f"{H.context_line(daemon)}\n")
    print("| client | wall | MB/s | bytes got (after the go) | output.log | client CPU | oly-http CPU | daemon CPU | oly-http RSS peak |")
    print("|--------|-----:|-----:|------:|------:|-----:|-----:|-----:|-----:|")
    for cl in clients:
        ok = [r for r in results[cl] if "wall" in r]
        if not ok:
            print(f"| {cl} | failed: {results[cl][0].get('error', '?')[:200]} | | | | | | | |")
            continue
        w = med(cl, "wall")
        cpu = med(cl, "client_cpu")
        rc = (f"{cpu:.2f} s" + (f" (+ reader {med(cl, 'reader_cpu'):.2f} s)" if cl == "cli" else "")
              if cl != "direct" else f"{cpu:.2f} s (the command)")
        hc = med(cl, "http_cpu")
        lb = med(cl, "log_bytes")
        lb = "—" if lb != lb else f"{lb:,.0f}"
        print(f"| {cl} | {w:.2f} s | {med(cl, 'bytes') / w / 1e6:.1f} | {med(cl, 'bytes'):,.0f} | "
              f"{lb} | {rc} | {hc if cl.startswith('ws') else 0:.2f} s | "
              f"{med(cl, 'daemon_cpu') if cl != 'direct' else 0:.2f} s | "
              f"{max(r['http_rss_peak'] for r in ok):,} KiB |")
    errs = [f"{cl}: {r['error']}" for cl in clients for r in results[cl] if "error" in r]
    print(f"\noly-http RSS before the runs {rss0:,} KiB, peak (VmHWM) {H.status_kib(daemon.http_pid, 'VmHWM'):,} KiB "
          f"after. WS frames per run (median): ws-raw {med('ws-raw', 'frames') if 'ws-raw' in clients else '—'} "
          f"(recv calls {med('ws-raw', 'reads') if 'ws-raw' in clients else '—'}), "
          f"ws-lib {med('ws-lib', 'frames') if 'ws-lib' in clients else '—'} messages. "
          f"Load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}.")
    for e in errs:
        print(f"\n**{e}**")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": B.machine(), "rev": H.git_rev(), "want": want, "results": results,
                       "problems": problems}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
