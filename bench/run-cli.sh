#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The oly CLI against dtach and tmux, side by side in one run (bench/bench_cli.py; see bench/README.md):
#   create   100 x `oly start --detach sleep 100000` vs `dtach -n` vs `tmux new -d`
#   send     `oly send ID x` vs `dtach -p` until an attached client shows the byte (p50/p99)
#   startup  `oly --help`, `oly ls --limit 1`, `oly send ID x` vs /bin/true and `dtach --help`
#   daemon   CreateSession and SendInput per call on one open connection (p50/p99)
# The contenders alternate inside each round, 5 rounds (--quick: 3, fewer samples); medians, ratios.
# Usage: bench/run-cli.sh [--quick] [--out DIR] [--build DIR | DIR] [create] [send] [startup] [daemon]
# The build folder: --build DIR, a bare DIR, or $OLY_BUILD_DIR (default: build/ next to bench/).
# Bounded (timeout 600 s) and cleans up what it started. Never asserts: the exit status is non-zero
# only if the benchmark could not run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_init run-cli.sh 12 create send startup daemon -- "$@"
bench_need_build src/cli/oly src/daemon/oly-daemon
bench_warn_missing tmux dtach hyperfine

if [ $quick = 1 ]; then
        args=(--rounds 3 --sends 50 --startup-runs 50 --calls 200)
else
        args=(--rounds 5 --sends 100 --startup-runs 100 --calls 500)
fi
parts=$(IFS=,; echo "${which[*]}")

bench_header "oly CLI vs peers"
bench_run cli 600 "$py" "$here/bench_cli.py" "${args[@]}" --parts "$parts" --json "$out/cli.json"
bench_finish
