#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs oly's foundation benchmarks (see bench/README.md) and prints their figures:
#   1. bench_create.py  create 100 detached sessions: oly vs dtach, tmux, screen
#   2. bench_rss.py     memory with 1, 100, 1000 idle sessions: oly vs tmux, dtach, screen
#   3. bench_ls.py      oly ls with 100,000 stored sessions
# Usage: bench/run-foundation.sh [--quick] [--out DIR] [create] [rss] [ls]
# Each benchmark is bounded (timeout) and cleans up what it started. Never asserts: exit status
# is non-zero only if a benchmark could not run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_init run-foundation.sh 9 create rss ls -- "$@"
bench_need_build src/cli/oly src/daemon/oly-daemon
bench_warn_missing tmux screen dtach hyperfine

if [ $quick = 1 ]; then
        create_args=(--rounds 3) rss_args=(--rounds 1) ls_args=(--runs 20)
else
        create_args=(--rounds 5) rss_args=(--rounds 3) ls_args=(--runs 50)
fi

bench_header "oly foundation benchmarks"
for b in "${which[@]}"; do
        case "$b" in
        create) cmd=("$py" "$here/bench_create.py" "${create_args[@]}" --json "$out/create.json") ;;
        rss)    cmd=("$py" "$here/bench_rss.py" "${rss_args[@]}" --json "$out/rss.json") ;;
        ls)     cmd=("$py" "$here/bench_ls.py" "${ls_args[@]}" --json "$out/ls.json") ;;
        esac
        bench_run "$b" 600 "${cmd[@]}"
done
bench_finish
