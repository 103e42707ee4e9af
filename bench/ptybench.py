# SPDX-License-Identifier: LGPL-2.1-or-later
"""A fast terminal for the data-plane benchmarks: a program on a fresh PTY of a known size (its
controlling terminal), whose output the benchmark reads as fast as it can, like a fast terminal
emulator would (one reader, os.readv into a 1 MiB buffer, no parsing).

Unlike test/ptyutil.py there is no reader thread: the benchmark reads on its own thread, so that the
time from a write to the echo it waits for is not blurred by a thread hand-off.
"""
import fcntl
import os
import select
import signal
import struct
import termios
import time

READ_SIZE = 1 << 20
# For the clients: tmux and screen want a terminal type they know.
CLIENT_TERM = "xterm-256color"


def set_winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtyClient:
    """argv on a new PTY of rows x cols: a new session whose controlling terminal is the slave side;
    stdin, stdout and stderr are that slave. The master is non-blocking and read only when asked."""

    def __init__(self, argv, env, rows=24, cols=80, reaper=None):
        self.argv = [str(a) for a in argv]
        self.master, slave = os.openpty()
        set_winsize(self.master, rows, cols)
        name = os.ttyname(slave)
        env = dict(env)
        env.setdefault("TERM", CLIENT_TERM)
        actions = [(os.POSIX_SPAWN_OPEN, 0, name, os.O_RDWR, 0),
                   (os.POSIX_SPAWN_DUP2, 0, 1),
                   (os.POSIX_SPAWN_DUP2, 0, 2)]
        self.t_spawn = time.perf_counter()
        try:
            # SIGPIPE back to its default (Python ignores it, and an ignored signal survives exec).
            self.pid = os.posix_spawnp(self.argv[0], self.argv, env, file_actions=actions, setsid=True,
                                       setsigdef=(signal.SIGPIPE, signal.SIGINT, signal.SIGTERM))
        finally:
            os.close(slave)
        if reaper is not None:
            reaper.add([self.pid])
        os.set_blocking(self.master, False)
        self.pidfd = os.pidfd_open(self.pid)
        self.returncode = None
        self.t_exit = None
        self.cpu = None  # the client's own user + system CPU time (s), once it has exited
        self.eof = False
        self.buf = bytearray(READ_SIZE)
        self.view = memoryview(self.buf)
        self.total = 0       # bytes read so far
        self.keep = bytearray()  # what was read since the last clear_kept() (when keeping)
        self.keeping = True
        self.tail = bytearray()  # the last 8 KiB read, always

    # ---- the child ----

    def poll_exit(self):
        if self.returncode is None:
            try:
                pid, st, ru = os.wait4(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid, st, ru = self.pid, 0, None
            if pid == self.pid:
                self.returncode = os.waitstatus_to_exitcode(st)
                self.t_exit = time.perf_counter()
                self.cpu = ru.ru_utime + ru.ru_stime if ru else None
        return self.returncode

    def kill(self, sig=signal.SIGKILL):
        if self.poll_exit() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def close(self, timeout=3.0):
        """Closes our end (the terminal hangs up) and makes sure the child is gone."""
        if self.master >= 0:
            os.close(self.master)
            self.master = -1
        deadline = time.time() + timeout
        while self.poll_exit() is None and time.time() < deadline:
            time.sleep(0.01)
        if self.poll_exit() is None:
            self.kill()
            deadline = time.time() + 3
            while self.poll_exit() is None and time.time() < deadline:
                time.sleep(0.01)
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1

    # ---- reading ----

    def _read_once(self):
        """One read. Returns the number of bytes (0: nothing now), or None at EOF (EIO)."""
        try:
            n = os.readv(self.master, [self.buf])
        except BlockingIOError:
            return 0
        except OSError:
            self.eof = True
            return None
        if n == 0:
            self.eof = True
            return None
        self.total += n
        chunk = self.view[:n]
        if self.keeping:
            self.keep += chunk
        if n >= 8192:
            self.tail[:] = chunk[n - 8192:]
        else:
            self.tail += chunk
            del self.tail[:-8192]
        return n

    def clear_kept(self):
        self.keep.clear()

    def drain_to_end(self, timeout, quiet=0.3):
        """Reads as fast as possible until the child has exited and the terminal hung up (EIO) or
        stayed quiet for `quiet` s after its exit. Returns (finished, t_end) where t_end is the later
        of the child's exit and the last byte read (perf_counter)."""
        self.keeping = False
        t_last = time.perf_counter()
        deadline = t_last + timeout
        p = select.poll()
        p.register(self.master, select.POLLIN)
        p.register(self.pidfd, select.POLLIN)
        while True:
            n = self._read_once()
            if n:
                t_last = time.perf_counter()
                continue
            if n is None:  # hung up
                self.poll_exit()
                if self.returncode is None:
                    # Everything closed the terminal but the child lingers: wait for it briefly.
                    w = time.perf_counter() + 2
                    while self.poll_exit() is None and time.perf_counter() < w:
                        time.sleep(0.002)
                break
            now = time.perf_counter()
            if self.poll_exit() is not None and now - max(t_last, self.t_exit) >= quiet:
                break
            if now > deadline:
                return False, now
            p.poll(50 if self.returncode is not None else 1000)
        t_end = max(t_last, self.t_exit or t_last)
        return self.returncode is not None, t_end

    def read_until(self, needle, timeout, start=0):
        """Reads (keeping) until `needle` occurs in what was kept at or after `start`. Returns the
        perf_counter time at which it was seen, or None on timeout/EOF. Polls, never spins."""
        self.keeping = True
        deadline = time.perf_counter() + timeout
        p = select.poll()
        p.register(self.master, select.POLLIN)
        while True:
            n = self._read_once()
            if n:
                t = time.perf_counter()
                # Only the new bytes (and a needle's length before them) need looking at.
                if self.keep.find(needle, max(start, len(self.keep) - n - len(needle))) >= 0:
                    return t
                continue
            if n is None:
                return None
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            p.poll(max(1, int(left * 1000)))

    def drain_quiet(self, quiet=0.2, timeout=5.0):
        """Reads until nothing came for `quiet` s (or timeout); keeps nothing."""
        self.keeping = False
        deadline = time.perf_counter() + timeout
        p = select.poll()
        p.register(self.master, select.POLLIN)
        while time.perf_counter() < deadline:
            n = self._read_once()
            if n:
                continue
            if n is None:
                break
            if not p.poll(int(quiet * 1000)):
                break
        self.keeping = True
        self.keep.clear()

    def write(self, data):
        while data:
            try:
                k = os.write(self.master, data)
            except BlockingIOError:
                select.select([], [self.master], [], 1)
                continue
            data = data[k:]


def percentile(xs, q):
    """q in [0, 100]; nearest-rank on the sorted samples."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = min(len(s) - 1, max(0, int(round(q / 100 * len(s) + 0.5)) - 1))
    return s[k]


def wait_ready(client, probe=b"#", timeout=15.0, every=0.5):
    """Types `probe` every `every` s until it comes back (the echo program behind the client is up),
    then drains until quiet. Returns True when it came back."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        client.clear_kept()
        client.write(probe)
        if client.read_until(probe, every) is not None:
            client.drain_quiet(0.3)
            return True
        if client.eof:
            return False
    return False


# ---------------------------------------------------------------- an echo program behind each tool

# Raw mode, no echo by the line discipline: every byte typed comes back once, as soon as cat reads it
# (VMIN=1), and unchanged (no output processing).
ECHO_CMD = "stty raw -echo; exec cat"
TOOLS_ATTACH = ("direct", "oly", "dtach", "tmux", "screen")


class EchoSession:
    """The echo program in a session of `tool`, and a client attached to it on an 80x24 PTY:

        direct  the echo program itself on the PTY (no session)
        oly     oly start --detach sh -c ECHO; oly attach ID
        dtach   dtach -n SOCK -E sh -c ECHO; dtach -a SOCK -E -r none
        tmux    tmux -S SOCK -f /dev/null new-session -d -x 80 -y 24 -s e ECHO; set -g status off; attach
        screen  screen -dmS NAME sh -c ECHO; screen -r NAME     (SCREENRC=/dev/null)

    .client is the PtyClient, .sid the oly session id, .sock the dtach/tmux socket, .name screen's."""

    def __init__(self, B, run, tool, daemon=None, tag="e"):
        self.B, self.run, self.tool, self.daemon = B, run, tool, daemon
        self.sid = self.sock = self.name = None
        self.client = None
        env = run.env
        if tool == "direct":
            argv = ["sh", "-c", ECHO_CMD]
        elif tool == "oly":
            r = daemon.oly("start", "--detach", "sh", "-c", ECHO_CMD)
            self.sid = r.stdout.strip().splitlines()[-1]
            argv, env = [B.OLY, "attach", self.sid], daemon.env
        elif tool == "dtach":
            self.sockdir = run.sub("dtach-" + tag)
            self.sock = os.path.join(self.sockdir, "s")
            run.run(["dtach", "-n", self.sock, "-E", "sh", "-c", ECHO_CMD])
            argv = ["dtach", "-a", self.sock, "-E", "-r", "none"]
        elif tool == "tmux":
            self.sock = os.path.join(run.dir, f"tmux-{tag}.sock")
            t = B.tmux_cmd(run, self.sock)
            run.run(t + ["new-session", "-d", "-x", "80", "-y", "24", "-s", "e", ECHO_CMD, ";",
                         "set", "-g", "status", "off"])
            argv = t + ["attach", "-t", "e"]
        elif tool == "screen":
            self.name = f"echo-{tag}"
            env = dict(run.env, SCREENRC="/dev/null")
            run.run(["screen", "-dmS", self.name, "sh", "-c", ECHO_CMD], env=env)
            # screen -dm returns before its socket exists
            deadline = time.time() + 10
            while time.time() < deadline and not [n for n in os.listdir(run.env["SCREENDIR"])
                                                  if n.endswith("." + self.name)]:
                time.sleep(0.02)
            argv = ["screen", "-r", self.name]
        else:
            raise ValueError(tool)
        self.env = env
        self.client = PtyClient(argv, env, rows=24, cols=80, reaper=run.reaper)
        if not wait_ready(self.client):
            tail = bytes(self.client.tail[-300:])
            self.close()
            raise RuntimeError(f"{tool}: the echo program never answered through the client ({tail!r})")

    def close(self):
        B, run = self.B, self.run
        if self.client:
            self.client.close()
            self.client = None
        if self.tool == "oly" and self.sid and self.daemon.alive():
            self.daemon.oly("stop", "--grace", "0", self.sid, check=False)
        elif self.tool == "dtach":
            B.dtach_kill(run, self.sockdir, B.Reaper())
        elif self.tool == "tmux":
            B.tmux_kill(run, self.sock, B.Reaper())
        elif self.tool == "screen":
            pids = []
            for n in os.listdir(run.env["SCREENDIR"]):
                if n.endswith("." + self.name):
                    pids.append(int(n.split(".")[0]))
                    try:
                        os.unlink(os.path.join(run.env["SCREENDIR"], n))
                    except OSError:
                        pass
            r = B.Reaper()
            r.add(pids + B.descendants_many(pids))
            r.kill_all()
