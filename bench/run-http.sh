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
. "$here/lib.sh"
bench_init run-http.sh 10 wrk ws sse -- "$@"
bench_need_build src/cli/oly src/daemon/oly-daemon src/http/oly-http
bench_warn_missing wrk
"$py" -c 'import websocket' 2>/dev/null || echo "run-http.sh: python3-websocket is missing (apt-get install -y python3-websocket): ws-lib is skipped" >&2

# 500 SSE clients need 500+ descriptors in the benchmark, oly-daemon and oly-http (they inherit
# this limit through `oly daemon start`).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open-file limit: $(ulimit -n) (hard $(ulimit -Hn))"

if [ $quick = 1 ]; then
        wrk_args=(--seconds 3 --rounds 1) ws_args=(--rounds 1 --bytes 7500000) sse_args=(--clients 500 --sessions 5)
else
        wrk_args=(--seconds 10 --rounds 3) ws_args=(--rounds 3) sse_args=(--clients 500 --sessions 20)
fi

bench_header "oly-http benchmarks"
for b in "${which[@]}"; do
        case "$b" in
        wrk) cmd=("$py" "$here/bench_http_wrk.py" "${wrk_args[@]}" --json "$out/http-wrk.json") ;;
        ws)  cmd=("$py" "$here/bench_http_ws.py" "${ws_args[@]}" --json "$out/http-ws.json") ;;
        sse) cmd=("$py" "$here/bench_http_sse.py" "${sse_args[@]}" --json "$out/http-sse.json") ;;
        esac
        bench_run "$b" 900 "${cmd[@]}"
done
bench_finish
