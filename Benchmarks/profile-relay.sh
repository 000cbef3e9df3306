#!/usr/bin/env bash
# Profiles the release `wharf` relaying non-streamed chat completions to the shared nginx mock, in the harness's
# default layout (wrk on CPU 0; Wharf with one event loop and the mock on CPU 1), and prints where the CPU goes.
# Bounded: one load of PROFILE_SECONDS (default 12 s). All traffic stays on 127.0.0.1.
#
#   swift build -c release --product wharf && bash Benchmarks/profile-relay.sh
#   PROFILE_STREAM=1 bash Benchmarks/profile-relay.sh      # streamed requests instead
#   PROFILE_MESSAGES=1 bash Benchmarks/profile-relay.sh    # Anthropic Messages to the OpenAI channel (translated)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BIN="$ROOT/.build/release/wharf"
SECS=${PROFILE_SECONDS:-12}
[ -x "$BIN" ] || { echo "build first: swift build -c release --product wharf" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/wharf-prof.XXXXXX)
source "$ROOT/Benchmarks/bench-data.sh"
bench_start "$BIN" "$WORK"

BODY="$BENCH/body/chat.json"; [ -n "${PROFILE_STREAM:-}" ] && BODY="$BENCH/body/chat-stream.json"
if [ -n "${PROFILE_MESSAGES:-}" ]; then
    sed -i "s|BENCH_MODEL|gpt-4o-mini|" "$BENCH/body/messages.json" "$BENCH/body/messages-stream.json"
    BODY="$BENCH/body/messages.json"; [ -n "${PROFILE_STREAM:-}" ] && BODY="$BENCH/body/messages-stream.json"
    export BENCH_PATH=/v1/messages
fi
BENCH_BODY_FILE="$BODY" BENCH_KEY="$KEY" timeout 10 taskset -c 0 wrk -t1 -c64 -d2s -s "$BENCH/lua/post.lua" \
    http://127.0.0.1:18083 >/dev/null
cpu() { awk '{print $14+$15}' "/proc/$SERVER/stat"; }
before=$(cpu)
BENCH_BODY_FILE="$BODY" BENCH_KEY="$KEY" timeout $((SECS + 10)) taskset -c 0 wrk -t1 -c64 -d"${SECS}s" \
    -s "$BENCH/lua/post.lua" http://127.0.0.1:18083 >"$WORK/wrk.txt" 2>&1 &
WRK=$!
sleep 1
timeout $((SECS + 10)) perf record -F 1999 -g -p "$SERVER" -o "$WORK/perf.data" -- sleep $((SECS - 2)) \
    >/dev/null 2>&1 || true
wait "$WRK" || true
after=$(cpu)
grep -E "Requests/sec|BENCH_RESULT|Non-2xx" "$WORK/wrk.txt"
req=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$WORK/wrk.txt")
tck=$(getconf CLK_TCK)
echo "server CPU per request: $(( (after - before) * 1000000 / tck / (req > 0 ? req : 1) )) µs (over $req requests)"
perf report -i "$WORK/perf.data" --no-children --percent-limit 0.7 --stdio -g none 2>/dev/null \
    | grep -v '^#' | grep -v '^$' | head -60
echo "perf data: $WORK/perf.data"
