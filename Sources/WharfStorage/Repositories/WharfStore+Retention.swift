import Foundation
import SQLKit
import WharfCore

/// What one retention run removed (or, on a dry run, would remove), per kind of record.
public struct RetentionReport: Sendable, Equatable {
    /// One kind of record: what it is, the retention class it falls under, and how many rows went.
    public struct Line: Sendable, Equatable {
        /// What was removed, e.g. `usage_records` or `sessions`.
        public var name: String
        /// The retention class (``DataMap/Retention``) that governs it.
        public var retention: DataMap.Retention
        /// Rows removed (or past retention, on a dry run).
        public var rows: Int64
    }

    public var lines: [Line] = []
    /// Whether nothing was changed.
    public var dryRun: Bool

    /// Rows removed in all.
    public var total: Int64 { lines.reduce(0) { $0 + $1.rows } }
}

extension WharfStore {
    /// Rows per transaction of the retention job (bounded work and locks per step).
    public static let retentionBatch = 1_000

    /// Enforces `schedule` at `nowMillis` (the clock, or `--as-of`): every kind of record past its retention is
    /// deleted in bounded batches, each in its own transaction, and reported through `progress` as it finishes.
    ///
    /// Money and totals stay whole: usage records are folded into daily rollups (per user, key, model and UTC day,
    /// without addresses) in the transaction that deletes them, and always with every record of the ledger entry that
    /// charged them; ledger entries past the payment window are folded, per account, into one `carried` entry of
    /// their sum, so balance = Σ entries still holds. With `dryRun` only counts are taken.
    public func runRetention(
        schedule: RetentionSchedule, nowMillis: Int64, dryRun: Bool,
        progress: @Sendable (RetentionReport.Line) -> Void = { _ in }
    ) async throws -> RetentionReport {
        let cut = schedule.cutoffs(nowMillis: nowMillis)
        var report = RetentionReport(dryRun: dryRun)
        func record(_ name: String, _ retention: DataMap.Retention, _ rows: Int64) {
            let line = RetentionReport.Line(name: name, retention: retention, rows: rows)
            report.lines.append(line)
            progress(line)
        }
        record("usage_records", .usage, try await expireUsage(before: cut.usage, dryRun: dryRun))
        record("usage_daily", .payment, try await expireRollups(beforeDay: cut.rollupDay, dryRun: dryRun))
        for task in Self.simpleTasks(cut) {
            record(task.name, task.retention, try await expireRows(task, dryRun: dryRun))
        }
        record("ledger_entries", .payment, try await carryLedger(before: cut.payment, dryRun: dryRun))
        record("audit_log", .audit, try await pruneAudit(before: cut.audit, dryRun: dryRun))
        record(
            "erased_accounts", .accountLifetime,
            try await expireErasedAccounts(before: cut.erasedAccount, dryRun: dryRun))
        return report
    }

    /// A table whose rows past retention are found by one condition and deleted by their key.
    struct ExpiryTask {
        var name: String
        var retention: DataMap.Retention
        var table: String
        var key: String
        var condition: SQLQueryString
    }

    /// The kinds of records that go by a plain condition, children before the rows they point at.
    static func simpleTasks(_ cut: RetentionSchedule.Cutoffs) -> [ExpiryTask] {
        [
            ExpiryTask(
                name: "sessions", retention: .securityLog, table: "persist", key: "key",
                condition: "expires_at IS NOT NULL AND expires_at < \(bind: cut.now)"),
            ExpiryTask(
                name: "one_time_tokens", retention: .operational, table: "one_time_tokens", key: "id",
                condition: "expires_at < \(bind: cut.now) OR used_at IS NOT NULL"),
            ExpiryTask(
                name: "seen_login_proofs", retention: .operational, table: "seen_login_proofs", key: "id",
                condition: "created_at < \(bind: cut.now - 86_400_000)"),
            ExpiryTask(
                name: "email_outbox", retention: .operational, table: "email_outbox", key: "id",
                condition: "status = 'sent' OR (status = 'failed' AND created_at < \(bind: cut.security))"),
            ExpiryTask(
                name: "support_replies", retention: .support, table: "support_replies", key: "id",
                condition: """
                    message_id IN (SELECT m.id FROM support_messages m WHERE m.created_at < \(bind: cut.support)
                        AND NOT EXISTS (SELECT 1 FROM support_replies r WHERE r.message_id = m.id
                            AND r.created_at >= \(bind: cut.support)))
                    """),
            ExpiryTask(
                name: "support_messages", retention: .support, table: "support_messages", key: "id",
                condition: """
                    created_at < \(bind: cut.support)
                    AND NOT EXISTS (SELECT 1 FROM support_replies r WHERE r.message_id = support_messages.id)
                    """),
            ExpiryTask(
                name: "payment_events", retention: .payment, table: "payment_events", key: "id",
                condition: "received_at < \(bind: cut.payment)"),
            ExpiryTask(
                name: "payment_adjustments", retention: .payment, table: "payment_adjustments", key: "id",
                condition: "created_at < \(bind: cut.payment)"),
            ExpiryTask(
                name: "payment_orders", retention: .payment, table: "payment_orders", key: "id",
                condition: """
                    COALESCE(updated_at, created_at) < \(bind: cut.payment) AND status <> 'pending'
                    AND NOT EXISTS (SELECT 1 FROM payment_adjustments a WHERE a.order_id = payment_orders.id)
                    """),
            ExpiryTask(
                name: "redemption_codes", retention: .payment, table: "redemption_codes", key: "id",
                condition: """
                    COALESCE(redeemed_at, created_at) < \(bind: cut.payment)
                    AND (status <> 'enabled' OR (expires_at IS NOT NULL AND expires_at < \(bind: cut.payment)))
                    """),
            ExpiryTask(
                name: "holds", retention: .payment, table: "holds", key: "id",
                condition: "status <> 'open' AND closed_at IS NOT NULL AND closed_at < \(bind: cut.payment)"),
        ]
    }

    /// Counts (dry run) or deletes, batch by batch, the rows of one ``ExpiryTask``.
    func expireRows(_ task: ExpiryTask, dryRun: Bool) async throws -> Int64 {
        let table = SQLIdentifier(task.table)
        let key = SQLIdentifier(task.key)
        if dryRun {
            return try await database.withConnection(timeoutMillis: database.bulkTimeoutMillis) { db in
                try await db.raw("SELECT COUNT(*) AS n FROM \(table) WHERE \(task.condition)").first()?.int64("n")
                    ?? 0
            }
        }
        let postgres = database.dialect == .postgres
        var total: Int64 = 0
        while true {
            let deleted = try await database.transaction { db in
                if postgres { try await Self.takeRetentionLock(db) }
                return try await db.raw(
                    """
                    DELETE FROM \(table) WHERE \(key) IN (
                        SELECT \(key) FROM \(table) WHERE \(task.condition) LIMIT \(literal: Self.retentionBatch))
                    RETURNING \(key)
                    """
                ).all().count
            }
            total += Int64(deleted)
            if deleted < Self.retentionBatch { return total }
        }
    }

    /// Folds usage records created before `cutoff` into `usage_daily` and deletes them, a batch of records (widened to
    /// whole ledger entries) per transaction. A record whose ledger entry also charged a newer record waits for it.
    func expireUsage(before cutoff: Int64, dryRun: Bool) async throws -> Int64 {
        let eligible: SQLQueryString = """
            r.created_at < \(bind: cutoff) AND (r.ledger_entry_id IS NULL OR NOT EXISTS (
                SELECT 1 FROM usage_records n WHERE n.ledger_entry_id = r.ledger_entry_id
                    AND n.created_at >= \(bind: cutoff)))
            """
        if dryRun {
            return try await database.withConnection(timeoutMillis: database.bulkTimeoutMillis) { db in
                try await db.raw("SELECT COUNT(*) AS n FROM usage_records r WHERE \(eligible)").first()?.int64("n")
                    ?? 0
            }
        }
        let postgres = database.dialect == .postgres
        var total: Int64 = 0
        while true {
            let deleted: Int = try await database.transaction { db in
                if postgres { try await Self.takeRetentionLock(db) }
                let batch = try await db.raw(
                    """
                    SELECT r.id AS id, r.ledger_entry_id AS entry FROM usage_records r WHERE \(eligible)
                    ORDER BY r.created_at LIMIT \(literal: Self.retentionBatch)
                    """
                ).all()
                guard !batch.isEmpty else { return 0 }
                let ids = try batch.map { try $0.string("id") }
                let entries = Array(Set(try batch.compactMap { try $0.optionalString("entry") }))
                var members: SQLQueryString = "id IN (\(binds: ids))"
                if !entries.isEmpty { members = "\(members) OR ledger_entry_id IN (\(binds: entries))" }
                try await db.raw(
                    """
                    INSERT INTO usage_daily (user_id, key_id, model, day, requests, prompt_tokens, completion_tokens,
                        cached_tokens, cache_write_tokens, reasoning_tokens, cost)
                    SELECT user_id, key_id, model, created_at / 86400000, COUNT(*),
                        CAST(SUM(prompt_tokens) AS BIGINT), CAST(SUM(completion_tokens) AS BIGINT),
                        CAST(SUM(cached_tokens) AS BIGINT), CAST(SUM(cache_write_tokens) AS BIGINT),
                        CAST(SUM(reasoning_tokens) AS BIGINT), CAST(SUM(cost) AS BIGINT)
                    FROM usage_records WHERE \(members)
                    GROUP BY user_id, key_id, model, created_at / 86400000
                    ON CONFLICT (user_id, key_id, model, day) DO UPDATE SET
                        requests = usage_daily.requests + excluded.requests,
                        prompt_tokens = usage_daily.prompt_tokens + excluded.prompt_tokens,
                        completion_tokens = usage_daily.completion_tokens + excluded.completion_tokens,
                        cached_tokens = usage_daily.cached_tokens + excluded.cached_tokens,
                        cache_write_tokens = usage_daily.cache_write_tokens + excluded.cache_write_tokens,
                        reasoning_tokens = usage_daily.reasoning_tokens + excluded.reasoning_tokens,
                        cost = usage_daily.cost + excluded.cost
                    """
                ).run()
                return try await db.raw("DELETE FROM usage_records WHERE \(members) RETURNING id").all().count
            }
            total += Int64(deleted)
            if deleted == 0 { return total }
        }
    }

    /// Deletes daily rollups of days before `day` (the payment window), one day per transaction.
    func expireRollups(beforeDay day: Int64, dryRun: Bool) async throws -> Int64 {
        let postgres = database.dialect == .postgres
        if dryRun {
            return try await database.withConnection { db in
                try await db.raw("SELECT COUNT(*) AS n FROM usage_daily WHERE day < \(bind: day)").first()?.int64("n")
                    ?? 0
            }
        }
        var total: Int64 = 0
        while true {
            let deleted: Int = try await database.transaction { db in
                if postgres { try await Self.takeRetentionLock(db) }
                guard
                    let oldest = try await db.raw(
                        "SELECT MIN(day) AS d FROM usage_daily WHERE day < \(bind: day)"
                    ).first()?.optionalInt64("d")
                else { return -1 }
                return try await db.raw("DELETE FROM usage_daily WHERE day = \(bind: oldest) RETURNING day").all()
                    .count
            }
            if deleted < 0 { return total }
            total += Int64(deleted)
        }
    }

    /// Folds each account's ledger entries created before `cutoff` into one `carried` entry holding their sum (dated
    /// at the newest of them), so balance = Σ entries stays true while the detail leaves. Entries a remaining usage
    /// record or a remaining order refers to stay (so `ledger verify` still checks both). Each batch deletes up to
    /// ``retentionBatch`` entries and adds exactly what it deleted (`DELETE … RETURNING`) to the run's `carried`
    /// entry, in one transaction: the books balance after every commit. Returns the entries removed.
    func carryLedger(before cutoff: Int64, dryRun: Bool) async throws -> Int64 {
        let old: SQLQueryString = """
            e.created_at < \(bind: cutoff)
            AND NOT EXISTS (SELECT 1 FROM usage_records u WHERE u.ledger_entry_id = e.id)
            AND NOT EXISTS (SELECT 1 FROM payment_orders o WHERE o.id = e.reference)
            """
        let users = try await database.withConnection(timeoutMillis: database.bulkTimeoutMillis) { db in
            try await db.raw(
                """
                SELECT e.user_id AS user_id, COUNT(*) AS n,
                    SUM(CASE WHEN e.kind = 'carried' THEN 0 ELSE 1 END) AS fresh
                FROM ledger_entries e WHERE \(old) GROUP BY e.user_id
                """
            ).all().compactMap { row -> (String, Int64)? in
                // An account whose only old entry is already its carried balance has nothing to fold.
                let n = try row.int64("n")
                let fresh = try row.optionalInt64("fresh") ?? 0
                return fresh == 0 && n <= 1 ? nil : (try row.string("user_id"), n)
            }
        }
        if dryRun { return users.reduce(0) { $0 + $1.1 } }
        let postgres = database.dialect == .postgres
        var total: Int64 = 0
        for (user, _) in users {
            // The carried entry of this run, once made: later batches add to it and never fold it.
            var carriedID: String?
            while true {
                let keep = carriedID ?? ""
                let (removed, made): (Int, String?) = try await database.transaction { db in
                    if postgres { try await Self.takeRetentionLock(db) }
                    let rows = try await db.raw(
                        """
                        DELETE FROM ledger_entries WHERE id IN (
                            SELECT e.id FROM ledger_entries e WHERE e.user_id = \(bind: user) AND e.id <> \(bind: keep)
                                AND \(old) LIMIT \(literal: Self.retentionBatch))
                        RETURNING amount, created_at
                        """
                    ).all()
                    guard !rows.isEmpty else { return (0, nil) }
                    let amount = try rows.reduce(Int64(0)) { $0 + (try $1.int64("amount")) }
                    let newest = try rows.map { try $0.int64("created_at") }.max() ?? cutoff
                    // Another run going at once may have folded this run's carried entry into its own: then this
                    // batch's sum gets a new one, so no amount is ever lost.
                    if !keep.isEmpty,
                        try await db.raw(
                            """
                            UPDATE ledger_entries SET amount = amount + \(bind: amount),
                                created_at = CASE WHEN created_at < \(bind: newest) THEN \(bind: newest) ELSE created_at END
                            WHERE id = \(bind: keep) RETURNING id
                            """
                        ).first() != nil
                    {
                        return (rows.count, nil)
                    }
                    let id = WharfID.make("led")
                    try await db.raw(
                        """
                        INSERT INTO ledger_entries (id, user_id, kind, amount, reference, reason, created_at)
                        VALUES (\(bind: id), \(bind: user), 'carried', \(bind: amount), NULL,
                            'entries past the payment retention', \(bind: newest))
                        """
                    ).run()
                    return (rows.count, id)
                }
                if let made { carriedID = made }
                total += Int64(removed)
                if removed < Self.retentionBatch { break }
            }
        }
        return total
    }

    /// On PostgreSQL, one retention batch at a time across every server sharing the database: a batch that waited
    /// here reads what the batch before it committed, so two servers running the job at once neither fold the same
    /// usage records into the rollups twice nor carry the same ledger entries twice. (SQLite's write transactions are
    /// already one at a time.)
    static func takeRetentionLock(_ db: any SQLDatabase) async throws {
        try await db.raw("SELECT pg_advisory_xact_lock(7011914)").run()
    }

    /// Accounts erased more than the grace period ago: their pseudonymous remainder that no payment record needs
    /// (revoked keys, consents, backup codes) goes. The account row itself stays while its ledger does.
    func expireErasedAccounts(before cutoff: Int64, dryRun: Bool) async throws -> Int64 {
        let erased: SQLQueryString =
            "SELECT id FROM users WHERE status = 'erased' AND deleted_at IS NOT NULL AND deleted_at < \(bind: cutoff)"
        let tables = ["api_keys", "consents", "backup_codes"]
        if dryRun {
            return try await database.withConnection { db in
                var n: Int64 = 0
                for t in tables {
                    n +=
                        try await db.raw(
                            "SELECT COUNT(*) AS n FROM \(ident: t) WHERE user_id IN (\(erased))"
                        ).first()?.int64("n") ?? 0
                }
                return n
            }
        }
        return try await database.transaction { db in
            var n: Int64 = 0
            for t in tables {
                n += Int64(
                    try await db.raw("DELETE FROM \(ident: t) WHERE user_id IN (\(erased)) RETURNING user_id").all()
                        .count)
            }
            return n
        }
    }
}
