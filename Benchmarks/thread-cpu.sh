#!/usr/bin/env bash
# Relays non-streamed chat completions through the release `wharf` under wrk, in the harness's default layout
# (wrk on CPU 0; Wharf with one event loop, and the shared nginx mock, on CPU 1), and prints the user and system
# CPU time per request of each Wharf thread (the event loop, the SQLite thread pool) and of the mock. Quicker than
# the whole harness when trying a change: one warm-up and one load of THREAD_CPU_SECONDS (default 10 s).
# All traffic stays on 127.0.0.1; every step is bounded in time.
#
#   swift build -c release --product wharf && bash Benchmarks/thread-cpu.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BIN="$ROOT/.build/release/wharf"
SECS=${THREAD_CPU_SECONDS:-10}
[ -x "$BIN" ] || { echo "build first: swift build -c release --product wharf" >&2; exit 1; }
WORK=$(mktemp -d /tmp/wharf-threads.XXXXXX)
source "$ROOT/Benchmarks/bench-data.sh"
bench_start "$BIN" "$WORK"
BODY="$BENCH/body/chat.json"
load() {
    BENCH_BODY_FILE="$BODY" BENCH_KEY="$KEY" timeout $(($1 + 10)) taskset -c 0 wrk -t1 -c64 -d"$1s" \
        -s "$BENCH/lua/post.lua" http://127.0.0.1:18083
}
# Per thread: "tid name utime stime" in clock ticks.
threads() {
    for t in /proc/"$1"/task/*; do
        echo "$(basename "$t") $(tr ' ' _ <"$t/comm") $(awk '{print $14, $15}' "$t/stat")"
    done | sort
}
worker() { pgrep -P "$MOCK" | head -1; }

load 2 >/dev/null
threads "$SERVER" >"$WORK/before.txt"
mock_before=$(awk '{print $14 + $15}' "/proc/$(worker)/stat")
out=$(load "$SECS")
threads "$SERVER" >"$WORK/after.txt"
mock_after=$(awk '{print $14 + $15}' "/proc/$(worker)/stat")
echo "$out" | grep -E "Requests/sec"
requests=$(echo "$out" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
tick_us=$((1000000 / $(getconf CLK_TCK)))
join "$WORK/before.txt" "$WORK/after.txt" | awk -v r="$requests" -v t="$tick_us" '
    { u = ($6 - $3) * t / r; s = ($7 - $4) * t / r; if (u + s > 0.05) printf "%-20s user %5.1f µs  sys %5.1f µs\n", $2, u, s; tu += u; ts += s }
    END { printf "%-20s user %5.1f µs  sys %5.1f µs  (total %.1f µs per request)\n", "wharf", tu, ts, tu + ts }'
awk -v r="$requests" -v t="$tick_us" -v a="$mock_after" -v b="$mock_before" \
    'BEGIN { printf "%-20s %5.1f µs per request\n", "mock (nginx)", (a - b) * t / r }'
