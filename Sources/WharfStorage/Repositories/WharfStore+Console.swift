import SQLKit
import WharfCore

/// Which usage records a request log shows. Every filter is optional but the owner, which the console always sets
/// to the signed-in account (an admin view may leave it nil).
public struct UsageFilter: Sendable, Equatable {
    public var userID: String?
    public var fromMillis: Int64?
    /// Exclusive end.
    public var toMillis: Int64?
    public var model: String?
    public var keyID: String?
    public var status: String?

    /// Creates a filter.
    public init(
        userID: String?, fromMillis: Int64? = nil, toMillis: Int64? = nil, model: String? = nil, keyID: String? = nil,
        status: String? = nil
    ) {
        self.userID = userID
        self.fromMillis = fromMillis
        self.toMillis = toMillis
        self.model = model
        self.keyID = keyID
        self.status = status
    }
}

/// Requests and cost of one UTC day.
public struct DailyUsage: Sendable, Equatable {
    /// Days since 1970-01-01 (UTC).
    public var day: Int64
    public var requests: Int64
    public var cost: Money

    /// Creates a day's totals.
    public init(day: Int64, requests: Int64, cost: Money) {
        self.day = day
        self.requests = requests
        self.cost = cost
    }
}

/// Requests, tokens and cost of one model over a period.
public struct ModelUsage: Sendable, Equatable {
    public var model: String
    public var requests: Int64
    public var tokens: Int64
    public var cost: Money
}

/// One ledger entry as its owner sees it.
public struct LedgerLine: Sendable, Equatable {
    public var id: String
    public var kind: String
    public var amount: Money
    public var reference: String?
    public var reason: String?
    public var createdAt: Int64
}

extension WharfStore {
    /// One page of usage records matching `filter`, newest first.
    public func usagePage(_ filter: UsageFilter, limit: Int, offset: Int) async throws -> [UsageRecord] {
        try await database.withConnection { db in
            try await db.raw(
                """
                SELECT * FROM usage_records WHERE \(Self.usageWhere(filter))
                ORDER BY created_at DESC, id DESC LIMIT \(bind: limit) OFFSET \(bind: offset)
                """
            ).all().map(Self.decodeUsage)
        }
    }

    /// Up to `limit` usage records matching `filter`, newest first, strictly older than `before` (a record's
    /// creation time and id) when given: keyset paging, so page ten thousand costs what page one does.
    public func usageRows(_ filter: UsageFilter, limit: Int, before: (createdAt: Int64, id: String)?) async throws
        -> [UsageRecord]
    {
        var clause = Self.usageWhere(filter)
        if let before {
            clause =
                "\(clause) AND (created_at < \(bind: before.createdAt) OR (created_at = \(bind: before.createdAt) AND id < \(bind: before.id)))"
        }
        let condition = clause
        return try await database.withConnection { db in
            try await db.raw(
                """
                SELECT * FROM usage_records WHERE \(condition)
                ORDER BY created_at DESC, id DESC LIMIT \(bind: limit)
                """
            ).all().map(Self.decodeUsage)
        }
    }

    /// How many usage records match `filter`.
    public func usageCount(_ filter: UsageFilter) async throws -> Int64 {
        try await database.withConnection { db in
            try await db.raw("SELECT COUNT(*) AS n FROM usage_records WHERE \(Self.usageWhere(filter))").first()?
                .int64("n") ?? 0
        }
    }

    /// Requests and cost per UTC day for `filter`, oldest day first; days without requests are absent.
    public func dailyUsage(_ filter: UsageFilter) async throws -> [DailyUsage] {
        try await database.withConnection { db in
            try await db.raw(
                """
                SELECT day, CAST(SUM(n) AS BIGINT) AS n, CAST(COALESCE(SUM(cost), 0) AS BIGINT) AS cost FROM (
                    SELECT created_at / 86400000 AS day, 1 AS n, cost FROM usage_records WHERE \(Self.usageWhere(filter))
                    UNION ALL
                    SELECT day, requests AS n, cost FROM usage_daily WHERE \(Self.rollupWhere(filter))
                ) u GROUP BY day ORDER BY day
                """
            ).all().map { row in
                DailyUsage(
                    day: try row.int64("day"), requests: try row.int64("n"), cost: Money(micros: try row.int64("cost")))
            }
        }
    }

    /// Requests, tokens and cost per model for `filter`, most expensive first.
    public func usageByModel(_ filter: UsageFilter) async throws -> [ModelUsage] {
        try await database.withConnection { db in
            try await db.raw(
                """
                SELECT model, CAST(SUM(n) AS BIGINT) AS n, CAST(COALESCE(SUM(tokens), 0) AS BIGINT) AS tokens,
                    CAST(COALESCE(SUM(cost), 0) AS BIGINT) AS cost FROM (
                    SELECT model, 1 AS n, prompt_tokens + completion_tokens AS tokens, cost
                    FROM usage_records WHERE \(Self.usageWhere(filter))
                    UNION ALL
                    SELECT model, requests AS n, prompt_tokens + completion_tokens AS tokens, cost
                    FROM usage_daily WHERE \(Self.rollupWhere(filter))
                ) u GROUP BY model ORDER BY cost DESC, model
                """
            ).all().map { row in
                ModelUsage(
                    model: try row.string("model"), requests: try row.int64("n"), tokens: try row.int64("tokens"),
                    cost: Money(micros: try row.int64("cost")))
            }
        }
    }

    /// The account's ledger, newest first.
    public func ledgerLines(userID: String, limit: Int, offset: Int) async throws -> [LedgerLine] {
        try await database.withConnection { db in
            try await db.raw(
                """
                SELECT * FROM ledger_entries WHERE user_id = \(bind: userID)
                ORDER BY created_at DESC, id DESC LIMIT \(bind: limit) OFFSET \(bind: offset)
                """
            ).all().map { row in
                LedgerLine(
                    id: try row.string("id"), kind: try row.string("kind"),
                    amount: Money(micros: try row.int64("amount")),
                    reference: try row.optionalString("reference"), reason: try row.optionalString("reason"),
                    createdAt: try row.int64("created_at"))
            }
        }
    }

    /// The rollups (``WharfStore/runRetention(schedule:nowMillis:dryRun:progress:)``) that `f` covers: whole UTC
    /// days inside its range; none when it filters by status, which rollups do not keep.
    static func rollupWhere(_ f: UsageFilter) -> SQLQueryString {
        if f.status != nil { return "1 = 0" }
        var clause: SQLQueryString = "1 = 1"
        if let v = f.userID { clause = "\(clause) AND user_id = \(bind: v)" }
        if let v = f.fromMillis { clause = "\(clause) AND day * 86400000 >= \(bind: v)" }
        if let v = f.toMillis { clause = "\(clause) AND day * 86400000 < \(bind: v)" }
        if let v = f.model { clause = "\(clause) AND model = \(bind: v)" }
        if let v = f.keyID { clause = "\(clause) AND key_id = \(bind: v)" }
        return clause
    }

    static func usageWhere(_ f: UsageFilter) -> SQLQueryString {
        var clause: SQLQueryString = "1 = 1"
        if let v = f.userID { clause = "\(clause) AND user_id = \(bind: v)" }
        if let v = f.fromMillis { clause = "\(clause) AND created_at >= \(bind: v)" }
        if let v = f.toMillis { clause = "\(clause) AND created_at < \(bind: v)" }
        if let v = f.model { clause = "\(clause) AND model = \(bind: v)" }
        if let v = f.keyID { clause = "\(clause) AND key_id = \(bind: v)" }
        if let v = f.status { clause = "\(clause) AND status = \(bind: v)" }
        return clause
    }
}
