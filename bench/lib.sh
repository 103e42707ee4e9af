# SPDX-License-Identifier: LGPL-2.1-or-later
# The harness the bench/run-*.sh scripts share: arguments, the build check, the output folder, running
# each benchmark bounded by a timeout, and the exit status (non-zero only if a benchmark could not run).
# Source it, then call bench_init, bench_need_build, bench_run ... and bench_finish.

py=/usr/bin/python3   # Debian's python (the first python3 on PATH may be another build)

# bench_init NAME HELP_LAST_LINE KNOWN... -- "$@": parses --quick, --out DIR, --build DIR (or a bare
# build folder: exported as OLY_BUILD_DIR, which the Python benchmarks read), -h and benchmark names
# (KNOWN; none given: all of them) into $quick, $out, $which, and makes the output folder.
bench_init() {
        bench_name=$1 help_last=$2
        shift 2
        local known=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do
                known+=("$1")
                shift
        done
        shift
        quick=0 out="" which=() bench_rc=0 bench_tmpout=""
        while [ $# -gt 0 ]; do
                case "$1" in
                --quick) quick=1 ;;
                --out) out=$2; shift ;;
                --build) OLY_BUILD_DIR=$(cd "$2" && pwd) || exit 2; export OLY_BUILD_DIR; shift ;;
                -h|--help) sed -n "3,${help_last}p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
                *)
                        if [ -x "$1/src/cli/oly" ]; then   # a build folder given as it is
                                OLY_BUILD_DIR=$(cd "$1" && pwd); export OLY_BUILD_DIR
                                shift
                                continue
                        fi
                        if [[ " ${known[*]} " != *" $1 "* ]]; then
                                echo "$bench_name: unknown argument '$1'" >&2
                                exit 2
                        fi
                        which+=("$1") ;;
                esac
                shift
        done
        [ ${#which[@]} -eq 0 ] && which=("${known[@]}")
        if [ -z "$out" ]; then
                bench_tmpout=$(mktemp -d /tmp/ob-out-XXXXXX)   # mktemp's template: six X are required
                out=$bench_tmpout
        fi
        mkdir -p "$out"
}

# bench_need_build BINARY...: the built binaries (relative to the build folder) must exist.
bench_need_build() {
        local b=${OLY_BUILD_DIR:-$here/../build} f
        for f; do
                if [ ! -x "$b/$f" ]; then
                        echo "$bench_name: $b/$f is missing: build oly first (meson compile -C build)" >&2
                        exit 1
                fi
        done
}

# bench_warn_missing TOOL...: say which comparison tools are missing (their figures are skipped).
bench_warn_missing() {
        local t
        for t; do
                command -v "$t" >/dev/null ||
                        echo "$bench_name: $t is missing (apt-get install -y $t); its figures are skipped" >&2
        done
}

bench_header() {
        local b=${OLY_BUILD_DIR:-$here/../build}
        echo "$1 — $(date -u +%Y-%m-%dT%H:%M:%SZ) — $(git -C "$b" rev-parse --short HEAD 2>/dev/null || echo '?') ($b) — load: $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_run LABEL SECONDS CMD...: SIGTERM on timeout (the benchmark cleans up what it started).
bench_run() {
        local label=$1 limit=$2
        shift 2
        timeout -k 30 "$limit" "$@" || { echo "$bench_name: $label failed or timed out (status $?)" >&2; bench_rc=1; }
        echo "(load after $label: $(cut -d' ' -f1-3 /proc/loadavg))"
}

bench_finish() {
        if [ -n "$bench_tmpout" ]; then
                rm -rf "$bench_tmpout"
        else
                echo "JSON figures in $out"
        fi
        exit $bench_rc
}
