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
