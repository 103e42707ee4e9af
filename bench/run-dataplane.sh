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
. "$here/lib.sh"
bench_init run-dataplane.sh 10 throughput echo send logs -- "$@"
bench_need_build src/cli/oly src/daemon/oly-daemon
bench_warn_missing tmux screen dtach hyperfine

if [ $quick = 1 ]; then
        thr_args=(--rounds 1 --cmd yes) echo_args=(--samples 300 --rounds 1) send_args=(--sends 100 --flood 200)
        logs_args=(--size 100M --runs 10)
else
        thr_args=(--rounds 3) echo_args=(--samples 1000 --rounds 3) send_args=(--sends 500 --flood 1000)
        logs_args=(--size 1G --runs 20)
fi

bench_header "oly data-plane benchmarks"
for b in "${which[@]}"; do
        case "$b" in
        throughput) cmd=("$py" "$here/bench_throughput.py" "${thr_args[@]}" --json "$out/throughput.json") ;;
        echo)       cmd=("$py" "$here/bench_echo.py" "${echo_args[@]}" --json "$out/echo.json") ;;
        send)       cmd=("$py" "$here/bench_send.py" "${send_args[@]}" --json "$out/send.json") ;;
        logs)       cmd=("$py" "$here/bench_logs.py" "${logs_args[@]}" --json "$out/logs.json") ;;
        esac
        bench_run "$b" 900 "${cmd[@]}"
done
bench_finish
