/// The numbered schema migrations, oldest first. Each is applied once, in its own transaction, and recorded in
/// `schema_migrations`. Never edit a published migration: add the next number.
///
/// The SQL is written once for both dialects: `TEXT`, `BIGINT` and `INTEGER` only, times as Unix milliseconds,
/// money as `BIGINT` micro-units, flags as `INTEGER` 0/1, lists as JSON text.
public enum Migrations {
    /// One migration.
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let statements: [String]
    }

    /// All migrations.
    public static let all: [Migration] = [
        Migration(
            version: 1, name: "accounts, keys, ledger, channels, prices, usage",
            statements: [
                """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    email TEXT NOT NULL,
                    email_normalized TEXT NOT NULL UNIQUE,
                    username TEXT NOT NULL,
                    username_normalized TEXT NOT NULL UNIQUE,
                    phone TEXT,
                    password_hash TEXT NOT NULL,
                    role TEXT NOT NULL,
                    status TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    deleted_at BIGINT
                )
                """,
                """
                CREATE TABLE wallets (
                    user_id TEXT PRIMARY KEY REFERENCES users(id),
                    balance BIGINT NOT NULL,
                    currency TEXT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE ledger_entries (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id),
                    kind TEXT NOT NULL,
                    amount BIGINT NOT NULL,
                    reference TEXT,
                    reason TEXT,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX ledger_entries_user_time ON ledger_entries (user_id, created_at)",
                """
                CREATE TABLE holds (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id),
                    amount BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    closed_at BIGINT
                )
                """,
                """
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id),
                    name TEXT NOT NULL,
                    key_hash TEXT NOT NULL UNIQUE,
                    display_prefix TEXT NOT NULL,
                    status TEXT NOT NULL,
                    expires_at BIGINT,
                    allowed_models TEXT NOT NULL,
                    allowed_ips TEXT NOT NULL,
                    spend_limit BIGINT,
                    spent BIGINT NOT NULL,
                    created_at BIGINT NOT NULL,
                    last_used_at BIGINT,
                    revoked_at BIGINT
                )
                """,
                "CREATE INDEX api_keys_user ON api_keys (user_id)",
                """
                CREATE TABLE channels (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    provider TEXT NOT NULL,
                    base_url TEXT NOT NULL,
                    api_key_ciphertext TEXT NOT NULL,
                    models TEXT NOT NULL,
                    model_mapping TEXT NOT NULL,
                    priority BIGINT NOT NULL,
                    weight BIGINT NOT NULL,
                    region TEXT NOT NULL,
                    data_policy TEXT NOT NULL,
                    capabilities TEXT NOT NULL,
                    status TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE model_prices (
                    model TEXT PRIMARY KEY,
                    input_per_million BIGINT NOT NULL,
                    output_per_million BIGINT NOT NULL,
                    cached_input_per_million BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE usage_records (
                    id TEXT PRIMARY KEY,
                    created_at BIGINT NOT NULL,
                    user_id TEXT NOT NULL,
                    key_id TEXT NOT NULL,
                    model TEXT NOT NULL,
                    channel_id TEXT,
                    endpoint TEXT NOT NULL,
                    prompt_tokens BIGINT NOT NULL,
                    completion_tokens BIGINT NOT NULL,
                    cached_tokens BIGINT NOT NULL,
                    cost BIGINT NOT NULL,
                    latency_ms BIGINT NOT NULL,
                    ttft_ms BIGINT,
                    status TEXT NOT NULL,
                    stream INTEGER NOT NULL,
                    client_ip TEXT
                )
                """,
                "CREATE INDEX usage_records_user_time ON usage_records (user_id, created_at)",
                "CREATE INDEX usage_records_time ON usage_records (created_at)",
                """
                CREATE TABLE channel_health (
                    channel_id TEXT PRIMARY KEY,
                    state TEXT NOT NULL,
                    requests BIGINT NOT NULL,
                    failures BIGINT NOT NULL,
                    latency_ms BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                "CREATE TABLE config_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL)",
                "INSERT INTO config_version (id, version) VALUES (1, 1)",
                """
                CREATE TABLE settings (
                    name TEXT PRIMARY KEY,
                    value TEXT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
            ]
        ),
        Migration(
            version: 2, name: "per-key rate limit",
            statements: ["ALTER TABLE api_keys ADD COLUMN rate_limit_rpm BIGINT"]
        ),
        Migration(
            version: 3, name: "console: sign-up records, one-time tokens, outbox, support, audit, consent",
            statements: [
                "ALTER TABLE users ADD COLUMN email_verified_at BIGINT",
                "ALTER TABLE users ADD COLUMN age_confirmed_at BIGINT",
                "ALTER TABLE users ADD COLUMN policy_version TEXT",
                "ALTER TABLE users ADD COLUMN policy_accepted_at BIGINT",
                "ALTER TABLE users ADD COLUMN language TEXT",
                "ALTER TABLE users ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE users ADD COLUMN locked_until BIGINT",
                "ALTER TABLE users ADD COLUMN last_login_at BIGINT",
                "ALTER TABLE users ADD COLUMN notify_login INTEGER NOT NULL DEFAULT 1",
                """
                CREATE TABLE one_time_tokens (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id),
                    purpose TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    used_at BIGINT
                )
                """,
                """
                CREATE TABLE email_outbox (
                    id TEXT PRIMARY KEY,
                    user_id TEXT,
                    kind TEXT NOT NULL,
                    recipient_ciphertext TEXT,
                    message_ciphertext TEXT,
                    status TEXT NOT NULL,
                    attempts BIGINT NOT NULL,
                    next_attempt_at BIGINT NOT NULL,
                    last_error TEXT,
                    created_at BIGINT NOT NULL,
                    sent_at BIGINT
                )
                """,
                "CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at)",
                """
                CREATE TABLE support_messages (
                    id TEXT PRIMARY KEY,
                    user_id TEXT,
                    email TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    body TEXT NOT NULL,
                    status TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE audit_log (
                    seq BIGINT PRIMARY KEY,
                    created_at BIGINT NOT NULL,
                    actor_id TEXT,
                    action TEXT NOT NULL,
                    target TEXT,
                    detail TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE consents (
                    id TEXT PRIMARY KEY,
                    user_id TEXT,
                    functional INTEGER NOT NULL,
                    analytics INTEGER NOT NULL,
                    notice_version TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
            ]
        ),
        Migration(
            version: 4, name: "two-factor sign-in, Telegram link, email change",
            statements: [
                "ALTER TABLE users ADD COLUMN totp_secret_ciphertext TEXT",
                "ALTER TABLE users ADD COLUMN totp_enabled_at BIGINT",
                "ALTER TABLE users ADD COLUMN totp_last_step BIGINT",
                "ALTER TABLE users ADD COLUMN telegram_id TEXT",
                "ALTER TABLE users ADD COLUMN pending_email TEXT",
                "CREATE UNIQUE INDEX users_telegram_id ON users (telegram_id)",
                """
                CREATE TABLE backup_codes (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id),
                    created_at BIGINT NOT NULL,
                    used_at BIGINT
                )
                """,
                """
                CREATE TABLE seen_login_proofs (
                    id TEXT PRIMARY KEY,
                    created_at BIGINT NOT NULL
                )
                """,
            ]
        ),
        Migration(
            version: 5, name: "key-value store under the server's PersistDriver (console sessions)",
            statements: [
                """
                CREATE TABLE persist (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL,
                    owner TEXT,
                    expires_at BIGINT
                )
                """,
                "CREATE INDEX persist_owner ON persist (owner)",
                "CREATE INDEX persist_expiry ON persist (expires_at)",
            ]
        ),
        Migration(
            version: 6, name: "support replies",
            statements: [
                """
                CREATE TABLE support_replies (
                    id TEXT PRIMARY KEY,
                    message_id TEXT NOT NULL REFERENCES support_messages(id),
                    actor_id TEXT NOT NULL,
                    body TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX support_replies_message ON support_replies (message_id)",
            ]
        ),
        Migration(
            version: 7, name: "usage records name the settle entry that charged them (one entry per key per batch)",
            statements: [
                "ALTER TABLE usage_records ADD COLUMN ledger_entry_id TEXT"
            ]
        ),
        Migration(
            version: 8, name: "one-time links bound to what they were mailed for (the new address of an email change)",
            statements: [
                "ALTER TABLE one_time_tokens ADD COLUMN bound_to TEXT"
            ]
        ),
        Migration(
            version: 9,
            name: "key changes have a version of their own, so servers load only the keys that changed",
            statements: [
                "ALTER TABLE api_keys ADD COLUMN changed_version BIGINT NOT NULL DEFAULT 0",
                "CREATE INDEX api_keys_changed ON api_keys (changed_version)",
                "INSERT INTO config_version (id, version) VALUES (2, 0)",
            ]
        ),
        Migration(
            version: 10,
            name: "payments: gateway instances, orders, callbacks, refunds and disputes, redemption codes",
            statements: [
                """
                CREATE TABLE payment_gateways (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    gateway_url TEXT NOT NULL,
                    merchant_id TEXT,
                    key_ciphertext TEXT NOT NULL,
                    webhook_secret_ciphertext TEXT,
                    currency TEXT NOT NULL,
                    credit_per_unit BIGINT NOT NULL,
                    methods TEXT NOT NULL,
                    min_amount BIGINT,
                    max_amount BIGINT,
                    enabled INTEGER NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE payment_orders (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id),
                    gateway_id TEXT NOT NULL REFERENCES payment_gateways(id),
                    method TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    amount BIGINT NOT NULL,
                    credit BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    provider_ref TEXT,
                    trade_no TEXT,
                    transaction_ref TEXT,
                    payment_intent TEXT,
                    late INTEGER NOT NULL,
                    review TEXT,
                    refunded_amount BIGINT NOT NULL,
                    refunded_credit BIGINT NOT NULL,
                    disputed_credit BIGINT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    paid_at BIGINT,
                    expires_at BIGINT NOT NULL,
                    next_poll_at BIGINT,
                    polls INTEGER NOT NULL,
                    checked_at BIGINT
                )
                """,
                "CREATE INDEX payment_orders_user ON payment_orders (user_id, created_at)",
                "CREATE INDEX payment_orders_status ON payment_orders (status, next_poll_at)",
                "CREATE UNIQUE INDEX payment_orders_trade ON payment_orders (gateway_id, trade_no)",
                "CREATE UNIQUE INDEX payment_orders_transaction ON payment_orders (transaction_ref)",
                "CREATE INDEX payment_orders_intent ON payment_orders (payment_intent)",
                """
                CREATE TABLE payment_events (
                    id TEXT PRIMARY KEY,
                    received_at BIGINT NOT NULL,
                    gateway_id TEXT,
                    order_id TEXT,
                    source TEXT NOT NULL,
                    client_ip TEXT,
                    outcome TEXT NOT NULL,
                    detail TEXT NOT NULL
                )
                """,
                "CREATE INDEX payment_events_time ON payment_events (received_at)",
                """
                CREATE TABLE payment_adjustments (
                    id TEXT PRIMARY KEY,
                    order_id TEXT NOT NULL REFERENCES payment_orders(id),
                    kind TEXT NOT NULL,
                    external_ref TEXT NOT NULL,
                    amount BIGINT NOT NULL,
                    credit BIGINT NOT NULL,
                    actor_id TEXT,
                    reason TEXT,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX payment_adjustments_ref ON payment_adjustments (order_id, kind, external_ref)",
                """
                CREATE TABLE redemption_codes (
                    id TEXT PRIMARY KEY,
                    batch_id TEXT NOT NULL,
                    code_hash TEXT NOT NULL UNIQUE,
                    hint TEXT NOT NULL,
                    credit BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    expires_at BIGINT,
                    created_by TEXT,
                    created_at BIGINT NOT NULL,
                    redeemed_by TEXT,
                    redeemed_at BIGINT
                )
                """,
                "CREATE INDEX redemption_codes_batch ON redemption_codes (batch_id)",
                "ALTER TABLE ledger_entries ADD COLUMN source_key TEXT",
                "CREATE UNIQUE INDEX ledger_entries_source ON ledger_entries (source_key)",
            ]
        ),
        Migration(
            version: 11,
            name: "cache-aware billing: a cache-write price per model; cache-write and reasoning tokens per request",
            statements: [
                "ALTER TABLE model_prices ADD COLUMN cache_write_per_million BIGINT",
                "ALTER TABLE usage_records ADD COLUMN cache_write_tokens BIGINT NOT NULL DEFAULT 0",
                "ALTER TABLE usage_records ADD COLUMN reasoning_tokens BIGINT NOT NULL DEFAULT 0",
            ]
        ),
        Migration(
            version: 12,
            name: "data lifecycle: daily usage rollups, transfer constraints on keys and accounts, serving region",
            statements: [
                """
                CREATE TABLE usage_daily (
                    user_id TEXT NOT NULL,
                    key_id TEXT NOT NULL,
                    model TEXT NOT NULL,
                    day BIGINT NOT NULL,
                    requests BIGINT NOT NULL,
                    prompt_tokens BIGINT NOT NULL,
                    completion_tokens BIGINT NOT NULL,
                    cached_tokens BIGINT NOT NULL,
                    cache_write_tokens BIGINT NOT NULL,
                    reasoning_tokens BIGINT NOT NULL,
                    cost BIGINT NOT NULL,
                    PRIMARY KEY (user_id, key_id, model, day)
                )
                """,
                "CREATE INDEX usage_daily_day ON usage_daily (day)",
                "CREATE INDEX usage_records_entry ON usage_records (ledger_entry_id)",
                "ALTER TABLE api_keys ADD COLUMN transfer_regions TEXT NOT NULL DEFAULT '[]'",
                "ALTER TABLE api_keys ADD COLUMN zero_retention INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE api_keys ADD COLUMN no_training INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE users ADD COLUMN transfer_regions TEXT NOT NULL DEFAULT '[]'",
                "ALTER TABLE users ADD COLUMN zero_retention INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE users ADD COLUMN no_training INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE usage_records ADD COLUMN region TEXT",
                "CREATE INDEX ledger_entries_time ON ledger_entries (created_at)",
                "CREATE INDEX audit_log_time ON audit_log (created_at)",
            ]
        ),
    ]
}
