#!/usr/bin/env bash
# Issue 13's benchmark: what Anthropic Messages cost next to the OpenAI pass-through, in the same runs.
#
# Starts the shared nginx mock and `wharf serve` (release, one event loop, both on CPU 1; load generators on CPU 0)
# and runs the shared harness's run.sh ROUNDS times (default 3) against three paths, interleaved per round:
#   chat        OpenAI body to an OpenAI channel: byte pass-through (the reference)
#   msg-openai  Anthropic body (/v1/messages) to the same OpenAI channel: translated both ways
#   msg-anthro  Anthropic body to an Anthropic channel on the mock: byte pass-through with Anthropic metering
# Then prints the median and the spread (min–max) of the target's CPU per request (non-stream), max req/s, stream
# req/s and the stream's first-event latency per path, and the ratios to `chat`. Every step is bounded in time
# (BENCH_DURATION seconds, default 5); all traffic stays on 127.0.0.1.
#
#   swift build -c release && bash Benchmarks/run-messages-bench.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BIN="$ROOT/.build/release/wharf"
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 1; }
ROUNDS=${1:-3}
WORK=$(mktemp -d /tmp/wharf-msg-bench.XXXXXX)
source "$ROOT/Benchmarks/bench-data.sh"
bench_start "$BIN" "$WORK"
WHARF_DATA_DIR="$WHARF_DATA_DIR" "$BIN" channel add --name mock-anthropic --provider anthropic \
    --base-url http://127.0.0.1:18080 --api-key mock --models claude-mock-4 --capabilities chat >/dev/null
WHARF_DATA_DIR="$WHARF_DATA_DIR" "$BIN" price set --model claude-mock-4 --input 3 --output 15 \
    --cache-read 0.30 --cache-write 3.75 >/dev/null
sleep 2   # the running server loads the new channel within about a second
cd "$BENCH"
cp body/messages.json body/msgoai.json && cp body/messages-stream.json body/msgoai-stream.json
sed -i "s|BENCH_MODEL|gpt-4o-mini|" body/msgoai.json body/msgoai-stream.json
sed -i "s|BENCH_MODEL|claude-mock-4|" body/messages.json body/messages-stream.json
export BENCH_GEN_CPUS=0 BENCH_TARGET_PID=$SERVER BENCH_MOCK_PID=$MOCK BENCH_KEY=$KEY
export BENCH_DURATION=${BENCH_DURATION:-5} BENCH_RATES=${BENCH_RATES:-500} BENCH_OUT_DIR="$WORK/raw"
for round in $(seq "$ROUNDS"); do
    BENCH_STAMP="r$round" BENCH_BODY=chat ./run.sh 18083 chat
    BENCH_STAMP="r$round" BENCH_BODY=msgoai BENCH_PATH=/v1/messages ./run.sh 18083 msg-openai
    BENCH_STAMP="r$round" BENCH_BODY=messages BENCH_PATH=/v1/messages ./run.sh 18083 msg-anthro
done
WHARF_DATA_DIR="$WHARF_DATA_DIR" "$BIN" ledger verify
python3 - "$WORK/raw" "$ROUNDS" <<'PY'
import glob, json, os, statistics, sys
raw, rounds = sys.argv[1], int(sys.argv[2])
def g(d, *ks):
    for k in ks:
        if not isinstance(d, dict) or k not in d: return None
        d = d[k]
    return d
figs = [("target CPU per request, non-stream (µs)", ("max_rps", "cpu_target_us_per_req")),
        ("max req/s, non-stream", ("max_rps", "rps")),
        ("stream req/s", ("stream_rps", "rps")),
        ("stream first event p50 (ms)", ("stream_ttfb", "first_event_p50_ms")),
        ("stream TTFB p50 (ms)", ("stream_ttfb", "ttfb_p50_ms"))]
labels = ["chat", "msg-openai", "msg-anthro"]
vals = {l: {f: [] for f, _ in figs} for l in labels}
for r in range(1, rounds + 1):
    for l in labels:
        p = os.path.join(raw, f"r{r}-{l}.json")
        if not os.path.exists(p): continue
        doc = json.load(open(p))
        for f, ks in figs:
            v = g(doc, *ks)
            if v is not None: vals[l][f].append(float(v))
print(f"\n| figure ({rounds} runs: median, min–max) | " + " | ".join(labels) + " |")
print("|---|" + "---:|" * len(labels))
for f, _ in figs:
    cells = []
    for l in labels:
        xs = vals[l][f]
        cells.append(f"{statistics.median(xs):,.3g} ({min(xs):,.3g}–{max(xs):,.3g})" if xs else "–")
    print(f"| {f} | " + " | ".join(cells) + " |")
for f, _ in figs[:1] + figs[3:4]:
    base = vals["chat"][f]
    for l in labels[1:]:
        xs = vals[l][f]
        if base and xs:
            med = statistics.median(xs); b = statistics.median(base)
            print(f"{l} vs chat, {f}: median {med:.4g} vs {b:.4g} " + (f"(ratio {med / b:.2f})" if "CPU" in f else f"(difference {med - b:+.3f} ms)"))
PY
echo "raw results: $WORK/raw"
