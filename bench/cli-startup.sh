#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The cost of one oly call: 'oly --help' and 'oly ls --limit 1' against /bin/true, and 100 calls of
# 'oly start --detach sleep 100000', with hyperfine (medians). A private daemon in a fresh mktemp -d folder.
#
#   bench/cli-startup.sh [BINDIR]   BINDIR holds oly and oly-daemon (default: the build tree's)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${OLY_BUILD_DIR:-$here/build}
bindir=${1:-}
command -v hyperfine >/dev/null || { echo "cli-startup: hyperfine is not installed" >&2; exit 1; }

dir=$(mktemp -d)
if [ -n "$bindir" ]; then
        cp "$bindir/oly" "$bindir/oly-daemon" "$bindir/oly-keeper" "$dir/"
else
        cp "$build/src/cli/oly" "$build/src/daemon/oly-daemon" "$build/src/keeper/oly-keeper" "$dir/"
fi
export OLY_STATE_DIR=$dir/state OLY_RUNTIME_DIR=$dir/run OLY_DAEMON=$dir/oly-daemon OLYBENCH_RUN=$dir
export XDG_RUNTIME_DIR=$dir/run
unset DBUS_SESSION_BUS_ADDRESS NOTIFY_SOCKET LISTEN_FDS LISTEN_PID LISTEN_FDNAMES
oly=$dir/oly

cleanup() {
        "$oly" daemon stop --grace 0 >/dev/null 2>&1 || true
        rm -rf "$dir"
}
trap cleanup EXIT

"$oly" daemon start --detach --no-http >/dev/null 2>&1
"$oly" start --detach true >/dev/null 2>&1

hyperfine -N --warmup 20 --runs 300 --style basic --export-json "$dir/startup.json" \
        -n true /bin/true -n help "$oly --help" -n ls "$oly ls --limit 1" >/dev/null 2>&1
hyperfine -N --warmup 3 --runs 100 --style basic --export-json "$dir/start.json" \
        -n start "$oly start --detach sleep 100000" >/dev/null 2>&1
/usr/bin/python3 - "$dir/startup.json" "$dir/start.json" <<'EOF'
import json, sys
for f in sys.argv[1:]:
    for r in json.load(open(f))["results"]:
        print(f"{r['command']:>6}: median {r['median'] * 1e3:7.3f} ms  (mean {r['mean'] * 1e3:.3f} ± "
              f"{r['stddev'] * 1e3:.3f} ms, {len(r['times'])} runs)")
EOF
