#!/usr/bin/env bash
# CPU and memory of `drainctl top` while it watches a pool with ~10,000 jobs in flight, snapshots at 10 Hz
# (issue 5, scenario 7; target: top ≤ 1 % of one core and ≤ 16 MB RSS).
#
# Usage: bench/top-usage.sh [--bin-dir DIR] [--seconds N] [--in-flight N] [--rate R]
#   --bin-dir    where release-built `drainctl` and `drain-demo` are (default: .build/release). This script
#                builds nothing: `swift build -c release --product drainctl` and `--product drain-demo` first.
#   --seconds    how long top is sampled, after a 5 s warm-up (default 30, at least 30)
#   --in-flight  jobs in flight to build up (default 10000)
#   --rate       jobs submitted per second while building up (default 2000; the demo reaches ~1,100/s)
#
# It starts `drain-demo` in a private directory (its own run dir and journal) with --concurrency and
# --max-jobs set to the in-flight count and jobs 1000× longer than usual, so nothing finishes during the
# run; waits until they are all in flight; starts `drainctl top --socket …` in a detached 120×40 pane of
# a private tmux server; samples utime+stime from /proc/PID/stat and VmRSS every second; then measures
# the baselines; and prints one line of JSON. Every process it started is stopped by its pid, also on
# error or Ctrl-C.
#
# Baselines, measured in the same run so the figures can be judged against this machine:
#   help_max_rss_kb  peak RSS of `drainctl --help`: the same binary doing nothing (runtime, Foundation,
#                    ICU, NIO loaded) — the floor any drainctl command starts from.
#   events_*         `drainctl events` on the same pool for 10 s: the same binary holding a subscription
#                    (one snapshot a second) and drawing nothing.
#   wire_bytes_per_s what the pool sends a 10 Hz subscriber at this size: what top has to decode.
set -euo pipefail

bin_dir=.build/release
seconds=30
in_flight=10000
rate=2000
while [ $# -gt 0 ]; do
    case "$1" in
        --bin-dir) bin_dir=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --in-flight) in_flight=$2; shift 2 ;;
        --rate) rate=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "top-usage: unknown argument $1 (try --help)" >&2; exit 64 ;;
    esac
done
if [ "$seconds" -lt 30 ]; then echo "top-usage: --seconds must be at least 30" >&2; exit 64; fi
drainctl=$(cd "$bin_dir" && pwd)/drainctl
demo=$(cd "$bin_dir" && pwd)/drain-demo
for tool in "$drainctl" "$demo"; do
    [ -x "$tool" ] || { echo "top-usage: $tool not found; build it with swift build -c release" >&2; exit 69; }
done
for tool in tmux jq python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "top-usage: needs $tool" >&2; exit 69; }
done

dir=$(mktemp -d /tmp/top-usage.XXXXXX)
tmux_name="top-usage-$$"
demo_pid=""
top_pid=""
events_pid=""
tmux_pid=""

# Stops what this script started, by pid: top, the events client, the tmux server, then the demo
# (SIGKILL: its jobs are synthetic and the journal is thrown away with the directory).
cleanup() {
    set +e
    for pid in $top_pid $events_pid $tmux_pid; do kill -TERM "$pid" 2>/dev/null; done
    sleep 0.3
    for pid in $top_pid $events_pid $tmux_pid $demo_pid; do kill -KILL "$pid" 2>/dev/null; done
    for pid in $events_pid $demo_pid; do wait "$pid" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tick=$(getconf CLK_TCK)
# utime + stime of a process, in clock ticks (fields 14 and 15; the name in field 2 may hold spaces).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
status_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
in_flight_now() {
    "$drainctl" status --json --socket "$socket" 2>/dev/null | jq -r '.in_flight' 2>/dev/null || echo 0
}
now_ns() { date +%s%N; }

# --- the pool -------------------------------------------------------------------------------------
"$demo" --name bench --run-dir "$dir/run" --journal "$dir/journal.sqlite" --log-level warning \
    --concurrency "$in_flight" --max-jobs "$in_flight" --rate "$rate" --duration-scale 1000 --grace 600 \
    >"$dir/demo.log" 2>&1 &
demo_pid=$!
socket="$dir/run/bench.$demo_pid.sock"
deadline=$((SECONDS + 120))
until [ "$(in_flight_now)" -ge "$in_flight" ]; do
    if ! kill -0 "$demo_pid" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
        echo "top-usage: drain-demo did not reach $in_flight in flight (now $(in_flight_now)):" >&2
        tail -5 "$dir/demo.log" >&2
        exit 1
    fi
    sleep 1
done

# --- what a 10 Hz subscriber receives -------------------------------------------------------------
wire_bytes=$(python3 - "$socket" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'{"v":1,"id":1,"op":"subscribe","interval_ms":100}\n')
total, end = 0, time.monotonic() + 3
s.settimeout(0.5)
while time.monotonic() < end:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        continue
    if not chunk:
        break
    total += len(chunk)
print(total // 3)
EOF
)

# --- top ------------------------------------------------------------------------------------------
tmux -L "$tmux_name" -f /dev/null new-session -d -x 120 -y 40 -e LANG=C.UTF-8 \
    "exec $drainctl top --socket $socket"
tmux_pid=$(tmux -L "$tmux_name" display-message -p '#{pid}')
top_pid=$(tmux -L "$tmux_name" display-message -p '#{pane_pid}')
sleep 5
grep -q drainctl "/proc/$top_pid/cmdline" || { echo "top-usage: top is not running" >&2; exit 1; }
tmux -L "$tmux_name" capture-pane -p -J | grep -q RUNNING || {
    echo "top-usage: top does not show the pool:" >&2
    tmux -L "$tmux_name" capture-pane -p -J >&2
    exit 1
}
in_flight_start=$(in_flight_now)
start_ticks=$(cpu_ticks "$top_pid")
demo_start_ticks=$(cpu_ticks "$demo_pid")
start_ns=$(now_ns)
rss_sum=0
rss_max=0
for _ in $(seq 1 "$seconds"); do
    sleep 1
    rss=$(status_kb "$top_pid" VmRSS)
    rss_sum=$((rss_sum + rss))
    [ "$rss" -gt "$rss_max" ] && rss_max=$rss
done
end_ticks=$(cpu_ticks "$top_pid")
demo_end_ticks=$(cpu_ticks "$demo_pid")
end_ns=$(now_ns)
in_flight_end=$(in_flight_now)
hwm=$(status_kb "$top_pid" VmHWM)
rss_anon=$(status_kb "$top_pid" RssAnon)
rss_file=$(status_kb "$top_pid" RssFile)
threads=$(status_kb "$top_pid" Threads)
wall=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
percent() { awk -v t="$1" -v hz="$tick" -v w="$wall" 'BEGIN { printf "%.2f", 100 * t / hz / w }'; }
top_cpu=$(percent $((end_ticks - start_ticks)))
demo_cpu=$(percent $((demo_end_ticks - demo_start_ticks)))
kill -TERM "$top_pid"
top_pid=""

# --- baselines ------------------------------------------------------------------------------------
help_rss=$( { /usr/bin/time -f '%M' "$drainctl" --help >/dev/null; } 2>&1 | tail -1)
"$drainctl" events --socket "$socket" >/dev/null 2>&1 &
events_pid=$!
sleep 2
events_start=$(cpu_ticks "$events_pid")
events_start_ns=$(now_ns)
sleep 10
events_ticks=$(($(cpu_ticks "$events_pid") - events_start))
events_wall=$(awk -v a="$events_start_ns" -v b="$(now_ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
events_rss=$(status_kb "$events_pid" VmRSS)
events_cpu=$(awk -v t="$events_ticks" -v hz="$tick" -v w="$events_wall" 'BEGIN { printf "%.2f", 100 * t / hz / w }')

jq -cn \
    --argjson in_flight_start "$in_flight_start" --argjson in_flight_end "$in_flight_end" \
    --argjson seconds "$wall" --argjson cpu "$top_cpu" --argjson rss_avg $((rss_sum / seconds)) \
    --argjson rss_max "$rss_max" --argjson hwm "$hwm" --argjson anon "$rss_anon" --argjson file "$rss_file" \
    --argjson threads "$threads" --argjson demo_cpu "$demo_cpu" --argjson wire "$wire_bytes" \
    --argjson help_rss "$help_rss" --argjson events_cpu "$events_cpu" --argjson events_rss "$events_rss" \
    '{scenario: "top watching a pool, 10 Hz snapshots", in_flight_start: $in_flight_start,
      in_flight_end: $in_flight_end, sampled_seconds: $seconds,
      top: {cpu_percent: $cpu, rss_kb_avg: $rss_avg, rss_kb_max: $rss_max, vm_hwm_kb: $hwm,
            rss_anon_kb: $anon, rss_file_kb: $file, threads: $threads},
      targets: {cpu_percent: 1, rss_kb: 16384,
                met: ($cpu <= 1 and $rss_max <= 16384)},
      baseline: {help_max_rss_kb: $help_rss, events_cpu_percent: $events_cpu, events_rss_kb: $events_rss,
                 wire_bytes_per_s: $wire},
      demo_cpu_percent: $demo_cpu}'
