#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs oly-http's benchmarks (see bench/README.md, "HTTP (oly-http)") and prints their figures:
#   1. bench_http_wrk.py  wrk on GET /api/health (keep-alive -c16/-c64, Connection: close) and on
#                         GET /api/sessions?limit=50 with a Bearer token and 100 sessions
#   2. bench_http_ws.py   ~100 MB of output through a WebSocket attach vs `oly attach`
#   3. bench_http_sse.py  GET /api/events fanned out to 500 clients: session.created latency
# Usage: bench/run-http.sh [--quick] [--out DIR] [wrk] [ws] [sse]
# Each benchmark is bounded (timeout) and cleans up what it started. Never asserts: exit status
# is non-zero only if a benchmark could not run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3   # Debian's python (the first python3 on PATH may be another build)
quick=0 out="" which=()
while [ $# -gt 0 ]; do
        case "$1" in
        --quick) quick=1 ;;
        --out) out=$2; shift ;;
        wrk|ws|sse) which+=("$1") ;;
        -h|--help) sed -n '3,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run-http.sh: unknown argument '$1'" >&2; exit 2 ;;
        esac
        shift
done
[ ${#which[@]} -eq 0 ] && which=(wrk ws sse)

b=${OLY_BUILD_DIR:-$here/../build}
for f in src/cli/oly src/daemon/oly-daemon src/http/oly-http; do
        if [ ! -x "$b/$f" ]; then
                echo "run-http.sh: $b/$f is missing: build oly first (meson compile -C build)" >&2
                exit 1
        fi
done
command -v wrk >/dev/null || echo "run-http.sh: wrk is missing (apt-get install -y wrk): the wrk benchmark cannot run" >&2
"$py" -c 'import websocket' 2>/dev/null || echo "run-http.sh: python3-websocket is missing (apt-get install -y python3-websocket): ws-lib is skipped" >&2

# 500 SSE clients need 500+ descriptors in the benchmark, oly-daemon and oly-http (they inherit
# this limit through `oly daemon start`).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open-file limit: $(ulimit -n) (hard $(ulimit -Hn))"

tmpout=""
if [ -z "$out" ]; then
        tmpout=$(mktemp -d /tmp/ob-out-XXXXXX)
        out=$tmpout
fi
mkdir -p "$out"

if [ $quick = 1 ]; then
        wrk_args=(--seconds 3 --rounds 1) ws_args=(--rounds 1 --bytes 7500000) sse_args=(--clients 500 --sessions 5)
else
        wrk_args=(--seconds 10 --rounds 3) ws_args=(--rounds 3) sse_args=(--clients 500 --sessions 20)
fi

rc=0
echo "oly-http benchmarks — $(date -u +%Y-%m-%dT%H:%M:%SZ) — $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo '?') — load: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in "${which[@]}"; do
        case "$t" in
        wrk) cmd=("$py" "$here/bench_http_wrk.py" "${wrk_args[@]}" --json "$out/http-wrk.json") ;;
        ws)  cmd=("$py" "$here/bench_http_ws.py" "${ws_args[@]}" --json "$out/http-ws.json") ;;
        sse) cmd=("$py" "$here/bench_http_sse.py" "${sse_args[@]}" --json "$out/http-sse.json") ;;
        esac
        # SIGTERM on timeout: the benchmark cleans up what it started before leaving.
        timeout -k 30 900 "${cmd[@]}" || { echo "run-http.sh: $t failed or timed out (status $?)" >&2; rc=1; }
        echo "(load after $t: $(cut -d' ' -f1-3 /proc/loadavg))"
done
if [ -n "$tmpout" ]; then
        rm -rf "$tmpout"
else
        echo "JSON figures in $out"
fi
exit $rc
