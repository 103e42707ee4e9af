#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs oly's data-plane benchmarks (see bench/README.md) and prints their figures:
#   1. bench_throughput.py  output through an attached 80x24 client: oly vs direct, dtach, tmux, screen
#   2. bench_echo.py        keystroke echo latency through an attached client (added over a direct PTY)
#   3. bench_send.py        oly send -> seen on an attached client; 1000 sends under an output flood
#   4. bench_logs.py        oly logs --tail 40/400 on a 1 GiB log
# Usage: bench/run-dataplane.sh [--quick] [--out DIR] [throughput] [echo] [send] [logs]
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
        throughput|echo|send|logs) which+=("$1") ;;
        -h|--help) sed -n '3,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run-dataplane.sh: unknown argument '$1'" >&2; exit 2 ;;
        esac
        shift
done
[ ${#which[@]} -eq 0 ] && which=(throughput echo send logs)

if [ ! -x "$here/../build/src/cli/oly" ] || [ ! -x "$here/../build/src/daemon/oly-daemon" ]; then
        echo "run-dataplane.sh: build oly first: ninja -C build" >&2
        exit 1
fi
for t in tmux screen dtach hyperfine; do
        command -v "$t" >/dev/null || echo "run-dataplane.sh: $t is missing (apt-get install -y tmux screen dtach hyperfine); its figures are skipped" >&2
done

tmpout=""
if [ -z "$out" ]; then
        tmpout=$(mktemp -d /tmp/ob-out-XXXXXX)
        out=$tmpout
fi
mkdir -p "$out"

if [ $quick = 1 ]; then
        thr_args=(--rounds 1 --cmd yes) echo_args=(--samples 300 --rounds 1) send_args=(--sends 100 --flood 200)
        logs_args=(--size 100M --runs 10)
else
        thr_args=(--rounds 3) echo_args=(--samples 1000 --rounds 3) send_args=(--sends 500 --flood 1000)
        logs_args=(--size 1G --runs 20)
fi

rc=0
echo "oly data-plane benchmarks — $(date -u +%Y-%m-%dT%H:%M:%SZ) — $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo '?') — load: $(cut -d' ' -f1-3 /proc/loadavg)"
for b in "${which[@]}"; do
        case "$b" in
        throughput) cmd=("$py" "$here/bench_throughput.py" "${thr_args[@]}" --json "$out/throughput.json") ;;
        echo)       cmd=("$py" "$here/bench_echo.py" "${echo_args[@]}" --json "$out/echo.json") ;;
        send)       cmd=("$py" "$here/bench_send.py" "${send_args[@]}" --json "$out/send.json") ;;
        logs)       cmd=("$py" "$here/bench_logs.py" "${logs_args[@]}" --json "$out/logs.json") ;;
        esac
        # SIGTERM on timeout: the benchmark cleans up what it started before leaving.
        timeout -k 30 900 "${cmd[@]}" || { echo "run-dataplane.sh: $b failed or timed out (status $?)" >&2; rc=1; }
        echo "(load after $b: $(cut -d' ' -f1-3 /proc/loadavg))"
done
if [ -n "$tmpout" ]; then
        rm -rf "$tmpout"
else
        echo "JSON figures in $out"
fi
exit $rc
