#!/usr/bin/env bash
# A longer differential run of the relay's fast head reader against NIO's HTTPRequestDecoder (the seeded run in
# `swift test` is Tests/WharfServerTests/RelayFastRequestDifferentialTests.swift; this runs the same comparison with
# other seeds and more heads). Bounded: ROUNDS rounds of COUNT heads each (defaults 8 x 200000).
# Usage: bash Scripts/fuzz-fast-request.sh [ROUNDS] [COUNT]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS="${1:-8}"
COUNT="${2:-200000}"
swift build --build-tests >/dev/null
for round in $(seq 1 "$ROUNDS"); do
    seed=$(( (RANDOM << 16) ^ RANDOM ^ (round << 32) ))
    WHARF_FUZZ_SEED="$seed" WHARF_FUZZ_COUNT="$COUNT" timeout 30m swift test --skip-build \
        --filter 'RelayFastRequestDifferentialTests/longRun' 2>&1 | grep -E '^fuzz:|✘|passed after|failed after' || true
done
