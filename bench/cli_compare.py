#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Two oly builds compared call by call, interleaved (on a busy machine, hyperfine's back-to-back runs
drift more than the difference): 'oly --help', 'oly ls --limit 1' and /bin/true N times each, then
100 x 'oly start --detach sleep 100000' from each, against one private daemon (AFTER's oly-daemon).

    /usr/bin/python3 bench/cli_compare.py BEFORE_BINDIR AFTER_BINDIR [N]
Each BINDIR holds an oly (AFTER's also oly-daemon); N defaults to 500."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def timed(argv):
    t = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)])
    os.waitpid(pid, 0)
    return time.perf_counter() - t


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    before, after = (os.path.join(d, "oly") for d in sys.argv[1:3])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    d = tempfile.mkdtemp(prefix="ob-cmp-", dir="/tmp")
    for k in ("DBUS_SESSION_BUS_ADDRESS", "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
        os.environ.pop(k, None)
    os.environ.update(OLY_STATE_DIR=f"{d}/s", OLY_RUNTIME_DIR=f"{d}/r", XDG_RUNTIME_DIR=f"{d}/r",
                      OLY_DAEMON=os.path.join(sys.argv[2], "oly-daemon"), OLYBENCH_RUN=d)
    try:
        subprocess.run([after, "daemon", "start", "--detach", "--no-http"], check=True, capture_output=True)
        subprocess.run([after, "start", "--detach", "true"], check=True, capture_output=True)
        cases = {"true": ["/bin/true"],
                 "help-before": [before, "--help"], "help-after": [after, "--help"],
                 "ls-before": [before, "ls", "--limit", "1"], "ls-after": [after, "ls", "--limit", "1"]}
        res = {k: [] for k in cases}
        for _ in range(n):
            for k, argv in cases.items():
                res[k].append(timed(argv))
        for _ in range(100):
            for k, oly in (("start-before", before), ("start-after", after)):
                res.setdefault(k, []).append(timed([oly, "start", "--detach", "sleep", "100000"]))
        for k, v in res.items():
            print(f"{k:>12}: median {statistics.median(v) * 1e3:6.3f} ms ({len(v)} calls)")
    finally:
        subprocess.run([after, "daemon", "stop", "--grace", "0"], capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
