# SPDX-License-Identifier: LGPL-2.1-or-later
"""Running a program on a real pseudo-terminal of a known size, the way a user's terminal would.

PtyProc spawns argv in a new session whose controlling terminal is the slave side of a fresh PTY
(so resizing the master sends SIGWINCH, as a terminal emulator does), reads everything the program
writes on a background thread, and lets a test type keys, resize, signal and wait."""
import fcntl
import os
import re
import signal
import struct
import termios
import threading
import time


def set_winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def get_winsize(fd):
    rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    return rows, cols


class PtyProc:
    """argv on a new PTY of rows x cols. Its stdin, stdout and stderr are the PTY's slave side."""

    def __init__(self, argv, env=None, rows=24, cols=80):
        self.argv = [str(a) for a in argv]
        self.master, slave = os.openpty()
        set_winsize(self.master, rows, cols)
        self.initial_termios = termios.tcgetattr(self.master)
        name = os.ttyname(slave)
        # setsid first (posix_spawn applies it before the file actions), then opening the slave by name
        # makes it the new session's controlling terminal.
        actions = [(os.POSIX_SPAWN_OPEN, 0, name, os.O_RDWR, 0),
                   (os.POSIX_SPAWN_DUP2, 0, 1),
                   (os.POSIX_SPAWN_DUP2, 0, 2)]
        try:
            self.pid = os.posix_spawnp(self.argv[0], self.argv, dict(env if env is not None else os.environ),
                                       file_actions=actions, setsid=True)
        finally:
            os.close(slave)
        self.returncode = None
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._eof = False
        self._paused = False
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()

    # ---- output ----

    def _reader(self):
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: every slave fd is closed
                data = b""
            with self._cond:
                if not data:
                    self._eof = True
                    self._cond.notify_all()
                    return
                self._buf += data
                self._cond.notify_all()

    def output(self):
        with self._cond:
            return bytes(self._buf)

    def __len__(self):
        with self._cond:
            return len(self._buf)

    def wait_for(self, needle, timeout=20, start=0, what=None):
        """Waits until the output (from byte start on) contains needle (bytes, str or a compiled
        bytes regex); returns the index just past its first occurrence."""
        if isinstance(needle, str):
            needle = needle.encode()
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if isinstance(needle, re.Pattern):
                    m = needle.search(self._buf, start)
                    if m:
                        return m.end()
                else:
                    i = self._buf.find(needle, start)
                    if i >= 0:
                        return i + len(needle)
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    tail = bytes(self._buf[-3000:])
                    raise AssertionError(f"{'EOF' if self._eof else f'timed out after {timeout}s'} waiting for "
                                         f"{what or needle!r} from {self.argv}; output ends with {tail!r}")
                self._cond.wait(min(left, 0.5))

    def wait_eof(self, timeout=20):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for {self.argv} to close its terminal; "
                                         f"output ends with {bytes(self._buf[-3000:])!r}")
                self._cond.wait(min(left, 0.5))
            return bytes(self._buf)

    # ---- input and control ----

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        while data:
            n = os.write(self.master, data)
            data = data[n:]

    def resize(self, rows, cols):
        """Like a terminal emulator's window changing size: the kernel sends SIGWINCH to the foreground job."""
        set_winsize(self.master, rows, cols)

    def tcgetattr(self):
        """The terminal settings of the slave side (on Linux the master reports its slave's)."""
        return termios.tcgetattr(self.master)

    def kill(self, sig=signal.SIGTERM):
        os.kill(self.pid, sig)

    def poll(self):
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout=20):
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {self.argv} to exit; "
                                     f"output ends with {self.output()[-3000:]!r}")
            time.sleep(0.02)
        return self.returncode

    def close(self):
        if self.poll() is None:
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(self.pid, sig)
                except ProcessLookupError:
                    pass
            try:
                self.wait(10)
            except AssertionError:
                pass
        self._thread.join(5)
        try:
            os.close(self.master)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def crlf(b):
    """What a PTY with onlcr makes of b: every \\n as \\r\\n."""
    return b.replace(b"\n", b"\r\n")


def render(data, rows=24, cols=80):
    """Feeds bytes to a fresh pyte terminal of rows x cols; returns the pyte Screen."""
    import pyte
    screen = pyte.Screen(cols, rows)
    pyte.ByteStream(screen).feed(data)
    return screen


# A session program that puts its terminal in raw mode and reports every byte it reads as "<xx>".
# With the argument "app" it first switches the terminal to application cursor-key mode (DECCKM).
HEX_READER = r"""
import os, sys, tty
if "app" in sys.argv[1:]:
    os.write(1, b"\033[?1h")
tty.setraw(0)
os.write(1, b"reader-ready\r\n")
while True:
    b = os.read(0, 4096)
    if not b:
        break
    os.write(1, "".join("<%02x>" % c for c in b).encode())
"""


def hex_tokens(log):
    """The bytes a HEX_READER session reported reading, as a list of two-digit hex strings."""
    i = log.find(b"reader-ready\r\n")
    assert i >= 0, f"the reader never got ready: {log!r}"
    return [t.decode() for t in re.findall(rb"<([0-9a-f]{2})>", log[i:])]
