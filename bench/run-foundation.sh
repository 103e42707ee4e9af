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
py=/usr/bin/python3   # Debian's python (the first python3 on PATH may be another build)
quick=0 out="" which=()
while [ $# -gt 0 ]; do
        case "$1" in
        --quick) quick=1 ;;
        --out) out=$2; shift ;;
        create|rss|ls) which+=("$1") ;;
        -h|--help) sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run-foundation.sh: unknown argument '$1'" >&2; exit 2 ;;
        esac
        shift
done
[ ${#which[@]} -eq 0 ] && which=(create rss ls)

if [ ! -x "$here/../build/src/cli/oly" ] || [ ! -x "$here/../build/src/daemon/oly-daemon" ]; then
        echo "run-foundation.sh: build oly first: ninja -C build" >&2
        exit 1
fi
for t in tmux screen dtach hyperfine; do
        command -v "$t" >/dev/null || echo "run-foundation.sh: $t is missing (apt-get install -y tmux screen dtach hyperfine); its figures are skipped" >&2
done

tmpout=""
if [ -z "$out" ]; then
        tmpout=$(mktemp -d /tmp/ob-out-XXXXXX)
        out=$tmpout
fi
mkdir -p "$out"

if [ $quick = 1 ]; then
        create_args=(--rounds 3) rss_args=(--rounds 1) ls_args=(--runs 20)
else
        create_args=(--rounds 5) rss_args=(--rounds 3) ls_args=(--runs 50)
fi

rc=0
echo "oly foundation benchmarks — $(date -u +%Y-%m-%dT%H:%M:%SZ) — $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo '?')"
for b in "${which[@]}"; do
        case "$b" in
        create) cmd=("$py" "$here/bench_create.py" "${create_args[@]}" --json "$out/create.json") ;;
        rss)    cmd=("$py" "$here/bench_rss.py" "${rss_args[@]}" --json "$out/rss.json") ;;
        ls)     cmd=("$py" "$here/bench_ls.py" "${ls_args[@]}" --json "$out/ls.json") ;;
        esac
        # SIGTERM on timeout: the benchmark cleans up what it started before leaving.
        timeout -k 30 600 "${cmd[@]}" || { echo "run-foundation.sh: $b failed or timed out (status $?)" >&2; rc=1; }
done
if [ -n "$tmpout" ]; then
        rm -rf "$tmpout"
else
        echo "JSON figures in $out"
fi
exit $rc
