#!/usr/bin/env bash
# How fast the retention job clears a backlog of usage records, and what it leaves: a fresh SQLite data directory
# gets ROWS usage records 100 days old (in ledger-entry groups of 100, each charged by one settle entry, as the usage
# writer makes them) plus ROWS/10 recent ones, then `wharf retention run` folds the old ones into daily rollups and
# deletes them in batches of 1,000. Prints the wall time, the rows per second, and checks that the balance, the
# dashboard totals (rollups + records) and `wharf ledger verify` are unchanged. Runs RUNS times on fresh data.
#
#   swift build -c release && ROWS=200000 RUNS=3 bash Benchmarks/retention-bench.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN="$PWD/.build/release/wharf"
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 1; }
ROWS=${ROWS:-200000}
RUNS=${RUNS:-3}
for run in $(seq 1 "$RUNS"); do
    DATA=$(mktemp -d /tmp/wharf-retention.XXXXXX)
    export WHARF_DATA_DIR="$DATA"
    "$BIN" user create --email bench@example.com --password 'bench password 1' >/dev/null
    "$BIN" credit grant --user bench@example.com --amount 1000000 >/dev/null
    "$BIN" key create --user bench@example.com --name bench >/dev/null
    python3 - "$DATA/wharf.sqlite" "$ROWS" <<'PY'
import random, sqlite3, sys, time
path, rows = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(path)
user, = db.execute("SELECT id FROM users").fetchone()
key, = db.execute("SELECT id FROM api_keys").fetchone()
now = int(time.time() * 1000)
def batch(count, age_days, tag):
    records, entries, total = [], [], 0
    for g in range(0, count, 100):
        entry = f"led_{tag}_{g}"
        cost = 0
        for i in range(g, min(g + 100, count)):
            c = random.randint(1, 5000)
            cost += c
            at = now - age_days * 86_400_000 + i * 7
            records.append((f"req_{tag}_{i}", at, user, key, random.choice(["gpt-4o-mini", "gpt-4o", "claude"]),
                            "chat/completions", 12, 5, 0, c, 40, None, "ok", 0, "203.0.113.0", entry, 0, 0))
        entries.append((entry, user, "settle", -cost, key, None, now - age_days * 86_400_000 + g * 7))
        total += cost
    db.executemany("INSERT INTO usage_records (id, created_at, user_id, key_id, model, endpoint, prompt_tokens, "
                   "completion_tokens, cached_tokens, cost, latency_ms, ttft_ms, status, stream, client_ip, "
                   "ledger_entry_id, cache_write_tokens, reasoning_tokens) VALUES "
                   "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", records)
    db.executemany("INSERT INTO ledger_entries (id, user_id, kind, amount, reference, reason, created_at) "
                   "VALUES (?,?,?,?,?,?,?)", entries)
    db.execute("UPDATE wallets SET balance = balance - ? WHERE user_id = ?", (total, user))
batch(rows, 100, "old")
batch(rows // 10, 1, "new")
db.commit()
PY
    before_balance=$("$BIN" credit balance --user bench@example.com)
    totals() { python3 -c "
import sqlite3,sys; db=sqlite3.connect(sys.argv[1])
r=db.execute('SELECT COUNT(*), SUM(cost) FROM usage_records').fetchone()
d=db.execute('SELECT COALESCE(SUM(requests),0), COALESCE(SUM(cost),0) FROM usage_daily').fetchone()
print(r[0]+d[0], (r[1] or 0)+d[1])" "$DATA/wharf.sqlite"; }
    before_totals=$(totals)
    start=$(date +%s.%N)
    out=$(timeout 1800 "$BIN" retention run 2>/dev/null)
    end=$(date +%s.%N)
    deleted=$(echo "$out" | awk -F': ' '/^usage_records/ {print $2}' | awk '{print $1}')
    secs=$(python3 -c "print(f'{$end - $start:.2f}')")
    rate=$(python3 -c "print(int($deleted / ($end - $start)))")
    after_balance=$("$BIN" credit balance --user bench@example.com)
    after_totals=$(totals)
    verify=$("$BIN" ledger verify)
    echo "run $run: $deleted usage records deleted in ${secs}s ($rate rows/s); balance $before_balance -> $after_balance; requests,cost $before_totals -> $after_totals; $verify; db $(du -h "$DATA/wharf.sqlite" | cut -f1)"
    [ "$before_balance" = "$after_balance" ] && [ "$before_totals" = "$after_totals" ] && [ "$verify" = "ledger ok" ] \
        || { echo "MISMATCH in run $run" >&2; exit 1; }
    rm -rf "$DATA"
done
