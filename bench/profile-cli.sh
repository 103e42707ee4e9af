#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Where the time of one CreateSession (in the daemon) and of one `oly send ID x` (end to end) goes.
# Needs root, perf (linux-perf) with uprobes and tracefs; see bench/README.md "Profile".
#   1. CreateSession per call (bench/create-client.c, N calls on a fresh daemon), with and without
#      the entry probes, alternating, 3 rounds: the probes' own cost per hit.
#   2. A timeline of one CreateSession: uprobes on the entries of the daemon's and the libraries'
#      functions along the way (entry probes only: a return probe costs ~80 µs on this VM), median
#      time from one to the next over N calls (bench/uprobe_spans.py).
#   3. perf record -a -g (cpu-clock) over N creates: the daemon's kernel time by system call.
#   4. perf trace -p DAEMON over N creates: the phases of one create, told apart by the system calls
#      that open them (bench/trace_phases.py), median wall time and system calls per phase.
#   5. `oly send ID x` x N: uprobes in the CLI (main, connect, the call) and the daemon (SendInput),
#      from exec to exit.
# Usage: bench/profile-cli.sh [--build DIR | DIR] [N (default 200)]
# Starts its own daemon in a fresh mktemp -d folder, removes its probes and stops what it started (by
# pid) at the end. Prints figures; never asserts.
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
n=200
b=${OLY_BUILD_DIR:-$here/../build}
while [ $# -gt 0 ]; do
        case "$1" in
        --build) b=$2; shift ;;
        -h|--help) sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) if [ -d "$1" ]; then b=$1; else n=$1; fi ;;
        esac
        shift
done
b=$(cd "$b" && pwd) || exit 2
for t in perf cc; do command -v $t >/dev/null || { echo "profile-cli.sh: $t is missing" >&2; exit 1; }; done
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null

w=$(mktemp -d)
mkdir -p "$w/bin"
cp "$b/src/cli/oly" "$b/src/daemon/oly-daemon" "$b/src/keeper/oly-keeper" "$w/bin/" || exit 1
flags=$(pkg-config --cflags --libs libsystemd)
cc -O2 -o "$w/create-client" "$here/create-client.c" $flags && cc -O2 -o "$w/send-client" "$here/send-client.c" $flags || exit 1
export OLY_STATE_DIR=$w/s OLY_RUNTIME_DIR=$w/r OLY_DAEMON=$w/bin/oly-daemon XDG_RUNTIME_DIR=$w OLYBENCH_RUN=$w
unset DBUS_SESSION_BUS_ADDRESS NOTIFY_SOCKET
D=$w/bin/oly-daemon C=$w/bin/oly
LIBC=$(ldd "$D" | awk '/libc.so/ {print $3}') LIBSD=$(ldd "$D" | awk '/libsystemd.so/ {print $3}')
dpid="" perfpid=""

start_daemon() {
        rm -rf "$w/s" && mkdir -p "$w/s" && echo '{"max_running_sessions": 5000}' >"$w/s/config.json"
        dpid=$("$C" daemon start --detach --no-http | sed -n 's/.*pid \([0-9]*\).*/\1/p')
        [ -n "$dpid" ] || { echo "profile-cli.sh: the daemon did not start" >&2; exit 1; }
}
stop_daemon() {
        [ -n "$dpid" ] || return 0
        "$C" daemon stop --grace 0 >/dev/null 2>&1
        for _ in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.05; done
        kill -0 "$dpid" 2>/dev/null && kill -9 "$dpid"
        dpid=""
}
cleanup() {
        [ -n "$perfpid" ] && kill -INT "$perfpid" 2>/dev/null
        stop_daemon
        perf probe -q -d 'obprof:*' 2>/dev/null
        rm -rf "$w"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

probe() { # probe NAME BINARY FUNC [ret]
        perf probe -q -x "$2" --add "obprof:$1=$3" || echo "profile-cli.sh: cannot probe $3 in $2" >&2
        [ "${4:-}" = ret ] && { perf probe -q -x "$2" --add "obprof:$1_r=$3%return" || echo "profile-cli.sh: cannot probe $3%return" >&2; }
}
p50() { awk '{printf "%.0f", $2 * 1e6}'; }

echo "== profile: CreateSession and oly send — $(date -u +%Y-%m-%dT%H:%M:%SZ) — $(git -C "$b" rev-parse --short HEAD 2>/dev/null) ($b) — load: $(cut -d' ' -f1-3 /proc/loadavg)"
perf probe -q -d 'obprof:*' 2>/dev/null
# The daemon's path through CreateSession (entries only, in call order).
probe d_method_create_session "$D" method_create_session ret
probe d_session_spawn "$D" session_spawn
probe d_db_session_get "$D" db_session_get
probe d_db_session_insert "$D" db_session_insert
probe d_manager_session_started "$D" manager_session_started
probe s_sd_bus_emit_signal "$LIBSD" sd_bus_emit_signal
probe s_sd_notifyf "$LIBSD" sd_notifyf
probe c_posix_openpt "$LIBC" posix_openpt
probe c_ptsname "$LIBC" ptsname_r
probe d_find_executable "$D" find_executable
probe c_posix_spawn "$LIBC" posix_spawn
probe d_db_session_update "$D" db_session_update
probe s_sd_event_add_child "$LIBSD" sd_event_add_child
probe s_sd_event_add_time "$LIBSD" sd_event_add_time
probe d_session_open_files "$D" session_open_files
probe d_log_internal "$D" log_internal
probe s_sd_bus_reply_method_return "$LIBSD" sd_bus_reply_method_return

echo
echo "## 1. CreateSession per call, $n calls on a fresh daemon, without / with the $(perf probe -l 2>/dev/null | grep -c obprof) probes (3 rounds, alternating)"
for r in 1 2 3; do
        start_daemon
        echo "  without: p50 $("$w/create-client" "$n" | p50) µs"
        stop_daemon
        start_daemon
        perf record -q -i -o "$w/p1.data" -e 'obprof:*' -p "$dpid" >/dev/null 2>&1 &
        perfpid=$!
        sleep 1
        echo "  with:    p50 $("$w/create-client" "$n" | p50) µs"
        kill -INT $perfpid; wait $perfpid 2>/dev/null; perfpid=""
        stop_daemon
done

echo
echo "## 2. Timeline of one CreateSession (the last round above; probe-to-probe medians, each including ~one probe's cost)"
perf script -i "$w/p1.data" -F tid,time,event 2>/dev/null | "$py" "$here/uprobe_spans.py" --root d_method_create_session --timeline | sed -n '/^timeline/,$p'

echo
echo "## 3. perf record -a -g -e cpu-clock over $n creates: the daemon's (and its spawned children's, until exec) samples"
echo "##    (no hardware counters in a VM: the timer samples may bunch up where interrupts are re-enabled, e.g. at"
echo "##    the end of a page fault; \`perf record -e page-faults -c 1\` showed ~1 fault per create in the daemon)"
start_daemon
perf record -q -a -g -F 4000 -e cpu-clock -o "$w/p3.data" -- "$w/create-client" "$n" >/dev/null 2>&1
dsh=$(perf report -i "$w/p3.data" --no-children --stdio --sort comm 2>/dev/null | awk '$2 == "oly-daemon" {print $1 + 0}')
echo "  the daemon's share of all samples (2 CPUs, other work included): ${dsh}%"
echo "  its samples by entry point, children included, as % of the daemon's own samples:"
perf report -i "$w/p3.data" --children --comm oly-daemon --stdio --sort sym -g none 2>/dev/null |
        grep -E '\] (__x64_sys_|__do_sys_clone3|__spawni_child|asm_exc_page_fault|sqlite3_step|sd_bus_process|sd_event_run|sd_event_dispatch)' |
        awk -v t="$dsh" '{ printf "  %5.1f%%  %s\n", 100 * ($1 + 0) / t, $NF }' | head -25
stop_daemon

echo
echo "## 4. perf trace -p DAEMON over $n creates: the phases of one create by the system calls that open them"
start_daemon
"$w/create-client" 5 >/dev/null
perf trace --no-inherit -p "$dpid" -o "$w/trace.txt" >/dev/null 2>&1 &
perfpid=$!
sleep 2
"$w/create-client" "$n" >/dev/null
sleep 0.5
kill -INT $perfpid; wait $perfpid 2>/dev/null; perfpid=""
"$py" "$here/trace_phases.py" "$w/trace.txt" | sed 's/^/  /'
# The vfork wait alone, untraced: only clone3's entry and exit, recorded system-wide (no inheritance).
perf record -q -a -o "$w/p4.data" -e syscalls:sys_enter_clone3 -e syscalls:sys_exit_clone3 -- "$w/create-client" "$n" >/dev/null 2>&1
perf script -i "$w/p4.data" -F tid,time,event 2>/dev/null |
        awk -v d="$dpid" '$1 == d && /sys_enter_clone3/ {s = $2 + 0} $1 == d && /sys_exit_clone3/ && s {print ($2 - s) * 1e6; s = 0}' |
        sort -n | awk '{a[NR] = $1} END {if (NR) printf "  clone3 in the daemon (the vfork wait), %d more creates, no other tracing: min %.0f, p50 %.0f, p90 %.0f µs\n", NR, a[1], a[int(NR / 2)], a[int(NR * 0.9)]}'
stop_daemon

echo
echo "## 5. oly send ID x, $n times: exec (sched_process_exec) -> CLI probes -> daemon's SendInput -> exit"
perf probe -q -d 'obprof:*' 2>/dev/null
probe c_main "$C" main
probe c_oly_bus_open_daemon "$C" oly_bus_open_daemon ret
probe c_send_call "$C" send_call ret
probe d_method_send_input "$D" method_send_input
start_daemon
sid=$("$C" start --detach sh -c 'stty raw -echo; exec cat >/dev/null' | tail -1)
sleep 0.3
"$C" send "$sid" x
perf record -q -a -o "$w/p5.data" -e 'obprof:*' -e sched:sched_process_exec --filter "filename ~ \"$w/*\"" \
        -e sched:sched_process_exit --filter 'comm == "oly"' >/dev/null 2>&1 &
perfpid=$!
sleep 1
for _ in $(seq "$n"); do "$C" send "$sid" x; done
kill -INT $perfpid; wait $perfpid 2>/dev/null; perfpid=""
perf script -i "$w/p5.data" -F tid,time,event 2>/dev/null | "$py" "$here/uprobe_spans.py" --root process --timeline --global | sed -n '/^timeline/,$p'
echo "  (exec -> main: the dynamic loader and constructors; the last step: closing the connection and exit)"
stop_daemon
