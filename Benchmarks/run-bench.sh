#!/usr/bin/env bash
# Runs the shared load harness (../shared/bench) with Wharf as target D next to baselines A (the mock) and
# B (nginx proxy_pass), in the harness's default CPU layout, then the idle-stream memory probe.
# Every step is bounded in time; all traffic stays on 127.0.0.1.
#
#   bash Benchmarks/run-bench.sh            # release build must exist: swift build -c release
#   BENCH_TARGETS="A B C D" bash Benchmarks/run-bench.sh   # add LiteLLM (needs its venv in the copy)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
BIN="$ROOT/.build/release/wharf"
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 1; }
WORK=$(mktemp -d /tmp/wharf-bench.XXXXXX)
cp -r "$ROOT/../shared/bench" "$WORK/bench"   # the shared copy is read-only; results land in the work copy
chmod -R u+w "$WORK/bench"
DATA="$WORK/data"
source "$ROOT/Benchmarks/bench-data.sh"
KEY=$(bench_data "$BIN" "$DATA")

cd "$WORK/bench"
BENCH_TARGETS="${BENCH_TARGETS:-A B D}" \
BENCH_GATEWAY_CMD="WHARF_DATA_DIR='$DATA' WHARF_THREADS=\$BENCH_TARGET_WORKERS WHARF_LOG_LEVEL=warning exec '$BIN' serve --port \$BENCH_GATEWAY_PORT" \
BENCH_GATEWAY_KEY="$KEY" BENCH_GATEWAY_MODEL=gpt-4o-mini BENCH_GATEWAY_LABEL=D-wharf \
BENCH_GATEWAY_READY=/healthz \
./baselines.sh
echo "results: $WORK/bench/results"
ls "$WORK/bench/results"

# After the run: the ledger must still add up with every request metered.
WHARF_DATA_DIR="$DATA" "$BIN" ledger verify
python3 "$ROOT/Benchmarks/idle_streams.py" --bin "$BIN" --streams 1000
