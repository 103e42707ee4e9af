#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Data-plane benchmark 3: input sent from outside (`oly send`) until an attached client shows it.

A session runs `sh -c 'stty raw -echo; exec cat'` with a client attached on an 80x24 PTY (see
ptybench.EchoSession). For each of N unique tokens ("k000123q" + "\\r\\n"), one at a time, it starts
the sender process (posix_spawn, stdout/stderr to /dev/null) and times from the spawn to the moment
the token appears on the attached client's terminal; then it reaps the sender and checks its status.

    oly        oly send ID TOKEN                           (the CLI: exec, connect, resolve, SendInput)
    oly-dbus   SendInput on one open D-Bus connection     (test/minidbus.py, pure Python; no process)
    dtach      dtach -p SOCK < pipe holding TOKEN          (the token is in the pipe before the spawn)
    dtach-sock MSG_PUSH packets on one open connection to dtach's socket (no process)
    tmux       tmux -S SOCK send-keys -t e -l TOKEN
    screen     screen -S NAME -X stuff TOKEN
    spawn      /bin/true, until it has exited: the floor of the process-based rows

For oly-dbus the reply time (the daemon answers once the bytes are written to the PTY) is printed too,
next to a Peer.Ping round trip on the same connection (the Python client's own cost). The daemon's
side alone, from C: bench/send-client.c (built on the fly against libsystemd) alternates 1000
SendInput and 1000 Peer.Ping calls on one connection; and hyperfine times /bin/true, `oly --help`
and `oly send ID x` (where a send's process time goes).

The senders are interleaved (send i goes to each tool in turn), so that a shared machine's load
weighs on all of them alike.

Then, with another oly session flooding output (`yes`, no client attached), --flood N sends through
`oly send` to the echo session: tokens seen by the attached client, tokens in the echo session's
output.log (target: all of them), failed sends, and the send-to-seen times under that load; the same
through SendInput on one connection (Python), and with dtach (a dtach session running `yes`,
`dtach -p` to a dtach echo session) for comparison.

Usage: /usr/bin/python3 bench/bench_send.py [--sends 500] [--flood 1000] [--json FILE]
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # nothing but our own files under bench/
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "test"))
import benchlib as B  # noqa: E402
import ptybench as P  # noqa: E402
import minidbus  # noqa: E402

SEEN_TIMEOUT = 5.0


def token(i):
    return f"k{i:06d}q".encode()


def spawn(argv, env, stdin_data=None):
    """posix_spawn (vfork-like, the cheapest a benchmark can start a process); stdout/stderr to
    /dev/null, stdin from a pipe already holding stdin_data (or /dev/null)."""
    actions = [(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)]
    rfd = None
    if stdin_data is not None:
        rfd, wfd = os.pipe()
        os.write(wfd, stdin_data)
        os.close(wfd)
        actions.insert(0, (os.POSIX_SPAWN_DUP2, rfd, 0))
    else:
        actions.insert(0, (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0))
    try:
        return os.posix_spawn(argv[0], argv, env, file_actions=actions, setsigdef=(13,))
    finally:
        if rfd is not None:
            os.close(rfd)


def waitpid(pid):
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st)


class Sender:
    """How one tool sends a token to the echo session of `es`."""

    def __init__(self, run, kind, es, daemon):
        self.run, self.kind, self.es, self.daemon = run, kind, es, daemon
        self.conn = self.sock = None
        oly = B.OLY
        if kind == "oly-dbus":
            self.conn = minidbus.Connection(os.path.join(daemon.runtime, "bus"))
        elif kind == "dtach-sock":
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(es.sock)
        self.argv = {
            "oly": lambda t: [oly, "send", es.sid, t],
            "dtach": lambda t: ["/usr/bin/dtach", "-p", es.sock],
            "tmux": lambda t: ["/usr/bin/tmux", "-S", es.sock, "-f", "/dev/null", "send-keys", "-t", "e", "-l", t],
            "screen": lambda t: ["/usr/bin/screen", "-S", es.name, "-X", "stuff", t],
        }.get(kind)
        self.reply_times = []

    def send(self, data):
        """Starts sending; returns a pid to reap (or None when already done)."""
        if self.kind == "oly-dbus":
            t = time.perf_counter()
            self.conn.call("/org/openrelay/Oly1", "org.openrelay.Oly1.Manager", "SendInput", "sa(say)",
                           self.es.sid, [("text", data)])
            self.reply_times.append(time.perf_counter() - t)
            return None
        if self.kind == "dtach-sock":
            # dtach's struct packet: type, len, 8 bytes (MSG_PUSH = 0)
            pk = b"".join(struct.pack("BB8s", 0, len(data[i:i + 8]), data[i:i + 8]) for i in range(0, len(data), 8))
            self.sock.sendall(pk)
            return None
        text = data.decode()
        if self.kind == "dtach":
            return spawn(self.argv(text), self.es.env, stdin_data=data)
        return spawn(self.argv(text), self.es.env if self.kind != "oly" else self.daemon.env)

    def close(self):
        if self.conn:
            self.conn.close()
        if self.sock:
            self.sock.close()


def one_send(es, sender, i):
    """Sends token i; returns (time to seen or None, sender ok)."""
    c = es.client
    tok = token(i)
    c.clear_kept()
    t0 = time.perf_counter()
    try:
        pid = sender.send(tok + b"\r\n")
    except Exception as e:  # a lost connection, a refused call: counted, not fatal
        B.log(f"bench_send: {sender.kind}: sending {tok.decode()} failed: {e}")
        return None, False
    t1 = c.read_until(tok, SEEN_TIMEOUT)
    ok = pid is None or waitpid(pid) == 0
    if t1 is None:
        c.drain_quiet(0.05, 1)
        return None, ok
    return t1 - t0, ok


def send_loop(es, sender, n, first=0, warmup=0):
    """n sends, one at a time; returns (times send->seen, missed tokens, failed senders)."""
    times, missed, failed = [], [], 0
    for i in range(first, first + warmup + n):
        x, ok = one_send(es, sender, i)
        failed += not ok
        if x is None:
            missed.append(token(i).decode())
        elif i >= first + warmup:
            times.append(x)
    return times, missed, failed


def send_interleaved(pairs, n, warmup):
    """pairs: {tool: (echo session, sender)}. Send i goes to every tool in turn (the order rotating),
    so that the machine's load weighs on all alike. Tokens are unique per tool (tool k: k*100000+i)."""
    res = {t: {"times": [], "missed": [], "failed": 0} for t in pairs}
    tools = list(pairs)
    for i in range(warmup + n):
        order = tools[i % len(tools):] + tools[:i % len(tools)]
        for t in order:
            k = tools.index(t)
            x, ok = one_send(*pairs[t], k * 100000 + i)
            res[t]["failed"] += not ok
            if x is None:
                res[t]["missed"].append(token(k * 100000 + i).decode())
            elif i >= warmup:
                res[t]["times"].append(x)
    return res


def spawn_floor(run, n):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        waitpid(spawn(["/bin/true"], run.env))
        out.append(time.perf_counter() - t)
    return out


def ping_times(conn, n):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        conn.call("/", "org.freedesktop.DBus.Peer", "Ping")
        out.append(time.perf_counter() - t)
    return out


def fmt_us(x):
    return f"{x * 1e6:.0f} µs" if x < 1e-3 else f"{x * 1e3:.2f} ms"


def daemon_side(run, daemon, n):
    """SendInput and Ping round trips from C on one connection (bench/send-client.c), to a session
    that swallows its input (nothing echoed); and what a process costs: hyperfine of /bin/true,
    `oly --help` (exec + shared libraries), `oly send SID x`."""
    res = {}
    sid = daemon.oly("start", "--detach", "sh", "-c", "stty raw -echo; exec cat >/dev/null").stdout.strip().splitlines()[-1]
    try:
        time.sleep(0.3)
        exe = B.build_c_client(run, "send-client")
        if exe:
            r = run.run([exe, sid, str(n)], env=daemon.env, check=False)
            if r.returncode == 0:
                res["ping_p50"], res["ping_p99"], res["send_p50"], res["send_p99"] = map(float, r.stdout.split())
            else:
                res["error"] = r.stderr.strip()[:300]
        names = ["/bin/true", "oly --help", "oly send ID x"]
        ts = B.hyperfine(run, [["/bin/true"], [B.OLY, "--help"], [B.OLY, "send", sid, "x"]], runs=200, warmup=10,
                         env=daemon.env, names=names)
        res["startup"] = dict(zip(names, ts))
    finally:
        daemon.oly("stop", "--grace", "0", sid, check=False)
    return res


def flood_phase(run, kind, daemon, n, first):
    """n sends by `kind` (oly, oly-dbus: to an oly echo session while another oly session runs `yes`;
    dtach: the same with dtach sessions) one at a time."""
    tool = "dtach" if kind == "dtach" else "oly"
    res = {}
    es = P.EchoSession(B, run, tool, daemon, tag="flood" + kind)
    sender = None
    if tool == "oly":
        flood = daemon.oly("start", "--detach", "yes").stdout.strip().splitlines()[-1]
        flood_log = os.path.join(daemon.state, "sessions", flood, "output.log")
    else:
        fdir = run.sub("dtach-flood")
        run.run(["dtach", "-n", os.path.join(fdir, "s"), "-E", "yes"])
        flood_log = None
    try:
        sender = Sender(run, kind, es, daemon)
        time.sleep(0.5)
        sz0 = os.path.getsize(flood_log) if flood_log else 0
        t = time.perf_counter()
        times, missed, failed = send_loop(es, sender, n, first=first)
        dur = time.perf_counter() - t
        if flood_log:
            res["flood_mb_s"] = (os.path.getsize(flood_log) - sz0) / dur / 1e6
        res.update(times=times, missed=missed, failed=failed, duration=dur, n=n)
    finally:
        if sender:
            sender.close()
        if tool == "oly":
            daemon.oly("stop", "--grace", "0", flood, check=False)
        else:
            B.dtach_kill(run, fdir, B.Reaper())
        es.close()
    if tool == "oly":
        try:
            res["flood_log_bytes"] = os.path.getsize(flood_log)
            os.unlink(flood_log)
        except OSError:
            pass
        # Every token must be in the echo session's log (cat echoed it, the daemon logged it).
        with open(os.path.join(daemon.state, "sessions", es.sid, "output.log"), "rb") as f:
            log = f.read()
        res["in_log"] = sum(1 for i in range(first, first + n) if token(i) in log)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sends", type=int, default=500, help="per tool (after 20 warm-up sends)")
    ap.add_argument("--flood", type=int, default=1000, help="sends under flood (0: skip)")
    ap.add_argument("--tools", default="oly,oly-dbus,dtach,dtach-sock,tmux,screen")
    ap.add_argument("--json", help="also write the figures here")
    a = ap.parse_args()

    run = B.Run("send")
    base = {"oly-dbus": "oly", "dtach-sock": "dtach"}
    tools = [t for t in a.tools.split(",") if base.get(t, t) == "oly" or B.have(base.get(t, t))]
    daemon = B.OlyDaemon(run, "o")
    daemon.start()
    B.log(f"bench_send: {a.sends} sends per tool: {', '.join(tools)}; flood {a.flood}; {B.machine()}")
    out = {"machine": B.machine(), "versions": B.versions(), "tools": {}}

    floor = spawn_floor(run, 200)
    out["spawn_floor"] = B.median(floor)
    pairs = {}
    try:
        for t in tools:
            try:
                es = P.EchoSession(B, run, base.get(t, t), daemon, tag=t)
                pairs[t] = (es, Sender(run, t, es, daemon))
            except Exception as e:
                out["tools"][t] = {"error": str(e)}
                B.log(f"    {t}: FAILED to set up: {e}")
        got = send_interleaved(pairs, a.sends, 20)
        for t, g in got.items():
            times = g["times"]
            r = {"n": len(times), "p50": P.percentile(times, 50), "p90": P.percentile(times, 90),
                 "p99": P.percentile(times, 99), "missed": len(g["missed"]), "failed": g["failed"]}
            if t == "oly-dbus":
                rt = pairs[t][1].reply_times[20 * 1:]
                r["reply_p50"] = P.percentile(rt, 50)
                r["reply_p99"] = P.percentile(rt, 99)
                r["ping_p50"] = B.median(ping_times(pairs[t][1].conn, 200))
            out["tools"][t] = r
            B.log(f"    {t:10s} p50 {fmt_us(r['p50'])}  p99 {fmt_us(r['p99'])}  missed {r['missed']} failed {r['failed']}")
    finally:
        for es, sender in pairs.values():
            sender.close()
            es.close()
    if not daemon.check_alive("the send benchmark"):
        for t in tools:
            if base.get(t, t) == "oly":
                out["tools"].setdefault(t, {})["error"] = daemon.last_death

    print(f"\n## Input from outside until an attached client shows it ({a.sends} sends per row, one at a time)\n")
    print("| sender | p50 | p90 | p99 | not seen | sender failed |")
    print("|--------|----:|----:|----:|---------:|--------------:|")
    for t in tools:
        r = out["tools"].get(t, {})
        if "p50" not in r:
            print(f"| {t} | failed: {r.get('error', '?')[:100]} | | | | |")
            continue
        print(f"| {t} | {fmt_us(r['p50'])} | {fmt_us(r['p90'])} | {fmt_us(r['p99'])} | {r['missed']} | {r['failed']} |")
    print(f"| spawn floor (`/bin/true` until exit) | {fmt_us(out['spawn_floor'])} | | | | |")
    r = out["tools"].get("oly-dbus", {})
    if "reply_p50" in r:
        print(f"\noly-dbus: SendInput reply after p50 {fmt_us(r['reply_p50'])} (p99 {fmt_us(r['reply_p99'])}); "
              f"a Peer.Ping round trip on the same connection: {fmt_us(r['ping_p50'])}.")

    d = daemon_side(run, daemon, 1000)
    out["daemon_side"] = d
    if "send_p50" in d:
        print(f"\nDaemon side (bench/send-client.c, one sd-bus connection, 1000 calls each): SendInput of 1 byte "
              f"p50 {fmt_us(d['send_p50'])} (p99 {fmt_us(d['send_p99'])}); Peer.Ping p50 {fmt_us(d['ping_p50'])} "
              f"(p99 {fmt_us(d['ping_p99'])}).")
    elif "error" in d:
        print(f"\nDaemon side: send-client failed: {d['error']}")
    if "startup" in d:
        print("Process cost (hyperfine -N, median of 200): " +
              ", ".join(f"`{k}` {fmt_us(v)}" for k, v in d["startup"].items()) + ".")
    if not daemon.check_alive("the daemon-side send measurement"):
        print(f"\n{daemon.last_death}")

    if a.flood:
        kinds = ["oly", "oly-dbus"] + (["dtach"] if B.have("dtach") else [])
        out["flood"] = {}
        for k, kind in enumerate(kinds):
            try:
                f = flood_phase(run, kind, daemon, a.flood, first=500000 + k * 100000)
                out["flood"][kind] = {x: v for x, v in f.items() if x != "times"}
                out["flood"][kind].update(p50=P.percentile(f["times"], 50), p99=P.percentile(f["times"], 99))
            except Exception as e:
                B.log(f"bench_send: the flood test ({kind}) FAILED: {e}")
                out["flood"][kind] = {"error": str(e)}
            if kind != "dtach" and not daemon.check_alive(f"the flood test ({kind})"):
                out["flood"][kind]["error"] = daemon.last_death
        print(f"\n## {a.flood} sends while another session of the same tool floods output (`yes`, no client)\n")
        print("| sender | seen by the client | in the echo session's log | sender failed | p50 | p99 | duration |")
        print("|--------|------:|------:|------:|----:|----:|------:|")
        for kind, f in out["flood"].items():
            if "p50" not in f:
                print(f"| {kind} | failed: {f.get('error', '?')[:100]} | | | | | |")
                continue
            print(f"| {kind} | {a.flood - len(f['missed'])} | {f.get('in_log', '—')} | {f['failed']} | "
                  f"{fmt_us(f['p50'])} | {fmt_us(f['p99'])} | {f['duration']:.1f} s |")
            if f["missed"]:
                print(f"\n{kind}: not seen: {', '.join(f['missed'][:20])}")
        if "flood_mb_s" in out["flood"].get("oly", {}):
            print(f"\nThe flooding oly session was logged at {out['flood']['oly']['flood_mb_s']:.0f} MB/s meanwhile.")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
