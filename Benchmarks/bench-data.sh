# Sourced by the benchmark scripts. bench_data BIN DATA_DIR: creates a Wharf data directory with one funded user,
# a channel to the shared mock upstream (127.0.0.1:18080) and a price for gpt-4o-mini, and prints the user's API key.
bench_data() {
    local bin=$1 data=$2
    WHARF_DATA_DIR="$data" "$bin" migrate >/dev/null
    WHARF_DATA_DIR="$data" "$bin" user create --email bench@example.com --password 'benchmark password' >/dev/null
    WHARF_DATA_DIR="$data" "$bin" credit grant --user bench@example.com --amount 1000000 >/dev/null
    WHARF_DATA_DIR="$data" "$bin" channel add --name mock --provider openai --base-url http://127.0.0.1:18080/v1 \
        --api-key mock --models gpt-4o-mini >/dev/null
    WHARF_DATA_DIR="$data" "$bin" price set --model gpt-4o-mini --input 0.15 --output 0.60 >/dev/null
    WHARF_DATA_DIR="$data" "$bin" key create --user bench@example.com --name bench
}

# bench_start BIN WORK: copies the shared harness into WORK/bench, creates a data directory (see bench_data), and
# starts the nginx mock and `BIN serve` (one event loop, port 18083), both pinned to CPU 1 as in the harness's
# default layout. Sets BENCH, KEY, MOCK and SERVER; both servers are stopped when the calling script exits.
bench_start() {
    local bin=$1 work=$2 mod
    cp -r "$ROOT/../shared/bench" "$work/bench" && chmod -R u+w "$work/bench"
    BENCH="$work/bench"
    export WHARF_DATA_DIR="$work/data"
    KEY=$(bench_data "$bin" "$WHARF_DATA_DIR")
    mod=$(nginx -V 2>&1 | sed -n 's/.*--modules-path=\([^ ]*\).*/\1/p')
    mkdir -p "$work/mock/tmp"
    taskset -c 1 nginx -p "$work/mock/" -c "$BENCH/mock/nginx.conf" \
        -g "daemon off; worker_processes 1; load_module $mod/ngx_http_echo_module.so;" >"$work/mock.log" 2>&1 &
    MOCK=$!
    WHARF_THREADS=1 WHARF_LOG_LEVEL=warning taskset -c 1 "$bin" serve --port 18083 >"$work/wharf.log" 2>&1 &
    SERVER=$!
    trap 'kill "$SERVER" 2>/dev/null || true; kill -QUIT "$MOCK" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
    for _ in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:18083/healthz && break; sleep 0.2; done
    sed -i "s|BENCH_MODEL|gpt-4o-mini|" "$BENCH/body/chat.json" "$BENCH/body/chat-stream.json"
}
